/* Workload cosine_topk, the tutorial's Part 3: brg_cosine_topk_f32 on host
 * arrays (path=host), and on GPUs brg_index_search on a device-resident index
 * (path=index). The reference is a same-shape OpenBLAS sgemm, which builds the
 * nq x nb score matrix that top-k avoids: fraction_of_limit is its time over
 * ours (docs/bench.md). */
#include "bench.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The tutorial's sizes (nb, dim, nq) and the smallest --size that runs each
 * (the third took 70 s of the quick suite on 2 cores: seed). */
static const struct {
    int64_t nb, dim, nq;
    brg_bench_size min_size;
} topk_defs[] = {
    {1000, 100, 100, BRG_BENCH_SMALL},      {10000, 100, 1000, BRG_BENCH_SMALL},
    {1000000, 100, 1000, BRG_BENCH_SEED},   {100000, 1000, 1000, BRG_BENCH_SEED},
    {100000, 1000, 10000, BRG_BENCH_SEED},  {100000, 1000, 100000, BRG_BENCH_HUGE},
};

enum {
    TOPK_K = 3,                   /* as in the tutorial */
    CHECK_MAX_QUERIES = 1000,     /* sampled queries per case, at most */
    REFERENCE_MIN_BLOCK_RUNS = 5, /* an extrapolated sgemm block runs at least this often */
    PATH_INDEX = 1                /* variant 0 is path=host */
};

#define CHECK_MAX_MACS 2e10       /* the oracle's sampled queries x nb x dim, at most */
#define CHECK_TOL 1e-5            /* the project's rule for scores */
#define MIB ((size_t)1 << 20)
#define GIB ((size_t)1 << 30)
/* Pair each cpu top-k run with an sgemm whose output is at most this (the
 * quick suite's); larger ones run for seconds, averaging the drift. */
#define PAIRED_REFERENCE_MAX (256 * MIB)

typedef struct topk_case {
    int64_t nb, dim, nq, k;
    size_t workspace;             /* 0: the library's default */
    float *q, *db;                /* nq x dim and nb x dim, row-major */
    int64_t n_samples;            /* --check: spread queries and their true top-k */
    long double *db_norms;        /* nb */
    double *want;                 /* n_samples x k scores */
    int64_t *want_idx;            /* n_samples x k rows */
} topk_case;

typedef struct topk_state {
    const topk_case *tc;
    brg_device *dev;
    int path;
    brg_index *ix;                /* path=index */
    float *scores;                /* nq x k */
    int64_t *indices;
} topk_state;

/* The oracle: brute force sharing no code with the library, plain loops in
 * long double, and the rules of include/brigade/ops.h: cosine q.b / (|q| |b|),
 * 0 for a zero vector; scores descending, ties to the lower index. */

static long double dot(const float *a, const float *b, int64_t n)
{
    long double s = 0;
    for (int64_t i = 0; i < n; i++) s += (long double)a[i] * (long double)b[i];
    return s;
}

/* Query of sample s: spread evenly over [0, nq). */
static int64_t sample_query(const topk_case *tc, int64_t s)
{
    return s * tc->nq / tc->n_samples;
}

static long double query_norm(const topk_case *tc, int64_t qi)
{
    const float *q = tc->q + qi * tc->dim;
    return sqrtl(dot(q, q, tc->dim));
}

/* Cosine of query qi (norm q_norm) and database row b. */
static double true_score(const topk_case *tc, int64_t qi, long double q_norm, int64_t b)
{
    long double den = q_norm * tc->db_norms[b];
    if (den == 0) return 0.0;
    return (double)(dot(tc->q + qi * tc->dim, tc->db + b * tc->dim, tc->dim) / den);
}

static brg_status norm_of_row(int64_t b, void *result, void *ctx)
{
    (void)result;
    topk_case *tc = ctx;
    tc->db_norms[b] = sqrtl(dot(tc->db + b * tc->dim, tc->db + b * tc->dim, tc->dim));
    return BRG_OK;
}

/* Sampled query s against every row: a sorted list of the k best. */
static brg_status oracle_query(int64_t s, void *result, void *ctx)
{
    (void)result;
    topk_case *tc = ctx;
    int64_t k = tc->k, qi = sample_query(tc, s), *idx = tc->want_idx + s * k, have = 0;
    long double q_norm = query_norm(tc, qi);
    double *top = tc->want + s * k;
    for (int64_t b = 0; b < tc->nb; b++) {
        double score = true_score(tc, qi, q_norm, b);
        /* its rank: after every row that scores as high (a lower index) */
        int64_t r = have < k ? have++ : k;
        while (r > 0 && score > top[r - 1]) r--;
        if (r == k) continue;
        memmove(top + r + 1, top + r, (size_t)(have - 1 - r) * sizeof *top);
        memmove(idx + r + 1, idx + r, (size_t)(have - 1 - r) * sizeof *idx);
        top[r] = score;
        idx[r] = b;
    }
    return BRG_OK;
}

static int64_t check_samples(int64_t nq, int64_t nb, int64_t dim)
{
    int64_t by_cost = (int64_t)(CHECK_MAX_MACS / ((double)nb * (double)dim));
    int64_t n = nq < CHECK_MAX_QUERIES ? nq : CHECK_MAX_QUERIES;
    if (by_cost < n) n = by_cost;
    return n > 0 ? n : 1;
}

static brg_status topk_prepare(brg_bench_case *c, int check)
{
    topk_case *tc = c->impl;
    tc->q = brg_bench_alloc((size_t)(tc->nq * tc->dim) * sizeof(float));
    tc->db = brg_bench_alloc((size_t)(tc->nb * tc->dim) * sizeof(float));
    if (!tc->q || !tc->db) return BRG_ERR_OUT_OF_MEMORY;
    brg_status st = brg_bench_fill(tc->q, BRG_F32, tc->nq * tc->dim, BRG_BENCH_TOPK_QUERY_SEED);
    if (st == BRG_OK)
        st = brg_bench_fill(tc->db, BRG_F32, tc->nb * tc->dim, BRG_BENCH_TOPK_DB_SEED);
    if (st != BRG_OK || !check) return st;
    tc->n_samples = check_samples(tc->nq, tc->nb, tc->dim);
    tc->db_norms = malloc((size_t)tc->nb * sizeof *tc->db_norms);
    tc->want = malloc((size_t)(tc->n_samples * tc->k) * sizeof *tc->want);
    tc->want_idx = malloc((size_t)(tc->n_samples * tc->k) * sizeof *tc->want_idx);
    if (!tc->db_norms || !tc->want || !tc->want_idx) return BRG_ERR_OUT_OF_MEMORY;
    st = brg_bench_parallel(tc->nb, norm_of_row, tc);
    return st == BRG_OK ? brg_bench_parallel(tc->n_samples, oracle_query, tc) : st;
}

/* path=host on every runner; path=index too on a GPU, where it differs:
 * the database stays on the device between calls. */
static int topk_variants(const brg_bench_case *c, brg_device *dev, const char **names, int cap)
{
    (void)c;
    names[0] = "host";
    names[1] = "index";
    return brg_device_get_kind(dev) == BRG_DEVICE_CPU || cap < 2 ? 1 : 2;
}

static void topk_teardown(void *state)
{
    topk_state *s = state;
    if (!s) return;
    brg_index_free(s->ix);
    free(s->scores);
    free(s->indices);
    free(s);
}

static brg_status topk_setup(brg_bench_case *c, brg_device *dev, int variant, void **state)
{
    const topk_case *tc = c->impl;
    size_t n = (size_t)(tc->nq * tc->k);
    topk_state *s = calloc(1, sizeof *s);
    *state = s;
    if (!s) return BRG_ERR_OUT_OF_MEMORY;
    *s = (topk_state){.tc = tc, .dev = dev, .path = variant, .scores = malloc(n * sizeof(float)),
                      .indices = malloc(n * sizeof(int64_t))};
    brg_status st = s->scores && s->indices ? BRG_OK : BRG_ERR_OUT_OF_MEMORY;
    if (st == BRG_OK) { /* first touch outside the clock */
        brg_bench_touch(s->scores, n * sizeof *s->scores);
        brg_bench_touch(s->indices, n * sizeof *s->indices);
    }
    if (st == BRG_OK && variant == PATH_INDEX)
        st = brg_index_create(dev, tc->db, tc->nb, tc->dim, BRG_METRIC_COSINE, &s->ix);
    if (st != BRG_OK) {
        topk_teardown(s);
        *state = NULL;
    }
    return st;
}

static brg_status topk_run(void *state)
{
    topk_state *s = state;
    const topk_case *tc = s->tc;
    brg_topk_options o = {.workspace_bytes = tc->workspace, .metric = BRG_METRIC_COSINE};
    if (s->path == PATH_INDEX)
        return brg_index_search(s->ix, tc->q, tc->nq, tc->k, &o, s->scores, s->indices);
    return brg_cosine_topk_f32(s->dev, tc->q, tc->nq, tc->db, tc->nb, tc->dim, tc->k, &o,
                               s->scores, s->indices);
}

/* The project's rule at every rank r of a sampled query: the index is a
 * row, not returned twice; the returned score and the returned row's true
 * score both equal the oracle's r-th score within 1e-5. */
static brg_status topk_verify(const brg_bench_case *c, void *state, int *pass, char *detail,
                              size_t cap)
{
    const topk_case *tc = c->impl;
    const topk_state *s = state;
    int64_t bad = 0, k = tc->k;
    char first[BRG_BENCH_REASON_LEN] = "";
    for (int64_t sample = 0; sample < tc->n_samples; sample++) {
        int64_t qi = sample_query(tc, sample);
        const float *got = s->scores + qi * k;
        const int64_t *idx = s->indices + qi * k;
        const double *want = tc->want + sample * k;
        long double q_norm = query_norm(tc, qi);
        for (int64_t r = 0; r < k; r++) {
            int dup = 0;
            for (int64_t p = 0; p < r; p++) dup |= idx[p] == idx[r];
            double truth = idx[r] >= 0 && idx[r] < tc->nb ? true_score(tc, qi, q_norm, idx[r])
                                                           : NAN;
            if (!dup && fabs((double)got[r] - want[r]) <= CHECK_TOL &&
                fabs(truth - want[r]) <= CHECK_TOL)
                continue;
            if (bad++ == 0)
                snprintf(first, sizeof first, "query %lld rank %lld: got row %lld score %.9g "
                         "(true %.9g%s), oracle row %lld score %.9g", (long long)qi,
                         (long long)r, (long long)idx[r], (double)got[r], truth,
                         dup ? ", returned twice" : "",
                         (long long)tc->want_idx[sample * k + r], want[r]);
            break; /* the query differs: one count per query */
        }
    }
    *pass = bad == 0;
    snprintf(detail, cap, "%lld of %lld sampled queries differ from the oracle; first %s",
             (long long)bad, (long long)tc->n_samples, first);
    return BRG_OK;
}

static double sgemm_once(const topk_case *tc, int64_t rows, int64_t cols, float *out)
{
    double t0 = brg_bench_now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)cols, (int)tc->dim,
                1.0f, tc->q, (int)tc->dim, tc->db, (int)tc->dim, 0.0f, out, (int)cols);
    return brg_bench_now() - t0;
}

/* C = Q . DB^T by OpenBLAS's threads (dev NULL) or dev's brg_matmul_nt, scaled
 * to the whole output when only a block fits a quarter of the available memory
 * (a GPU: 1 GiB) or the --workspace budget in [64 MiB, 1 GiB]; the block as
 * square as the shape allows: a thin slice runs OpenBLAS about 12% slower
 * (docs/bench.md). once: the whole output, once, where it is small. */
static brg_status topk_reference(brg_bench_case *c, const brg_bench_options *opts,
                                 brg_device *dev, int once, double *seconds, char *note,
                                 size_t cap)
{
    const topk_case *tc = c->impl;
    size_t full = (size_t)tc->nq * (size_t)tc->nb * sizeof(float), limit, quarter;
    if (once && full > PAIRED_REFERENCE_MAX) return BRG_ERR_UNSUPPORTED;
    if (once) {
        limit = full;
    } else if (dev) {
        limit = full < GIB ? full : GIB;
    } else if (tc->workspace) {
        limit = tc->workspace < 64 * MIB ? 64 * MIB : tc->workspace > GIB ? GIB : tc->workspace;
    } else {
        quarter = brg_bench_host_available() / 4;
        limit = full <= quarter ? full : quarter > 0 && quarter < GIB ? quarter : GIB;
    }
    int64_t elems = (int64_t)(limit / sizeof(float)), rows = (int64_t)sqrt((double)elems);
    rows = rows < 1 ? 1 : rows > tc->nq ? tc->nq : rows;
    int64_t cols = elems / rows;
    cols = cols < 1 ? 1 : cols > tc->nb ? tc->nb : cols;
    rows = elems / cols; /* a narrow database leaves room for more queries */
    rows = rows < 1 ? 1 : rows > tc->nq ? tc->nq : rows;
    if (cols > INT32_MAX || tc->dim > INT32_MAX || rows > INT32_MAX)
        return BRG_ERR_OVERFLOW; /* cblas takes int dimensions */
    double factor = (double)tc->nq / (double)rows * ((double)tc->nb / (double)cols), median;
    /* A block is cheap next to the call it stands for (the huge suite: 0.5 s
     * for a 5-minute call), and one such sample on a shared machine is
     * noise: at least REFERENCE_MIN_BLOCK_RUNS of them. */
    int n = dev ? BRG_BENCH_SGEMM_RUNS : once ? 1
            : factor > 1.0 && opts->repeat < REFERENCE_MIN_BLOCK_RUNS ? REFERENCE_MIN_BLOCK_RUNS : opts->repeat;
    if (dev) { /* its own warm-up and n runs */
        if (isnan(median = brg_bench_device_sgemm(dev, rows, cols, tc->dim))) return BRG_ERR_DEVICE;
    } else {
        size_t bytes = (size_t)rows * (size_t)cols * sizeof(float);
        float *out = malloc(bytes);
        if (!out) return BRG_ERR_OUT_OF_MEMORY;
        brg_bench_touch(out, bytes); /* first touch outside the clock */
        double times[BRG_BENCH_MAX_REPEAT];
        if (opts->warmup || once) sgemm_once(tc, rows, cols, out); /* OpenBLAS's threads wake */
        for (int r = 0; r < n; r++) times[r] = sgemm_once(tc, rows, cols, out);
        free(out);
        median = brg_bench_median(times, n);
    }
    *seconds = median * factor;
    if (once) return BRG_OK;
    const char *by = dev ? "brg_matmul_nt on " : "OpenBLAS", *spec = dev ? brg_device_spec(dev) : "";
    if (factor == 1.0)
        snprintf(note, cap, "sgemm %.6g s (%s%s, same shape, full %lld x %lld output, "
                 "median of %d)", *seconds, by, spec, (long long)tc->nq, (long long)tc->nb, n);
    else
        snprintf(note, cap, "sgemm %.6g s: extrapolated from %lld queries x %lld rows "
                 "(%.6g s x %.6g; %s%s, output capped at %zu MiB, median of %d)", *seconds,
                 (long long)rows, (long long)cols, median, factor, by, spec, limit / MIB, n);
    return BRG_OK;
}

static void topk_release(brg_bench_case *c)
{
    topk_case *tc = c->impl;
    free(tc->q);
    free(tc->db);
    free(tc->db_norms);
    free(tc->want);
    free(tc->want_idx);
    *tc = (topk_case){.nb = tc->nb, .dim = tc->dim, .nq = tc->nq, .k = tc->k,
                      .workspace = tc->workspace};
}

static const brg_bench_case_i topk_case_i = {
    .prepare = topk_prepare,     .variants = topk_variants,
    .setup = topk_setup,         .run = topk_run,
    .verify = topk_verify,       .teardown = topk_teardown,
    .reference = topk_reference, .release = topk_release,
};

/* --scale shrinks nb and nq (to at least k and 1) and keeps dim. */
int brg_bench_topk_shapes(const brg_bench_options *opts, brg_bench_topk_shape *out, int cap)
{
    int n = 0;
    for (size_t i = 0; i < sizeof topk_defs / sizeof topk_defs[0] && n < cap; i++) {
        brg_bench_size min = topk_defs[i].min_size;
        if (opts->size == BRG_BENCH_HUGE ? min != BRG_BENCH_HUGE
                                         : min == BRG_BENCH_HUGE || min > opts->size)
            continue;
        int64_t nb = llround((double)topk_defs[i].nb * opts->scale);
        int64_t nq = llround((double)topk_defs[i].nq * opts->scale);
        out[n++] = (brg_bench_topk_shape){nb > TOPK_K ? nb : TOPK_K, topk_defs[i].dim,
                                          nq > 1 ? nq : 1, TOPK_K};
    }
    return n;
}

static brg_status plan_topk(const brg_bench_workload *w, const brg_bench_options *opts,
                            brg_bench_case *cases, int *count, int cap)
{
    brg_bench_topk_shape shapes[BRG_BENCH_MAX_CASES];
    int n = brg_bench_topk_shapes(opts, shapes, BRG_BENCH_MAX_CASES);
    for (int i = 0; i < n; i++) {
        const brg_bench_topk_shape *sh = &shapes[i];
        topk_case *tc = *count < cap ? calloc(1, sizeof *tc) : NULL;
        if (!tc) return *count < cap ? BRG_ERR_OUT_OF_MEMORY : BRG_ERR_OVERFLOW;
        *tc = (topk_case){.nb = sh->nb, .dim = sh->dim, .nq = sh->nq, .k = sh->k,
                          .workspace = opts->workspace_bytes};
        size_t in = (size_t)((sh->nq + sh->nb) * sh->dim) * sizeof(float);
        size_t out = (size_t)(sh->nq * sh->k) * (sizeof(float) + sizeof(int64_t));
        int64_t samples = opts->check ? check_samples(sh->nq, sh->nb, sh->dim) : 0;
        brg_bench_case *c = &cases[(*count)++];
        /* Host: the data, the results, the oracle's norms and answers. A GPU's:
         * the data, the norms of an index, the results, the budget. gbs is null. */
        *c = (brg_bench_case){
            .workload = w->name, .ops = &topk_case_i, .variant_key = "path",
            .host_bytes = in + out + (opts->check ? (size_t)sh->nb * sizeof(long double) +
                                                    (size_t)(samples * sh->k) * 16 : 0),
            .device_bytes = in + (size_t)sh->nb * sizeof(double) + out +
                            (tc->workspace ? tc->workspace : GIB),
            .flops = 2.0 * (double)sh->nq * (double)sh->nb * (double)sh->dim, .impl = tc};
        brg_bench_params_int(&c->params, "nb", sh->nb);
        brg_bench_params_int(&c->params, "dim", sh->dim);
        brg_bench_params_int(&c->params, "nq", sh->nq);
        brg_bench_params_int(&c->params, "k", sh->k);
        if (tc->workspace) brg_bench_params_int(&c->params, "workspace", (int64_t)tc->workspace);
    }
    return BRG_OK; /* "path" is added per runner (variants) */
}

const brg_bench_workload brg_bench_cosine_topk = {"cosine_topk", plan_topk};

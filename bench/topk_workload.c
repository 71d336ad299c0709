/* Workload cosine_topk: the tutorial's Part 3, the k = 3 database rows most
 * similar (cosine) to each of nq queries, at the tutorial's sizes.
 *
 * Timed: the one-call helper brg_cosine_topk_f32 on host arrays (path=host,
 * every runner: what a user calls), and on GPU runners also
 * brg_index_search on a prepared index, the database resident on the
 * device and the queries staged by the call (path=index). The reference is
 * a plain OpenBLAS sgemm of the same shape on the same data, which builds
 * the whole nq x nb score matrix that top-k avoids: fraction_of_limit is
 * its time over ours. The oracle ranks sampled queries in long double. */
#include "bench.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct topk_def {
    int64_t nb, dim, nq;
    brg_bench_size min_size;     /* the smallest --size that runs it; HUGE: only huge */
} topk_def;

/* The tutorial's Part 3 sizes. The quick suite keeps the two that take
 * well under a second; the third (2e11 flops) alone took 70 s of the quick
 * suite on the 2-core machine (six top-k and six sgemm runs of 5-6 s), so
 * it and the larger ones are --size seed. */
static const topk_def topk_defs[] = {
    {1000, 100, 100, BRG_BENCH_SMALL},
    {10000, 100, 1000, BRG_BENCH_SMALL},
    {1000000, 100, 1000, BRG_BENCH_SEED},
    {100000, 1000, 1000, BRG_BENCH_SEED},
    {100000, 1000, 10000, BRG_BENCH_SEED},
    {100000, 1000, 100000, BRG_BENCH_HUGE},
};

enum {
    TOPK_K = 3,                  /* as in the tutorial */
    QUERY_SEED = BRG_BENCH_TOPK_QUERY_SEED,
    DB_SEED = BRG_BENCH_TOPK_DB_SEED,
    CHECK_MAX_QUERIES = 1000,    /* sampled queries per case, at most */
    REFERENCE_MIN_BLOCK_RUNS = 5, /* an extrapolated sgemm block runs at least this often */
    PATH_HOST = 0,
    PATH_INDEX = 1
};

/* The oracle's cost per case: sampled queries x nb x dim multiply-adds in
 * double stay under this (a few seconds on two cores): 200 queries for the
 * 1e8-value databases, every query (up to 1000) for the small ones. */
#define CHECK_MAX_MACS 2e10
#define CHECK_TOL 1e-5           /* the project's rule for scores */
#define MIB ((size_t)1 << 20)
#define GIB ((size_t)1 << 30)
#define GPU_DEFAULT_BUDGET GIB   /* the library's GPU default is at most this */
/* Pair each cpu top-k run with an sgemm (bench.h) when the sgemm's whole
 * output is at most this: the quick suite's two shapes. The larger ones run
 * for seconds, long enough to average the machine's drift. */
#define PAIRED_REFERENCE_MAX (256 * MIB)

typedef struct topk_case {
    int64_t nb, dim, nq, k;
    size_t workspace;            /* 0: the library's default */
    float *q, *db;               /* nq x dim and nb x dim, row-major */
    /* --check: n_samples spread queries and their true top-k (long double, kept as double) */
    int64_t n_samples;
    long double *db_norms;       /* nb */
    double *want;                /* n_samples x k scores */
    int64_t *want_idx;           /* n_samples x k indices */
} topk_case;

typedef struct topk_state {
    const topk_case *tc;
    brg_device *dev;
    int path;
    brg_index *ix;               /* path=index */
    float *scores;               /* nq x k */
    int64_t *indices;
    size_t free_before;          /* device free memory before setup; 0 unknown */
} topk_state;

/* ---- oracle -----------------------------------------------------------------
 * Brute force written for the bench alone, sharing no code with the library:
 * plain loops in long double, and the rules of include/brigade/ops.h: cosine
 * = q.b / (|q| |b|), 0 when either is a zero vector; scores descending, ties
 * to the lower database index. */

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

/* Cosine of query qi (norm q_norm) and database row b. */
static double true_score(const topk_case *tc, int64_t qi, long double q_norm, int64_t b)
{
    long double den = q_norm * tc->db_norms[b];
    if (den == 0) return 0.0;
    return (double)(dot(tc->q + qi * tc->dim, tc->db + b * tc->dim, tc->dim) / den);
}

static long double query_norm(const topk_case *tc, int64_t qi)
{
    const float *q = tc->q + qi * tc->dim;
    return sqrtl(dot(q, q, tc->dim));
}

static void norms_range(int64_t begin, int64_t end, void *ctx)
{
    topk_case *tc = ctx;
    for (int64_t b = begin; b < end; b++) {
        const float *row = tc->db + b * tc->dim;
        tc->db_norms[b] = sqrtl(dot(row, row, tc->dim));
    }
}

/* Sampled query s against every row: a sorted list of the k best. */
static void oracle_range(int64_t begin, int64_t end, void *ctx)
{
    topk_case *tc = ctx;
    int64_t k = tc->k;
    for (int64_t s = begin; s < end; s++) {
        int64_t qi = sample_query(tc, s), *idx = tc->want_idx + s * k;
        long double q_norm = query_norm(tc, qi);
        double *top = tc->want + s * k;
        int64_t have = 0;
        for (int64_t b = 0; b < tc->nb; b++) {
            double score = true_score(tc, qi, q_norm, b);
            /* its rank: after every row that scores as high (a lower index) */
            int64_t r = have < k ? have++ : k;
            while (r > 0 && score > top[r - 1]) r--;
            if (r == k) continue;
            int64_t last = have - 1;
            memmove(top + r + 1, top + r, (size_t)(last - r) * sizeof *top);
            memmove(idx + r + 1, idx + r, (size_t)(last - r) * sizeof *idx);
            top[r] = score;
            idx[r] = b;
        }
    }
}

static int64_t check_samples(int64_t nq, int64_t nb, int64_t dim)
{
    int64_t by_cost = (int64_t)(CHECK_MAX_MACS / ((double)nb * (double)dim));
    int64_t n = nq < CHECK_MAX_QUERIES ? nq : CHECK_MAX_QUERIES;
    if (by_cost < n) n = by_cost;
    return n > 0 ? n : 1;
}

static brg_status oracle(topk_case *tc)
{
    tc->n_samples = check_samples(tc->nq, tc->nb, tc->dim);
    tc->db_norms = malloc((size_t)tc->nb * sizeof *tc->db_norms);
    tc->want = malloc((size_t)(tc->n_samples * tc->k) * sizeof *tc->want);
    tc->want_idx = malloc((size_t)(tc->n_samples * tc->k) * sizeof *tc->want_idx);
    if (!tc->db_norms || !tc->want || !tc->want_idx) return BRG_ERR_OUT_OF_MEMORY;
    brg_status st = brg_bench_parallel(tc->nb, norms_range, tc);
    return st == BRG_OK ? brg_bench_parallel(tc->n_samples, oracle_range, tc) : st;
}

/* ---- the case interface ----------------------------------------------------- */

static float *alloc_floats(int64_t n)
{
    /* 64-byte alignment and a size rounded up to it, as aligned_alloc needs. */
    size_t bytes = ((size_t)n * sizeof(float) + 63) / 64 * 64;
    return aligned_alloc(64, bytes ? bytes : 64);
}

static brg_status topk_prepare(brg_bench_case *c, int check)
{
    topk_case *tc = c->impl;
    tc->q = alloc_floats(tc->nq * tc->dim);
    tc->db = alloc_floats(tc->nb * tc->dim);
    if (!tc->q || !tc->db) return BRG_ERR_OUT_OF_MEMORY;
    brg_status st = brg_bench_fill(tc->q, BRG_F32, tc->nq * tc->dim, QUERY_SEED);
    if (st == BRG_OK) st = brg_bench_fill(tc->db, BRG_F32, tc->nb * tc->dim, DB_SEED);
    return st == BRG_OK && check ? oracle(tc) : st;
}

/* path=host on every runner; path=index too on a GPU, where it differs:
 * the database stays on the device between calls. */
static int topk_variants(const brg_bench_case *c, brg_device *dev, const char **names, int cap)
{
    (void)c;
    names[0] = "host";
    if (brg_device_get_kind(dev) == BRG_DEVICE_CPU || cap < 2) return 1;
    names[1] = "index";
    return 2;
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
    *state = NULL;
    topk_state *s = calloc(1, sizeof *s);
    if (!s) return BRG_ERR_OUT_OF_MEMORY;
    *s = (topk_state){.tc = tc, .dev = dev, .path = variant};
    size_t total = 0;
    if (brg_device_memory(dev, &s->free_before, &total) != BRG_OK) s->free_before = 0;
    size_t n = (size_t)(tc->nq * tc->k);
    s->scores = malloc(n * sizeof *s->scores);
    s->indices = malloc(n * sizeof *s->indices);
    brg_status st = s->scores && s->indices ? BRG_OK : BRG_ERR_OUT_OF_MEMORY;
    if (st == BRG_OK) { /* first touch outside the clock */
        brg_bench_touch(s->scores, n * sizeof *s->scores);
        brg_bench_touch(s->indices, n * sizeof *s->indices);
    }
    if (st == BRG_OK && variant == PATH_INDEX)
        st = brg_index_create(dev, tc->db, tc->nb, tc->dim, BRG_METRIC_COSINE, &s->ix);
    if (st != BRG_OK) {
        topk_teardown(s);
        return st;
    }
    *state = s;
    return BRG_OK;
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

/* An estimate, not a measurement: the call frees its device memory before
 * it returns, so what it held is what stays resident (free memory before
 * setup - free memory now, at least the index's rows and norms: a small
 * index is lost in the driver's granularity, or on the emulator in the
 * host's noise) + what the call stages (queries, the database on
 * path=host, the results) + the workspace budget it may use at most. */
static int64_t topk_device_peak(const brg_bench_case *c, void *state)
{
    const topk_case *tc = c->impl;
    topk_state *s = state;
    size_t free_now = 0, total = 0, resident = 0;
    if (s->free_before && brg_device_memory(s->dev, &free_now, &total) == BRG_OK &&
        free_now < s->free_before)
        resident = s->free_before - free_now;
    size_t index = (size_t)(tc->nb * tc->dim) * sizeof(float) + (size_t)tc->nb * sizeof(double);
    if (s->path == PATH_INDEX && resident < index) resident = index;
    size_t staged = (size_t)(tc->nq * tc->dim) * sizeof(float) +
                    (size_t)(tc->nq * tc->k) * (sizeof(float) + sizeof(int64_t));
    if (s->path == PATH_HOST) staged += (size_t)(tc->nb * tc->dim) * sizeof(float);
    size_t budget = tc->workspace;
    if (!budget)
        budget = s->free_before / 4 < GPU_DEFAULT_BUDGET ? s->free_before / 4 : GPU_DEFAULT_BUDGET;
    return (int64_t)(resident + staged + budget);
}

/* The project's rule at every rank r of a sampled query: the index is a
 * row, not returned twice; the returned score and the returned row's true
 * score both equal the oracle's r-th score within 1e-5. 0 when it holds,
 * else 1 and (detail not NULL) the first rank that breaks it. */
static int check_query(const topk_case *tc, const topk_state *s, int64_t sample, char *detail,
                       size_t cap)
{
    int64_t qi = sample_query(tc, sample), k = tc->k;
    const float *got = s->scores + qi * k;
    const int64_t *idx = s->indices + qi * k;
    const double *want = tc->want + sample * k;
    long double q_norm = query_norm(tc, qi);
    for (int64_t r = 0; r < k; r++) {
        int dup = 0;
        for (int64_t p = 0; p < r; p++) dup |= idx[p] == idx[r];
        double truth = idx[r] >= 0 && idx[r] < tc->nb ? true_score(tc, qi, q_norm, idx[r]) : NAN;
        if (!dup && fabs((double)got[r] - want[r]) <= CHECK_TOL &&
            fabs(truth - want[r]) <= CHECK_TOL)
            continue;
        if (!detail) return 1;
        snprintf(detail, cap, "query %lld rank %lld: got row %lld score %.9g (true %.9g%s), "
                 "oracle row %lld score %.9g", (long long)qi, (long long)r, (long long)idx[r],
                 (double)got[r], truth, dup ? ", returned twice" : "",
                 (long long)tc->want_idx[sample * k + r], want[r]);
        return 1;
    }
    return 0;
}

static brg_status topk_verify(const brg_bench_case *c, void *state, int *pass, char *detail,
                              size_t cap)
{
    const topk_case *tc = c->impl;
    const topk_state *s = state;
    int64_t bad = 0;
    char first[BRG_BENCH_REASON_LEN] = "";
    for (int64_t i = 0; i < tc->n_samples; i++)
        bad += check_query(tc, s, i, bad ? NULL : first, sizeof first);
    *pass = bad == 0;
    detail[0] = '\0';
    if (bad)
        snprintf(detail, cap, "%lld of %lld sampled queries differ from the oracle; first %s",
                 (long long)bad, (long long)tc->n_samples, first);
    return BRG_OK;
}

/* ---- the sgemm reference ---------------------------------------------------- */

/* The block of the nq x nb output the reference computes: all of it when
 * it fits (without a budget: in a quarter of MemAvailable; under
 * --workspace: in the budget clamped to [64 MiB, 1 GiB], so that the
 * reference does not raise the process's peak memory above the top-k's),
 * else a block of at most 1 GiB (or that budget), as square as the shape
 * allows: a thin slice of queries runs OpenBLAS measurably slower (167 x
 * 1e5 x 1000: about 12% below 2684 x 1e5 or 4096 x 4096 on the 2-core
 * machine), and the fraction would flatter top-k. */
static void reference_block(const topk_case *tc, int64_t *rows, int64_t *cols, size_t *cap_out)
{
    size_t full = (size_t)tc->nq * (size_t)tc->nb * sizeof(float), cap;
    if (tc->workspace) {
        cap = tc->workspace < 64 * MIB ? 64 * MIB : tc->workspace > GIB ? GIB : tc->workspace;
    } else {
        size_t quarter = brg_bench_host_available() / 4;
        cap = full <= quarter ? full : quarter > 0 && quarter < GIB ? quarter : GIB;
    }
    *cap_out = cap;
    int64_t elems = (int64_t)(cap / sizeof(float));
    int64_t r = (int64_t)sqrt((double)elems);
    r = r < 1 ? 1 : r > tc->nq ? tc->nq : r;
    int64_t c = elems / r;
    c = c < 1 ? 1 : c > tc->nb ? tc->nb : c;
    r = elems / c; /* a narrow database leaves room for more queries */
    *rows = r < 1 ? 1 : r > tc->nq ? tc->nq : r;
    *cols = c;
}

static double sgemm_once(const topk_case *tc, int64_t rows, int64_t cols, float *out)
{
    double t0 = brg_bench_now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)cols, (int)tc->dim,
                1.0f, tc->q, (int)tc->dim, tc->db, (int)tc->dim, 0.0f, out, (int)cols);
    return brg_bench_now() - t0;
}

/* C = Q . DB^T with OpenBLAS's own threads, as a user would call it: the
 * same warm-up and number of runs as the top-k, the median scaled to the
 * whole nq x nb output when only a block was computed. */
static brg_status topk_reference(brg_bench_case *c, const brg_bench_options *opts,
                                 double *seconds, char *note, size_t cap)
{
    const topk_case *tc = c->impl;
    size_t out_cap = 0;
    int64_t rows = 0, cols = 0;
    reference_block(tc, &rows, &cols, &out_cap);
    if (cols > INT32_MAX || tc->dim > INT32_MAX || rows > INT32_MAX)
        return BRG_ERR_OVERFLOW; /* cblas takes int dimensions */
    size_t bytes = (size_t)rows * (size_t)cols * sizeof(float);
    float *out = malloc(bytes);
    if (!out) return BRG_ERR_OUT_OF_MEMORY;
    brg_bench_touch(out, bytes); /* first touch outside the clock */
    double times[1000];
    double factor = (double)tc->nq / (double)rows * ((double)tc->nb / (double)cols);
    int n = opts->repeat < 1000 ? opts->repeat : 1000;
    /* A block is cheap next to the call it stands for (the huge suite: 0.5 s
     * for a 5-minute call), and one such sample on a shared machine is
     * noise: at least REFERENCE_MIN_BLOCK_RUNS of them. */
    if (factor > 1.0 && n < REFERENCE_MIN_BLOCK_RUNS) n = REFERENCE_MIN_BLOCK_RUNS;
    if (opts->warmup) sgemm_once(tc, rows, cols, out);
    for (int r = 0; r < n; r++) times[r] = sgemm_once(tc, rows, cols, out);
    free(out);
    double median = brg_bench_median(times, n);
    *seconds = median * factor;
    if (factor == 1.0)
        snprintf(note, cap, "sgemm %.6g s (OpenBLAS, same shape, full %lld x %lld output, "
                 "median of %d)", *seconds, (long long)tc->nq, (long long)tc->nb, n);
    else
        snprintf(note, cap, "sgemm %.6g s: extrapolated from %lld queries x %lld rows "
                 "(%.6g s x %.6g; OpenBLAS, output capped at %zu MiB, median of %d)", *seconds,
                 (long long)rows, (long long)cols, median, factor, out_cap / MIB, n);
    return BRG_OK;
}

/* The reference once, paired with a top-k run (bench.h): only where the
 * whole output is small, so that allocating it per pair costs little. */
static brg_status topk_reference_once(brg_bench_case *c, double *seconds)
{
    const topk_case *tc = c->impl;
    size_t bytes = (size_t)tc->nq * (size_t)tc->nb * sizeof(float);
    if (bytes > PAIRED_REFERENCE_MAX || tc->nb > INT32_MAX || tc->dim > INT32_MAX ||
        tc->nq > INT32_MAX)
        return BRG_ERR_UNSUPPORTED;
    float *out = malloc(bytes);
    if (!out) return BRG_ERR_OUT_OF_MEMORY;
    brg_bench_touch(out, bytes);
    sgemm_once(tc, tc->nq, tc->nb, out); /* OpenBLAS's threads wake up */
    *seconds = sgemm_once(tc, tc->nq, tc->nb, out);
    free(out);
    return BRG_OK;
}

static void topk_destroy(brg_bench_case *c)
{
    topk_case *tc = c->impl;
    if (!tc) return;
    free(tc->q);
    free(tc->db);
    free(tc->db_norms);
    free(tc->want);
    free(tc->want_idx);
    free(tc);
    c->impl = NULL;
}

static const brg_bench_case_i topk_case_i = {
    .prepare = topk_prepare,
    .variants = topk_variants,
    .setup = topk_setup,
    .run = topk_run,
    .verify = topk_verify,
    .teardown = topk_teardown,
    .device_peak = topk_device_peak,
    .reference = topk_reference,
    .reference_once = topk_reference_once,
    .destroy = topk_destroy,
};

/* ---- planning ------------------------------------------------------------- */

/* --scale shrinks nb and nq and keeps dim (and k <= nb). */
static int64_t scaled(int64_t n, double scale, int64_t least)
{
    int64_t v = llround((double)n * scale);
    return v > least ? v : least;
}

static void topk_params(const topk_case *tc, brg_bench_params *p)
{
    p->count = 0;
    brg_bench_params_int(p, "nb", tc->nb);
    brg_bench_params_int(p, "dim", tc->dim);
    brg_bench_params_int(p, "nq", tc->nq);
    brg_bench_params_int(p, "k", tc->k);
    if (tc->workspace) brg_bench_params_int(p, "workspace", (int64_t)tc->workspace);
    /* "path" is appended per runner (variants) */
}

static brg_status plan_case(const brg_bench_options *opts, const topk_def *d, brg_bench_case *c)
{
    topk_case *tc = calloc(1, sizeof *tc);
    if (!tc) return BRG_ERR_OUT_OF_MEMORY;
    tc->k = TOPK_K;
    tc->nb = scaled(d->nb, opts->scale, tc->k);
    tc->nq = scaled(d->nq, opts->scale, 1);
    tc->dim = d->dim;
    tc->workspace = opts->workspace_bytes;
    size_t in = (size_t)((tc->nq + tc->nb) * tc->dim) * sizeof(float);
    size_t out = (size_t)(tc->nq * tc->k) * (sizeof(float) + sizeof(int64_t));
    int64_t samples = opts->check ? check_samples(tc->nq, tc->nb, tc->dim) : 0;
    memset(c, 0, sizeof *c);
    c->workload = "cosine_topk";
    c->ops = &topk_case_i;
    c->variant_key = "path";
    topk_params(tc, &c->params);
    /* Host: the data, the results, the oracle's norms and answers. */
    c->host_bytes = in + out + (opts->check ? (size_t)tc->nb * sizeof(long double) +
                                              (size_t)(samples * tc->k) * 16 : 0);
    /* A GPU's: the data, the norms of an index, the results, the budget. */
    c->device_bytes = in + (size_t)tc->nb * sizeof(double) + out +
                      (tc->workspace ? tc->workspace : GPU_DEFAULT_BUDGET);
    c->read_bytes = 0; /* compute-bound: gbs is null */
    c->flops = 2.0 * (double)tc->nq * (double)tc->nb * (double)tc->dim;
    c->impl = tc;
    return BRG_OK;
}

static int planned(const topk_def *d, brg_bench_size size)
{
    if (size == BRG_BENCH_HUGE) return d->min_size == BRG_BENCH_HUGE;
    return d->min_size != BRG_BENCH_HUGE && d->min_size <= size;
}

static brg_status plan_topk(const brg_bench_workload *w, const brg_bench_options *opts,
                            brg_bench_case *cases, int *count, int cap)
{
    (void)w;
    for (size_t i = 0; i < sizeof topk_defs / sizeof topk_defs[0]; i++) {
        if (!planned(&topk_defs[i], opts->size)) continue;
        if (*count >= cap) return BRG_ERR_OVERFLOW;
        brg_status st = plan_case(opts, &topk_defs[i], &cases[*count]);
        if (st != BRG_OK) return st;
        (*count)++;
    }
    return BRG_OK;
}

const brg_bench_workload brg_bench_cosine_topk = {"cosine_topk", plan_topk};

int brg_bench_topk_shapes(const brg_bench_options *opts, brg_bench_topk_shape *out, int cap)
{
    int n = 0;
    for (size_t i = 0; i < sizeof topk_defs / sizeof topk_defs[0] && n < cap; i++) {
        if (!planned(&topk_defs[i], opts->size)) continue;
        out[n].k = TOPK_K;
        out[n].nb = scaled(topk_defs[i].nb, opts->scale, TOPK_K);
        out[n].nq = scaled(topk_defs[i].nq, opts->scale, 1);
        out[n].dim = topk_defs[i].dim;
        n++;
    }
    return n;
}

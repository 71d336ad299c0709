/* Workloads mean_rows (reshape(n, -1).mean(axis=1)) and mean_chunks (the
 * means of np.array_split(x, n)) on tensors uploaded once; the oracle sums
 * each part in long double, independently of the library. */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The tutorial's sizes (f32: Part 2's GPU line, torch.rand). rows: reshape to
 * parts x -1 and brg_mean_rows; else brg_mean_chunks. */
static const struct {
    const char *workload;
    int rows;
    int64_t size, parts;           /* elements at --scale 1; rows or chunks */
    brg_dtype dtype;
    brg_bench_size min_size;       /* the smallest --size that runs it */
} mean_defs[] = {
    {"mean_rows", 1, 100000000, 100000, BRG_F64, BRG_BENCH_SMALL},
    {"mean_rows", 1, 1000000000, 100000, BRG_F64, BRG_BENCH_SEED},
    {"mean_rows", 1, 100000000, 100000, BRG_F32, BRG_BENCH_SMALL},
    {"mean_rows", 1, 1000000000, 100000, BRG_F32, BRG_BENCH_SEED},
    {"mean_chunks", 0, 100000000, 100000, BRG_F64, BRG_BENCH_SMALL},
    {"mean_chunks", 0, 100000000, 1000, BRG_F64, BRG_BENCH_SMALL},
};

enum { MEAN_SEED = 20240601 };

typedef struct mean_case {
    int rows;
    int64_t n, parts;
    brg_dtype dtype;
    void *x;                       /* n host values */
    long double *want;             /* parts oracle means (with check) */
    long double *mean_abs;         /* parts means of |x|: the tolerance's scale */
} mean_case;

typedef struct mean_state {
    const mean_case *mc;
    brg_tensor *x, *view, *out;
} mean_state;

/* Part p of array_split(n, parts): the first n % parts parts have one more. */
static brg_status oracle_part(int64_t p, void *result, void *ctx)
{
    (void)result;
    mean_case *mc = ctx;
    int64_t q = mc->n / mc->parts, rest = mc->n % mc->parts;
    int64_t start = p * q + (p < rest ? p : rest), len = q + (p < rest);
    long double s = 0, a = 0;
    for (int64_t i = start; i < start + len; i++) {
        long double v = mc->dtype == BRG_F64 ? (long double)((const double *)mc->x)[i]
                                             : (long double)((const float *)mc->x)[i];
        s += v;
        a += fabsl(v);
    }
    mc->want[p] = len ? s / len : NAN;
    mc->mean_abs[p] = len ? a / len : 0;
    return BRG_OK;
}

static brg_status mean_prepare(brg_bench_case *c, int check)
{
    mean_case *mc = c->impl;
    mc->x = brg_bench_alloc((size_t)mc->n * brg_dtype_size(mc->dtype));
    if (!mc->x) return BRG_ERR_OUT_OF_MEMORY;
    brg_status st = brg_bench_fill(mc->x, mc->dtype, mc->n, MEAN_SEED);
    if (st != BRG_OK || !check) return st;
    mc->want = malloc((size_t)mc->parts * sizeof *mc->want);
    mc->mean_abs = malloc((size_t)mc->parts * sizeof *mc->mean_abs);
    if (!mc->want || !mc->mean_abs) return BRG_ERR_OUT_OF_MEMORY;
    return brg_bench_parallel(mc->parts, oracle_part, mc);
}

static void mean_teardown(void *state)
{
    mean_state *s = state;
    if (!s) return;
    brg_tensor_free(s->out);
    brg_tensor_free(s->view);
    brg_tensor_free(s->x);
    free(s);
}

static brg_status mean_setup(brg_bench_case *c, brg_device *dev, int variant, void **state)
{
    (void)variant; /* one variant */
    const mean_case *mc = c->impl;
    mean_state *s = calloc(1, sizeof *s);
    *state = s;
    if (!s) return BRG_ERR_OUT_OF_MEMORY;
    s->mc = mc;
    size_t bytes = (size_t)mc->n * brg_dtype_size(mc->dtype);
    brg_status st = brg_tensor_from_host(dev, mc->dtype, 1, (int64_t[1]){mc->n}, mc->x, bytes,
                                         &s->x);
    if (st == BRG_OK && mc->rows)
        st = brg_tensor_reshape(s->x, 2, (int64_t[2]){mc->parts, -1}, &s->view);
    if (st == BRG_OK)
        st = brg_tensor_create(dev, mc->dtype, 1, (int64_t[1]){mc->parts}, &s->out);
    if (st != BRG_OK) {
        mean_teardown(s);
        *state = NULL;
    }
    return st;
}

static brg_status mean_run(void *state)
{
    mean_state *s = state;
    if (s->mc->rows) return brg_mean_rows(s->view, s->out);
    return brg_mean_chunks(s->x, s->mc->parts, s->out);
}

/* Within f64: 1e-12 relative plus 1e-14 of the part's mean |x| (far looser
 * than a compensated sum needs, far tighter than a naive one of 1e4 values
 * can miss by); f32: 1e-6 relative plus 1e-7 of mean |x|, as tests/oracle.c.
 * NaN (an empty part) matches NaN. */
static brg_status mean_verify(const brg_bench_case *c, void *state, int *pass, char *detail,
                              size_t cap)
{
    const mean_case *mc = c->impl;
    size_t bytes = (size_t)mc->parts * brg_dtype_size(mc->dtype);
    void *out = malloc(bytes ? bytes : 1);
    if (!out) return BRG_ERR_OUT_OF_MEMORY;
    brg_status st = brg_tensor_to_host(((mean_state *)state)->out, out, bytes);
    int64_t bad = 0, first = -1;
    long double first_tol = 0, rel = mc->dtype == BRG_F64 ? 1e-12L : 1e-6L;
    long double abs_scale = mc->dtype == BRG_F64 ? 1e-14L : 1e-7L;
    for (int64_t p = 0; st == BRG_OK && p < mc->parts; p++) {
        double got = mc->dtype == BRG_F64 ? ((double *)out)[p] : ((float *)out)[p];
        long double want = mc->want[p];
        long double tol = rel * fabsl(want) + abs_scale * mc->mean_abs[p];
        if (isnan(want) ? isnan(got) : isinf(want) ? got == want
            : isfinite(got) && fabsl((long double)got - want) <= tol)
            continue;
        if (bad++ == 0) {
            first = p;
            first_tol = tol;
        }
    }
    *pass = bad == 0;
    if (bad)
        snprintf(detail, cap, "%lld of %lld %s differ from the oracle; first %s %lld: got %.17g, "
                 "want %.17Lg, tolerance %.3Lg", (long long)bad, (long long)mc->parts,
                 mc->rows ? "rows" : "chunks", mc->rows ? "row" : "chunk", (long long)first,
                 mc->dtype == BRG_F64 ? ((double *)out)[first] : ((float *)out)[first],
                 mc->want[first], first_tol);
    free(out);
    return st;
}

static void mean_release(brg_bench_case *c)
{
    mean_case *mc = c->impl;
    free(mc->x);
    free(mc->want);
    free(mc->mean_abs);
    mc->x = mc->want = mc->mean_abs = NULL;
}

static const brg_bench_case_i mean_case_i = {
    .prepare = mean_prepare, .setup = mean_setup,       .run = mean_run,
    .verify = mean_verify,   .teardown = mean_teardown, .release = mean_release,
};

/* --scale shrinks the element count and keeps n (rows or chunks): the
 * tutorial's reshape(n, -1) then has shorter rows. */
static brg_status plan_means(const brg_bench_workload *w, const brg_bench_options *opts,
                             brg_bench_case *cases, int *count, int cap)
{
    if (opts->size == BRG_BENCH_HUGE) return BRG_OK; /* the huge suite is top-k alone */
    for (size_t i = 0; i < sizeof mean_defs / sizeof mean_defs[0]; i++) {
        if (strcmp(mean_defs[i].workload, w->name) != 0 || mean_defs[i].min_size > opts->size)
            continue;
        mean_case *mc = *count < cap ? calloc(1, sizeof *mc) : NULL;
        if (!mc) return *count < cap ? BRG_ERR_OUT_OF_MEMORY : BRG_ERR_OVERFLOW;
        *mc = (mean_case){.rows = mean_defs[i].rows, .parts = mean_defs[i].parts,
                          .dtype = mean_defs[i].dtype};
        int64_t cols = llround((double)(mean_defs[i].size / mc->parts) * opts->scale);
        int64_t n = llround((double)mean_defs[i].size * opts->scale);
        mc->n = mc->rows ? mc->parts * (cols > 0 ? cols : 1) : n > 0 ? n : 1;
        size_t in = (size_t)mc->n * brg_dtype_size(mc->dtype);
        size_t out = (size_t)mc->parts * brg_dtype_size(mc->dtype);
        size_t oracle = opts->check ? 2 * (size_t)mc->parts * sizeof(long double) : 0;
        brg_bench_case *c = &cases[(*count)++];
        /* Host: the data, the oracle, the output copied back by verify. No flops:
         * memory-bound, gflops is null. */
        *c = (brg_bench_case){.workload = w->name, .ops = &mean_case_i, .impl = mc,
                              .host_bytes = in + out + oracle, .device_bytes = in + out,
                              .read_bytes = in};
        brg_bench_params_int(&c->params, mc->rows ? "rows" : "n", mc->parts);
        brg_bench_params_int(&c->params, mc->rows ? "cols" : "size",
                             mc->rows ? mc->n / mc->parts : mc->n);
        brg_bench_params_str(&c->params, "dtype", brg_dtype_name(mc->dtype));
    }
    return BRG_OK;
}

const brg_bench_workload brg_bench_means[2] = {{"mean_rows", plan_means},
                                               {"mean_chunks", plan_means}};

/* Workloads mean_rows and mean_chunks: the tutorial's
 *   big_array.reshape(n, -1).mean(axis=1)          (mean_rows)
 *   [c.mean() for c in np.array_split(big_array, n)] (mean_chunks)
 * on tensors uploaded once; only the brigade call is timed. The oracle sums
 * each row or chunk in long double, independently of the library. */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct mean_def {
    const char *workload;
    int rows;                    /* 1: reshape to parts x -1, brg_mean_rows */
    int64_t size;                /* elements at --scale 1 */
    int64_t parts;               /* rows, or chunks */
    brg_dtype dtype;
    brg_bench_size min_size;     /* the smallest --size that runs it */
} mean_def;

/* The tutorial's sizes: n = 100,000 rows of 1,000 or 10,000 values, and
 * array_split of 1e8 values into many small or few large chunks. */
static const mean_def mean_defs[] = {
    {"mean_rows", 1, 100000000, 100000, BRG_F64, BRG_BENCH_SMALL},
    {"mean_rows", 1, 1000000000, 100000, BRG_F64, BRG_BENCH_SEED},
    {"mean_rows", 1, 100000000, 100000, BRG_F32, BRG_BENCH_SMALL},
    {"mean_rows", 1, 1000000000, 100000, BRG_F32, BRG_BENCH_SEED}, /* Part 2's GPU: torch f32 */
    {"mean_chunks", 0, 100000000, 100000, BRG_F64, BRG_BENCH_SMALL},
    {"mean_chunks", 0, 100000000, 1000, BRG_F64, BRG_BENCH_SMALL},
};

enum { MEAN_SEED = 20240601 };

typedef struct mean_case {
    int rows;
    int64_t n, parts;
    brg_dtype dtype;
    void *x;                     /* n host values */
    long double *want;           /* parts oracle means (with check) */
    long double *mean_abs;       /* parts means of |x|: the tolerance's scale */
} mean_case;

typedef struct mean_state {
    const mean_case *mc;
    brg_tensor *x, *view, *out;
} mean_state;

/* ---- oracle --------------------------------------------------------------- */

/* Part p of array_split(n, parts): the first n % parts parts have one more. */
static void split_part(int64_t n, int64_t parts, int64_t p, int64_t *start, int64_t *len)
{
    int64_t q = n / parts, r = n % parts;
    *start = p * q + (p < r ? p : r);
    *len = q + (p < r ? 1 : 0);
}

static void oracle_range(int64_t begin, int64_t end, void *ctx)
{
    mean_case *mc = ctx;
    for (int64_t p = begin; p < end; p++) {
        int64_t start, len;
        split_part(mc->n, mc->parts, p, &start, &len);
        long double s = 0, a = 0;
        for (int64_t i = start; i < start + len; i++) {
            long double v = mc->dtype == BRG_F64 ? (long double)((const double *)mc->x)[i]
                                                 : (long double)((const float *)mc->x)[i];
            s += v;
            a += fabsl(v);
        }
        mc->want[p] = len ? s / len : NAN;
        mc->mean_abs[p] = len ? a / len : 0;
    }
}

/* f64: 1e-12 relative plus 1e-14 of the part's mean |x| (far looser than a
 * compensated sum needs, far tighter than a naive one of 1e4 values can
 * miss by); f32: 1e-6 relative plus 1e-7 of mean |x|, as tests/oracle.c. */
static int mean_close(double got, long double want, long double mean_abs, brg_dtype dtype,
                      long double *tol)
{
    long double rel = dtype == BRG_F64 ? 1e-12L : 1e-6L;
    long double abs_scale = dtype == BRG_F64 ? 1e-14L : 1e-7L;
    *tol = rel * fabsl(want) + abs_scale * mean_abs;
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    return isfinite(got) && fabsl((long double)got - want) <= *tol;
}

/* ---- the case interface ----------------------------------------------------- */

static brg_status mean_prepare(brg_bench_case *c, int check)
{
    mean_case *mc = c->impl;
    size_t esize = brg_dtype_size(mc->dtype);
    /* 64-byte alignment and a size rounded up to it, as aligned_alloc needs. */
    size_t bytes = ((size_t)mc->n * esize + 63) / 64 * 64;
    mc->x = aligned_alloc(64, bytes ? bytes : 64);
    if (!mc->x) return BRG_ERR_OUT_OF_MEMORY;
    brg_status st = brg_bench_fill(mc->x, mc->dtype, mc->n, MEAN_SEED);
    if (st != BRG_OK || !check) return st;
    mc->want = malloc((size_t)mc->parts * sizeof *mc->want);
    mc->mean_abs = malloc((size_t)mc->parts * sizeof *mc->mean_abs);
    if (!mc->want || !mc->mean_abs) return BRG_ERR_OUT_OF_MEMORY;
    return brg_bench_parallel(mc->parts, oracle_range, mc);
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
    *state = NULL;
    mean_state *s = calloc(1, sizeof *s);
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
        return st;
    }
    *state = s;
    return BRG_OK;
}

static brg_status mean_run(void *state)
{
    mean_state *s = state;
    if (s->mc->rows) return brg_mean_rows(s->view, s->out);
    return brg_mean_chunks(s->x, s->mc->parts, s->out);
}

static double got_at(const mean_case *mc, const void *out, int64_t p)
{
    return mc->dtype == BRG_F64 ? ((const double *)out)[p] : (double)((const float *)out)[p];
}

static brg_status mean_verify(const brg_bench_case *c, void *state, int *pass, char *detail,
                              size_t cap)
{
    const mean_case *mc = c->impl;
    mean_state *s = state;
    size_t bytes = (size_t)mc->parts * brg_dtype_size(mc->dtype);
    void *out = malloc(bytes ? bytes : 1);
    if (!out) return BRG_ERR_OUT_OF_MEMORY;
    brg_status st = brg_tensor_to_host(s->out, out, bytes);
    if (st != BRG_OK) {
        free(out);
        return st;
    }
    int64_t bad = 0, first = -1;
    long double first_tol = 0;
    for (int64_t p = 0; p < mc->parts; p++) {
        long double tol;
        if (mean_close(got_at(mc, out, p), mc->want[p], mc->mean_abs[p], mc->dtype, &tol)) continue;
        if (bad++ == 0) {
            first = p;
            first_tol = tol;
        }
    }
    *pass = bad == 0;
    detail[0] = '\0';
    if (bad)
        snprintf(detail, cap, "%lld of %lld %s differ from the oracle; first %s %lld: got %.17g, "
                 "want %.17Lg, tolerance %.3Lg", (long long)bad, (long long)mc->parts,
                 mc->rows ? "rows" : "chunks", mc->rows ? "row" : "chunk", (long long)first,
                 got_at(mc, out, first), mc->want[first], first_tol);
    free(out);
    return BRG_OK;
}

static void mean_destroy(brg_bench_case *c)
{
    mean_case *mc = c->impl;
    if (!mc) return;
    free(mc->x);
    free(mc->want);
    free(mc->mean_abs);
    free(mc);
    c->impl = NULL;
}

static const brg_bench_case_i mean_case_i = {
    .prepare = mean_prepare,
    .setup = mean_setup,
    .run = mean_run,
    .verify = mean_verify,
    .teardown = mean_teardown,
    .destroy = mean_destroy,
};

/* ---- planning ------------------------------------------------------------- */

/* --scale shrinks the element count and keeps n (rows or chunks): the
 * tutorial's reshape(n, -1) then has shorter rows. */
static void scaled_shape(const mean_def *d, double scale, int64_t *n, int64_t *parts)
{
    *parts = d->parts;
    if (d->rows) {
        int64_t cols = llround((double)(d->size / d->parts) * scale);
        *n = d->parts * (cols > 0 ? cols : 1);
        return;
    }
    *n = llround((double)d->size * scale);
    if (*n < 1) *n = 1;
}

static void mean_params(const mean_case *mc, brg_bench_params *p)
{
    p->count = 0;
    if (mc->rows) {
        brg_bench_params_int(p, "rows", mc->parts);
        brg_bench_params_int(p, "cols", mc->n / mc->parts);
    } else {
        brg_bench_params_int(p, "n", mc->parts);
        brg_bench_params_int(p, "size", mc->n);
    }
    brg_bench_params_str(p, "dtype", brg_dtype_name(mc->dtype));
}

static brg_status plan_case(const brg_bench_options *opts, const mean_def *d, brg_bench_case *c)
{
    mean_case *mc = calloc(1, sizeof *mc);
    if (!mc) return BRG_ERR_OUT_OF_MEMORY;
    mc->rows = d->rows;
    mc->dtype = d->dtype;
    scaled_shape(d, opts->scale, &mc->n, &mc->parts);
    size_t esize = brg_dtype_size(d->dtype);
    size_t in = (size_t)mc->n * esize, out = (size_t)mc->parts * esize;
    memset(c, 0, sizeof *c);
    c->workload = d->workload;
    c->ops = &mean_case_i;
    mean_params(mc, &c->params);
    /* Host: the data, the oracle, and the output copied back by verify. */
    c->host_bytes = in + out + (opts->check ? 2 * (size_t)mc->parts * sizeof(long double) : 0);
    c->device_bytes = in + out;
    c->read_bytes = in;
    c->flops = 0; /* memory-bound: gflops is null */
    c->impl = mc;
    return BRG_OK;
}

static brg_status plan_means(const brg_bench_workload *w, const brg_bench_options *opts,
                             brg_bench_case *cases, int *count, int cap)
{
    if (opts->size == BRG_BENCH_HUGE) return BRG_OK; /* the huge suite is top-k alone */
    for (size_t i = 0; i < sizeof mean_defs / sizeof mean_defs[0]; i++) {
        const mean_def *d = &mean_defs[i];
        if (strcmp(d->workload, w->name) != 0 || d->min_size > opts->size) continue;
        if (*count >= cap) return BRG_ERR_OVERFLOW;
        brg_status st = plan_case(opts, d, &cases[*count]);
        if (st != BRG_OK) return st;
        (*count)++;
    }
    return BRG_OK;
}

const brg_bench_workload brg_bench_means[2] = {{"mean_rows", plan_means},
                                               {"mean_chunks", plan_means}};

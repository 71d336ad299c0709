/* mean_chunks: the tutorial's
 *     big_array = np.random.rand(size); [np.mean(c) for c in np.array_split(big_array, n)]
 * The array is brg_fill_uniform_f64(seed) of `size` elements, made once by
 * prepare. Task i is the mean of chunk i, summed serially with the
 * library's compensated sum (src/accurate_sum.h): the pool supplies the
 * parallelism, so a task must not start threads of its own. On a device the
 * whole workload is one brg_mean_chunks_f64 call. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "accurate_sum.h"
#include "alloc.h"
#include "brigade/ops.h"
#include "backend.h"
#include "error.h"
#include "mean_plan.h"
#include "workload_impl.h"

static brg_status mean_prepare(brg_workload_ctx *c)
{
    if (c->p.size < 0)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "mean_chunks: size must be >= 0, got %lld",
                         (long long)c->p.size);
    size_t bytes;
    brg_status st = brg_bytes_of(c->p.size, sizeof(double), &bytes, "mean_chunks: size");
    if (st != BRG_OK) return st;
    c->data = brg_aligned_alloc(bytes);
    if (!c->data)
        return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "mean_chunks: cannot allocate %zu bytes for %lld "
                         "values", bytes, (long long)c->p.size);
    if (c->p.size == 0) return BRG_OK;
    /* The CPU backend's threaded fill: the same values as any device's. */
    const brg_backend_i *cpu = brg_backend_cpu();
    return cpu->fill_uniform(NULL, BRG_F64, c->p.seed, 0, 0, c->p.size, c->data);
}

static void mean_release(brg_workload_ctx *c)
{
    brg_aligned_free(c->data);
    c->data = NULL;
}

static double chunk_mean(const brg_workload_ctx *c, int64_t i)
{
    brg_mean_plan plan = brg_mean_plan_make(c->p.size, c->p.n, 1, 1);
    int64_t start = brg_mean_plan_chunk_start(&plan, i), len = brg_mean_plan_chunk_len(&plan, i);
    brg_dsum s = brg_dsum_zero();
    for (int64_t k = start; k < start + len; k++) brg_dsum_add(&s, c->data[k]);
    return brg_dsum_mean(s, len);
}

static brg_status mean_task(int64_t i, void *result, void *ctx)
{
    *(double *)result = chunk_mean(ctx, i);
    return BRG_OK;
}

static brg_status mean_reference(const brg_workload_ctx *c, void *results)
{
    double *r = results;
    for (int64_t i = 0; i < c->p.n; i++) r[i] = chunk_mean(c, i);
    return BRG_OK;
}

static brg_status mean_device(brg_workload_ctx *c, brg_device *dev, void *results)
{
    return brg_mean_chunks_f64(dev, c->data, c->p.size, c->p.n, results);
}

/* Devices sum in different orders, each within 2^-53 * sum|x| of the exact
 * sum (include/brigade/ops.h); the values are >= 0, so two means differ by
 * at most about 2 * 2^-53 * mean plus the roundings of the division. */
static int mean_same(const void *got, const void *want)
{
    double g, w;
    memcpy(&g, got, sizeof g);
    memcpy(&w, want, sizeof w);
    if (isnan(g) || isnan(w)) return isnan(g) && isnan(w);
    return fabs(g - w) <= 4 * 0x1p-53 * fabs(w);
}

static void format_mean(const void *item, char *buf, size_t cap)
{
    double v;
    memcpy(&v, item, sizeof v);
    snprintf(buf, cap, "%.17g", v);
}

const brg_workload_ops brg_workload_mean_chunks_ops = {
    .prepare = mean_prepare,
    .release = mean_release,
    .task = mean_task,
    .reference = mean_reference,
    .device = mean_device,
    .same = mean_same,
    .format = format_mean,
};

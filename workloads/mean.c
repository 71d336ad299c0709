/* mean_chunks: the tutorial's
 *     big_array = np.random.rand(size); [np.mean(c) for c in np.array_split(big_array, n)]
 * The array is brg_fill_uniform_f64(seed) of `size` elements, made once by
 * prepare on the host. Task i is the mean of chunk i: brg_mean_chunks_f64 of
 * that chunk alone on the host (one chunk: it runs on the task's thread, the
 * pool supplying the parallelism). On a device the whole workload is one
 * brg_mean_chunks_f64 call. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl.h"

static brg_status mean_prepare(brg_workload_ctx *c)
{
    if (c->p.size < 0)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "mean_chunks: size must be >= 0, got %lld",
                         (long long)c->p.size);
    size_t bytes = 0;
    brg_status st = brg_layered_bytes_of(c->p.size, sizeof(double), &bytes, "mean_chunks: size");
    if (st == BRG_OK) st = brg_workload_use_cpu(c);
    if (st != BRG_OK) return st;
    c->data = malloc(bytes ? bytes : 1);
    if (!c->data)
        return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "mean_chunks: cannot allocate %zu bytes for %lld "
                         "values", bytes, (long long)c->p.size);
    return brg_fill_uniform_f64(c->cpu, c->data, c->p.size, c->p.seed, NULL);
}

static void mean_release(brg_workload_ctx *c)
{
    free(c->data);
    c->data = NULL;
}

/* Chunk i of numpy.array_split(size, n): the first size % n chunks hold one
 * element more. */
static brg_status chunk_mean(const brg_workload_ctx *c, int64_t i, double *mean)
{
    int64_t q = c->p.size / c->p.n, r = c->p.size % c->p.n;
    int64_t start = i * q + (i < r ? i : r), len = q + (i < r);
    return brg_mean_chunks_f64(c->cpu, c->data + start, len, 1, mean);
}

static brg_status mean_task(int64_t i, void *result, void *ctx)
{
    return chunk_mean(ctx, i, result);
}

static brg_status mean_reference(const brg_workload_ctx *c, void *results)
{
    double *r = results;
    brg_status st = BRG_OK;
    for (int64_t i = 0; i < c->p.n && st == BRG_OK; i++) st = chunk_mean(c, i, &r[i]);
    return st;
}

static brg_status mean_device(brg_workload_ctx *c, brg_device *dev, void *results)
{
    return brg_mean_chunks_f64(dev, c->data, c->p.size, c->p.n, results);
}

/* Devices sum in different orders, each within 2^-53 * sum|x| of the exact
 * sum (brigade/ops.h); the values are >= 0, so two means differ by
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

/* prime_heavy and prime_range: the tutorial's is_prime (brg_is_prime) as
 * pool tasks, and on devices as one data-parallel call. */
#include <string.h>

#include "impl.h"

static brg_status no_prepare(brg_workload_ctx *c)
{
    (void)c; /* every int64_t value is valid, and i < n never overflows */
    return BRG_OK;
}

/* ---- prime_heavy: is_prime(value), n times --------------------------------------- */

static brg_status heavy_task(int64_t i, void *result, void *ctx)
{
    (void)i;
    const brg_workload_ctx *c = ctx;
    *(uint8_t *)result = (uint8_t)brg_is_prime(c->p.value);
    return BRG_OK;
}

/* Every task computes the same thing: one answer, n copies. */
static brg_status heavy_reference(const brg_workload_ctx *c, void *results)
{
    memset(results, brg_is_prime(c->p.value), (size_t)c->p.n);
    return BRG_OK;
}

static brg_status heavy_device(brg_workload_ctx *c, brg_device *dev, void *results)
{
    return brg_is_prime_repeat(dev, c->p.value, c->p.n, results);
}

const brg_workload_ops brg_workload_prime_heavy_ops = {
    .prepare = no_prepare,
    .task = heavy_task,
    .reference = heavy_reference,
    .device = heavy_device,
    .format = brg_workload_format_u8,
};

/* ---- prime_range: is_prime(i) for i < n -------------------------------------------- */

static brg_status range_task(int64_t i, void *result, void *ctx)
{
    (void)ctx;
    *(uint8_t *)result = (uint8_t)brg_is_prime(i);
    return BRG_OK;
}

static brg_status range_reference(const brg_workload_ctx *c, void *results)
{
    uint8_t *r = results;
    for (int64_t i = 0; i < c->p.n; i++) r[i] = (uint8_t)brg_is_prime(i);
    return BRG_OK;
}

static brg_status range_device(brg_workload_ctx *c, brg_device *dev, void *results)
{
    return brg_is_prime_range(dev, 0, c->p.n, results);
}

const brg_workload_ops brg_workload_prime_range_ops = {
    .prepare = no_prepare,
    .task = range_task,
    .reference = range_reference,
    .device = range_device,
    .format = brg_workload_format_u8,
};

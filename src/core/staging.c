#include "staging.h"

#include <stdatomic.h>

#include "error.h"

static atomic_size_t forced_budget;

void brg_test_set_staging_bytes(size_t bytes)
{
    atomic_store(&forced_budget, bytes);
}

size_t brg_staging_budget(brg_device *dev)
{
    size_t forced = atomic_load(&forced_budget);
    if (forced) return forced;
    size_t free_b = 0, total_b = 0, lo = (size_t)64 << 20, hi = (size_t)1 << 30;
    if (dev->be->mem_info(dev->ctx, &free_b, &total_b) != BRG_OK) return lo;
    size_t b = free_b / 2;
    return b < lo ? lo : b > hi ? hi : b;
}

brg_status brg_staging_begin(brg_device *dev, brg_staging *s, int64_t row_elems, int64_t rows,
                             size_t elem_size, const char *what)
{
    s->in = s->out = NULL;
    size_t row_bytes = (size_t)row_elems * elem_size; /* caller checked the total */
    size_t budget = brg_staging_budget(dev);
    int64_t per = row_bytes ? (int64_t)(budget / row_bytes) : rows;
    if (per < 1) per = 1;
    if (per > rows) per = rows;
    s->rows_per_batch = per;
    brg_status st = brg_device_alloc(dev, (size_t)per * row_bytes, &s->in, what);
    if (st == BRG_OK) st = brg_device_alloc(dev, (size_t)per * elem_size, &s->out, what);
    if (st != BRG_OK) brg_staging_end(dev, s);
    return st;
}

void brg_staging_end(brg_device *dev, brg_staging *s)
{
    brg_device_free(dev, s->in);
    brg_device_free(dev, s->out);
    s->in = s->out = NULL;
}

/* Private: how every backend cuts a mean-of-chunks call into work items.
 *
 * The input of n elements is cut as numpy.array_split(x, chunks): with
 * q = n / chunks and r = n % chunks, chunk i starts at i*q + min(i, r) and
 * has q + (i < r) elements. Mean of rows is the case n = rows*cols,
 * chunks = rows. When there are fewer chunks than the device has parallel
 * workers, each chunk is further split into `splits` slices of at most
 * `slice` elements, summed independently and merged (brg_dsum_merge). */
#ifndef BRG_MEAN_PLAN_H
#define BRG_MEAN_PLAN_H

#include <stdint.h>

#ifndef BRG_HD
#define BRG_HD static inline
#endif

typedef struct brg_mean_plan {
    int64_t n, chunks;
    int64_t q, r;        /* array_split quotient and remainder */
    int64_t splits;      /* slices per chunk, >= 1 */
    int64_t slice;       /* elements per slice, >= 1 */
} brg_mean_plan;

BRG_HD int64_t brg_ceil_div(int64_t a, int64_t b)
{
    return a / b + (a % b != 0);
}

/* n >= 0, chunks >= 1, target_items >= 1, min_slice >= 1. */
BRG_HD brg_mean_plan brg_mean_plan_make(int64_t n, int64_t chunks, int64_t target_items,
                                        int64_t min_slice)
{
    brg_mean_plan p;
    p.n = n;
    p.chunks = chunks;
    p.q = n / chunks;
    p.r = n % chunks;
    int64_t maxlen = p.q + (p.r != 0);
    p.splits = 1;
    if (chunks < target_items && maxlen > min_slice) {
        int64_t want = brg_ceil_div(target_items, chunks);
        int64_t most = brg_ceil_div(maxlen, min_slice);
        p.splits = want < most ? want : most;
    }
    p.slice = maxlen > 0 ? brg_ceil_div(maxlen, p.splits) : 1;
    return p;
}

BRG_HD int64_t brg_mean_plan_chunk_start(const brg_mean_plan *p, int64_t i)
{
    return i * p->q + (i < p->r ? i : p->r);
}

BRG_HD int64_t brg_mean_plan_chunk_len(const brg_mean_plan *p, int64_t i)
{
    return p->q + (i < p->r);
}

/* Element range [*lo, *hi) of work item `item` (chunk item / splits,
 * slice item % splits); possibly empty. */
BRG_HD void brg_mean_plan_item(const brg_mean_plan *p, int64_t item, int64_t *lo, int64_t *hi)
{
    int64_t chunk = item / p->splits;
    int64_t part = item % p->splits;
    int64_t start = brg_mean_plan_chunk_start(p, chunk);
    int64_t end = start + brg_mean_plan_chunk_len(p, chunk);
    int64_t a = start + part * p->slice;
    int64_t b = a + p->slice;
    if (a > end) a = end;
    if (b > end) b = end;
    *lo = a;
    *hi = b;
}

#endif

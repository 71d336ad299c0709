/* Private: the CPU backend's kernels (cpu_ref/), called through its table. */
#ifndef BRG_CPU_H
#define BRG_CPU_H

#include <stdint.h>
#include "backend.h"
#include "brigade/tensor.h"

struct brg_scratch_cache;

/* The CPU device's state (its backend ctx). The kernels also accept a NULL
 * ctx, and then keep nothing between calls. */
typedef struct brg_cpu_ctx {
    struct brg_scratch_cache *scratch; /* workspace kept between calls */
} brg_cpu_ctx;

brg_status brg_cpu_mean_chunks(void *ctx, brg_dtype dtype, const void *x, int64_t n,
                               int64_t chunks, void *out);
brg_status brg_cpu_row_norms(void *ctx, const float *x, int64_t rows, int64_t dim, double *norms,
                             int64_t *bad_row);
brg_status brg_cpu_topk(void *ctx, const brg_topk_call *call);
brg_status brg_cpu_topk_prepare(void *ctx, const float *db, int64_t nb, int64_t dim, int metric,
                                void **prepared);
void brg_cpu_topk_release(void *ctx, void *prepared);
brg_status brg_cpu_is_prime(void *ctx, int64_t start, int64_t step, int64_t n, uint8_t *out);
brg_status brg_cpu_fill_uniform(void *ctx, brg_dtype dtype, uint64_t seed, uint64_t stream,
                                int64_t offset, int64_t n, void *out);
brg_status brg_cpu_matmul_nt(void *ctx, const float *a, const float *b, float *c, int64_t m,
                           int64_t n, int64_t k, int allow_tf32);

/* The CPU top-k's memory per tile for the planner, with `threads` workers
 * (exposed for tests/test_planner.c). */
#include "topk_plan.h"
#include "topk_screen.h"
brg_topk_costs brg_cpu_topk_costs(const brg_topk_call *call, int threads, brg_screen_kind screen);

#endif

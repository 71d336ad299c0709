/* Private: the backend interface. A backend is a table of function pointers;
 * every device of it shares the table and has its own context. The CPU
 * backend fills every slot; a kernel slot left NULL means "unsupported here"
 * and the core reports BRG_ERR_UNSUPPORTED.
 *
 * All pointers passed to kernel slots are device pointers of that backend
 * (host pointers for the CPU). Arguments reaching a slot have been validated
 * by the core: counts are >= 0, sizes do not overflow, pointers are non-NULL
 * where data is read or written. */
#ifndef BRG_BACKEND_H
#define BRG_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include "brigade/device.h"
#include "brigade/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One top-k call as the core hands it to a backend; device pointers. */
typedef struct brg_topk_call {
    const float *queries;        /* nq x dim */
    int64_t nq;
    const float *db;             /* nb x dim */
    int64_t nb, dim, k;
    const double *db_norms;      /* nb row norms from a prepared index, or NULL: compute */
    double db_max_norm;          /* with db_norms: their maximum */
    int metric;                  /* BRG_METRIC_COSINE or BRG_METRIC_INNER_PRODUCT */
    int allow_tf32;
    size_t workspace_bytes;      /* 0: the backend's default budget */
    const void *prepared;        /* the backend's topk_prepare data for db (an index), or NULL */
    float *scores;               /* nq x k */
    int64_t *indices;            /* nq x k */
} brg_topk_call;

typedef struct brg_backend_i {
    const char     *name;            /* "cpu", "cuda", "hip", "emu" */
    brg_device_kind kind;
    int             host_memory;     /* 1: device pointers are host pointers */

    /* Devices present. On 0, reason holds why (the runtime's own words). Never crashes. */
    int        (*device_count)(char *reason, size_t reason_cap);
    /* Open device `index`; name receives a human-readable device name. */
    brg_status (*open)(int index, void **ctx, char *name, size_t name_cap);
    void       (*close)(void *ctx);

    brg_status (*alloc)(void *ctx, size_t bytes, void **ptr);
    void       (*free)(void *ctx, void *ptr);
    brg_status (*copy_h2d)(void *ctx, void *dst, const void *src, size_t bytes);
    brg_status (*copy_d2h)(void *ctx, void *dst, const void *src, size_t bytes);
    brg_status (*copy_d2d)(void *ctx, void *dst, const void *src, size_t bytes);
    brg_status (*mem_info)(void *ctx, size_t *free_bytes, size_t *total_bytes);
    brg_status (*synchronize)(void *ctx);

    /* ---- kernels ---- */
    /* out[i] = mean of chunk i of x[0..n) cut as numpy.array_split; chunks >= 1;
     * dtype BRG_F32 or BRG_F64 (x and out alike). */
    brg_status (*mean_chunks)(void *ctx, brg_dtype dtype, const void *x, int64_t n,
                              int64_t chunks, void *out);
    /* norms[r] = |row r| in double (src/shared/topk_exact.h); *bad_row = the first
     * row holding NaN or Inf, or -1. */
    brg_status (*row_norms)(void *ctx, const float *x, int64_t rows, int64_t dim, double *norms,
                            int64_t *bad_row);
    /* Top-k (include/brigade/ops.h semantics); arguments validated, nq >= 1. */
    brg_status (*topk)(void *ctx, const brg_topk_call *call);
    /* out[i] = is_prime(start + i * step) (src/shared/prime.h) for i in [0, n);
     * n >= 1; step is 0 (one value n times) or 1 (a range), and the core
     * checked that start + (n - 1) * step fits int64_t. */
    brg_status (*is_prime)(void *ctx, int64_t start, int64_t step, int64_t n, uint8_t *out);
    /* out[i] = element offset + i of the uniform [0, 1) stream (seed, stream)
     * of src/shared/philox.h; dtype BRG_F32 or BRG_F64; n >= 1; offset >= 0 and
     * offset + n fits int64_t. */
    brg_status (*fill_uniform)(void *ctx, brg_dtype dtype, uint64_t seed, uint64_t stream,
                               int64_t offset, int64_t n, void *out);
    /* c[m x n] = a[m x k] . b[n x k]^T in fp32, row-major (ops.h's
     * brg_matmul_nt); 1 <= m, n, k <= INT32_MAX. */
    brg_status (*matmul_nt)(void *ctx, const float *a, const float *b, float *c, int64_t m, int64_t n,
                          int64_t k, int allow_tf32);
    /* Optional (NULL: nothing to keep). What the backend's top-k derives from
     * a prepared index's rows (db: nb x dim on the device, validated, with
     * their norms) and keeps for every search of it, as brg_topk_call's
     * prepared; *prepared NULL when nothing pays here. topk_release frees
     * it. */
    brg_status (*topk_prepare)(void *ctx, const float *db, int64_t nb, int64_t dim, int metric,
                               void **prepared);
    void (*topk_release)(void *ctx, void *prepared);
} brg_backend_i;

/* The CPU backend's table, built into the core. The GPU backends and the
 * emulator are modules (src/core/module.h). */
const brg_backend_i *brg_backend_cpu(void);

#ifdef __cplusplus
}
#endif
#endif

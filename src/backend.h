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
} brg_backend_i;

/* Backend tables, each present when compiled in. */
const brg_backend_i *brg_backend_cpu(void);
const brg_backend_i *brg_backend_cuda(void);
const brg_backend_i *brg_backend_hip(void);
const brg_backend_i *brg_backend_emu(void);

#ifdef __cplusplus
}
#endif
#endif

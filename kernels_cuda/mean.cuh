/* Mean of chunks (and of rows) on the device. */
#ifndef BRG_KERNELS_MEAN_CUH
#define BRG_KERNELS_MEAN_CUH

#include "common.cuh"

namespace BRG_NS {

/* out[i] = mean of chunk i of x[0..n) cut as numpy.array_split; device
 * pointers; runs on the calling thread's stream and waits for it. */
brg_status mean_chunks(const dev_ctx *ctx, brg_dtype dtype, const void *x, int64_t n,
                       int64_t chunks, void *out);

} // namespace BRG_NS

#endif

/* Uniform [0, 1) fills from Philox4x32-10 on the device. */
#ifndef BRG_KERNELS_FILL_CUH
#define BRG_KERNELS_FILL_CUH

#include "common.cuh"

namespace BRG_NS {

/* out[i] = element offset + i of the stream (seed, stream) of src/shared/philox.h,
 * f32 or f64; out is a device pointer; runs on the calling thread's stream
 * and waits for it. */
brg_status fill_uniform(const dev_ctx *ctx, brg_dtype dtype, uint64_t seed, uint64_t stream,
                        int64_t offset, int64_t n, void *out);

} // namespace BRG_NS

#endif

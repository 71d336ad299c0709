/* is_prime over a range, or of one value many times, on the device. */
#ifndef BRG_KERNELS_PRIME_CUH
#define BRG_KERNELS_PRIME_CUH

#include "common.cuh"

namespace BRG_NS {

/* out[i] = is_prime(start + i * step) for i in [0, n) (src/shared/prime.h); out is
 * a device pointer; runs on the calling thread's stream and waits for it. */
brg_status is_prime(const dev_ctx *ctx, int64_t start, int64_t step, int64_t n, uint8_t *out);

} // namespace BRG_NS

#endif

/* is_prime on the device: one integer per GPU thread, grid-stride, with the
 * trial division of src/shared/prime.h that the CPU runs too, so every device gives
 * the same bytes. Items cost very different amounts (a prime near n takes
 * sqrt(n) / 2 divisions, most composites a handful), so a warp waits for its
 * slowest lane: cheap enough for the tutorial's sizes, and the answer does
 * not depend on it. */
#include "prime.cuh"

#include "prime.h"

namespace BRG_NS {

namespace {

const int block_threads = 256;
const int blocks_per_sm = 8;

__global__ void is_prime_kernel(int64_t start, int64_t step, int64_t n, uint8_t *__restrict__ out)
{
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        out[i] = (uint8_t)brg_is_prime_i64(start + i * step);
}

} // namespace

brg_status is_prime(const dev_ctx *ctx, int64_t start, int64_t step, int64_t n, uint8_t *out)
{
    cudaStream_t stream = cudaStreamPerThread;
    unsigned grid = grid_for(ctx, n, block_threads, blocks_per_sm);
    cudaError_t err = brg_launch(is_prime_kernel, dim3(grid), dim3(block_threads), 0, stream,
                                 start, step, n, out);
    if (err != cudaSuccess) return dev_error(err, "is_prime kernel launch", __FILE__, __LINE__);
    BRG_CUDA_CHECK(cudaStreamSynchronize(stream));
    return BRG_OK;
}

} // namespace BRG_NS

/* Uniform fills on the device: one Philox counter block per GPU thread
 * (four floats or two doubles), grid-stride over the blocks that cover
 * elements [offset, offset + n). The generator and the conversions are
 * src/shared/philox.h, shared with the CPU, so every device writes the same bits.
 * A warp's threads take consecutive blocks, so the warp's stores together
 * cover one contiguous stretch of memory (512 or 1024 bytes) that the
 * caches write back whole. */
#include "fill.cuh"

#include "philox.h"

namespace BRG_NS {

namespace {

const int block_threads = 256;
const int blocks_per_sm = 8;

/* Values of one counter block: 4 floats or 2 doubles. */
template <typename T> struct philox_values;

template <> struct philox_values<float> {
    static const int per_block = 4;
    __device__ static float get(const brg_philox4x32 &r, int k) { return brg_philox_to_f32(r.v[k]); }
};

template <> struct philox_values<double> {
    static const int per_block = 2;
    __device__ static double get(const brg_philox4x32 &r, int k)
    {
        return brg_philox_to_f64(r.v[2 * k], r.v[2 * k + 1]);
    }
};

template <typename T>
__global__ void fill_kernel(uint64_t seed, uint64_t stream, int64_t offset, int64_t n,
                            T *__restrict__ out)
{
    const int per = philox_values<T>::per_block;
    const int64_t first_block = offset / per;
    const int64_t blocks = (offset + n - 1) / per - first_block + 1;
    const int64_t grid_stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t b = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; b < blocks; b += grid_stride) {
        const int64_t block = first_block + b;
        brg_philox4x32 r = brg_philox_block(seed, stream, (uint64_t)block);
        for (int k = 0; k < per; k++) {
            int64_t i = block * per + k - offset;  /* the output index */
            if (i >= 0 && i < n) out[i] = philox_values<T>::get(r, k);
        }
    }
}

template <typename T>
brg_status fill_typed(const dev_ctx *ctx, uint64_t seed, uint64_t stream, int64_t offset,
                      int64_t n, T *out)
{
    const int per = philox_values<T>::per_block;
    int64_t blocks = (offset + n - 1) / per - offset / per + 1;
    cudaStream_t s = cudaStreamPerThread;
    unsigned grid = grid_for(ctx, blocks, block_threads, blocks_per_sm);
    cudaError_t err = brg_launch(fill_kernel<T>, dim3(grid), dim3(block_threads), 0, s, seed,
                                 stream, offset, n, out);
    if (err != cudaSuccess) return dev_error(err, "fill kernel launch", __FILE__, __LINE__);
    BRG_CUDA_CHECK(cudaStreamSynchronize(s));
    return BRG_OK;
}

} // namespace

brg_status fill_uniform(const dev_ctx *ctx, brg_dtype dtype, uint64_t seed, uint64_t stream,
                        int64_t offset, int64_t n, void *out)
{
    if (dtype == BRG_F64) return fill_typed(ctx, seed, stream, offset, n, (double *)out);
    return fill_typed(ctx, seed, stream, offset, n, (float *)out);
}

} // namespace BRG_NS

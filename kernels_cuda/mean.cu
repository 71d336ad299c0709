/* Mean of chunks on the device: one warp per work item (a chunk, or a slice
 * of one when chunks are fewer than the device has warps; src/shared/mean_plan.h).
 * Lanes accumulate compensated double sums (src/shared/accurate_sum.h) of strided,
 * coalesced loads, four in flight per lane; the warp merges them with
 * shuffles. Split chunks leave partial sums that a second kernel merges.
 * Memory-bound: the TwoSum's additions hide behind the loads. */
#include "mean.cuh"

#include "accurate_sum.h"
#include "mean_plan.h"

namespace BRG_NS {

namespace {

const int block_threads = 256;
const int blocks_per_sm = 8;

/* Sum of x[lo, hi) by one warp; every lane returns the total. */
template <typename T>
__device__ brg_dsum warp_sum(const T *__restrict__ x, int64_t lo, int64_t hi, int lane)
{
    const int w = warpSize;
    brg_dsum acc = brg_dsum_zero();
    int64_t i = lo + lane;
    for (; i + 3 * w < hi; i += 4 * w) {
        double v0 = (double)x[i], v1 = (double)x[i + w];
        double v2 = (double)x[i + 2 * w], v3 = (double)x[i + 3 * w];
        brg_dsum_add(&acc, v0);
        brg_dsum_add(&acc, v1);
        brg_dsum_add(&acc, v2);
        brg_dsum_add(&acc, v3);
    }
    for (; i < hi; i += w) brg_dsum_add(&acc, (double)x[i]);
    for (int offset = w / 2; offset > 0; offset /= 2) {
        brg_dsum other;
        other.s = __shfl_xor_sync(BRG_FULL_MASK, acc.s, offset);
        other.c = __shfl_xor_sync(BRG_FULL_MASK, acc.c, offset);
        brg_dsum_merge(&acc, other);
    }
    return acc;
}

/* Work items are warp-uniform: every lane of a warp loops the same items, so
 * the shuffles in warp_sum always see the full warp. With one slice per
 * chunk the mean goes straight to out; otherwise the sum to partial. */
template <typename T>
__global__ void mean_items_kernel(const T *__restrict__ x, brg_mean_plan plan,
                                  brg_dsum *__restrict__ partial, T *__restrict__ out)
{
    const int lane = threadIdx.x % warpSize;
    const int64_t warps_per_block = blockDim.x / warpSize;
    const int64_t items = plan.chunks * plan.splits;
    const int64_t stride = (int64_t)gridDim.x * warps_per_block;
    for (int64_t item = (int64_t)blockIdx.x * warps_per_block + threadIdx.x / warpSize;
         item < items; item += stride) {
        int64_t lo, hi;
        brg_mean_plan_item(&plan, item, &lo, &hi);
        brg_dsum s = warp_sum(x, lo, hi, lane);
        if (lane != 0) continue;
        if (plan.splits == 1)
            out[item] = (T)brg_dsum_mean(s, hi - lo);
        else
            partial[item] = s;
    }
}

template <typename T>
__global__ void mean_merge_kernel(const brg_dsum *__restrict__ partial, brg_mean_plan plan,
                                  T *__restrict__ out)
{
    for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < plan.chunks;
         c += (int64_t)gridDim.x * blockDim.x) {
        brg_dsum s = partial[c * plan.splits];
        for (int64_t p = 1; p < plan.splits; p++) brg_dsum_merge(&s, partial[c * plan.splits + p]);
        out[c] = (T)brg_dsum_mean(s, brg_mean_plan_chunk_len(&plan, c));
    }
}

template <typename T>
brg_status mean_chunks_typed(const dev_ctx *ctx, const T *x, int64_t n, int64_t chunks, T *out)
{
    /* Slices no shorter than ~16 loads per lane keep the merge cheap. */
    const int64_t min_slice = 16 * (int64_t)ctx->warp_size;
    brg_mean_plan plan = brg_mean_plan_make(n, chunks, ctx->resident_warps, min_slice);
    const int64_t items = chunks * plan.splits;
    const int warps_per_block = block_threads / ctx->warp_size;
    cudaStream_t stream = cudaStreamPerThread;
    brg_dsum *partial = nullptr;
    if (plan.splits > 1)
        BRG_CUDA_CHECK(cudaMallocAsync(&partial, (size_t)items * sizeof(brg_dsum), stream));
    unsigned grid = grid_for(ctx, items, warps_per_block, blocks_per_sm);
    cudaError_t err = brg_launch(mean_items_kernel<T>, dim3(grid), dim3(block_threads), 0, stream,
                                 x, plan, partial, out);
    if (err == cudaSuccess && plan.splits > 1) {
        unsigned g2 = grid_for(ctx, chunks, block_threads, blocks_per_sm);
        err = brg_launch(mean_merge_kernel<T>, dim3(g2), dim3(block_threads), 0, stream,
                         (const brg_dsum *)partial, plan, out);
    }
    if (err != cudaSuccess) {
        if (partial) (void)cudaFreeAsync(partial, stream);
        return dev_error(err, "mean kernel launch", __FILE__, __LINE__);
    }
    if (partial) BRG_CUDA_CHECK(cudaFreeAsync(partial, stream));
    BRG_CUDA_CHECK(cudaStreamSynchronize(stream));
    return BRG_OK;
}

} // namespace

brg_status mean_chunks(const dev_ctx *ctx, brg_dtype dtype, const void *x, int64_t n,
                       int64_t chunks, void *out)
{
    if (dtype == BRG_F64)
        return mean_chunks_typed(ctx, (const double *)x, n, chunks, (double *)out);
    return mean_chunks_typed(ctx, (const float *)x, n, chunks, (float *)out);
}

} // namespace BRG_NS

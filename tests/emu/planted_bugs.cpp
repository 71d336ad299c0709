/* Planted bugs: kernels with the mistakes the emulated device exists to
 * catch. Each mode runs one; ctest expects the harness to bite:
 *   race      a missing __syncthreads()           -> ThreadSanitizer reports a data race
 *   overflow  a write one element past the buffer -> AddressSanitizer reports it
 *   width     a warp reduction with the wrong shuffle width -> the oracle check fails
 * A planted test that stops being caught fails in CI. */
#include <cstdio>
#include <cstring>

#include "common.cuh"

using namespace brg_emu;

__global__ void planted_missing_syncthreads(const float *x, float *out)
{
    __shared__ float tile[256];
    tile[threadIdx.x] = x[threadIdx.x];
    /* BUG: __syncthreads() belongs here. */
    out[threadIdx.x] = tile[(threadIdx.x + 1) % blockDim.x];
}

__global__ void planted_write_past_end(float *out, int n)
{
    /* BUG: <= writes out[n]. */
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i <= n; i += blockDim.x * gridDim.x)
        out[i] = 1.0f;
}

__global__ void planted_wrong_shuffle_width(const float *x, float *out)
{
    float v = x[threadIdx.x];
    /* BUG: a width of 16 reduces half-warps only. */
    for (int off = 8; off > 0; off /= 2) v += __shfl_xor_sync(BRG_FULL_MASK, v, off, 16);
    if (threadIdx.x % warpSize == 0) out[threadIdx.x / warpSize] = v;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    const int n = 256;
    float *x, *out;
    if (cudaMalloc(&x, n * sizeof(float)) != cudaSuccess ||
        cudaMalloc(&out, n * sizeof(float)) != cudaSuccess)
        return 2;
    for (int i = 0; i < n; i++) x[i] = (float)(i % 7);
    cudaError_t err = cudaErrorInvalidValue;
    int caught = 0;
    if (strcmp(mode, "race") == 0) {
        err = brg_launch(planted_missing_syncthreads, dim3(1), dim3(n), 0, cudaStreamPerThread,
                         (const float *)x, out);
    } else if (strcmp(mode, "overflow") == 0) {
        err = brg_launch(planted_write_past_end, dim3(2), dim3(128), 0, cudaStreamPerThread, out, n);
    } else if (strcmp(mode, "width") == 0) {
        err = brg_launch(planted_wrong_shuffle_width, dim3(1), dim3(n), 0, cudaStreamPerThread,
                         (const float *)x, out);
        /* The oracle check every kernel test makes: the sum of each warp. */
        int warps = n / 32;
        for (int w = 0; w < warps; w++) {
            float want = 0;
            for (int i = w * 32; i < w * 32 + 32; i++) want += x[i];
            if (out[w] != want && !caught) {
                printf("planted bug caught: warp %d sum %g, oracle %g\n", w, (double)out[w],
                       (double)want);
                caught = 1;
            }
        }
    } else {
        fprintf(stderr, "usage: planted_bugs race|overflow|width\n");
        return 2;
    }
    printf("launch: %s\n", cudaGetErrorName(err));
    cudaFree(x);
    cudaFree(out);
    return caught;
}

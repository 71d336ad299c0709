/* GEMM for top-k screening: the wrapper and the tiled kernel of our own. */
#include "gemm.cuh"

#if defined(BRG_EMU_BUILD)
#include <cblas.h>
#elif !defined(BRG_HIP_BUILD)
#include <cublas_v2.h>
#endif

namespace BRG_NS {

namespace {

/* 64 x 64 tiles of C per block, 16-deep slices of k through shared memory,
 * each of 256 threads computing 4 x 4 outputs. Grid-stride over tiles, so
 * any grid is correct. */
const int TILE = 64, SLICE = 16, THREADS = 256;

__global__ void gemm_nt_tiled_kernel(const float *__restrict__ a, const float *__restrict__ b,
                                     float *__restrict__ c, int64_t m, int64_t n, int64_t k)
{
    __shared__ float as[SLICE][TILE + 1];
    __shared__ float bs[SLICE][TILE + 1];
    const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    const int64_t tiles_n = (n + TILE - 1) / TILE, tiles = ((m + TILE - 1) / TILE) * tiles_n;
    for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
        const int64_t row0 = (t / tiles_n) * TILE, col0 = (t % tiles_n) * TILE;
        float acc[4][4] = {};
        for (int64_t k0 = 0; k0 < k; k0 += SLICE) {
            for (int e = threadIdx.x; e < SLICE * TILE; e += THREADS) {
                int kk = e % SLICE, rr = e / SLICE;
                int64_t gk = k0 + kk, ga = row0 + rr, gb = col0 + rr;
                as[kk][rr] = (ga < m && gk < k) ? a[ga * k + gk] : 0.0f;
                bs[kk][rr] = (gb < n && gk < k) ? b[gb * k + gk] : 0.0f;
            }
            __syncthreads();
            for (int kk = 0; kk < SLICE; kk++)
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++) acc[i][j] += as[kk][ty * 4 + i] * bs[kk][tx * 4 + j];
            __syncthreads();
        }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                int64_t r = row0 + ty * 4 + i, cc = col0 + tx * 4 + j;
                if (r < m && cc < n) c[r * n + cc] = acc[i][j];
            }
    }
}

#if !defined(BRG_EMU_BUILD) && !defined(BRG_HIP_BUILD)
/* One cuBLAS handle per host thread and device: handles are not meant to be
 * shared across threads, and creating one costs far more than a call. */
const char *cublas_name(cublasStatus_t s)
{
    switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "CUBLAS_STATUS_(other)";
    }
}

#define BRG_CUBLAS_CHECK(call)                                                          \
    do {                                                                                \
        cublasStatus_t brg_cs_ = (call);                                                \
        if (brg_cs_ != CUBLAS_STATUS_SUCCESS)                                           \
            return brg_error_at(__FILE__, __LINE__,                                     \
                                brg_cs_ == CUBLAS_STATUS_ALLOC_FAILED ? BRG_ERR_OUT_OF_MEMORY \
                                                                      : BRG_ERR_DEVICE, \
                                "%s failed on cuda:%d: %s", #call, ctx->index,          \
                                cublas_name(brg_cs_));                                  \
    } while (0)

thread_local cublasHandle_t handles[64];

brg_status handle_for(const dev_ctx *ctx, cublasHandle_t *out)
{
    if (ctx->index < 0 || ctx->index >= 64)
        return BRG_ERROR(BRG_ERR_UNSUPPORTED, "cuBLAS handles for device %d", ctx->index);
    if (!handles[ctx->index]) BRG_CUBLAS_CHECK(cublasCreate(&handles[ctx->index]));
    *out = handles[ctx->index];
    return BRG_OK;
}
#endif

} // namespace

brg_status gemm_nt_tiled(const dev_ctx *ctx, const float *a, const float *b, float *c, int64_t m,
                         int64_t n, int64_t k)
{
    int64_t tiles = ((m + TILE - 1) / TILE) * ((n + TILE - 1) / TILE);
    unsigned grid = grid_for(ctx, tiles, 1, 4);
    BRG_CUDA_CHECK(brg_launch(gemm_nt_tiled_kernel, dim3(grid), dim3(THREADS), 0,
                              cudaStreamPerThread, a, b, c, m, n, k));
    return BRG_OK;
}

const char *gemm_stand_in(const dev_ctx *ctx)
{
#if defined(BRG_EMU_BUILD)
    return ctx->warp_size == 32 ? "OpenBLAS cblas_sgemm stands in for cuBLAS" : "";
#else
    (void)ctx;
    return "";
#endif
}

brg_status gemm_nt(const dev_ctx *ctx, const float *a, const float *b, float *c, int64_t m,
                   int64_t n, int64_t k, int allow_tf32)
{
#if defined(BRG_EMU_BUILD)
    (void)allow_tf32;
    if (ctx->warp_size != 32) return gemm_nt_tiled(ctx, a, b, c, m, n, k); /* the HIP path */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)k, 1.0f, a, (int)k, b,
                (int)k, 0.0f, c, (int)n);
    return BRG_OK;
#elif defined(BRG_HIP_BUILD)
    (void)allow_tf32;
    return gemm_nt_tiled(ctx, a, b, c, m, n, k);
#else
    cublasHandle_t h = nullptr;
    brg_status st = handle_for(ctx, &h);
    if (st != BRG_OK) return st;
    BRG_CUBLAS_CHECK(cublasSetStream(h, cudaStreamPerThread));
    BRG_CUBLAS_CHECK(cublasSetMathMode(h, allow_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    const float one = 1.0f, zero = 0.0f;
    /* Row-major C = A B^T is column-major C^T = B A^T. */
    BRG_CUBLAS_CHECK(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, (int)n, (int)m, (int)k, &one, b, (int)k,
                                 a, (int)k, &zero, c, (int)n));
    return BRG_OK;
#endif
}

} // namespace BRG_NS

/* GEMM for top-k screening: the wrapper and the tiled kernel of our own. */
#include "matmul.cuh"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <new>
#include <vector>

#if defined(BRG_EMU_BUILD)
#include <cblas.h>
#elif !defined(BRG_HIP_BUILD)
#include <cublas_v2.h>
#include <dlfcn.h>
#endif

namespace BRG_NS {

namespace {

/* 64 x 64 tiles of C per block, 16-deep slices of k through shared memory,
 * each of 256 threads computing 4 x 4 outputs. Grid-stride over tiles, so
 * any grid is correct. */
const int TILE = 64, SLICE = 16, THREADS = 256;

__global__ void matmul_nt_tiled_kernel(const float *__restrict__ a, const float *__restrict__ b,
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

typedef cublasHandle_t blas_handle;

/* cuBLAS is opened when a device opens (gemm_open), not when the module
 * loads: on a machine without an NVIDIA GPU the module answers "no device"
 * without mapping cuBLAS, some 200 MiB of resident memory for a program
 * that only opened "auto". The five entry points the module calls, with
 * their header's types. */
#define BRG_STR2(x) #x
#define BRG_STR(x) BRG_STR2(x)
const char CUBLAS_SONAME[] = "libcublas.so." BRG_STR(CUBLAS_VER_MAJOR);

struct cublas_api {
    decltype(&cublasCreate_v2) create;
    decltype(&cublasDestroy_v2) destroy;
    decltype(&cublasSetStream_v2) set_stream;
    decltype(&cublasSetMathMode) set_math_mode;
    decltype(&cublasSgemm_v2) sgemm;
};
cublas_api cublas;
pthread_once_t cublas_once = PTHREAD_ONCE_INIT;
char cublas_failure[512]; /* "" once loaded */

template <typename Fn>
bool bind(void *lib, const char *name, Fn *fn)
{
    void *sym = dlsym(lib, name);
    memcpy(fn, &sym, sizeof sym);
    if (!sym) snprintf(cublas_failure, sizeof cublas_failure, "%s has no %s", CUBLAS_SONAME, name);
    return sym != nullptr;
}

void cublas_load()
{
    void *lib = dlopen(CUBLAS_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        snprintf(cublas_failure, sizeof cublas_failure, "cannot load %s: %s", CUBLAS_SONAME,
                 why ? why : "dlopen failed");
        return;
    }
    bool ok = bind(lib, "cublasCreate_v2", &cublas.create) &&
              bind(lib, "cublasDestroy_v2", &cublas.destroy) &&
              bind(lib, "cublasSetStream_v2", &cublas.set_stream) &&
              bind(lib, "cublasSetMathMode", &cublas.set_math_mode) &&
              bind(lib, "cublasSgemm_v2", &cublas.sgemm);
    if (!ok) dlclose(lib); /* else it stays loaded */
}

/* Row-major C = A B^T is column-major C^T = B A^T. */
brg_status cublas_gemm_nt(const dev_ctx *ctx, cublasHandle_t h, const float *a, const float *b,
                          float *c, int64_t m, int64_t n, int64_t k, int allow_tf32)
{
    BRG_CUBLAS_CHECK(cublas.set_stream(h, cudaStreamPerThread));
    BRG_CUBLAS_CHECK(cublas.set_math_mode(h, allow_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    const float one = 1.0f, zero = 0.0f;
    BRG_CUBLAS_CHECK(cublas.sgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, (int)n, (int)m, (int)k, &one, b, (int)k,
                                  a, (int)k, &zero, c, (int)n));
    return BRG_OK;
}

brg_status handle_create(const dev_ctx *ctx, blas_handle *h)
{
    BRG_CUBLAS_CHECK(cublas.create(h));
    return BRG_OK;
}

void handle_destroy(blas_handle h)
{
    (void)cublas.destroy(h);
}
#elif defined(BRG_EMU_BUILD)
/* The emulated device has no cuBLAS: its stand-in takes a handle of its own
 * from the same pool, a heap object, so that the pool's logic runs in CI and
 * a handle it loses shows as a leak under LeakSanitizer. */
struct fake_blas_handle {
    int device;
};
typedef fake_blas_handle *blas_handle;

brg_status handle_create(const dev_ctx *ctx, blas_handle *h)
{
    *h = new (std::nothrow) fake_blas_handle{ctx->index};
    return *h ? BRG_OK : BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "a GEMM handle");
}

void handle_destroy(blas_handle h)
{
    delete h;
}
#endif

} // namespace

#if !defined(BRG_HIP_BUILD) /* HIP has no GEMM library here: its kernel needs no handle */
const int BLAS_POOL_KEEP = 64; /* idle GEMM handles a device keeps */

/* The GEMM library's handles of one open device. A call takes one and gives
 * it back, so that threads share them: none is tied to a thread (a thread
 * that exits loses nothing), the most ever created is the most calls that
 * ran at once, and the device's close destroys them. Handles are not meant
 * to be used by two threads at once, and creating one costs far more than a
 * call. A pthread mutex: nothing here may throw into C. */
struct blas_pool {
    pthread_mutex_t lock;
    int idle;                       /* handles in free[] */
    blas_handle free[BLAS_POOL_KEEP];
};

namespace {

brg_status handle_take(const dev_ctx *ctx, blas_handle *h)
{
    blas_pool *p = ctx->blas;
    pthread_mutex_lock(&p->lock);
    int got = p->idle > 0;
    if (got) *h = p->free[--p->idle];
    pthread_mutex_unlock(&p->lock);
    return got ? BRG_OK : handle_create(ctx, h);
}

void handle_give(const dev_ctx *ctx, blas_handle h)
{
    blas_pool *p = ctx->blas;
    pthread_mutex_lock(&p->lock);
    int kept = p->idle < BLAS_POOL_KEEP;
    if (kept) p->free[p->idle++] = h;
    pthread_mutex_unlock(&p->lock);
    if (!kept) handle_destroy(h);
}

} // namespace
#endif

brg_status matmul_nt_tiled(const dev_ctx *ctx, const float *a, const float *b, float *c, int64_t m,
                         int64_t n, int64_t k)
{
    int64_t tiles = ((m + TILE - 1) / TILE) * ((n + TILE - 1) / TILE);
    unsigned grid = grid_for(ctx, tiles, 1, 4);
    BRG_CUDA_CHECK(brg_launch(matmul_nt_tiled_kernel, dim3(grid), dim3(THREADS), 0,
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

brg_status gemm_open(dev_ctx *ctx)
{
    ctx->blas = nullptr;
#if !defined(BRG_HIP_BUILD) && !defined(BRG_EMU_BUILD)
    pthread_once(&cublas_once, cublas_load);
    if (cublas_failure[0])
        return BRG_ERROR(BRG_ERR_NO_DEVICE, "cuda:%d: the CUDA backend needs cuBLAS: %s", ctx->index,
                         cublas_failure);
#endif
#if !defined(BRG_HIP_BUILD)
    ctx->blas = new (std::nothrow) blas_pool;
    if (!ctx->blas) return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "GEMM handle pool");
    ctx->blas->idle = 0;
    pthread_mutex_init(&ctx->blas->lock, nullptr);
#endif
    return BRG_OK;
}

void gemm_close(dev_ctx *ctx)
{
#if !defined(BRG_HIP_BUILD)
    blas_pool *p = ctx->blas;
    if (!p) return;
    for (int i = 0; i < p->idle; i++) handle_destroy(p->free[i]);
    pthread_mutex_destroy(&p->lock);
    delete p;
#endif
    ctx->blas = nullptr;
}

#if defined(BRG_EMU_BUILD)
/* tf32 as tensor cores may form it: the top 10 of fp32's 23 stored mantissa
 * bits, the rest dropped (truncation; rounding to nearest would err half as
 * much). brg_topk_screen_error must hold for this model. */
std::vector<float> truncated_tf32(const float *x, size_t n)
{
    std::vector<float> t(n);
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        bits &= 0xffffe000u;
        memcpy(&t[i], &bits, sizeof bits);
    }
    return t;
}
#endif

brg_status matmul_nt(const dev_ctx *ctx, const float *a, const float *b, float *c, int64_t m,
                   int64_t n, int64_t k, int allow_tf32)
{
#if defined(BRG_EMU_BUILD)
    if (ctx->warp_size != 32) return matmul_nt_tiled(ctx, a, b, c, m, n, k); /* the HIP path */
    std::vector<float> ta, tb; /* may throw: caught by the slot (backend.cu), before a handle is out */
    if (allow_tf32) {
        ta = truncated_tf32(a, (size_t)(m * k));
        tb = truncated_tf32(b, (size_t)(n * k));
        a = ta.data();
        b = tb.data();
    }
    blas_handle h = nullptr;
    brg_status st = handle_take(ctx, &h);
    if (st != BRG_OK) return st;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)k, 1.0f, a, (int)k, b,
                (int)k, 0.0f, c, (int)n);
    handle_give(ctx, h);
    return BRG_OK;
#elif defined(BRG_HIP_BUILD)
    (void)allow_tf32;
    return matmul_nt_tiled(ctx, a, b, c, m, n, k);
#else
    blas_handle h = nullptr;
    brg_status st = handle_take(ctx, &h);
    if (st != BRG_OK) return st;
    st = cublas_gemm_nt(ctx, h, a, b, c, m, n, k, allow_tf32);
    handle_give(ctx, h);
    return st;
#endif
}

} // namespace BRG_NS

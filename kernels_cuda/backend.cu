/* The device backend table, built three times from this one source: against
 * CUDA (brg_backend_cuda), HIP (brg_backend_hip) and the emulator
 * (brg_backend_emu). Every runtime call is checked. Work runs on the calling
 * thread's per-thread stream, so threads sharing a device do not serialise
 * on one stream, and every call waits for its own work before returning. */
#include <stdio.h>
#include <string.h>

#include <new>

#if !defined(BRG_EMU_BUILD) && !defined(BRG_HIP_BUILD)
#include <dlfcn.h>
#endif

#include "pool_hooks.h"
#include "common.cuh"
#include "fill.cuh"
#include "matmul.cuh"
#include "mean.cuh"
#include "prime.cuh"
#include "topk.cuh"

namespace BRG_NS {

brg_status dev_error(cudaError_t err, const char *stmt, const char *file, int line)
{
    int device = -1;
    (void)cudaGetDevice(&device);
    (void)cudaGetLastError(); /* clear it, so the next call starts clean */
    brg_status st = err == cudaErrorMemoryAllocation ? BRG_ERR_OUT_OF_MEMORY : BRG_ERR_DEVICE;
#if defined(BRG_EMU_BUILD)
    if (err == cudaErrorLaunchFailure)
        return brg_error_at(file, line, st, "%s failed on %s:%d: %s (%s): %s", stmt, BRG_VENDOR_NAME,
                            device, cudaGetErrorString(err), cudaGetErrorName(err),
                            brg_emu_last_fault());
#endif
    return brg_error_at(file, line, st, "%s failed on %s:%d: %s (%s, error %d)", stmt,
                        BRG_VENDOR_NAME, device, cudaGetErrorString(err), cudaGetErrorName(err),
                        (int)err);
}

namespace {

/* Nothing C++ may throw crosses into the C core: each slot runs its body
 * here, which turns an exception into a status. std::vector and friends in
 * the host code throw std::bad_alloc when host memory runs out. */
template <typename Body>
brg_status guarded(const char *what, Body &&body) noexcept
{
    try {
        return body();
    } catch (const std::bad_alloc &) {
        return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "%s on %s: out of host memory", what, BRG_VENDOR_NAME);
    } catch (...) {
        return BRG_ERROR(BRG_ERR_DEVICE, "%s on %s: unexpected C++ exception", what, BRG_VENDOR_NAME);
    }
}

#if !defined(BRG_EMU_BUILD) && !defined(BRG_HIP_BUILD)
/* The runtime says "insufficient driver" both when there is no driver and
 * when it is too old: tell them apart, for the message. */
void explain_driver(char *reason, size_t cap)
{
    void *lib = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        snprintf(reason, cap, "no NVIDIA driver: %s", why ? why : "libcuda.so.1 cannot be loaded");
        return;
    }
    dlclose(lib);
    int driver = 0;
    (void)cudaDriverGetVersion(&driver);
    snprintf(reason, cap, "the NVIDIA driver supports CUDA %d.%d, older than this runtime's %d.%d",
             driver / 1000, driver % 1000 / 10, CUDART_VERSION / 1000, CUDART_VERSION % 1000 / 10);
}
#endif

int device_count(char *reason, size_t cap)
{
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
#if !defined(BRG_EMU_BUILD) && !defined(BRG_HIP_BUILD)
    if (err == cudaErrorInsufficientDriver) {
        explain_driver(reason, cap);
        (void)cudaGetLastError();
        return 0;
    }
#endif
    if (err != cudaSuccess) {
        snprintf(reason, cap, "%s (" BRG_RUNTIME_PREFIX "GetDeviceCount: %s, error %d)", cudaGetErrorString(err),
                 cudaGetErrorName(err), (int)err);
        (void)cudaGetLastError();
        return 0;
    }
    if (n == 0) snprintf(reason, cap, "the %s runtime reports no devices", BRG_VENDOR_NAME);
#if !defined(BRG_EMU_BUILD)
    /* Counting devices started the driver: from here forking is unsafe. */
    if (n > 0) brg_pool_note_runtime(BRG_VENDOR_NAME " runtime");
#endif
    return n;
}

/* Make ctx's device current on the calling thread. */
brg_status use(const dev_ctx *ctx)
{
    BRG_CUDA_CHECK(cudaSetDevice(ctx->index));
    return BRG_OK;
}

brg_status open(int index, void **out, char *name, size_t cap)
{
    *out = nullptr;
#if !defined(BRG_EMU_BUILD)
    /* From here the GPU runtime lives in the process: forking is unsafe. */
    brg_pool_note_runtime(BRG_VENDOR_NAME " runtime");
#endif
    BRG_CUDA_CHECK(cudaSetDevice(index));
    cudaDeviceProp prop;
    BRG_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
    dev_ctx *ctx = new (std::nothrow) dev_ctx;
    if (!ctx) return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "device context");
    ctx->index = index;
    ctx->sm_count = prop.multiProcessorCount > 0 ? prop.multiProcessorCount : 1;
    ctx->warp_size = prop.warpSize > 0 ? prop.warpSize : 32;
    ctx->max_threads_per_sm = prop.maxThreadsPerMultiProcessor > 0 ? prop.maxThreadsPerMultiProcessor
                                                                   : 1024;
    ctx->resident_warps = (int64_t)ctx->sm_count * (ctx->max_threads_per_sm / ctx->warp_size);
    brg_status st = gemm_open(ctx);
    if (st != BRG_OK) {
        delete ctx;
        return st;
    }
    int used = snprintf(name, cap, "%s (%d SMs, warp %d, %.1f GiB", prop.name, ctx->sm_count,
                        ctx->warp_size, (double)prop.totalGlobalMem / (1u << 30));
#if !defined(BRG_EMU_BUILD)
    if (used >= 0 && (size_t)used < cap)
        used += snprintf(name + used, cap - (size_t)used, ", compute %d.%d", prop.major, prop.minor);
    int driver = 0, runtime = 0;
    (void)cudaDriverGetVersion(&driver);
    (void)cudaRuntimeGetVersion(&runtime);
    if (used >= 0 && (size_t)used < cap)
        used += snprintf(name + used, cap - (size_t)used, "; driver %d.%d, runtime %d.%d",
                         driver / 1000, driver % 1000 / 10, runtime / 1000, runtime % 1000 / 10);
#endif
    if (used >= 0 && (size_t)used < cap) used += snprintf(name + used, cap - (size_t)used, ")");
    /* Stand-ins for vendor libraries are named wherever the device is. */
    const char *ins[2] = {gemm_stand_in(ctx), sort_stand_in()};
    for (const char *in : ins)
        if (in[0] && used >= 0 && (size_t)used < cap)
            used += snprintf(name + used, cap - (size_t)used, "; %s", in);
    *out = ctx;
    return BRG_OK;
}

void close(void *ctx)
{
    dev_ctx *c = static_cast<dev_ctx *>(ctx);
    (void)use(c); /* the GEMM handles belong to this device */
    gemm_close(c);
    delete c;
}

brg_status alloc(void *ctx, size_t bytes, void **ptr)
{
    brg_status st = use(static_cast<dev_ctx *>(ctx));
    if (st != BRG_OK) return st;
    BRG_CUDA_CHECK(cudaMalloc(ptr, bytes ? bytes : 1));
    return BRG_OK;
}

void free_(void *ctx, void *ptr)
{
    if (use(static_cast<dev_ctx *>(ctx)) == BRG_OK) (void)cudaFree(ptr);
}

brg_status copy(void *ctx, void *dst, const void *src, size_t bytes, cudaMemcpyKind kind)
{
    brg_status st = use(static_cast<dev_ctx *>(ctx));
    if (st != BRG_OK) return st;
    BRG_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, cudaStreamPerThread));
    BRG_CUDA_CHECK(cudaStreamSynchronize(cudaStreamPerThread));
    return BRG_OK;
}

brg_status copy_h2d(void *ctx, void *dst, const void *src, size_t bytes)
{
    return copy(ctx, dst, src, bytes, cudaMemcpyHostToDevice);
}

brg_status copy_d2h(void *ctx, void *dst, const void *src, size_t bytes)
{
    return copy(ctx, dst, src, bytes, cudaMemcpyDeviceToHost);
}

brg_status copy_d2d(void *ctx, void *dst, const void *src, size_t bytes)
{
    return copy(ctx, dst, src, bytes, cudaMemcpyDeviceToDevice);
}

brg_status mem_info(void *ctx, size_t *free_bytes, size_t *total_bytes)
{
    brg_status st = use(static_cast<dev_ctx *>(ctx));
    if (st != BRG_OK) return st;
    BRG_CUDA_CHECK(cudaMemGetInfo(free_bytes, total_bytes));
    return BRG_OK;
}

brg_status synchronize(void *ctx)
{
    brg_status st = use(static_cast<dev_ctx *>(ctx));
    if (st != BRG_OK) return st;
    BRG_CUDA_CHECK(cudaStreamSynchronize(cudaStreamPerThread));
    return BRG_OK;
}

brg_status mean_chunks_slot(void *ctx, brg_dtype dtype, const void *x, int64_t n, int64_t chunks,
                            void *out)
{
    const dev_ctx *c = static_cast<dev_ctx *>(ctx);
    brg_status st = use(c);
    if (st != BRG_OK) return st;
    return guarded("mean chunks", [&] { return mean_chunks(c, dtype, x, n, chunks, out); });
}

brg_status row_norms_slot(void *ctx, const float *x, int64_t rows, int64_t dim, double *norms,
                          int64_t *bad_row)
{
    const dev_ctx *c = static_cast<dev_ctx *>(ctx);
    brg_status st = use(c);
    if (st != BRG_OK) return st;
    return guarded("row norms", [&] { return row_norms(c, x, rows, dim, norms, bad_row); });
}

brg_status topk_slot(void *ctx, const brg_topk_call *call)
{
    const dev_ctx *c = static_cast<dev_ctx *>(ctx);
    brg_status st = use(c);
    if (st != BRG_OK) return st;
    return guarded("top-k", [&] { return topk(c, call); });
}

brg_status is_prime_slot(void *ctx, int64_t start, int64_t step, int64_t n, uint8_t *out)
{
    const dev_ctx *c = static_cast<dev_ctx *>(ctx);
    brg_status st = use(c);
    if (st != BRG_OK) return st;
    return guarded("prime test", [&] { return is_prime(c, start, step, n, out); });
}

brg_status fill_uniform_slot(void *ctx, brg_dtype dtype, uint64_t seed, uint64_t stream,
                             int64_t offset, int64_t n, void *out)
{
    const dev_ctx *c = static_cast<dev_ctx *>(ctx);
    brg_status st = use(c);
    if (st != BRG_OK) return st;
    return guarded("fill uniform", [&] { return fill_uniform(c, dtype, seed, stream, offset, n, out); });
}

brg_status matmul_nt_slot(void *ctx, const float *a, const float *b, float *c, int64_t m, int64_t n,
                        int64_t k, int allow_tf32)
{
    const dev_ctx *dc = static_cast<dev_ctx *>(ctx);
    brg_status st = use(dc);
    if (st != BRG_OK) return st;
    return guarded("matmul", [&] {
        brg_status s = matmul_nt(dc, a, b, c, m, n, k, allow_tf32);
        if (s == BRG_OK) BRG_CUDA_CHECK(cudaStreamSynchronize(cudaStreamPerThread));
        return s;
    });
}

brg_backend_i make_table()
{
    brg_backend_i t = {};
    t.name = BRG_VENDOR_NAME;
    t.kind = BRG_DEVICE_KIND;
    t.host_memory = 0;
    t.device_count = device_count;
    t.open = open;
    t.close = close;
    t.alloc = alloc;
    t.free = free_;
    t.copy_h2d = copy_h2d;
    t.copy_d2h = copy_d2h;
    t.copy_d2d = copy_d2d;
    t.mem_info = mem_info;
    t.synchronize = synchronize;
    t.mean_chunks = mean_chunks_slot;
    t.row_norms = row_norms_slot;
    t.topk = topk_slot;
    t.is_prime = is_prime_slot;
    t.fill_uniform = fill_uniform_slot;
    t.matmul_nt = matmul_nt_slot;
    return t;
}

const brg_backend_i table = make_table();

} // namespace

} // namespace BRG_NS

extern "C" const brg_backend_i *BRG_BACKEND_GETTER(void)
{
    return &BRG_NS::table;
}

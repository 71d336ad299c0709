/* Shared by every device source of kernels_cuda/: picks the vendor header
 * (CUDA, HIP, or the emulator), and gives the launch helper, the CHECK macro
 * and the per-device context. Kernels written against this file run on
 * NVIDIA, AMD and the emulated device unchanged. The three rules
 * (docs/design.md §9): launch through brg_launch only; library calls (cuBLAS, CUB,
 * Thrust) only through narrow wrappers; kernels are grid-stride loops. */
#ifndef BRG_KERNELS_COMMON_CUH
#define BRG_KERNELS_COMMON_CUH

#if defined(BRG_EMU_BUILD)
#include "vendors/emu.h"
#elif defined(BRG_HIP_BUILD)
#include "vendors/hip.h"
#else
#include "vendors/cuda.h"
#endif

#include <stddef.h>
#include <stdint.h>

#include <tuple>
#include <type_traits>
#include <utility>

#define BRG_HD __host__ __device__ __forceinline__ static
#include "backend.h"
#include "error.h"

namespace BRG_NS {

struct blas_pool; /* matmul.cu: the device's GEMM library handles */

/* What host code needs to know of an open device. */
struct dev_ctx {
    int index;                /* runtime device ordinal */
    int sm_count;
    int warp_size;            /* the device's physical warp width */
    int max_threads_per_sm;
    int64_t resident_warps;   /* warps the whole device keeps in flight */
    blas_pool *blas;          /* NULL where no GEMM library is used (HIP) */
};

/* Record a failed runtime call (statement, file, line, device) and map it
 * to a brigade status; clears the runtime's non-sticky error. */
brg_status dev_error(cudaError_t err, const char *stmt, const char *file, int line);

#define BRG_CUDA_CHECK(call)                                                             \
    do {                                                                                 \
        cudaError_t brg_err_ = (call);                                                   \
        if (brg_err_ != cudaSuccess) return dev_error(brg_err_, #call, __FILE__, __LINE__); \
    } while (0)

/* Launch kernel on grid x block threads with shared_bytes of dynamic shared
 * memory. Every launch in brigade goes through here, so that the emulated
 * build can run it on host threads. */
template <typename... KArgs, typename... Args>
cudaError_t brg_launch(void (*kernel)(KArgs...), dim3 grid, dim3 block, size_t shared_bytes,
                       cudaStream_t stream, Args &&...args)
{
#if defined(BRG_EMU_BUILD)
    (void)stream;
    std::tuple<std::decay_t<KArgs>...> packed(std::forward<Args>(args)...);
    return brg_emu_launch(grid, block, shared_bytes, [&] { std::apply(kernel, packed); });
#else
    kernel<<<grid, block, shared_bytes, stream>>>(std::forward<Args>(args)...);
    return cudaGetLastError();
#endif
}

/* Blocks worth launching for `work` units of `per_block` each: enough to fill
 * the device, never more than the work needs (kernels stride over the rest). */
static inline unsigned grid_for(const dev_ctx *ctx, int64_t work, int64_t per_block,
                                int blocks_per_sm)
{
    int64_t need = work / per_block + (work % per_block != 0);
    int64_t fill = (int64_t)ctx->sm_count * blocks_per_sm;
    int64_t g = need < fill ? need : fill;
    return (unsigned)(g < 1 ? 1 : g);
}

} // namespace BRG_NS

/* Dynamic shared memory of the running block, as T*. */
#if defined(BRG_EMU_BUILD)
#define BRG_DYNAMIC_SHARED(T, name) T *name = reinterpret_cast<T *>(brg_emu_dynamic_shared())
#else
#define BRG_DYNAMIC_SHARED(T, name)                                                      \
    extern __shared__ __align__(16) unsigned char brg_dynamic_smem_[];                   \
    T *name = reinterpret_cast<T *>(brg_dynamic_smem_)
#endif

#endif

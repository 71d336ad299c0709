/* The one GEMM top-k needs, behind a narrow wrapper (docs/design.md §9: library
 * calls only through wrappers, so the emulated build can stand in for them):
 *   C[m x n] = A[m x k] . B[n x k]^T, all row-major fp32, on the calling
 *   thread's stream.
 * CUDA: cuBLAS SGEMM (tf32 tensor cores when allowed), with handles from the
 * device's pool. HIP: our tiled kernel (Debian's ROCm has no hipBLAS).
 * Emulated: OpenBLAS stands in for cuBLAS on emu:32 (taking a stand-in handle
 * from the same pool, and with allow_tf32 truncating its inputs to tf32, as
 * tensor cores may), and the tiled kernel itself runs on emu:64, so CI tests
 * both. */
#ifndef BRG_KERNELS_GEMM_CUH
#define BRG_KERNELS_GEMM_CUH

#include "common.cuh"

namespace BRG_NS {

/* The device's GEMM state (its pool of library handles), made when the device
 * opens and released when it closes; every handle is destroyed then. */
brg_status gemm_open(dev_ctx *ctx);
void gemm_close(dev_ctx *ctx);

brg_status matmul_nt(const dev_ctx *ctx, const float *a, const float *b, float *c, int64_t m,
                   int64_t n, int64_t k, int allow_tf32);

/* The tiled kernel, for tests: same contract, never a library. */
brg_status matmul_nt_tiled(const dev_ctx *ctx, const float *a, const float *b, float *c, int64_t m,
                         int64_t n, int64_t k);

/* "" or the stand-ins this build uses in place of vendor libraries. */
const char *gemm_stand_in(const dev_ctx *ctx);

} // namespace BRG_NS

#endif

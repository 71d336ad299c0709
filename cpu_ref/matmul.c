/* The CPU's GEMM: OpenBLAS sgemm, on OpenBLAS's own threads. */
#include <cblas.h>

#include "cpu.h"

brg_status brg_cpu_matmul_nt(void *ctx, const float *a, const float *b, float *c, int64_t m,
                           int64_t n, int64_t k, int allow_tf32)
{
    (void)ctx;
    (void)allow_tf32; /* no tf32 on a CPU: full fp32 products */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)k, 1.0f, a, (int)k, b,
                (int)k, 0.0f, c, (int)n);
    return BRG_OK;
}

/* Cosine / inner-product top-k on the device (CUDA, HIP, emulated). */
#ifndef BRG_KERNELS_TOPK_CUH
#define BRG_KERNELS_TOPK_CUH

#include "common.cuh"

namespace BRG_NS {

/* norms[r] = |row r| in double; *bad_row: first row with NaN/Inf, or -1. */
brg_status row_norms(const dev_ctx *ctx, const float *x, int64_t rows, int64_t dim, double *norms,
                     int64_t *bad_row);

/* The whole call (include/brigade/ops.h semantics), device pointers. */
brg_status topk(const dev_ctx *ctx, const brg_topk_call *call);

/* Stable sort of `segments` runs of seg_len (key, value) pairs, keys
 * descending; the wrapper around CUB (a host stand-in where CUB is absent). */
brg_status sort_pairs_desc(const dev_ctx *ctx, double *keys, int64_t *values, int64_t segments,
                           int64_t seg_len);

/* "" or the stand-ins the sort wrapper uses in this build. */
const char *sort_stand_in(void);

} // namespace BRG_NS

#endif

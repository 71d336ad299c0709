/* Private: how the CPU top-k screens candidates (cpu_ref/topk.c).
 *
 * fp32: OpenBLAS sgemm of the float rows.
 * bf16: each row scaled by a power of two (its largest magnitude into
 *   [1, 2), exactly) and rounded to bf16, then a bf16 x bf16 -> fp32 GEMM:
 *   oneDNN's (AVX512-BF16 or AMX kernels, a few times the fp32 rate), opened
 *   with dlopen on first use, so that libbrigade does not link it; or, where
 *   the CPU or oneDNN is missing and a test forces it, emulated (the bf16
 *   values widened to fp32 and OpenBLAS sgemm: the same exact products).
 *   A bf16 screen is off by more than an fp32 one: brg_topk_screen_bf16_error
 *   bounds it from the rows' own rounding residuals, and the call keeps more
 *   candidates (brg_topk_candidates_bf16), so that the proof still holds. */
#ifndef BRG_TOPK_SCREEN_H
#define BRG_TOPK_SCREEN_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"

typedef enum brg_screen_kind {
    BRG_SCREEN_FP32 = 0,
    BRG_SCREEN_BF16 = 1,          /* oneDNN */
    BRG_SCREEN_BF16_EMULATED = 2  /* widened bf16 through sgemm: tests, and where forced */
} brg_screen_kind;

/* The kind for a call of this shape: bf16 where the CPU has AVX512-BF16 or
 * AMX, oneDNN loads, and the shape gains (5e9 multiply-adds or more, dim >=
 * 32); else fp32. brg_test_topk_screen overrides it. */
brg_screen_kind brg_topk_screen_choose(const brg_topk_call *c);

/* Whether some call with rows of dim would screen in bf16 here (the choice
 * above for a large enough nq): a prepared index then keeps its rows in
 * bf16. */
int brg_topk_screen_possible(int64_t dim);

/* Test hook: every later call screens with `kind` (BRG_SCREEN_BF16 falls to
 * the emulation where oneDNN or the CPU lacks it); -1: the choice above. */
void brg_test_topk_screen(int kind);

/* The rows of x (rows x dim) for a bf16 screen: out[r] = bf16 of row r
 * times 2^-exps[r] (round to nearest even; a value below 2^-126 after the
 * scaling is 0), and rho[r] = |x_s - bf16(x_s)| / |x_s| of the scaled row
 * (0 for a zero row). Threaded over rows (brg_parallel_for). */
void brg_bf16_rows(const float *x, int64_t rows, int64_t dim, uint16_t *out, int16_t *exps,
                   double *rho);

/* Tests: rows brg_bf16_rows has converted in this process. */
int64_t brg_test_bf16_rows_converted(void);

/* c[m x n] = a[m x k] . b[n x k]^T of bf16 rows, fp32 sums, on the calling
 * thread. kind BRG_SCREEN_BF16 or _EMULATED; work: (m + n) * k floats for
 * the emulation (NULL otherwise). 0, or -1 when oneDNN failed (the caller
 * falls back to the emulation). */
int brg_bf16_gemm_nt(brg_screen_kind kind, const uint16_t *a, const uint16_t *b, float *c,
                     int64_t m, int64_t n, int64_t k, float *work);

/* The most a bf16 screening score can be off the exact similarity, relative
 * to |q| max|b| (inner product) or to 1 (cosine), given the query's and the
 * database's largest rounding residual (rho above):
 *   q.b - q~.b~ = -(e_q.b + q.e_b + e_q.e_b), so at most
 *   (rho_q + rho_b + rho_q rho_b) |q||b|; the fp32 sum of the exact bf16
 *   products adds (dim + 8) 2^-24 (1 + rho_q)(1 + rho_b) |q||b| (with the
 *   scaling), and flushed tiny products at most dim 2^-126 of rows whose
 *   largest magnitude is at least 1: within the 1e-12 margin. */
double brg_topk_screen_bf16_error(int64_t dim, int metric, double rho_q, double rho_b,
                                  double qnorm, double max_bnorm);

/* Candidates a bf16 screen keeps per query: k plus a margin wide enough for
 * the rows its wider error can swap (docs/perf-notes.md: on the tutorial's
 * data, the p99 of rows within the bound of the k-th best is 34 at nb = 1e5,
 * dim 1000), at most nb. */
int64_t brg_topk_candidates_bf16(int64_t k, int64_t nb);

#endif

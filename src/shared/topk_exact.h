/* Private: the exact half of top-k, shared by the CPU backend and the device
 * code so that every device computes bit-identical final scores.
 *
 * Screening (a GEMM in fp32 or tf32) only proposes candidates; each one is
 * rescored here: float products summed in double, in index order. Ranking is
 * by score descending, then index ascending. The screening error bound says
 * when the candidates provably contain the true top k (brg_topk_proven). */
#ifndef BRG_TOPK_EXACT_H
#define BRG_TOPK_EXACT_H

#include <stdint.h>

#ifndef BRG_HD
#define BRG_HD static inline
#endif

/* sum of q[i] * b[i] in double, in one fixed order on every device: four
 * interleaved partial sums (i mod 4), combined as (s0 + s1) + (s2 + s3).
 * Each float product is exact in double; four chains instead of one keep a
 * CPU core's adders busy (a single chain is latency-bound). */
BRG_HD double brg_topk_dot(const float *q, const float *b, int64_t dim)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    int64_t i = 0;
    for (; i + 4 <= dim; i += 4) {
        s0 += (double)q[i] * (double)b[i];
        s1 += (double)q[i + 1] * (double)b[i + 1];
        s2 += (double)q[i + 2] * (double)b[i + 2];
        s3 += (double)q[i + 3] * (double)b[i + 3];
    }
    for (; i < dim; i++) s0 += (double)q[i] * (double)b[i];
    return (s0 + s1) + (s2 + s3);
}

/* |x| in double (brg_topk_dot's order). */
BRG_HD double brg_topk_norm(const float *x, int64_t dim)
{
    return __builtin_sqrt(brg_topk_dot(x, x, dim));
}

/* Similarity of q and b, exact to double rounding (metric 0: cosine, with 0
 * for a zero vector; 1: inner product). */
BRG_HD double brg_topk_exact(const float *q, const float *b, int64_t dim, double qnorm,
                             double bnorm, int metric)
{
    double dot = brg_topk_dot(q, b, dim);
    if (metric == 1) return dot;
    if (qnorm == 0.0 || bnorm == 0.0) return 0.0;
    return dot / (qnorm * bnorm);
}

/* a ranks before b: higher score, then lower index. */
BRG_HD int brg_topk_before(double sa, int64_t ia, double sb, int64_t ib)
{
    return sa > sb || (sa == sb && ia < ib);
}

/* The most a screening score can be off the exact similarity, relative to
 * |q| max|b| for the inner product (Cauchy-Schwarz bounds sum |q_i b_i| by
 * it) and to 1 for cosine (the scores are scaled by 1/|q| and 1/|b|):
 *  - fp32 products summed in fp32, rounded to nearest, then scaled in fp32:
 *    (dim + 8) * 2^-24;
 *  - tf32 (tensor cores, allow_tf32): each input keeps 10 of fp32's 23
 *    mantissa bits, and the hardware may truncate rather than round to
 *    nearest, so an input is off by less than 2^-10 of itself and a product
 *    by less than 2^-10 + 2^-10 + 2^-20; the accumulation's rounding is not
 *    documented to be to nearest either, so it is counted as truncation,
 *    (dim + 8) * 2^-23;
 *  - plus a margin for the double rescoring itself.
 * The emulated device models tf32 by truncating its GEMM's inputs
 * (kernels_cuda/matmul.cu), and a test holds near-ties that only this bound,
 * not the round-to-nearest one (2^-10 for the inputs), gets right. */
BRG_HD double brg_topk_screen_error(int64_t dim, int metric, int tf32, double qnorm,
                                    double max_bnorm)
{
    double rel = tf32 ? ((double)dim + 8.0) * 0x1p-23 + 0x1p-9 + 0x1p-20
                      : ((double)dim + 8.0) * 0x1p-24;
    rel += 1e-12;
    return metric == 1 ? rel * qnorm * max_bnorm : rel;
}

/* The candidates hold the true top k when every row left out screened at or
 * below `excluded_max` and kth_exact (the k-th best rescored candidate) is
 * more than the screening error above it. */
BRG_HD int brg_topk_proven(double excluded_max, double kth_exact, double screen_error)
{
    return excluded_max + screen_error < kth_exact;
}

/* Candidates kept per query during screening: k plus a margin for the rows
 * the screening error could have swapped, at most nb. The margin only buys
 * proofs (a failed proof costs one exhaustive query); every candidate costs
 * selection work, which for small k and small nb rivals the GEMM. */
BRG_HD int64_t brg_topk_candidates(int64_t k, int64_t nb)
{
    int64_t m = k / 8 > 8 ? k / 8 : 8;
    return k + m < nb ? k + m : nb;
}

#endif

/* brigade — operations.
 *
 * Tensor operations take inputs on one device and write into caller-made
 * output tensors on the same device. The one-call helpers take plain host
 * arrays, stage them through the device when it is a GPU, and return host
 * results. Every call completes before it returns.
 *
 * Mean semantics (as NumPy):
 *   mean of rows   x of shape rows x cols, out[r] = mean(x[r, :]);
 *                  cols == 0 gives NaN; rows == 0 does nothing.
 *   mean of chunks x of length n cut as numpy.array_split(x, chunks): the first
 *                  n % chunks chunks have one element more; an empty chunk gives NaN.
 * NaN in a row propagates; +Inf and -Inf follow IEEE addition.
 *
 * Accuracy: sums are accumulated in double, f32 inputs included, with
 * compensation (TwoSum). On every device a chunk's sum is within
 * u * sum|x| of the exact sum (u = 2^-53; the CPU rounds once per pair of
 * elements, GPUs not at all), so a mean is within u * mean|x| plus its final
 * rounding. NumPy's pairwise sum guarantees about log2(n) * u * sum|x| in
 * f64, and works in f32 for f32 inputs. */
#ifndef BRIGADE_OPS_H
#define BRIGADE_OPS_H

#include <stddef.h>
#include <stdint.h>
#include "device.h"
#include "status.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- tensor operations ---------------------------------------------------- */

/* out[r] = mean of row r of x. x: 2-D rows x cols, f32 or f64; out: 1-D of
 * length rows, same dtype and device. */
BRG_API brg_status brg_mean_rows(const brg_tensor *x, brg_tensor *out);

/* out[i] = mean of chunk i of x cut as numpy.array_split(x, chunks).
 * x: any shape, taken flat, f32 or f64; chunks >= 1; out: 1-D of length chunks,
 * same dtype and device. */
BRG_API brg_status brg_mean_chunks(const brg_tensor *x, int64_t chunks, brg_tensor *out);

/* ---- one-call helpers on host arrays (contract) --------------------------- */

/* x: rows*cols values, row-major; out: rows values. The caller owns both. */
BRG_API brg_status brg_mean_rows_f64(brg_device *dev, const double *x, int64_t rows,
                             int64_t cols, double *out);
BRG_API brg_status brg_mean_rows_f32(brg_device *dev, const float *x, int64_t rows,
                             int64_t cols, float *out);

/* x: n values; out: chunks values. The caller owns both. */
BRG_API brg_status brg_mean_chunks_f64(brg_device *dev, const double *x, int64_t n,
                               int64_t chunks, double *out);

/* ---- matrix product ---------------------------------------------------------- */

typedef struct brg_matmul_options { /* zero-initialised means defaults */
    int allow_tf32;                 /* 0: full fp32 products; 1: tensor-core tf32 where the device has it */
} brg_matmul_options;

/* c = a . b^T in fp32: a is m x k, b is n x k, c is m x n, all 2-D f32
 * tensors on one device; c must not share storage with a or b. The
 * similarity matrix that top-k never builds, for shapes that fit, and the
 * device's GEMM rate, which the bench measures with it. The device's own
 * GEMM computes it (OpenBLAS sgemm on the CPU, cuBLAS on CUDA, brigade's
 * tiled kernel on HIP), so results are fp32 sums, not exact, and may differ
 * in the last bits between devices. m, n and k fit int (the GEMM libraries'
 * dimensions; else BRG_ERR_UNSUPPORTED); k >= 1; m or n of 0 does nothing.
 * opts NULL means defaults. */
BRG_API brg_status brg_matmul_nt(const brg_tensor *a, const brg_tensor *b,
                                 const brg_matmul_options *opts, brg_tensor *c);

/* ---- the tutorial's Part 1 kernels: primes and uniform fills ---------------- */

/* The tutorial's is_prime: n < 2 is not prime, 2 is, other even numbers are
 * not, and an odd n is prime unless an odd i in [3, floor(sqrt(n))] divides
 * it. Exact for every int64_t (floor(sqrt(n)) is computed in integers:
 * no rounding error for n above 2^53); negative n is not prime. Returns 1
 * or 0. Trial division: n near 2^62 takes seconds. */
BRG_API int brg_is_prime(int64_t n);

/* out[i] = brg_is_prime(start + i) for i in [0, n), one integer per GPU
 * thread on a GPU. out: n caller-owned bytes on the host (staged through
 * a GPU's memory). n == 0 does nothing. Errors: BRG_ERR_INVALID_ARG (dev
 * NULL, n < 0, out NULL with n > 0), BRG_ERR_OVERFLOW (start + n - 1
 * exceeds INT64_MAX), device errors. */
BRG_API brg_status brg_is_prime_range(brg_device *dev, int64_t start, int64_t n, uint8_t *out);

/* out[i] = brg_is_prime(value) for i in [0, n): the tutorial's prime_heavy,
 * one item per GPU thread. As brg_is_prime_range otherwise. */
BRG_API brg_status brg_is_prime_repeat(brg_device *dev, int64_t value, int64_t n, uint8_t *out);

/* Uniform [0, 1) numbers: Philox4x32-10 (as Random123 defines it), from one
 * portable implementation shared by every device, so the same seed gives
 * bit-identical numbers on the CPU, CUDA, HIP and the emulated device.
 * With key = seed and counter = {block, stream} (64 bits each), element e
 * of the stream (seed, stream) is:
 *   f32: word e % 4 of counter block e / 4, as (x >> 8) * 2^-24
 *        (every value k * 2^-24 in [0, 1 - 2^-24]);
 *   f64: words 2j and 2j+1 (j = e % 2) of block e / 2, as
 *        ((x_2j << 21) | (x_2j+1 >> 11)) * 2^-53
 *        (exactly 53 random bits; every value k * 2^-53 in [0, 1 - 2^-53]).
 * Streams of one seed are independent sequences (one per task, say), and
 * offset continues a stream where an earlier fill stopped. */
typedef struct brg_fill_options {  /* zero-initialised means defaults */
    uint64_t stream;               /* the stream of the seed; default 0 */
    int64_t  offset;               /* out[i] is element offset + i; >= 0, default 0 */
} brg_fill_options;

/* out[i] = element offset + i of the stream (seed, opts->stream), for i in
 * [0, n). out: n caller-owned host values (staged through a GPU's memory in
 * batches). n == 0 does nothing; opts NULL means defaults. Errors:
 * BRG_ERR_INVALID_ARG (dev NULL, n < 0, out NULL with n > 0, offset < 0),
 * BRG_ERR_OVERFLOW (offset + n past INT64_MAX, or n values do not fit
 * size_t bytes), device errors. */
BRG_API brg_status brg_fill_uniform_f64(brg_device *dev, double *out, int64_t n, uint64_t seed,
                                        const brg_fill_options *opts);
BRG_API brg_status brg_fill_uniform_f32(brg_device *dev, float *out, int64_t n, uint64_t seed,
                                        const brg_fill_options *opts);

/* The tensor form: every element of t (f32 or f64, any shape, taken flat)
 * as brg_fill_uniform_* would write it, in place on t's device. Errors:
 * BRG_ERR_INVALID_ARG (t NULL, a bad offset), BRG_ERR_DTYPE (not f32 or
 * f64), BRG_ERR_OVERFLOW. */
BRG_API brg_status brg_fill_uniform(brg_tensor *t, uint64_t seed, const brg_fill_options *opts);

/* ---- cosine top-k ------------------------------------------------------------

 * For each of nq queries, the k database rows most similar to it:
 *   - cosine similarity (default): q.b / (|q| |b|); a zero vector has
 *     similarity 0 with everything; or the inner product q.b;
 *   - scores descending, ties to the lower database index;
 *   - scores are exact to double precision: candidates found with fp32 (or,
 *     with allow_tf32, tf32) products are rescored with the products (exact in
 *     double) summed in double in one fixed order, the same on every device,
 *     and only then ranked, so results do not depend on the device, the
 *     tiling or the workspace budget; each score is that double rounded to
 *     float. The sum is within about dim * 2^-53 of sum |q_i b_i| (over
 *     |q| |b| for cosine) of the exact value: far below a float's precision
 *     unless the products cancel almost entirely;
 *   - 1 <= k <= nb; nq == 0 does nothing; NaN or Inf in queries or database is
 *     BRG_ERR_INVALID_ARG, naming the row;
 *   - an inner product beyond the float range is returned as +-Inf, its
 *     correct rounding; the ranking still uses the exact value.
 * The nq x nb similarity matrix is never built: the call works in tiles whose
 * extra memory stays within workspace_bytes (default: 256 MiB on the CPU; on
 * a GPU the smaller of 1 GiB and a quarter of free memory). A budget below the
 * smallest workable tile is BRG_ERR_INVALID_ARG, and the message gives the
 * minimum. The CPU device keeps up to 64 MiB of that workspace after a call
 * for the next one (re-faulting it cost a sixth of a small call's time) and
 * frees it when the device is closed. */

#define BRG_METRIC_COSINE 0
#define BRG_METRIC_INNER_PRODUCT 1

typedef struct brg_topk_options {   /* zero-initialised means defaults */
    size_t workspace_bytes;         /* 0: the device's default budget */
    int    metric;                  /* BRG_METRIC_COSINE (0) or BRG_METRIC_INNER_PRODUCT */
    int    allow_tf32;              /* 0: full fp32 products; 1: tensor-core tf32 where the device has it */
} brg_topk_options;

/* queries: nq x dim, db: nb x dim, row-major host arrays; scores and indices:
 * nq x k each, row-major, written by the call. The caller owns all of them.
 * opts NULL means defaults. */
BRG_API brg_status brg_cosine_topk_f32(brg_device *dev,
                               const float *queries, int64_t nq,
                               const float *db, int64_t nb, int64_t dim, int64_t k,
                               const brg_topk_options *opts,
                               float *scores, int64_t *indices);

/* The tensor form: queries (nq x dim) and db (nb x dim) f32 tensors, scores
 * (nq x k) f32 and indices (nq x k) i64 tensors, all on one device. */
BRG_API brg_status brg_topk(const brg_tensor *queries, const brg_tensor *db, int64_t k,
                    const brg_topk_options *opts, brg_tensor *scores, brg_tensor *indices);

/* A prepared database (as FAISS's flat index): the rows are copied to the
 * device and their norms computed once, then searched many times.
 * Thread safety: searches of one index may run concurrently. */
typedef struct brg_index brg_index;

/* Copy db (nb x dim host array) to dev for metric (BRG_METRIC_COSINE or
 * BRG_METRIC_INNER_PRODUCT). The index holds a reference to dev; release it
 * with brg_index_free. NaN or Inf in db is BRG_ERR_INVALID_ARG. On a CPU
 * whose top-k screens in bf16 (AVX512-BF16 or AMX through oneDNN; dim >= 32)
 * the index also keeps the rows in bf16, half their size again, so that its
 * searches do not convert them. */
BRG_API brg_status brg_index_create(brg_device *dev, const float *db, int64_t nb, int64_t dim, int metric,
                            brg_index **out);

/* Search nq queries (host array nq x dim); scores and indices as in
 * brg_cosine_topk_f32. The index's metric applies; opts->metric is ignored. */
BRG_API brg_status brg_index_search(brg_index *index, const float *queries, int64_t nq, int64_t k,
                            const brg_topk_options *opts, float *scores, int64_t *indices);

/* Rows and dimension of an index (0 for NULL). */
BRG_API int64_t brg_index_rows(const brg_index *index);
BRG_API int64_t brg_index_dim(const brg_index *index);

/* Release an index and its device memory. NULL is fine. */
BRG_API void brg_index_free(brg_index *index);

/* The exact similarity that top-k ranks by, in double: for each query q and
 * each of its k rows indices[q * k + j], scores[q * k + j] = the similarity
 * of queries row q and db row indices[q * k + j] (cosine or inner product by
 * metric), computed as every device computes it (float products summed in
 * double in one fixed order), so that results of separate calls (shards of
 * one database, as brigade_mpi merges them) rank exactly as one call would.
 * The rounded float of each is what brg_cosine_topk_f32 returns. Host
 * arrays: queries nq x dim, db (any number of rows) x dim, indices and
 * scores nq x k; every index must be a row of db (>= 0 and < nb). Runs on the
 * calling thread. NaN or Inf in a row used is BRG_ERR_INVALID_ARG. */
BRG_API brg_status brg_topk_exact_scores(const float *queries, int64_t nq, const float *db,
                                         int64_t nb, int64_t dim, int64_t k, int metric,
                                         const int64_t *indices, double *scores);

#ifdef __cplusplus
}
#endif
#endif

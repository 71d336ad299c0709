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

/* ---- cosine top-k ------------------------------------------------------------

 * For each of nq queries, the k database rows most similar to it:
 *   - cosine similarity (default): q.b / (|q| |b|); a zero vector has
 *     similarity 0 with everything; or the inner product q.b;
 *   - scores descending, ties to the lower database index;
 *   - scores are exact: candidates found with fp32 (or, with allow_tf32, tf32)
 *     products are rescored with products summed in double, and only then
 *     ranked, so results do not depend on the device, the tiling or the
 *     workspace budget (each score is the exact similarity rounded to float);
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
 * with brg_index_free. NaN or Inf in db is BRG_ERR_INVALID_ARG. */
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

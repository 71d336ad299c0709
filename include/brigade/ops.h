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
brg_status brg_mean_rows(const brg_tensor *x, brg_tensor *out);

/* out[i] = mean of chunk i of x cut as numpy.array_split(x, chunks).
 * x: any shape, taken flat, f32 or f64; chunks >= 1; out: 1-D of length chunks,
 * same dtype and device. */
brg_status brg_mean_chunks(const brg_tensor *x, int64_t chunks, brg_tensor *out);

/* ---- one-call helpers on host arrays (contract) --------------------------- */

/* x: rows*cols values, row-major; out: rows values. The caller owns both. */
brg_status brg_mean_rows_f64(brg_device *dev, const double *x, int64_t rows,
                             int64_t cols, double *out);
brg_status brg_mean_rows_f32(brg_device *dev, const float *x, int64_t rows,
                             int64_t cols, float *out);

/* x: n values; out: chunks values. The caller owns both. */
brg_status brg_mean_chunks_f64(brg_device *dev, const double *x, int64_t n,
                               int64_t chunks, double *out);

#ifdef __cplusplus
}
#endif
#endif

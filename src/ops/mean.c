/* Mean of rows and mean of chunks: argument checks, tensor ops, and the
 * one-call helpers that stage host arrays through a device. */
#include <stdio.h>
#include <string.h>

#include "brigade/ops.h"
#include "core.h"
#include "error.h"
#include "mean_plan.h"
#include "staging.h"

/* Shared checks of a tensor op's operands: non-NULL, one device, float
 * dtype, out not sharing x's storage, kernel present. */
static brg_status check_mean_operands(const brg_tensor *x, const brg_tensor *out)
{
    BRG_CHECK_ARG(x, "x is NULL");
    BRG_CHECK_ARG(out, "out is NULL");
    brg_device *dx = x->storage->dev, *dout = out->storage->dev;
    if (!brg_same_device(dx, dout))
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "x is on %s but out is on %s", dx->spec, dout->spec);
    if (x->dtype != BRG_F32 && x->dtype != BRG_F64)
        return BRG_ERROR(BRG_ERR_DTYPE, "mean needs f32 or f64, x is %s", brg_dtype_name(x->dtype));
    if (out->dtype != x->dtype)
        return BRG_ERROR(BRG_ERR_DTYPE, "out is %s but x is %s", brg_dtype_name(out->dtype),
                         brg_dtype_name(x->dtype));
    if (out->storage == x->storage)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "out shares storage with x");
    if (!dx->be->mean_chunks)
        return BRG_ERROR(BRG_ERR_UNSUPPORTED, "mean is not implemented on %s", dx->spec);
    return BRG_OK;
}

static brg_status run_mean(const brg_tensor *x, int64_t chunks, brg_tensor *out)
{
    if (chunks == 0) return BRG_OK;
    brg_device *dev = x->storage->dev;
    return dev->be->mean_chunks(dev->ctx, x->dtype, x->storage->data, x->numel, chunks,
                                out->storage->data);
}

brg_status brg_mean_rows(const brg_tensor *x, brg_tensor *out)
{
    brg_status st = check_mean_operands(x, out);
    if (st != BRG_OK) return st;
    if (x->ndim != 2)
        return BRG_ERROR(BRG_ERR_SHAPE, "mean of rows needs a 2-D x, got %d-D", x->ndim);
    if (out->ndim != 1 || out->shape[0] != x->shape[0])
        return BRG_ERROR(BRG_ERR_SHAPE, "out must be 1-D of length rows = %lld",
                         (long long)x->shape[0]);
    return run_mean(x, x->shape[0], out);
}

brg_status brg_mean_chunks(const brg_tensor *x, int64_t chunks, brg_tensor *out)
{
    brg_status st = check_mean_operands(x, out);
    if (st != BRG_OK) return st;
    if (chunks < 1)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "chunks must be >= 1, got %lld", (long long)chunks);
    if (out->ndim != 1 || out->shape[0] != chunks)
        return BRG_ERROR(BRG_ERR_SHAPE, "out must be 1-D of length chunks = %lld",
                         (long long)chunks);
    return run_mean(x, chunks, out);
}

/* ---- one-call helpers ------------------------------------------------------ */

/* Run mean_chunks on host arrays. On a GPU, chunks of equal length are
 * staged in batches that fit the staging budget: array_split of n into
 * chunks gives r chunks of q+1 elements then chunks-r of q, and a batch of
 * equal-length chunks is itself an exact array_split. */
static brg_status mean_host(brg_device *dev, brg_dtype dtype, const void *x, int64_t n,
                            int64_t chunks, void *out)
{
    size_t esize = brg_dtype_size(dtype);
    const brg_backend_i *be = dev->be;
    if (!be->mean_chunks)
        return BRG_ERROR(BRG_ERR_UNSUPPORTED, "mean is not implemented on %s", dev->spec);
    if (be->host_memory) return be->mean_chunks(dev->ctx, dtype, x, n, chunks, out);

    brg_mean_plan plan = brg_mean_plan_make(n, chunks, 1, 1);
    int64_t longest = plan.q + (plan.r != 0);
    brg_staging stage;
    brg_status st = brg_staging_begin(dev, &stage, longest, chunks, esize, "mean");
    if (st != BRG_OK) return st;
    const char *src = x;
    char *dst = out;
    int64_t done = 0;
    while (st == BRG_OK && done < chunks) {
        int64_t len = brg_mean_plan_chunk_len(&plan, done);
        int64_t region_end = done < plan.r ? plan.r : chunks;
        int64_t batch = stage.rows_per_batch;
        if (batch > region_end - done) batch = region_end - done;
        int64_t first = brg_mean_plan_chunk_start(&plan, done);
        size_t in_bytes = (size_t)(batch * len) * esize, out_bytes = (size_t)batch * esize;
        st = be->copy_h2d(dev->ctx, stage.in, src + (size_t)first * esize, in_bytes);
        if (st == BRG_OK)
            st = be->mean_chunks(dev->ctx, dtype, stage.in, batch * len, batch, stage.out);
        if (st == BRG_OK)
            st = be->copy_d2h(dev->ctx, dst + (size_t)done * esize, stage.out, out_bytes);
        done += batch;
    }
    brg_staging_end(dev, &stage);
    return st;
}

static brg_status check_device(brg_device *dev)
{
    BRG_CHECK_ARG(dev, "dev is NULL");
    return BRG_OK;
}

static brg_status mean_rows_host(brg_device *dev, brg_dtype dtype, const void *x, int64_t rows,
                                 int64_t cols, void *out)
{
    brg_status st = check_device(dev);
    if (st != BRG_OK) return st;
    if (rows < 0 || cols < 0)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "negative shape rows=%lld cols=%lld",
                         (long long)rows, (long long)cols);
    int64_t n;
    size_t bytes;
    if (__builtin_mul_overflow(rows, cols, &n))
        return BRG_ERROR(BRG_ERR_OVERFLOW, "rows*cols overflows int64");
    st = brg_bytes_of(n, brg_dtype_size(dtype), &bytes, "x");
    if (st != BRG_OK) return st;
    st = brg_bytes_of(rows, brg_dtype_size(dtype), &bytes, "out");
    if (st != BRG_OK) return st;
    if (rows == 0) return BRG_OK;
    BRG_CHECK_ARG(out, "out is NULL");
    BRG_CHECK_ARG(x || n == 0, "x is NULL");
    return mean_host(dev, dtype, x, n, rows, out);
}

brg_status brg_mean_rows_f64(brg_device *dev, const double *x, int64_t rows, int64_t cols,
                             double *out)
{
    return mean_rows_host(dev, BRG_F64, x, rows, cols, out);
}

brg_status brg_mean_rows_f32(brg_device *dev, const float *x, int64_t rows, int64_t cols,
                             float *out)
{
    return mean_rows_host(dev, BRG_F32, x, rows, cols, out);
}

brg_status brg_mean_chunks_f64(brg_device *dev, const double *x, int64_t n, int64_t chunks,
                               double *out)
{
    brg_status st = check_device(dev);
    if (st != BRG_OK) return st;
    if (n < 0) return BRG_ERROR(BRG_ERR_INVALID_ARG, "negative n=%lld", (long long)n);
    if (chunks < 1)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "chunks must be >= 1, got %lld", (long long)chunks);
    size_t bytes;
    st = brg_bytes_of(n, sizeof(double), &bytes, "x");
    if (st != BRG_OK) return st;
    st = brg_bytes_of(chunks, sizeof(double), &bytes, "out");
    if (st != BRG_OK) return st;
    BRG_CHECK_ARG(out, "out is NULL");
    BRG_CHECK_ARG(x || n == 0, "x is NULL");
    return mean_host(dev, BRG_F64, x, n, chunks, out);
}

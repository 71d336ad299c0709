/* Uniform [0, 1) fills (Philox4x32-10, src/shared/philox.h): argument checks, the
 * tensor op, and the one-call helpers that stage host arrays through a
 * GPU's memory. */
#include "brigade/ops.h"
#include "core.h"
#include "error.h"
#include "staging.h"

/* The stream and first element opts name, checked: offset + n must fit
 * int64_t (the slot's contract). */
static brg_status fill_position(const brg_fill_options *opts, int64_t n, uint64_t *stream,
                                int64_t *offset)
{
    *stream = opts ? opts->stream : 0;
    *offset = opts ? opts->offset : 0;
    if (*offset < 0)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "opts->offset must be >= 0, got %lld",
                         (long long)*offset);
    if (n > INT64_MAX - *offset)
        return BRG_ERROR(BRG_ERR_OVERFLOW, "opts->offset %lld + n %lld exceeds INT64_MAX",
                         (long long)*offset, (long long)n);
    return BRG_OK;
}

/* Elements [offset, offset + n) of the stream into host memory: directly on
 * the CPU, else in batches of the staging budget through device memory, each
 * batch continuing the stream where the last stopped. */
static brg_status fill_host(brg_device *dev, brg_dtype dtype, void *out, int64_t n, uint64_t seed,
                            uint64_t stream, int64_t offset)
{
    const brg_backend_i *be = dev->be;
    if (!be->fill_uniform)
        return BRG_ERROR(BRG_ERR_UNSUPPORTED, "uniform fill is not implemented on %s", dev->spec);
    if (be->host_memory) return be->fill_uniform(dev->ctx, dtype, seed, stream, offset, n, out);
    size_t esize = brg_dtype_size(dtype);
    int64_t batch = (int64_t)(brg_staging_budget(dev) / esize);
    if (batch < 1) batch = 1;
    if (batch > n) batch = n;
    void *buf;
    brg_status st = brg_device_alloc(dev, (size_t)batch * esize, &buf, "uniform fill");
    for (int64_t done = 0; st == BRG_OK && done < n; done += batch) {
        int64_t len = n - done < batch ? n - done : batch;
        st = be->fill_uniform(dev->ctx, dtype, seed, stream, offset + done, len, buf);
        if (st == BRG_OK)
            st = be->copy_d2h(dev->ctx, (char *)out + (size_t)done * esize, buf, (size_t)len * esize);
    }
    brg_device_free(dev, buf); /* NULL when the allocation failed */
    return st;
}

static brg_status fill_checked(brg_device *dev, brg_dtype dtype, void *out, int64_t n,
                               uint64_t seed, const brg_fill_options *opts)
{
    BRG_CHECK_ARG(dev, "dev is NULL");
    if (n < 0) return BRG_ERROR(BRG_ERR_INVALID_ARG, "negative n=%lld", (long long)n);
    uint64_t stream;
    int64_t offset;
    brg_status st = fill_position(opts, n, &stream, &offset);
    size_t bytes;
    if (st == BRG_OK) st = brg_bytes_of(n, brg_dtype_size(dtype), &bytes, "out");
    if (st != BRG_OK || n == 0) return st;
    BRG_CHECK_ARG(out, "out is NULL");
    return fill_host(dev, dtype, out, n, seed, stream, offset);
}

brg_status brg_fill_uniform_f64(brg_device *dev, double *out, int64_t n, uint64_t seed,
                                const brg_fill_options *opts)
{
    return fill_checked(dev, BRG_F64, out, n, seed, opts);
}

brg_status brg_fill_uniform_f32(brg_device *dev, float *out, int64_t n, uint64_t seed,
                                const brg_fill_options *opts)
{
    return fill_checked(dev, BRG_F32, out, n, seed, opts);
}

brg_status brg_fill_uniform(brg_tensor *t, uint64_t seed, const brg_fill_options *opts)
{
    BRG_CHECK_ARG(t, "t is NULL");
    if (t->dtype != BRG_F32 && t->dtype != BRG_F64)
        return BRG_ERROR(BRG_ERR_DTYPE, "uniform fill needs f32 or f64, t is %s",
                         brg_dtype_name(t->dtype));
    brg_device *dev = t->storage->dev;
    if (!dev->be->fill_uniform)
        return BRG_ERROR(BRG_ERR_UNSUPPORTED, "uniform fill is not implemented on %s", dev->spec);
    uint64_t stream;
    int64_t offset;
    brg_status st = fill_position(opts, t->numel, &stream, &offset);
    if (st != BRG_OK || t->numel == 0) return st;
    return dev->be->fill_uniform(dev->ctx, t->dtype, seed, stream, offset, t->numel,
                                 t->storage->data);
}

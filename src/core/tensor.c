/* Tensors: shape checks, reference-counted device storage, host copies, views. */
#include "core.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

size_t brg_dtype_size(brg_dtype dtype)
{
    switch (dtype) {
    case BRG_F32: return 4;
    case BRG_F64: return 8;
    case BRG_I32: return 4;
    case BRG_I64: return 8;
    case BRG_U8: return 1;
    }
    return 0;
}

const char *brg_dtype_name(brg_dtype dtype)
{
    switch (dtype) {
    case BRG_F32: return "f32";
    case BRG_F64: return "f64";
    case BRG_I32: return "i32";
    case BRG_I64: return "i64";
    case BRG_U8: return "u8";
    }
    return "?";
}

/* Validate a shape and compute its element count and byte size. */
static brg_status check_shape(brg_dtype dtype, int ndim, const int64_t *shape, int64_t *numel,
                              size_t *bytes)
{
    size_t esize = brg_dtype_size(dtype);
    if (esize == 0) return BRG_ERROR(BRG_ERR_DTYPE, "unknown dtype %d", (int)dtype);
    if (ndim < 1 || ndim > BRG_MAX_DIMS)
        return BRG_ERROR(BRG_ERR_SHAPE, "ndim %d outside 1..%d", ndim, BRG_MAX_DIMS);
    BRG_CHECK_ARG(shape, "shape is NULL");
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return BRG_ERROR(BRG_ERR_SHAPE, "dimension %d is negative (%lld)", i,
                             (long long)shape[i]);
        if (__builtin_mul_overflow(n, shape[i], &n))
            return BRG_ERROR(BRG_ERR_OVERFLOW, "element count of the shape overflows int64");
    }
    *numel = n;
    return brg_bytes_of(n, esize, bytes, "tensor size");
}

static brg_tensor *tensor_new(brg_storage *st, brg_dtype dtype, int ndim, const int64_t *shape,
                              int64_t numel)
{
    brg_tensor *t = brg_calloc(1, sizeof *t);
    if (!t) return NULL;
    t->storage = st;
    t->dtype = dtype;
    t->ndim = ndim;
    memcpy(t->shape, shape, (size_t)ndim * sizeof shape[0]);
    t->numel = numel;
    return t;
}

/* What making a tensor on dev checks first: out (cleared), dev, the shape. */
static brg_status check_new(brg_device *dev, brg_dtype dtype, int ndim, const int64_t *shape,
                            brg_tensor **out, int64_t *numel, size_t *bytes)
{
    BRG_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    BRG_CHECK_ARG(dev, "dev is NULL");
    return check_shape(dtype, ndim, shape, numel, bytes);
}

brg_status brg_tensor_create(brg_device *dev, brg_dtype dtype, int ndim, const int64_t *shape,
                             brg_tensor **out)
{
    int64_t numel = 0;
    size_t bytes = 0;
    brg_status st = check_new(dev, dtype, ndim, shape, out, &numel, &bytes);
    if (st != BRG_OK) return st;

    brg_storage *s = brg_calloc(1, sizeof *s);
    if (!s) return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "tensor storage header");
    st = brg_device_alloc(dev, bytes, &s->data, "tensor");
    if (st != BRG_OK) {
        brg_free(s);
        return st;
    }
    s->dev = dev;
    s->bytes = bytes;
    atomic_init(&s->refs, 1);
    brg_tensor *t = tensor_new(s, dtype, ndim, shape, numel);
    if (!t) {
        brg_device_free(dev, s->data);
        brg_free(s);
        return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "tensor header");
    }
    brg_device_retain(dev);
    *out = t;
    return BRG_OK;
}

brg_status brg_tensor_wrap(brg_device *dev, brg_dtype dtype, int ndim, const int64_t *shape,
                           void *data, size_t data_bytes, brg_tensor **out)
{
    int64_t numel = 0;
    size_t bytes = 0;
    brg_status st = check_new(dev, dtype, ndim, shape, out, &numel, &bytes);
    if (st != BRG_OK) return st;
    if (data_bytes < bytes)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "data_bytes %zu is below the shape's %zu bytes",
                         data_bytes, bytes);
    BRG_CHECK_ARG(data || bytes == 0, "data is NULL");
    if ((uintptr_t)data % brg_dtype_size(dtype) != 0)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "data %p is not aligned to its %zu-byte elements",
                         data, brg_dtype_size(dtype));
    brg_storage *s = brg_calloc(1, sizeof *s);
    brg_tensor *t = s ? tensor_new(s, dtype, ndim, shape, numel) : NULL;
    if (!t) {
        brg_free(s);
        return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "tensor header");
    }
    s->dev = dev;
    s->data = data;
    s->bytes = bytes;
    s->borrowed = 1;
    atomic_init(&s->refs, 1);
    brg_device_retain(dev);
    *out = t;
    return BRG_OK;
}

brg_status brg_tensor_from_host(brg_device *dev, brg_dtype dtype, int ndim, const int64_t *shape,
                                const void *src, size_t src_bytes, brg_tensor **out)
{
    BRG_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    brg_tensor *t;
    brg_status st = brg_tensor_create(dev, dtype, ndim, shape, &t);
    if (st != BRG_OK) return st;
    st = brg_tensor_copy_from_host(t, src, src_bytes);
    if (st != BRG_OK) {
        brg_tensor_free(t);
        return st;
    }
    *out = t;
    return BRG_OK;
}

brg_status brg_tensor_copy_from_host(brg_tensor *t, const void *src, size_t src_bytes)
{
    BRG_CHECK_ARG(t, "tensor is NULL");
    size_t bytes = brg_tensor_bytes(t);
    if (src_bytes != bytes)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "src_bytes %zu differs from the tensor's %zu bytes",
                         src_bytes, bytes);
    if (bytes == 0) return BRG_OK;
    BRG_CHECK_ARG(src, "src is NULL");
    brg_device *dev = t->storage->dev;
    return dev->be->copy_h2d(dev->ctx, t->storage->data, src, bytes);
}

brg_status brg_tensor_to_host(const brg_tensor *t, void *dst, size_t dst_capacity)
{
    BRG_CHECK_ARG(t, "tensor is NULL");
    size_t bytes = brg_tensor_bytes(t);
    if (dst_capacity < bytes)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "dst_capacity %zu is below the tensor's %zu bytes",
                         dst_capacity, bytes);
    if (bytes == 0) return BRG_OK;
    BRG_CHECK_ARG(dst, "dst is NULL");
    brg_device *dev = t->storage->dev;
    return dev->be->copy_d2h(dev->ctx, dst, t->storage->data, bytes);
}

brg_status brg_tensor_to_host_range(const brg_tensor *t, int64_t first, int64_t count, void *dst,
                                    size_t dst_capacity)
{
    BRG_CHECK_ARG(t, "tensor is NULL");
    if (first < 0 || count < 0 || first > t->numel || count > t->numel - first)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "elements [%lld, %lld + %lld) are not inside the "
                         "tensor's %lld", (long long)first, (long long)first, (long long)count,
                         (long long)t->numel);
    size_t esize = brg_dtype_size(t->dtype), bytes = (size_t)count * esize;
    if (dst_capacity < bytes)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "dst_capacity %zu is below the %zu bytes asked for",
                         dst_capacity, bytes);
    if (bytes == 0) return BRG_OK;
    BRG_CHECK_ARG(dst, "dst is NULL");
    brg_device *dev = t->storage->dev;
    return dev->be->copy_d2h(dev->ctx, dst, (const char *)t->storage->data + (size_t)first * esize,
                             bytes);
}

brg_status brg_tensor_copy(brg_tensor *dst, const brg_tensor *src)
{
    BRG_CHECK_ARG(dst && src, "dst or src is NULL");
    brg_device *dd = dst->storage->dev, *ds = src->storage->dev;
    if (dd->be != ds->be || dd->index != ds->index)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "dst is on %s but src is on %s", dd->spec, ds->spec);
    if (dst->dtype != src->dtype)
        return BRG_ERROR(BRG_ERR_DTYPE, "dst is %s but src is %s", brg_dtype_name(dst->dtype),
                         brg_dtype_name(src->dtype));
    if (dst->numel != src->numel)
        return BRG_ERROR(BRG_ERR_SHAPE, "dst has %lld elements, src %lld", (long long)dst->numel,
                         (long long)src->numel);
    if (dst->storage == src->storage || dst->numel == 0) return BRG_OK;
    return dd->be->copy_d2d(dd->ctx, dst->storage->data, src->storage->data, brg_tensor_bytes(src));
}

brg_status brg_tensor_reshape(const brg_tensor *t, int ndim, const int64_t *shape,
                              brg_tensor **out)
{
    BRG_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    BRG_CHECK_ARG(t, "tensor is NULL");
    BRG_CHECK_ARG(shape, "shape is NULL");
    if (ndim < 1 || ndim > BRG_MAX_DIMS)
        return BRG_ERROR(BRG_ERR_SHAPE, "ndim %d outside 1..%d", ndim, BRG_MAX_DIMS);
    int64_t dims[BRG_MAX_DIMS];
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < ndim; i++) {
        dims[i] = shape[i];
        if (shape[i] == -1) {
            if (infer >= 0) return BRG_ERROR(BRG_ERR_SHAPE, "more than one -1 in the new shape");
            infer = i;
            continue;
        }
        if (shape[i] < 0)
            return BRG_ERROR(BRG_ERR_SHAPE, "dimension %d is negative (%lld)", i,
                             (long long)shape[i]);
        if (__builtin_mul_overflow(known, shape[i], &known))
            return BRG_ERROR(BRG_ERR_OVERFLOW, "element count of the new shape overflows int64");
    }
    if (infer >= 0) {
        if (known == 0 || t->numel % known != 0)
            return BRG_ERROR(BRG_ERR_SHAPE, "cannot infer -1: %lld elements into known size %lld",
                             (long long)t->numel, (long long)known);
        dims[infer] = t->numel / known;
        known = t->numel;
    }
    if (known != t->numel)
        return BRG_ERROR(BRG_ERR_SHAPE, "cannot reshape %lld elements into %lld",
                         (long long)t->numel, (long long)known);
    brg_tensor *v = tensor_new(t->storage, t->dtype, ndim, dims, t->numel);
    if (!v) return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "tensor view header");
    atomic_fetch_add_explicit(&t->storage->refs, 1, memory_order_relaxed);
    *out = v;
    return BRG_OK;
}

void brg_tensor_free(brg_tensor *t)
{
    if (!t) return;
    brg_storage *s = t->storage;
    brg_free(t);
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1) {
        if (!s->borrowed) brg_device_free(s->dev, s->data);
        brg_device_release(s->dev);
        brg_free(s);
    }
}

brg_dtype brg_tensor_dtype(const brg_tensor *t)
{
    return t ? t->dtype : (brg_dtype)-1;
}

int brg_tensor_ndim(const brg_tensor *t)
{
    return t ? t->ndim : 0;
}

int64_t brg_tensor_dim(const brg_tensor *t, int axis)
{
    if (!t || axis < 0 || axis >= t->ndim) return 0;
    return t->shape[axis];
}

int64_t brg_tensor_numel(const brg_tensor *t)
{
    return t ? t->numel : 0;
}

size_t brg_tensor_bytes(const brg_tensor *t)
{
    return t ? (size_t)t->numel * brg_dtype_size(t->dtype) : 0;
}

brg_device *brg_tensor_device(const brg_tensor *t)
{
    return t ? t->storage->dev : NULL;
}

void *brg_tensor_data(const brg_tensor *t)
{
    return t ? t->storage->data : NULL;
}

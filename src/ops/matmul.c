/* The matrix product c = a . b^T: argument checks and dispatch to the
 * backend's GEMM (its matmul_nt slot). */
#include <stdint.h>

#include "brigade/ops.h"
#include "core.h"
#include "error.h"

static brg_status check_f32_matrix(const brg_tensor *t, const char *name)
{
    if (t->dtype != BRG_F32)
        return BRG_ERROR(BRG_ERR_DTYPE, "%s must be f32, is %s", name, brg_dtype_name(t->dtype));
    if (t->ndim != 2) return BRG_ERROR(BRG_ERR_SHAPE, "%s must be 2-D, is %d-D", name, t->ndim);
    return BRG_OK;
}

brg_status brg_matmul_nt(const brg_tensor *a, const brg_tensor *b, const brg_matmul_options *opts,
                         brg_tensor *c)
{
    BRG_CHECK_ARG(a && b && c, "a, b or c is NULL");
    brg_device *dev = a->storage->dev;
    if (!brg_same_device(dev, b->storage->dev) || !brg_same_device(dev, c->storage->dev))
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "a, b and c must be on one device (a is on %s, b on %s, "
                         "c on %s)", dev->spec, b->storage->dev->spec, c->storage->dev->spec);
    if (opts && opts->allow_tf32 != 0 && opts->allow_tf32 != 1)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "opts->allow_tf32 must be 0 or 1");
    brg_status st = check_f32_matrix(a, "a");
    if (st == BRG_OK) st = check_f32_matrix(b, "b");
    if (st == BRG_OK) st = check_f32_matrix(c, "c");
    if (st != BRG_OK) return st;
    int64_t m = a->shape[0], k = a->shape[1], n = b->shape[0];
    if (b->shape[1] != k)
        return BRG_ERROR(BRG_ERR_SHAPE, "a is %lld x %lld but b is %lld x %lld: their columns differ",
                         (long long)m, (long long)k, (long long)n, (long long)b->shape[1]);
    if (c->shape[0] != m || c->shape[1] != n)
        return BRG_ERROR(BRG_ERR_SHAPE, "c must be %lld x %lld, is %lld x %lld", (long long)m,
                         (long long)n, (long long)c->shape[0], (long long)c->shape[1]);
    if (c->storage == a->storage || c->storage == b->storage)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "c shares storage with %s",
                         c->storage == a->storage ? "a" : "b");
    if (m == 0 || n == 0) return BRG_OK;
    if (k == 0) return BRG_ERROR(BRG_ERR_SHAPE, "a and b have no columns (k = 0)");
    if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX)
        return BRG_ERROR(BRG_ERR_UNSUPPORTED, "matmul on %s: m, n and k must each fit int "
                         "(%lld x %lld x %lld)", dev->spec, (long long)m, (long long)n, (long long)k);
    if (!dev->be->matmul_nt)
        return BRG_ERROR(BRG_ERR_UNSUPPORTED, "matmul is not implemented on %s", dev->spec);
    return dev->be->matmul_nt(dev->ctx, a->storage->data, b->storage->data, c->storage->data, m, n, k,
                            opts ? opts->allow_tf32 : 0);
}

/* Cosine top-k: argument checks, the one-call helper, the tensor op and the
 * prepared index. The work itself is the backends' (topk slot). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "brigade/ops.h"
#include "core.h"
#include "error.h"
#include "topk_exact.h"

#define GPU_DEFAULT_BUDGET ((size_t)1 << 30)

struct brg_index {
    brg_device *dev;         /* holds a reference */
    int64_t nb, dim;
    int metric;
    float *db;               /* device copy, nb x dim */
    double *norms;           /* device, nb */
    double max_norm;
    void *prepared;          /* the backend's topk_prepare data, or NULL */
};

static brg_status check_options(const brg_topk_options *opts)
{
    if (!opts) return BRG_OK;
    if (opts->metric != BRG_METRIC_COSINE && opts->metric != BRG_METRIC_INNER_PRODUCT)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "opts->metric %d is not BRG_METRIC_COSINE or "
                         "BRG_METRIC_INNER_PRODUCT", opts->metric);
    if (opts->allow_tf32 != 0 && opts->allow_tf32 != 1)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "opts->allow_tf32 must be 0 or 1");
    return BRG_OK;
}

/* Shapes of a top-k call: counts, k in [1, nb], and every byte size. */
static brg_status check_shape(int64_t nq, int64_t nb, int64_t dim, int64_t k)
{
    if (nq < 0) return BRG_ERROR(BRG_ERR_INVALID_ARG, "nq is negative (%lld)", (long long)nq);
    if (nb < 1) return BRG_ERROR(BRG_ERR_INVALID_ARG, "nb must be >= 1, got %lld", (long long)nb);
    if (dim < 1) return BRG_ERROR(BRG_ERR_INVALID_ARG, "dim must be >= 1, got %lld", (long long)dim);
    if (k < 1 || k > nb)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "k must be in [1, nb = %lld], got %lld",
                         (long long)nb, (long long)k);
    int64_t n;
    size_t bytes;
    if (__builtin_mul_overflow(nq, dim, &n) || brg_bytes_of(n, sizeof(float), &bytes, "queries"))
        return BRG_ERROR(BRG_ERR_OVERFLOW, "queries: nq * dim floats overflow");
    if (__builtin_mul_overflow(nb, dim, &n) || brg_bytes_of(n, sizeof(float), &bytes, "db"))
        return BRG_ERROR(BRG_ERR_OVERFLOW, "db: nb * dim floats overflow");
    if (__builtin_mul_overflow(nq, k, &n) || brg_bytes_of(n, sizeof(int64_t), &bytes, "indices"))
        return BRG_ERROR(BRG_ERR_OVERFLOW, "results: nq * k overflow");
    return BRG_OK;
}

static brg_status topk_unsupported(const brg_device *dev)
{
    return BRG_ERROR(BRG_ERR_UNSUPPORTED, "top-k is not implemented on %s", dev->spec);
}

/* The budget: the caller's, else the device's default (CPU: its backend's). */
static size_t default_budget(brg_device *dev, const brg_topk_options *opts)
{
    if (opts && opts->workspace_bytes) return opts->workspace_bytes;
    if (dev->be->host_memory) return 0;
    size_t free_b = 0, total = 0;
    if (dev->be->mem_info(dev->ctx, &free_b, &total) != BRG_OK) return GPU_DEFAULT_BUDGET;
    return free_b / 4 < GPU_DEFAULT_BUDGET ? free_b / 4 : GPU_DEFAULT_BUDGET;
}

static brg_topk_call make_call(const brg_topk_options *opts, int64_t nq, int64_t nb, int64_t dim,
                               int64_t k)
{
    brg_topk_call c;
    memset(&c, 0, sizeof c);
    c.nq = nq;
    c.nb = nb;
    c.dim = dim;
    c.k = k;
    c.metric = opts ? opts->metric : BRG_METRIC_COSINE;
    c.allow_tf32 = opts ? opts->allow_tf32 : 0;
    return c;
}

/* Device buffers for a GPU call made from host arrays. */
typedef struct staged {
    void *q, *db, *s, *i;
} staged;

static void unstage(brg_device *dev, staged *st)
{
    brg_device_free(dev, st->q);
    brg_device_free(dev, st->db);
    brg_device_free(dev, st->s);
    brg_device_free(dev, st->i);
}

/* The GPU kernels index rows and candidates with int: refuse a dim or k
 * past INT32_MAX before anything is copied (the kernels check again). */
static brg_status check_device_int32(const brg_device *dev, int64_t dim, int64_t k)
{
    if (dev->be->host_memory || (dim <= INT32_MAX && k <= INT32_MAX)) return BRG_OK;
    return BRG_ERROR(BRG_ERR_UNSUPPORTED,
                     "top-k on %s: dim (%lld) and k (%lld) must fit int32 on a GPU", dev->spec,
                     (long long)dim, (long long)k);
}

/* Run c with host queries (and host db unless c->db is already on the
 * device), copying results back. */
static brg_status run_staged(brg_device *dev, brg_topk_call *c, const float *host_q,
                             const float *host_db, float *scores, int64_t *indices)
{
    const brg_backend_i *be = dev->be;
    brg_status limit = check_device_int32(dev, c->dim, c->k);
    if (limit != BRG_OK) return limit;
    if (be->host_memory) {
        c->queries = host_q;
        if (host_db) c->db = host_db;
        c->scores = scores;
        c->indices = indices;
        return be->topk(dev->ctx, c);
    }
    staged st = {0};
    size_t qb = (size_t)(c->nq * c->dim) * sizeof(float), rb = (size_t)(c->nq * c->k);
    brg_status s = brg_device_alloc(dev, qb, &st.q, "top-k queries");
    if (s == BRG_OK && host_db)
        s = brg_device_alloc(dev, (size_t)(c->nb * c->dim) * sizeof(float), &st.db, "top-k db");
    if (s == BRG_OK) s = brg_device_alloc(dev, rb * sizeof(float), &st.s, "top-k scores");
    if (s == BRG_OK) s = brg_device_alloc(dev, rb * sizeof(int64_t), &st.i, "top-k indices");
    if (s == BRG_OK) s = be->copy_h2d(dev->ctx, st.q, host_q, qb);
    if (s == BRG_OK && host_db)
        s = be->copy_h2d(dev->ctx, st.db, host_db, (size_t)(c->nb * c->dim) * sizeof(float));
    if (s == BRG_OK) {
        c->queries = st.q;
        if (host_db) c->db = st.db;
        c->scores = st.s;
        c->indices = st.i;
        s = be->topk(dev->ctx, c);
    }
    if (s == BRG_OK) s = be->copy_d2h(dev->ctx, scores, st.s, rb * sizeof(float));
    if (s == BRG_OK) s = be->copy_d2h(dev->ctx, indices, st.i, rb * sizeof(int64_t));
    unstage(dev, &st);
    return s;
}

brg_status brg_cosine_topk_f32(brg_device *dev, const float *queries, int64_t nq, const float *db,
                               int64_t nb, int64_t dim, int64_t k, const brg_topk_options *opts,
                               float *scores, int64_t *indices)
{
    BRG_CHECK_ARG(dev, "dev is NULL");
    brg_status st = check_shape(nq, nb, dim, k);
    if (st == BRG_OK) st = check_options(opts);
    if (st != BRG_OK) return st;
    if (!dev->be->topk) return topk_unsupported(dev);
    BRG_CHECK_ARG(db, "db is NULL");
    if (nq == 0) return BRG_OK;
    BRG_CHECK_ARG(queries, "queries is NULL");
    BRG_CHECK_ARG(scores && indices, "scores or indices is NULL");
    brg_topk_call c = make_call(opts, nq, nb, dim, k);
    c.workspace_bytes = default_budget(dev, opts);
    return run_staged(dev, &c, queries, db, scores, indices);
}

/* ---- tensor op ------------------------------------------------------------------- */

static brg_status check_matrix(const brg_tensor *t, const char *name, brg_dtype dtype,
                               int64_t rows, int64_t cols)
{
    if (t->dtype != dtype)
        return BRG_ERROR(BRG_ERR_DTYPE, "%s must be %s, not %s", name, brg_dtype_name(dtype),
                         brg_dtype_name(t->dtype));
    if (t->ndim != 2 || (rows >= 0 && t->shape[0] != rows) || (cols >= 0 && t->shape[1] != cols))
        return BRG_ERROR(BRG_ERR_SHAPE, "%s must be a %lld x %lld matrix", name, (long long)rows,
                         (long long)cols);
    return BRG_OK;
}

static int same_device(const brg_tensor *a, const brg_tensor *b)
{
    return brg_same_device(a->storage->dev, b->storage->dev);
}

brg_status brg_topk(const brg_tensor *queries, const brg_tensor *db, int64_t k,
                    const brg_topk_options *opts, brg_tensor *scores, brg_tensor *indices)
{
    BRG_CHECK_ARG(queries && db && scores && indices, "a tensor argument is NULL");
    if (!same_device(queries, db) || !same_device(queries, scores) || !same_device(queries, indices))
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "queries, db, scores and indices must be on one "
                         "device (queries are on %s)", queries->storage->dev->spec);
    brg_status st = check_options(opts);
    if (st == BRG_OK && (queries->ndim != 2 || db->ndim != 2))
        st = BRG_ERROR(BRG_ERR_SHAPE, "queries and db must be 2-D");
    if (st != BRG_OK) return st;
    int64_t nq = queries->shape[0], dim = queries->shape[1], nb = db->shape[0];
    st = check_matrix(queries, "queries", BRG_F32, -1, -1);
    if (st == BRG_OK) st = check_matrix(db, "db", BRG_F32, nb, dim);
    if (st == BRG_OK) st = check_shape(nq, nb, dim, k);
    if (st == BRG_OK) st = check_matrix(scores, "scores", BRG_F32, nq, k);
    if (st == BRG_OK) st = check_matrix(indices, "indices", BRG_I64, nq, k);
    if (st != BRG_OK) return st;
    if (scores->storage == queries->storage || scores->storage == db->storage ||
        indices->storage == queries->storage || indices->storage == db->storage ||
        scores->storage == indices->storage)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "outputs share storage with an input or each other");
    brg_device *dev = queries->storage->dev;
    if (!dev->be->topk) return topk_unsupported(dev);
    if (nq == 0) return BRG_OK;
    brg_topk_call c = make_call(opts, nq, nb, dim, k);
    c.workspace_bytes = default_budget(dev, opts);
    c.queries = queries->storage->data;
    c.db = db->storage->data;
    c.scores = scores->storage->data;
    c.indices = indices->storage->data;
    return dev->be->topk(dev->ctx, &c);
}

/* ---- prepared index ---------------------------------------------------------------- */

void brg_index_free(brg_index *ix)
{
    if (!ix) return;
    if (ix->prepared) ix->dev->be->topk_release(ix->dev->ctx, ix->prepared);
    brg_device_free(ix->dev, ix->db);
    brg_device_free(ix->dev, ix->norms);
    brg_device_release(ix->dev);
    brg_free(ix);
}

static brg_status index_norms(brg_index *ix)
{
    const brg_backend_i *be = ix->dev->be;
    int64_t bad = -1;
    brg_status st = be->row_norms(ix->dev->ctx, ix->db, ix->nb, ix->dim, ix->norms, &bad);
    if (st != BRG_OK) return st;
    if (bad >= 0)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "db row %lld contains NaN or Inf", (long long)bad);
    size_t bytes = (size_t)ix->nb * sizeof(double);
    double *host = brg_malloc(bytes);
    if (!host) return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "index norms on the host");
    st = be->copy_d2h(ix->dev->ctx, host, ix->norms, bytes);
    ix->max_norm = 0;
    for (int64_t r = 0; st == BRG_OK && r < ix->nb; r++)
        if (host[r] > ix->max_norm) ix->max_norm = host[r];
    brg_free(host);
    return st;
}

brg_status brg_index_create(brg_device *dev, const float *db, int64_t nb, int64_t dim, int metric,
                            brg_index **out)
{
    BRG_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    BRG_CHECK_ARG(dev, "dev is NULL");
    brg_status st = check_shape(0, nb, dim, 1);
    if (st != BRG_OK) return st;
    brg_topk_options o = {.metric = metric};
    st = check_options(&o);
    if (st != BRG_OK) return st;
    BRG_CHECK_ARG(db, "db is NULL");
    if (!dev->be->topk || !dev->be->row_norms) return topk_unsupported(dev);
    st = check_device_int32(dev, dim, 1);
    if (st != BRG_OK) return st;
    brg_index *ix = brg_calloc(1, sizeof *ix);
    if (!ix) return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "index");
    brg_device_retain(dev);
    ix->dev = dev;
    ix->nb = nb;
    ix->dim = dim;
    ix->metric = metric;
    size_t bytes = (size_t)(nb * dim) * sizeof(float);
    st = brg_device_alloc(dev, bytes, (void **)&ix->db, "index rows");
    if (st == BRG_OK)
        st = brg_device_alloc(dev, (size_t)nb * sizeof(double), (void **)&ix->norms, "index norms");
    if (st == BRG_OK) st = dev->be->copy_h2d(dev->ctx, ix->db, db, bytes);
    if (st == BRG_OK) st = index_norms(ix);
    if (st == BRG_OK && dev->be->topk_prepare)
        st = dev->be->topk_prepare(dev->ctx, ix->db, nb, dim, metric, &ix->prepared);
    if (st != BRG_OK) {
        brg_index_free(ix);
        return st;
    }
    *out = ix;
    return BRG_OK;
}

brg_status brg_index_search(brg_index *ix, const float *queries, int64_t nq, int64_t k,
                            const brg_topk_options *opts, float *scores, int64_t *indices)
{
    BRG_CHECK_ARG(ix, "index is NULL");
    brg_status st = check_shape(nq, ix->nb, ix->dim, k);
    if (st == BRG_OK && opts && opts->allow_tf32 != 0 && opts->allow_tf32 != 1)
        st = BRG_ERROR(BRG_ERR_INVALID_ARG, "opts->allow_tf32 must be 0 or 1");
    if (st != BRG_OK) return st;
    if (nq == 0) return BRG_OK;
    BRG_CHECK_ARG(queries, "queries is NULL");
    BRG_CHECK_ARG(scores && indices, "scores or indices is NULL");
    brg_topk_call c = make_call(opts, nq, ix->nb, ix->dim, k);
    c.metric = ix->metric;
    c.workspace_bytes = default_budget(ix->dev, opts);
    c.db = ix->db;
    c.db_norms = ix->norms;
    c.db_max_norm = ix->max_norm;
    c.prepared = ix->prepared;
    return run_staged(ix->dev, &c, queries, NULL, scores, indices);
}

int64_t brg_index_rows(const brg_index *ix)
{
    return ix ? ix->nb : 0;
}

int64_t brg_index_dim(const brg_index *ix)
{
    return ix ? ix->dim : 0;
}

brg_status brg_topk_exact_scores(const float *queries, int64_t nq, const float *db, int64_t nb,
                                 int64_t dim, int64_t k, int metric, const int64_t *indices,
                                 double *scores)
{
    brg_status st = check_shape(nq, nb, dim, k);
    if (st != BRG_OK) return st;
    if (metric != BRG_METRIC_COSINE && metric != BRG_METRIC_INNER_PRODUCT)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "metric %d is not BRG_METRIC_COSINE or "
                         "BRG_METRIC_INNER_PRODUCT", metric);
    if (nq == 0) return BRG_OK;
    BRG_CHECK_ARG(queries && db && indices && scores, "queries, db, indices or scores is NULL");
    for (int64_t q = 0; q < nq; q++) {
        const float *qv = queries + q * dim;
        double qn = brg_topk_norm(qv, dim);
        if (qn - qn != 0.0)
            return BRG_ERROR(BRG_ERR_INVALID_ARG, "queries row %lld contains NaN or Inf", (long long)q);
        for (int64_t j = 0; j < k; j++) {
            int64_t row = indices[q * k + j];
            if (row < 0 || row >= nb)
                return BRG_ERROR(BRG_ERR_INVALID_ARG, "indices[%lld] = %lld is not a row of db "
                                 "(nb = %lld)", (long long)(q * k + j), (long long)row, (long long)nb);
            const float *bv = db + row * dim;
            double bn = brg_topk_norm(bv, dim);
            if (bn - bn != 0.0)
                return BRG_ERROR(BRG_ERR_INVALID_ARG, "db row %lld contains NaN or Inf", (long long)row);
            scores[q * k + j] = brg_topk_exact(qv, bv, dim, qn, bn, metric);
        }
    }
    return BRG_OK;
}

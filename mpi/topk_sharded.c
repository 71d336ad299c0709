/* Sharded cosine top-k: the one-call form and the sharded index. Both run
 * the same steps:
 *   1. local checks and allocations, then one agreement on their status;
 *   2. the exchange of every rank's arguments, checked alike everywhere;
 *   3. the queries broadcast from the root (unless every rank has them);
 *   4. the local search of the shard, its candidates rescored in double
 *      (the core's exact score), then one agreement on its status;
 *   5. the merge (merge.c) and the results, as floats, where asked.
 * Every failure after step 1 is either agreed (the same on every rank) or an
 * MPI error (BRG_ERR_WORKER). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_impl.h"

/* One rank's view of a sharded database; the one-call form uses one on the
 * stack with the caller's communicator and no local index. */
struct brg_mpi_index {
    MPI_Comm comm;
    int owns_comm;           /* an index's duplicate, freed with it */
    int rank, size;
    const float *db;         /* borrowed host rows: nb_local x dim */
    int64_t nb_local, offset, nb_total, dim;
    int metric;
    brg_device *dev;
    brg_index *local;        /* the index form's shard on dev; NULL when nb_local == 0 */
};

/* Host buffers of one search, allocated before the first agreement so that
 * nothing can fail locally between the collectives except the search. */
typedef struct search_bufs {
    brg_mpi_table table;
    float *queries;          /* the broadcast queries, on ranks other than the root */
    float *scores;           /* local top kl: nq x kl */
    int64_t *indices;
    double *exact;           /* their exact scores: nq x kl */
    brg_mpi_rec *recs;       /* nq x k candidates, then the merged results */
    brg_mpi_rec *gathered;   /* the root's, for the gather merge */
} search_bufs;

static brg_mpi_options options_or_defaults(const brg_mpi_options *opts)
{
    brg_mpi_options o;
    memset(&o, 0, sizeof o);
    return opts ? *opts : o;
}

/* BRG_MPI_MERGE_AUTO is the reduction (docs/perf-notes.md, "Merging the
 * ranks' candidates"): 1.7x faster than the gather at 2 ranks and a million
 * candidates each in the interleaved runs, within noise elsewhere, and it
 * needs no buffer of every rank's candidates on the root. */
static int merge_kind(const brg_mpi_options *o)
{
    return o->merge == BRG_MPI_MERGE_AUTO ? BRG_MPI_MERGE_REDUCE : o->merge;
}

static brg_status comm_info(MPI_Comm comm, int *rank, int *size)
{
    int rc = MPI_Comm_rank(comm, rank);
    if (rc == MPI_SUCCESS) rc = MPI_Comm_size(comm, size);
    return rc == MPI_SUCCESS ? BRG_OK : brg_mpi_failed(rc, "MPI_Comm_rank/size");
}

/* ---- local checks ------------------------------------------------------------------ */

static brg_status check_options(const brg_mpi_options *o, int size)
{
    if (o->root < 0 || o->root >= size)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "opts->root %d is not one of the %d ranks", o->root,
                         size);
    if ((o->queries_on_every_rank | o->results_on_every_rank) & ~1)
        return BRG_ERROR(BRG_ERR_INVALID_ARG,
                         "opts->queries_on_every_rank and results_on_every_rank must be 0 or 1");
    if (o->merge != BRG_MPI_MERGE_AUTO && o->merge != BRG_MPI_MERGE_REDUCE &&
        o->merge != BRG_MPI_MERGE_GATHER)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "opts->merge %d is not a BRG_MPI_MERGE_ value", o->merge);
    if (o->topk.metric != BRG_METRIC_COSINE && o->topk.metric != BRG_METRIC_INNER_PRODUCT)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "opts->topk.metric %d is not BRG_METRIC_COSINE or "
                         "BRG_METRIC_INNER_PRODUCT", o->topk.metric);
    if (o->topk.allow_tf32 != 0 && o->topk.allow_tf32 != 1)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "opts->topk.allow_tf32 must be 0 or 1");
    return BRG_OK;
}

static brg_status check_shard(const float *db, int64_t nb_local, int64_t offset, int64_t dim)
{
    if (nb_local < 0)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "nb_local is negative (%lld)", (long long)nb_local);
    if (offset < 0) return BRG_ERROR(BRG_ERR_INVALID_ARG, "offset is negative (%lld)", (long long)offset);
    if (dim < 1) return BRG_ERROR(BRG_ERR_INVALID_ARG, "dim must be >= 1, got %lld", (long long)dim);
    if (dim > INT_MAX)
        return BRG_ERROR(BRG_ERR_UNSUPPORTED, "dim %lld is beyond MPI's int counts", (long long)dim);
    BRG_CHECK_ARG(db || nb_local == 0, "db is NULL but nb_local is %lld", (long long)nb_local);
    int64_t end, n;
    size_t bytes = 0;
    if (__builtin_add_overflow(offset, nb_local, &end))
        return BRG_ERROR(BRG_ERR_OVERFLOW, "offset + nb_local overflows int64");
    if (__builtin_mul_overflow(nb_local, dim, &n)) return BRG_ERROR(BRG_ERR_OVERFLOW, "nb_local * dim overflows");
    return brg_layered_bytes_of(n, sizeof(float), &bytes, "db");
}

/* Fill ix (not its comm) from a shard and open its device. */
static brg_status shard_init(brg_mpi_index *ix, const float *db, int64_t nb_local, int64_t offset,
                             int64_t dim, const brg_mpi_options *o)
{
    ix->db = db;
    ix->nb_local = nb_local;
    ix->offset = offset;
    ix->dim = dim;
    ix->metric = o->topk.metric;
    brg_status st = check_shard(db, nb_local, offset, dim);
    if (st == BRG_OK) st = check_options(o, ix->size);
    if (st == BRG_OK) st = brg_device_open(o->device ? o->device : "auto", &ix->dev);
    return st;
}

static brg_status check_search(const brg_mpi_index *ix, const brg_mpi_options *o,
                               const float *queries, int64_t nq, int64_t k, const float *scores,
                               const int64_t *indices)
{
    if (nq < 0) return BRG_ERROR(BRG_ERR_INVALID_ARG, "nq is negative (%lld)", (long long)nq);
    if (k < 1) return BRG_ERROR(BRG_ERR_INVALID_ARG, "k must be >= 1, got %lld", (long long)k);
    if (k > INT_MAX / (int64_t)sizeof(brg_mpi_rec))
        return BRG_ERROR(BRG_ERR_UNSUPPORTED, "k = %lld is beyond the merge's MPI datatype",
                         (long long)k);
    int64_t n;
    if (__builtin_mul_overflow(nq, ix->dim, &n) || __builtin_mul_overflow(nq, k, &n))
        return BRG_ERROR(BRG_ERR_OVERFLOW, "nq * dim or nq * k overflows");
    if (nq == 0) return BRG_OK;
    int root = ix->rank == o->root;
    BRG_CHECK_ARG(queries || !(root || o->queries_on_every_rank), "queries is NULL on rank %d",
                  ix->rank);
    BRG_CHECK_ARG((scores && indices) || !(root || o->results_on_every_rank),
                  "scores or indices is NULL on rank %d", ix->rank);
    return BRG_OK;
}

/* ---- buffers ----------------------------------------------------------------------- */

static void *alloc_array(int64_t count, size_t elem, const char *what, brg_status *st)
{
    size_t bytes = 0;
    if (*st != BRG_OK || count == 0) return NULL;
    *st = brg_layered_bytes_of(count, elem, &bytes, what);
    void *p = *st == BRG_OK ? malloc(bytes) : NULL;
    if (*st == BRG_OK && !p) *st = BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "%s: %zu bytes", what, bytes);
    return p;
}

static void free_bufs(search_bufs *b)
{
    brg_mpi_table_free(&b->table);
    free(b->queries);
    free(b->scores);
    free(b->indices);
    free(b->exact);
    free(b->recs);
    free(b->gathered);
}

static brg_status alloc_bufs(const brg_mpi_index *ix, const brg_mpi_options *o, int64_t nq,
                             int64_t k, search_bufs *b)
{
    brg_status st = brg_mpi_table_alloc(ix->size, &b->table);
    if (st != BRG_OK || nq == 0) return st;
    int64_t kl = k < ix->nb_local ? k : ix->nb_local;
    if (!o->queries_on_every_rank && ix->rank != o->root)
        b->queries = alloc_array(nq * ix->dim, sizeof(float), "the broadcast queries", &st);
    b->scores = alloc_array(nq * kl, sizeof(float), "local scores", &st);
    b->indices = alloc_array(nq * kl, sizeof(int64_t), "local indices", &st);
    b->exact = alloc_array(nq * kl, sizeof(double), "local exact scores", &st);
    b->recs = alloc_array(nq * k, sizeof(brg_mpi_rec), "candidates", &st);
    if (merge_kind(o) == BRG_MPI_MERGE_GATHER && ix->rank == o->root) {
        int64_t step = brg_mpi_merge_step(BRG_MPI_MERGE_GATHER, ix->size, nq, k);
        b->gathered = alloc_array(step * k * ix->size, sizeof(brg_mpi_rec), "gathered candidates", &st);
    }
    return st;
}

/* ---- the steps ----------------------------------------------------------------------- */

/* o NULL: the shards only (index create). */
static brg_status exchange(const brg_mpi_index *ix, const brg_mpi_options *o, const float *queries,
                           int64_t nq, int64_t k, brg_mpi_table *t, int64_t *nb_total)
{
    brg_mpi_params p;
    memset(&p, 0, sizeof p);
    p.v[BRG_MPI_P_NB] = ix->nb_local;
    p.v[BRG_MPI_P_OFFSET] = ix->offset;
    p.v[BRG_MPI_P_DIM] = ix->dim;
    p.v[BRG_MPI_P_METRIC] = ix->metric;
    if (o) {
        p.v[BRG_MPI_P_NQ] = nq;
        p.v[BRG_MPI_P_K] = k;
        p.v[BRG_MPI_P_ROOT] = o->root;
        p.v[BRG_MPI_P_QEVERY] = o->queries_on_every_rank;
        p.v[BRG_MPI_P_REVERY] = o->results_on_every_rank;
        p.v[BRG_MPI_P_MERGE] = merge_kind(o);
        if (o->queries_on_every_rank && nq > 0)
            p.v[BRG_MPI_P_QHASH] = brg_mpi_hash_queries(queries, nq * ix->dim);
    }
    return brg_mpi_exchange(ix->comm, ix->size, &p, t, nb_total);
}

static brg_status bcast_queries(const brg_mpi_index *ix, float *queries, int64_t nq, int root)
{
    MPI_Datatype row;
    int rc = MPI_Type_contiguous((int)ix->dim, MPI_FLOAT, &row);
    if (rc != MPI_SUCCESS) return brg_mpi_failed(rc, "MPI_Type_contiguous (query rows)");
    rc = MPI_Type_commit(&row);
    for (int64_t q0 = 0; q0 < nq && rc == MPI_SUCCESS; q0 += INT_MAX) {
        int n = (int)(nq - q0 < INT_MAX ? nq - q0 : INT_MAX);
        rc = MPI_Bcast(queries + q0 * ix->dim, n, row, root, ix->comm);
    }
    MPI_Type_free(&row);
    return rc == MPI_SUCCESS ? BRG_OK : brg_mpi_failed(rc, "MPI_Bcast (queries)");
}

static brg_status search_shard(const brg_mpi_index *ix, const brg_mpi_options *o,
                               const float *queries, int64_t nq, int64_t kl, search_bufs *b)
{
    if (kl == 0) return BRG_OK;
    brg_topk_options topk = o->topk;
    topk.metric = ix->metric;
    brg_status st = ix->local ? brg_index_search(ix->local, queries, nq, kl, &topk, b->scores, b->indices)
                              : brg_cosine_topk_f32(ix->dev, queries, nq, ix->db, ix->nb_local,
                                                    ix->dim, kl, &topk, b->scores, b->indices);
    if (st == BRG_OK) return st;
    char detail[768];
    brg_mpi_error_detail(detail, sizeof detail);
    return BRG_ERROR(st, "the search of global rows %lld..%lld on %s: %s", (long long)ix->offset,
                     (long long)(ix->offset + ix->nb_local - 1), brg_device_spec(ix->dev), detail);
}

/* The local candidates as records: the exact score the core ranked by
 * (brg_topk_exact_scores), the global row, sorted as the core sorts, padded
 * to k. The scores array (nq x kl doubles) is scratch. */
static brg_status shard_records(const brg_mpi_index *ix, const float *queries, int64_t nq, int64_t k,
                                int64_t kl, const int64_t *local, double *exact, brg_mpi_rec *recs)
{
    if (kl > 0) { /* a shard without rows has no candidates to score */
        brg_status st = brg_topk_exact_scores(queries, nq, ix->db, ix->nb_local, ix->dim, kl,
                                              ix->metric, local, exact);
        if (st != BRG_OK) return st;
    }
    for (int64_t q = 0; q < nq; q++) {
        brg_mpi_rec *out = recs + q * k;
        for (int64_t j = 0; j < kl; j++) {
            brg_mpi_rec r = {exact[q * kl + j], ix->offset + local[q * kl + j]};
            int64_t at = j;
            for (; at > 0 && (r.score > out[at - 1].score ||
                              (r.score == out[at - 1].score && r.index < out[at - 1].index));
                 at--)
                out[at] = out[at - 1];
            out[at] = r;
        }
        for (int64_t j = kl; j < k; j++) out[j] = brg_mpi_rec_none();
    }
    return BRG_OK;
}

static brg_status run_search(const brg_mpi_index *ix, const brg_mpi_options *o, const float *queries,
                             int64_t nq, int64_t k, search_bufs *b, float *scores, int64_t *indices)
{
    brg_status st = BRG_OK;
    if (!o->queries_on_every_rank) {
        if (ix->rank != o->root) queries = b->queries;
        st = bcast_queries(ix, (float *)queries, nq, o->root);
        if (st != BRG_OK) return st;
    }
    int64_t kl = k < ix->nb_local ? k : ix->nb_local;
    brg_status local = search_shard(ix, o, queries, nq, kl, b);
    if (local == BRG_OK) local = shard_records(ix, queries, nq, k, kl, b->indices, b->exact, b->recs);
    st = brg_mpi_agree(ix->comm, ix->rank, ix->size, local);
    if (st == BRG_OK)
        st = brg_mpi_merge(ix->comm, ix->rank, ix->size, merge_kind(o), o->root,
                           o->results_on_every_rank, b->recs, nq, k, b->gathered);
    if (st != BRG_OK || !(o->results_on_every_rank || ix->rank == o->root)) return st;
    for (int64_t i = 0; i < nq * k; i++) {
        scores[i] = (float)b->recs[i].score;
        indices[i] = b->recs[i].index;
    }
    return BRG_OK;
}

/* Steps 1 to 5; local is the status of the caller's own local checks. */
static brg_status search(brg_mpi_index *ix, const brg_mpi_options *o, const float *queries,
                         int64_t nq, int64_t k, float *scores, int64_t *indices, brg_status local)
{
    search_bufs b;
    memset(&b, 0, sizeof b);
    if (local == BRG_OK) local = check_search(ix, o, queries, nq, k, scores, indices);
    if (local == BRG_OK) local = alloc_bufs(ix, o, nq, k, &b);
    brg_status st = brg_mpi_agree(ix->comm, ix->rank, ix->size, local);
    if (st == BRG_OK) st = exchange(ix, o, queries, nq, k, &b.table, &ix->nb_total);
    if (st == BRG_OK && nq > 0) st = run_search(ix, o, queries, nq, k, &b, scores, indices);
    free_bufs(&b);
    return st;
}

/* ---- the one-call form ------------------------------------------------------------------ */

brg_status brg_mpi_cosine_topk_f32(MPI_Comm comm, const float *queries, int64_t nq, const float *db,
                                   int64_t nb_local, int64_t offset, int64_t dim, int64_t k,
                                   const brg_mpi_options *opts, float *scores, int64_t *indices)
{
    brg_status st = brg_mpi_ready(comm);
    if (st != BRG_OK) return st;
    brg_mpi_handler h;
    st = brg_mpi_handler_set(comm, &h);
    if (st != BRG_OK) return st;
    brg_mpi_options o = options_or_defaults(opts);
    brg_mpi_index ix;
    memset(&ix, 0, sizeof ix);
    ix.comm = comm;
    st = comm_info(comm, &ix.rank, &ix.size);
    if (st == BRG_OK) {
        brg_status local = shard_init(&ix, db, nb_local, offset, dim, &o);
        st = search(&ix, &o, queries, nq, k, scores, indices, local);
    }
    brg_device_close(ix.dev);
    brg_mpi_handler_restore(&h);
    return st;
}

/* ---- the sharded index ----------------------------------------------------------------- */

void brg_mpi_index_free(brg_mpi_index *ix)
{
    if (!ix) return;
    brg_index_free(ix->local);
    brg_device_close(ix->dev);
    int finalised = 0;
    MPI_Finalized(&finalised);
    if (ix->owns_comm && !finalised) MPI_Comm_free(&ix->comm);
    free(ix);
}

/* Steps of create on the index's own communicator: the exchange of the
 * shards, then the local index, whose status (NaN, memory) is agreed. */
static brg_status index_shards(brg_mpi_index *ix, brg_mpi_table *t)
{
    int rc = MPI_Comm_set_errhandler(ix->comm, MPI_ERRORS_RETURN);
    if (rc != MPI_SUCCESS) return brg_mpi_failed(rc, "MPI_Comm_set_errhandler");
    brg_status st = exchange(ix, NULL, NULL, 0, 0, t, &ix->nb_total);
    if (st != BRG_OK) return st;
    brg_status local = BRG_OK;
    if (ix->nb_local > 0)
        local = brg_index_create(ix->dev, ix->db, ix->nb_local, ix->dim, ix->metric, &ix->local);
    if (local != BRG_OK) {
        char detail[768];
        brg_mpi_error_detail(detail, sizeof detail);
        local = BRG_ERROR(local, "the shard of global rows %lld..%lld on %s: %s",
                          (long long)ix->offset, (long long)(ix->offset + ix->nb_local - 1),
                          brg_device_spec(ix->dev), detail);
    }
    return brg_mpi_agree(ix->comm, ix->rank, ix->size, local);
}

brg_status brg_mpi_index_create(MPI_Comm comm, const float *db, int64_t nb_local, int64_t offset,
                                int64_t dim, const brg_mpi_options *opts, brg_mpi_index **out)
{
    if (out) *out = NULL;
    brg_status st = brg_mpi_ready(comm);
    if (st != BRG_OK) return st;
    brg_mpi_handler h;
    st = brg_mpi_handler_set(comm, &h);
    if (st != BRG_OK) return st;
    int rank = 0, size = 0;
    st = comm_info(comm, &rank, &size);
    if (st != BRG_OK) {
        brg_mpi_handler_restore(&h);
        return st;
    }
    brg_mpi_options o = options_or_defaults(opts);
    brg_mpi_table t = {NULL, NULL};
    brg_status local = out ? BRG_OK : BRG_ERROR(BRG_ERR_INVALID_ARG, "out is NULL");
    brg_mpi_index *ix = local == BRG_OK ? calloc(1, sizeof *ix) : NULL;
    if (local == BRG_OK && !ix) local = BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "the sharded index");
    if (local == BRG_OK) {
        ix->rank = rank;
        ix->size = size;
        local = shard_init(ix, db, nb_local, offset, dim, &o);
    }
    if (local == BRG_OK) local = brg_mpi_table_alloc(size, &t);
    st = brg_mpi_agree(comm, rank, size, local);
    if (st == BRG_OK) {
        int rc = MPI_Comm_dup(comm, &ix->comm);
        if (rc != MPI_SUCCESS) st = brg_mpi_failed(rc, "MPI_Comm_dup");
        ix->owns_comm = rc == MPI_SUCCESS;
    }
    brg_mpi_handler_restore(&h);
    if (st == BRG_OK) st = index_shards(ix, &t);
    brg_mpi_table_free(&t);
    if (st != BRG_OK) {
        brg_mpi_index_free(ix);
        return st;
    }
    *out = ix;
    return BRG_OK;
}

brg_status brg_mpi_index_search(brg_mpi_index *ix, const float *queries, int64_t nq, int64_t k,
                                const brg_mpi_options *opts, float *scores, int64_t *indices)
{
    BRG_CHECK_ARG(ix, "index is NULL");
    brg_status st = brg_mpi_ready(ix->comm);
    if (st != BRG_OK) return st;
    brg_mpi_options o = options_or_defaults(opts);
    o.topk.metric = ix->metric;
    return search(ix, &o, queries, nq, k, scores, indices, check_options(&o, ix->size));
}

int64_t brg_mpi_index_rows(const brg_mpi_index *ix)
{
    return ix ? ix->nb_total : 0;
}

int64_t brg_mpi_index_dim(const brg_mpi_index *ix)
{
    return ix ? ix->dim : 0;
}

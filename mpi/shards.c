/* What the ranks must agree on before a search: every rank gathers every
 * rank's parameters and runs the same checks on the same table, so every
 * rank reaches the same status and message without another round. */
#include <stdlib.h>
#include <string.h>

#include "mpi_impl.h"

brg_status brg_mpi_table_alloc(int size, brg_mpi_table *t)
{
    t->all = malloc((size_t)size * BRG_MPI_P_COUNT * sizeof *t->all);
    t->order = malloc((size_t)size * sizeof *t->order);
    if (t->all && t->order) return BRG_OK;
    brg_mpi_table_free(t);
    return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "the table of %d ranks' arguments", size);
}

void brg_mpi_table_free(brg_mpi_table *t)
{
    free(t->all);
    free(t->order);
    t->all = NULL;
    t->order = NULL;
}

/* FNV-1a over 64-bit words (then the tail's bytes). */
int64_t brg_mpi_hash_queries(const float *queries, int64_t n)
{
    const uint64_t prime = 0x100000001b3ull;
    uint64_t h = 0xcbf29ce484222325ull;
    const unsigned char *p = (const unsigned char *)queries;
    size_t bytes = (size_t)n * sizeof(float), i = 0;
    for (; i + 8 <= bytes; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * prime;
    }
    for (; i < bytes; i++) h = (h ^ p[i]) * prime;
    return (int64_t)(h >> 1);
}

static const char *const param_names[BRG_MPI_P_COUNT] = {
    "nb_local", "offset", "dim", "metric", "nq", "k", "root", "queries_on_every_rank",
    "results_on_every_rank", "merge", "queries (their contents)",
};

static const int64_t *row_of(const brg_mpi_table *t, int r)
{
    return t->all + (size_t)r * BRG_MPI_P_COUNT;
}

/* Every rank passes the same value of each shared parameter. */
static brg_status check_same(const brg_mpi_table *t, int size)
{
    static const int shared[] = {BRG_MPI_P_DIM,  BRG_MPI_P_METRIC, BRG_MPI_P_NQ,
                                 BRG_MPI_P_K,    BRG_MPI_P_ROOT,   BRG_MPI_P_QEVERY,
                                 BRG_MPI_P_REVERY, BRG_MPI_P_MERGE, BRG_MPI_P_QHASH};
    const int64_t *first = row_of(t, 0);
    for (int r = 1; r < size; r++)
        for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++) {
            int p = shared[i];
            if (p == BRG_MPI_P_QHASH && !first[BRG_MPI_P_QEVERY]) continue;
            if (row_of(t, r)[p] != first[p])
                return BRG_ERROR(BRG_ERR_INVALID_ARG, "rank %d passes %s = %lld, rank 0 %lld: every "
                                 "rank must pass the same", r, param_names[p],
                                 (long long)row_of(t, r)[p], (long long)first[p]);
        }
    return BRG_OK;
}

static _Thread_local const brg_mpi_table *sort_table; /* qsort takes no context */

static int by_offset(const void *a, const void *b)
{
    int64_t oa = row_of(sort_table, *(const int *)a)[BRG_MPI_P_OFFSET];
    int64_t ob = row_of(sort_table, *(const int *)b)[BRG_MPI_P_OFFSET];
    return (oa > ob) - (oa < ob);
}

/* Shards with rows, in order of offset, must follow one another from 0. */
static brg_status check_tiling(brg_mpi_table *t, int size, int64_t *nb_total)
{
    int n = 0;
    for (int r = 0; r < size; r++)
        if (row_of(t, r)[BRG_MPI_P_NB] > 0) t->order[n++] = r;
    sort_table = t;
    qsort(t->order, (size_t)n, sizeof *t->order, by_offset);
    int64_t next = 0;
    for (int i = 0; i < n; i++) {
        const int64_t *p = row_of(t, t->order[i]);
        if (p[BRG_MPI_P_OFFSET] != next)
            return BRG_ERROR(BRG_ERR_INVALID_ARG, "the shards must cover global rows [0, nb) once: "
                             "rank %d's starts at %lld, where %lld was expected", t->order[i],
                             (long long)p[BRG_MPI_P_OFFSET], (long long)next);
        next += p[BRG_MPI_P_NB]; /* each offset + nb_local was checked on its rank */
    }
    *nb_total = next;
    return next >= 1 ? BRG_OK
                     : BRG_ERROR(BRG_ERR_INVALID_ARG, "nb must be >= 1: every shard is empty");
}

brg_status brg_mpi_exchange(MPI_Comm comm, int size, const brg_mpi_params *mine,
                            brg_mpi_table *t, int64_t *nb_total)
{
    int rc = MPI_Allgather(mine->v, BRG_MPI_P_COUNT, MPI_INT64_T, t->all, BRG_MPI_P_COUNT,
                           MPI_INT64_T, comm);
    if (rc != MPI_SUCCESS) return brg_mpi_failed(rc, "MPI_Allgather (arguments)");
    brg_status st = check_same(t, size);
    if (st == BRG_OK) st = check_tiling(t, size, nb_total);
    if (st != BRG_OK) return st;
    int64_t k = mine->v[BRG_MPI_P_K];
    if (k > *nb_total)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "k must be in [1, nb = %lld], got %lld",
                         (long long)*nb_total, (long long)k);
    return BRG_OK;
}

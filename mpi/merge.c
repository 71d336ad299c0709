/* The merge of the ranks' candidates: for each query, the k best of the
 * union of every rank's k best (each rank's list sorted best first, padded).
 * Two ways, chosen by measurement (docs/perf-notes.md): a tree reduction
 * whose MPI_Op merges two lists, or a gather to the root that merges the
 * lists there. Both rank by (exact score descending, global index
 * ascending), the core's order, and both are exact: merging is associative
 * and commutative, so the tree's shape cannot change the answer. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "mpi_impl.h"

/* A merge step moves at most this many records per rank (16 MiB). */
#define STEP_RECORDS ((int64_t)1 << 20)

brg_mpi_rec brg_mpi_rec_none(void)
{
    brg_mpi_rec r = {-INFINITY, INT64_MAX};
    return r;
}

/* The core's order (include/brigade/ops.h): higher score, then lower row. */
static int rec_before(const brg_mpi_rec *a, const brg_mpi_rec *b)
{
    return a->score > b->score || (a->score == b->score && a->index < b->index);
}

/* Count how many of a's records make the k best, then merge from the back so
 * that b's records move only towards its end: no scratch buffer, which the
 * MPI_Op could not report failing to allocate. */
void brg_mpi_merge_pair(const brg_mpi_rec *a, brg_mpi_rec *b, int64_t k)
{
    int64_t i = 0, j = 0;
    while (i + j < k) {
        if (rec_before(&a[i], &b[j])) i++;
        else j++;
    }
    for (int64_t w = k; i > 0;) {
        if (j > 0 && rec_before(&a[i - 1], &b[j - 1])) b[--w] = b[--j];
        else b[--w] = a[--i];
    }
}

int64_t brg_mpi_merge_step(int how, int size, int64_t nq, int64_t k)
{
    int64_t per_query = how == BRG_MPI_MERGE_GATHER ? k * size : k;
    int64_t step = STEP_RECORDS / per_query;
    if (step > nq) step = nq;
    return step < 1 ? 1 : step;
}

/* The MPI_Op: each element of the datatype is one query's list of k records. */
static void merge_op(void *in, void *inout, int *len, MPI_Datatype *type)
{
    int bytes = 0;
    MPI_Type_size(*type, &bytes);
    int64_t k = bytes / (int64_t)sizeof(brg_mpi_rec);
    const brg_mpi_rec *a = in;
    brg_mpi_rec *b = inout;
    for (int q = 0; q < *len; q++) brg_mpi_merge_pair(a + q * k, b + q * k, k);
}

/* MPI datatypes of one record and of one query's list of k records. */
typedef struct rec_types {
    MPI_Datatype rec, list;
    MPI_Op op;
} rec_types;

static void free_types(rec_types *t)
{
    if (t->op != MPI_OP_NULL) MPI_Op_free(&t->op);
    if (t->list != MPI_DATATYPE_NULL) MPI_Type_free(&t->list);
    if (t->rec != MPI_DATATYPE_NULL) MPI_Type_free(&t->rec);
}

static brg_status make_types(int64_t k, rec_types *t)
{
    t->rec = t->list = MPI_DATATYPE_NULL;
    t->op = MPI_OP_NULL;
    int lens[2] = {1, 1};
    MPI_Aint disp[2] = {offsetof(brg_mpi_rec, score), offsetof(brg_mpi_rec, index)};
    MPI_Datatype types[2] = {MPI_DOUBLE, MPI_INT64_T}, raw = MPI_DATATYPE_NULL;
    int rc = MPI_Type_create_struct(2, lens, disp, types, &raw);
    if (rc == MPI_SUCCESS) rc = MPI_Type_create_resized(raw, 0, sizeof(brg_mpi_rec), &t->rec);
    if (raw != MPI_DATATYPE_NULL) MPI_Type_free(&raw);
    if (rc == MPI_SUCCESS) rc = MPI_Type_commit(&t->rec);
    if (rc == MPI_SUCCESS) rc = MPI_Type_contiguous((int)k, t->rec, &t->list);
    if (rc == MPI_SUCCESS) rc = MPI_Type_commit(&t->list);
    if (rc == MPI_SUCCESS) rc = MPI_Op_create(merge_op, 1, &t->op);
    if (rc == MPI_SUCCESS) return BRG_OK;
    free_types(t);
    return brg_mpi_failed(rc, "creating the merge's MPI datatypes");
}

static int reduce_step(MPI_Comm comm, int rank, int root, int everywhere, brg_mpi_rec *recs,
                       int n, const rec_types *t)
{
    if (everywhere) return MPI_Allreduce(MPI_IN_PLACE, recs, n, t->list, t->op, comm);
    if (rank == root) return MPI_Reduce(MPI_IN_PLACE, recs, n, t->list, t->op, root, comm);
    return MPI_Reduce(recs, NULL, n, t->list, t->op, root, comm);
}

/* The root merges the size lists of each of n queries into recs. */
static int gather_step(MPI_Comm comm, int rank, int size, int root, int everywhere,
                       brg_mpi_rec *recs, int n, int64_t k, brg_mpi_rec *gathered,
                       const rec_types *t)
{
    int rc = MPI_Gather(recs, n, t->list, gathered, n, t->list, root, comm);
    if (rc != MPI_SUCCESS) return rc;
    if (rank == root)
        for (int64_t q = 0; q < n; q++) {
            brg_mpi_rec *out = recs + q * k;
            memcpy(out, gathered + q * k, (size_t)k * sizeof *out);
            for (int r = 1; r < size; r++) brg_mpi_merge_pair(gathered + (r * (int64_t)n + q) * k, out, k);
        }
    return everywhere ? MPI_Bcast(recs, n, t->list, root, comm) : MPI_SUCCESS;
}

brg_status brg_mpi_merge(MPI_Comm comm, int rank, int size, int how, int root, int everywhere,
                         brg_mpi_rec *recs, int64_t nq, int64_t k, brg_mpi_rec *gathered)
{
    rec_types t;
    brg_status st = make_types(k, &t);
    if (st != BRG_OK) return st;
    int64_t step = brg_mpi_merge_step(how, size, nq, k);
    int rc = MPI_SUCCESS;
    for (int64_t q0 = 0; q0 < nq && rc == MPI_SUCCESS; q0 += step) {
        int n = (int)(nq - q0 < step ? nq - q0 : step);
        brg_mpi_rec *part = recs + q0 * k;
        rc = how == BRG_MPI_MERGE_GATHER
                 ? gather_step(comm, rank, size, root, everywhere, part, n, k, gathered, &t)
                 : reduce_step(comm, rank, root, everywhere, part, n, &t);
    }
    free_types(&t);
    if (rc != MPI_SUCCESS)
        return brg_mpi_failed(rc, how == BRG_MPI_MERGE_GATHER ? "the gather merge" : "the reduce merge");
    return BRG_OK;
}

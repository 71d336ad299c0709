/* brigade — cosine top-k over a database sharded across MPI ranks.
 *
 * The optional brigade_mpi library (link brigade_mpi and MPI; the core
 * library never depends on MPI). Each rank of a communicator holds one
 * contiguous shard of the database: rows [offset, offset + nb_local) of the
 * global nb x dim matrix. nb_local may be 0 (that rank contributes nothing);
 * the shards, in any order of ranks, must cover [0, nb) exactly once. Each
 * rank searches its shard on its own device (brg_cosine_topk_f32 or a
 * brg_index), and the ranks' candidates are merged into exactly the answer
 * of one brg_cosine_topk_f32 call over the whole database: the same scores,
 * the same global indices, ties to the lower global index. A shard with fewer
 * than k rows contributes the rows it has; 1 <= k <= nb (the total).
 *
 * Collective calls. Every function except the accessors is collective over
 * the communicator: every rank calls it, in the same order, with the same nq,
 * dim, k and the same options, except for options.device,
 * options.topk.workspace_bytes and options.topk.allow_tf32, which are each
 * rank's own (the results do not depend on them). Before any work
 * the ranks exchange their arguments, so an invalid argument on one rank (a
 * NULL pointer, a negative size, k < 1, k > nb, shards that overlap, a value
 * that differs between ranks) makes every rank return the same status
 * without hanging. Two exceptions cannot be told to the other ranks, and
 * leave them waiting until the job ends: MPI_COMM_NULL (or MPI not
 * initialised) and a NULL index.
 *
 * Errors agree. After the local search the ranks agree on one status: when a
 * rank fails (NaN or Inf in its shard or the queries, out of memory, a
 * device error) every rank returns that rank's status, and brg_last_error()
 * says on every rank "rank R of P: ..." with the failing rank's message (the
 * lowest failing rank when several fail). Outputs are then unspecified.
 *
 * MPI errors. The calls use MPI_ERRORS_RETURN on their communicator (the
 * one-call form sets it for the call and restores the caller's handler; an
 * index works on its own duplicate), so an MPI call that fails, typically
 * because a peer rank died, returns BRG_ERR_WORKER (the status of a worker
 * that died) naming the MPI call and MPI's message. Whether a dead rank is
 * reported at all is up to the MPI library: Open MPI's mpirun ends the whole
 * job when a rank dies or exits early, and shared-memory transports never
 * report a dead peer to the others. Nothing here waits for a rank forever
 * on its own account: every wait is an MPI collective.
 *
 * Thread safety. Calls on one communicator or one index must not overlap:
 * make them from one thread at a time, in the same order on every rank (MPI's
 * rule for collectives). Calls on different communicators from several
 * threads need MPI_Init_thread with MPI_THREAD_MULTIPLE. The one-call form
 * changes comm's error handler for its duration, so no other thread may use
 * comm meanwhile. brg_last_error() is per thread, as in the core.
 *
 * Memory per rank: its shard (plus the device's copy for an index, or on a
 * GPU during a one-call search), the local search's workspace budget
 * (options.topk.workspace_bytes), the queries (nq x dim floats, received
 * from the root in broadcast mode) and O(nq * k) for candidates and results;
 * the gather merge adds at most 16 MiB (or one query's P * k candidates) on
 * the root. */
#ifndef BRIGADE_MPI_H
#define BRIGADE_MPI_H

#include <stdint.h>
#include <mpi.h>
#include "ops.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How the ranks' candidates are merged; the results do not depend on it.
 * AUTO is the reduction (measurements in docs/perf-notes.md). */
#define BRG_MPI_MERGE_AUTO   0
#define BRG_MPI_MERGE_REDUCE 1  /* MPI_Reduce to the root (MPI_Allreduce when results go to
                                   every rank) with an MPI_Op that merges two lists */
#define BRG_MPI_MERGE_GATHER 2  /* MPI_Gather to the root, merged there (then MPI_Bcast) */

typedef struct brg_mpi_options {   /* zero-initialised means defaults */
    brg_topk_options topk;         /* the local search: metric (the same on every rank),
                                      workspace_bytes and allow_tf32 (each rank's own) */
    const char *device;            /* this rank's device spec; NULL: "auto" */
    int root;                      /* the rank that holds the queries and gets the results */
    int queries_on_every_rank;     /* 0: root's queries are broadcast (other ranks' queries
                                      are ignored and may be NULL); 1: every rank passes
                                      the same queries (checked) */
    int results_on_every_rank;     /* 0: only root writes scores and indices (other ranks'
                                      may be NULL and are not touched); 1: every rank's are written */
    int merge;                     /* BRG_MPI_MERGE_AUTO, _REDUCE or _GATHER */
} brg_mpi_options;

/* One sharded search (collective over comm). queries: nq x dim host array
 * (see queries_on_every_rank); db: this rank's nb_local x dim rows, global
 * rows offset .. offset + nb_local - 1 (NULL is fine when nb_local is 0);
 * scores and indices: nq x k each, row-major, with global indices (see
 * results_on_every_rank). The caller owns every array; the call opens
 * opts->device and closes it before returning. opts NULL means defaults.
 * nq == 0 does nothing (after the arguments are checked). */
BRG_API brg_status brg_mpi_cosine_topk_f32(MPI_Comm comm,
                                   const float *queries, int64_t nq,
                                   const float *db, int64_t nb_local, int64_t offset,
                                   int64_t dim, int64_t k,
                                   const brg_mpi_options *opts,
                                   float *scores, int64_t *indices);

/* A sharded prepared database: each rank's shard stays on its device
 * (brg_index) across many searches. */
typedef struct brg_mpi_index brg_mpi_index;

/* Collective over comm. Opens opts->device, copies this rank's shard to it
 * and checks the shards. The index borrows db: the caller keeps the rows
 * valid and unchanged until brg_mpi_index_free (the merge rescores each
 * candidate from them in double). It works on a duplicate of comm, which it
 * owns. opts->topk.metric is the index's metric; opts may be NULL. On
 * failure, on every rank, *out is NULL. */
BRG_API brg_status brg_mpi_index_create(MPI_Comm comm, const float *db, int64_t nb_local,
                                int64_t offset, int64_t dim, const brg_mpi_options *opts,
                                brg_mpi_index **out);

/* Collective over the index's ranks: as brg_mpi_cosine_topk_f32 over the
 * index's shards. The index's metric applies; opts->topk.metric and
 * opts->device are ignored. */
BRG_API brg_status brg_mpi_index_search(brg_mpi_index *index, const float *queries, int64_t nq, int64_t k,
                                const brg_mpi_options *opts, float *scores, int64_t *indices);

/* Total rows (over every shard) and dimension of an index (0 for NULL). */
BRG_API int64_t brg_mpi_index_rows(const brg_mpi_index *index);
BRG_API int64_t brg_mpi_index_dim(const brg_mpi_index *index);

/* Release an index: its device memory and its communicator. Collective over
 * the index's ranks; NULL is fine. */
BRG_API void brg_mpi_index_free(brg_mpi_index *index);

#ifdef __cplusplus
}
#endif
#endif

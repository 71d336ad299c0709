/* Private to brigade_mpi: MPI plumbing, the exchange of arguments, and the
 * merge of the ranks' candidates. */
#ifndef BRG_MPI_IMPL_H
#define BRG_MPI_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <mpi.h>

#include "brigade/mpi.h"
#include "layered.h" /* brigade_mpi uses only brigade's public API */

/* A candidate: its exact score (the double the core ranks by) and global row.
 * Merging by the exact score, not its float rounding, keeps the order of the
 * single-process call where two scores round to the same float. */
typedef struct brg_mpi_rec {
    double score;
    int64_t index;
} brg_mpi_rec;

/* ---- comm.c: MPI errors, error handlers, agreement -------------------------------- */

/* BRG_ERR_INVALID_ARG unless MPI is initialised, not finalised, and comm is
 * not MPI_COMM_NULL. Local: nothing is sent. */
brg_status brg_mpi_ready(MPI_Comm comm);

/* BRG_ERR_WORKER naming the MPI call and MPI's message for rc. */
brg_status brg_mpi_failed(int rc, const char *call);

/* MPI_ERRORS_RETURN on comm until brg_mpi_handler_restore puts the caller's back. */
typedef struct brg_mpi_handler {
    MPI_Comm comm;
    MPI_Errhandler saved;
    int set;
} brg_mpi_handler;
brg_status brg_mpi_handler_set(MPI_Comm comm, brg_mpi_handler *h);
void brg_mpi_handler_restore(brg_mpi_handler *h);

/* The calling thread's last error message without its "BRG_ERR_...: "
 * prefix, copied into buf (to be quoted in a new message). */
void brg_mpi_error_detail(char *buf, size_t size);

/* Collective: every rank returns the status of the lowest rank whose local
 * status is an error, with that rank's message ("rank R of P: ..."), or
 * BRG_OK when none failed. */
brg_status brg_mpi_agree(MPI_Comm comm, int rank, int size, brg_status local);

/* ---- shards.c: what the ranks must agree on ----------------------------------------- */

enum {
    BRG_MPI_P_NB, BRG_MPI_P_OFFSET, BRG_MPI_P_DIM, BRG_MPI_P_METRIC, BRG_MPI_P_NQ, BRG_MPI_P_K,
    BRG_MPI_P_ROOT, BRG_MPI_P_QEVERY, BRG_MPI_P_REVERY, BRG_MPI_P_MERGE, BRG_MPI_P_QHASH,
    BRG_MPI_P_COUNT
};

/* This rank's parameters for brg_mpi_exchange. */
typedef struct brg_mpi_params {
    int64_t v[BRG_MPI_P_COUNT];
} brg_mpi_params;

/* Host memory for one exchange over size ranks; release with brg_mpi_table_free. */
typedef struct brg_mpi_table {
    int64_t *all;   /* size x BRG_MPI_P_COUNT */
    int *order;     /* size: ranks sorted by shard offset */
} brg_mpi_table;
brg_status brg_mpi_table_alloc(int size, brg_mpi_table *t);
void brg_mpi_table_free(brg_mpi_table *t);

/* A hash of the queries, so that ranks can check they were given the same. */
int64_t brg_mpi_hash_queries(const float *queries, int64_t n);

/* Collective: gather every rank's parameters and check them identically on
 * every rank (so every rank returns the same status): equal dim, metric, nq,
 * k, root and modes (and queries, when on every rank), shards that cover
 * [0, nb) once, nb >= 1 and, for a search (k > 0), k <= nb. *nb_total gets nb. */
brg_status brg_mpi_exchange(MPI_Comm comm, int size, const brg_mpi_params *mine,
                            brg_mpi_table *t, int64_t *nb_total);

/* ---- merge.c: the ranks' candidates into the single-process answer ------------------ */

/* b = the k best of a and b (each sorted best first, k records; b in place). */
void brg_mpi_merge_pair(const brg_mpi_rec *a, brg_mpi_rec *b, int64_t k);

/* Queries per merge step, so that a step's buffers stay within a bound:
 * with the gather, the root holds size x step x k records. */
int64_t brg_mpi_merge_step(int how, int size, int64_t nq, int64_t k);

/* Collective: recs holds this rank's nq x k candidates (each query's sorted,
 * best first, padded with brg_mpi_rec_none). Afterwards the root's recs (and
 * every rank's with everywhere) hold the merged k best of each query.
 * gathered: with BRG_MPI_MERGE_GATHER, size x step x k records on the root
 * (unused elsewhere). how is REDUCE or GATHER, not AUTO. */
brg_status brg_mpi_merge(MPI_Comm comm, int rank, int size, int how, int root, int everywhere,
                         brg_mpi_rec *recs, int64_t nq, int64_t k, brg_mpi_rec *gathered);

/* The padding record: ranks after every real candidate. */
brg_mpi_rec brg_mpi_rec_none(void);

#endif

/* A job in which the last rank leaves in the middle of repeated sharded
 * searches: `rank_dies exit` calls exit(3) without MPI_Finalize, `rank_dies
 * kill` dies of SIGKILL (a node lost). The other ranks are then waiting in
 * a collective of the search. The job must end, with a non-zero status,
 * within a time limit (expect_job_fails.sh): through mpirun ending the job,
 * or through the search returning BRG_ERR_WORKER, after which the survivors
 * exit non-zero. It never exits 0 with fewer ranks than it started with. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "brigade/brigade.h"
#include "brigade/mpi.h"

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int kill_it = argc > 1 && strcmp(argv[1], "kill") == 0;
    enum { NB = 200, DIM = 8, NQ = 4, K = 3 };
    static float db[NB * DIM], q[NQ * DIM], scores[NQ * K];
    static int64_t indices[NQ * K];
    for (int i = 0; i < NB * DIM; i++) db[i] = (float)((i * 37 + rank * 11) % 101) - 50.0f;
    for (int i = 0; i < NQ * DIM; i++) q[i] = (float)(i % 7) - 3.0f;
    brg_mpi_options o;
    memset(&o, 0, sizeof o);
    o.device = "cpu";
    for (long iter = 0;; iter++) {
        if (rank == size - 1 && iter == 3) {
            fprintf(stderr, "rank %d: leaving the job (%s)\n", rank, kill_it ? "SIGKILL" : "exit(3)");
            if (kill_it) raise(SIGKILL);
            exit(3);
        }
        brg_status st = brg_mpi_cosine_topk_f32(MPI_COMM_WORLD, q, NQ, db, NB, (int64_t)rank * NB,
                                                DIM, K, &o, scores, indices);
        if (st != BRG_OK) {
            fprintf(stderr, "rank %d: search %ld: %s\n", rank, iter, brg_last_error());
            return 1;
        }
    }
}

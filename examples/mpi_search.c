/* mpi_search.c: a database of NB rows cut into one contiguous shard per rank,
 * searched with brigade_mpi (the README's example, built by the install test
 * through find_package(brigade COMPONENTS mpi) and run under mpirun). */
#include <brigade/mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    enum { NB = 1000000, DIM = 100, NQ = 10, K = 5 };
    int64_t offset = (int64_t)NB * rank / ranks;                /* global rows [offset, */
    int64_t nb_local = (int64_t)NB * (rank + 1) / ranks - offset; /*  offset + nb_local) */
    float *shard = malloc((size_t)(nb_local * DIM) * sizeof(float)), queries[NQ * DIM], scores[NQ * K];
    int64_t indices[NQ * K];
    for (int64_t i = 0; i < nb_local * DIM; i++) shard[i] = (float)((offset * DIM + i) % 97) - 48; /* load yours */
    for (int i = 0; i < NQ * DIM; i++) queries[i] = (float)(i % 13) - 6;  /* read on rank 0 only */
    brg_mpi_options opts = {0};   /* device "auto"; queries from rank 0, results on rank 0 */
    brg_status st = brg_mpi_cosine_topk_f32(MPI_COMM_WORLD, queries, NQ, shard, nb_local, offset,
                                            DIM, K, &opts, scores, indices);
    if (st != BRG_OK) fprintf(stderr, "rank %d: %s\n", rank, brg_last_error()); /* same on every rank */
    else if (rank == 0) printf("query 0: row %lld, cosine %.4f\n", (long long)indices[0], scores[0]);
    free(shard);
    MPI_Finalize();
    return st != BRG_OK;
}

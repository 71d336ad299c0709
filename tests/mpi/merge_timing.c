/* Times the two merges of brigade_mpi (docs/perf-notes.md), under mpirun:
 *   mpi_merge_timing                  the merge alone (brg_mpi_merge) on
 *                                     random candidate lists, several nq x k
 *   mpi_merge_timing full NB DIM NQ K whole searches of an NB x DIM database
 *                                     cut evenly, with each merge, and the
 *                                     local search alone (its share)
 * Each time is the slowest rank's, between barriers; rank 0 prints the
 * median of the repeats (and, for the merge, their minimum). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "brigade/brigade.h"
#include "brigade/mpi.h"
#include "harness.h"
#include "mpi_impl.h"

static int rank, size;

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, by_value);
    return t[n / 2];
}

/* The slowest rank's seconds. */
static double slowest(double seconds)
{
    double worst = 0;
    MPI_Allreduce(&seconds, &worst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return worst;
}

/* Random sorted candidate lists, with this rank's global indices. */
static void fill_candidates(brg_mpi_rec *recs, int64_t nq, int64_t k, uint64_t seed)
{
    for (int64_t q = 0; q < nq; q++) {
        double s = 1.0;
        for (int64_t j = 0; j < k; j++) {
            s -= 1e-3 * brg_test_rand_unit(&seed);
            recs[q * k + j].score = s;
            recs[q * k + j].index = (int64_t)rank * 1000000 + j;
        }
    }
}

/* The four variants take turns within each repeat, so that a noisy moment
 * hits them alike. */
static void time_merges(int64_t nq, int64_t k, int repeats)
{
    enum { VARIANTS = 4 }; /* (reduce, gather) x (results on the root, on all) */
    brg_mpi_rec *recs = malloc((size_t)(nq * k) * sizeof *recs);
    brg_mpi_rec *gathered = malloc((size_t)(brg_mpi_merge_step(BRG_MPI_MERGE_GATHER, size, nq, k) * k * size) * sizeof *recs);
    double *t = malloc((size_t)(VARIANTS * repeats) * sizeof *t);
    if (!recs || !gathered || !t) MPI_Abort(MPI_COMM_WORLD, 2);
    for (int r = 0; r < repeats; r++)
        for (int v = 0; v < VARIANTS; v++) {
            fill_candidates(recs, nq, k, 1 + (uint64_t)rank);
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            brg_status st = brg_mpi_merge(MPI_COMM_WORLD, rank, size, BRG_MPI_MERGE_REDUCE + v / 2, 0,
                                          v % 2, recs, nq, k, gathered);
            t[v * repeats + r] = slowest(MPI_Wtime() - t0);
            if (st != BRG_OK) MPI_Abort(MPI_COMM_WORLD, 3);
        }
    for (int v = 0; v < VARIANTS && rank == 0; v++) {
        double mid = median(t + v * repeats, repeats); /* sorts: t[v * repeats] is then the least */
        printf("merge  np %d  nq %6lld  k %5lld  %-6s  results on %-5s  median %9.3f ms  min %9.3f ms\n",
               size, (long long)nq, (long long)k, v / 2 ? "gather" : "reduce", v % 2 ? "all" : "root",
               1e3 * mid, 1e3 * t[v * repeats]);
    }
    free(recs);
    free(gathered);
    free(t);
}

static void time_full(int64_t nb, int64_t dim, int64_t nq, int64_t k, int repeats)
{
    int64_t lo = nb * rank / size, hi = nb * (rank + 1) / size, n = hi - lo;
    float *db = malloc((size_t)(n * dim + 1) * sizeof(float));
    float *q = malloc((size_t)(nq * dim) * sizeof(float));
    float *s = malloc((size_t)(nq * k) * sizeof(float));
    int64_t *ix = malloc((size_t)(nq * k) * sizeof(int64_t));
    double *t = malloc((size_t)repeats * sizeof *t);
    if (!db || !q || !s || !ix || !t) MPI_Abort(MPI_COMM_WORLD, 2);
    brg_test_fill_f32(db, n * dim, -1.0f, 1.0f, 11 + (uint64_t)rank);
    brg_test_fill_f32(q, nq * dim, -1.0f, 1.0f, 5);
    brg_device *dev = NULL;
    if (brg_device_open("cpu", &dev) != BRG_OK) MPI_Abort(MPI_COMM_WORLD, 2);
    for (int r = 0; r < repeats; r++) { /* the local search alone */
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        if (brg_cosine_topk_f32(dev, q, nq, db, n, dim, k, NULL, s, ix) != BRG_OK) MPI_Abort(MPI_COMM_WORLD, 3);
        t[r] = slowest(MPI_Wtime() - t0);
    }
    if (rank == 0)
        printf("full   np %d  nb %lld  dim %lld  nq %lld  k %lld  local search alone  %9.3f ms\n", size,
               (long long)nb, (long long)dim, (long long)nq, (long long)k, 1e3 * median(t, repeats));
    static const char *const names[] = {"auto (allreduce)", "reduce", "gather"};
    for (int how = BRG_MPI_MERGE_AUTO; how <= BRG_MPI_MERGE_GATHER; how++) {
        brg_mpi_options o;
        memset(&o, 0, sizeof o);
        o.device = "cpu";
        o.merge = how;
        o.queries_on_every_rank = 1;
        for (int r = 0; r < repeats; r++) {
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            if (brg_mpi_cosine_topk_f32(MPI_COMM_WORLD, q, nq, db, n, lo, dim, k, &o, s, ix) != BRG_OK)
                MPI_Abort(MPI_COMM_WORLD, 3);
            t[r] = slowest(MPI_Wtime() - t0);
        }
        if (rank == 0)
            printf("full   np %d  nb %lld  dim %lld  nq %lld  k %lld  sharded, merge %-16s  %9.3f ms\n",
                   size, (long long)nb, (long long)dim, (long long)nq, (long long)k, names[how],
                   1e3 * median(t, repeats));
    }
    brg_device_close(dev);
    free(db);
    free(q);
    free(s);
    free(ix);
    free(t);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc == 6 && strcmp(argv[1], "full") == 0) {
        time_full(atoll(argv[2]), atoll(argv[3]), atoll(argv[4]), atoll(argv[5]), 5);
    } else {
        static const int64_t shapes[][2] = {{100, 10}, {1000, 10}, {1000, 100}, {10000, 10},
                                            {10000, 100}, {100, 2048}};
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) time_merges(shapes[i][0], shapes[i][1], 21);
    }
    MPI_Finalize();
    return 0;
}

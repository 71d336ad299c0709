/* `bench --workload cosine_topk` under mpirun (docs/bench.md): the medians of
 * brg_index_search on the root over the whole database (1 rank) and on each
 * rank over its shard, and of brg_mpi_index_search over the shards (P ranks,
 * from a barrier to the slowest rank); --check compares their answers. */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "brigade/mpi.h"

enum { MAX_SHAPES = 8 };

typedef struct mpi_ctx {
    int rank, size, repeat;
    const brg_bench_options *o;
    const char *spec;
} mpi_ctx;

/* Every rank's ok, agreed: 1 when all are. */
static int all_ok(int ok)
{
    int all = 0;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all;
}

/* Rank r's rows of nb: [*first, *first + *rows). */
static void shard_of(int r, int size, int64_t nb, int64_t *rows, int64_t *first)
{
    int64_t base = nb / size, extra = nb % size;
    *rows = base + (r < extra);
    *first = r * base + (r < extra ? r : extra);
}

/* The median of m->repeat searches after one warm-up, and the last answer:
 * on ix, or sharded on mx (every rank; the slowest rank's time, on the root). */
static brg_status time_search(const mpi_ctx *m, const brg_bench_topk_shape *sh, brg_index *ix,
                              brg_mpi_index *mx, const float *q, float *scores, int64_t *idx,
                              double *median)
{
    brg_mpi_options mo = {.device = m->spec};
    double t[BRG_BENCH_MAX_REPEAT];
    brg_status st = BRG_OK;
    for (int r = -1; r < m->repeat && st == BRG_OK; r++) {
        if (mx) MPI_Barrier(MPI_COMM_WORLD);
        double t0 = brg_bench_now();
        st = mx ? brg_mpi_index_search(mx, m->rank == 0 ? q : NULL, sh->nq, sh->k, &mo, scores,
                                       idx)
                : brg_index_search(ix, q, sh->nq, sh->k, NULL, scores, idx);
        double mine = brg_bench_now() - t0, slowest = mine;
        if (mx) MPI_Reduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
        if (r >= 0) t[r] = slowest;
    }
    if (st == BRG_OK && (!mx || m->rank == 0)) *median = brg_bench_median(t, m->repeat);
    return st;
}

/* db (rows x dim) indexed on a new device of m->spec, then time_search. */
static brg_status time_index(const mpi_ctx *m, const brg_bench_topk_shape *sh, const float *db,
                             int64_t rows, const float *q, float *scores, int64_t *idx,
                             double *median)
{
    brg_device *dev = NULL;
    brg_index *ix = NULL;
    brg_status st = brg_device_open(m->spec, &dev);
    if (st == BRG_OK) st = brg_index_create(dev, db, rows, sh->dim, BRG_METRIC_COSINE, &ix);
    if (st == BRG_OK) st = time_search(m, sh, ix, NULL, q, scores, idx, median);
    brg_index_free(ix);
    brg_device_close(dev);
    return st;
}

/* One shape: 0, or 1 when a call failed or the check did. */
static int run_shape(const mpi_ctx *m, const brg_bench_topk_shape *sh)
{
    size_t res = (size_t)(sh->nq * sh->k);
    int64_t rows, first, nb = sh->nb, dim = sh->dim;
    shard_of(m->rank, m->size, nb, &rows, &first);
    float *q = malloc((size_t)(sh->nq * dim) * sizeof *q), *s1 = malloc(res * sizeof *s1);
    float *sp = malloc(res * sizeof *sp), *db = NULL;
    float *shard = malloc((size_t)((rows > 0 ? rows : 1) * dim) * sizeof *shard);
    int64_t *i1 = malloc(res * sizeof *i1), *ip = malloc(res * sizeof *ip);
    int *counts = malloc((size_t)m->size * sizeof(int));
    int *starts = malloc((size_t)m->size * sizeof(int));
    if (m->rank == 0) db = malloc((size_t)(nb * dim) * sizeof *db);
    brg_status st = q && s1 && sp && shard && i1 && ip && counts && starts && (db || m->rank)
                        ? brg_bench_fill(q, BRG_F32, sh->nq * dim, BRG_BENCH_TOPK_QUERY_SEED)
                        : BRG_ERR_OUT_OF_MEMORY;
    if (nb * dim > INT32_MAX) st = BRG_ERR_OVERFLOW; /* MPI counts are int */
    if (st == BRG_OK && db) st = brg_bench_fill(db, BRG_F32, nb * dim, BRG_BENCH_TOPK_DB_SEED);
    double t1 = NAN, tp = NAN, local = 0.0, slowest_local = 0.0;
    int ok = all_ok(st == BRG_OK);
    for (int r = 0; ok && r < m->size; r++) { /* the root sends each rank its rows */
        int64_t n, at;
        shard_of(r, m->size, nb, &n, &at);
        counts[r] = (int)(n * dim);
        starts[r] = (int)(at * dim);
    }
    if (ok)
        MPI_Scatterv(db, counts, starts, MPI_FLOAT, shard, counts[m->rank], MPI_FLOAT, 0,
                     MPI_COMM_WORLD);
    if (ok && db) st = time_index(m, sh, db, nb, q, s1, i1, &t1);
    free(db);
    ok = ok && all_ok(st == BRG_OK);
    if (ok && rows >= sh->k) /* a rank with fewer rows than k: not timed alone */
        st = time_index(m, sh, shard, rows, q, sp, ip, &local);
    ok = ok && all_ok(st == BRG_OK);
    MPI_Reduce(&local, &slowest_local, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    brg_mpi_options mo = {.device = m->spec};
    brg_mpi_index *mx = NULL;
    if (ok) st = brg_mpi_index_create(MPI_COMM_WORLD, shard, rows, first, dim, &mo, &mx);
    if (ok && st == BRG_OK) st = time_search(m, sh, NULL, mx, q, sp, ip, &tp);
    brg_mpi_index_free(mx);
    ok = ok && all_ok(st == BRG_OK);
    int failed = !ok;
    if (m->rank == 0) {
        char params[128];
        snprintf(params, sizeof params, "nb=%lld dim=%lld nq=%lld k=%lld", (long long)nb,
                 (long long)dim, (long long)sh->nq, (long long)sh->k);
        printf("%-12s %-34s %5d", "cosine_topk", params, m->size);
        int same = ok && !memcmp(i1, ip, res * sizeof *i1) && !memcmp(s1, sp, res * sizeof *s1);
        failed |= ok && m->o->check && !same;
        if (!ok)
            printf("  error: %s\n", st != BRG_OK ? brg_last_error() : "on another rank");
        else
            printf(" %10.6f %10.6f %8.3g %10.3g %10.6f %9.1f%%  %s\n", t1, tp, t1 / tp,
                   t1 / (tp * m->size), slowest_local, 100.0 * (tp - slowest_local) / tp,
                   !m->o->check ? "skipped" : same ? "pass" : "fail");
        fflush(stdout);
    }
    void *owned[] = {q, s1, sp, shard, i1, ip, counts, starts};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) free(owned[i]);
    return failed;
}

int brg_bench_mpi_main(const brg_bench_options *o)
{
    int provided = 0, rc = o->n_runners > 1;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fputs("bench: MPI_Init failed\n", stderr);
        return 1;
    }
    mpi_ctx m = {.o = o, .spec = o->n_runners == 1 ? o->runners[0] : "auto", .repeat = o->repeat};
    MPI_Comm_rank(MPI_COMM_WORLD, &m.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m.size);
    for (int i = 0; i < o->n_workloads; i++) rc |= strcmp(o->workloads[i], "cosine_topk") != 0;
    brg_bench_topk_shape shapes[MAX_SHAPES];
    int n = rc ? 0 : brg_bench_topk_shapes(o, shapes, MAX_SHAPES);
    if (m.rank == 0 && rc)
        fputs("bench: under mpirun, bench runs --workload cosine_topk on one --runner spec per "
              "rank (default auto)\n", stderr);
    if (m.rank == 0 && !rc)
        printf("brigade %s bench under MPI: %d ranks, device %s on each; cosine_topk sharded "
               "by database rows, index form (docs/bench.md)\n\n%-12s %-34s %5s %10s %10s %8s "
               "%10s %10s %10s  %s\n", brg_version_string(), m.size, m.spec, "workload",
               "params", "ranks", "1 rank s", "P ranks s", "speed-up", "efficiency", "local s",
               "comm+merge", "check");
    int failed = 0;
    for (int i = 0; i < n; i++) failed |= run_shape(&m, &shapes[i]);
    MPI_Finalize();
    return rc ? 2 : failed;
}

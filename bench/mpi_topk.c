/* `bench --workload cosine_topk` under mpirun (built with brigade_mpi): the
 * tutorial's Part 3 with the database sharded over the ranks.
 *
 * The root makes the database the single-process bench uses and sends each
 * rank its contiguous shard (rows are split as evenly as they go, the first
 * nb % P ranks one more); each builds a brg_mpi_index on its device (the
 * runner given with --runner, else "auto": a rank on a GPU node uses its
 * GPU). Per case, after one warm-up each, the median of --repeat runs of:
 *
 *   1 rank   brg_index_search over the whole database on the root alone
 *            (the others wait): the time P ranks are measured against;
 *   local    brg_index_search of each rank over its own shard, no MPI:
 *            the slowest rank's time is the search part of a sharded run;
 *   P ranks  brg_mpi_index_search: queries broadcast from the root, local
 *            searches, the merge of the ranks' candidates to the root. The
 *            clock starts after a barrier and stops when the slowest rank
 *            returns (the maximum over ranks).
 *
 * It prints, on the root, the P-rank time, the speed-up and the scaling
 * efficiency (1-rank time / (P x P-rank time)), and the share of the P-rank
 * time that is not the slowest local search: the queries' broadcast, the
 * argument checks and the merge. With --check the P-rank answer is compared
 * with the 1-rank one: the same indices, the same scores (both are the exact
 * similarity rounded to float). Index building is outside every clock. */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "brigade/mpi.h"

enum { MAX_SHAPES = 8, MAX_REPEAT = 1000 };

typedef struct mpi_ctx {
    int rank, size;
    const brg_bench_options *o;
    const char *spec;
    int repeat;
} mpi_ctx;

/* Every rank's ok, agreed: 1 when all are. */
static int all_ok(int ok)
{
    int all = 0;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all;
}

typedef struct shard {
    int64_t nb_local, offset;
    float *db;                       /* nb_local x dim */
} shard;

static void shard_of(const mpi_ctx *m, const brg_bench_topk_shape *sh, shard *s)
{
    int64_t base = sh->nb / m->size, extra = sh->nb % m->size;
    s->nb_local = base + (m->rank < extra);
    s->offset = m->rank * base + (m->rank < extra ? m->rank : extra);
}

/* Index db (rows x dim) on a new device of m->spec and time one warm-up
 * and m->repeat searches: the median, and the last answer. */
static brg_status time_index(const mpi_ctx *m, const brg_bench_topk_shape *sh, const float *db,
                             int64_t rows, const float *q, float *scores, int64_t *idx,
                             double *median)
{
    brg_device *dev = NULL;
    brg_index *ix = NULL;
    brg_status st = brg_device_open(m->spec, &dev);
    if (st == BRG_OK) st = brg_index_create(dev, db, rows, sh->dim, BRG_METRIC_COSINE, &ix);
    double t[MAX_REPEAT];
    for (int r = -1; r < m->repeat && st == BRG_OK; r++) {
        double t0 = brg_bench_now();
        st = brg_index_search(ix, q, sh->nq, sh->k, NULL, scores, idx);
        if (r >= 0) t[r] = brg_bench_now() - t0;
    }
    if (st == BRG_OK) *median = brg_bench_median(t, m->repeat);
    brg_index_free(ix);
    brg_device_close(dev);
    return st;
}

/* The root fills the whole database (the one the single-process bench
 * uses) and its 1-rank median and answer come from it; every rank gets its
 * rows. Collective; 1 when every rank has its shard. */
static int one_rank_and_shards(const mpi_ctx *m, const brg_bench_topk_shape *sh, const float *q,
                               shard *s, float *scores, int64_t *idx, double *median)
{
    float *db = NULL;
    int *counts = malloc((size_t)m->size * sizeof *counts);
    int *starts = malloc((size_t)m->size * sizeof *starts);
    brg_status st = counts && starts && sh->nb * sh->dim <= INT32_MAX ? BRG_OK : BRG_ERR_OVERFLOW;
    if (st == BRG_OK && m->rank == 0) {
        db = malloc((size_t)(sh->nb * sh->dim) * sizeof *db);
        st = db ? brg_bench_fill(db, BRG_F32, sh->nb * sh->dim, BRG_BENCH_TOPK_DB_SEED)
                : BRG_ERR_OUT_OF_MEMORY;
    }
    int ok = all_ok(st == BRG_OK);
    for (int r = 0; ok && r < m->size; r++) {
        mpi_ctx other = *m;
        other.rank = r;
        shard o;
        shard_of(&other, sh, &o);
        counts[r] = (int)(o.nb_local * sh->dim);
        starts[r] = (int)(o.offset * sh->dim);
    }
    if (ok)
        MPI_Scatterv(db, counts, starts, MPI_FLOAT, s->db, counts[m->rank], MPI_FLOAT, 0,
                     MPI_COMM_WORLD);
    if (ok && m->rank == 0) st = time_index(m, sh, db, sh->nb, q, scores, idx, median);
    free(db);
    free(counts);
    free(starts);
    return ok && all_ok(st == BRG_OK);
}

/* This rank's median over its own shard, alone. */
static brg_status local_search(const mpi_ctx *m, const brg_bench_topk_shape *sh, const float *q,
                               const shard *s, double *median)
{
    *median = 0.0;
    if (s->nb_local < sh->k) return BRG_OK; /* a rank with fewer rows than k: not timed */
    float *sc = malloc((size_t)(sh->nq * sh->k) * sizeof *sc);
    int64_t *ix_out = malloc((size_t)(sh->nq * sh->k) * sizeof *ix_out);
    brg_status st = sc && ix_out ? time_index(m, sh, s->db, s->nb_local, q, sc, ix_out, median)
                                 : BRG_ERR_OUT_OF_MEMORY;
    free(sc);
    free(ix_out);
    return st;
}

/* The P-rank median (the slowest rank's time per run) on the root. */
static brg_status sharded(const mpi_ctx *m, const brg_bench_topk_shape *sh, const float *q,
                          const shard *s, float *scores, int64_t *idx, double *median)
{
    brg_mpi_options mo = {.device = m->spec};
    brg_mpi_index *ix = NULL;
    brg_status st = brg_mpi_index_create(MPI_COMM_WORLD, s->db, s->nb_local, s->offset, sh->dim,
                                         &mo, &ix);
    double t[MAX_REPEAT];
    for (int r = -1; r < m->repeat && st == BRG_OK; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = brg_bench_now();
        st = brg_mpi_index_search(ix, m->rank == 0 ? q : NULL, sh->nq, sh->k, &mo, scores, idx);
        double mine = brg_bench_now() - t0, slowest = 0.0;
        MPI_Reduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
        if (r >= 0) t[r] = slowest;
    }
    if (st == BRG_OK && m->rank == 0) *median = brg_bench_median(t, m->repeat);
    brg_mpi_index_free(ix);
    return st;
}

static void print_header(void)
{
    printf("%-12s %-34s %5s %10s %10s %8s %10s %10s %10s  %s\n", "workload", "params", "ranks",
           "1 rank s", "P ranks s", "speed-up", "efficiency", "local s", "comm+merge", "check");
}

/* One shape: 0, or 1 when a call failed or the check did. */
static int run_shape(const mpi_ctx *m, const brg_bench_topk_shape *sh)
{
    size_t res = (size_t)(sh->nq * sh->k);
    float *q = malloc((size_t)(sh->nq * sh->dim) * sizeof *q);
    float *s1 = malloc(res * sizeof *s1), *sp = malloc(res * sizeof *sp);
    int64_t *i1 = malloc(res * sizeof *i1), *ip = malloc(res * sizeof *ip);
    shard s;
    shard_of(m, sh, &s);
    s.db = malloc((size_t)((s.nb_local > 0 ? s.nb_local : 1) * sh->dim) * sizeof *s.db);
    int ok = q && s1 && sp && i1 && ip && s.db;
    brg_status st = BRG_OK;
    double t1 = NAN, tp = NAN, local = 0.0, slowest_local = 0.0;
    if (all_ok(ok)) {
        st = brg_bench_fill(q, BRG_F32, sh->nq * sh->dim, BRG_BENCH_TOPK_QUERY_SEED);
        ok = all_ok(st == BRG_OK) && one_rank_and_shards(m, sh, q, &s, s1, i1, &t1);
        if (ok) st = local_search(m, sh, q, &s, &local);
        ok = ok && all_ok(st == BRG_OK);
        MPI_Reduce(&local, &slowest_local, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
        if (ok) st = sharded(m, sh, q, &s, sp, ip, &tp);
        ok = ok && all_ok(st == BRG_OK);
    }
    int failed = !ok;
    if (m->rank == 0) {
        char params[128];
        snprintf(params, sizeof params, "nb=%lld dim=%lld nq=%lld k=%lld", (long long)sh->nb,
                 (long long)sh->dim, (long long)sh->nq, (long long)sh->k);
        printf("%-12s %-34s %5d", "cosine_topk", params, m->size);
        if (!ok) {
            printf("  error: %s\n", st != BRG_OK ? brg_last_error() : "on another rank");
        } else {
            const char *check = "skipped";
            if (m->o->check) {
                int same = memcmp(i1, ip, res * sizeof *i1) == 0 &&
                           memcmp(s1, sp, res * sizeof *s1) == 0;
                check = same ? "pass" : "fail";
                failed |= !same;
            }
            printf(" %10.6f %10.6f %8.3g %10.3g %10.6f %9.1f%%  %s\n", t1, tp, t1 / tp,
                   t1 / (tp * m->size), slowest_local, 100.0 * (tp - slowest_local) / tp, check);
        }
        fflush(stdout);
    }
    free(q);
    free(s1);
    free(sp);
    free(i1);
    free(ip);
    free(s.db);
    return failed;
}

int brg_bench_mpi_main(const brg_bench_options *o)
{
    int provided = 0;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fputs("bench: MPI_Init failed\n", stderr);
        return 1;
    }
    mpi_ctx m = {.o = o, .spec = o->n_runners == 1 ? o->runners[0] : "auto"};
    MPI_Comm_rank(MPI_COMM_WORLD, &m.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m.size);
    m.repeat = o->repeat < MAX_REPEAT ? o->repeat : MAX_REPEAT;
    int rc = 0;
    for (int i = 0; i < o->n_workloads; i++)
        if (strcmp(o->workloads[i], "cosine_topk") != 0) rc = 2;
    if (o->n_runners > 1) rc = 2;
    if (rc) {
        if (m.rank == 0)
            fputs("bench: under mpirun, bench runs --workload cosine_topk on one --runner "
                  "spec per rank (default auto)\n", stderr);
        MPI_Finalize();
        return rc;
    }
    brg_bench_topk_shape shapes[MAX_SHAPES];
    int n = brg_bench_topk_shapes(o, shapes, MAX_SHAPES);
    if (m.rank == 0) {
        printf("brigade %s bench under MPI: %d ranks, device %s on each; cosine_topk sharded "
               "by database rows, index form (docs/bench.md)\n\n", brg_version_string(), m.size,
               m.spec);
        print_header();
    }
    for (int i = 0; i < n; i++) rc |= run_shape(&m, &shapes[i]);
    MPI_Finalize();
    return rc ? 1 : 0;
}

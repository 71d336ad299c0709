/* Sharded cosine top-k (include/brigade/mpi.h), run by ctest under mpirun
 * with 1 to 4 ranks. A plain program rather than a Check suite: a failed
 * assertion must not skip the rest of a case on one rank while the others
 * wait for it in a collective. Each check records its failure and goes on;
 * after each case the ranks add up their failures and rank 0 prints one
 * line, PASS or FAIL, with the case's rule as its name.
 *
 * Every rank builds the whole database from the same seed and keeps its
 * shard; the sharded answer must equal the single-process
 * brg_cosine_topk_f32 call over the whole database (scores and global
 * indices, rank by rank), which in turn is held to the long double oracle
 * by the project's rule (tests/test_topk.c): scores within 1e-5, the
 * returned row's true score within 1e-5, exact indices where the oracle's
 * neighbouring scores are apart. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "alloc.h" /* brg_test_fail_alloc_after */
#include "brigade/brigade.h"
#include "brigade/mpi.h"
#include "harness.h"
#include "mpi_impl.h" /* brg_mpi_handler_set, brg_mpi_failed */
#include "oracle.h"

static int rank, size;
static const char *spec = "cpu";
static int failures, printed;

#define EXPECT(cond, ...)                                                               \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            failures++;                                                                 \
            if (printed++ < 20) {                                                       \
                fprintf(stderr, "rank %d: %s:%d: ", rank, __FILE__, __LINE__);          \
                fprintf(stderr, __VA_ARGS__);                                           \
                fprintf(stderr, " [last error: %s]\n", brg_last_error());               \
            }                                                                           \
        }                                                                               \
    } while (0)

/* ---- problems and shards --------------------------------------------------------------- */

typedef struct problem {
    int64_t nq, nb, dim, k;
    int metric;
    float *q, *db;
    int64_t *start, *count;  /* shard of each rank: global rows [start, start + count) */
} problem;

static problem make_problem(int64_t nq, int64_t nb, int64_t dim, int64_t k, int metric, uint64_t seed)
{
    problem p = {nq, nb, dim, k, metric, NULL, NULL, NULL, NULL};
    p.q = malloc((size_t)(nq * dim + 1) * sizeof(float));
    p.db = malloc((size_t)(nb * dim + 1) * sizeof(float));
    p.start = calloc((size_t)size, sizeof(int64_t));
    p.count = calloc((size_t)size, sizeof(int64_t));
    if (!p.q || !p.db || !p.start || !p.count) {
        fprintf(stderr, "rank %d: out of memory\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    brg_test_fill_f32(p.q, nq * dim, -1.0f, 1.0f, seed);
    brg_test_fill_f32(p.db, nb * dim, -1.0f, 1.0f, seed + 1);
    return p;
}

static void free_problem(problem *p)
{
    free(p->q);
    free(p->db);
    free(p->start);
    free(p->count);
}

/* Cut [0, nb) into size pieces of the given lengths (which sum to nb), and
 * give piece order[r] to rank r (order NULL: piece r to rank r). */
static void assign_shards(problem *p, const int64_t *lengths, const int *order)
{
    int64_t at = 0;
    for (int piece = 0; piece < size; piece++) {
        int r = piece;
        if (order)
            for (r = 0; order[r] != piece; r++) {}
        p->start[r] = at;
        p->count[r] = lengths[piece];
        at += lengths[piece];
    }
}

/* Random lengths summing to nb (some may be 0), in a random order of ranks. */
static void random_shards(problem *p, uint64_t *rng)
{
    int64_t lengths[64] = {0};
    int order[64];
    int64_t left = p->nb;
    for (int r = 0; r < size - 1; r++) {
        int64_t len = (int64_t)(brg_test_rand_u64(rng) % (uint64_t)(2 * p->nb / size + 1));
        lengths[r] = len < left ? len : left;
        left -= lengths[r];
    }
    lengths[size - 1] = left;
    for (int r = 0; r < size; r++) order[r] = r;
    for (int r = size - 1; r > 0; r--) {
        int j = (int)(brg_test_rand_u64(rng) % (uint64_t)(r + 1)), t = order[r];
        order[r] = order[j];
        order[j] = t;
    }
    assign_shards(p, lengths, order);
}

static void even_shards(problem *p)
{
    int64_t lengths[64];
    for (int r = 0; r < size; r++) lengths[r] = p->nb / size + (r < p->nb % size);
    assign_shards(p, lengths, NULL);
}

static const float *my_rows(const problem *p)
{
    return p->db + p->start[rank] * p->dim;
}

/* The one-call search of p (queries q) over this rank's shard. */
static brg_status search_shards(const problem *p, const float *q, const brg_mpi_options *o,
                                float *scores, int64_t *indices)
{
    return brg_mpi_cosine_topk_f32(MPI_COMM_WORLD, q, p->nq, my_rows(p), p->count[rank],
                                   p->start[rank], p->dim, p->k, o, scores, indices);
}

/* ---- results --------------------------------------------------------------------------- */

typedef struct results {
    float *s;
    int64_t *i;
} results;

#define UNTOUCHED_INDEX (-77)

static results alloc_results(const problem *p)
{
    results r;
    r.s = malloc((size_t)(p->nq * p->k + 1) * sizeof(float));
    r.i = malloc((size_t)(p->nq * p->k + 1) * sizeof(int64_t));
    if (!r.s || !r.i) MPI_Abort(MPI_COMM_WORLD, 2);
    for (int64_t j = 0; j < p->nq * p->k; j++) {
        r.s[j] = -7.0f;
        r.i[j] = UNTOUCHED_INDEX;
    }
    return r;
}

static void free_results(results *r)
{
    free(r->s);
    free(r->i);
}

/* The single-process answer over the whole database. */
static results single_process(const problem *p)
{
    results r = alloc_results(p);
    brg_device *dev = NULL;
    brg_status st = brg_device_open(spec, &dev);
    EXPECT(st == BRG_OK, "cannot open %s", spec);
    brg_topk_options o = {0, p->metric, 0};
    if (st == BRG_OK)
        EXPECT(brg_cosine_topk_f32(dev, p->q, p->nq, p->db, p->nb, p->dim, p->k, &o, r.s, r.i) == BRG_OK,
               "single-process reference failed");
    brg_device_close(dev);
    return r;
}

static void expect_equal(const problem *p, const results *got, const results *want, const char *what)
{
    for (int64_t j = 0; j < p->nq * p->k; j++) {
        EXPECT(got->i[j] == want->i[j] && got->s[j] == want->s[j],
               "%s: query %lld rank %lld: (%.9g, row %lld), single process (%.9g, row %lld)", what,
               (long long)(j / p->k), (long long)(j % p->k), (double)got->s[j], (long long)got->i[j],
               (double)want->s[j], (long long)want->i[j]);
        if (failures > 20) return;
    }
}

static void expect_untouched(const problem *p, const results *r, const char *what)
{
    for (int64_t j = 0; j < p->nq * p->k; j++)
        EXPECT(r->i[j] == UNTOUCHED_INDEX && r->s[j] == -7.0f, "%s: output %lld written on rank %d",
               what, (long long)j, rank);
}

static long double tolerance(long double s)
{
    return 1e-5L * (fabsl(s) > 1 ? fabsl(s) : 1);
}

/* The project's rule against the long double oracle. */
static void expect_oracle(const problem *p, const results *r)
{
    int64_t n = p->nq * p->k;
    long double *os = malloc((size_t)n * sizeof *os);
    int64_t *oi = malloc((size_t)n * sizeof *oi);
    if (!os || !oi) MPI_Abort(MPI_COMM_WORLD, 2);
    oracle_topk(p->q, p->nq, p->db, p->nb, p->dim, p->k, p->metric, os, oi);
    for (int64_t j = 0; j < n; j++) {
        int64_t q = j / p->k, at = j % p->k;
        EXPECT(r->i[j] >= 0 && r->i[j] < p->nb, "query %lld: index %lld out of range", (long long)q,
               (long long)r->i[j]);
        if (r->i[j] < 0 || r->i[j] >= p->nb) continue;
        long double truth = oracle_similarity(p->q + q * p->dim, p->db + r->i[j] * p->dim, p->dim, p->metric);
        EXPECT(fabsl(r->s[j] - os[j]) <= tolerance(os[j]) && fabsl(truth - os[j]) <= tolerance(os[j]),
               "query %lld rank %lld: score %.9g of row %lld (truly %.12Lg), oracle %.12Lg",
               (long long)q, (long long)at, (double)r->s[j], (long long)r->i[j], truth, os[j]);
        int apart = (at == 0 || os[j - 1] - os[j] > 1e-9L) && (at == p->k - 1 || os[j] - os[j + 1] > 1e-9L);
        EXPECT(!apart || r->i[j] == oi[j], "query %lld rank %lld: row %lld, oracle row %lld",
               (long long)q, (long long)at, (long long)r->i[j], (long long)oi[j]);
    }
    free(os);
    free(oi);
}

static brg_mpi_options mpi_options(int metric, int merge, int root, int q_every, int r_every)
{
    brg_mpi_options o;
    memset(&o, 0, sizeof o);
    o.topk.metric = metric;
    o.device = spec;
    o.merge = merge;
    o.root = root;
    o.queries_on_every_rank = q_every;
    o.results_on_every_rank = r_every;
    return o;
}

/* Search p's shards in one call with o; check against want where results
 * land and that other ranks' outputs are untouched. */
static void search_and_compare(const problem *p, const brg_mpi_options *o, const results *want,
                               const char *what)
{
    results got = alloc_results(p);
    const float *q = o->queries_on_every_rank || rank == o->root ? p->q : NULL;
    brg_status st = search_shards(p, q, o, got.s, got.i);
    EXPECT(st == BRG_OK, "%s: %s", what, brg_status_str(st));
    if (o->results_on_every_rank || rank == o->root) expect_equal(p, &got, want, what);
    else expect_untouched(p, &got, what);
    free_results(&got);
}

/* Every rank got want, and the same message; mentioning "rank R of P"
 * when failing_rank >= 0. */
static void expect_agreed(brg_status got, brg_status want, int failing_rank, const char *what)
{
    EXPECT(got == want, "%s: %s, want %s", what, brg_status_str(got), brg_status_str(want));
    uint64_t h = 1469598103934665603ull;
    for (const char *c = brg_last_error(); got != BRG_OK && *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ull;
    uint64_t lo = 0, hi = 0;
    MPI_Allreduce(&h, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&h, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    EXPECT(lo == hi, "%s: the ranks' messages differ (this rank's: %s)", what, brg_last_error());
    if (failing_rank >= 0) {
        char needle[64];
        snprintf(needle, sizeof needle, "rank %d of %d", failing_rank, size);
        EXPECT(strstr(brg_last_error(), needle), "%s: the message does not name %s", what, needle);
    }
}

/* ---- cases ------------------------------------------------------------------------------ */

static void sharded_results_equal_the_single_process_call_on_random_shards(void)
{
    uint64_t rng = 4242;
    for (int t = 0; t < 12; t++) {
        int64_t nb = size + (int64_t)(brg_test_rand_u64(&rng) % 2500);
        int64_t dim = 1 + (int64_t)(brg_test_rand_u64(&rng) % 48);
        int64_t nq = 1 + (int64_t)(brg_test_rand_u64(&rng) % 20);
        int64_t k = 1 + (int64_t)(brg_test_rand_u64(&rng) % (uint64_t)(nb < 40 ? nb : 40));
        problem p = make_problem(nq, nb, dim, k, t % 3 == 2, 700 + (uint64_t)t);
        random_shards(&p, &rng);
        results want = single_process(&p);
        if (rank == 0) expect_oracle(&p, &want);
        brg_mpi_options o = mpi_options(p.metric, 1 + t % 2, (int)(brg_test_rand_u64(&rng) % (uint64_t)size),
                                        (t / 2) % 2, (t / 4) % 2);
        char what[128];
        snprintf(what, sizeof what, "trial %d (nq %lld, nb %lld, dim %lld, k %lld)", t, (long long)nq,
                 (long long)nb, (long long)dim, (long long)k);
        search_and_compare(&p, &o, &want, what);
        free_results(&want);
        free_problem(&p);
    }
}

/* Both merges, both query modes, both result modes on one uneven problem. */
static void every_merge_and_mode_gives_the_same_answer(void)
{
    problem p = make_problem(9, 1500, 24, 12, BRG_METRIC_COSINE, 31);
    uint64_t rng = 7;
    random_shards(&p, &rng);
    results want = single_process(&p);
    for (int merge = BRG_MPI_MERGE_AUTO; merge <= BRG_MPI_MERGE_GATHER; merge++)
        for (int mode = 0; mode < 4; mode++) {
            brg_mpi_options o = mpi_options(p.metric, merge, size - 1, mode & 1, mode >> 1);
            search_and_compare(&p, &o, &want, "merge and mode");
        }
    free_results(&want);
    free_problem(&p);
}

/* Rank 0 holds 2 rows and k = 7: it contributes its 2, the rest come from
 * the others. With one rank, the shard is the whole database. */
static void a_shard_smaller_than_k_contributes_the_rows_it_has(void)
{
    problem p = make_problem(6, 2 + 40 * (size - 1) + (size == 1 ? 40 : 0), 16, 7, BRG_METRIC_COSINE, 51);
    int64_t lengths[64];
    lengths[0] = size == 1 ? p.nb : 2;
    for (int r = 1; r < size; r++) lengths[r] = 40;
    assign_shards(&p, lengths, NULL);
    /* make rank 0's two rows the best match of query 0, so they are used */
    memcpy(p.q, p.db, (size_t)p.dim * sizeof(float));
    results want = single_process(&p);
    for (int merge = BRG_MPI_MERGE_REDUCE; merge <= BRG_MPI_MERGE_GATHER; merge++) {
        brg_mpi_options o = mpi_options(p.metric, merge, 0, 0, 1);
        search_and_compare(&p, &o, &want, "shard smaller than k");
    }
    if (rank == 0) expect_oracle(&p, &want);
    free_results(&want);
    free_problem(&p);
}

/* The root and the last rank hold no rows (with enough ranks); k equals the
 * total, so every row of the other shards is in the answer. */
static void a_rank_with_no_rows_contributes_nothing(void)
{
    int64_t lengths[64] = {0};
    int64_t nb = 0;
    for (int r = 0; r < size; r++) {
        lengths[r] = (size > 1 && r == 0) || (size > 2 && r == size - 1) ? 0 : 5 + r;
        nb += lengths[r];
    }
    problem p = make_problem(4, nb, 8, nb, BRG_METRIC_INNER_PRODUCT, 61);
    assign_shards(&p, lengths, NULL);
    results want = single_process(&p);
    for (int merge = BRG_MPI_MERGE_REDUCE; merge <= BRG_MPI_MERGE_GATHER; merge++) {
        brg_mpi_options o = mpi_options(p.metric, merge, 0, 0, 1);
        search_and_compare(&p, &o, &want, "zero-row shard, k = nb");
    }
    free_results(&want);
    free_problem(&p);
}

/* Copies of one row spread over every shard, the shards in reverse order of
 * ranks (rank 0 holds the last rows): the answer is the copies with the
 * lowest global indices, whatever rank holds them, at equal scores. */
static void exact_ties_across_shards_go_to_the_lower_global_index(void)
{
    const int64_t nb = 60 * size, dim = 12, k = 5;
    problem p = make_problem(3, nb, dim, k, BRG_METRIC_COSINE, 71);
    int64_t lengths[64];
    int order[64];
    for (int r = 0; r < size; r++) {
        lengths[r] = 60;
        order[r] = size - 1 - r;
    }
    assign_shards(&p, lengths, order);
    int64_t copies[256]; /* ascending global rows: two copies per piece, near its ends */
    int nc = 0;
    for (int piece = 0; piece < size; piece++)
        for (int c = 0; c < 2; c++) copies[nc++] = piece * 60 + (c == 0 ? 3 : 58);
    for (int c = 1; c < nc; c++) memcpy(p.db + copies[c] * dim, p.db + copies[0] * dim, (size_t)dim * sizeof(float));
    for (int64_t q = 0; q < p.nq; q++)
        for (int64_t d = 0; d < dim; d++) p.q[q * dim + d] = p.db[copies[0] * dim + d] * (float)(q + 1);
    const int64_t *want_rows = copies;
    int64_t expect_k = nc < k ? nc : k;
    results want = single_process(&p);
    for (int merge = BRG_MPI_MERGE_REDUCE; merge <= BRG_MPI_MERGE_GATHER; merge++) {
        results got = alloc_results(&p);
        brg_mpi_options o = mpi_options(p.metric, merge, 0, 1, 1);
        EXPECT(search_shards(&p, p.q, &o, got.s, got.i) == BRG_OK, "ties");
        for (int64_t q = 0; q < p.nq; q++)
            for (int64_t r = 0; r < expect_k; r++)
                EXPECT(got.i[q * k + r] == want_rows[r] && got.s[q * k + r] == got.s[q * k],
                       "merge %d query %lld rank %lld: row %lld (score %.9g), want row %lld", merge,
                       (long long)q, (long long)r, (long long)got.i[q * k + r],
                       (double)got.s[q * k + r], (long long)want_rows[r]);
        expect_equal(&p, &got, &want, "ties");
        free_results(&got);
    }
    free_results(&want);
    free_problem(&p);
}

/* Inner products 1 + 2^-30 (the last row, on the last rank) and 1 (row 0,
 * on rank 0) both round to the float 1: one process ranks them by their
 * exact values, so the last row comes first; so must the merge, which
 * therefore cannot merge by the float scores. */
static void scores_equal_as_floats_rank_by_their_exact_values(void)
{
    problem p = make_problem(2, 8 * size, 2, 2, BRG_METRIC_INNER_PRODUCT, 141);
    even_shards(&p);
    for (int64_t j = 0; j < p.nb * p.dim; j++) p.db[j] *= 0.25f;
    for (int64_t j = 0; j < p.nq * p.dim; j++) p.q[j] = 1.0f;
    p.db[0] = 1.0f;
    p.db[1] = 0.0f;
    p.db[(p.nb - 1) * 2] = 1.0f;
    p.db[(p.nb - 1) * 2 + 1] = 0x1p-30f;
    results want = single_process(&p);
    for (int merge = BRG_MPI_MERGE_REDUCE; merge <= BRG_MPI_MERGE_GATHER; merge++) {
        results got = alloc_results(&p);
        brg_mpi_options o = mpi_options(p.metric, merge, 0, 1, 1);
        EXPECT(search_shards(&p, p.q, &o, got.s, got.i) == BRG_OK, "search");
        for (int64_t q = 0; q < p.nq; q++)
            EXPECT(got.i[q * 2] == p.nb - 1 && got.i[q * 2 + 1] == 0 && got.s[q * 2] == 1.0f &&
                       got.s[q * 2 + 1] == 1.0f,
                   "merge %d query %lld: rows %lld, %lld (scores %.9g, %.9g), want %lld, 0", merge,
                   (long long)q, (long long)got.i[q * 2], (long long)got.i[q * 2 + 1],
                   (double)got.s[q * 2], (double)got.s[q * 2 + 1], (long long)(p.nb - 1));
        expect_equal(&p, &got, &want, "float ties");
        free_results(&got);
    }
    free_results(&want);
    free_problem(&p);
}

/* The shards stay on their devices; every batch equals the single-process call. */
static void the_index_answers_many_batches_like_the_single_process_call(void)
{
    problem p = make_problem(1, 1800, 20, 1, BRG_METRIC_COSINE, 81);
    uint64_t rng = 99;
    random_shards(&p, &rng);
    brg_mpi_options o = mpi_options(BRG_METRIC_COSINE, 0, 0, 0, 0);
    brg_mpi_index *ix = NULL;
    brg_status st = brg_mpi_index_create(MPI_COMM_WORLD, my_rows(&p), p.count[rank], p.start[rank],
                                         p.dim, &o, &ix);
    EXPECT(st == BRG_OK && ix, "index create: %s", brg_status_str(st));
    EXPECT(brg_mpi_index_rows(ix) == p.nb && brg_mpi_index_dim(ix) == p.dim, "index rows %lld dim %lld",
           (long long)brg_mpi_index_rows(ix), (long long)brg_mpi_index_dim(ix));
    const int64_t batches[][2] = {{7, 10}, {1, 1}, {30, 33}, {12, 50}};
    for (int b = 0; b < 4 && ix; b++) {
        problem batch = make_problem(batches[b][0], p.nb, p.dim, batches[b][1], p.metric, 900 + (uint64_t)b);
        memcpy(batch.db, p.db, (size_t)(p.nb * p.dim) * sizeof(float));
        results want = single_process(&batch), got = alloc_results(&batch);
        brg_mpi_options so = mpi_options(BRG_METRIC_INNER_PRODUCT /* ignored */, 1 + b % 2, b % size,
                                         b % 2, 1);
        so.device = "no such device (ignored)";
        st = brg_mpi_index_search(ix, rank == so.root || so.queries_on_every_rank ? batch.q : NULL,
                                  batch.nq, batch.k, &so, got.s, got.i);
        EXPECT(st == BRG_OK, "batch %d: %s", b, brg_status_str(st));
        expect_equal(&batch, &got, &want, "index batch");
        free_results(&want);
        free_results(&got);
        free_problem(&batch);
    }
    brg_mpi_index_free(ix);
    brg_mpi_index_free(NULL);
    free_problem(&p);
}

/* NaN in the last rank's shard: every rank returns the same error, naming
 * that rank, for the one-call form and for index create; NaN in the root's
 * queries fails every rank too. */
static void nan_on_one_rank_fails_every_rank_alike(void)
{
    problem p = make_problem(5, 50 * size, 8, 4, BRG_METRIC_COSINE, 91);
    even_shards(&p);
    int bad = size - 1;
    p.db[(p.start[bad] + 3) * p.dim + 2] = NAN;
    results r = alloc_results(&p);
    brg_mpi_options o = mpi_options(p.metric, 0, 0, 0, 1);
    brg_status st = search_shards(&p, p.q, &o, r.s, r.i);
    expect_agreed(st, BRG_ERR_INVALID_ARG, bad, "NaN in a shard (one call)");
    brg_mpi_index *ix = (brg_mpi_index *)&p; /* must become NULL */
    st = brg_mpi_index_create(MPI_COMM_WORLD, my_rows(&p), p.count[rank], p.start[rank], p.dim, &o, &ix);
    expect_agreed(st, BRG_ERR_INVALID_ARG, bad, "NaN in a shard (index create)");
    EXPECT(ix == NULL, "a failed create leaves *out set");
    p.db[(p.start[bad] + 3) * p.dim + 2] = 0.5f;
    p.q[p.dim + 1] = INFINITY;
    st = search_shards(&p, p.q, &o, r.s, r.i);
    expect_agreed(st, BRG_ERR_INVALID_ARG, -1, "Inf in the root's queries");
    free_results(&r);
    free_problem(&p);
}

/* One bad argument (on every rank, or on the last rank only) fails every
 * rank with BRG_ERR_INVALID_ARG and the same message, and nothing hangs. */
static void invalid_arguments_fail_every_rank_without_hanging(void)
{
    problem p = make_problem(3, 20 * size, 6, 3, BRG_METRIC_COSINE, 101);
    even_shards(&p);
    results r = alloc_results(&p);
    int last = rank == size - 1;
    enum { K_ZERO, K_ABOVE_NB, NEG_NB, NULL_DB, NEG_NQ, NULL_SCORES, NULL_QUERIES, K_DIFFERS,
           BAD_ROOT, NEG_OFFSET, OVERLAP, QUERIES_DIFFER, BAD_METRIC, DIM_ZERO, CASES };
    static const char *const names[CASES] = {
        "k = 0", "k > nb", "negative nb_local on one rank", "NULL db on one rank", "negative nq",
        "NULL scores on the root", "NULL queries on the root", "k differs on one rank", "root out of range",
        "negative offset on one rank", "overlapping shards", "queries differ on one rank",
        "unknown metric", "dim = 0"};
    for (int c = 0; c < CASES; c++) {
        if ((c == OVERLAP || c == QUERIES_DIFFER || c == K_DIFFERS) && size == 1) continue;
        brg_mpi_options o = mpi_options(p.metric, 0, 0, c == QUERIES_DIFFER, 0);
        const float *q = p.q, *db = my_rows(&p);
        int64_t nq = p.nq, nb = p.count[rank], off = p.start[rank], dim = p.dim, k = p.k;
        float *s = r.s;
        float qcopy[64];
        if (c == K_ZERO) k = 0;
        if (c == K_ABOVE_NB) k = p.nb + 1;
        if (c == NEG_NB && last) nb = -1;
        if (c == NULL_DB && last) db = NULL;
        if (c == NEG_NQ) nq = -2;
        if (c == NULL_SCORES && rank == 0) s = NULL;
        if (c == NULL_QUERIES && rank == 0) q = NULL;
        if (c == K_DIFFERS && last) k = 2;
        if (c == BAD_ROOT) o.root = size;
        if (c == NEG_OFFSET && last) off = -1;
        if (c == OVERLAP && last) off -= 1;
        if (c == QUERIES_DIFFER && last) {
            memcpy(qcopy, p.q, (size_t)(p.nq * p.dim) * sizeof(float));
            qcopy[4] += 1.0f;
            q = qcopy;
        }
        if (c == BAD_METRIC) o.topk.metric = 5;
        if (c == DIM_ZERO) dim = 0;
        brg_status st = brg_mpi_cosine_topk_f32(MPI_COMM_WORLD, q, nq, db, nb, off, dim, k, &o, s, r.i);
        expect_agreed(st, BRG_ERR_INVALID_ARG, -1, names[c]);
    }
    /* the index: out NULL on one rank, then a search asking k > nb */
    brg_mpi_options o = mpi_options(p.metric, 0, 0, 0, 1);
    brg_mpi_index *ix = NULL;
    brg_status st = brg_mpi_index_create(MPI_COMM_WORLD, my_rows(&p), p.count[rank], p.start[rank],
                                         p.dim, &o, last ? NULL : &ix);
    expect_agreed(st, BRG_ERR_INVALID_ARG, size - 1, "index create with out NULL on one rank");
    EXPECT(ix == NULL, "index made although a rank failed");
    st = brg_mpi_index_create(MPI_COMM_WORLD, my_rows(&p), p.count[rank], p.start[rank], p.dim, &o, &ix);
    EXPECT(st == BRG_OK, "index create");
    st = brg_mpi_index_search(ix, p.q, p.nq, p.nb + 1, &o, r.s, r.i);
    expect_agreed(st, BRG_ERR_INVALID_ARG, -1, "index search with k > nb");
    st = brg_mpi_index_search(ix, p.q, p.nq, last ? 0 : p.k, &o, r.s, r.i);
    expect_agreed(st, BRG_ERR_INVALID_ARG, size - 1, "index search with k = 0 on one rank");
    brg_mpi_index_free(ix);
    EXPECT(brg_mpi_index_search(NULL, p.q, 1, 1, &o, r.s, r.i) == BRG_ERR_INVALID_ARG, "NULL index");
    free_results(&r);
    free_problem(&p);
}

/* A bad device spec on one rank is that rank's error, told to every rank. */
static void a_device_that_fails_on_one_rank_fails_every_rank(void)
{
    problem p = make_problem(2, 10 * size, 4, 2, BRG_METRIC_COSINE, 111);
    even_shards(&p);
    results r = alloc_results(&p);
    brg_mpi_options o = mpi_options(p.metric, 0, 0, 0, 1);
    if (rank == size - 1) o.device = "cuda:99";
    brg_status st = search_shards(&p, p.q, &o, r.s, r.i);
    EXPECT(st != BRG_OK, "cuda:99 opened");
    int s = st, lo = 0, hi = 0;
    MPI_Allreduce(&s, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&s, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    EXPECT(lo == hi, "ranks returned different statuses");
    expect_agreed(st, st, size - 1, "bad device on one rank");
    free_results(&r);
    free_problem(&p);
}

/* The 1st, 2nd, ... host allocation failing on the last rank (device open,
 * buffers, the local search, index create) is BRG_ERR_OUT_OF_MEMORY on
 * every rank, until there are enough allocations for the call to pass. */
static void an_allocation_failing_on_one_rank_fails_every_rank(void)
{
    problem p = make_problem(3, 30 * size, 6, 4, BRG_METRIC_COSINE, 151);
    even_shards(&p);
    results want = single_process(&p), r = alloc_results(&p);
    brg_mpi_options o = mpi_options(p.metric, 0, 0, 0, 1);
    for (int form = 0; form < 2; form++) {
        int passed = 0;
        for (long n = 1; n <= 200 && !passed; n++) {
            if (rank == size - 1) brg_test_fail_alloc_after(n);
            brg_mpi_index *ix = NULL;
            brg_status st = form == 0
                ? search_shards(&p, p.q, &o, r.s, r.i)
                : brg_mpi_index_create(MPI_COMM_WORLD, my_rows(&p), p.count[rank], p.start[rank],
                                       p.dim, &o, &ix);
            if (st == BRG_OK && form == 1)
                st = brg_mpi_index_search(ix, p.q, p.nq, p.k, &o, r.s, r.i);
            brg_test_fail_alloc_after(0);
            brg_mpi_index_free(ix);
            int ok = st == BRG_OK, all = 0;
            MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
            if (all) passed = 1;
            else expect_agreed(st, BRG_ERR_OUT_OF_MEMORY, size - 1, form ? "index" : "one call");
        }
        EXPECT(passed, "form %d never succeeded", form);
        expect_equal(&p, &r, &want, "after allocation failures");
    }
    free_results(&want);
    free_results(&r);
    free_problem(&p);
}

static void nq_of_zero_does_nothing(void)
{
    problem p = make_problem(2, 10 * size, 4, 2, BRG_METRIC_COSINE, 121);
    even_shards(&p);
    results r = alloc_results(&p);
    brg_mpi_options o = mpi_options(p.metric, 0, 0, 0, 1);
    EXPECT(brg_mpi_cosine_topk_f32(MPI_COMM_WORLD, NULL, 0, my_rows(&p), p.count[rank], p.start[rank],
                                   p.dim, p.k, &o, NULL, NULL) == BRG_OK, "nq = 0");
    EXPECT(brg_mpi_cosine_topk_f32(MPI_COMM_WORLD, p.q, 0, my_rows(&p), p.count[rank], p.start[rank],
                                   p.dim, p.k, &o, r.s, r.i) == BRG_OK, "nq = 0");
    expect_untouched(&p, &r, "nq = 0");
    free_results(&r);
    free_problem(&p);
}

/* The caller's error handler is back after a call. */
static void the_callers_error_handler_is_restored(void)
{
    MPI_Comm comm;
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    problem p = make_problem(1, 4 * size, 4, 1, BRG_METRIC_COSINE, 131);
    even_shards(&p);
    results r = alloc_results(&p);
    brg_mpi_options o = mpi_options(p.metric, 0, 0, 0, 1);
    EXPECT(brg_mpi_cosine_topk_f32(comm, p.q, p.nq, my_rows(&p), p.count[rank], p.start[rank], p.dim,
                                   p.k, &o, r.s, r.i) == BRG_OK, "search on a duplicate");
    MPI_Errhandler h;
    MPI_Comm_get_errhandler(comm, &h);
    EXPECT(h == MPI_ERRORS_ARE_FATAL, "the communicator's error handler was not restored");
    MPI_Errhandler_free(&h);
    MPI_Comm_free(&comm);
    EXPECT(brg_mpi_cosine_topk_f32(MPI_COMM_NULL, p.q, 1, p.db, 1, 0, 4, 1, &o, r.s, r.i) ==
               BRG_ERR_INVALID_ARG, "MPI_COMM_NULL");
    free_results(&r);
    free_problem(&p);
}

/* An MPI call that fails under the handler brigade sets (MPI_ERRORS_RETURN)
 * returns to brigade, which reports it as BRG_ERR_WORKER naming the call: a
 * broadcast from a root that does not exist fails on every rank alike. */
static void an_mpi_error_is_a_worker_error_naming_the_call(void)
{
    MPI_Comm comm;
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    brg_mpi_handler h;
    EXPECT(brg_mpi_handler_set(comm, &h) == BRG_OK, "MPI_ERRORS_RETURN set");
    int value = 7;
    int rc = MPI_Bcast(&value, 1, MPI_INT, size + 3, comm);
    EXPECT(rc != MPI_SUCCESS, "a broadcast from a root past the last rank failed");
    if (rc != MPI_SUCCESS) {
        EXPECT(brg_mpi_failed(rc, "MPI_Bcast") == BRG_ERR_WORKER, "BRG_ERR_WORKER");
        EXPECT(strstr(brg_last_error(), "MPI_Bcast failed") != NULL, "the message names the call");
    }
    brg_mpi_handler_restore(&h);
    MPI_Errhandler e;
    MPI_Comm_get_errhandler(comm, &e);
    EXPECT(e == MPI_ERRORS_ARE_FATAL, "the caller's handler is back");
    MPI_Errhandler_free(&e);
    MPI_Comm_free(&comm);
}

static int run_case(const char *name, void (*fn)(void))
{
    int before = failures;
    printed = 0;
    double t0 = MPI_Wtime();
    fn();
    int mine = failures - before, total = 0;
    MPI_Allreduce(&mine, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0) printf("%s: %s (%.2f s)\n", total ? "FAIL" : "PASS", name, MPI_Wtime() - t0);
    fflush(stdout);
    return total;
}

#define CASE(fn) run_case(#fn, fn)

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc > 1) spec = argv[1];
    if (size > 64) {
        if (rank == 0) fprintf(stderr, "at most 64 ranks\n");
        MPI_Finalize();
        return 1;
    }
    if (rank == 0) printf("%d ranks, device %s\n", size, spec);
    int failed = 0;
    failed += CASE(sharded_results_equal_the_single_process_call_on_random_shards);
    failed += CASE(every_merge_and_mode_gives_the_same_answer);
    failed += CASE(a_shard_smaller_than_k_contributes_the_rows_it_has);
    failed += CASE(a_rank_with_no_rows_contributes_nothing);
    failed += CASE(exact_ties_across_shards_go_to_the_lower_global_index);
    failed += CASE(scores_equal_as_floats_rank_by_their_exact_values);
    failed += CASE(the_index_answers_many_batches_like_the_single_process_call);
    failed += CASE(nan_on_one_rank_fails_every_rank_alike);
    failed += CASE(invalid_arguments_fail_every_rank_without_hanging);
    failed += CASE(a_device_that_fails_on_one_rank_fails_every_rank);
    failed += CASE(an_allocation_failing_on_one_rank_fails_every_rank);
    failed += CASE(nq_of_zero_does_nothing);
    failed += CASE(the_callers_error_handler_is_restored);
    failed += CASE(an_mpi_error_is_a_worker_error_naming_the_call);
    MPI_Finalize();
    return failed ? 1 : 0;
}

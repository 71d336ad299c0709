/* Cosine / inner-product top-k on one device, against a long double
 * brute-force oracle. The rule of every comparison (the project's): at each
 * rank, the returned score equals the oracle's score at that rank within
 * 1e-5, and the returned index's true score equals it within 1e-5. Where the
 * oracle's neighbouring scores are apart, the index must be the oracle's
 * exactly; exact ties must go to the lower index. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"
#include "oracle.h"
#include "isa.h"
#include "topk_screen.h"

typedef struct problem {
    int64_t nq, nb, dim, k;
    int metric;
    float *q, *db;
} problem;

static problem make_problem(int64_t nq, int64_t nb, int64_t dim, int64_t k, uint64_t seed)
{
    problem p = {nq, nb, dim, k, BRG_METRIC_COSINE, NULL, NULL};
    p.q = malloc((size_t)(nq * dim + 1) * sizeof(float));
    p.db = malloc((size_t)(nb * dim + 1) * sizeof(float));
    ck_assert(p.q && p.db);
    brg_test_fill_f32(p.q, nq * dim, -1.0f, 1.0f, seed);
    brg_test_fill_f32(p.db, nb * dim, -1.0f, 1.0f, seed + 1);
    return p;
}

/* The tutorial's data (np.random.rand: uniform [0, 1)) in place of p's
 * centred values: queries from seed, the database from seed + 1. */
static void tutorial_data(problem *p, uint64_t seed)
{
    brg_test_fill_f32(p->q, p->nq * p->dim, 0.0f, 1.0f, seed);
    brg_test_fill_f32(p->db, p->nb * p->dim, 0.0f, 1.0f, seed + 1);
}

static void free_problem(problem *p)
{
    free(p->q);
    free(p->db);
}

static brg_topk_options options(int metric, size_t budget)
{
    brg_topk_options o;
    memset(&o, 0, sizeof o);
    o.metric = metric;
    o.workspace_bytes = budget;
    return o;
}

/* Run the helper; results into freshly allocated arrays. */
static void run_topk(const problem *p, size_t budget, float **scores, int64_t **indices)
{
    *scores = malloc((size_t)(p->nq * p->k + 1) * sizeof(float));
    *indices = malloc((size_t)(p->nq * p->k + 1) * sizeof(int64_t));
    ck_assert(*scores && *indices);
    brg_topk_options o = options(p->metric, budget);
    BRG_ASSERT_OK(brg_cosine_topk_f32(brg_test_dev, p->q, p->nq, p->db, p->nb, p->dim, p->k, &o,
                                      *scores, *indices));
}

/* The smallest workspace the device accepts for p's shape, read from the
 * message of a call with a budget of 1 byte. */
static size_t minimum_budget(const problem *p)
{
    float *s = malloc((size_t)p->k * sizeof(float));
    int64_t *i = malloc((size_t)p->k * sizeof(int64_t));
    ck_assert(s && i);
    brg_topk_options o = options(p->metric, 1);
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, p->q, 1, p->db, p->nb, p->dim, p->k, &o, s, i),
                      BRG_ERR_INVALID_ARG);
    const char *msg = strstr(brg_last_error(), "minimum of ");
    ck_assert_ptr_nonnull(msg);
    size_t minimum = strtoull(msg + strlen("minimum of "), NULL, 10);
    ck_assert(minimum > 1);
    free(s);
    free(i);
    return minimum;
}

static long double tolerance(long double s)
{
    return 1e-5L * (fabsl(s) > 1 ? fabsl(s) : 1);
}

/* The project's rule, plus exact indices where the oracle's ranks are apart. */
static void check_against_oracle(const problem *p, const float *scores, const int64_t *indices)
{
    long double *os = malloc((size_t)(p->nq * p->k) * sizeof *os);
    int64_t *oi = malloc((size_t)(p->nq * p->k) * sizeof *oi);
    ck_assert(os && oi);
    oracle_topk(p->q, p->nq, p->db, p->nb, p->dim, p->k, p->metric, os, oi);
    for (int64_t q = 0; q < p->nq; q++)
        for (int64_t r = 0; r < p->k; r++) {
            int64_t at = q * p->k + r;
            long double want = os[at];
            ck_assert_msg(indices[at] >= 0 && indices[at] < p->nb, "index %lld out of range",
                          (long long)indices[at]);
            long double truth = oracle_similarity(p->q + q * p->dim, p->db + indices[at] * p->dim,
                                                  p->dim, p->metric);
            ck_assert_msg(fabsl(scores[at] - want) <= tolerance(want),
                          "%s: query %lld rank %lld: score %.9g, oracle %.12Lg", brg_test_spec,
                          (long long)q, (long long)r, (double)scores[at], want);
            ck_assert_msg(fabsl(truth - want) <= tolerance(want),
                          "%s: query %lld rank %lld: row %lld scores %.12Lg, oracle's rank has %.12Lg",
                          brg_test_spec, (long long)q, (long long)r, (long long)indices[at], truth,
                          want);
            int apart = (r == 0 || os[at - 1] - want > 1e-9L) &&
                        (r == p->k - 1 || want - os[at + 1] > 1e-9L);
            if (apart)
                ck_assert_msg(indices[at] == oi[at], "%s: query %lld rank %lld: row %lld, oracle %lld",
                              brg_test_spec, (long long)q, (long long)r, (long long)indices[at],
                              (long long)oi[at]);
        }
    free(os);
    free(oi);
}

static void check_shape_case(int64_t nq, int64_t nb, int64_t dim, int64_t k, int metric,
                             uint64_t seed)
{
    problem p = make_problem(nq, nb, dim, k, seed);
    p.metric = metric;
    float *s;
    int64_t *i;
    run_topk(&p, 0, &s, &i);
    check_against_oracle(&p, s, i);
    free(s);
    free(i);
    free_problem(&p);
}

START_TEST(topk_matches_oracle_on_edge_shapes)
{
    check_shape_case(1, 50, 16, 3, BRG_METRIC_COSINE, 1);     /* one query */
    check_shape_case(7, 9, 16, 9, BRG_METRIC_COSINE, 2);      /* k = nb */
    check_shape_case(9, 300, 1, 5, BRG_METRIC_COSINE, 3);     /* dim = 1: all +-1, ties */
    check_shape_case(5, 200, 3, 1, BRG_METRIC_COSINE, 4);     /* k = 1 */
    check_shape_case(11, 257, 33, 7, BRG_METRIC_COSINE, 5);   /* dims off 4, 8, 32 */
    check_shape_case(13, 301, 7, 4, BRG_METRIC_COSINE, 6);
    check_shape_case(3, 1, 5, 1, BRG_METRIC_COSINE, 7);       /* nb = 1 */
}
END_TEST

START_TEST(topk_matches_oracle_on_random_shapes)
{
    uint64_t rng = 99;
    int trials = brg_test_is_emu() ? 6 : 25;
    for (int t = 0; t < trials; t++) {
        int64_t nq = 1 + (int64_t)(brg_test_rand_u64(&rng) % 40);
        int64_t nb = 1 + (int64_t)(brg_test_rand_u64(&rng) % 3000);
        int64_t dim = 1 + (int64_t)(brg_test_rand_u64(&rng) % 130);
        int64_t k = 1 + (int64_t)(brg_test_rand_u64(&rng) % (nb < 64 ? nb : 64));
        check_shape_case(nq, nb, dim, k, t % 3 == 2, 100 + (uint64_t)t);
    }
}
END_TEST

START_TEST(topk_inner_product_matches_oracle)
{
    check_shape_case(17, 1000, 40, 10, BRG_METRIC_INNER_PRODUCT, 11);
}
END_TEST

START_TEST(topk_handles_k_of_2048)
{
    check_shape_case(3, 2500, 24, 2048, BRG_METRIC_COSINE, 12);
}
END_TEST

START_TEST(topk_handles_k_equal_to_a_large_nb)
{
    check_shape_case(2, 3000, 8, 3000, BRG_METRIC_COSINE, 13);
}
END_TEST

/* Rows copied to several places: a query close to them must get them all,
 * lowest index first, with equal scores. */
START_TEST(topk_breaks_exact_ties_by_lower_index)
{
    problem p = make_problem(4, 500, 20, 6, 14);
    const int64_t copies[] = {9, 17, 130, 131, 499};
    for (size_t c = 1; c < 5; c++) memcpy(p.db + copies[c] * 20, p.db + copies[0] * 20, 20 * sizeof(float));
    for (int64_t q = 0; q < p.nq; q++) /* queries: the duplicated row, slightly scaled */
        for (int64_t d = 0; d < 20; d++) p.q[q * 20 + d] = p.db[copies[0] * 20 + d] * (1.0f + (float)q);
    /* 40 more copies than k of another row: the fallback path must hold too */
    for (int64_t r = 200; r < 240; r++) memcpy(p.db + r * 20, p.db + copies[0] * 20, 20 * sizeof(float));
    float *s;
    int64_t *i;
    run_topk(&p, 0, &s, &i);
    const int64_t want[] = {9, 17, 130, 131, 200, 201};
    for (int64_t q = 0; q < p.nq; q++)
        for (int64_t r = 0; r < p.k; r++) {
            ck_assert_msg(i[q * p.k + r] == want[r], "query %lld rank %lld: row %lld, want %lld",
                          (long long)q, (long long)r, (long long)i[q * p.k + r], (long long)want[r]);
            ck_assert_float_eq(s[q * p.k + r], s[q * p.k]);
        }
    check_against_oracle(&p, s, i);
    free(s);
    free(i);
    free_problem(&p);
}
END_TEST

/* Rows (A, t, -A) with A = 2^24 against q = (1, 1, 1): their inner products
 * are t exactly, but fp32 accumulation (A + t) - A rounds t to a multiple
 * of 2, so screening sees ties where the exact scores differ. The answer
 * must be the exact top k: rescoring and, beyond the candidate margin, the
 * exhaustive fallback. */
START_TEST(topk_is_exact_where_fp32_screening_cannot_rank)
{
    const int64_t nb = 3000, specials = 60;
    problem p = make_problem(2, nb, 3, 5, 20);
    p.metric = BRG_METRIC_INNER_PRODUCT;
    for (int64_t d = 0; d < 6; d++) p.q[d] = 1.0f;
    uint64_t rng = 5;
    for (int64_t c = 0; c < specials; c++) {
        int64_t row = 7 + c * 47; /* spread over the database */
        p.db[row * 3 + 0] = 16777216.0f;
        p.db[row * 3 + 1] = 10.0f + (float)brg_test_rand_unit(&rng);
        p.db[row * 3 + 2] = -16777216.0f;
    }
    float *s;
    int64_t *i;
    run_topk(&p, 0, &s, &i);
    check_against_oracle(&p, s, i);
    free(s);
    free(i);
    free_problem(&p);
}
END_TEST

/* The CPU rescores candidates in screening order and stops at one that
 * screens more than the error bound below the lowest exact score of the
 * first k. Row 20 = (2^25, 9.9, -2^25) screens 8 with fp32 accumulation
 * in index order (2^25 + 9.9 rounds to a multiple of 4) but is exactly
 * 9.9, above row 5 = (0, 9, 0), which screens first: only the margin sends
 * it to rescoring. The other rows screen far below both, so the proof holds
 * and no exhaustive fallback hides a wrong stop. */
START_TEST(topk_rescoring_stops_only_beyond_the_error_bound)
{
    problem p = make_problem(1, 40, 3, 1, 24);
    p.metric = BRG_METRIC_INNER_PRODUCT;
    for (int64_t d = 0; d < 3; d++) p.q[d] = 1.0f;
    for (int64_t r = 0; r < 40; r++) {
        float row[3] = {-1000.0f - (float)r, 0.0f, 0.0f};
        memcpy(p.db + r * 3, row, sizeof row);
    }
    const float y[3] = {0.0f, 9.0f, 0.0f}, x[3] = {33554432.0f, 9.9f, -33554432.0f};
    memcpy(p.db + 5 * 3, y, sizeof y);
    memcpy(p.db + 20 * 3, x, sizeof x);
    float *s;
    int64_t *i;
    run_topk(&p, 0, &s, &i);
    ck_assert_int_eq(i[0], 20);
    check_against_oracle(&p, s, i);
    free(s);
    free(i);
    free_problem(&p);
}
END_TEST

/* With allow_tf32, tensor cores may truncate each input to 10 mantissa bits
 * (2^-10 of itself), which the emulated device models. The query and row 12
 * are 64 x (1 + 2^-10 - 2^-23): both truncate to 1, so row 12 screens 64,
 * about 2^-9 of |q||b| below its exact 64 (1 + 2^-10 - 2^-23)^2 = 64.1249.
 * Row 0 holds 33 x (1 + 2^-10) and 31 ones, exact in tf32: it screens
 * 64.0322 and is exactly 64.0947. Rows 1-8 hold one 1 + 2^-10 and 63 ones:
 * they screen 64.00098, just above row 12, so that rows 0-8 are the 9
 * candidates of k = 1 and row 12 is left out below a threshold of 64.00098.
 * A margin of 2^-10 of |q||b| (round-to-nearest inputs: 0.0629) would prove
 * row 0 (64.00098 + 0.0629 < 64.0947), the wrong answer; the truncation
 * bound (2^-9: 0.1256) cannot, and the exhaustive pass returns row 12. */
START_TEST(topk_tf32_bound_holds_for_truncated_inputs)
{
    enum { NB = 16, DIM = 64 };
    const float near = 1.0f + 0x1p-10f - 0x1p-23f, up = 1.0f + 0x1p-10f;
    problem p = make_problem(1, NB, DIM, 1, 31);
    p.metric = BRG_METRIC_INNER_PRODUCT;
    memset(p.db, 0, sizeof(float) * NB * DIM);
    for (int d = 0; d < DIM; d++) {
        p.q[d] = near;
        p.db[12 * DIM + d] = near;
        p.db[d] = d < 33 ? up : 1.0f;
        for (int r = 1; r < 9; r++) p.db[r * DIM + d] = d == 0 ? up : 1.0f;
    }
    for (int tf32 = 0; tf32 <= 1; tf32++) {
        brg_topk_options o = options(BRG_METRIC_INNER_PRODUCT, 0);
        o.allow_tf32 = tf32;
        float s;
        int64_t i;
        BRG_ASSERT_OK(brg_cosine_topk_f32(brg_test_dev, p.q, 1, p.db, NB, DIM, 1, &o, &s, &i));
        ck_assert_msg(i == 12, "allow_tf32 = %d: row %lld, score %.9g", tf32, (long long)i, s);
        check_against_oracle(&p, &s, &i);
    }
    free_problem(&p);
}
END_TEST

/* ---- the CPU's bf16 screen (cpu_ref/topk_screen.h) ------------------------------ */

/* The CPU's vector paths (cpu_ref/isa.h), portable first; a test forcing a
 * level the CPU lacks gets the best it has. */
static const int isa_levels[] = {BRG_ISA_PORTABLE, BRG_ISA_AVX2, BRG_ISA_AVX512};

/* Every bf16 screen the CPU has (oneDNN where it is usable here, and the
 * emulation), and fp32. */
static const int screens[] = {BRG_SCREEN_FP32, BRG_SCREEN_BF16, BRG_SCREEN_BF16_EMULATED};

/* p's top-k with a test setting (set(value) before, set(-1) after). */
static void run_with(const problem *p, void (*set)(int), int value, float *s, int64_t *i)
{
    set(value);
    brg_topk_options o = options(p->metric, 0);
    brg_status st = brg_cosine_topk_f32(brg_test_dev, p->q, p->nq, p->db, p->nb, p->dim, p->k, &o,
                                        s, i);
    set(-1);
    BRG_ASSERT_OK(st);
}

/* p under each of n settings: the first matches the oracle, and every other
 * gives its results bit for bit. */
static void check_settings_agree(const problem *p, void (*set)(int), const int *values, int n,
                                 const char *what)
{
    size_t len = (size_t)(p->nq * p->k);
    float *s[4];
    int64_t *ix[4];
    ck_assert_int_le(n, 4);
    for (int v = 0; v < n; v++) {
        s[v] = malloc(len * sizeof(float));
        ix[v] = malloc(len * sizeof(int64_t));
        run_with(p, set, values[v], s[v], ix[v]);
    }
    check_against_oracle(p, s[0], ix[0]);
    for (int v = 1; v < n; v++)
        ck_assert_msg(memcmp(s[v], s[0], len * sizeof(float)) == 0 &&
                          memcmp(ix[v], ix[0], len * sizeof(int64_t)) == 0,
                      "%s %d differs from %s %d (nq %lld, nb %lld, dim %lld, k %lld, metric %d)", what,
                      values[v], what, values[0], (long long)p->nq, (long long)p->nb, (long long)p->dim,
                      (long long)p->k, p->metric);
    for (int v = 0; v < n; v++) {
        free(s[v]);
        free(ix[v]);
    }
}

/* Screening only proposes candidates: every screen gives the fp32 screen's
 * results bit for bit, and the oracle's, on the tutorial's all-positive
 * data (cosines crowded near 0.75, many rows within the bf16 bound) and on
 * centred data, for both metrics. */
START_TEST(topk_bf16_screens_give_the_fp32_results)
{
    if (strcmp(brg_test_spec, "cpu") != 0) return; /* the CPU backend's screens */
    static const int64_t shapes[][4] = {{7, 3000, 96, 3}, {33, 2000, 128, 10}, {5, 4500, 200, 1}};
    for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++)
        for (int centred = 0; centred <= 1; centred++)
            for (int metric = 0; metric <= 1; metric++) {
                problem p = make_problem(shapes[sh][0], shapes[sh][1], shapes[sh][2], shapes[sh][3],
                                         50 + sh * 4 + (uint64_t)centred * 2 + (uint64_t)metric);
                p.metric = metric;
                if (!centred) tutorial_data(&p, 90 + sh);
                check_settings_agree(&p, brg_test_topk_screen, screens, 3, "screen");
                free_problem(&p);
            }
}
END_TEST

/* Near-ties that a bf16 screen misorders. The query is 64 ones; row 70 is 64
 * x (1 + 2^-8 - 2^-20), which bf16 rounds to 1: it screens 64 and is
 * exactly 64.2499. Row 0 has 31 x (1 + 2^-7) and ones, exact in bf16: it
 * screens and is 64.242, below row 70. Rows 1-64 (one 1 + 2^-7, ones)
 * screen 64.0078, just above row 70, so that rows 0-64 fill the 65
 * candidates of k = 1 and row 70 is left out. An fp32-sized bound would
 * prove row 0 (64.0078 + 3e-4 < 64.242), the wrong answer; the bf16 bound
 * from the rows' rounding residuals (about 2^-8 of |q| |b|: 0.25) cannot,
 * and the exhaustive pass returns row 70. */
START_TEST(topk_bf16_bound_holds_for_near_ties)
{
    if (strcmp(brg_test_spec, "cpu") != 0) return;
    enum { NB = 80, DIM = 64 };
    const float up = 1.0f + 0x1p-7f, near = 1.0f + 0x1p-8f - 0x1p-20f;
    problem p = make_problem(1, NB, DIM, 1, 33);
    p.metric = BRG_METRIC_INNER_PRODUCT;
    memset(p.db, 0, sizeof(float) * NB * DIM);
    for (int d = 0; d < DIM; d++) {
        p.q[d] = 1.0f;
        p.db[70 * DIM + d] = near;
        p.db[d] = d < 31 ? up : 1.0f;
        for (int r = 1; r <= 64; r++) p.db[r * DIM + d] = d == 0 ? up : 1.0f;
    }
    for (int k = 0; k < 3; k++) {
        float s;
        int64_t i;
        run_with(&p, brg_test_topk_screen, screens[k], &s, &i);
        ck_assert_msg(i == 70, "screen %d: row %lld, score %.9g", screens[k], (long long)i, s);
        check_against_oracle(&p, &s, &i);
    }
    free_problem(&p);
}
END_TEST

/* The bound itself, against double dot products of the bf16 screen's rows
 * (the emulation: exact products, fp32 sums) on rows of mixed magnitudes,
 * signs and scales (2^-60 to 2^60, some tiny elements): never exceeded. */
/* The rows' bf16 conversion (cpu_ref/topk_screen.h) on every vector path:
 * the same bf16 values and exponents, bit for bit, and the same residual
 * ratio up to the order of its double sums. Rows of every magnitude, those
 * whose scale factor is not a normal float (largest 2^-140, 2^125), values
 * halfway between two bf16 values, tiny values that flush to 0, zero rows,
 * lengths with a partial vector. */
START_TEST(topk_bf16_rows_are_the_same_on_every_path)
{
    if (strcmp(brg_test_spec, "cpu") != 0) return;
    enum { ROWS = 40 };
    const int64_t dims[] = {1, 15, 16, 77, 256};
    uint64_t rng = 78;
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        const int64_t dim = dims[di];
        float *x = malloc(sizeof(float) * ROWS * dim);
        uint16_t *h[3];
        int16_t e[3][ROWS];
        double rho[3][ROWS];
        for (int r = 0; r < ROWS; r++) {
            int pow2 = r == 0 ? -140 : r == 1 ? 125 : (int)(brg_test_rand_u64(&rng) % 201) - 100;
            for (int64_t d = 0; d < dim; d++) {
                float v = ldexpf((float)(2 * brg_test_rand_unit(&rng) - 1), pow2);
                if (brg_test_rand_u64(&rng) % 13 == 0) v *= 0x1p-40f; /* flushes after scaling */
                x[r * dim + d] = r == 2 ? 0.0f : v;
                if (r == 3 || r == 4) { /* halfway between two bf16 values: ties to even, both ways */
                    float tie = d % 2 ? -(1.0f + 0x3p-8f) : 1.0f + 0x1p-8f;
                    x[r * dim + d] = ldexpf(tie, r == 3 ? 0 : -100 + (int)(d % 150));
                }
            }
        }
        for (size_t l = 0; l < 3; l++) {
            h[l] = malloc(sizeof(uint16_t) * ROWS * dim);
            brg_test_cpu_isa(isa_levels[l]);
            brg_bf16_rows(x, ROWS, dim, h[l], e[l], rho[l]);
            brg_test_cpu_isa(-1);
        }
        for (size_t l = 1; l < 3; l++) {
            ck_assert_msg(memcmp(h[l], h[0], sizeof(uint16_t) * ROWS * dim) == 0 &&
                              memcmp(e[l], e[0], sizeof e[0]) == 0,
                          "dim %lld: isa level %d rounds otherwise", (long long)dim, isa_levels[l]);
            for (int r = 0; r < ROWS; r++)
                ck_assert_msg(fabs(rho[l][r] - rho[0][r]) <= 1e-12 * rho[0][r],
                              "dim %lld row %d: rho %.17g, portable %.17g", (long long)dim, r, rho[l][r],
                              rho[0][r]);
        }
        ck_assert(rho[0][2] == 0.0 && e[0][2] == -1);
        for (size_t l = 0; l < 3; l++) free(h[l]);
        free(x);
    }
}
END_TEST

START_TEST(topk_bf16_screen_error_is_within_its_bound)
{
    if (strcmp(brg_test_spec, "cpu") != 0) return;
    enum { NQ = 9, NB = 300, DIM = 77 };
    float *q = malloc(sizeof(float) * NQ * DIM), *b = malloc(sizeof(float) * NB * DIM);
    uint16_t *qh = malloc(sizeof(uint16_t) * NQ * DIM), *bh = malloc(sizeof(uint16_t) * NB * DIM);
    int16_t qe[NQ], be[NB];
    double qr[NQ], br[NB], bn[NB];
    float *sc = malloc(sizeof(float) * NQ * NB), *work = malloc(sizeof(float) * (NQ + NB) * DIM);
    uint64_t rng = 77;
    float *both[2] = {q, b};
    int rows[2] = {NQ, NB};
    for (int m = 0; m < 2; m++)
        for (int r = 0; r < rows[m]; r++) {
            float scale = ldexpf(1.0f, (int)(brg_test_rand_u64(&rng) % 121) - 60);
            for (int d = 0; d < DIM; d++) {
                float v = (float)(2 * brg_test_rand_unit(&rng) - 1) * scale;
                if (brg_test_rand_u64(&rng) % 17 == 0) v *= 0x1p-30f; /* tiny ones */
                both[m][r * DIM + d] = v;
            }
        }
    brg_bf16_rows(q, NQ, DIM, qh, qe, qr);
    brg_bf16_rows(b, NB, DIM, bh, be, br);
    ck_assert_int_eq(brg_bf16_gemm_nt(BRG_SCREEN_BF16_EMULATED, qh, bh, sc, NQ, NB, DIM, work), 0);
    double rho_b = 0, max_b = 0;
    for (int r = 0; r < NB; r++) {
        rho_b = br[r] > rho_b ? br[r] : rho_b;
        bn[r] = 0;
        for (int d = 0; d < DIM; d++) bn[r] += (double)b[r * DIM + d] * b[r * DIM + d];
        bn[r] = sqrt(bn[r]);
        max_b = bn[r] > max_b ? bn[r] : max_b;
    }
    for (int i = 0; i < NQ; i++) {
        double qn = 0;
        for (int d = 0; d < DIM; d++) qn += (double)q[i * DIM + d] * q[i * DIM + d];
        qn = sqrt(qn);
        for (int r = 0; r < NB; r++) {
            long double exact = 0;
            for (int d = 0; d < DIM; d++) exact += (long double)q[i * DIM + d] * b[r * DIM + d];
            /* the screen as the CPU top-k forms it, cosine: scaled back and normalised */
            double screen = ldexp((double)sc[i * NB + r], qe[i] + be[r]) / (qn * bn[r]);
            double cosine = (double)(exact / ((long double)qn * bn[r]));
            double bound = brg_topk_screen_bf16_error(DIM, BRG_METRIC_COSINE, qr[i], rho_b, qn, max_b);
            ck_assert_msg(fabs(screen - cosine) <= bound, "query %d row %d: screen %.9g, exact %.9g, bound %.3g",
                          i, r, screen, cosine, bound);
            ck_assert_msg(qr[i] <= 0x1p-8 && br[r] <= 0x1p-8, "residuals above 2^-8");
        }
    }
    free(q);
    free(b);
    free(qh);
    free(bh);
    free(sc);
    free(work);
}
END_TEST

/* Products beyond the float range overflow the fp32 screening to +-Inf or
 * NaN; such rows must still be ranked by their exact scores (found by
 * fuzzing: a row screening -Inf was dropped). */
static void check_overflowing_rows_rank(void)
{
    problem p = make_problem(2, 40, 4, 40, 21);
    p.metric = BRG_METRIC_INNER_PRODUCT;
    for (int64_t d = 0; d < 8; d++) p.q[d] = d % 2 ? -7.5f : 7.5f;
    const float big = 3e38f;
    float rows[4][4] = {{big, 0, 0, 0}, {0, big, 0, 0}, {big, big, 0, 0}, {big, -big, 1, 0}};
    for (int r = 0; r < 4; r++) memcpy(p.db + (5 + 9 * r) * 4, rows[r], sizeof rows[r]);
    float *s;
    int64_t *i;
    run_topk(&p, 0, &s, &i);
    /* scores: +Inf for the row exactly 2.25e39, -Inf at the bottom for -2.25e39 */
    ck_assert_int_eq(i[0], 5 + 9 * 3); /* 7.5 (3e38 + 3e38) + ... = 4.5e39 */
    ck_assert(isinf(s[0]) && s[0] > 0);
    ck_assert_int_eq(i[1], 5);
    ck_assert(isinf(s[39]) && s[39] < 0);
    ck_assert_int_eq(i[39], 14);
    for (int64_t r = 1; r < 40; r++) ck_assert(s[r] <= s[r - 1]);
    free(s);
    free(i);
    free_problem(&p);
}

/* The CPU seeds an empty heap's threshold from the block maxima (64
 * rows each) of its first score row. Here the best row is copied into
 * every block, so all block maxima tie exactly (every copy must still enter
 * and the lowest indices win), and in a second query rows whose fp32 scores
 * overflow (to +Inf, or to -Inf or NaN, which only the scan's test for
 * non-finite scores lets in) sit in more blocks than the candidates kept,
 * so the seed itself is the largest float. Both must match the oracle. */
static void check_seeded_thresholds(void)
{
    const int64_t nb = 8192, dim = 12;
    problem p = make_problem(2, nb, dim, 5, 22);
    for (int64_t b = 0; b < nb / 64; b++) /* the best row for query 0, in every block */
        for (int64_t d = 0; d < dim; d++) p.db[(64 * b + 17) * dim + d] = p.q[d];
    float *s;
    int64_t *i;
    run_topk(&p, 0, &s, &i);
    for (int64_t r = 0; r < p.k; r++) ck_assert_int_eq(i[r], 64 * r + 17);
    check_against_oracle(&p, s, i);
    free(s);
    free(i);
    free_problem(&p);

    p = make_problem(1, nb, 4, 3, 23);
    p.metric = BRG_METRIC_INNER_PRODUCT;
    for (int64_t d = 0; d < 4; d++) p.q[d] = 4.0f;
    for (int64_t c = 0; c < 30; c++) { /* fp32: +-Inf or NaN; exact: 4 (100 + c) */
        float *row = p.db + (64 * (2 * c + 1) + 40) * 4;
        row[0] = c % 2 ? -3e38f : 3e38f; /* -Inf first: not above any threshold */
        row[1] = -row[0];
        row[2] = 100.0f + (float)c;
        row[3] = 0.0f;
    }
    run_topk(&p, 0, &s, &i);
    for (int64_t r = 0; r < p.k; r++) ck_assert_int_eq(i[r], 64 * (2 * (29 - r) + 1) + 40);
    check_against_oracle(&p, s, i);
    free(s);
    free(i);
    free_problem(&p);
}

/* The CPU scans screening scores with AVX-512, AVX2 or portable loops: each
 * path the CPU has must rank overflowing rows, seed thresholds and break
 * ties alike. */

static void on_every_scan_path(void (*check)(void))
{
    for (size_t l = 0; l < sizeof isa_levels / sizeof isa_levels[0]; l++) {
        brg_test_cpu_isa(isa_levels[l]);
        check();
    }
    brg_test_cpu_isa(-1);
}

START_TEST(topk_ranks_rows_whose_fp32_products_overflow)
{
    on_every_scan_path(check_overflowing_rows_rank);
}
END_TEST

START_TEST(topk_seeded_thresholds_keep_tied_and_overflowing_rows)
{
    on_every_scan_path(check_seeded_thresholds);
}
END_TEST

/* And on ordinary data every path gives the same results, bit for bit:
 * the tutorial's [0, 1) rows and centred ones, row counts that leave a
 * partial block, both metrics. */
START_TEST(topk_every_scan_path_gives_the_same_results)
{
    if (strcmp(brg_test_spec, "cpu") != 0) return; /* the CPU backend's scan */
    static const int64_t shapes[][4] = {{40, 3001, 64, 3}, {9, 777, 33, 20}, {3, 70, 8, 1}};
    for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++)
        for (int centred = 0; centred <= 1; centred++) {
            problem p = make_problem(shapes[sh][0], shapes[sh][1], shapes[sh][2], shapes[sh][3], 70 + sh);
            p.metric = (int)sh % 2 ? BRG_METRIC_INNER_PRODUCT : BRG_METRIC_COSINE;
            if (!centred) tutorial_data(&p, 80 + sh);
            check_settings_agree(&p, brg_test_cpu_isa, isa_levels, 3, "isa level");
            free_problem(&p);
        }
}
END_TEST

START_TEST(topk_zero_vectors_have_similarity_zero)
{
    problem p = make_problem(3, 100, 12, 5, 15);
    memset(p.q, 0, 12 * sizeof(float));                  /* query 0 is zero */
    for (int64_t r = 0; r < 100; r += 3) memset(p.db + r * 12, 0, 12 * sizeof(float));
    for (int64_t d = 0; d < 12; d++) p.q[2 * 12 + d] = -p.q[1 * 12 + d]; /* q2 = -q1 */
    float *s;
    int64_t *i;
    run_topk(&p, 0, &s, &i);
    for (int64_t r = 0; r < 5; r++) {
        ck_assert_float_eq(s[r], 0.0f);
        ck_assert_int_eq(i[r], r);
    }
    check_against_oracle(&p, s, i);
    free(s);
    free(i);
    free_problem(&p);
}
END_TEST

/* Tiny budgets force many tiles; the answer must not change at all. */
START_TEST(topk_results_do_not_depend_on_the_budget)
{
    problem p = make_problem(37, 2100, 19, 8, 16);
    float *s0, *s1;
    int64_t *i0, *i1;
    run_topk(&p, 0, &s0, &i0);
    check_against_oracle(&p, s0, i0);
    size_t minimum = minimum_budget(&p);
    /* The exact minimum means 1 x 1 tiles: 77,700 launches on a device, which
     * the emulator (and TSan on it) cannot afford; a few hundred rows per
     * tile still make many tiles there. */
    size_t budgets[] = {minimum, minimum + 3000, minimum * 3, (size_t)1 << 20};
    size_t first = brg_test_is_emu() ? 1 : 0;
    for (size_t b = first; b < sizeof budgets / sizeof budgets[0]; b++) {
        run_topk(&p, budgets[b], &s1, &i1);
        ck_assert_mem_eq(s1, s0, (size_t)(p.nq * p.k) * sizeof(float));
        ck_assert_mem_eq(i1, i0, (size_t)(p.nq * p.k) * sizeof(int64_t));
        free(s1);
        free(i1);
    }
    free(s0);
    free(i0);
    free_problem(&p);
}
END_TEST

/* ---- the device's selection: warp queues up to 1024 candidates, shared-memory
 * sorts beyond; the GEMM of the next tile overlapping the selection --------- */

/* A budget that leaves about `rows` database rows per tile on a GPU (whose
 * tiles cost two fp32 score buffers per pair); on the CPU, some smaller
 * tiling. Only the answer is asserted, never the tiles. */
static size_t budget_for_rows(const problem *p, int64_t rows)
{
    return minimum_budget(p) + (size_t)rows * 2 * sizeof(float);
}

/* The CPU's answer, bit for bit: both rescore their candidates exactly. */
static void check_against_cpu(const problem *p, size_t budget, const float *scores,
                              const int64_t *indices)
{
    brg_device *cpu;
    BRG_ASSERT_OK(brg_device_open("cpu", &cpu));
    float *s = malloc((size_t)(p->nq * p->k) * sizeof(float));
    int64_t *i = malloc((size_t)(p->nq * p->k) * sizeof(int64_t));
    ck_assert(s && i);
    brg_topk_options o = options(p->metric, 0);
    BRG_ASSERT_OK(brg_cosine_topk_f32(cpu, p->q, p->nq, p->db, p->nb, p->dim, p->k, &o, s, i));
    for (int64_t at = 0; at < p->nq * p->k; at++)
        ck_assert_msg(memcmp(&s[at], &scores[at], sizeof(float)) == 0 && i[at] == indices[at],
                      "%s, budget %zu, k %lld: query %lld rank %lld: row %lld score %.9g; cpu: row %lld "
                      "score %.9g",
                      brg_test_spec, budget, (long long)p->k, (long long)(at / p->k),
                      (long long)(at % p->k), (long long)indices[at], (double)scores[at],
                      (long long)i[at], (double)s[at]);
    free(s);
    free(i);
    brg_device_close(cpu);
}

typedef void (*answer_check)(const problem *p, const float *scores, const int64_t *indices);

/* The oracle's answer and the CPU's, and what `also` asserts (when not
 * NULL), with one tile and with tiles of about tile_rows database rows. */
static void check_one_and_many_tiles(const problem *p, int64_t tile_rows, answer_check also)
{
    size_t budgets[2] = {0, budget_for_rows(p, tile_rows)};
    for (int b = 0; b < 2; b++) {
        float *s;
        int64_t *i;
        run_topk(p, budgets[b], &s, &i);
        if (also) also(p, s, i);
        check_against_oracle(p, s, i);
        check_against_cpu(p, budgets[b], s, i);
        free(s);
        free(i);
    }
}

/* kp = k + max(k / 8, 8) candidates: warp queues hold kp <= 1024 (k <= 911)
 * in powers of two (kp 32 | 33 at k 24 | 25, 64 | 65 at 56 | 57, 256 | 257
 * at 228 | 229); k 912 and 1000 take the shared-memory sort. */
START_TEST(topk_matches_oracle_and_cpu_at_every_warp_queue_size)
{
    const int64_t ks[] = {1,  2,  24, 25,  31,  32,  33,  56,  57,  63,
                          64, 65, 100, 228, 229, 256, 911, 912, 1000};
    problem p = make_problem(2, 1400, 6, 1, 22);
    for (size_t c = 0; c < sizeof ks / sizeof ks[0]; c++) {
        p.k = ks[c];
        p.metric = (int)(c % 2);
        check_one_and_many_tiles(&p, 500, NULL);
    }
    free_problem(&p);
}
END_TEST

/* Exact ties spread over every warp's slice and every tile: 12 copies of
 * the query's direction (rows 7 + 110 c), then 15 copies of another row (30 +
 * 97 c), among rows that score at most 0. k = 20 ends inside the second
 * group: its 8 lowest rows. (kp = 28: blocks of 2 to 5 warps.) */
static void check_tied_rows_by_lower_index(const problem *p, const float *s, const int64_t *i)
{
    for (int64_t q = 0; q < p->nq; q++)
        for (int64_t r = 0; r < p->k; r++) {
            int64_t want = r < 12 ? 7 + 110 * r : 30 + 97 * (r - 12);
            ck_assert_msg(i[q * p->k + r] == want, "%s: query %lld rank %lld: row %lld, want %lld",
                          brg_test_spec, (long long)q, (long long)r, (long long)i[q * p->k + r],
                          (long long)want);
            ck_assert_float_eq(s[q * p->k + r], s[q * p->k + (r < 12 ? 0 : 12)]);
        }
}

START_TEST(topk_breaks_ties_across_warps_and_tiles_by_lower_index)
{
    problem p = make_problem(3, 1500, 4, 20, 23);
    for (int64_t r = 0; r < p.nb; r++) p.db[r * 4] = -fabsf(p.db[r * 4]); /* scores <= 0 */
    const float top[4] = {1, 0, 0, 0}, second[4] = {0.5f, 0.25f, -0.5f, 0.75f};
    for (int64_t c = 0; c < 12; c++) memcpy(p.db + (7 + 110 * c) * 4, top, sizeof top);
    for (int64_t c = 0; c < 15; c++) memcpy(p.db + (30 + 97 * c) * 4, second, sizeof second);
    for (int64_t q = 0; q < p.nq; q++)
        for (int64_t d = 0; d < 4; d++) p.q[q * 4 + d] = top[d] * (float)(q + 1);
    check_one_and_many_tiles(&p, 800, check_tied_rows_by_lower_index);
    free_problem(&p);
}
END_TEST

/* Every one of the best rows in one narrow band of the tile: one warp's
 * slice holds them all (kp = 32: 8 warps of 32 or 4 of 64 lanes), the other
 * warps' queues lose everything. */
START_TEST(topk_finds_best_rows_that_sit_in_one_warps_slice)
{
    problem p = make_problem(2, 2048, 8, 24, 24);
    for (int64_t r = 1700; r < 1780; r++)
        for (int64_t d = 0; d < 8; d++)
            p.db[r * 8 + d] = p.q[(r % 2) * 8 + d] * (1.0f + 0.001f * (float)(r % 13));
    check_one_and_many_tiles(&p, 600, NULL);
    free_problem(&p);
}
END_TEST

/* Inner products growing with the row: every score of every later tile
 * beats the threshold the earlier tiles left; the last rows win. */
static void check_last_rows_first(const problem *p, const float *s, const int64_t *i)
{
    (void)s;
    for (int64_t q = 0; q < p->nq; q++)
        for (int64_t r = 0; r < p->k; r++) ck_assert_int_eq(i[q * p->k + r], p->nb - 1 - r);
}

START_TEST(topk_takes_tiles_where_every_score_beats_the_threshold)
{
    problem p = make_problem(2, 1800, 8, 50, 25);
    p.metric = BRG_METRIC_INNER_PRODUCT;
    for (int64_t d = 0; d < 16; d++) p.q[d] = fabsf(p.q[d]);
    for (int64_t r = 0; r < p.nb; r++)
        for (int64_t d = 0; d < 8; d++) p.db[r * 8 + d] = p.q[d] * (float)(r + 1);
    check_one_and_many_tiles(&p, 300, check_last_rows_first);
    free_problem(&p);
}
END_TEST

START_TEST(topk_rejects_nan_and_inf_naming_the_row)
{
    problem p = make_problem(4, 50, 8, 3, 17);
    float s[12];
    int64_t i[12];
    p.q[2 * 8 + 5] = NAN;
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, p.q, 4, p.db, 50, 8, 3, NULL, s, i),
                      BRG_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "queries row 2"));
    p.q[2 * 8 + 5] = 0.5f;
    p.db[33 * 8] = -INFINITY;
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, p.q, 4, p.db, 50, 8, 3, NULL, s, i),
                      BRG_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "db row 33"));
    free_problem(&p);
}
END_TEST

/* A GPU's kernels index with int: dim or k past INT32_MAX is refused before
 * anything is copied. The 8 GiB inputs are a reserved, never-touched
 * mapping (the shared zero page if anything did read them), so the test
 * needs no memory. The CPU has no such limit and is not asked. */
START_TEST(gpu_topk_refuses_dim_and_k_past_int32_before_copying)
{
    if (brg_device_get_kind(brg_test_dev) == BRG_DEVICE_CPU) return;
    const int64_t big = (int64_t)INT32_MAX + 1;
    size_t bytes = (size_t)big * sizeof(float);
    float *zeros = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ck_assert(zeros != MAP_FAILED);
    float s[1];
    int64_t i[1];
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, zeros, 1, zeros, 1, big, 1, NULL, s, i),
                      BRG_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "must fit int32"));
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, zeros, 1, zeros, big, 1, big, NULL, s, i),
                      BRG_ERR_UNSUPPORTED);
    brg_index *ix = NULL;
    BRG_ASSERT_STATUS(brg_index_create(brg_test_dev, zeros, 1, big, BRG_METRIC_COSINE, &ix),
                      BRG_ERR_UNSUPPORTED);
    ck_assert_ptr_null(ix);
    ck_assert_int_eq(munmap(zeros, bytes), 0);
}
END_TEST

START_TEST(topk_rejects_bad_arguments)
{
    problem p = make_problem(4, 50, 8, 3, 18);
    float s[200];
    int64_t i[200];
    brg_topk_options bad_metric = options(7, 0), bad_tf32 = options(0, 0);
    bad_tf32.allow_tf32 = 2;
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(NULL, p.q, 4, p.db, 50, 8, 3, NULL, s, i), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, p.q, 4, p.db, 50, 8, 0, NULL, s, i), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, p.q, 4, p.db, 50, 8, 51, NULL, s, i), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, p.q, 4, p.db, 0, 8, 1, NULL, s, i), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, p.q, 4, p.db, 50, 0, 3, NULL, s, i), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, p.q, -1, p.db, 50, 8, 3, NULL, s, i), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, NULL, 4, p.db, 50, 8, 3, NULL, s, i), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, p.q, 4, NULL, 50, 8, 3, NULL, s, i), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, p.q, 4, p.db, 50, 8, 3, NULL, NULL, i), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, p.q, 4, p.db, 50, 8, 3, NULL, s, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, p.q, 4, p.db, 50, 8, 3, &bad_metric, s, i), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, p.q, 4, p.db, 50, 8, 3, &bad_tf32, s, i), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, p.q, INT64_MAX / 4, p.db, 50, 8, 3, NULL, s, i),
                      BRG_ERR_OVERFLOW);
    BRG_ASSERT_STATUS(brg_cosine_topk_f32(brg_test_dev, p.q, 4, p.db, INT64_MAX / 2, 8, 3, NULL, s, i),
                      BRG_ERR_OVERFLOW);
    BRG_ASSERT_OK(brg_cosine_topk_f32(brg_test_dev, NULL, 0, p.db, 50, 8, 3, NULL, NULL, NULL));
    free_problem(&p);
}
END_TEST

/* The tensor op and a prepared index give the helper's answer. */
/* An index keeps its rows in bf16 where a bf16 screen may run (here: forced
 * to the emulation): its searches convert only their queries, and give the
 * helper's results, which converts the database on every call. */
START_TEST(topk_index_keeps_its_bf16_rows)
{
    if (strcmp(brg_test_spec, "cpu") != 0) return; /* the CPU backend's screen */
    problem p = make_problem(20, 3000, 64, 5, 31);
    brg_test_fill_f32(p.db, p.nb * p.dim, 0.0f, 1.0f, 32); /* crowded cosines: many near-ties */
    size_t n = (size_t)(p.nq * p.k);
    float *s0 = malloc(n * sizeof(float)), *s1 = malloc(n * sizeof(float));
    int64_t *i0 = malloc(n * sizeof(int64_t)), *i1 = malloc(n * sizeof(int64_t));
    brg_test_topk_screen(BRG_SCREEN_BF16_EMULATED);
    int64_t before = brg_test_bf16_rows_converted();
    brg_index *ix;
    BRG_ASSERT_OK(brg_index_create(brg_test_dev, p.db, p.nb, p.dim, BRG_METRIC_COSINE, &ix));
    ck_assert_int_eq(brg_test_bf16_rows_converted() - before, p.nb);
    for (int rep = 0; rep < 2; rep++) BRG_ASSERT_OK(brg_index_search(ix, p.q, p.nq, p.k, NULL, s1, i1));
    ck_assert_int_eq(brg_test_bf16_rows_converted() - before, p.nb + 2 * p.nq);
    BRG_ASSERT_OK(brg_cosine_topk_f32(brg_test_dev, p.q, p.nq, p.db, p.nb, p.dim, p.k, NULL, s0, i0));
    ck_assert_int_eq(brg_test_bf16_rows_converted() - before, 2 * p.nb + 3 * p.nq);
    brg_test_topk_screen(-1);
    ck_assert(memcmp(s0, s1, n * sizeof(float)) == 0 && memcmp(i0, i1, n * sizeof(int64_t)) == 0);
    check_against_oracle(&p, s1, i1);
    brg_index_free(ix);
    /* where no bf16 screen can run, the index keeps nothing */
    brg_test_topk_screen(BRG_SCREEN_FP32);
    before = brg_test_bf16_rows_converted();
    BRG_ASSERT_OK(brg_index_create(brg_test_dev, p.db, p.nb, p.dim, BRG_METRIC_COSINE, &ix));
    BRG_ASSERT_OK(brg_index_search(ix, p.q, p.nq, p.k, NULL, s1, i1));
    brg_test_topk_screen(-1);
    ck_assert_int_eq(brg_test_bf16_rows_converted(), before);
    ck_assert(memcmp(s0, s1, n * sizeof(float)) == 0 && memcmp(i0, i1, n * sizeof(int64_t)) == 0);
    brg_index_free(ix);
    free(s0);
    free(s1);
    free(i0);
    free(i1);
    free_problem(&p);
}
END_TEST

START_TEST(topk_tensor_op_and_index_match_the_helper)
{
    problem p = make_problem(21, 700, 30, 6, 19);
    float *s0;
    int64_t *i0;
    run_topk(&p, 0, &s0, &i0);
    int64_t qs[2] = {21, 30}, ds[2] = {700, 30}, rs[2] = {21, 6};
    brg_tensor *tq, *td, *ts, *ti;
    BRG_ASSERT_OK(brg_tensor_from_host(brg_test_dev, BRG_F32, 2, qs, p.q, 21 * 30 * 4, &tq));
    BRG_ASSERT_OK(brg_tensor_from_host(brg_test_dev, BRG_F32, 2, ds, p.db, 700 * 30 * 4, &td));
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F32, 2, rs, &ts));
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_I64, 2, rs, &ti));
    BRG_ASSERT_OK(brg_topk(tq, td, 6, NULL, ts, ti));
    float s1[126];
    int64_t i1[126];
    BRG_ASSERT_OK(brg_tensor_to_host(ts, s1, sizeof s1));
    BRG_ASSERT_OK(brg_tensor_to_host(ti, i1, sizeof i1));
    ck_assert_mem_eq(s1, s0, sizeof s1);
    ck_assert_mem_eq(i1, i0, sizeof i1);
    BRG_ASSERT_STATUS(brg_topk(tq, td, 6, NULL, ti, ts), BRG_ERR_DTYPE);
    BRG_ASSERT_STATUS(brg_topk(tq, td, 5, NULL, ts, ti), BRG_ERR_SHAPE);
    BRG_ASSERT_STATUS(brg_topk(td, tq, 6, NULL, ts, ti), BRG_ERR_SHAPE);
    BRG_ASSERT_STATUS(brg_topk(tq, td, 6, NULL, ts, NULL), BRG_ERR_INVALID_ARG);

    brg_index *ix;
    BRG_ASSERT_OK(brg_index_create(brg_test_dev, p.db, 700, 30, BRG_METRIC_COSINE, &ix));
    ck_assert_int_eq(brg_index_rows(ix), 700);
    ck_assert_int_eq(brg_index_dim(ix), 30);
    for (int round = 0; round < 2; round++) {
        memset(s1, 0, sizeof s1);
        BRG_ASSERT_OK(brg_index_search(ix, p.q, 21, 6, NULL, s1, i1));
        ck_assert_mem_eq(s1, s0, sizeof s1);
        ck_assert_mem_eq(i1, i0, sizeof i1);
    }
    BRG_ASSERT_STATUS(brg_index_search(ix, p.q, 21, 701, NULL, s1, i1), BRG_ERR_INVALID_ARG);
    brg_index_free(ix);
    brg_index_free(NULL);
    p.db[5] = NAN;
    ix = (brg_index *)&ix;
    BRG_ASSERT_STATUS(brg_index_create(brg_test_dev, p.db, 700, 30, BRG_METRIC_COSINE, &ix),
                      BRG_ERR_INVALID_ARG);
    ck_assert_ptr_null(ix);
    brg_tensor_free(tq);
    brg_tensor_free(td);
    brg_tensor_free(ts);
    brg_tensor_free(ti);
    free(s0);
    free(i0);
    free_problem(&p);
}
END_TEST

static Suite *topk_suite(void)
{
    Suite *s = suite_create("topk");
    TCase *tc = tcase_create("topk");
    brg_test_use_device(tc);
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, topk_matches_oracle_on_edge_shapes);
    tcase_add_test(tc, topk_matches_oracle_on_random_shapes);
    tcase_add_test(tc, topk_inner_product_matches_oracle);
    tcase_add_test(tc, topk_handles_k_of_2048);
    tcase_add_test(tc, topk_handles_k_equal_to_a_large_nb);
    tcase_add_test(tc, topk_breaks_exact_ties_by_lower_index);
    tcase_add_test(tc, topk_is_exact_where_fp32_screening_cannot_rank);
    tcase_add_test(tc, topk_ranks_rows_whose_fp32_products_overflow);
    tcase_add_test(tc, topk_seeded_thresholds_keep_tied_and_overflowing_rows);
    tcase_add_test(tc, topk_every_scan_path_gives_the_same_results);
    tcase_add_test(tc, topk_rescoring_stops_only_beyond_the_error_bound);
    tcase_add_test(tc, topk_tf32_bound_holds_for_truncated_inputs);
    tcase_add_test(tc, topk_bf16_screens_give_the_fp32_results);
    tcase_add_test(tc, topk_bf16_bound_holds_for_near_ties);
    tcase_add_test(tc, topk_bf16_screen_error_is_within_its_bound);
    tcase_add_test(tc, topk_bf16_rows_are_the_same_on_every_path);
    tcase_add_test(tc, topk_zero_vectors_have_similarity_zero);
    tcase_add_test(tc, topk_results_do_not_depend_on_the_budget);
    tcase_add_test(tc, topk_matches_oracle_and_cpu_at_every_warp_queue_size);
    tcase_add_test(tc, topk_breaks_ties_across_warps_and_tiles_by_lower_index);
    tcase_add_test(tc, topk_finds_best_rows_that_sit_in_one_warps_slice);
    tcase_add_test(tc, topk_takes_tiles_where_every_score_beats_the_threshold);
    tcase_add_test(tc, topk_rejects_nan_and_inf_naming_the_row);
    tcase_add_test(tc, topk_rejects_bad_arguments);
    tcase_add_test(tc, gpu_topk_refuses_dim_and_k_past_int32_before_copying);
    tcase_add_test(tc, topk_tensor_op_and_index_match_the_helper);
    tcase_add_test(tc, topk_index_keeps_its_bf16_rows);
    suite_add_tcase(s, tc);
    return s;
}

/* A device without top-k reports "unsupported" as a skip (as ggml's
 * test-backend-ops does), never as a pass. */
static int topk_supported(const char *spec)
{
    if (strncmp(spec, "cuda", 4) == 0 || strncmp(spec, "hip", 3) == 0) return 1; /* no probe before fork */
    brg_device *dev;
    if (brg_device_open(spec, &dev) != BRG_OK) return 1; /* the harness reports it */
    float q[2] = {1, 0}, s;
    int64_t i;
    brg_status st = brg_cosine_topk_f32(dev, q, 1, q, 1, 2, 1, NULL, &s, &i);
    brg_device_close(dev);
    if (st != BRG_ERR_UNSUPPORTED) return 1;
    printf("SKIP: top-k unsupported on %s: %s\n", spec, brg_last_error());
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !topk_supported(argv[1])) return BRG_TEST_SKIP;
    return brg_test_main(argc, argv, topk_suite);
}

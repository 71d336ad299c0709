/* The tiling planner of top-k (src/shared/topk_plan.h): a pure function, tested
 * alone. Rules: never over budget, tiles within the shape, the minimum named
 * when the budget is short, overflow reported, the 37 GiB shape planned. */
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "topk_plan.h"
#include "harness.h"

static brg_topk_costs costs(size_t fixed, size_t pq, size_t pb, size_t ps)
{
    brg_topk_costs c;
    memset(&c, 0, sizeof c);
    c.fixed = fixed;
    c.per_query = pq;
    c.per_db_row = pb;
    c.per_score = ps;
    return c;
}

START_TEST(planner_never_exceeds_the_budget_and_stays_in_the_shape)
{
    uint64_t rng = 7;
    for (int t = 0; t < 20000; t++) {
        int64_t nq = 1 + (int64_t)(brg_test_rand_u64(&rng) % 200000);
        int64_t nb = 1 + (int64_t)(brg_test_rand_u64(&rng) % 2000000);
        brg_topk_costs c = costs(brg_test_rand_u64(&rng) % 100000, brg_test_rand_u64(&rng) % 5000,
                                 brg_test_rand_u64(&rng) % 64, 1 + brg_test_rand_u64(&rng) % 16);
        c.tq_max = (int64_t)(brg_test_rand_u64(&rng) % 3) * 512;
        c.tb_max = (int64_t)(brg_test_rand_u64(&rng) % 3) * 1024;
        c.tb_min = (int64_t)(brg_test_rand_u64(&rng) % 300);
        size_t budget = brg_test_rand_u64(&rng) % ((size_t)1 << (10 + brg_test_rand_u64(&rng) % 25));
        brg_topk_plan p;
        brg_status st = brg_topk_plan_make(nq, nb, &c, budget, &p);
        if (budget < brg_topk_plan_bytes(&c, 1, 1)) {
            ck_assert_int_eq(st, BRG_ERR_INVALID_ARG);
            continue;
        }
        ck_assert_int_eq(st, BRG_OK);
        ck_assert(p.tq >= 1 && p.tq <= nq && p.tb >= 1 && p.tb <= nb);
        ck_assert(c.tq_max == 0 || p.tq <= c.tq_max);
        ck_assert(c.tb_max == 0 || p.tb <= c.tb_max);
        ck_assert_uint_le(p.bytes, budget);
        ck_assert_uint_eq(p.bytes, brg_topk_plan_bytes(&c, p.tq, p.tb));
    }
}
END_TEST

START_TEST(planner_below_the_minimum_names_it)
{
    brg_topk_costs c = costs(1000, 100, 8, 4);
    brg_topk_plan p;
    BRG_ASSERT_STATUS(brg_topk_plan_make(10, 10, &c, 1111, &p), BRG_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "minimum of 1112 bytes"));
    BRG_ASSERT_OK(brg_topk_plan_make(10, 10, &c, 1112, &p));
    ck_assert_int_eq(p.tq, 1);
    ck_assert_int_eq(p.tb, 1);
}
END_TEST

START_TEST(planner_takes_whole_shapes_when_the_budget_allows)
{
    brg_topk_costs c = costs(0, 16, 4, 4);
    brg_topk_plan p;
    BRG_ASSERT_OK(brg_topk_plan_make(100, 1000, &c, (size_t)1 << 30, &p));
    ck_assert_int_eq(p.tq, 100);
    ck_assert_int_eq(p.tb, 1000);
}
END_TEST

START_TEST(planner_grows_tiles_with_the_budget)
{
    brg_topk_costs c = costs(4096, 64, 8, 4);
    int64_t last = 0;
    for (size_t budget = 1 << 13; budget < ((size_t)1 << 32); budget *= 2) {
        brg_topk_plan p;
        BRG_ASSERT_OK(brg_topk_plan_make(100000, 100000, &c, budget, &p));
        ck_assert(p.tq * p.tb >= last);
        last = p.tq * p.tb;
    }
}
END_TEST

START_TEST(planner_reports_overflowing_costs)
{
    brg_topk_costs c = costs(SIZE_MAX - 10, 100, 0, 4);
    brg_topk_plan p;
    BRG_ASSERT_STATUS(brg_topk_plan_make(10, 10, &c, SIZE_MAX, &p), BRG_ERR_OVERFLOW);
    BRG_ASSERT_STATUS(brg_topk_plan_make(0, 10, &c, 100, &p), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_topk_plan_make(10, 10, NULL, 100, &p), BRG_ERR_INVALID_ARG);
}
END_TEST

/* The tutorial's 37 GiB case: 1e5 queries against 1e5 rows of dimension
 * 1000 fits a 64 MiB budget on the CPU backend's cost model. */
START_TEST(planner_fits_the_37_gib_shape_in_64_mib_on_the_cpu)
{
    brg_topk_call call;
    memset(&call, 0, sizeof call);
    call.nq = 100000;
    call.nb = 100000;
    call.dim = 1000;
    call.k = 3;
    for (int threads = 1; threads <= 64; threads *= 2) {
        brg_topk_costs c = brg_cpu_topk_costs(&call, threads, BRG_SCREEN_FP32);
        brg_topk_plan p;
        BRG_ASSERT_OK(brg_topk_plan_make(call.nq, call.nb, &c, (size_t)64 << 20, &p));
        ck_assert_uint_le(p.bytes, (size_t)64 << 20);
        ck_assert(p.tq >= 64 && p.tb >= 64); /* tiles still worth a GEMM */
    }
    call.k = 100000; /* k = nb: tiles shrink, the bound holds */
    brg_topk_costs c = brg_cpu_topk_costs(&call, 2, BRG_SCREEN_FP32);
    brg_topk_plan p;
    BRG_ASSERT_OK(brg_topk_plan_make(call.nq, call.nb, &c, (size_t)64 << 20, &p));
    ck_assert_uint_le(p.bytes, (size_t)64 << 20);
}
END_TEST

/* A GPU's database tiles stay within BRG_TOPK_DEVICE_TB_MAX columns (their
 * counts reach int and 32-bit slots), however many rows the database has
 * and however large the budget: 2^33 rows of a 1-float dimension with 8
 * bytes per score fit a 1 TiB budget in one tile were it not capped. */
START_TEST(planner_caps_device_tiles_below_int_range)
{
    brg_topk_costs c = costs(4096, 64, 0, 8);
    c.tb_max = BRG_TOPK_DEVICE_TB_MAX;
    brg_topk_plan p;
    BRG_ASSERT_OK(brg_topk_plan_make(1, (int64_t)1 << 33, &c, (size_t)1 << 40, &p));
    ck_assert_int_eq(p.tb, BRG_TOPK_DEVICE_TB_MAX);
    ck_assert(BRG_TOPK_DEVICE_TB_MAX + 8192 < INT32_MAX); /* room for kp + column */
}
END_TEST

static Suite *planner_suite(void)
{
    Suite *s = suite_create("planner");
    TCase *tc = tcase_create("planner");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, planner_never_exceeds_the_budget_and_stays_in_the_shape);
    tcase_add_test(tc, planner_below_the_minimum_names_it);
    tcase_add_test(tc, planner_takes_whole_shapes_when_the_budget_allows);
    tcase_add_test(tc, planner_grows_tiles_with_the_budget);
    tcase_add_test(tc, planner_reports_overflowing_costs);
    tcase_add_test(tc, planner_fits_the_37_gib_shape_in_64_mib_on_the_cpu);
    tcase_add_test(tc, planner_caps_device_tiles_below_int_range);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    return brg_test_main(argc, argv, planner_suite);
}

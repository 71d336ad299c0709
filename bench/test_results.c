/* bench's results store and rounds (results.c): merging the rounds of one
 * result, on hand-made results whose right answers are known. */
#include "bench.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The store each test fills; emptied after each (a checked fixture). */
static brg_bench_results all;

static void empty_store(void)
{
    brg_bench_results_free(&all);
}

/* A measured round of mean_rows on cpu: its runs' seconds, a fraction. */
static brg_bench_result round_of(const double *seconds, int n, double fraction)
{
    brg_bench_result r = brg_bench_result_new("mean_rows", NULL, "cpu");
    brg_bench_params_int(&r.params, "rows", 100);
    brg_bench_params_str(&r.params, "dtype", "f64");
    r.check = "pass";
    r.peak_bytes = 1000;
    memcpy(r.samples, seconds, (size_t)n * sizeof *seconds);
    r.n_samples = n;
    r.round_fraction[0] = fraction;
    r.rounds = 1;
    brg_bench_result_finish(&r);
    r.gbs = 8.0 / r.seconds; /* 8 GB a run */
    return r;
}

START_TEST(one_round_is_its_own_numbers)
{
    const double s[] = {0.3, 0.1, 0.2};
    brg_bench_result r = round_of(s, 3, 0.5);
    ck_assert_double_eq(r.seconds, 0.2);
    ck_assert_double_eq(r.seconds_min, 0.1);
    ck_assert_double_eq(r.seconds_max, 0.3);
    ck_assert_int_eq(r.repeats, 3);
    ck_assert_double_eq(r.fraction_of_limit, 0.5);
    ck_assert_str_eq(r.note, "");
}
END_TEST

START_TEST(rounds_merge_into_one_result)
{
    const double a[] = {1.0, 1.1}, b[] = {2.0, 2.2}, c[] = {1.2, 3.0};
    brg_bench_result ra = round_of(a, 2, 0.9), rb = round_of(b, 2, 0.4), rc = round_of(c, 2, 0.6);
    rb.peak_bytes = 5000;
    rc.check = "fail";
    size_t at = 99;
    ck_assert_int_eq(brg_bench_results_merge(&all, &ra, &at), BRG_OK);
    ck_assert_uint_eq(at, 0);
    ck_assert_int_eq(brg_bench_results_merge(&all, &rb, &at), BRG_OK);
    ck_assert_int_eq(brg_bench_results_merge(&all, &rc, &at), BRG_OK);
    ck_assert_uint_eq(at, 0);
    ck_assert_uint_eq(all.count, 1);
    const brg_bench_result *m = &all.items[0];
    /* six runs: 1.0 1.1 1.2 2.0 2.2 3.0 */
    ck_assert_int_eq(m->repeats, 6);
    ck_assert_int_eq(m->rounds, 3);
    ck_assert_double_eq_tol(m->seconds, 1.6, 1e-12);
    ck_assert_double_eq(m->seconds_min, 1.0);
    ck_assert_double_eq(m->seconds_max, 3.0);
    ck_assert_double_eq_tol(m->fraction_of_limit, 0.6, 1e-12); /* median of 0.9 0.4 0.6 */
    ck_assert_double_eq_tol(m->gbs, 8.0 / 1.6, 1e-12);        /* rescaled to the median */
    ck_assert(isnan(m->gflops));
    ck_assert_int_eq(m->peak_bytes, 5000);
    ck_assert_str_eq(m->check, "fail");
}
END_TEST

START_TEST(other_params_or_runner_are_other_results)
{
    const double a[] = {1.0};
    brg_bench_result r1 = round_of(a, 1, 1.0), r2 = r1, r3 = r1;
    brg_bench_params_int(&r2.params, "cols", 10);
    snprintf(r3.runner, sizeof r3.runner, "emu:32");
    size_t at = 0;
    ck_assert_int_eq(brg_bench_results_merge(&all, &r1, &at), BRG_OK);
    ck_assert_int_eq(brg_bench_results_merge(&all, &r2, &at), BRG_OK);
    ck_assert_uint_eq(at, 1);
    ck_assert_int_eq(brg_bench_results_merge(&all, &r3, &at), BRG_OK);
    ck_assert_uint_eq(at, 2);
    ck_assert_int_eq(brg_bench_results_merge(&all, &r1, &at), BRG_OK);
    ck_assert_uint_eq(at, 0);
    ck_assert_uint_eq(all.count, 3);
    ck_assert_int_eq(all.items[0].repeats, 2);
    ck_assert_int_eq(all.items[1].repeats, 1);
    ck_assert_ptr_eq(brg_bench_results_find(&all, &r3), &all.items[2]);
    snprintf(r3.runner, sizeof r3.runner, "emu:64");
    ck_assert_ptr_null(brg_bench_results_find(&all, &r3));
}
END_TEST

START_TEST(an_error_in_any_round_stands)
{
    const double a[] = {1.0};
    brg_bench_result ok = round_of(a, 1, 1.0), bad = ok, bad2 = ok;
    bad.outcome = bad2.outcome = BRG_BENCH_ERROR;
    snprintf(bad.reason, sizeof bad.reason, "run: first");
    snprintf(bad2.reason, sizeof bad2.reason, "run: second");
    size_t at = 0;
    brg_bench_results_merge(&all, &ok, &at);
    brg_bench_results_merge(&all, &bad, &at);
    brg_bench_results_merge(&all, &ok, &at);
    brg_bench_results_merge(&all, &bad2, &at);
    ck_assert_uint_eq(all.count, 1);
    ck_assert_int_eq(all.items[0].outcome, BRG_BENCH_ERROR);
    ck_assert_str_eq(all.items[0].reason, "run: first");
}
END_TEST

START_TEST(a_measured_round_outweighs_a_skipped_one)
{
    const double a[] = {1.0, 2.0, 3.0};
    brg_bench_result ok = round_of(a, 3, 1.0), skip = ok;
    skip.outcome = BRG_BENCH_SKIPPED;
    snprintf(skip.reason, sizeof skip.reason, "does not fit");
    size_t at = 0;
    brg_bench_results_merge(&all, &skip, &at);
    brg_bench_results_merge(&all, &ok, &at);
    brg_bench_results_merge(&all, &skip, &at);
    ck_assert_int_eq(all.items[0].outcome, BRG_BENCH_MEASURED);
    ck_assert_double_eq(all.items[0].seconds, 2.0);
    ck_assert_int_eq(all.items[0].repeats, 3);
}
END_TEST

START_TEST(paired_rounds_take_the_median_of_every_pair)
{
    const double a[] = {1.0, 1.0};
    brg_bench_result r1 = round_of(a, 2, NAN), r2 = r1;
    r1.ratios[0] = 0.1, r1.ratios[1] = 0.2;
    r2.ratios[0] = 0.9, r2.ratios[1] = 0.8;
    r1.n_ratios = r2.n_ratios = 2;
    r1.ref_pairs = r2.ref_pairs = 2;
    snprintf(r1.base_note, sizeof r1.base_note, "sgemm 1 s");
    snprintf(r2.base_note, sizeof r2.base_note, "sgemm 1 s");
    brg_bench_result_finish(&r1);
    ck_assert_double_eq_tol(r1.fraction_of_limit, 0.15, 1e-12);
    ck_assert_str_eq(r1.note, "sgemm 1 s; fraction_of_limit: median of 2 paired runs (sgemm, a "
                              "0.3 s pause, top-k; each timed after an untimed run)");
    size_t at = 0;
    brg_bench_results_merge(&all, &r1, &at);
    brg_bench_results_merge(&all, &r2, &at);
    ck_assert_double_eq_tol(all.items[0].fraction_of_limit, 0.5, 1e-12); /* 0.1 0.2 0.8 0.9 */
    ck_assert_str_eq(all.items[0].note, "sgemm 1 s; fraction_of_limit: median of 4 paired "
                                        "runs (sgemm, a 0.3 s pause, top-k; each timed after "
                                        "an untimed run)");
}
END_TEST

START_TEST(the_per_item_note_follows_the_merged_median)
{
    const double a[] = {1.0}, b[] = {3.0}, c[] = {2.0};
    brg_bench_result r[3] = {round_of(a, 1, NAN), round_of(b, 1, NAN), round_of(c, 1, NAN)};
    size_t at = 0;
    for (int i = 0; i < 3; i++) {
        r[i].note_items = 1000000000; /* 1e9 items: ns per item = seconds */
        brg_bench_result_finish(&r[i]);
        brg_bench_results_merge(&all, &r[i], &at);
    }
    ck_assert_str_eq(r[0].note, "1.00 ns per item (median)");
    ck_assert_str_eq(all.items[0].note, "2.00 ns per item (median)");
    ck_assert(isnan(all.items[0].fraction_of_limit));
}
END_TEST

START_TEST(samples_stop_at_the_cap)
{
    static double many[BRG_BENCH_MAX_SAMPLES];
    for (int i = 0; i < BRG_BENCH_MAX_SAMPLES; i++) many[i] = 1.0;
    brg_bench_result r = round_of(many, BRG_BENCH_MAX_SAMPLES, 1.0);
    size_t at = 0;
    for (int i = 0; i < BRG_BENCH_MAX_ROUNDS + 2; i++)
        ck_assert_int_eq(brg_bench_results_merge(&all, &r, &at), BRG_OK);
    ck_assert_int_eq(all.items[0].repeats, BRG_BENCH_MAX_SAMPLES);
    ck_assert_int_eq(all.items[0].rounds, BRG_BENCH_MAX_ROUNDS);
    ck_assert_double_eq(all.items[0].seconds, 1.0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bench_results");
    TCase *t = tcase_create("rounds");
    const TTest *tests[] = {one_round_is_its_own_numbers, rounds_merge_into_one_result,
                            other_params_or_runner_are_other_results, an_error_in_any_round_stands,
                            a_measured_round_outweighs_a_skipped_one,
                            paired_rounds_take_the_median_of_every_pair,
                            the_per_item_note_follows_the_merged_median, samples_stop_at_the_cap};
    tcase_add_checked_fixture(t, NULL, empty_store);
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) tcase_add_test(t, tests[i]);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

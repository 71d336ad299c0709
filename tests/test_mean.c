/* Mean of rows and mean of chunks on one device, against the oracle.
 * One case per rule of the semantics table (docs/design.md §5). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "staging.h"
#include "harness.h"
#include "oracle.h"

/* Compare mean_rows on the device with the oracle, both dtypes. */
static void check_rows_f64(const double *x, int64_t rows, int64_t cols)
{
    double *out = malloc((size_t)(rows ? rows : 1) * sizeof *out);
    ck_assert_ptr_nonnull(out);
    BRG_ASSERT_OK(brg_mean_rows_f64(brg_test_dev, x, rows, cols, out));
    for (int64_t r = 0; r < rows; r++) {
        long double mabs;
        long double want = oracle_mean_f64(x + r * cols, cols, &mabs);
        ck_assert_msg(oracle_close_f64(out[r], want, mabs),
                      "%s: %lldx%lld row %lld: got %.17g want %.17Lg", brg_test_spec,
                      (long long)rows, (long long)cols, (long long)r, out[r], want);
    }
    free(out);
}

static void check_rows_f32(const float *x, int64_t rows, int64_t cols)
{
    float *out = malloc((size_t)(rows ? rows : 1) * sizeof *out);
    ck_assert_ptr_nonnull(out);
    BRG_ASSERT_OK(brg_mean_rows_f32(brg_test_dev, x, rows, cols, out));
    for (int64_t r = 0; r < rows; r++) {
        long double mabs;
        long double want = oracle_mean_f32(x + r * cols, cols, &mabs);
        ck_assert_msg(oracle_close_f32(out[r], want, mabs),
                      "%s: %lldx%lld row %lld: got %.9g want %.12Lg", brg_test_spec,
                      (long long)rows, (long long)cols, (long long)r, (double)out[r], want);
    }
    free(out);
}

static void check_random_shape(int64_t rows, int64_t cols, uint64_t seed)
{
    int64_t n = rows * cols;
    double *xd = malloc((size_t)(n ? n : 1) * sizeof *xd);
    float *xf = malloc((size_t)(n ? n : 1) * sizeof *xf);
    ck_assert(xd && xf);
    brg_test_fill_f64(xd, n, -1.0, 3.0, seed);
    brg_test_fill_f32(xf, n, -1.0f, 3.0f, seed + 1);
    check_rows_f64(xd, rows, cols);
    check_rows_f32(xf, rows, cols);
    free(xd);
    free(xf);
}

START_TEST(mean_rows_matches_oracle_on_degenerate_shapes)
{
    check_random_shape(1, 1, 1);
    check_random_shape(1, 1001, 2);
    check_random_shape(1001, 1, 3);
    check_random_shape(2, 2, 4);
}
END_TEST

START_TEST(mean_rows_matches_oracle_on_sizes_off_every_block_size)
{
    static const int64_t shapes[][2] = {{3, 257}, {33, 31}, {7, 1023}, {129, 65}, {5, 4099},
                                        {1000, 100}, {17, 12345}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        check_random_shape(shapes[i][0], shapes[i][1], 100 + i);
}
END_TEST

START_TEST(mean_rows_matches_oracle_on_random_shapes)
{
    uint64_t rng = 42;
    int trials = brg_test_is_emu() ? 6 : 20;
    for (int t = 0; t < trials; t++) {
        int64_t rows = 1 + (int64_t)(brg_test_rand_u64(&rng) % 300);
        int64_t cols = 1 + (int64_t)(brg_test_rand_u64(&rng) % 3000);
        check_random_shape(rows, cols, 1000 + (uint64_t)t);
    }
}
END_TEST

START_TEST(mean_rows_matches_oracle_on_million_column_rows)
{
    check_random_shape(2, 1000003, 7);
    check_random_shape(1, (1 << 20) + 7, 8);
}
END_TEST

/* 0.1f summed naively in float drifts by percents over a million terms. */
START_TEST(mean_rows_f32_stays_within_1e6_where_naive_sum_drifts)
{
    int64_t rows = 3, cols = 1000003;
    float *x = malloc((size_t)(rows * cols) * sizeof *x);
    ck_assert_ptr_nonnull(x);
    uint64_t rng = 9;
    for (int64_t i = 0; i < rows * cols; i++)
        x[i] = 0.1f + (float)(1e-3 * brg_test_rand_unit(&rng)) + (float)(i / cols) * 1e4f;
    float naive = 0;
    for (int64_t i = 0; i < cols; i++) naive += x[i];
    long double want = oracle_mean_f32(x, cols, NULL);
    ck_assert_msg(fabsl(naive / cols - want) > 1e-4L * want, "the data should defeat naive sums");
    check_rows_f32(x, rows, cols);
    free(x);
}
END_TEST

/* The documented bound (ops.h): a sum within u * sum|x| of the exact sum,
 * on data where a naive sum drifts far beyond it. */
START_TEST(mean_rows_f64_stays_within_u_sum_abs_where_naive_sum_drifts)
{
    int64_t rows = 2, cols = 1000003;
    double *x = malloc((size_t)(rows * cols) * sizeof *x);
    ck_assert_ptr_nonnull(x);
    uint64_t rng = 21;
    for (int64_t i = 0; i < rows * cols; i++)
        x[i] = (i / cols ? -0.1 : 0.1) + 1e-3 * brg_test_rand_unit(&rng);
    double out[2];
    BRG_ASSERT_OK(brg_mean_rows_f64(brg_test_dev, x, rows, cols, out));
    for (int64_t r = 0; r < rows; r++) {
        long double mabs;
        long double want = oracle_mean_f64(x + r * cols, cols, &mabs);
        double naive = 0;
        for (int64_t i = 0; i < cols; i++) naive += x[r * cols + i];
        long double bound = 0x1p-53L * mabs + 0x1p-53L * fabsl(want); /* sum bound + final rounding */
        ck_assert_msg(fabsl((long double)naive / cols - want) > 4 * bound,
                      "the data should defeat naive sums");
        ck_assert_msg(fabsl(out[r] - want) <= bound, "row %lld: got %.17g want %.20Lg (bound %Lg)",
                      (long long)r, out[r], want, bound);
    }
    free(x);
}
END_TEST

START_TEST(mean_rows_propagates_nan_to_its_row_only)
{
    int64_t rows = 4, cols = 5000;
    double *x = malloc((size_t)(rows * cols) * sizeof *x);
    float *xf = malloc((size_t)(rows * cols) * sizeof *xf);
    ck_assert(x && xf);
    brg_test_fill_f64(x, rows * cols, 0, 1, 5);
    for (int64_t i = 0; i < rows * cols; i++) xf[i] = (float)x[i];
    x[1 * cols + 17] = NAN;
    xf[1 * cols + 17] = NAN;
    x[2 * cols + 3] = INFINITY;
    xf[2 * cols + 3] = INFINITY;
    x[3 * cols + 3] = INFINITY;
    x[3 * cols + 4000] = -INFINITY;
    xf[3 * cols + 3] = INFINITY;
    xf[3 * cols + 4000] = -INFINITY;
    double out[4];
    float outf[4];
    BRG_ASSERT_OK(brg_mean_rows_f64(brg_test_dev, x, rows, cols, out));
    BRG_ASSERT_OK(brg_mean_rows_f32(brg_test_dev, xf, rows, cols, outf));
    ck_assert(isfinite(out[0]) && isfinite(outf[0]));
    ck_assert_msg(isnan(out[1]) && isnan(outf[1]), "NaN row gave %g %g", out[1], (double)outf[1]);
    ck_assert_msg(out[2] == INFINITY && outf[2] == INFINITY, "Inf row gave %g", out[2]);
    ck_assert_msg(isnan(out[3]) && isnan(outf[3]), "Inf-Inf row gave %g", out[3]);
    free(x);
    free(xf);
}
END_TEST

START_TEST(mean_rows_with_zero_cols_is_nan)
{
    double out[3] = {1, 2, 3};
    float outf[3] = {1, 2, 3};
    double dummy = 0;
    BRG_ASSERT_OK(brg_mean_rows_f64(brg_test_dev, &dummy, 3, 0, out));
    BRG_ASSERT_OK(brg_mean_rows_f32(brg_test_dev, NULL, 3, 0, outf));
    for (int i = 0; i < 3; i++) ck_assert(isnan(out[i]) && isnan(outf[i]));
}
END_TEST

START_TEST(mean_rows_with_zero_rows_does_nothing)
{
    BRG_ASSERT_OK(brg_mean_rows_f64(brg_test_dev, NULL, 0, 10, NULL));
    BRG_ASSERT_OK(brg_mean_rows_f32(brg_test_dev, NULL, 0, 0, NULL));
}
END_TEST

static void check_chunks(const double *x, int64_t n, int64_t chunks)
{
    double *out = malloc((size_t)chunks * sizeof *out);
    ck_assert_ptr_nonnull(out);
    BRG_ASSERT_OK(brg_mean_chunks_f64(brg_test_dev, x, n, chunks, out));
    for (int64_t i = 0; i < chunks; i++) {
        int64_t start, len;
        oracle_split(n, chunks, i, &start, &len);
        long double mabs;
        long double want = oracle_mean_f64(x + start, len, &mabs);
        ck_assert_msg(oracle_close_f64(out[i], want, mabs),
                      "%s: n=%lld chunks=%lld chunk %lld: got %.17g want %.17Lg", brg_test_spec,
                      (long long)n, (long long)chunks, (long long)i, out[i], want);
    }
    free(out);
}

START_TEST(mean_chunks_follows_array_split)
{
    /* The emulated GPU pays per work item: fewer chunks there. */
    int64_t n = brg_test_is_emu() ? 20011 : 100003;
    double *x = malloc((size_t)n * sizeof *x);
    ck_assert_ptr_nonnull(x);
    brg_test_fill_f64(x, n, -5, 5, 11);
    const int64_t counts[] = {1, 2, 3, 7, 100, 1000, n / 4 + 3, n - 12, n};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        if (brg_test_is_emu() && counts[i] > 6000) continue;
        check_chunks(x, n, counts[i]);
    }
    free(x);
}
END_TEST

START_TEST(mean_chunks_gives_nan_for_empty_chunks_when_chunks_exceed_n)
{
    double x[5] = {1, 2, 3, 4, 5};
    double out[8];
    BRG_ASSERT_OK(brg_mean_chunks_f64(brg_test_dev, x, 5, 8, out));
    for (int i = 0; i < 5; i++) ck_assert_double_eq(out[i], x[i]);
    for (int i = 5; i < 8; i++) ck_assert(isnan(out[i]));
    BRG_ASSERT_OK(brg_mean_chunks_f64(brg_test_dev, NULL, 0, 3, out));
    for (int i = 0; i < 3; i++) ck_assert(isnan(out[i]));
}
END_TEST

/* The helpers stream inputs bigger than the staging budget batch by batch;
 * the answer must not change. Only devices with their own memory stage. */
START_TEST(mean_helpers_give_the_same_answer_in_small_staging_batches)
{
    int64_t n = 50021, chunks = 37;
    double *x = malloc((size_t)n * sizeof *x);
    ck_assert_ptr_nonnull(x);
    brg_test_fill_f64(x, n, 0, 1, 12);
    brg_test_set_staging_bytes(8192);
    check_chunks(x, n, chunks);
    check_rows_f64(x, 13, 3847);
    brg_test_set_staging_bytes(1);  /* below one row: a row at a time */
    check_chunks(x, n, chunks);
    brg_test_set_staging_bytes(0);
    free(x);
}
END_TEST

/* The tutorial: big_array.reshape(n, -1).mean(axis=1) on tensors. */
START_TEST(tensor_reshape_then_mean_rows_matches_the_helper)
{
    int64_t size = 120000, n = 1200;
    double *x = malloc((size_t)size * sizeof *x);
    double *got = malloc((size_t)n * sizeof *got), *want = malloc((size_t)n * sizeof *want);
    ck_assert(x && got && want);
    brg_test_fill_f64(x, size, 0, 1, 13);
    brg_tensor *big, *matrix, *means;
    BRG_ASSERT_OK(brg_tensor_from_host(brg_test_dev, BRG_F64, 1, &size, x, (size_t)size * 8, &big));
    int64_t shape[2] = {n, -1};
    BRG_ASSERT_OK(brg_tensor_reshape(big, 2, shape, &matrix));
    ck_assert_int_eq(brg_tensor_dim(matrix, 1), size / n);
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F64, 1, &n, &means));
    BRG_ASSERT_OK(brg_mean_rows(matrix, means));
    BRG_ASSERT_OK(brg_tensor_to_host(means, got, (size_t)n * 8));
    BRG_ASSERT_OK(brg_mean_rows_f64(brg_test_dev, x, n, size / n, want));
    for (int64_t i = 0; i < n; i++) ck_assert_double_eq(got[i], want[i]);
    brg_tensor *chunk_means;
    int64_t chunks = 777;
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F64, 1, &chunks, &chunk_means));
    BRG_ASSERT_OK(brg_mean_chunks(big, chunks, chunk_means));
    BRG_ASSERT_OK(brg_tensor_to_host(chunk_means, got, (size_t)chunks * 8));
    BRG_ASSERT_OK(brg_mean_chunks_f64(brg_test_dev, x, size, chunks, want));
    for (int64_t i = 0; i < chunks; i++) ck_assert_double_eq(got[i], want[i]);
    brg_tensor_free(chunk_means);
    brg_tensor_free(means);
    brg_tensor_free(big);     /* the view keeps the storage alive */
    BRG_ASSERT_OK(brg_tensor_to_host(matrix, x, (size_t)size * 8));
    brg_tensor_free(matrix);
    free(x);
    free(got);
    free(want);
}
END_TEST

static Suite *mean_suite(void)
{
    Suite *s = suite_create("mean");
    TCase *tc = tcase_create("mean");
    brg_test_use_device(tc);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, mean_rows_matches_oracle_on_degenerate_shapes);
    tcase_add_test(tc, mean_rows_matches_oracle_on_sizes_off_every_block_size);
    tcase_add_test(tc, mean_rows_matches_oracle_on_random_shapes);
    tcase_add_test(tc, mean_rows_matches_oracle_on_million_column_rows);
    tcase_add_test(tc, mean_rows_f32_stays_within_1e6_where_naive_sum_drifts);
    tcase_add_test(tc, mean_rows_f64_stays_within_u_sum_abs_where_naive_sum_drifts);
    tcase_add_test(tc, mean_rows_propagates_nan_to_its_row_only);
    tcase_add_test(tc, mean_rows_with_zero_cols_is_nan);
    tcase_add_test(tc, mean_rows_with_zero_rows_does_nothing);
    tcase_add_test(tc, mean_chunks_follows_array_split);
    tcase_add_test(tc, mean_chunks_gives_nan_for_empty_chunks_when_chunks_exceed_n);
    tcase_add_test(tc, mean_helpers_give_the_same_answer_in_small_staging_batches);
    tcase_add_test(tc, tensor_reshape_then_mean_rows_matches_the_helper);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    return brg_test_main(argc, argv, mean_suite);
}

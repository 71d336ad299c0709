/* The matrix product c = a . b^T on one device, against a long double
 * product. Its results are the device GEMM's fp32 sums, so the rule is the
 * forward error bound of an fp32 dot product of length k: each entry within
 * (k + 2) * 2^-24 * sum |a_i b_i| of the exact value (tf32 inputs may add
 * 2^-9 of it, and tensor cores may not round to nearest). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static brg_tensor *matrix(int64_t rows, int64_t cols, const float *data)
{
    int64_t shape[2] = {rows, cols};
    brg_tensor *t = NULL;
    if (data)
        BRG_ASSERT_OK(brg_tensor_from_host(brg_test_dev, BRG_F32, 2, shape, data,
                                           (size_t)(rows * cols) * sizeof(float), &t));
    else
        BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F32, 2, shape, &t));
    return t;
}

/* c from the device against the exact product, entry by entry. */
static void check_product(int64_t m, int64_t n, int64_t k, int tf32, uint64_t seed)
{
    float *a = malloc((size_t)(m * k + 1) * sizeof(float));
    float *b = malloc((size_t)(n * k + 1) * sizeof(float));
    float *c = malloc((size_t)(m * n + 1) * sizeof(float));
    ck_assert(a && b && c);
    brg_test_fill_f32(a, m * k, -1.0f, 1.0f, seed);
    brg_test_fill_f32(b, n * k, -2.0f, 2.0f, seed + 1);
    brg_tensor *ta = matrix(m, k, a), *tb = matrix(n, k, b), *tc = matrix(m, n, NULL);
    brg_matmul_options o = {tf32};
    BRG_ASSERT_OK(brg_matmul_nt(ta, tb, &o, tc));
    BRG_ASSERT_OK(brg_tensor_to_host(tc, c, (size_t)(m * n) * sizeof(float)));
    double rel = tf32 ? (double)(k + 2) * 0x1p-23 + 0x1p-9 + 0x1p-20 : (double)(k + 2) * 0x1p-24;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            long double exact = 0, mag = 0;
            for (int64_t t = 0; t < k; t++) {
                long double p = (long double)a[i * k + t] * b[j * k + t];
                exact += p;
                mag += fabsl(p);
            }
            long double err = fabsl((long double)c[i * n + j] - exact);
            ck_assert_msg(err <= rel * mag + 1e-30L,
                          "%lld x %lld x %lld (tf32 %d): c[%lld][%lld] = %.9g, exact %.12Lg",
                          (long long)m, (long long)n, (long long)k, tf32, (long long)i,
                          (long long)j, c[i * n + j], exact);
        }
    brg_tensor_free(ta);
    brg_tensor_free(tb);
    brg_tensor_free(tc);
    free(a);
    free(b);
    free(c);
}

START_TEST(matmul_is_the_fp32_product_within_its_error_bound)
{
    static const int64_t shapes[][3] = {{1, 1, 1}, {3, 5, 7}, {64, 33, 100}, {1, 200, 300},
                                        {130, 70, 17}, {65, 129, 64}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int tf32 = 0; tf32 <= 1; tf32++)
            check_product(shapes[s][0], shapes[s][1], shapes[s][2], tf32, 40 + s);
}
END_TEST

START_TEST(matmul_with_no_rows_does_nothing)
{
    brg_tensor *a = matrix(0, 4, NULL), *b = matrix(3, 4, NULL), *c = matrix(0, 3, NULL);
    BRG_ASSERT_OK(brg_matmul_nt(a, b, NULL, c));
    brg_tensor *c2 = matrix(3, 0, NULL), *b2 = matrix(0, 4, NULL), *a2 = matrix(3, 4, NULL);
    BRG_ASSERT_OK(brg_matmul_nt(a2, b2, NULL, c2));
    brg_tensor_free(a);
    brg_tensor_free(b);
    brg_tensor_free(c);
    brg_tensor_free(a2);
    brg_tensor_free(b2);
    brg_tensor_free(c2);
}
END_TEST

START_TEST(matmul_rejects_bad_operands)
{
    brg_tensor *a = matrix(2, 3, NULL), *b = matrix(4, 3, NULL), *c = matrix(2, 4, NULL);
    brg_tensor *b_wrong = matrix(4, 5, NULL), *c_wrong = matrix(4, 2, NULL), *a0 = matrix(2, 0, NULL),
               *b0 = matrix(4, 0, NULL);
    int64_t flat_shape[1] = {6};
    brg_tensor *flat = NULL, *f64 = NULL;
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F32, 1, flat_shape, &flat));
    int64_t shape[2] = {2, 3};
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F64, 2, shape, &f64));
    brg_matmul_options bad_tf32 = {2};

    BRG_ASSERT_STATUS(brg_matmul_nt(NULL, b, NULL, c), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_matmul_nt(a, NULL, NULL, c), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_matmul_nt(a, b, NULL, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_matmul_nt(a, b, &bad_tf32, c), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_matmul_nt(f64, b, NULL, c), BRG_ERR_DTYPE);
    BRG_ASSERT_STATUS(brg_matmul_nt(flat, b, NULL, c), BRG_ERR_SHAPE);
    BRG_ASSERT_STATUS(brg_matmul_nt(a, b_wrong, NULL, c), BRG_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "columns differ"));
    BRG_ASSERT_STATUS(brg_matmul_nt(a, b, NULL, c_wrong), BRG_ERR_SHAPE);
    BRG_ASSERT_STATUS(brg_matmul_nt(a0, b0, NULL, c), BRG_ERR_SHAPE);
    BRG_ASSERT_STATUS(brg_matmul_nt(a, a, NULL, a), BRG_ERR_SHAPE);
    brg_tensor *square = matrix(3, 3, NULL);
    BRG_ASSERT_STATUS(brg_matmul_nt(square, square, NULL, square), BRG_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "shares storage"));
    if (strcmp(brg_test_spec, "cpu") != 0) { /* operands on two devices */
        brg_device *cpu = NULL;
        BRG_ASSERT_OK(brg_device_open("cpu", &cpu));
        brg_tensor *other = NULL;
        int64_t bs[2] = {4, 3};
        BRG_ASSERT_OK(brg_tensor_create(cpu, BRG_F32, 2, bs, &other));
        BRG_ASSERT_STATUS(brg_matmul_nt(a, other, NULL, c), BRG_ERR_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(brg_last_error(), "one device"));
        brg_tensor_free(other);
        brg_device_close(cpu);
    }
    brg_tensor *all[] = {a, b, c, b_wrong, c_wrong, a0, b0, flat, f64, square};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) brg_tensor_free(all[i]);
}
END_TEST

static Suite *matmul_suite(void)
{
    Suite *s = suite_create("matmul");
    TCase *tc = tcase_create("matmul");
    brg_test_use_device(tc);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, matmul_is_the_fp32_product_within_its_error_bound);
    tcase_add_test(tc, matmul_with_no_rows_does_nothing);
    tcase_add_test(tc, matmul_rejects_bad_operands);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    return brg_test_main(argc, argv, matmul_suite);
}

/* The core on one device: statuses, versions, device specs, tensors, and
 * every bad input of the API returning its documented status. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

START_TEST(status_names_and_versions_are_defined)
{
    ck_assert_str_eq(brg_status_str(BRG_OK), "BRG_OK");
    ck_assert_str_eq(brg_status_str(BRG_ERR_WORKER), "BRG_ERR_WORKER");
    ck_assert_str_eq(brg_status_str((brg_status)12345), "BRG_ERR_UNKNOWN");
    ck_assert_str_eq(brg_version_string(), BRG_VERSION_STRING);
    ck_assert_uint_eq(brg_version_number(), BRG_VERSION_NUMBER);
    ck_assert_ptr_nonnull(strstr(brg_build_backends(), "cpu"));
}
END_TEST

START_TEST(last_error_names_the_bad_argument)
{
    brg_clear_error();
    ck_assert_str_eq(brg_last_error(), "");
    BRG_ASSERT_STATUS(brg_mean_rows_f64(brg_test_dev, NULL, 2, 2, NULL), BRG_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "out is NULL"));
}
END_TEST

START_TEST(device_spec_is_canonical_and_described)
{
    const char *spec = brg_device_spec(brg_test_dev);
    ck_assert(strlen(spec) > 0);
    ck_assert_ptr_nonnull(strstr(brg_device_describe(brg_test_dev), spec));
    size_t free_b = 0, total_b = 0;
    BRG_ASSERT_OK(brg_device_memory(brg_test_dev, &free_b, &total_b));
    ck_assert(total_b > 0 && free_b <= total_b);
    BRG_ASSERT_OK(brg_device_synchronize(brg_test_dev));
    brg_device *again;
    BRG_ASSERT_OK(brg_device_open(spec, &again));
    ck_assert_str_eq(brg_device_spec(again), spec);
    brg_device_close(again);
}
END_TEST

START_TEST(bad_device_specs_are_invalid_arguments)
{
    static const char *bad[] = {"", "gpu", "cpu:1", "cuda:", "cuda:-1", "cuda:x", "emu:48",
                                "cuda:1234567890", "CPU", "auto:0", "cpu "};
    brg_device *dev = (brg_device *)&dev;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        BRG_ASSERT_STATUS(brg_device_open(bad[i], &dev), BRG_ERR_INVALID_ARG);
        ck_assert_ptr_null(dev);
    }
    BRG_ASSERT_STATUS(brg_device_open(NULL, &dev), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_device_open("cpu", NULL), BRG_ERR_INVALID_ARG);
    brg_device_close(NULL);
}
END_TEST

START_TEST(unavailable_backends_say_why)
{
    int n = -1;
    BRG_ASSERT_STATUS(brg_device_count("nonsense", &n), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_OK(brg_device_count("cpu", &n));
    ck_assert_int_eq(n, 1);
    static const char *gpus[] = {"cuda", "hip"};
    for (int i = 0; i < 2; i++) {
        if (brg_device_count(gpus[i], &n) == BRG_OK) continue; /* present here */
        ck_assert_int_eq(n, 0);
        ck_assert(strlen(brg_last_error()) > 20);
        brg_device *dev = (brg_device *)&dev;
        BRG_ASSERT_STATUS(brg_device_open(gpus[i], &dev), BRG_ERR_NO_DEVICE);
        ck_assert_ptr_null(dev);
        ck_assert_ptr_nonnull(strstr(brg_last_error(), "not available"));
    }
}
END_TEST

START_TEST(auto_falls_back_and_records_why)
{
    unsetenv("BRIGADE_DEVICE");
    brg_device *dev;
    BRG_ASSERT_OK(brg_device_open("auto", &dev));
    const char *d = brg_device_describe(dev);
    ck_assert_ptr_nonnull(strstr(d, "auto"));
    ck_assert_int_ne(brg_device_get_kind(dev), BRG_DEVICE_EMU);
    int n;
    if (brg_device_count("cuda", &n) != BRG_OK && brg_device_count("hip", &n) != BRG_OK) {
        ck_assert_str_eq(brg_device_spec(dev), "cpu");
        ck_assert_ptr_nonnull(strstr(d, "cuda:"));
        ck_assert_ptr_nonnull(strstr(d, "hip:"));
    }
    brg_device_close(dev);
}
END_TEST

START_TEST(brigade_device_env_overrides_auto)
{
    setenv("BRIGADE_DEVICE", "cpu", 1);
    brg_device *dev;
    BRG_ASSERT_OK(brg_device_open("auto", &dev));
    ck_assert_str_eq(brg_device_spec(dev), "cpu");
    brg_device_close(dev);
    setenv("BRIGADE_DEVICE", "warp-drive:9", 1);
    BRG_ASSERT_STATUS(brg_device_open("auto", &dev), BRG_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "BRIGADE_DEVICE"));
    BRG_ASSERT_OK(brg_device_open("cpu", &dev)); /* explicit specs ignore it */
    brg_device_close(dev);
    unsetenv("BRIGADE_DEVICE");
}
END_TEST

START_TEST(tensor_round_trips_and_views_share_storage)
{
    int64_t shape[3] = {2, 3, 4};
    float host[24], back[24];
    for (int i = 0; i < 24; i++) host[i] = (float)i * 0.5f;
    brg_tensor *t, *v;
    BRG_ASSERT_OK(brg_tensor_from_host(brg_test_dev, BRG_F32, 3, shape, host, sizeof host, &t));
    ck_assert_int_eq(brg_tensor_ndim(t), 3);
    ck_assert_int_eq(brg_tensor_numel(t), 24);
    ck_assert_uint_eq(brg_tensor_bytes(t), sizeof host);
    ck_assert_int_eq(brg_tensor_dtype(t), BRG_F32);
    ck_assert_ptr_eq(brg_tensor_device(t), brg_test_dev);
    int64_t flat[2] = {-1, 6};
    BRG_ASSERT_OK(brg_tensor_reshape(t, 2, flat, &v));
    ck_assert_int_eq(brg_tensor_dim(v, 0), 4);
    ck_assert_int_eq(brg_tensor_dim(v, 5), 0);
    ck_assert_ptr_eq(brg_tensor_data(v), brg_tensor_data(t));
    for (int i = 0; i < 24; i++) host[i] = -host[i];
    BRG_ASSERT_OK(brg_tensor_copy_from_host(v, host, sizeof host));
    brg_tensor_free(v);
    BRG_ASSERT_OK(brg_tensor_to_host(t, back, sizeof back));
    ck_assert_mem_eq(back, host, sizeof host);
    brg_tensor_free(t);
    brg_tensor_free(NULL);
}
END_TEST

START_TEST(tensor_copy_copies_on_the_device)
{
    int64_t n = 1000, s2[2] = {10, 100}, s3[1] = {999};
    double host[1000], back[1000];
    for (int i = 0; i < 1000; i++) host[i] = i * 0.25;
    brg_tensor *a, *b, *c, *f;
    BRG_ASSERT_OK(brg_tensor_from_host(brg_test_dev, BRG_F64, 1, &n, host, sizeof host, &a));
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F64, 2, s2, &b));
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F64, 1, s3, &c));
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F32, 1, &n, &f));
    BRG_ASSERT_OK(brg_tensor_copy(b, a));
    BRG_ASSERT_OK(brg_tensor_to_host(b, back, sizeof back));
    ck_assert_mem_eq(back, host, sizeof host);
    BRG_ASSERT_STATUS(brg_tensor_copy(c, a), BRG_ERR_SHAPE);
    BRG_ASSERT_STATUS(brg_tensor_copy(f, a), BRG_ERR_DTYPE);
    BRG_ASSERT_STATUS(brg_tensor_copy(NULL, a), BRG_ERR_INVALID_ARG);
    brg_tensor_free(a);
    brg_tensor_free(b);
    brg_tensor_free(c);
    brg_tensor_free(f);
}
END_TEST

/* A wrapped tensor works on the caller's memory in place and never frees
 * it: here the memory of another tensor on the device, which must still be
 * whole after the wrapper and a view of it are freed. */
START_TEST(tensor_wrap_works_in_place_and_leaves_the_memory_to_its_owner)
{
    int64_t n = 600, rows_cols[2] = {6, 100};
    double host[600], back[600], means[6], want[6];
    for (int i = 0; i < 600; i++) host[i] = (i % 100) * 0.5 + i / 100;
    brg_tensor *owner, *w, *view, *out;
    BRG_ASSERT_OK(brg_tensor_from_host(brg_test_dev, BRG_F64, 1, &n, host, sizeof host, &owner));
    void *mem = brg_tensor_data(owner);
    BRG_ASSERT_OK(brg_tensor_wrap(brg_test_dev, BRG_F64, 2, rows_cols, mem, sizeof host, &w));
    ck_assert_ptr_eq(brg_tensor_data(w), mem);
    BRG_ASSERT_OK(brg_tensor_reshape(w, 1, &n, &view));
    int64_t six = 6;
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F64, 1, &six, &out));
    BRG_ASSERT_OK(brg_mean_rows(w, out));
    BRG_ASSERT_OK(brg_tensor_to_host(out, means, sizeof means));
    BRG_ASSERT_OK(brg_mean_rows_f64(brg_test_dev, host, 6, 100, want));
    ck_assert_mem_eq(means, want, sizeof want);
    BRG_ASSERT_OK(brg_fill_uniform(view, 9, NULL)); /* writes reach the owner's memory */
    brg_tensor_free(view);
    brg_tensor_free(w);
    double filled[600];
    BRG_ASSERT_OK(brg_tensor_to_host(owner, back, sizeof back));
    BRG_ASSERT_OK(brg_fill_uniform_f64(brg_test_dev, filled, n, 9, NULL));
    ck_assert_mem_eq(back, filled, sizeof back);
    brg_tensor_free(owner);
    brg_tensor_free(out);

    brg_tensor *bad = (brg_tensor *)&bad;
    BRG_ASSERT_STATUS(brg_tensor_wrap(brg_test_dev, BRG_F64, 1, &n, host, sizeof host - 8, &bad),
                      BRG_ERR_INVALID_ARG);
    ck_assert_ptr_null(bad);
    BRG_ASSERT_STATUS(brg_tensor_wrap(brg_test_dev, BRG_F64, 1, &n, NULL, sizeof host, &bad),
                      BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_tensor_wrap(brg_test_dev, BRG_F64, 1, &six, (char *)host + 4, 48, &bad),
                      BRG_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "aligned"));
    BRG_ASSERT_STATUS(brg_tensor_wrap(NULL, BRG_F64, 1, &n, host, sizeof host, &bad),
                      BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_tensor_wrap(brg_test_dev, BRG_F64, 0, &n, host, sizeof host, &bad),
                      BRG_ERR_SHAPE);
    BRG_ASSERT_STATUS(brg_tensor_wrap(brg_test_dev, BRG_F64, 1, &n, host, sizeof host, NULL),
                      BRG_ERR_INVALID_ARG);
}
END_TEST

START_TEST(tensor_outlives_a_closed_device_handle)
{
    brg_device *dev;
    BRG_ASSERT_OK(brg_device_open(brg_test_spec, &dev));
    int64_t n = 3;
    double host[3] = {1, 2, 3}, back[3];
    brg_tensor *t;
    BRG_ASSERT_OK(brg_tensor_from_host(dev, BRG_F64, 1, &n, host, sizeof host, &t));
    brg_device_close(dev);
    BRG_ASSERT_OK(brg_tensor_to_host(t, back, sizeof back));
    ck_assert_mem_eq(back, host, sizeof host);
    brg_tensor_free(t);
}
END_TEST

START_TEST(tensor_bad_inputs_return_their_status)
{
    brg_tensor *t = (brg_tensor *)&t;
    int64_t shape[5] = {2, 3, 4, 5, 6};
    int64_t neg[2] = {2, -3};
    int64_t huge[2] = {INT64_MAX / 2, 3};
    int64_t big_bytes[1] = {INT64_MAX / 2}; /* elements fit int64, bytes do not fit size_t */
    BRG_ASSERT_STATUS(brg_tensor_create(NULL, BRG_F32, 1, shape, &t), BRG_ERR_INVALID_ARG);
    ck_assert_ptr_null(t);
    BRG_ASSERT_STATUS(brg_tensor_create(brg_test_dev, BRG_F32, 1, shape, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_tensor_create(brg_test_dev, BRG_F32, 1, NULL, &t), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_tensor_create(brg_test_dev, BRG_F32, 0, shape, &t), BRG_ERR_SHAPE);
    BRG_ASSERT_STATUS(brg_tensor_create(brg_test_dev, BRG_F32, 5, shape, &t), BRG_ERR_SHAPE);
    BRG_ASSERT_STATUS(brg_tensor_create(brg_test_dev, (brg_dtype)99, 1, shape, &t), BRG_ERR_DTYPE);
    BRG_ASSERT_STATUS(brg_tensor_create(brg_test_dev, BRG_F32, 2, neg, &t), BRG_ERR_SHAPE);
    BRG_ASSERT_STATUS(brg_tensor_create(brg_test_dev, BRG_F32, 2, huge, &t), BRG_ERR_OVERFLOW);
    BRG_ASSERT_STATUS(brg_tensor_create(brg_test_dev, BRG_F64, 1, big_bytes, &t), BRG_ERR_OVERFLOW);
    ck_assert_ptr_null(t);

    float host[6] = {0};
    BRG_ASSERT_STATUS(brg_tensor_from_host(brg_test_dev, BRG_F32, 1, shape, host, 4, &t),
                      BRG_ERR_INVALID_ARG);
    ck_assert_ptr_null(t);
    BRG_ASSERT_STATUS(brg_tensor_from_host(brg_test_dev, BRG_F32, 1, shape, NULL, 8, &t),
                      BRG_ERR_INVALID_ARG);
    BRG_ASSERT_OK(brg_tensor_from_host(brg_test_dev, BRG_F32, 2, shape, host, sizeof host, &t));
    BRG_ASSERT_STATUS(brg_tensor_to_host(t, host, 8), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_tensor_to_host(t, NULL, sizeof host), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_tensor_to_host(NULL, host, sizeof host), BRG_ERR_INVALID_ARG);
    brg_tensor *v = (brg_tensor *)&v;
    int64_t wrong[2] = {4, 2}, two_infer[2] = {-1, -1}, bad_infer[2] = {-1, 4};
    BRG_ASSERT_STATUS(brg_tensor_reshape(t, 2, wrong, &v), BRG_ERR_SHAPE);
    ck_assert_ptr_null(v);
    BRG_ASSERT_STATUS(brg_tensor_reshape(t, 2, two_infer, &v), BRG_ERR_SHAPE);
    BRG_ASSERT_STATUS(brg_tensor_reshape(t, 2, bad_infer, &v), BRG_ERR_SHAPE);
    BRG_ASSERT_STATUS(brg_tensor_reshape(t, 2, neg, &v), BRG_ERR_SHAPE);
    BRG_ASSERT_STATUS(brg_tensor_reshape(t, 2, huge, &v), BRG_ERR_OVERFLOW);
    BRG_ASSERT_STATUS(brg_tensor_reshape(t, 9, wrong, &v), BRG_ERR_SHAPE);
    BRG_ASSERT_STATUS(brg_tensor_reshape(NULL, 2, wrong, &v), BRG_ERR_INVALID_ARG);
    brg_tensor_free(t);
}
END_TEST

START_TEST(mean_helpers_reject_bad_inputs)
{
    double x[4] = {1, 2, 3, 4}, out[4];
    float xf[4] = {1, 2, 3, 4}, outf[4];
    BRG_ASSERT_STATUS(brg_mean_rows_f64(NULL, x, 2, 2, out), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_mean_rows_f64(brg_test_dev, NULL, 2, 2, out), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_mean_rows_f64(brg_test_dev, x, 2, 2, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_mean_rows_f64(brg_test_dev, x, -1, 2, out), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_mean_rows_f64(brg_test_dev, x, 2, -2, out), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_mean_rows_f64(brg_test_dev, x, INT64_MAX / 2, 3, out), BRG_ERR_OVERFLOW);
    BRG_ASSERT_STATUS(brg_mean_rows_f64(brg_test_dev, x, 1, INT64_MAX / 2, out), BRG_ERR_OVERFLOW);
    BRG_ASSERT_STATUS(brg_mean_rows_f32(brg_test_dev, xf, 1, INT64_MAX, outf), BRG_ERR_OVERFLOW);
    BRG_ASSERT_STATUS(brg_mean_rows_f32(brg_test_dev, NULL, 1, 4, outf), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_mean_chunks_f64(brg_test_dev, x, 4, 0, out), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_mean_chunks_f64(brg_test_dev, x, 4, -3, out), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_mean_chunks_f64(brg_test_dev, x, -4, 2, out), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_mean_chunks_f64(brg_test_dev, x, INT64_MAX / 2, 2, out), BRG_ERR_OVERFLOW);
    BRG_ASSERT_STATUS(brg_mean_chunks_f64(brg_test_dev, NULL, 4, 2, out), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_mean_chunks_f64(brg_test_dev, x, 4, 2, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_mean_chunks_f64(NULL, x, 4, 2, out), BRG_ERR_INVALID_ARG);
}
END_TEST

START_TEST(mean_tensor_ops_reject_bad_operands)
{
    int64_t s2[2] = {3, 4}, s1[1] = {3}, s1b[1] = {4};
    brg_tensor *x, *xi, *out, *outf, *out4;
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F64, 2, s2, &x));
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_I32, 2, s2, &xi));
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F64, 1, s1, &out));
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F32, 1, s1, &outf));
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F64, 1, s1b, &out4));
    BRG_ASSERT_STATUS(brg_mean_rows(NULL, out), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_mean_rows(x, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_mean_rows(xi, out), BRG_ERR_DTYPE);
    BRG_ASSERT_STATUS(brg_mean_rows(x, outf), BRG_ERR_DTYPE);
    BRG_ASSERT_STATUS(brg_mean_rows(x, out4), BRG_ERR_SHAPE);
    BRG_ASSERT_STATUS(brg_mean_rows(out, out4), BRG_ERR_SHAPE);
    BRG_ASSERT_STATUS(brg_mean_chunks(x, 0, out), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_mean_chunks(x, 4, out), BRG_ERR_SHAPE);
    brg_tensor *view;
    int64_t flat[1] = {12};
    BRG_ASSERT_OK(brg_tensor_reshape(x, 1, flat, &view));
    BRG_ASSERT_STATUS(brg_mean_chunks(x, 12, view), BRG_ERR_INVALID_ARG); /* aliasing */
    double data[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, means[3];
    BRG_ASSERT_OK(brg_tensor_copy_from_host(x, data, sizeof data));
    BRG_ASSERT_OK(brg_mean_rows(x, out));
    BRG_ASSERT_OK(brg_tensor_to_host(out, means, sizeof means));
    ck_assert_double_eq(means[0], 2.5);
    ck_assert_double_eq(means[2], 10.5);
    brg_tensor_free(view);
    brg_tensor_free(x);
    brg_tensor_free(xi);
    brg_tensor_free(out);
    brg_tensor_free(outf);
    brg_tensor_free(out4);
}
END_TEST

/* A tensor on another device is refused: the CPU against the device under
 * test, where that is not the CPU itself. */
START_TEST(mean_rejects_tensors_on_different_devices)
{
    if (strcmp(brg_device_spec(brg_test_dev), "cpu") == 0) return;
    brg_device *cpu;
    BRG_ASSERT_OK(brg_device_open("cpu", &cpu));
    int64_t s2[2] = {3, 4}, s1[1] = {3};
    brg_tensor *x, *out;
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F64, 2, s2, &x));
    BRG_ASSERT_OK(brg_tensor_create(cpu, BRG_F64, 1, s1, &out));
    BRG_ASSERT_STATUS(brg_mean_rows(x, out), BRG_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "cpu"));
    brg_tensor_free(x);
    brg_tensor_free(out);
    brg_device_close(cpu);
}
END_TEST

static Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    brg_test_use_device(tc);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, status_names_and_versions_are_defined);
    tcase_add_test(tc, last_error_names_the_bad_argument);
    tcase_add_test(tc, device_spec_is_canonical_and_described);
    tcase_add_test(tc, bad_device_specs_are_invalid_arguments);
    tcase_add_test(tc, unavailable_backends_say_why);
    tcase_add_test(tc, auto_falls_back_and_records_why);
    tcase_add_test(tc, brigade_device_env_overrides_auto);
    tcase_add_test(tc, tensor_round_trips_and_views_share_storage);
    tcase_add_test(tc, tensor_copy_copies_on_the_device);
    tcase_add_test(tc, tensor_wrap_works_in_place_and_leaves_the_memory_to_its_owner);
    tcase_add_test(tc, tensor_outlives_a_closed_device_handle);
    tcase_add_test(tc, tensor_bad_inputs_return_their_status);
    tcase_add_test(tc, mean_helpers_reject_bad_inputs);
    tcase_add_test(tc, mean_tensor_ops_reject_bad_operands);
    tcase_add_test(tc, mean_rejects_tensors_on_different_devices);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    return brg_test_main(argc, argv, core_suite);
}

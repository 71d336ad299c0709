/* Uniform fills (Philox4x32-10) on one device: the published known answer,
 * bit-identical arrays on every device, the documented conversions, and
 * bad arguments. The comparison with Random123 itself is test_philox.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "philox.h"
#include "staging.h"

/* Philox4x32-10 with zero counter and zero key (Random123's kat_vectors). */
static const uint32_t kat_zero[4] = {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u};

static brg_device *open_cpu(void)
{
    brg_device *cpu = NULL;
    BRG_ASSERT_OK(brg_device_open("cpu", &cpu));
    return cpu;
}

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    ck_assert_ptr_nonnull(p);
    return p;
}

START_TEST(philox_gives_the_published_answer_for_zero_counter_and_key)
{
    brg_philox4x32 zero = {{0, 0, 0, 0}};
    brg_philox4x32 r = brg_philox4x32_10(zero, 0, 0);
    for (int k = 0; k < 4; k++)
        ck_assert_msg(r.v[k] == kat_zero[k], "word %d: %08x, want %08x", k, r.v[k], kat_zero[k]);
}
END_TEST

/* Seed 0's first counter block is the known answer, so the device's first
 * values are the documented conversions of it. */
START_TEST(the_device_fill_of_seed_0_starts_with_the_known_answer_converted)
{
    float f[4];
    double d[2];
    BRG_ASSERT_OK(brg_fill_uniform_f32(brg_test_dev, f, 4, 0, NULL));
    BRG_ASSERT_OK(brg_fill_uniform_f64(brg_test_dev, d, 2, 0, NULL));
    for (int k = 0; k < 4; k++) ck_assert_float_eq(f[k], (float)(kat_zero[k] >> 8) * 0x1p-24f);
    for (int j = 0; j < 2; j++) {
        uint64_t bits = ((uint64_t)kat_zero[2 * j] << 21) | (kat_zero[2 * j + 1] >> 11);
        ck_assert_double_eq(d[j], (double)bits * 0x1p-53);
    }
}
END_TEST

static const int64_t lengths[] = {1, 2, 3, 4, 5, 7, 255, 256, 257, 1023, 1025, 4099, 65537, 100003};
static const uint64_t seeds[] = {0, 1, 42, 0x100000005ull, UINT64_MAX};

/* Every value of the device equals the CPU's and the serial formula's. */
static void check_same_as_cpu(int64_t n, uint64_t seed, brg_device *cpu)
{
    float *f = xmalloc((size_t)n * sizeof *f), *fc = xmalloc((size_t)n * sizeof *fc);
    double *d = xmalloc((size_t)n * sizeof *d), *dc = xmalloc((size_t)n * sizeof *dc);
    BRG_ASSERT_OK(brg_fill_uniform_f32(brg_test_dev, f, n, seed, NULL));
    BRG_ASSERT_OK(brg_fill_uniform_f32(cpu, fc, n, seed, NULL));
    BRG_ASSERT_OK(brg_fill_uniform_f64(brg_test_dev, d, n, seed, NULL));
    BRG_ASSERT_OK(brg_fill_uniform_f64(cpu, dc, n, seed, NULL));
    ck_assert_msg(memcmp(f, fc, (size_t)n * sizeof *f) == 0, "%s f32 n=%lld seed=%llu differs",
                  brg_test_spec, (long long)n, (unsigned long long)seed);
    ck_assert_msg(memcmp(d, dc, (size_t)n * sizeof *d) == 0, "%s f64 n=%lld seed=%llu differs",
                  brg_test_spec, (long long)n, (unsigned long long)seed);
    int64_t last = n - 1; /* the serial formula, at the end where partial blocks are */
    float fs;
    double ds;
    brg_philox_fill_f32(seed, 0, last, 1, &fs);
    brg_philox_fill_f64(seed, 0, last, 1, &ds);
    ck_assert_float_eq(f[last], fs);
    ck_assert_double_eq(d[last], ds);
    free(f);
    free(fc);
    free(d);
    free(dc);
}

START_TEST(device_fills_equal_the_cpu_bit_for_bit_at_any_length_and_seed)
{
    brg_device *cpu = open_cpu();
    for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++)
        for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
            if (brg_test_is_emu() && lengths[l] > 5000 && s > 1) continue;
            check_same_as_cpu(lengths[l], seeds[s], cpu);
        }
    brg_device_close(cpu);
}
END_TEST

/* Batches of 1025 floats or 512 doubles start mid-block: the stream must
 * continue exactly. Only devices with their own memory stage. */
START_TEST(staging_in_small_batches_gives_the_same_array)
{
    brg_device *cpu = open_cpu();
    brg_test_set_staging_bytes(4100);
    check_same_as_cpu(10007, 7, cpu);
    brg_test_set_staging_bytes(1); /* one element at a time */
    check_same_as_cpu(37, 8, cpu);
    brg_test_set_staging_bytes(0);
    brg_device_close(cpu);
}
END_TEST

/* The conversions: f32 values are k * 2^-24 and f64 values k * 2^-53, all
 * in [0, 1); and the numbers look uniform (bucket counts within 6 sigma). */
START_TEST(values_are_in_0_1_on_the_documented_grid_and_look_uniform)
{
    enum { n = 200000, buckets = 16 };
    float *f = xmalloc(n * sizeof *f);
    double *d = xmalloc(n * sizeof *d);
    BRG_ASSERT_OK(brg_fill_uniform_f32(brg_test_dev, f, n, 99, NULL));
    BRG_ASSERT_OK(brg_fill_uniform_f64(brg_test_dev, d, n, 99, NULL));
    int64_t cf[buckets] = {0}, cd[buckets] = {0};
    for (int i = 0; i < n; i++) {
        ck_assert(f[i] >= 0.0f && f[i] < 1.0f && d[i] >= 0.0 && d[i] < 1.0);
        ck_assert(ldexpf(f[i], 24) == floorf(ldexpf(f[i], 24)));
        ck_assert(ldexp(d[i], 53) == floor(ldexp(d[i], 53)));
        cf[(int)(f[i] * buckets)]++;
        cd[(int)(d[i] * buckets)]++;
    }
    double expect = (double)n / buckets, sigma = sqrt(expect * (1 - 1.0 / buckets));
    for (int b = 0; b < buckets; b++) {
        ck_assert_msg(fabs((double)cf[b] - expect) < 6 * sigma, "f32 bucket %d: %lld", b,
                      (long long)cf[b]);
        ck_assert_msg(fabs((double)cd[b] - expect) < 6 * sigma, "f64 bucket %d: %lld", b,
                      (long long)cd[b]);
    }
    ck_assert(memcmp(f, f + 1, 64) != 0); /* not a constant */
    free(f);
    free(d);
}
END_TEST

START_TEST(different_seeds_give_different_streams)
{
    double a[8], b[8];
    BRG_ASSERT_OK(brg_fill_uniform_f64(brg_test_dev, a, 8, 1, NULL));
    BRG_ASSERT_OK(brg_fill_uniform_f64(brg_test_dev, b, 8, 2, NULL));
    for (int i = 0; i < 8; i++) ck_assert(a[i] != b[i]);
}
END_TEST

/* The tensor form writes what the helper writes, whatever the shape. */
START_TEST(the_tensor_fill_equals_the_helper)
{
    int64_t shape[2] = {37, 29}, n = 37 * 29;
    float *f = xmalloc((size_t)n * sizeof *f), *want_f = xmalloc((size_t)n * sizeof *f);
    double *d = xmalloc((size_t)n * sizeof *d), *want_d = xmalloc((size_t)n * sizeof *d);
    brg_tensor *tf, *td, *ti;
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F32, 2, shape, &tf));
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F64, 2, shape, &td));
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_I32, 2, shape, &ti));
    BRG_ASSERT_OK(brg_fill_uniform(tf, 5, NULL));
    BRG_ASSERT_OK(brg_fill_uniform(td, 5, NULL));
    BRG_ASSERT_STATUS(brg_fill_uniform(ti, 5, NULL), BRG_ERR_DTYPE);
    BRG_ASSERT_STATUS(brg_fill_uniform(NULL, 5, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_OK(brg_tensor_to_host(tf, f, (size_t)n * sizeof *f));
    BRG_ASSERT_OK(brg_tensor_to_host(td, d, (size_t)n * sizeof *d));
    BRG_ASSERT_OK(brg_fill_uniform_f32(brg_test_dev, want_f, n, 5, NULL));
    BRG_ASSERT_OK(brg_fill_uniform_f64(brg_test_dev, want_d, n, 5, NULL));
    ck_assert(memcmp(f, want_f, (size_t)n * sizeof *f) == 0);
    ck_assert(memcmp(d, want_d, (size_t)n * sizeof *d) == 0);
    int64_t zero = 0;
    brg_tensor *empty;
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F64, 1, &zero, &empty));
    BRG_ASSERT_OK(brg_fill_uniform(empty, 5, NULL));
    brg_tensor_free(empty);
    brg_tensor_free(tf);
    brg_tensor_free(td);
    brg_tensor_free(ti);
    free(f);
    free(want_f);
    free(d);
    free(want_d);
}
END_TEST

/* A fill of stream s from element o is the stream's elements o, o + 1, ...:
 * one fill equals the same stream made in two parts, on every device the
 * CPU's bits, and the tensor form and a range read agree. */
START_TEST(streams_and_offsets_continue_a_fill)
{
    enum { N = 1000, CUT = 391 };
    double whole[N], parts[N], cpu_d[N];
    float whole_f[N], parts_f[N];
    brg_fill_options at0 = {7, 0}, at_cut = {7, CUT}, other = {8, 0};
    BRG_ASSERT_OK(brg_fill_uniform_f64(brg_test_dev, whole, N, 11, &at0));
    BRG_ASSERT_OK(brg_fill_uniform_f64(brg_test_dev, parts, CUT, 11, &at0));
    BRG_ASSERT_OK(brg_fill_uniform_f64(brg_test_dev, parts + CUT, N - CUT, 11, &at_cut));
    ck_assert(memcmp(whole, parts, sizeof whole) == 0);
    BRG_ASSERT_OK(brg_fill_uniform_f32(brg_test_dev, whole_f, N, 11, &at0));
    BRG_ASSERT_OK(brg_fill_uniform_f32(brg_test_dev, parts_f, CUT, 11, &at0));
    BRG_ASSERT_OK(brg_fill_uniform_f32(brg_test_dev, parts_f + CUT, N - CUT, 11, &at_cut));
    ck_assert(memcmp(whole_f, parts_f, sizeof whole_f) == 0);
    brg_device *cpu;
    BRG_ASSERT_OK(brg_device_open("cpu", &cpu));
    BRG_ASSERT_OK(brg_fill_uniform_f64(cpu, cpu_d, N, 11, &at0));
    brg_device_close(cpu);
    ck_assert(memcmp(whole, cpu_d, sizeof whole) == 0);
    BRG_ASSERT_OK(brg_fill_uniform_f64(brg_test_dev, parts, N, 11, &other));
    int same = 0;
    for (int i = 0; i < N; i++) same += whole[i] == parts[i];
    ck_assert_int_lt(same, 5); /* another stream: another sequence */
    BRG_ASSERT_OK(brg_fill_uniform_f64(brg_test_dev, parts, N, 11, NULL)); /* stream 0 */
    ck_assert(memcmp(whole, parts, sizeof whole) != 0);

    int64_t n = N - CUT;
    brg_tensor *t;
    BRG_ASSERT_OK(brg_tensor_create(brg_test_dev, BRG_F64, 1, &n, &t));
    BRG_ASSERT_OK(brg_fill_uniform(t, 11, &at_cut));
    double tail[3];
    BRG_ASSERT_OK(brg_tensor_to_host_range(t, n - 3, 3, tail, sizeof tail));
    ck_assert(memcmp(tail, whole + N - 3, sizeof tail) == 0);
    BRG_ASSERT_STATUS(brg_tensor_to_host_range(t, n - 2, 3, tail, sizeof tail), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_tensor_to_host_range(t, -1, 1, tail, sizeof tail), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_tensor_to_host_range(t, 0, 3, tail, 2 * sizeof(double)), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_tensor_to_host_range(NULL, 0, 1, tail, sizeof tail), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_OK(brg_tensor_to_host_range(t, n, 0, NULL, 0)); /* nothing, at the end */
    brg_fill_options bad = {0, -1}, past = {0, INT64_MAX - 2};
    BRG_ASSERT_STATUS(brg_fill_uniform(t, 11, &bad), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_fill_uniform(t, 11, &past), BRG_ERR_OVERFLOW);
    brg_tensor_free(t);
    BRG_ASSERT_STATUS(brg_fill_uniform_f64(brg_test_dev, tail, 3, 11, &bad), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_fill_uniform_f32(brg_test_dev, whole_f, 3, 11, &past), BRG_ERR_OVERFLOW);
}
END_TEST

START_TEST(bad_fill_arguments_return_their_status)
{
    double d[4];
    float f[4];
    BRG_ASSERT_STATUS(brg_fill_uniform_f64(NULL, d, 4, 0, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_fill_uniform_f32(NULL, f, 4, 0, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_fill_uniform_f64(brg_test_dev, d, -1, 0, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_fill_uniform_f64(brg_test_dev, NULL, 4, 0, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_fill_uniform_f32(brg_test_dev, NULL, 4, 0, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_fill_uniform_f64(brg_test_dev, d, INT64_MAX, 0, NULL), BRG_ERR_OVERFLOW);
    BRG_ASSERT_STATUS(brg_fill_uniform_f32(brg_test_dev, f, INT64_MAX, 0, NULL), BRG_ERR_OVERFLOW);
    BRG_ASSERT_OK(brg_fill_uniform_f64(brg_test_dev, NULL, 0, 0, NULL)); /* n == 0 does nothing */
}
END_TEST

static Suite *fill_suite(void)
{
    Suite *s = suite_create("fill");
    TCase *tc = tcase_create("fill");
    brg_test_use_device(tc);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, philox_gives_the_published_answer_for_zero_counter_and_key);
    tcase_add_test(tc, the_device_fill_of_seed_0_starts_with_the_known_answer_converted);
    tcase_add_test(tc, device_fills_equal_the_cpu_bit_for_bit_at_any_length_and_seed);
    tcase_add_test(tc, staging_in_small_batches_gives_the_same_array);
    tcase_add_test(tc, values_are_in_0_1_on_the_documented_grid_and_look_uniform);
    tcase_add_test(tc, different_seeds_give_different_streams);
    tcase_add_test(tc, the_tensor_fill_equals_the_helper);
    tcase_add_test(tc, streams_and_offsets_continue_a_fill);
    tcase_add_test(tc, bad_fill_arguments_return_their_status);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    return brg_test_main(argc, argv, fill_suite);
}

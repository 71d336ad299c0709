/* is_prime on one device: the tutorial's definition against a sieve and a
 * naive trial division, device results equal to the CPU's bit for bit, the
 * integer square root where a double's is wrong, and bad arguments. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "prime.h"
#include "staging.h"

static brg_device *open_cpu(void)
{
    brg_device *cpu = NULL;
    BRG_ASSERT_OK(brg_device_open("cpu", &cpu));
    return cpu;
}

static uint8_t *xmalloc(size_t bytes)
{
    uint8_t *p = malloc(bytes ? bytes : 1);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* An independent is_prime: every divisor d with d * d <= v. */
static int naive_is_prime(int64_t v)
{
    if (v < 2) return 0;
    for (int64_t d = 2; d <= v / d; d++)
        if (v % d == 0) return 0;
    return 1;
}

START_TEST(is_prime_matches_a_sieve_below_100000)
{
    enum { n = 100000 };
    uint8_t *sieve = xmalloc(n), *got = xmalloc(n);
    memset(sieve, 1, n);
    sieve[0] = sieve[1] = 0;
    for (int64_t i = 2; i * i < n; i++)
        if (sieve[i])
            for (int64_t j = i * i; j < n; j += i) sieve[j] = 0;
    BRG_ASSERT_OK(brg_is_prime_range(brg_test_dev, 0, n, got));
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) {
        ck_assert_msg(got[i] == sieve[i], "%s: is_prime(%lld) = %d", brg_test_spec, (long long)i,
                      got[i]);
        ck_assert_int_eq(brg_is_prime(i), sieve[i]);
        count += got[i];
    }
    ck_assert_int_eq(count, 9592);
    free(sieve);
    free(got);
}
END_TEST

START_TEST(is_prime_follows_the_tutorial_for_small_and_negative_numbers)
{
    const int64_t v[] = {INT64_MIN, -7, -2, -1, 0, 1, 2, 3, 4, 9, 25, 49, 9999991};
    const uint8_t want[] = {0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1};
    enum { count = sizeof v / sizeof v[0] };
    for (int i = 0; i < count; i++) {
        uint8_t got = 7;
        ck_assert_int_eq(brg_is_prime(v[i]), want[i]);
        BRG_ASSERT_OK(brg_is_prime_repeat(brg_test_dev, v[i], 1, &got));
        ck_assert_msg(got == want[i], "is_prime(%lld) = %d on %s", (long long)v[i], got,
                      brg_test_spec);
    }
    uint8_t r[5];
    BRG_ASSERT_OK(brg_is_prime_range(brg_test_dev, -3, 5, r)); /* -3..1 */
    for (int i = 0; i < 5; i++) ck_assert_int_eq(r[i], 0);
}
END_TEST

/* floor(sqrt(n)) must be exact where (double)sqrt rounds up: p^2 - 1 for
 * large p, where a float sqrt gives p (harmless) or, for p^2, p - 1 (a
 * composite called prime). */
START_TEST(the_integer_square_root_is_exact_where_a_double_is_not)
{
    const uint64_t roots[] = {1, 2, 3, 65535, 65536, 4294967295ull / 65536, 94906249, 94906265,
                              94906297, 134217689, 3037000493ull, 3037000499ull};
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        uint64_t r = roots[i], sq = r * r;
        ck_assert_uint_eq(brg_isqrt_u64(sq), r);
        ck_assert_uint_eq(brg_isqrt_u64(sq - 1), r - 1);
        ck_assert_uint_eq(brg_isqrt_u64(sq + 1), r);
    }
    ck_assert_uint_eq(brg_isqrt_u64((uint64_t)INT64_MAX), 3037000499ull);
    ck_assert_uint_eq(brg_isqrt_u64((uint64_t)1 << 63), 3037000499ull);
    ck_assert_uint_eq(brg_isqrt_u64(0), 0);
    for (uint64_t n = 0; n < 100000; n++) {
        uint64_t r = brg_isqrt_u64(n);
        ck_assert(r * r <= n && (r + 1) * (r + 1) > n);
    }
}
END_TEST

/* The square of a prime just above 2^26.5 is above 2^53: the whole trial
 * division must reach p. Host arithmetic (shared with every device), so
 * once, on the CPU suite. */
START_TEST(the_square_of_a_prime_above_2_to_53_is_not_prime)
{
    if (strcmp(brg_test_spec, "cpu") != 0) return;
    ck_assert_int_eq(brg_is_prime(94906297), 1);
    ck_assert_int_eq(brg_is_prime((int64_t)94906297 * 94906297), 0);
    ck_assert_int_eq(brg_is_prime(INT64_MAX), 0); /* 7^2 * 73 * 127 * 337 * 92737 * 649657 */
}
END_TEST

/* Device results equal the CPU's for ranges across the 32-bit boundary and
 * up to 2^40, with lengths off every block size. */
START_TEST(device_ranges_equal_the_cpu_bit_for_bit)
{
    const int64_t starts[] = {0, 1, 2, 3, 1000003, ((int64_t)1 << 31) - 300,
                              ((int64_t)1 << 32) - 150, ((int64_t)1 << 40) - 100};
    const int64_t lengths[] = {1, 2, 7, 255, 256, 257, 1000, 4099};
    brg_device *cpu = open_cpu();
    uint8_t *got = xmalloc(4099), *want = xmalloc(4099);
    for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++)
        for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
            int64_t n = lengths[l];
            if (starts[s] >= ((int64_t)1 << 40) - 100 && n > 300) continue; /* seconds each */
            BRG_ASSERT_OK(brg_is_prime_range(brg_test_dev, starts[s], n, got));
            BRG_ASSERT_OK(brg_is_prime_range(cpu, starts[s], n, want));
            ck_assert_msg(memcmp(got, want, (size_t)n) == 0, "%s: start %lld n %lld differs",
                          brg_test_spec, (long long)starts[s], (long long)n);
        }
    brg_device_close(cpu);
    free(got);
    free(want);
}
END_TEST

/* Near 2^31, 2^32 (where the 32-bit loop ends) and 2^40, against the naive
 * test that shares no code with the library. */
START_TEST(is_prime_matches_naive_trial_division_near_2_31_2_32_and_2_40)
{
    const int64_t starts[] = {((int64_t)1 << 31) - 64, ((int64_t)1 << 32) - 64,
                              ((int64_t)1 << 40) - 32};
    uint8_t got[128];
    for (int s = 0; s < 3; s++) {
        int64_t n = s == 2 ? 64 : 128;
        BRG_ASSERT_OK(brg_is_prime_range(brg_test_dev, starts[s], n, got));
        for (int64_t i = 0; i < n; i++)
            ck_assert_msg(got[i] == naive_is_prime(starts[s] + i), "is_prime(%lld) = %d",
                          (long long)(starts[s] + i), got[i]);
    }
}
END_TEST

/* The tutorial's prime_heavy: is_prime(9999991), n times, one per item. */
START_TEST(repeat_gives_the_same_answer_for_every_item)
{
    int64_t n = brg_test_is_emu() ? 3000 : 100000;
    uint8_t *got = xmalloc((size_t)n);
    BRG_ASSERT_OK(brg_is_prime_repeat(brg_test_dev, 9999991, n, got));
    for (int64_t i = 0; i < n; i++) ck_assert_int_eq(got[i], 1);
    BRG_ASSERT_OK(brg_is_prime_repeat(brg_test_dev, 9999991LL * 3, 1001, got));
    for (int64_t i = 0; i < 1001; i++) ck_assert_int_eq(got[i], 0);
    free(got);
}
END_TEST

/* The tutorial's prime_range at its largest size: 78498 primes below 10^6. */
START_TEST(prime_range_counts_78498_primes_below_a_million)
{
    int64_t n = 1000000;
    uint8_t *got = xmalloc((size_t)n);
    BRG_ASSERT_OK(brg_is_prime_range(brg_test_dev, 0, n, got));
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) count += got[i];
    ck_assert_int_eq(count, 78498);
    free(got);
}
END_TEST

/* Only devices with their own memory stage: batches of 1000 bytes. */
START_TEST(staging_in_small_batches_gives_the_same_bytes)
{
    brg_device *cpu = open_cpu();
    uint8_t *got = xmalloc(4099), *want = xmalloc(4099);
    brg_test_set_staging_bytes(1000);
    BRG_ASSERT_OK(brg_is_prime_range(brg_test_dev, 7, 4099, got));
    BRG_ASSERT_OK(brg_is_prime_repeat(brg_test_dev, 101, 2500, got + 1000));
    brg_test_set_staging_bytes(0);
    BRG_ASSERT_OK(brg_is_prime_range(cpu, 7, 1000, want));
    ck_assert(memcmp(got, want, 1000) == 0);
    for (int i = 1000; i < 3500; i++) ck_assert_int_eq(got[i], 1);
    BRG_ASSERT_OK(brg_is_prime_range(cpu, 3507, 599, want));
    ck_assert(memcmp(got + 3500, want, 599) == 0);
    brg_device_close(cpu);
    free(got);
    free(want);
}
END_TEST

START_TEST(bad_prime_arguments_return_their_status)
{
    uint8_t r[16];
    BRG_ASSERT_STATUS(brg_is_prime_range(NULL, 0, 4, r), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_is_prime_repeat(NULL, 0, 4, r), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_is_prime_range(brg_test_dev, 0, -1, r), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_is_prime_repeat(brg_test_dev, 0, -1, r), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_is_prime_range(brg_test_dev, 0, 4, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_is_prime_repeat(brg_test_dev, 0, 4, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_is_prime_range(brg_test_dev, INT64_MAX - 5, 16, r), BRG_ERR_OVERFLOW);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "INT64_MAX"));
    BRG_ASSERT_OK(brg_is_prime_range(brg_test_dev, INT64_MAX - 5, 6, r)); /* up to INT64_MAX */
    for (int i = 0; i < 6; i++) ck_assert_int_eq(r[i], naive_is_prime(INT64_MAX - 5 + i) ? 1 : 0);
    BRG_ASSERT_OK(brg_is_prime_range(brg_test_dev, 0, 0, NULL)); /* n == 0 does nothing */
    BRG_ASSERT_OK(brg_is_prime_repeat(brg_test_dev, 0, 0, NULL));
}
END_TEST

static Suite *primes_suite(void)
{
    Suite *s = suite_create("primes");
    TCase *tc = tcase_create("primes");
    brg_test_use_device(tc);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, is_prime_matches_a_sieve_below_100000);
    tcase_add_test(tc, is_prime_follows_the_tutorial_for_small_and_negative_numbers);
    tcase_add_test(tc, the_integer_square_root_is_exact_where_a_double_is_not);
    tcase_add_test(tc, the_square_of_a_prime_above_2_to_53_is_not_prime);
    tcase_add_test(tc, device_ranges_equal_the_cpu_bit_for_bit);
    tcase_add_test(tc, is_prime_matches_naive_trial_division_near_2_31_2_32_and_2_40);
    tcase_add_test(tc, repeat_gives_the_same_answer_for_every_item);
    tcase_add_test(tc, prime_range_counts_78498_primes_below_a_million);
    tcase_add_test(tc, staging_in_small_batches_gives_the_same_bytes);
    tcase_add_test(tc, bad_prime_arguments_return_their_status);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    return brg_test_main(argc, argv, primes_suite);
}

/* brigade's Philox4x32-10 (src/shared/philox.h) against Random123's own, the
 * reference implementation: the raw generator for many keys and counters,
 * and each device's fills against Random123's words put through the
 * documented conversions. Random123 (librandom123-dev, header-only) is used
 * here only, never by the library; without it this suite reports skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "philox.h"
#include "philox_host.h"

#ifdef BRG_HAVE_RANDOM123
#include <Random123/philox.h>

static philox4x32_ctr_t reference_block(uint64_t seed, uint64_t stream, uint64_t block)
{
    philox4x32_ctr_t c = {{(uint32_t)block, (uint32_t)(block >> 32), (uint32_t)stream,
                           (uint32_t)(stream >> 32)}};
    philox4x32_key_t k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    return philox4x32(c, k);
}

static void assert_same_block(brg_philox4x32 ours, philox4x32_ctr_t theirs, const char *what)
{
    for (int w = 0; w < 4; w++)
        ck_assert_msg(ours.v[w] == theirs.v[w], "%s: word %d is %08x, Random123 gives %08x", what,
                      w, ours.v[w], theirs.v[w]);
}

START_TEST(philox_equals_random123_for_many_keys_and_counters)
{
    uint64_t rng = 123;
    for (int t = 0; t < 200000; t++) {
        brg_philox4x32 ctr;
        for (int w = 0; w < 4; w++) ctr.v[w] = (uint32_t)brg_test_rand_u64(&rng);
        uint64_t key = brg_test_rand_u64(&rng);
        philox4x32_ctr_t c = {{ctr.v[0], ctr.v[1], ctr.v[2], ctr.v[3]}};
        philox4x32_key_t k = {{(uint32_t)key, (uint32_t)(key >> 32)}};
        assert_same_block(brg_philox4x32_10(ctr, (uint32_t)key, (uint32_t)(key >> 32)),
                          philox4x32(c, k), "random counter and key");
    }
}
END_TEST

/* Counters and keys at their edges, where carries and wraps happen. */
START_TEST(philox_equals_random123_at_edge_counters_and_keys)
{
    const uint64_t edges[] = {0, 1, 0xffffffffull, 0x100000000ull, UINT64_MAX - 1, UINT64_MAX};
    for (int s = 0; s < 6; s++)
        for (int st = 0; st < 6; st++)
            for (int b = 0; b < 6; b++)
                assert_same_block(brg_philox_block(edges[s], edges[st], edges[b]),
                                  reference_block(edges[s], edges[st], edges[b]), "edge");
}
END_TEST

/* The device's fills are Random123's words through the documented
 * conversions: f32 (x >> 8) * 2^-24, f64 ((x0 << 21) | (x1 >> 11)) * 2^-53. */
START_TEST(device_fills_are_random123_words_converted_as_documented)
{
    enum { n = 1003 };
    const uint64_t seeds[] = {0, 1, 0x123456789abcdefull, UINT64_MAX};
    float *f = malloc(n * sizeof *f);
    double *d = malloc(n * sizeof *d);
    ck_assert(f && d);
    for (int s = 0; s < 4; s++) {
        BRG_ASSERT_OK(brg_fill_uniform_f32(brg_test_dev, f, n, seeds[s], NULL));
        BRG_ASSERT_OK(brg_fill_uniform_f64(brg_test_dev, d, n, seeds[s], NULL));
        for (int64_t e = 0; e < n; e++) {
            philox4x32_ctr_t r = reference_block(seeds[s], 0, (uint64_t)e / 4);
            ck_assert_float_eq(f[e], (float)(r.v[e % 4] >> 8) * 0x1p-24f);
            r = reference_block(seeds[s], 0, (uint64_t)e / 2);
            int j = (int)(e % 2);
            uint64_t bits = ((uint64_t)r.v[2 * j] << 21) | (r.v[2 * j + 1] >> 11);
            ck_assert_double_eq(d[e], (double)bits * 0x1p-53);
        }
    }
    free(f);
    free(d);
}
END_TEST

/* The host fills (AVX2 lanes where the CPU has them) give the serial loops'
 * values for every alignment of first and n, and Random123's words where
 * the block counter carries into its high word (lanes straddling 2^32). */
START_TEST(host_fills_equal_the_serial_loops_and_random123)
{
    enum { n = 300 };
    float f[n], fs[n];
    double d[n], ds[n];
    const uint64_t seed = 0x0123456789abcdefull, stream = 5;
    for (int64_t first = 0; first < 12; first++)
        for (int64_t len = 0; len <= n; len += (len < 40 ? 1 : 37)) {
            brg_philox_fill_f32_host(seed, stream, first, len, f);
            brg_philox_fill_f32(seed, stream, first, len, fs);
            ck_assert_int_eq(memcmp(f, fs, (size_t)len * sizeof *f), 0);
            brg_philox_fill_f64_host(seed, stream, first, len, d);
            brg_philox_fill_f64(seed, stream, first, len, ds);
            ck_assert_int_eq(memcmp(d, ds, (size_t)len * sizeof *d), 0);
        }
    const int64_t f32_first = 4 * (((int64_t)1 << 32) - 3), f64_first = 2 * (((int64_t)1 << 32) - 3);
    brg_philox_fill_f32_host(seed, stream, f32_first, n, f);
    brg_philox_fill_f64_host(seed, stream, f64_first, n, d);
    for (int64_t i = 0; i < n; i++) {
        int64_t e = f32_first + i;
        philox4x32_ctr_t r = reference_block(seed, stream, (uint64_t)e / 4);
        ck_assert_float_eq(f[i], (float)(r.v[e % 4] >> 8) * 0x1p-24f);
        e = f64_first + i;
        r = reference_block(seed, stream, (uint64_t)e / 2);
        int j = (int)(e % 2);
        uint64_t bits = ((uint64_t)r.v[2 * j] << 21) | (r.v[2 * j + 1] >> 11);
        ck_assert_double_eq(d[i], (double)bits * 0x1p-53);
    }
}
END_TEST

static Suite *philox_suite(void)
{
    Suite *s = suite_create("philox");
    TCase *tc = tcase_create("philox");
    brg_test_use_device(tc);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, philox_equals_random123_for_many_keys_and_counters);
    tcase_add_test(tc, philox_equals_random123_at_edge_counters_and_keys);
    tcase_add_test(tc, device_fills_are_random123_words_converted_as_documented);
    tcase_add_test(tc, host_fills_equal_the_serial_loops_and_random123);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    return brg_test_main(argc, argv, philox_suite);
}

#else

int main(void)
{
    printf("SKIP: Random123 headers not found (<Random123/philox.h>; Debian: apt-get install "
           "librandom123-dev): brigade's Philox is not compared with the reference here\n");
    return BRG_TEST_SKIP;
}

#endif

#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *brg_test_spec = "cpu";
brg_device *brg_test_dev;

/* BRG_TEST_TIMES=1 prints each test's seconds (after Check's own line in
 * CK_VERBOSITY=verbose output), to keep emulated and sanitized runs short. */
static double test_started;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void open_device(void)
{
    test_started = now_seconds();
    brg_status st = brg_device_open(brg_test_spec, &brg_test_dev);
    ck_assert_msg(st == BRG_OK, "cannot open %s: %s", brg_test_spec, brg_last_error());
}

static void close_device(void)
{
    brg_device_close(brg_test_dev);
    brg_test_dev = NULL;
    if (getenv("BRG_TEST_TIMES")) fprintf(stderr, "  test took %.2f s\n", now_seconds() - test_started);
}

void brg_test_use_device(TCase *tc)
{
    tcase_add_checked_fixture(tc, open_device, close_device);
}

int brg_test_is_gpu(void)
{
    return strncmp(brg_test_spec, "cuda", 4) == 0 || strncmp(brg_test_spec, "hip", 3) == 0;
}

int brg_test_is_emu(void)
{
    return strncmp(brg_test_spec, "emu", 3) == 0;
}

int brg_test_main(int argc, char **argv, Suite *(*make_suite)(void))
{
    if (argc > 1) brg_test_spec = argv[1];
    SRunner *sr = srunner_create(make_suite());
    if (brg_test_is_gpu()) srunner_set_fork_status(sr, CK_NOFORK);
    /* Probe the device: in the parent only when nothing forks afterwards. */
    if (brg_test_is_gpu() || strcmp(brg_test_spec, "cpu") == 0 || brg_test_is_emu()) {
        brg_device *dev = NULL;
        brg_status st = brg_device_open(brg_test_spec, &dev);
        if (st == BRG_ERR_NO_DEVICE) {
            printf("SKIP: device %s not available: %s\n", brg_test_spec, brg_last_error());
            srunner_free(sr);
            return BRG_TEST_SKIP;
        }
        if (st != BRG_OK) {
            printf("FAIL: cannot open %s: %s\n", brg_test_spec, brg_last_error());
            srunner_free(sr);
            return 1;
        }
        printf("device: %s\n", brg_device_describe(dev));
        brg_device_close(dev);
    }
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

uint64_t brg_test_rand_u64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double brg_test_rand_unit(uint64_t *state)
{
    return (double)(brg_test_rand_u64(state) >> 11) * 0x1.0p-53;
}

void brg_test_fill_f64(double *x, int64_t n, double lo, double hi, uint64_t seed)
{
    for (int64_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * brg_test_rand_unit(&seed);
}

void brg_test_fill_f32(float *x, int64_t n, float lo, float hi, uint64_t seed)
{
    for (int64_t i = 0; i < n; i++) x[i] = (float)(lo + (hi - lo) * brg_test_rand_unit(&seed));
}

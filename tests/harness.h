/* Test harness shared by the Check suites.
 *
 * Each suite binary takes a device spec as its first argument ("cpu",
 * "cuda", "hip:0", "emu:64"...) and runs every case on that device. Where the
 * device is not available the binary prints why and exits with
 * BRG_TEST_SKIP, which ctest reports as skipped. GPU specs run without
 * fork() (CUDA does not survive it) and probe the device only then. */
#ifndef BRG_TEST_HARNESS_H
#define BRG_TEST_HARNESS_H

#include <check.h>
#include <stdint.h>

#include "brigade/brigade.h"

#define BRG_TEST_SKIP 77

/* The spec under test and a device opened on it for the current test
 * (opened by the checked fixture, closed after). */
extern const char *brg_test_spec;
extern brg_device *brg_test_dev;

/* Add the fixture that opens brg_test_dev to a test case. */
void brg_test_use_device(TCase *tc);

/* Run the suite on the spec in argv[1] (default "cpu"); returns the exit code. */
int brg_test_main(int argc, char **argv, Suite *(*make_suite)(void));

/* 1 on GPU specs (cuda, hip), 0 on the CPU and the emulated device. */
int brg_test_is_gpu(void);
/* 1 on the emulated device (slow: keep sizes modest there). */
int brg_test_is_emu(void);

/* Deterministic data. */
uint64_t brg_test_rand_u64(uint64_t *state);
double   brg_test_rand_unit(uint64_t *state);              /* [0, 1) */
void     brg_test_fill_f64(double *x, int64_t n, double lo, double hi, uint64_t seed);
void     brg_test_fill_f32(float *x, int64_t n, float lo, float hi, uint64_t seed);

/* Assert that a call returned the expected status, printing brg_last_error. */
#define BRG_ASSERT_STATUS(call, want)                                                     \
    do {                                                                                  \
        brg_status got_ = (call);                                                         \
        ck_assert_msg(got_ == (want), "%s returned %s, want %s (%s)", #call,              \
                      brg_status_str(got_), brg_status_str(want), brg_last_error());      \
    } while (0)
#define BRG_ASSERT_OK(call) BRG_ASSERT_STATUS(call, BRG_OK)

#endif

/* libFuzzer harness for the one-call helpers: the fuzzer picks the helper,
 * the device spec (valid or garbage), the shapes, k, the budget, the metric
 * and the data (with NaN, Inf and zeros). Every result is checked against
 * the oracle of tests/oracle.c, and every error against the documented
 * status; a mismatch aborts, which libFuzzer reports as a crash. */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>

#include "isa.h"
#include "oracle.h"
#include "topk_screen.h"
#include "brigade/brigade.h"
#include "fuzz_input.h"

#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "fuzz check failed: %s: ", #cond);                            \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fprintf(stderr, " (%s)\n", brg_last_error());                                 \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

static brg_device *devices[3];

static brg_device *pick_device(fuzz_input *in, char *garbage, size_t cap)
{
    static const char *specs[3] = {"cpu", "emu:32", "emu:64"};
    uint8_t which = fuzz_u8(in) % 5;
    if (which < 3) {
        if (!devices[which] && brg_device_open(specs[which], &devices[which]) != BRG_OK) return NULL;
        return devices[which];
    }
    /* A spec made of the input's bytes: must fail cleanly, never crash. */
    size_t n = fuzz_u8(in) % (cap - 1);
    for (size_t i = 0; i < n; i++) garbage[i] = (char)(fuzz_u8(in) % 96 + 32);
    garbage[n] = '\0';
    brg_device *dev = NULL;
    brg_status st = brg_device_open(garbage, &dev);
    CHECK(st == BRG_OK || st == BRG_ERR_INVALID_ARG || st == BRG_ERR_NO_DEVICE, "spec '%s'", garbage);
    CHECK((st == BRG_OK) == (dev != NULL), "handle on failure");
    brg_device_close(dev);
    return NULL;
}

static int all_finite(const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

static void fuzz_mean(brg_device *dev, fuzz_input *in)
{
    int64_t rows = fuzz_u8(in) % 40, cols = fuzz_u64(in, 2) % 700;
    int neg = fuzz_u8(in) % 16 == 0;
    double *x = malloc((size_t)(rows * cols + 1) * sizeof *x), *out = malloc((size_t)(rows + 1) * sizeof *out);
    for (int64_t i = 0; i < rows * cols; i++) x[i] = fuzz_float(in);
    brg_status st = brg_mean_rows_f64(dev, x, neg ? -rows - 1 : rows, cols, out);
    if (neg) {
        CHECK(st == BRG_ERR_INVALID_ARG, "negative rows");
    } else {
        CHECK(st == BRG_OK, "mean_rows %lldx%lld", (long long)rows, (long long)cols);
        for (int64_t r = 0; r < rows; r++) {
            long double mabs, want = oracle_mean_f64(x + r * cols, cols, &mabs);
            /* the documented bound (ops.h): u * mean|x| plus the final rounding */
            int ok = isnan(want) ? isnan(out[r]) : isinf(want) ? out[r] == want
                   : !isfinite(mabs) || fabsl(out[r] - want) <= 0x1p-52L * (mabs + fabsl(want)) + 1e-300L;
            CHECK(ok, "row %lld: got %.17g want %.17Lg", (long long)r, out[r], want);
        }
    }
    free(x);
    free(out);
}

/* The largest sum |q_i b_i| over the database rows (over |q| |b| for cosine):
 * how far a rounded sum of the products can be from the exact one. */
static long double cancellation_scale(const float *q, const float *db, int64_t nb, int64_t dim,
                                      int metric)
{
    long double most = 0;
    for (int64_t r = 0; r < nb; r++) {
        long double abs = 0, qq = 0, bb = 0;
        for (int64_t i = 0; i < dim; i++) {
            abs += fabsl((long double)q[i] * db[r * dim + i]);
            qq += (long double)q[i] * q[i];
            bb += (long double)db[r * dim + i] * db[r * dim + i];
        }
        if (metric == 0) abs = qq > 0 && bb > 0 ? abs / (sqrtl(qq) * sqrtl(bb)) : 0;
        if (abs > most) most = abs;
    }
    return most;
}

static void fuzz_topk(brg_device *dev, fuzz_input *in)
{
    int64_t nq = fuzz_u8(in) % 6, nb = fuzz_u8(in) % 120, dim = fuzz_u8(in) % 24;
    int64_t k = (int64_t)(fuzz_u8(in) % 130) - 2;
    int metric = fuzz_u8(in) % 7 == 0 ? 9 : fuzz_u8(in) % 2;
    size_t budget = fuzz_u8(in) % 3 == 0 ? (size_t)fuzz_u64(in, 3) : 0;
    /* The CPU's bf16 screen (its emulation) as often as its fp32 one. */
    brg_test_topk_screen(fuzz_u8(in) % 2 ? BRG_SCREEN_BF16_EMULATED : -1);
    brg_test_cpu_isa(1 + fuzz_u8(in) % 3); /* the portable, AVX2 or AVX-512 scan (where the CPU has it) */
    size_t nfl = (size_t)((nq + nb) * dim + 1);
    float *data = malloc(nfl * sizeof *data), *s = malloc((size_t)(nq * (k > 0 ? k : 1) + 1) * sizeof *s);
    int64_t *ix = malloc((size_t)(nq * (k > 0 ? k : 1) + 1) * sizeof *ix);
    for (size_t i = 0; i + 1 < nfl; i++) data[i] = fuzz_float(in);
    const float *q = data, *db = data + nq * dim;
    brg_topk_options o = {budget, metric, 0};
    brg_status st = brg_cosine_topk_f32(dev, q, nq, db, nb, dim, k, &o, s, ix);
    brg_test_topk_screen(-1);
    brg_test_cpu_isa(-1);
    int bad_shape = nb < 1 || dim < 1 || k < 1 || k > nb || metric > 1;
    if (bad_shape) {
        CHECK(st == BRG_ERR_INVALID_ARG, "bad shape nq=%lld nb=%lld dim=%lld k=%lld metric=%d",
              (long long)nq, (long long)nb, (long long)dim, (long long)k, metric);
    } else if (nq == 0) {
        CHECK(st == BRG_OK, "nq = 0 is a no-op");
    } else if (!all_finite(data, (nq + nb) * dim)) {
        CHECK(st == BRG_ERR_INVALID_ARG, "NaN or Inf accepted");
    } else if (st == BRG_ERR_INVALID_ARG && budget) {
        CHECK(strstr(brg_last_error(), "minimum"), "a small budget must name the minimum");
    } else {
        CHECK(st == BRG_OK, "valid top-k failed");
        long double *os = malloc((size_t)(nq * k) * sizeof *os);
        int64_t *oi = malloc((size_t)(nq * k) * sizeof *oi);
        oracle_topk(q, nq, db, nb, dim, k, metric, os, oi);
        for (int64_t t = 0; t < nq * k; t++) {
            /* Scores are products summed in double (brigade) and in long
             * double (the oracle): each within about dim * 2^-53 of
             * sum |q_i b_i| (over |q| |b| for cosine) of the exact value,
             * which only matters when the products cancel almost entirely
             * (ops.h). The largest such sum of the query bounds both. */
            long double tol = 1e-5L * (fabsl(os[t]) > 1 ? fabsl(os[t]) : 1) +
                              (long double)(dim + 2) * 0x1p-52L * cancellation_scale(q + (t / k) * dim, db, nb, dim, metric);
            long double truth = oracle_similarity(q + (t / k) * dim, db + ix[t] * dim, dim, metric);
            CHECK(ix[t] >= 0 && ix[t] < nb, "index %lld", (long long)ix[t]);
            CHECK(fabsl(truth - os[t]) <= tol, "rank %lld: row %lld scores %Lg, oracle %Lg",
                  (long long)t, (long long)ix[t], truth, os[t]);
            /* An inner product beyond the float range rounds to +-Inf (ops.h). */
            if (fabsl(os[t]) > FLT_MAX)
                CHECK(isinf(s[t]) && (s[t] > 0) == (os[t] > 0), "rank %lld: %g for %Lg",
                      (long long)t, (double)s[t], os[t]);
            else
                CHECK(fabsl(s[t] - os[t]) <= tol, "rank %lld: score %g row %lld, oracle %Lg",
                      (long long)t, (double)s[t], (long long)ix[t], os[t]);
        }
        free(os);
        free(oi);
    }
    free(data);
    free(s);
    free(ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size};
    char garbage[24];
    uint8_t op = fuzz_u8(&in);
    brg_device *dev = pick_device(&in, garbage, sizeof garbage);
    if (!dev) return 0;
    if (op % 2)
        fuzz_topk(dev, &in);
    else
        fuzz_mean(dev, &in);
    return 0;
}

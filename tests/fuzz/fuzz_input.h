/* Reading a fuzzer's bytes as parameters: every read succeeds (zeros once
 * the input runs out), so any input is a valid test. */
#ifndef BRG_FUZZ_INPUT_H
#define BRG_FUZZ_INPUT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct fuzz_input {
    const uint8_t *p;
    size_t left;
} fuzz_input;

static inline uint8_t fuzz_u8(fuzz_input *in)
{
    if (!in->left) return 0;
    in->left--;
    return *in->p++;
}

static inline uint64_t fuzz_u64(fuzz_input *in, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v = v << 8 | fuzz_u8(in);
    return v;
}

/* Mostly ordinary values, sometimes the ones that break code: 0, -0,
 * NaN, +-Inf, huge, tiny. */
static inline float fuzz_float(fuzz_input *in)
{
    uint8_t kind = fuzz_u8(in);
    switch (kind) {
    case 0: return 0.0f;
    case 1: return -0.0f;
    case 2: return NAN;
    case 3: return INFINITY;
    case 4: return -INFINITY;
    case 5: return 3.0e38f;
    case 6: return 1.0e-40f;
    default: return ((float)fuzz_u8(in) - 128.0f) / 16.0f + (float)kind / 256.0f;
    }
}

#endif

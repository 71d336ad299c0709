/* Private: Philox4x32-10 counter-based random numbers (Salmon et al., SC'11,
 * as Random123 defines them), shared by the CPU backend, the device code
 * (CUDA, HIP, emulated) and the workloads. One source of truth: the same
 * (seed, stream, element) gives bit-identical numbers on every device, and
 * tests/test_philox.c checks this code against Random123 itself.
 *
 * Mapping (documented in workloads/workloads.h):
 *   key     = {seed & 0xffffffff, seed >> 32}
 *   counter = {block & 0xffffffff, block >> 32, stream & 0xffffffff, stream >> 32}
 * One counter block gives four 32-bit words x0..x3.
 *   f32: element e is word e % 4 of block e / 4, as (x >> 8) * 2^-24: the top
 *        24 bits, exactly representable, so every value is k * 2^-24 in
 *        [0, 1 - 2^-24].
 *   f64: element e takes words 2j, 2j+1 (j = e % 2) of block e / 2, as
 *        ((x_2j << 21) | (x_2j+1 >> 11)) * 2^-53: exactly 53 random bits,
 *        every value k * 2^-53 in [0, 1 - 2^-53].
 * Because an element's value depends only on its index, any split of the
 * work (threads, blocks, staging batches) gives the same array. */
#ifndef BRG_PHILOX_H
#define BRG_PHILOX_H

#include <stdint.h>

#ifndef BRG_HD
#define BRG_HD static inline
#endif

typedef struct brg_philox4x32 {
    uint32_t v[4];
} brg_philox4x32;

/* Philox4x32-10 of counter ctr under key {k0, k1}. */
BRG_HD brg_philox4x32 brg_philox4x32_10(brg_philox4x32 ctr, uint32_t k0, uint32_t k1)
{
    for (int round = 0; round < 10; round++) {
        if (round > 0) {               /* the key schedule: Weyl sequence */
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        uint64_t p0 = (uint64_t)0xD2511F53u * ctr.v[0];
        uint64_t p1 = (uint64_t)0xCD9E8D57u * ctr.v[2];
        brg_philox4x32 next = {{(uint32_t)(p1 >> 32) ^ ctr.v[1] ^ k0, (uint32_t)p1,
                                (uint32_t)(p0 >> 32) ^ ctr.v[3] ^ k1, (uint32_t)p0}};
        ctr = next;
    }
    return ctr;
}

/* The four words of counter block `block` of (seed, stream). */
BRG_HD brg_philox4x32 brg_philox_block(uint64_t seed, uint64_t stream, uint64_t block)
{
    brg_philox4x32 ctr = {{(uint32_t)block, (uint32_t)(block >> 32), (uint32_t)stream,
                           (uint32_t)(stream >> 32)}};
    return brg_philox4x32_10(ctr, (uint32_t)seed, (uint32_t)(seed >> 32));
}

BRG_HD float brg_philox_to_f32(uint32_t x)
{
    return (float)(x >> 8) * 0x1p-24f;
}

BRG_HD double brg_philox_to_f64(uint32_t hi, uint32_t lo)
{
    return (double)(((uint64_t)hi << 21) | (lo >> 11)) * 0x1p-53;
}

/* Elements [first, first + n) of the f32 / f64 stream of (seed, stream):
 * the serial form, for host loops. */
BRG_HD void brg_philox_fill_f32(uint64_t seed, uint64_t stream, int64_t first, int64_t n,
                                float *out)
{
    for (int64_t i = 0; i < n;) {
        int64_t e = first + i;
        brg_philox4x32 r = brg_philox_block(seed, stream, (uint64_t)e / 4);
        for (int w = (int)(e % 4); w < 4 && i < n; w++) out[i++] = brg_philox_to_f32(r.v[w]);
    }
}

BRG_HD void brg_philox_fill_f64(uint64_t seed, uint64_t stream, int64_t first, int64_t n,
                                double *out)
{
    for (int64_t i = 0; i < n;) {
        int64_t e = first + i;
        brg_philox4x32 r = brg_philox_block(seed, stream, (uint64_t)e / 2);
        for (int j = (int)(e % 2); j < 2 && i < n; j++)
            out[i++] = brg_philox_to_f64(r.v[2 * j], r.v[2 * j + 1]);
    }
}

#endif

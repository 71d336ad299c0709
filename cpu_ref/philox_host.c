/* Philox fills on the host, eight counter blocks at a time in AVX2 lanes.
 *
 * One block's ten rounds are a chain of dependent 32 x 32 -> 64-bit
 * multiplies, about 60 cycles, and the scalar loop runs one chain at a
 * time: ~14 ns per double here, where NumPy's Mersenne Twister takes ~2.
 * Eight blocks side by side (word w of block l in lane l of vector w) turn a
 * round into four vpmuludq (even and odd lanes of the two multiplied words)
 * and a few shifts, blends and xors for all eight. The values are exactly
 * brg_philox_block's; without AVX2 (or under ThreadSanitizer, like the
 * other AVX2 paths) the scalar loops of philox.h run. */
#include "philox_host.h"

#include "isa.h"
#include "philox.h"

enum { LANES = 8 };

#if BRG_ISA_X86
#include <immintrin.h>
#define BRG_PHILOX_AVX2 1

/* The high and low 32 bits of x[l] * m for the eight lanes of x. */
__attribute__((target("avx2"))) static inline void mul_hi_lo(__m256i x, __m256i m, __m256i *hi,
                                                              __m256i *lo)
{
    __m256i even = _mm256_mul_epu32(x, m);                       /* lanes 0, 2, 4, 6 */
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), m); /* lanes 1, 3, 5, 7 */
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

/* Blocks block .. block + 7 of (seed, stream): word v of block + l in w[v][l]. */
__attribute__((target("avx2"))) static void blocks8_avx2(uint64_t seed, uint64_t stream,
                                                         uint64_t block, uint32_t w[4][LANES])
{
    uint32_t lo[LANES], hi[LANES];
    for (int l = 0; l < LANES; l++) {
        lo[l] = (uint32_t)(block + (uint64_t)l);
        hi[l] = (uint32_t)((block + (uint64_t)l) >> 32);
    }
    __m256i x0 = _mm256_loadu_si256((const __m256i *)lo);
    __m256i x1 = _mm256_loadu_si256((const __m256i *)hi);
    __m256i x2 = _mm256_set1_epi32((int)(uint32_t)stream);
    __m256i x3 = _mm256_set1_epi32((int)(uint32_t)(stream >> 32));
    const __m256i m0 = _mm256_set1_epi64x(0xD2511F53), m1 = _mm256_set1_epi64x(0xCD9E8D57);
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        if (round > 0) { /* the key schedule: Weyl sequence */
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        __m256i hi0, lo0, hi1, lo1;
        mul_hi_lo(x0, m0, &hi0, &lo0);
        mul_hi_lo(x2, m1, &hi1, &lo1);
        __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi1, x1), _mm256_set1_epi32((int)k0));
        __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), _mm256_set1_epi32((int)k1));
        x0 = n0;
        x1 = lo1;
        x2 = n2;
        x3 = lo0;
    }
    _mm256_storeu_si256((__m256i *)w[0], x0);
    _mm256_storeu_si256((__m256i *)w[1], x1);
    _mm256_storeu_si256((__m256i *)w[2], x2);
    _mm256_storeu_si256((__m256i *)w[3], x3);
}

#endif

void brg_philox_fill_f32_host(uint64_t seed, uint64_t stream, int64_t first, int64_t n,
                              float *out)
{
    int64_t i = 0;
#if BRG_PHILOX_AVX2
    if (brg_cpu_isa() >= BRG_ISA_AVX2) {
        while (i < n && (first + i) % 4 != 0) i++; /* the head, up to a block boundary */
        brg_philox_fill_f32(seed, stream, first, i, out);
        uint32_t w[4][LANES];
        for (; n - i >= 4 * LANES; i += 4 * LANES) {
            blocks8_avx2(seed, stream, (uint64_t)(first + i) / 4, w);
            for (int l = 0; l < LANES; l++)
                for (int v = 0; v < 4; v++) out[i + 4 * l + v] = brg_philox_to_f32(w[v][l]);
        }
    }
#endif
    brg_philox_fill_f32(seed, stream, first + i, n - i, out + i);
}

void brg_philox_fill_f64_host(uint64_t seed, uint64_t stream, int64_t first, int64_t n,
                              double *out)
{
    int64_t i = 0;
#if BRG_PHILOX_AVX2
    if (brg_cpu_isa() >= BRG_ISA_AVX2) {
        i = (first % 2 != 0 && n > 0) ? 1 : 0; /* the head, up to a block boundary */
        brg_philox_fill_f64(seed, stream, first, i, out);
        uint32_t w[4][LANES];
        for (; n - i >= 2 * LANES; i += 2 * LANES) {
            blocks8_avx2(seed, stream, (uint64_t)(first + i) / 2, w);
            for (int l = 0; l < LANES; l++) {
                out[i + 2 * l] = brg_philox_to_f64(w[0][l], w[1][l]);
                out[i + 2 * l + 1] = brg_philox_to_f64(w[2][l], w[3][l]);
            }
        }
    }
#endif
    brg_philox_fill_f64(seed, stream, first + i, n - i, out + i);
}

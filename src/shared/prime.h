/* Private: the tutorial's is_prime, shared by the CPU backend, the device
 * code (CUDA, HIP, emulated) and the workloads, so that every device answers
 * with the same arithmetic:
 *
 *   n < 2: false; n == 2: true; n even: false; else n is prime unless an odd
 *   i in [3, floor(sqrt(n))] divides it (trial division).
 *
 * floor(sqrt(n)) is exact for every int64_t: a double's square root can be
 * one off once n has more than 53 bits (and n itself is rounded), so the
 * estimate is corrected with integer arithmetic. Numbers below 2^32 take a
 * 32-bit loop: the same answer, and on GPUs 32-bit division is several
 * times cheaper than 64-bit. */
#ifndef BRG_PRIME_H
#define BRG_PRIME_H

#include <math.h>
#include <stdint.h>

#ifndef BRG_HD
#define BRG_HD static inline
#endif

/* floor(sqrt(n)) for n <= 2^63 (every non-negative int64_t): r stays below
 * 2^32, so (r + 1) * (r + 1) cannot wrap. */
BRG_HD uint64_t brg_isqrt_u64(uint64_t n)
{
    uint64_t r = (uint64_t)sqrt((double)n);
    while (r * r > n) r--;
    while ((r + 1) * (r + 1) <= n) r++;
    return r;
}

BRG_HD int brg_is_prime_u32(uint32_t n)
{
    if (n < 2) return 0;
    if (n == 2) return 1;
    if (n % 2 == 0) return 0;
    uint32_t r = (uint32_t)brg_isqrt_u64(n); /* <= 65535: i += 2 cannot wrap */
    for (uint32_t i = 3; i <= r; i += 2)
        if (n % i == 0) return 0;
    return 1;
}

BRG_HD int brg_is_prime_i64(int64_t n)
{
    if (n < 2) return 0;
    if (n <= (int64_t)UINT32_MAX) return brg_is_prime_u32((uint32_t)n);
    uint64_t u = (uint64_t)n;
    if (u % 2 == 0) return 0;
    uint64_t r = brg_isqrt_u64(u); /* < 2^32 */
    for (uint64_t i = 3; i <= r; i += 2)
        if (u % i == 0) return 0;
    return 1;
}

#endif

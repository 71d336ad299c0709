/* Private: compensated summation shared by the CPU backend and the device
 * code (CUDA, HIP, emulated). One source of truth for how partial sums are
 * formed, merged and turned into a mean.
 *
 * A brg_dsum carries the plain running sum s and the exact accumulated
 * rounding error c (Knuth's TwoSum, no branch, no reassociation allowed).
 * The compensated value is s + c while s is finite; once s is Inf or NaN
 * the compensation is meaningless (Inf - Inf) and s itself is the IEEE
 * answer, as NumPy gives it. */
#ifndef BRG_ACCURATE_SUM_H
#define BRG_ACCURATE_SUM_H

#include <stdint.h>

#ifndef BRG_HD
#define BRG_HD static inline
#endif

typedef struct brg_dsum {
    double s; /* plain sum */
    double c; /* accumulated rounding error of s */
} brg_dsum;

BRG_HD brg_dsum brg_dsum_zero(void)
{
    brg_dsum z = {0.0, 0.0};
    return z;
}

/* s += x, keeping the exact rounding error. */
BRG_HD void brg_dsum_add(brg_dsum *a, double x)
{
    double t = a->s + x;
    double z = t - a->s;
    a->c += (a->s - (t - z)) + (x - z);
    a->s = t;
}

/* Merge b into a. */
BRG_HD void brg_dsum_merge(brg_dsum *a, brg_dsum b)
{
    brg_dsum_add(a, b.s);
    a->c += b.c;
}

BRG_HD double brg_dsum_value(brg_dsum a)
{
    double v = a.s + a.c;
    /* s - s is 0 for finite s and NaN for Inf or NaN. */
    return (a.s - a.s == 0.0) ? v : a.s;
}

/* The mean of `count` elements whose sum is a; NaN when count is 0 (NumPy). */
BRG_HD double brg_dsum_mean(brg_dsum a, int64_t count)
{
    if (count == 0) return 0.0 / 0.0;
    return brg_dsum_value(a) / (double)count;
}

#endif

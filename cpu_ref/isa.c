#include "isa.h"

#include <stdatomic.h>

static atomic_int detected; /* 0: not asked yet */
static atomic_int forced = -1;

static int detect(void)
{
#if BRG_ISA_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2")) return BRG_ISA_AVX512;
    if (__builtin_cpu_supports("avx2")) return BRG_ISA_AVX2;
#endif
    return BRG_ISA_PORTABLE;
}

brg_isa brg_cpu_isa(void)
{
    int d = atomic_load_explicit(&detected, memory_order_relaxed);
    if (!d) {
        d = detect();
        atomic_store_explicit(&detected, d, memory_order_relaxed);
    }
    int f = atomic_load_explicit(&forced, memory_order_relaxed);
    return (brg_isa)(f >= BRG_ISA_PORTABLE && f < d ? f : d);
}

void brg_test_cpu_isa(int level)
{
    atomic_store_explicit(&forced, level, memory_order_relaxed);
}

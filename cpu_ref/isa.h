/* Private: which vector instructions the CPU kernels' fast paths use.
 *
 * Fast paths are compiled for their instructions with target attributes
 * and chosen at run time, so that one build runs on every x86-64 CPU (and
 * elsewhere, where only the portable loops exist). Every path computes the
 * same values as the portable one: the choice changes speed, never results.
 * Under ThreadSanitizer only the portable loops run (its build does not
 * instrument the intrinsics' target code reliably). */
#ifndef BRG_ISA_H
#define BRG_ISA_H

typedef enum brg_isa {
    BRG_ISA_PORTABLE = 1,
    BRG_ISA_AVX2 = 2,
    BRG_ISA_AVX512 = 3   /* AVX-512 F (with AVX2) */
} brg_isa;

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_THREAD__)
#define BRG_ISA_X86 1
#else
#define BRG_ISA_X86 0
#endif

/* The best the CPU has (asked once), or the level a test forced. */
brg_isa brg_cpu_isa(void);

/* Tests: run the paths up to level (BRG_ISA_*) only; -1 restores the
 * CPU's own. A level the CPU lacks is not granted. */
void brg_test_cpu_isa(int level);

#endif

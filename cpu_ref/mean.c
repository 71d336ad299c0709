/* CPU mean of chunks (and of rows, its special case): sums in double, four
 * lanes at a time, threaded over chunks or over slices of chunks
 * (src/shared/mean_plan.h).
 *
 * f64: elements are added in pairs (one rounding each), and the pair sums
 * accumulated without error (TwoSum), so a sum is off by at most
 * u * sum|x| (u = 2^-53): log2(n) times tighter than NumPy's pairwise bound.
 * A TwoSum on every element would be exact, but its arithmetic costs ~8% of
 * the memory bandwidth on a 2-core Zen 3 (docs/perf-notes.md); pairing
 * halves it and the kernel reads at the machine's streaming speed. */
#include <string.h>

#include "accurate_sum.h"
#include "alloc.h"
#include "error.h"
#include "mean_plan.h"
#include "parallel.h"
#include "cpu.h"

typedef double brg_v4d __attribute__((vector_size(32)));
typedef float brg_v4f __attribute__((vector_size(16)));

/* s += x lane by lane, the exact error of each addition into c (TwoSum). */
static inline void twosum4(brg_v4d *s, brg_v4d *c, const brg_v4d *xp)
{
    brg_v4d x = *xp;
    brg_v4d t = *s + x;
    brg_v4d z = t - *s;
    *c += (*s - (t - z)) + (x - z);
    *s = t;
}

static brg_dsum reduce_lanes(const brg_v4d *s0, const brg_v4d *c0, const brg_v4d *s1,
                             const brg_v4d *c1)
{
    brg_dsum acc = brg_dsum_zero();
    for (int k = 0; k < 4; k++) {
        brg_dsum a = {(*s0)[k], (*c0)[k]}, b = {(*s1)[k], (*c1)[k]};
        brg_dsum_merge(&acc, a);
        brg_dsum_merge(&acc, b);
    }
    return acc;
}

/* Built for AVX2 and for baseline x86-64, chosen at load time (ifunc). Not
 * under ThreadSanitizer: its instrumented ifunc resolvers run before its
 * runtime is up. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_THREAD__)
#define BRG_CPU_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define BRG_CPU_CLONES
#endif

BRG_CPU_CLONES static brg_dsum brg_cpu_sum_f64_paired(const double *x, int64_t n)
{
    brg_v4d s0 = {0}, c0 = {0}, s1 = {0}, c1 = {0};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        brg_v4d a, b, e, f;
        memcpy(&a, x + i, sizeof a);
        memcpy(&b, x + i + 4, sizeof b);
        memcpy(&e, x + i + 8, sizeof e);
        memcpy(&f, x + i + 12, sizeof f);
        brg_v4d p = a + b, q = e + f;
        twosum4(&s0, &c0, &p);
        twosum4(&s1, &c1, &q);
    }
    brg_dsum acc = reduce_lanes(&s0, &c0, &s1, &c1);
    for (; i < n; i++) brg_dsum_add(&acc, x[i]);
    return acc;
}

/* f32: a float has 24 significant bits, so plain double sums of a block of
 * F32_BLOCK floats lose at most ~2^-43 of the block's magnitude; blocks are
 * then merged exactly (TwoSum). Far more accurate than NumPy's pairwise f32
 * sum, at the cost of one conversion and one add per element. */
enum { F32_BLOCK = 512 };

BRG_CPU_CLONES static brg_dsum brg_cpu_sum_f32_blocked(const float *x, int64_t n)
{
    brg_v4d s0 = {0}, c0 = {0}, s1 = {0}, c1 = {0};
    int64_t i = 0;
    while (i + 8 <= n) {
        int64_t stop = n - i < F32_BLOCK ? i + (n - i) / 8 * 8 : i + F32_BLOCK;
        brg_v4d b0 = {0}, b1 = {0};
        for (; i < stop; i += 8) {
            brg_v4f a, b;
            memcpy(&a, x + i, sizeof a);
            memcpy(&b, x + i + 4, sizeof b);
            b0 += __builtin_convertvector(a, brg_v4d);
            b1 += __builtin_convertvector(b, brg_v4d);
        }
        twosum4(&s0, &c0, &b0);
        twosum4(&s1, &c1, &b1);
    }
    brg_dsum acc = reduce_lanes(&s0, &c0, &s1, &c1);
    for (; i < n; i++) brg_dsum_add(&acc, (double)x[i]);
    return acc;
}

typedef struct mean_job {
    brg_mean_plan plan;
    brg_dtype dtype;
    const void *x;
    void *out;
    brg_dsum *partial; /* chunks * splits, when splits > 1 */
} mean_job;

static brg_dsum sum_range(const mean_job *m, int64_t lo, int64_t hi)
{
    if (m->dtype == BRG_F64) return brg_cpu_sum_f64_paired((const double *)m->x + lo, hi - lo);
    return brg_cpu_sum_f32_blocked((const float *)m->x + lo, hi - lo);
}

static void store_mean(const mean_job *m, int64_t chunk, brg_dsum s)
{
    double v = brg_dsum_mean(s, brg_mean_plan_chunk_len(&m->plan, chunk));
    if (m->dtype == BRG_F64)
        ((double *)m->out)[chunk] = v;
    else
        ((float *)m->out)[chunk] = (float)v;
}

/* Whole chunks [begin, end). */
static void mean_whole_chunks(int64_t begin, int64_t end, void *ctx)
{
    const mean_job *m = ctx;
    for (int64_t c = begin; c < end; c++) {
        int64_t lo = brg_mean_plan_chunk_start(&m->plan, c);
        store_mean(m, c, sum_range(m, lo, lo + brg_mean_plan_chunk_len(&m->plan, c)));
    }
}

/* Slices [begin, end) of split chunks, into m->partial. */
static void sum_slices(int64_t begin, int64_t end, void *ctx)
{
    const mean_job *m = ctx;
    for (int64_t item = begin; item < end; item++) {
        int64_t lo, hi;
        brg_mean_plan_item(&m->plan, item, &lo, &hi);
        m->partial[item] = sum_range(m, lo, hi);
    }
}

enum {
    ITEMS_PER_THREAD = 4,        /* slices per thread when chunks are few */
    MIN_SLICE = 1 << 15,         /* elements; smaller slices cost more than they balance */
    MIN_TASK_ELEMS = 1 << 16     /* elements per scheduled task over whole chunks */
};

brg_status brg_cpu_mean_chunks(void *ctx, brg_dtype dtype, const void *x, int64_t n,
                               int64_t chunks, void *out)
{
    (void)ctx;
    int threads = brg_parallel_threads();
    mean_job m = {.plan = brg_mean_plan_make(n, chunks, (int64_t)threads * ITEMS_PER_THREAD,
                                             MIN_SLICE),
                  .dtype = dtype, .x = x, .out = out, .partial = NULL};
    if (m.plan.splits == 1) {
        int64_t longest = m.plan.q + 1;
        int64_t grain = MIN_TASK_ELEMS / longest + 1;
        int64_t balanced = chunks / ((int64_t)threads * ITEMS_PER_THREAD) + 1;
        brg_parallel_for(chunks, grain < balanced ? grain : balanced, mean_whole_chunks, &m);
        return BRG_OK;
    }
    int64_t items = chunks * m.plan.splits;
    m.partial = brg_malloc((size_t)items * sizeof *m.partial);
    if (!m.partial)
        return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "mean: %lld partial sums", (long long)items);
    brg_parallel_for(items, 1, sum_slices, &m);
    for (int64_t c = 0; c < chunks; c++) {
        brg_dsum s = m.partial[c * m.plan.splits];
        for (int64_t p = 1; p < m.plan.splits; p++) brg_dsum_merge(&s, m.partial[c * m.plan.splits + p]);
        store_mean(&m, c, s);
    }
    brg_free(m.partial);
    return BRG_OK;
}

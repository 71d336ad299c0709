/* CPU cosine / inner-product top-k.
 *
 * For each tile of queries (src/shared/topk_plan.h), brigade's threads take
 * database sub-tiles one at a time: a single-threaded OpenBLAS sgemm writes
 * the sub-tile's scores into the thread's cache-sized buffer, and the thread
 * scans them at once into per-query reservoirs (candidates above the query's
 * current threshold; when a reservoir fills, a quickselect keeps the best
 * and raises the threshold). No score ever goes back to main memory, and
 * OpenBLAS runs one thread per brigade thread, so nothing is oversubscribed.
 * Few queries simply mean few reservoirs: the work is always split across
 * the database.
 *
 * Then, per query: the best candidates by screening score are rescored
 * exactly (src/shared/topk_exact.h) and ranked; when the screening error bound
 * cannot prove that no left-out row belongs in the top k (near-ties, exact
 * duplicates beyond the margin), that query is computed exactly over the
 * whole database instead. */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "parallel.h"
#include "scratch.h"
#include "topk_exact.h"
#include "topk_plan.h"
#include "topk_screen.h"
#include "brigade/ops.h"
#include "cpu.h"
#include "isa.h"

#define DEFAULT_BUDGET ((size_t)256 << 20)

enum {
    TQ_MAX = 512,        /* queries per tile: a GEMM operand that stays in cache */
    TB_SUB_MAX = 1024,   /* database rows per sub-tile: tq x this floats ~ the L3 share */
    TB_SUB_MIN = 128
};

typedef struct cand {
    double s;
    int64_t i;
} cand;

/* ---- OpenBLAS, one thread per caller --------------------------------------------- */

/* OpenBLAS's thread count is process-wide: brigade sets it to 1 while any of
 * its top-k calls run (each of its threads calls sgemm) and restores it
 * after the last. */
static pthread_mutex_t blas_lock = PTHREAD_MUTEX_INITIALIZER;
static int blas_users, blas_saved_threads;

static void blas_single_begin(void)
{
    pthread_mutex_lock(&blas_lock);
    if (blas_users++ == 0) {
        blas_saved_threads = openblas_get_num_threads();
        openblas_set_num_threads(1);
    }
    pthread_mutex_unlock(&blas_lock);
}

static void blas_single_end(void)
{
    pthread_mutex_lock(&blas_lock);
    if (--blas_users == 0) openblas_set_num_threads(blas_saved_threads);
    pthread_mutex_unlock(&blas_lock);
}

/* fork() (a process pool's worker, say) while another thread holds
 * blas_lock would hand the child a lock nobody can release, and the child's
 * first top-k would wait forever. Hold it across the fork instead. A child
 * forked during another thread's top-k keeps OpenBLAS at one thread. */
static void blas_before_fork(void)
{
    pthread_mutex_lock(&blas_lock);
}

static void blas_after_fork_parent(void)
{
    pthread_mutex_unlock(&blas_lock);
}

static void blas_after_fork_child(void)
{
    pthread_mutex_init(&blas_lock, NULL);
}

__attribute__((constructor)) static void blas_register_fork_handlers(void)
{
    pthread_atfork(blas_before_fork, blas_after_fork_parent, blas_after_fork_child);
}

/* ---- selection ------------------------------------------------------------------- */

static int cand_before(const cand *a, const cand *b)
{
    return brg_topk_before(a->s, a->i, b->s, b->i);
}

static int cand_cmp(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    return cand_before(a, b) ? -1 : cand_before(b, a) ? 1 : 0;
}

static void cand_swap(cand *a, cand *b)
{
    cand t = *a;
    *a = *b;
    *b = t;
}

/* Reorder a[0..n) so that a[0..keep) are the best keep (in any order) and
 * a[keep-1] is the keep-th best. Quickselect, median-of-three pivots. */
static void select_best(cand *a, int64_t n, int64_t keep)
{
    int64_t lo = 0, hi = n - 1, want = keep - 1;
    while (hi > lo) {
        int64_t mid = lo + (hi - lo) / 2;
        if (cand_before(&a[mid], &a[lo])) cand_swap(&a[mid], &a[lo]);
        if (cand_before(&a[hi], &a[lo])) cand_swap(&a[hi], &a[lo]);
        if (cand_before(&a[hi], &a[mid])) cand_swap(&a[hi], &a[mid]);
        cand pivot = a[mid];
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (cand_before(&a[i], &pivot)) i++;
            while (cand_before(&pivot, &a[j])) j--;
            if (i <= j) cand_swap(&a[i++], &a[j--]);
        }
        if (want <= j)
            hi = j;
        else if (want >= i)
            lo = i;
        else
            return;
    }
}

/* Floats as order-preserving unsigned keys (a bigger float, a bigger key),
 * so that a threshold can be raised with an atomic max. */
static uint32_t float_key(float v)
{
    uint32_t b;
    v = v + 0.0f; /* -0 and +0 alike */
    memcpy(&b, &v, sizeof b);
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

static float key_float(uint32_t k)
{
    uint32_t b = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* A query's screening candidates in one thread slot: rows above the
 * slot's threshold are appended; a full reservoir drops those below the
 * threshold (it rose since they entered), keeps the best kp by quickselect
 * and raises the threshold to the kp-th. */
typedef struct kept {
    cand *c;          /* capacity kept_cap(kp) */
    int64_t n;
    double theta;     /* rows screening at or below it cannot enter */
    atomic_uint *shared; /* the query's threshold over all slots (a float key) */
} kept;

/* Room for kp and as many arrivals (at least 48) between trims. */
static int64_t kept_cap(int64_t kp)
{
    return kp + (kp > 48 ? kp : 48);
}

/* The threshold a scan may use: the slot's own or the shared one. */
static double kept_threshold(kept *r)
{
    uint32_t key = atomic_load_explicit(r->shared, memory_order_relaxed);
    double shared = key ? (double)key_float(key) : -INFINITY;
    if (shared > r->theta) r->theta = shared;
    return r->theta;
}

/* Any slot's threshold is at most the kp-th best of all candidates, so a
 * row at or below the highest of them cannot be among the kp best: the
 * slots share it and each rejects more. */
static void kept_push(kept *r, int64_t kp, double s, int64_t i)
{
    r->c[r->n].s = s;
    r->c[r->n].i = i;
    if (++r->n < kept_cap(kp)) return;
    const double theta = kept_threshold(r);
    int64_t n = 0;
    for (int64_t x = 0; x < r->n; x++)
        if (r->c[x].s >= theta) r->c[n++] = r->c[x];
    r->n = n;
    if (n <= kp) return;
    select_best(r->c, n, kp);
    r->n = kp;
    r->theta = r->c[kp - 1].s;
    uint32_t key = float_key((float)r->theta), cur = atomic_load_explicit(r->shared, memory_order_relaxed);
    while (key > cur && !atomic_compare_exchange_weak_explicit(r->shared, &cur, key, memory_order_relaxed,
                                                               memory_order_relaxed)) {
    }
}

/* ---- the call's state -------------------------------------------------------------- */

typedef struct slot {
    atomic_int busy;
    float *scores;        /* tq x tb_sub screening scores */
    float *binv;          /* tb_sub database scale factors */
    kept *res;            /* tq queries' candidates */
    float *widened;       /* the bf16 emulation's operands: (tq + tb_sub) x dim; else NULL */
} slot;

/* A prepared index's database rows in bf16 (brg_cpu_topk_prepare). */
typedef struct brg_cpu_prepared {
    uint16_t *rows;       /* nb x dim */
    int16_t *exps;
    double *rho;
    double rho_max;
} brg_cpu_prepared;

/* The database's rows for a bf16 screen; returns their largest residual. */
static double bf16_db_rows(const float *db, int64_t nb, int64_t dim, uint16_t *rows, int16_t *exps,
                           double *rho)
{
    brg_bf16_rows(db, nb, dim, rows, exps, rho);
    double max = 0.0;
    for (int64_t b = 0; b < nb; b++)
        if (rho[b] > max) max = rho[b];
    return max;
}

/* A bf16 screen's rows (topk_screen.h): the database's, converted once per
 * call or kept by an index, and the current query tile's. */
typedef struct bf16_rows {
    uint16_t *db, *q;     /* nb x dim, tq x dim */
    int16_t *db_exp, *q_exp;
    double *db_rho, *q_rho;
    double db_rho_max;
} bf16_rows;

typedef struct topk_job {
    const brg_topk_call *call;
    const double *db_norms;
    double db_max_norm;
    brg_screen_kind screen;
    bf16_rows h;          /* with a bf16 screen */
    int64_t kp, tq, tb_sub;
    int nslots;
    void *work;           /* the block everything below lives in */
    slot *slots;
    cand *res_pool;       /* all slots' candidates */
    atomic_uint *theta;   /* tq shared thresholds (float keys; 0: none yet) */
    /* the current query tile */
    int64_t q0, rows;
    double *qn;           /* the tile's query norms (tq) */
    atomic_int failed;    /* an allocation in the exact fallback failed */
} topk_job;

static slot *acquire_slot(topk_job *j)
{
    for (;;)
        for (int s = 0; s < j->nslots; s++) {
            int expected = 0;
            if (atomic_compare_exchange_weak(&j->slots[s].busy, &expected, 1)) return &j->slots[s];
        }
}

/* A screening score that overflowed (+-Inf, or NaN from Inf - Inf) says
 * nothing about the row: it becomes +Inf, so the row is always a candidate
 * and its exact score decides. */
static inline float screened(float v)
{
    return v >= -FLT_MAX && v <= FLT_MAX ? v : INFINITY;
}

enum { SKIP_BLOCK = 64 };

typedef struct scan_fns {
    /* The first block at or after r (blocks of SKIP_BLOCK up to end) with a
     * hit: its offset, and its hits in *mask; end when none has. */
    int64_t (*next)(const float *row, const float *binv, int64_t r, int64_t end, float qinv, float theta,
                    uint64_t *mask);
    float (*max)(const float *row, const float *binv, float qinv, int len); /* len: 8 | len */
} scan_fns;

/* Almost every block has no hit: the loop over blocks lives in each
 * instruction set's function, not one indirect call per block. */
#define BRG_NEXT_HIT(name, attr, hits)                                                                 \
    attr static int64_t name(const float *row, const float *binv, int64_t r, int64_t end, float qinv, \
                             float theta, uint64_t *mask)                                             \
    {                                                                                                 \
        for (; r < end; r += SKIP_BLOCK) {                                                            \
            uint64_t m = hits(row + r, binv + r, qinv, theta);                                        \
            if (m) {                                                                                  \
                *mask = m;                                                                            \
                return r;                                                                             \
            }                                                                                         \
        }                                                                                             \
        return end;                                                                                   \
    }

/* Which of a block of SKIP_BLOCK scaled scores may be candidates: above
 * theta, or not finite (bit i of the result for score i). Almost every
 * block has none once the reservoir has warmed up, and the rest have one
 * or two, so the scan visits only the set bits. */
static inline uint64_t block_hits_portable(const float *row, const float *binv, float qinv, float theta)
{
    uint64_t mask = 0;
    for (int i = 0; i < SKIP_BLOCK; i++) {
        float v = row[i] * qinv * binv[i];
        if (v > theta || !(v >= -FLT_MAX && v <= FLT_MAX)) mask |= 1ull << i;
    }
    return mask;
}

/* The largest screened score of a block of len (+Inf when any is not
 * finite). */
static float block_max_portable(const float *row, const float *binv, float qinv, int len)
{
    float m = -INFINITY;
    for (int i = 0; i < len; i++) {
        float v = screened(row[i] * qinv * binv[i]);
        m = v > m ? v : m;
    }
    return m;
}

BRG_NEXT_HIT(next_hit_portable, , block_hits_portable)

#if BRG_ISA_X86
#include <immintrin.h>
/* The vector paths compute each score as the portable loops do, (row x qinv)
 * x binv, and test it with two compares: above theta, or |v| not at most
 * FLT_MAX (+-Inf and NaN). */
__attribute__((target("avx2"))) static inline uint64_t block_hits_avx2(const float *row, const float *binv,
                                                                      float qinv, float theta)
{
    const __m256 q = _mm256_set1_ps(qinv), t = _mm256_set1_ps(theta);
    const __m256 hi = _mm256_set1_ps(FLT_MAX), sign = _mm256_set1_ps(-0.0f);
    uint64_t mask = 0;
    for (int i = 0; i < SKIP_BLOCK; i += 8) {
        __m256 v = _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(row + i), q), _mm256_loadu_ps(binv + i));
        __m256 hit = _mm256_or_ps(_mm256_cmp_ps(v, t, _CMP_GT_OQ),
                                  _mm256_cmp_ps(_mm256_andnot_ps(sign, v), hi, _CMP_NLE_UQ));
        mask |= (uint64_t)(unsigned)_mm256_movemask_ps(hit) << i;
    }
    return mask;
}

__attribute__((target("avx2"))) static float block_max_avx2(const float *row, const float *binv, float qinv,
                                                            int len)
{
    const __m256 q = _mm256_set1_ps(qinv);
    const __m256 hi = _mm256_set1_ps(FLT_MAX), sign = _mm256_set1_ps(-0.0f), inf = _mm256_set1_ps(INFINITY);
    __m256 m = _mm256_set1_ps(-INFINITY);
    for (int i = 0; i < len; i += 8) {
        __m256 v = _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(row + i), q), _mm256_loadu_ps(binv + i));
        __m256 finite = _mm256_cmp_ps(_mm256_andnot_ps(sign, v), hi, _CMP_LE_OQ);
        m = _mm256_max_ps(m, _mm256_blendv_ps(inf, v, finite));
    }
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
}

/* AVX-512: sixteen scores a step, and the compares give the mask bits
 * directly (no movemask). */
__attribute__((target("avx512f"))) static inline uint64_t block_hits_avx512(const float *row,
                                                                           const float *binv, float qinv,
                                                                           float theta)
{
    const __m512 q = _mm512_set1_ps(qinv), t = _mm512_set1_ps(theta), hi = _mm512_set1_ps(FLT_MAX);
    uint64_t mask = 0;
    for (int i = 0; i < SKIP_BLOCK; i += 16) {
        __m512 v = _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(row + i), q), _mm512_loadu_ps(binv + i));
        __mmask16 hit = _mm512_cmp_ps_mask(v, t, _CMP_GT_OQ) |
                        _mm512_cmp_ps_mask(_mm512_abs_ps(v), hi, _CMP_NLE_UQ);
        mask |= (uint64_t)hit << i;
    }
    return mask;
}

__attribute__((target("avx512f"))) static float block_max_avx512(const float *row, const float *binv,
                                                                float qinv, int len)
{
    const __m512 q = _mm512_set1_ps(qinv), hi = _mm512_set1_ps(FLT_MAX), inf = _mm512_set1_ps(INFINITY);
    __m512 m = _mm512_set1_ps(-INFINITY);
    for (int i = 0; i < len; i += 16) {
        __mmask16 k = len - i >= 16 ? 0xffff : 0x00ff; /* len is a multiple of 8 */
        __m512 v = _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, row + i), q),
                                 _mm512_maskz_loadu_ps(k, binv + i));
        __mmask16 finite = _mm512_cmp_ps_mask(_mm512_abs_ps(v), hi, _CMP_LE_OQ);
        m = _mm512_mask_max_ps(m, k, m, _mm512_mask_blend_ps(finite, inf, v));
    }
    return _mm512_reduce_max_ps(m);
}
BRG_NEXT_HIT(next_hit_avx2, __attribute__((target("avx2"))), block_hits_avx2)
BRG_NEXT_HIT(next_hit_avx512, __attribute__((target("avx512f"))), block_hits_avx512)
#endif

/* Chosen by the CPU (cpu_ref/isa.h). */
static scan_fns scan_functions(void)
{
#if BRG_ISA_X86
    switch (brg_cpu_isa()) {
    case BRG_ISA_AVX512: return (scan_fns){next_hit_avx512, block_max_avx512};
    case BRG_ISA_AVX2: return (scan_fns){next_hit_avx2, block_max_avx2};
    default: break;
    }
#endif
    return (scan_fns){next_hit_portable, block_max_portable};
}

/* A first threshold for an empty reservoir, from its first row of scores:
 * the kp-th largest of the row's block maxima, lowered by one ulp. The kp
 * rows holding those maxima are distinct and screen above it, so they all
 * enter and the reservoir's kp-th best is at least as high: the slot keeps
 * the invariant of a trimmed one. Without it the first rows all enter, and
 * most are trimmed at once. Blocks of 64, or of 32, 16 or 8 when the row
 * has fewer than kp of them (a short sub-tile, or the bf16 screen's 67
 * candidates: there, without a seed, selection took 65 % of a call). */
static void kept_seed(const float *row, const float *binv, int64_t nbr, float qinv, kept *res,
                      int64_t kp, scan_fns fn)
{
    enum { MAX_BLOCKS = 256 };
    float best[MAX_BLOCKS]; /* the largest kp block maxima, descending */
    int len = SKIP_BLOCK;
    while (len > 8 && nbr / len < kp) len /= 2;
    int64_t blocks = nbr / len, have = 0;
    if (blocks > MAX_BLOCKS) blocks = MAX_BLOCKS;
    if (kp > blocks) return;
    for (int64_t b = 0; b < blocks; b++) {
        float m = fn.max(row + b * len, binv + b * len, qinv, len);
        if (have == kp && !(m > best[kp - 1])) continue;
        int64_t at = have < kp ? have++ : kp - 1;
        while (at > 0 && m > best[at - 1]) {
            best[at] = best[at - 1];
            at--;
        }
        best[at] = m;
    }
    res->theta = (double)nextafterf(best[kp - 1], -INFINITY);
}

/* Offer one query's row of screening scores to its kept candidates. */
static void scan_row(const float *row, const float *binv, int64_t nbr, float qinv, int64_t b0,
                     kept *res, int64_t kp, scan_fns fn)
{
    const int64_t end = nbr / SKIP_BLOCK * SKIP_BLOCK;
    if (res->n == 0 && res->theta == -INFINITY) kept_seed(row, binv, nbr, qinv, res, kp, fn);
    float theta = (float)kept_threshold(res);
    uint64_t hits = 0;
    for (int64_t r = fn.next(row, binv, 0, end, qinv, theta, &hits); r < end;
         r = fn.next(row, binv, r + SKIP_BLOCK, end, qinv, theta, &hits)) {
        for (uint64_t m = hits; m; m &= m - 1) {
            int l = __builtin_ctzll(m);
            float s = screened(row[r + l] * qinv * binv[r + l]);
            if (s > res->theta) {
                kept_push(res, kp, s, b0 + r + l);
                theta = (float)kept_threshold(res);
            }
        }
    }
    for (int64_t r = end; r < nbr; r++) {
        float s = screened(row[r] * qinv * binv[r]);
        if (s > res->theta) kept_push(res, kp, s, b0 + r);
    }
}

/* Screening: sub-tiles [begin, end) of the database against the tile. */
static void screen_subtiles(int64_t begin, int64_t end, void *ctx)
{
    topk_job *j = ctx;
    const brg_topk_call *c = j->call;
    const scan_fns fn = scan_functions();
    slot *s = acquire_slot(j);
    const int bf16 = j->screen != BRG_SCREEN_FP32;
    for (int64_t t = begin; t < end; t++) {
        int64_t b0 = t * j->tb_sub, nbr = c->nb - b0 < j->tb_sub ? c->nb - b0 : j->tb_sub;
        if (!bf16)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)j->rows, (int)nbr,
                        (int)c->dim, 1.0f, c->queries + j->q0 * c->dim, (int)c->dim,
                        c->db + b0 * c->dim, (int)c->dim, 0.0f, s->scores, (int)nbr);
        else if (brg_bf16_gemm_nt(j->screen, j->h.q, j->h.db + b0 * c->dim, s->scores, j->rows,
                                  nbr, c->dim, s->widened) != 0) /* oneDNN failed: emulate */
            brg_bf16_gemm_nt(BRG_SCREEN_BF16_EMULATED, j->h.q, j->h.db + b0 * c->dim, s->scores,
                             j->rows, nbr, c->dim, s->widened);
        /* A bf16 score is of rows scaled by 2^-e: the scale factors take it back. */
        for (int64_t r = 0; r < nbr; r++) {
            double n = j->db_norms[b0 + r];
            float binv = c->metric == BRG_METRIC_INNER_PRODUCT ? 1.0f : n > 0 ? (float)(1.0 / n) : 0.0f;
            s->binv[r] = bf16 ? ldexpf(binv, j->h.db_exp[b0 + r]) : binv;
        }
        for (int64_t q = 0; q < j->rows; q++) {
            double qn = j->qn[q];
            float qinv = c->metric == BRG_METRIC_INNER_PRODUCT ? 1.0f : qn > 0 ? (float)(1.0 / qn) : 0.0f;
            if (bf16) qinv = ldexpf(qinv, j->h.q_exp[q]);
            scan_row(s->scores + q * nbr, s->binv, nbr, qinv, b0, &s->res[q], j->kp, fn);
        }
    }
    atomic_store(&s->busy, 0);
}

/* Every row of the database, exactly: the fallback when screening cannot
 * prove its candidates. */
static int exact_all(const topk_job *j, int64_t q, const float *qv, cand *out_best)
{
    const brg_topk_call *c = j->call;
    cand *all = brg_malloc((size_t)c->nb * sizeof *all);
    if (!all) return 0;
    for (int64_t b = 0; b < c->nb; b++) {
        all[b].s = brg_topk_exact(qv, c->db + b * c->dim, c->dim, j->qn[q], j->db_norms[b], c->metric);
        all[b].i = b;
    }
    select_best(all, c->nb, c->k);
    memcpy(out_best, all, (size_t)c->k * sizeof *all);
    brg_free(all);
    return 1;
}

static void write_query(const topk_job *j, int64_t q, const cand *best)
{
    const brg_topk_call *c = j->call;
    const int64_t gq = j->q0 + q;
    for (int64_t r = 0; r < c->k; r++) {
        c->scores[gq * c->k + r] = (float)best[r].s;
        c->indices[gq * c->k + r] = best[r].i;
    }
}

/* Query q over every row, ranked and written. */
static void finish_exhaustive(topk_job *j, int64_t q, const float *qv, cand *scratch)
{
    if (!exact_all(j, q, qv, scratch)) {
        atomic_store(&j->failed, 1);
        return;
    }
    qsort(scratch, (size_t)j->call->k, sizeof *scratch, cand_cmp);
    write_query(j, q, scratch);
}

/* Merge the slots' candidates of query q, rescore, prove, write the output. */
static void finish_query(topk_job *j, int64_t q, cand *scratch)
{
    const brg_topk_call *c = j->call;
    const int64_t gq = j->q0 + q, k = c->k, kp = j->kp;
    const float *qv = c->queries + gq * c->dim;
    float *out_s = c->scores + gq * k;
    int64_t *out_i = c->indices + gq * k;
    if (j->qn[q] == 0.0) { /* a zero query is similar to nothing: all 0, lowest rows */
        for (int64_t r = 0; r < k; r++) {
            out_s[r] = 0.0f;
            out_i[r] = r;
        }
        return;
    }
    /* The slots hold at least kp candidates: a slot rejects rows only when
     * it holds kp above its threshold (or, seeded, will), or below the
     * shared threshold, which the slot that set it holds kp above. Every row
     * left out screened at or below the kp-th best candidate. So are a
     * slot's candidates below the shared threshold: they are left out too. */
    uint32_t key = atomic_load_explicit(&j->theta[q], memory_order_relaxed);
    const double floor_s = key ? (double)key_float(key) : -INFINITY;
    int64_t n = 0;
    for (int s = 0; s < j->nslots; s++) {
        const kept *res = &j->slots[s].res[q];
        for (int64_t r = 0; r < res->n; r++)
            if (res->c[r].s >= floor_s) scratch[n++] = res->c[r];
    }
    if (n < kp) { /* the invariant broken (a defect): never rank what is not there */
        finish_exhaustive(j, q, qv, scratch);
        return;
    }
    select_best(scratch, n, kp);
    double excluded_max = kp == c->nb ? -INFINITY : scratch[kp - 1].s;
    double err = j->screen == BRG_SCREEN_FP32
                     ? brg_topk_screen_error(c->dim, c->metric, 0, j->qn[q], j->db_max_norm)
                     : brg_topk_screen_bf16_error(c->dim, c->metric, j->h.q_rho[q], j->h.db_rho_max,
                                                  j->qn[q], j->db_max_norm);
    /* Rescore in screening order. The first k give a floor, the lowest of
     * their exact scores; a later candidate screening more than err below it is
     * exactly below it, as is every one after it: it cannot be in the top
     * k, and its row (a cache miss somewhere in the database) is not read. */
    qsort(scratch, (size_t)kp, sizeof *scratch, cand_cmp);
    for (int64_t r = 0; r < k; r++) { /* scattered rows: let their misses overlap */
        const char *row = (const char *)(c->db + scratch[r].i * c->dim);
        for (int64_t off = 0; off < c->dim * (int64_t)sizeof(float); off += 64) __builtin_prefetch(row + off);
    }
    double lowest = INFINITY;
    int64_t n_exact = 0;
    for (; n_exact < kp; n_exact++) {
        cand *x = &scratch[n_exact];
        if (n_exact >= k && x->s + err < lowest) break;
        x->s = brg_topk_exact(qv, c->db + x->i * c->dim, c->dim, j->qn[q], j->db_norms[x->i],
                              c->metric);
        if (n_exact < k && x->s < lowest) lowest = x->s;
    }
    select_best(scratch, n_exact, k);
    qsort(scratch, (size_t)k, sizeof *scratch, cand_cmp);
    if (excluded_max != -INFINITY && !brg_topk_proven(excluded_max, scratch[k - 1].s, err)) {
        finish_exhaustive(j, q, qv, scratch);
        return;
    }
    write_query(j, q, scratch);
}

static void finish_queries(int64_t begin, int64_t end, void *ctx)
{
    topk_job *j = ctx;
    int64_t need = (int64_t)j->nslots * kept_cap(j->kp);
    if (need < j->call->k) need = j->call->k;
    cand *scratch = brg_malloc((size_t)need * sizeof *scratch);
    if (!scratch) {
        atomic_store(&j->failed, 1);
        return;
    }
    for (int64_t q = begin; q < end; q++) finish_query(j, q, scratch);
    brg_free(scratch);
}

/* ---- norms -------------------------------------------------------------------------- */

typedef struct norms_job {
    const float *x;
    int64_t dim;
    double *norms;
    atomic_llong bad;   /* lowest bad row, or INT64_MAX */
} norms_job;

static void norms_range(int64_t begin, int64_t end, void *ctx)
{
    norms_job *n = ctx;
    for (int64_t r = begin; r < end; r++) {
        double v = brg_topk_norm(n->x + r * n->dim, n->dim);
        n->norms[r] = v;
        if (!isfinite(v)) {
            long long cur = atomic_load(&n->bad);
            while (r < cur && !atomic_compare_exchange_weak(&n->bad, &cur, r)) {
            }
        }
    }
}

brg_status brg_cpu_row_norms(void *ctx, const float *x, int64_t rows, int64_t dim, double *norms,
                             int64_t *bad_row)
{
    (void)ctx;
    norms_job n = {.x = x, .dim = dim, .norms = norms};
    atomic_init(&n.bad, INT64_MAX);
    int64_t grain = (1 << 16) / (dim + 1) + 1;
    brg_parallel_for(rows, grain, norms_range, &n);
    long long bad = atomic_load(&n.bad);
    *bad_row = bad == INT64_MAX ? -1 : (int64_t)bad;
    return BRG_OK;
}

/* ---- the call ----------------------------------------------------------------------- */

/* The call's workspace, carved from one block of the device's scratch cache
 * (cpu_ref/scratch.h): per slot a score tile, scale factors and reservoirs
 * (and the bf16 emulation's operands), the shared thresholds and query norms,
 * and a bf16 screen's rows of the database and the query tile. */
static size_t carve(size_t *at, size_t bytes)
{
    size_t start = *at;
    *at += (bytes + 63) / 64 * 64;
    return start;
}

static brg_status alloc_slots(topk_job *j, brg_scratch_cache *cache)
{
    const size_t nslots = (size_t)j->nslots, tq = (size_t)j->tq, tb = (size_t)j->tb_sub;
    const size_t cap = (size_t)kept_cap(j->kp);
    size_t at = 0;
    size_t o_slots = carve(&at, nslots * sizeof(slot));
    size_t o_pool = carve(&at, nslots * tq * cap * sizeof(cand));
    size_t o_theta = carve(&at, tq * sizeof(atomic_uint));
    size_t o_qn = carve(&at, tq * sizeof(double));
    const int bf16 = j->screen != BRG_SCREEN_FP32, emulated = j->screen == BRG_SCREEN_BF16_EMULATED;
    const brg_cpu_prepared *kept_rows = bf16 ? j->call->prepared : NULL;
    const size_t nb = bf16 && !kept_rows ? (size_t)j->call->nb : 0, dim = (size_t)j->call->dim;
    const size_t qb = bf16 ? tq : 0;
    size_t o_hdb = carve(&at, nb * dim * sizeof(uint16_t)), o_hq = carve(&at, qb * dim * sizeof(uint16_t));
    size_t o_hdbe = carve(&at, nb * sizeof(int16_t)), o_hqe = carve(&at, qb * sizeof(int16_t));
    size_t o_hdbr = carve(&at, nb * sizeof(double)), o_hqr = carve(&at, qb * sizeof(double));
    size_t o_slot0 = at;
    size_t o_scores = carve(&at, tq * tb * sizeof(float));
    size_t o_binv = carve(&at, tb * sizeof(float));
    size_t o_res = carve(&at, tq * sizeof(kept));
    size_t o_wide = carve(&at, emulated ? (tq + tb) * dim * sizeof(float) : 0);
    size_t per_slot = at - o_slot0;
    at = o_slot0 + nslots * per_slot;
    size_t got;
    char *base = brg_scratch_take(cache, at, &got);
    if (!base) return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "top-k workspace of %zu bytes", at);
    j->work = base;
    j->slots = (slot *)(base + o_slots);
    j->res_pool = (cand *)(base + o_pool);
    j->theta = (atomic_uint *)(base + o_theta);
    j->qn = (double *)(base + o_qn);
    j->h = (bf16_rows){(uint16_t *)(base + o_hdb), (uint16_t *)(base + o_hq), (int16_t *)(base + o_hdbe),
                       (int16_t *)(base + o_hqe), (double *)(base + o_hdbr), (double *)(base + o_hqr), 0.0};
    if (kept_rows) {
        j->h.db = kept_rows->rows;
        j->h.db_exp = kept_rows->exps;
        j->h.db_rho = kept_rows->rho;
        j->h.db_rho_max = kept_rows->rho_max;
    }
    for (size_t s = 0; s < nslots; s++) {
        char *mine = base + o_slot0 + s * per_slot;
        slot *sl = &j->slots[s];
        atomic_init(&sl->busy, 0);
        sl->scores = (float *)(mine + (o_scores - o_slot0));
        sl->binv = (float *)(mine + (o_binv - o_slot0));
        sl->res = (kept *)(mine + (o_res - o_slot0));
        sl->widened = emulated ? (float *)(mine + (o_wide - o_slot0)) : NULL;
        for (size_t q = 0; q < tq; q++) {
            sl->res[q].c = j->res_pool + (s * tq + q) * cap;
            sl->res[q].shared = &j->theta[q];
        }
    }
    return BRG_OK;
}

static void free_slots(topk_job *j, brg_scratch_cache *cache)
{
    brg_scratch_give(cache, j->work);
}

/* Memory per tile for the planner: per slot, a score buffer and reservoirs
 * (and the bf16 emulation's operands); a bf16 screen's rows of the database
 * (converted once per call, unless an index keeps them) and of the query
 * tile. */
brg_topk_costs brg_cpu_topk_costs(const brg_topk_call *c, int nslots, brg_screen_kind screen)
{
    const int bf16 = screen != BRG_SCREEN_FP32;
    const size_t row_h = (size_t)c->dim * sizeof(uint16_t) + sizeof(int16_t) + sizeof(double);
    const size_t wide = screen == BRG_SCREEN_BF16_EMULATED ? (size_t)nslots * (size_t)c->dim * sizeof(float) : 0;
    int64_t kp = bf16 ? brg_topk_candidates_bf16(c->k, c->nb) : brg_topk_candidates(c->k, c->nb);
    brg_topk_costs k = {0};
    k.fixed = (c->db_norms ? 0 : (size_t)c->nb * sizeof(double)) +
              (bf16 && !c->prepared ? (size_t)c->nb * row_h : 0);
    k.per_query = sizeof(double) + sizeof(atomic_uint) + (bf16 ? row_h : 0) + wide +
                  (size_t)nslots * ((size_t)kept_cap(kp) * sizeof(cand) + sizeof(kept));
    k.per_db_row = (size_t)nslots * sizeof(float) + wide;
    k.per_score = (size_t)nslots * sizeof(float);
    k.tq_max = TQ_MAX;
    k.tb_max = TB_SUB_MAX;
    k.tb_min = TB_SUB_MIN;
    return k;
}

static brg_status run_tiles(topk_job *j)
{
    const brg_topk_call *c = j->call;
    int64_t subtiles = (c->nb + j->tb_sub - 1) / j->tb_sub;
    for (j->q0 = 0; j->q0 < c->nq; j->q0 += j->tq) {
        j->rows = c->nq - j->q0 < j->tq ? c->nq - j->q0 : j->tq;
        int64_t bad = -1;
        brg_cpu_row_norms(NULL, c->queries + j->q0 * c->dim, j->rows, c->dim, j->qn, &bad);
        if (bad >= 0)
            return BRG_ERROR(BRG_ERR_INVALID_ARG, "queries row %lld contains NaN or Inf",
                             (long long)(j->q0 + bad));
        if (j->screen != BRG_SCREEN_FP32)
            brg_bf16_rows(c->queries + j->q0 * c->dim, j->rows, c->dim, j->h.q, j->h.q_exp, j->h.q_rho);
        for (int64_t q = 0; q < j->rows; q++) atomic_init(&j->theta[q], 0u);
        for (int s = 0; s < j->nslots; s++)
            for (int64_t q = 0; q < j->rows; q++) {
                j->slots[s].res[q].n = 0;
                j->slots[s].res[q].theta = -INFINITY;
            }
        brg_parallel_for(subtiles, 1, screen_subtiles, j);
        brg_parallel_for(j->rows, 8, finish_queries, j);
        if (atomic_load(&j->failed))
            return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "top-k: exact rescoring scratch");
    }
    return BRG_OK;
}

/* The screen and the plan: a bf16 screen where it is chosen and its rows fit
 * the budget beside the tiles, else fp32. */
static brg_status plan_call(topk_job *j, brg_topk_plan *plan)
{
    const brg_topk_call *c = j->call;
    size_t budget = c->workspace_bytes ? c->workspace_bytes : DEFAULT_BUDGET;
    j->screen = brg_topk_screen_choose(c);
    if (j->screen != BRG_SCREEN_FP32) {
        brg_topk_costs costs = brg_cpu_topk_costs(c, j->nslots, j->screen);
        if (brg_topk_plan_make(c->nq, c->nb, &costs, budget, plan) == BRG_OK &&
            plan->tb >= (c->nb < TB_SUB_MIN ? c->nb : TB_SUB_MIN)) {
            j->kp = brg_topk_candidates_bf16(c->k, c->nb);
            return BRG_OK;
        }
        brg_clear_error();
        j->screen = BRG_SCREEN_FP32;
    }
    brg_topk_costs costs = brg_cpu_topk_costs(c, j->nslots, BRG_SCREEN_FP32);
    return brg_topk_plan_make(c->nq, c->nb, &costs, budget, plan);
}

brg_status brg_cpu_topk(void *ctx, const brg_topk_call *c)
{
    topk_job j = {.call = c, .kp = brg_topk_candidates(c->k, c->nb),
                  .nslots = brg_parallel_threads()};
    atomic_init(&j.failed, 0);
    brg_topk_plan plan;
    brg_status st = plan_call(&j, &plan);
    if (st != BRG_OK) return st;
    j.tq = plan.tq;
    j.tb_sub = plan.tb;
    /* Sub-tiles are the unit of parallel work: a database of fewer sub-tiles
     * than threads is cut into one per thread (whole blocks of the scan),
     * so that a small call's GEMM runs on every core, not one. */
    int64_t per_thread = (c->nb + j.nslots - 1) / j.nslots;
    per_thread = (per_thread + SKIP_BLOCK - 1) / SKIP_BLOCK * SKIP_BLOCK;
    if (j.nslots > 1 && (c->nb + j.tb_sub - 1) / j.tb_sub < j.nslots && per_thread < j.tb_sub)
        j.tb_sub = per_thread;
    double *own_norms = NULL;
    j.db_norms = c->db_norms;
    j.db_max_norm = c->db_max_norm;
    if (!j.db_norms) {
        own_norms = brg_malloc((size_t)c->nb * sizeof *own_norms);
        if (!own_norms) return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "top-k database norms");
        int64_t bad = -1;
        brg_cpu_row_norms(NULL, c->db, c->nb, c->dim, own_norms, &bad);
        if (bad >= 0) {
            brg_free(own_norms);
            return BRG_ERROR(BRG_ERR_INVALID_ARG, "db row %lld contains NaN or Inf", (long long)bad);
        }
        j.db_max_norm = 0;
        for (int64_t b = 0; b < c->nb; b++)
            if (own_norms[b] > j.db_max_norm) j.db_max_norm = own_norms[b];
        j.db_norms = own_norms;
    }
    brg_scratch_cache *cache = ctx ? ((brg_cpu_ctx *)ctx)->scratch : NULL;
    st = alloc_slots(&j, cache);
    if (st == BRG_OK && j.screen != BRG_SCREEN_FP32 && !c->prepared) /* the database's, once */
        j.h.db_rho_max = bf16_db_rows(c->db, c->nb, c->dim, j.h.db, j.h.db_exp, j.h.db_rho);
    if (st == BRG_OK) {
        blas_single_begin();
        st = run_tiles(&j);
        blas_single_end();
        free_slots(&j, cache);
    }
    brg_free(own_norms);
    return st;
}

/* An index keeps its rows in bf16 where a large enough search would screen
 * in bf16 here: each search then skips their conversion (and the memory it
 * takes). Half the rows' size again. */
brg_status brg_cpu_topk_prepare(void *ctx, const float *db, int64_t nb, int64_t dim, int metric,
                                void **prepared)
{
    (void)ctx;
    (void)metric;
    *prepared = NULL;
    if (!brg_topk_screen_possible(dim)) return BRG_OK;
    brg_cpu_prepared *p = brg_calloc(1, sizeof *p);
    if (p) {
        p->rows = brg_malloc((size_t)(nb * dim) * sizeof(uint16_t));
        p->exps = brg_malloc((size_t)nb * sizeof(int16_t));
        p->rho = brg_malloc((size_t)nb * sizeof(double));
    }
    if (!p || !p->rows || !p->exps || !p->rho) {
        brg_cpu_topk_release(ctx, p);
        return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "index rows in bf16 (%lld x %lld)", (long long)nb,
                         (long long)dim);
    }
    p->rho_max = bf16_db_rows(db, nb, dim, p->rows, p->exps, p->rho);
    *prepared = p;
    return BRG_OK;
}

void brg_cpu_topk_release(void *ctx, void *prepared)
{
    (void)ctx;
    brg_cpu_prepared *p = prepared;
    if (!p) return;
    brg_free(p->rows);
    brg_free(p->exps);
    brg_free(p->rho);
    brg_free(p);
}

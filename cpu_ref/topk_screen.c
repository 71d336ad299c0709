/* The CPU top-k's bf16 screen (topk_screen.h): rows rounded to bf16, the
 * bf16 GEMM (oneDNN, or its emulation), and the error bound that goes with
 * them. */
#include "topk_screen.h"

#include <cblas.h>
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "brigade/ops.h"
#include "isa.h"
#include "parallel.h"

#if defined(BRIGADE_HAVE_DNNL)
#include <oneapi/dnnl/dnnl.h>
#endif
#if !defined(BRIGADE_NO_OPENMP)
#include <omp.h>
#endif

/* ---- rows to bf16 ------------------------------------------------------------------- */

typedef struct bf16_job {
    const float *x;
    int64_t dim;
    uint16_t *out;
    int16_t *exps;
    double *rho;
} bf16_job;

/* Round to nearest even on the bits (no NaN or Inf here: the core refused
 * them), the low 16 bits dropped; a result below 2^-126 is 0. */
static inline uint16_t to_bf16(float v)
{
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    b += 0x7fffu + ((b >> 16) & 1u);
    uint16_t h = (uint16_t)(b >> 16);
    return (h & 0x7f80u) ? h : 0; /* exponent 0: zero or below 2^-126 */
}

static inline float from_bf16(uint16_t h)
{
    uint32_t b = (uint32_t)h << 16;
    float v;
    memcpy(&v, &b, sizeof v);
    return v;
}

/* The exponent e that brings a row's largest magnitude m into [1, 2). */
static int row_exponent(float m)
{
    int e = 0;
    if (m > 0.0f) (void)frexpf(m, &e); /* m in [2^(e-1), 2^e) */
    return e - 1;
}

/* The residual ratio from the scaled row's squares: sqrt(res / norm),
 * widened for the float squares' roundings. */
static double residual_ratio(double norm, double res)
{
    return norm > 0.0 ? sqrt(res / norm) * (1.0 + 0x1p-20) : 0.0;
}

/* Values [from, dim) of a row scaled by 2^-e: rounded into o, their squares
 * and their roundings' squares added to *norm and *res. Scaling by a float
 * power of two is exact; ldexpf covers the rows whose factor is not a
 * normal float. */
static void bf16_values(const float *x, int64_t from, int64_t dim, int e, uint16_t *o, double *norm,
                        double *res)
{
    const int fast = e > -120 && e < 120;
    const float scale = fast ? ldexpf(1.0f, -e) : 1.0f;
    for (int64_t i = from; i < dim; i++) {
        float v = fast ? x[i] * scale : ldexpf(x[i], -e);
        uint16_t h = to_bf16(v);
        float d = v - from_bf16(h); /* exact: v and its rounding share an exponent range */
        o[i] = h;
        *norm += (double)(v * v);
        *res += (double)(d * d);
    }
}

/* One row: its exponent, the scaled values rounded, and the residual. */
static void bf16_row(const float *x, int64_t dim, uint16_t *o, int16_t *exp_out, double *rho)
{
    float m = 0.0f;
    for (int64_t i = 0; i < dim; i++) {
        float a = fabsf(x[i]);
        m = a > m ? a : m; /* finite values: no fmaxf call */
    }
    const int e = row_exponent(m);
    double norm = 0.0, res = 0.0;
    bf16_values(x, 0, dim, e, o, &norm, &res);
    *exp_out = (int16_t)e;
    *rho = residual_ratio(norm, res);
}

#if BRG_ISA_X86
#include <immintrin.h>
/* Lanes 8-15 (AVX-512 F alone: no extractf32x8). */
__attribute__((target("avx512f"))) static inline __m256 high_half(__m512 v)
{
    return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}

/* The same values and bounds sixteen at a time (the sums in another order:
 * double sums of positive terms, far inside the 2^-20 widening). The scalar
 * loop takes the tail, and rows whose factor is not a normal float. */
__attribute__((target("avx512f"))) static void bf16_row_avx512(const float *x, int64_t dim, uint16_t *o,
                                                              int16_t *exp_out, double *rho)
{
    __m512 mv = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= dim; i += 16) mv = _mm512_max_ps(mv, _mm512_abs_ps(_mm512_loadu_ps(x + i)));
    float m = _mm512_reduce_max_ps(mv);
    for (; i < dim; i++) m = fabsf(x[i]) > m ? fabsf(x[i]) : m;
    const int e = row_exponent(m);
    double norm = 0.0, res = 0.0;
    i = 0;
    if (e > -120 && e < 120) {
        const __m512 scale = _mm512_set1_ps(ldexpf(1.0f, -e));
        const __m512i half = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1);
        const __m512i exp_bits = _mm512_set1_epi32(0x7f80);
        __m512d n0 = _mm512_setzero_pd(), n1 = n0, r0 = n0, r1 = n0;
        for (; i + 16 <= dim; i += 16) {
            __m512 v = _mm512_mul_ps(_mm512_loadu_ps(x + i), scale);
            __m512i b = _mm512_castps_si512(v);
            b = _mm512_add_epi32(b, _mm512_add_epi32(half, _mm512_and_si512(_mm512_srli_epi32(b, 16), one)));
            __m512i h = _mm512_srli_epi32(b, 16);
            h = _mm512_maskz_mov_epi32(_mm512_test_epi32_mask(h, exp_bits), h); /* below 2^-126: 0 */
            _mm256_storeu_si256((__m256i *)(o + i), _mm512_cvtepi32_epi16(h));
            __m512 d = _mm512_sub_ps(v, _mm512_castsi512_ps(_mm512_slli_epi32(h, 16)));
            __m512 vv = _mm512_mul_ps(v, v), dd = _mm512_mul_ps(d, d);
            n0 = _mm512_add_pd(n0, _mm512_cvtps_pd(_mm512_castps512_ps256(vv)));
            n1 = _mm512_add_pd(n1, _mm512_cvtps_pd(high_half(vv)));
            r0 = _mm512_add_pd(r0, _mm512_cvtps_pd(_mm512_castps512_ps256(dd)));
            r1 = _mm512_add_pd(r1, _mm512_cvtps_pd(high_half(dd)));
        }
        norm = _mm512_reduce_add_pd(_mm512_add_pd(n0, n1));
        res = _mm512_reduce_add_pd(_mm512_add_pd(r0, r1));
    }
    bf16_values(x, i, dim, e, o, &norm, &res);
    *exp_out = (int16_t)e;
    *rho = residual_ratio(norm, res);
}
#endif

static void bf16_range(int64_t begin, int64_t end, void *ctx)
{
    const bf16_job *j = ctx;
    void (*row)(const float *, int64_t, uint16_t *, int16_t *, double *) = bf16_row;
#if BRG_ISA_X86
    if (brg_cpu_isa() >= BRG_ISA_AVX512) row = bf16_row_avx512;
#endif
    for (int64_t r = begin; r < end; r++)
        row(j->x + r * j->dim, j->dim, j->out + r * j->dim, &j->exps[r], &j->rho[r]);
}

static atomic_llong rows_converted;

int64_t brg_test_bf16_rows_converted(void)
{
    return atomic_load(&rows_converted);
}

void brg_bf16_rows(const float *x, int64_t rows, int64_t dim, uint16_t *out, int16_t *exps,
                   double *rho)
{
    atomic_fetch_add_explicit(&rows_converted, rows, memory_order_relaxed);
    bf16_job j = {x, dim, out, exps, rho};
    brg_parallel_for(rows, (1 << 15) / (dim + 1) + 1, bf16_range, &j);
}

/* ---- oneDNN, opened on first use ---------------------------------------------------- */

#if defined(BRIGADE_HAVE_DNNL)
static struct {
    __typeof__(&dnnl_engine_create) engine_create;
    __typeof__(&dnnl_stream_create) stream_create;
    __typeof__(&dnnl_stream_wait) stream_wait;
    __typeof__(&dnnl_stream_destroy) stream_destroy;
    __typeof__(&dnnl_memory_desc_init_by_tag) md_init;
    __typeof__(&dnnl_matmul_desc_init) matmul_init;
    __typeof__(&dnnl_primitive_desc_create) pd_create;
    __typeof__(&dnnl_primitive_desc_destroy) pd_destroy;
    __typeof__(&dnnl_primitive_create) prim_create;
    __typeof__(&dnnl_primitive_destroy) prim_destroy;
    __typeof__(&dnnl_primitive_execute) execute;
    __typeof__(&dnnl_memory_create) mem_create;
    __typeof__(&dnnl_memory_destroy) mem_destroy;
    __typeof__(&dnnl_get_effective_cpu_isa) effective_isa;
    dnnl_engine_t engine;
    int usable; /* loaded, and its kernels use AVX512-BF16 or AMX here */
} dnnl;
static pthread_once_t dnnl_once = PTHREAD_ONCE_INIT;

#define BIND(field, name)                                                          \
    do {                                                                           \
        void *sym_ = dlsym(lib, name);                                             \
        if (!sym_) return;                                                         \
        memcpy(&dnnl.field, &sym_, sizeof sym_);                                   \
    } while (0)

static void dnnl_load_once(void)
{
    void *lib = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return;
    BIND(engine_create, "dnnl_engine_create");
    BIND(stream_create, "dnnl_stream_create");
    BIND(stream_wait, "dnnl_stream_wait");
    BIND(stream_destroy, "dnnl_stream_destroy");
    BIND(md_init, "dnnl_memory_desc_init_by_tag");
    BIND(matmul_init, "dnnl_matmul_desc_init");
    BIND(pd_create, "dnnl_primitive_desc_create");
    BIND(pd_destroy, "dnnl_primitive_desc_destroy");
    BIND(prim_create, "dnnl_primitive_create");
    BIND(prim_destroy, "dnnl_primitive_destroy");
    BIND(execute, "dnnl_primitive_execute");
    BIND(mem_create, "dnnl_memory_create");
    BIND(mem_destroy, "dnnl_memory_destroy");
    BIND(effective_isa, "dnnl_get_effective_cpu_isa");
    const dnnl_cpu_isa_t bf16 = dnnl_cpu_isa_avx512_core_bf16;
    if ((dnnl.effective_isa() & bf16) != bf16) return; /* slower than sgemm without */
    if (dnnl.engine_create(&dnnl.engine, dnnl_cpu, 0) != dnnl_success) return;
    dnnl.usable = 1; /* the library stays loaded */
}

static int dnnl_usable(void)
{
    pthread_once(&dnnl_once, dnnl_load_once);
    return dnnl.usable;
}

/* One bf16 GEMM through oneDNN on the calling thread: its OpenMP team is
 * held to this thread (brigade's threads are the parallelism), and the
 * caller's OpenMP thread count restored. */
static int dnnl_gemm_nt(const uint16_t *a, const uint16_t *b, float *c, int64_t m, int64_t n,
                        int64_t k)
{
#if !defined(BRIGADE_NO_OPENMP)
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    dnnl_memory_desc_t ad, bd, cd;
    dnnl_dims_t adims = {m, k}, bdims = {k, n}, cdims = {m, n};
    dnnl_matmul_desc_t md;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t p = NULL;
    dnnl_stream_t st = NULL;
    dnnl_memory_t ma = NULL, mb = NULL, mc = NULL;
    int ok = dnnl.md_init(&ad, 2, adims, dnnl_bf16, dnnl_ab) == dnnl_success &&
             dnnl.md_init(&bd, 2, bdims, dnnl_bf16, dnnl_ba) == dnnl_success && /* b^T in place */
             dnnl.md_init(&cd, 2, cdims, dnnl_f32, dnnl_ab) == dnnl_success &&
             dnnl.matmul_init(&md, &ad, &bd, NULL, &cd) == dnnl_success &&
             dnnl.pd_create(&pd, &md, NULL, dnnl.engine, NULL) == dnnl_success &&
             dnnl.prim_create(&p, pd) == dnnl_success &&
             dnnl.stream_create(&st, dnnl.engine, dnnl_stream_default_flags) == dnnl_success &&
             dnnl.mem_create(&ma, &ad, dnnl.engine, (void *)a) == dnnl_success &&
             dnnl.mem_create(&mb, &bd, dnnl.engine, (void *)b) == dnnl_success &&
             dnnl.mem_create(&mc, &cd, dnnl.engine, c) == dnnl_success;
    if (ok) {
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}};
        ok = dnnl.execute(p, st, 3, args) == dnnl_success && dnnl.stream_wait(st) == dnnl_success;
    }
    if (ma) dnnl.mem_destroy(ma);
    if (mb) dnnl.mem_destroy(mb);
    if (mc) dnnl.mem_destroy(mc);
    if (st) dnnl.stream_destroy(st);
    if (p) dnnl.prim_destroy(p);
    if (pd) dnnl.pd_destroy(pd);
#if !defined(BRIGADE_NO_OPENMP)
    omp_set_num_threads(saved);
#endif
    return ok ? 0 : -1;
}
#else
static int dnnl_usable(void)
{
    return 0;
}

static int dnnl_gemm_nt(const uint16_t *a, const uint16_t *b, float *c, int64_t m, int64_t n,
                        int64_t k)
{
    (void)a, (void)b, (void)c, (void)m, (void)n, (void)k;
    return -1;
}
#endif

/* ---- the GEMM ------------------------------------------------------------------------- */

static void widen(const uint16_t *h, int64_t n, float *out)
{
    for (int64_t i = 0; i < n; i++) out[i] = from_bf16(h[i]);
}

int brg_bf16_gemm_nt(brg_screen_kind kind, const uint16_t *a, const uint16_t *b, float *c,
                     int64_t m, int64_t n, int64_t k, float *work)
{
    if (kind == BRG_SCREEN_BF16) return dnnl_gemm_nt(a, b, c, m, n, k);
    float *wa = work, *wb = work + m * k; /* the products of bf16 values are exact in fp32 */
    widen(a, m * k, wa);
    widen(b, n * k, wb);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)k, 1.0f, wa, (int)k,
                wb, (int)k, 0.0f, c, (int)n);
    return 0;
}

/* ---- the choice, the bound, the candidates -------------------------------------------------- */

static atomic_int forced = -1;

void brg_test_topk_screen(int kind)
{
    atomic_store(&forced, kind);
}

/* Without a test's forcing: whether this CPU screens rows of dim in bf16. */
static int bf16_usable(int64_t dim)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    (void)dim;
    return 0; /* oneDNN is not instrumented: tests force the emulation */
#else
    return dim >= 32 && dnnl_usable();
#endif
}

brg_screen_kind brg_topk_screen_choose(const brg_topk_call *c)
{
    int f = atomic_load(&forced);
    if (f == BRG_SCREEN_FP32 || f == BRG_SCREEN_BF16_EMULATED) return (brg_screen_kind)f;
#if defined(__SANITIZE_THREAD__) /* oneDNN's OpenMP is not instrumented: its emulation instead */
    if (f == BRG_SCREEN_BF16) return BRG_SCREEN_BF16_EMULATED;
#endif
    if (f == BRG_SCREEN_BF16) return dnnl_usable() ? BRG_SCREEN_BF16 : BRG_SCREEN_BF16_EMULATED;
    /* Measured on Zen 5 (docs/perf-notes.md): bf16 pays from about 5e9
     * multiply-adds (0.5x the fp32 time at 1e10 and up); below, oneDNN's
     * per-tile set-up and the wider candidate lists cost more than the
     * GEMM saves (2.7x at 1e8, even at 2.6e9). */
    double work = (double)c->nq * (double)c->nb * (double)c->dim;
    return work >= 5e9 && bf16_usable(c->dim) ? BRG_SCREEN_BF16 : BRG_SCREEN_FP32;
}

int brg_topk_screen_possible(int64_t dim)
{
    int f = atomic_load(&forced);
    return f >= 0 ? f != BRG_SCREEN_FP32 : bf16_usable(dim);
}

double brg_topk_screen_bf16_error(int64_t dim, int metric, double rho_q, double rho_b,
                                  double qnorm, double max_bnorm)
{
    double rel = rho_q + rho_b + rho_q * rho_b +
                 ((double)dim + 8.0) * 0x1p-24 * (1.0 + rho_q) * (1.0 + rho_b) + 1e-12;
    return metric == BRG_METRIC_INNER_PRODUCT ? rel * qnorm * max_bnorm : rel;
}

int64_t brg_topk_candidates_bf16(int64_t k, int64_t nb)
{
    int64_t m = k / 2 > 64 ? k / 2 : 64;
    return k + m < nb ? k + m : nb;
}

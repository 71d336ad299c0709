/* The machine's ceilings, measured like the workloads (a warm-up, then the
 * median: a best-of ceiling against a median workload measures the noise):
 * CPU read bandwidth, OpenBLAS sgemm, and a device's copy bandwidth. */
#include "bench.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CEILING_RUNS = 7, SLICES_PER_THREAD = 16 };

#define MIB ((size_t)1 << 20)
#define CEILING_BYTES ((size_t)1 << 30) /* far above any L3 of today */
#define CEILING_MIN_BYTES (64 * MIB)    /* floor under --scale or short memory */

/* The CPU model as the library's cpu device names it ("cpu: MODEL, N threads"). */
static void cpu_model(char *out, size_t cap)
{
    brg_device *cpu = NULL;
    const char *d = brg_device_open("cpu", &cpu) == BRG_OK ? brg_device_describe(cpu) : "";
    const char *model = strstr(d, ": "), *end = strrchr(d, ',');
    if (model && end > model)
        snprintf(out, cap, "%.*s", (int)(end - model - 2), model + 2);
    else
        snprintf(out, cap, "unknown CPU");
    brg_device_close(cpu);
}

/* The ceiling buffer: 1 GiB, less when memory is short (a quarter of what
 * is available) or under --scale, never below 64 MiB. */
static size_t ceiling_bytes(const brg_bench_options *opts, size_t available)
{
    size_t bytes = CEILING_BYTES;
    if (opts->scale < 1.0) bytes = (size_t)((double)bytes * opts->scale);
    if (available > 0 && bytes > available / 4) bytes = available / 4;
    if (bytes < CEILING_MIN_BYTES) bytes = CEILING_MIN_BYTES;
    return bytes / MIB * MIB;
}

/* The CPU read pass (the pool's threads wait for each map) or a device copy. */
struct brg_bench_probe {
    brg_pool *pool;
    double *buffer, *sums;           /* sums: one per slice, so the reads stay */
    int64_t slices;
    brg_device *dev;
    brg_tensor *src, *dst;
    size_t bytes;
};

/* Eight independent sums: no loop-carried dependency longer than one add
 * per eight loads, and a shape GCC and Clang vectorise at -O2/-O3 without
 * -ffast-math (each accumulator is its own lane). */
static double sum_doubles(const double *x, size_t n)
{
    double a[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) a[j] += x[i + j];
    for (; i < n; i++) a[0] += x[i];
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

/* Slice i of the buffer, on 64-byte boundaries: whole cache lines. */
static brg_status read_slice(int64_t i, void *result, void *ctx)
{
    const brg_bench_probe *p = ctx;
    size_t lines = p->bytes / 64, s = (size_t)p->slices;
    size_t b = lines * (size_t)i / s * 8, e = lines * (size_t)(i + 1) / s * 8;
    *(double *)result = sum_doubles(p->buffer + b, e - b);
    return BRG_OK;
}

double brg_bench_probe_gbs(brg_bench_probe *p)
{
    double t0 = brg_bench_now();
    brg_status st = p->pool ? brg_pool_map(p->pool, read_slice, p, p->slices, p->sums,
                                           sizeof *p->sums, NULL)
                            : brg_tensor_copy(p->dst, p->src);
    if (st == BRG_OK && !p->pool) st = brg_device_synchronize(p->dev);
    double s = brg_bench_now() - t0;
    /* a copy reads and writes each byte */
    return st == BRG_OK && s > 0 ? (p->pool ? 1.0 : 2.0) * (double)p->bytes / s / 1e9 : NAN;
}

void brg_bench_probe_free(brg_bench_probe *p)
{
    if (!p) return;
    brg_pool_free(p->pool);
    free(p->buffer);
    free(p->sums);
    brg_tensor_free(p->dst);
    brg_tensor_free(p->src);
    free(p);
}

/* One warm-up, then the median and the best of CEILING_RUNS runs (GB/s). */
static int probe_runs(brg_bench_probe *p, double *median, double *best)
{
    double gbs[CEILING_RUNS];
    if (isnan(brg_bench_probe_gbs(p))) return 0;
    for (int r = 0; r < CEILING_RUNS; r++)
        if (isnan(gbs[r] = brg_bench_probe_gbs(p))) return 0;
    *median = brg_bench_median(gbs, CEILING_RUNS);
    *best = gbs[CEILING_RUNS - 1]; /* sorted */
    return 1;
}

static brg_bench_probe *read_probe_new(const brg_bench_options *opts, int threads)
{
    size_t bytes = ceiling_bytes(opts, brg_bench_host_available());
    brg_bench_probe *p = calloc(1, sizeof *p);
    if (p) {
        while (!(p->buffer = aligned_alloc(64, bytes)) && bytes / 2 >= CEILING_MIN_BYTES)
            bytes /= 2;
        p->bytes = bytes;
        p->slices = (int64_t)threads * SLICES_PER_THREAD;
        p->sums = calloc((size_t)p->slices, sizeof *p->sums);
    }
    /* Pages must be written before they are read: an untouched buffer maps
     * the shared zero page and its "reads" hit the cache. */
    brg_pool_options o = {.kind = BRG_POOL_THREADS, .workers = threads};
    if (!p || !p->buffer || !p->sums ||
        brg_bench_fill(p->buffer, BRG_F64, (int64_t)(bytes / sizeof(double)), 14) != BRG_OK ||
        brg_pool_create(&o, &p->pool) != BRG_OK) {
        fprintf(stderr, "bench: mem_read_gbs not measured: no %zu MiB buffer or %d threads\n",
                bytes / MIB, threads);
        brg_bench_probe_free(p);
        return NULL;
    }
    return p;
}

enum { SGEMM_BIG = 2048, SGEMM_SMALL = 1024 };

static double sgemm_seconds(int n, const float *a, const float *b, float *c)
{
    double t0 = brg_bench_now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    return brg_bench_now() - t0;
}

/* 2048^3, or 1024^3 when one 2048 product would take over a second (a slow
 * or emulated CPU) or under --scale. The first 1024 product also wakes
 * OpenBLAS's threads, so it is not counted. */
static void measure_sgemm(const brg_bench_options *opts, brg_bench_machine *m)
{
    size_t elems = (size_t)SGEMM_BIG * SGEMM_BIG;
    float *a = malloc(elems * sizeof *a), *b = malloc(elems * sizeof *b);
    float *c = malloc(elems * sizeof *c);
    if (a && b && c && brg_bench_fill(a, BRG_F32, (int64_t)elems, 11) == BRG_OK &&
        brg_bench_fill(b, BRG_F32, (int64_t)elems, 12) == BRG_OK) {
        double first = sgemm_seconds(SGEMM_SMALL, a, b, c);
        int n = opts->scale < 1.0 || first * 8 > 1.0 ? SGEMM_SMALL : SGEMM_BIG;
        double t[BRG_BENCH_SGEMM_RUNS];
        for (int r = 0; r < BRG_BENCH_SGEMM_RUNS; r++) t[r] = sgemm_seconds(n, a, b, c);
        double median = brg_bench_median(t, BRG_BENCH_SGEMM_RUNS), flops = 2.0 * n * (double)n * n;
        if (median > 0) {
            m->sgemm_gflops = flops / median / 1e9;
            m->sgemm_best_gflops = flops / t[0] / 1e9; /* sorted */
            m->sgemm_n = n;
        }
    } else {
        fprintf(stderr, "bench: sgemm_gflops not measured: out of memory\n");
    }
    free(a);
    free(b);
    free(c);
}

void brg_bench_machine_measure(const brg_bench_options *opts, brg_bench_machine *m)
{
    memset(m, 0, sizeof *m);
    cpu_model(m->cpu, sizeof m->cpu);
    m->cores = brg_bench_online_cores();
    m->threads = brg_bench_threads();
    m->mem_read_gbs = NAN;
    m->sgemm_gflops = NAN;
    /* The huge suite has no memory-bound workload, and the read buffer
     * (1 GiB, resident) would hide top-k's own memory in the peak RSS. */
    if (opts->size != BRG_BENCH_HUGE) {
        brg_bench_progress(opts, "ceiling: CPU read bandwidth (%d threads)", m->threads);
        brg_bench_probe *p = read_probe_new(opts, m->threads);
        if (p && probe_runs(p, &m->mem_read_gbs, &m->mem_read_best_gbs))
            m->mem_read_bytes = p->bytes;
        else if (p)
            fprintf(stderr, "bench: mem_read_gbs not measured: a read pass failed\n");
        brg_bench_probe_free(p);
    }
    brg_bench_progress(opts, "ceiling: CPU sgemm (OpenBLAS)");
    measure_sgemm(opts, m);
}

static void device_ceiling(const brg_bench_options *opts, brg_bench_runner *r)
{
    r->mem_read_gbs = NAN;
    char why[BRG_BENCH_REASON_LEN] = "";
    size_t free_bytes = 0, total = 0, host = brg_bench_host_available(), bytes = 0;
    brg_status st = brg_device_memory(r->dev, &free_bytes, &total);
    if (st == BRG_OK) bytes = ceiling_bytes(opts, free_bytes);
    if (st == BRG_OK && (bytes > free_bytes / 2 || (host > 0 && bytes > host / 2))) {
        snprintf(why, sizeof why, "%zu MiB free on the device, %zu MiB on the host",
                 free_bytes / MIB, host / MIB);
        st = BRG_ERR_OUT_OF_MEMORY;
    }
    brg_bench_probe *p = st == BRG_OK ? calloc(1, sizeof *p) : NULL;
    if (st == BRG_OK && !p) st = BRG_ERR_OUT_OF_MEMORY;
    if (st == BRG_OK) { /* written data: on the emulator untouched pages read as zero pages */
        brg_bench_progress(opts, "ceiling: %s copy bandwidth", r->spec);
        int64_t n[1] = {(int64_t)(bytes / sizeof(float))};
        *p = (brg_bench_probe){.dev = r->dev, .bytes = bytes};
        st = brg_tensor_create(r->dev, BRG_F32, 1, n, &p->src);
        if (st == BRG_OK) st = brg_fill_uniform(p->src, 13, NULL);
        if (st == BRG_OK) st = brg_tensor_create(r->dev, BRG_F32, 1, n, &p->dst);
    }
    if (st == BRG_OK && probe_runs(p, &r->mem_read_gbs, &r->mem_read_best_gbs)) {
        r->ceiling_bytes = bytes;
        r->probe = p;
        return;
    }
    if (!why[0])
        snprintf(why, sizeof why, "%s: %s", brg_status_str(st == BRG_OK ? BRG_ERR_DEVICE : st),
                 brg_last_error());
    fprintf(stderr, "bench: %s: copy ceiling not measured: %s\n", r->spec, why);
    r->mem_read_gbs = NAN;
    brg_bench_probe_free(p);
}

double brg_bench_device_sgemm(brg_device *dev, int64_t m, int64_t n, int64_t k)
{
    const int64_t shapes[3][2] = {{m, k}, {n, k}, {m, n}};
    brg_tensor *t[3] = {NULL, NULL, NULL};
    brg_status st = BRG_OK;
    for (int i = 0; i < 3 && st == BRG_OK; i++) st = brg_tensor_create(dev, BRG_F32, 2, shapes[i], &t[i]);
    for (int i = 0; i < 2 && st == BRG_OK; i++) st = brg_fill_uniform(t[i], 21 + (uint64_t)i, NULL);
    double s[BRG_BENCH_SGEMM_RUNS];
    for (int i = -1; st == BRG_OK && i < BRG_BENCH_SGEMM_RUNS; i++) { /* -1: the warm-up */
        double t0 = brg_bench_now();
        st = brg_matmul_nt(t[0], t[1], NULL, t[2]);
        if (i >= 0) s[i] = brg_bench_now() - t0;
    }
    if (st != BRG_OK) fprintf(stderr, "bench: %s: sgemm %lld x %lld x %lld not measured: %s\n",
                              brg_device_spec(dev), (long long)m, (long long)n, (long long)k, brg_last_error());
    for (int i = 0; i < 3; i++) brg_tensor_free(t[i]);
    return st == BRG_OK ? brg_bench_median(s, BRG_BENCH_SGEMM_RUNS) : NAN;
}

/* A fork copies the parent's page tables: with the read probe's 1 GiB
 * resident, each process-pool fork took 40 ms instead of 0.2 ms here, so
 * the cpu runner gets its probe only in the devices' pass. The huge suite
 * has no memory-bound workload: the devices keep their memory for top-k. */
void brg_bench_ceilings(const brg_bench_options *opts, const brg_bench_machine *m,
                        brg_bench_runner *runners, int n_runners, int devices)
{
    for (int i = 0; i < n_runners; i++) {
        brg_bench_runner *r = &runners[i];
        if (!r->available) continue;
        if (r->is_pool || brg_device_get_kind(r->dev) == BRG_DEVICE_CPU) {
            r->mem_read_gbs = m->mem_read_gbs;
            r->sgemm_gflops = m->sgemm_gflops;
            if (!r->is_pool && !r->probe && devices && m->mem_read_bytes)
                r->probe = read_probe_new(opts, m->threads);
        } else if (!r->ceiling_done && devices) {
            r->ceiling_done = 1;
            r->mem_read_gbs = r->sgemm_gflops = NAN;
            if (opts->size != BRG_BENCH_HUGE) device_ceiling(opts, r);
            /* sgemm n x n x 1000 (top-k's tiles): n = 8192 by --scale, 256 on emu */
            int64_t n = brg_device_get_kind(r->dev) == BRG_DEVICE_EMU ? 256 : (int64_t)(8192 * sqrt(opts->scale));
            r->sgemm_n = n = n < 128 ? 128 : n;
            r->sgemm_gflops = 2e-9 * (double)n * n * 1000 / brg_bench_device_sgemm(r->dev, n, n, 1000);
        }
    }
}

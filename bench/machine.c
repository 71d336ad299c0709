/* The machine's ceilings, measured in the same run as the workloads and in
 * the same way (one warm-up, then the median of several runs), so that
 * fraction_of_limit compares a typical run with a typical run. On a shared,
 * noisy machine a best-of ceiling against a median workload measures the
 * noise as much as the kernel. The best run is printed as well.
 *   - CPU read bandwidth: every thread streams its slice of a buffer far
 *     larger than the caches and sums it (what a mean must do at least);
 *   - CPU sgemm: OpenBLAS cblas_sgemm, the compute ceiling later workloads
 *     (cosine top-k) are held against;
 *   - device copy bandwidth: brg_tensor_copy, read plus write, until the
 *     library wraps a read-only kernel and cuBLAS. */
#include "bench.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    READ_RUNS = 7,
    SGEMM_RUNS = 5,
    COPY_RUNS = 7,
    MAX_READ_THREADS = 1024
};

#define MIB ((size_t)1 << 20)
#define CEILING_BYTES ((size_t)1 << 30) /* far above any L3 of today */
#define CEILING_MIN_BYTES (64 * MIB)    /* floor under --scale or short memory */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median and minimum of n > 0 run times (sorts t). */
static void run_stats(double *t, int n, double *median, double *best)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    *best = t[0];
    *median = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

/* ---- machine facts -------------------------------------------------------- */

int brg_bench_online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Same rule as the library's CPU backend, so the ceiling and the kernels
 * use the same number of threads. */
int brg_bench_threads(void)
{
    const char *env = getenv("BRIGADE_NUM_THREADS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v >= 1 && v <= MAX_READ_THREADS) return (int)v;
    }
    return brg_bench_online_cores();
}

size_t brg_bench_host_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) break;
    fclose(f);
    return (size_t)kb * 1024;
}

static void cpu_model(char *out, size_t cap)
{
    snprintf(out, cap, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *v = strchr(line, ':');
        if (!v) break;
        v++;
        v += strspn(v, " \t");
        snprintf(out, cap, "%.*s", (int)strcspn(v, "\n"), v);
        break;
    }
    fclose(f);
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

/* ---- CPU read bandwidth --------------------------------------------------- */

/* Eight independent sums: no loop-carried dependency longer than one add
 * per eight loads, and a shape GCC and Clang vectorise at -O2/-O3 without
 * -ffast-math (each accumulator is its own lane). */
static double sum_doubles(const double *x, size_t n)
{
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        a0 += x[i];
        a1 += x[i + 1];
        a2 += x[i + 2];
        a3 += x[i + 3];
        a4 += x[i + 4];
        a5 += x[i + 5];
        a6 += x[i + 6];
        a7 += x[i + 7];
    }
    for (; i < n; i++) a0 += x[i];
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
}

/* Threads wait at a gate so that the clock starts after they exist:
 * thread creation is not memory traffic. */
typedef struct read_job {
    const double *x;
    size_t n;
    int threads;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int open;
    double sink[MAX_READ_THREADS];   /* keeps the sums, so the reads stay */
} read_job;

typedef struct read_arg {
    read_job *job;
    int id;
} read_arg;

static void *read_main(void *p)
{
    read_arg *a = p;
    read_job *j = a->job;
    pthread_mutex_lock(&j->lock);
    while (!j->open) pthread_cond_wait(&j->cond, &j->lock);
    pthread_mutex_unlock(&j->lock);
    /* Slices on 64-byte boundaries: whole cache lines per thread. */
    size_t lines = j->n / 8;
    size_t b = lines * (size_t)a->id / (size_t)j->threads * 8;
    size_t e = a->id + 1 == j->threads ? j->n : lines * (size_t)(a->id + 1) / (size_t)j->threads * 8;
    j->sink[a->id] = sum_doubles(j->x + b, e - b);
    return NULL;
}

/* Seconds for one pass of all threads over the buffer; NAN if a thread
 * could not be made. */
static double read_once(read_job *j)
{
    pthread_t tids[MAX_READ_THREADS];
    read_arg args[MAX_READ_THREADS];
    j->open = 0;
    int made = 0;
    for (; made < j->threads; made++) {
        args[made] = (read_arg){j, made};
        if (pthread_create(&tids[made], NULL, read_main, &args[made]) != 0) break;
    }
    pthread_mutex_lock(&j->lock);
    j->open = 1;
    double t0 = brg_bench_now();
    pthread_cond_broadcast(&j->cond);
    pthread_mutex_unlock(&j->lock);
    for (int i = 0; i < made; i++) pthread_join(tids[i], NULL);
    double t1 = brg_bench_now();
    return made == j->threads ? t1 - t0 : NAN;
}

/* Pages must be written before they are read: an untouched buffer maps the
 * shared zero page and its "reads" hit the cache. Written in parallel so
 * each page lands near the thread that touches it first. */
static void touch_range(int64_t begin, int64_t end, void *ctx)
{
    double *x = ctx;
    for (int64_t i = begin; i < end; i++) x[i] = (double)(i & 1023);
}

static volatile double read_sink;

/* The ceiling probes: the CPU read pass or a device copy, kept ready. */
struct brg_bench_probe {
    read_job *job;                   /* CPU: the read job and its buffer */
    double *buffer;
    brg_device *dev;                 /* device: a copy between two tensors */
    brg_tensor *src, *dst;
    size_t bytes;
};

double brg_bench_probe_gbs(brg_bench_probe *p)
{
    if (p->job) {
        double s = read_once(p->job);
        for (int t = 0; t < p->job->threads; t++) read_sink += p->job->sink[t];
        return s > 0 ? (double)p->bytes / s / 1e9 : NAN;
    }
    double t0 = brg_bench_now();
    brg_status st = brg_tensor_copy(p->dst, p->src);
    if (st == BRG_OK) st = brg_device_synchronize(p->dev);
    double s = brg_bench_now() - t0;
    return st == BRG_OK && s > 0 ? 2.0 * (double)p->bytes / s / 1e9 : NAN;
}

void brg_bench_probe_free(brg_bench_probe *p)
{
    if (!p) return;
    if (p->job) {
        pthread_cond_destroy(&p->job->cond);
        pthread_mutex_destroy(&p->job->lock);
        free(p->job);
    }
    free(p->buffer);
    brg_tensor_free(p->dst);
    brg_tensor_free(p->src);
    free(p);
}

/* The CPU read probe: a buffer far larger than the caches, resident (every
 * page touched), and the threads' job over it. NULL when it cannot be made
 * (message on stderr). */
brg_bench_probe *brg_bench_read_probe_new(const brg_bench_options *opts, int threads)
{
    size_t bytes = ceiling_bytes(opts, brg_bench_host_available());
    double *x = NULL;
    while (!(x = aligned_alloc(64, bytes)) && bytes / 2 >= CEILING_MIN_BYTES) bytes /= 2;
    read_job *j = x ? calloc(1, sizeof *j) : NULL;
    brg_bench_probe *p = j ? calloc(1, sizeof *p) : NULL;
    if (!p) {
        fprintf(stderr, "bench: mem_read_gbs not measured: cannot allocate %zu MiB\n",
                bytes / MIB);
        free(j);
        free(x);
        return NULL;
    }
    j->x = x;
    j->n = bytes / sizeof(double);
    j->threads = threads;
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cond, NULL);
    brg_bench_parallel(threads, (int64_t)j->n, touch_range, x);
    *p = (brg_bench_probe){.job = j, .buffer = x, .bytes = bytes};
    return p;
}

static void measure_read(const brg_bench_options *opts, brg_bench_machine *m)
{
    brg_bench_probe *p = brg_bench_read_probe_new(opts, m->threads);
    if (!p) return;
    double times[READ_RUNS];
    int runs = 0;
    for (int r = -1; r < READ_RUNS; r++) { /* r == -1: warm-up */
        double s = read_once(p->job);
        if (isnan(s)) break;
        for (int t = 0; t < p->job->threads; t++) read_sink += p->job->sink[t];
        if (r >= 0) times[runs++] = s;
    }
    if (runs < READ_RUNS) {
        fprintf(stderr, "bench: mem_read_gbs not measured: cannot start %d threads\n", m->threads);
        brg_bench_probe_free(p);
        return;
    }
    double median, best;
    run_stats(times, runs, &median, &best);
    m->mem_read_gbs = (double)p->bytes / median / 1e9;
    m->mem_read_best_gbs = (double)p->bytes / best / 1e9;
    m->mem_read_bytes = p->bytes;
    m->read_probe = p;
}

/* ---- CPU sgemm ------------------------------------------------------------ */

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
    if (!a || !b || !c) {
        fprintf(stderr, "bench: sgemm_gflops not measured: out of memory\n");
        free(a);
        free(b);
        free(c);
        return;
    }
    brg_bench_fill_f32(a, (int64_t)elems, 11);
    brg_bench_fill_f32(b, (int64_t)elems, 12);
    double first = sgemm_seconds(SGEMM_SMALL, a, b, c);
    int n = opts->scale < 1.0 || first * 8 > 1.0 ? SGEMM_SMALL : SGEMM_BIG;
    double times[SGEMM_RUNS], median, best;
    for (int r = 0; r < SGEMM_RUNS; r++) times[r] = sgemm_seconds(n, a, b, c);
    run_stats(times, SGEMM_RUNS, &median, &best);
    if (median > 0) {
        m->sgemm_gflops = 2.0 * n * (double)n * n / median / 1e9;
        m->sgemm_best_gflops = 2.0 * n * (double)n * n / best / 1e9;
        m->sgemm_n = n;
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
        measure_read(opts, m);
    }
    brg_bench_progress(opts, "ceiling: CPU sgemm (OpenBLAS)");
    measure_sgemm(opts, m);
}

/* ---- device copy bandwidth ------------------------------------------------ */

static void touch_bytes(int64_t begin, int64_t end, void *ctx)
{
    unsigned char *p = ctx;
    for (int64_t i = begin; i < end; i++) p[i] = (unsigned char)i;
}

/* A device tensor of `bytes` bytes holding written data (for the emulated
 * device, device memory is host memory: untouched pages would read as the
 * zero page). host is a scratch buffer of the same size. */
static brg_status filled_tensor(brg_device *dev, unsigned char *host, size_t bytes,
                                brg_tensor **out)
{
    brg_bench_parallel(brg_bench_threads(), (int64_t)bytes, touch_bytes, host);
    int64_t shape[1] = {(int64_t)bytes};
    return brg_tensor_from_host(dev, BRG_U8, 1, shape, host, bytes, out);
}

/* Median and best of COPY_RUNS device-to-device copies after one warm-up. */
static brg_status time_copies(brg_device *dev, brg_tensor *dst, const brg_tensor *src,
                              double *median, double *best)
{
    double times[COPY_RUNS];
    brg_status st = brg_tensor_copy(dst, src);
    if (st == BRG_OK) st = brg_device_synchronize(dev);
    for (int r = 0; r < COPY_RUNS && st == BRG_OK; r++) {
        double t0 = brg_bench_now();
        st = brg_tensor_copy(dst, src);
        if (st == BRG_OK) st = brg_device_synchronize(dev);
        times[r] = brg_bench_now() - t0;
    }
    if (st == BRG_OK) run_stats(times, COPY_RUNS, median, best);
    return st;
}

static void copy_ceiling_skipped(const brg_bench_runner *r, const char *why)
{
    fprintf(stderr, "bench: %s: copy ceiling not measured: %s\n", r->spec, why);
}

void brg_bench_device_ceiling(const brg_bench_options *opts, brg_bench_runner *r)
{
    r->mem_read_gbs = NAN;
    r->sgemm_gflops = NAN; /* cuBLAS is not wrapped yet */
    char why[BRG_BENCH_REASON_LEN];
    size_t free_bytes = 0, total = 0, host = brg_bench_host_available();
    if (brg_device_memory(r->dev, &free_bytes, &total) != BRG_OK) {
        copy_ceiling_skipped(r, brg_last_error());
        return;
    }
    size_t bytes = ceiling_bytes(opts, free_bytes);
    if (bytes > free_bytes / 2 || (host > 0 && bytes > host / 2)) {
        snprintf(why, sizeof why, "%zu MiB free on the device, %zu MiB on the host",
                 free_bytes / MIB, host / MIB);
        copy_ceiling_skipped(r, why);
        return;
    }
    unsigned char *scratch = malloc(bytes);
    if (!scratch) {
        copy_ceiling_skipped(r, "no host memory for the source data");
        return;
    }
    brg_bench_progress(opts, "ceiling: %s copy bandwidth", r->spec);
    brg_tensor *src = NULL, *dst = NULL;
    brg_status st = filled_tensor(r->dev, scratch, bytes, &src);
    free(scratch);
    if (st == BRG_OK) st = brg_tensor_create(r->dev, BRG_U8, 1, (int64_t[1]){(int64_t)bytes}, &dst);
    double median = 0, best = 0;
    if (st == BRG_OK) st = time_copies(r->dev, dst, src, &median, &best);
    if (st == BRG_OK && median > 0) {
        r->mem_read_gbs = 2.0 * (double)bytes / median / 1e9;
        r->mem_read_best_gbs = 2.0 * (double)bytes / best / 1e9;
        r->ceiling_bytes = bytes;
        brg_bench_probe *p = calloc(1, sizeof *p);
        if (p) {
            *p = (brg_bench_probe){.dev = r->dev, .src = src, .dst = dst, .bytes = bytes};
            r->probe = p;
            return;
        }
    } else {
        snprintf(why, sizeof why, "%s: %s", brg_status_str(st), brg_last_error());
        copy_ceiling_skipped(r, why);
    }
    brg_tensor_free(dst);
    brg_tensor_free(src);
}

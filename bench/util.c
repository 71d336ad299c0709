/* The bench's helpers: the clock, a plain pthread fan-out for data
 * generation and oracles, and the uniform data generator. The bench uses
 * its own threads, never the library's, so that what it measures is only
 * the library call. */
#include "bench.h"

#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

extern char **environ;

double brg_bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void brg_bench_touch(void *p, size_t bytes)
{
    volatile unsigned char *b = p;
    for (size_t i = 0; i < bytes; i += 4096) b[i] = 0;
    if (bytes) b[bytes - 1] = 0;
}

/* Writing 5 to clear_refs sets VmHWM back to the current resident set
 * (Linux >= 4.0), so the next VmHWM is the peak since this point rather
 * than since the process began. */
int brg_bench_hwm_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return 0;
    int ok = fputs("5", f) >= 0;
    if (fclose(f) != 0) ok = 0;
    return ok;
}

int64_t brg_bench_hwm_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lld kB", &kb) == 1) break;
    fclose(f);
    return kb >= 0 ? (int64_t)kb * 1024 : -1;
}

typedef struct range_task {
    brg_bench_range_fn fn;
    void *ctx;
    int64_t begin, end;
} range_task;

static void *range_main(void *arg)
{
    range_task *t = arg;
    t->fn(t->begin, t->end, t->ctx);
    return NULL;
}

enum { MAX_THREADS = 256 };

void brg_bench_parallel(int threads, int64_t n, brg_bench_range_fn fn, void *ctx)
{
    if (n <= 0) return;
    if (threads < 1) threads = 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads > n) threads = (int)n;
    range_task tasks[MAX_THREADS];
    pthread_t tids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int i = 0; i < threads; i++) {
        tasks[i] = (range_task){fn, ctx, n * i / threads, n * (i + 1) / threads};
        if (i > 0) started[i] = pthread_create(&tids[i], NULL, range_main, &tasks[i]) == 0;
    }
    fn(tasks[0].begin, tasks[0].end, ctx);
    for (int i = 1; i < threads; i++) {
        if (started[i])
            pthread_join(tids[i], NULL);
        else
            fn(tasks[i].begin, tasks[i].end, ctx);
    }
}

/* Output i of splitmix64 (Steele, Lea, Flood 2014) started at seed: its
 * state after i+1 steps is seed + (i+1)*gamma, so each element is a pure
 * function of its index and threads need no shared state. */
static inline uint64_t splitmix64_at(uint64_t seed, uint64_t i)
{
    uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

typedef struct fill_job {
    void *x;
    int is_f32;
    uint64_t seed;
    int64_t first;               /* x[i] is element first + i */
} fill_job;

/* The top 53 (24) bits scaled by 2^-53 (2^-24): exactly the doubles
 * (floats) of [0,1) on a uniform grid, as NumPy's random_sample makes them. */
static void fill_range(int64_t begin, int64_t end, void *ctx)
{
    const fill_job *j = ctx;
    if (j->is_f32) {
        float *x = j->x;
        for (int64_t i = begin; i < end; i++)
            x[i] = (float)(splitmix64_at(j->seed, (uint64_t)(j->first + i)) >> 40) * 0x1.0p-24f;
        return;
    }
    double *x = j->x;
    for (int64_t i = begin; i < end; i++)
        x[i] = (double)(splitmix64_at(j->seed, (uint64_t)(j->first + i)) >> 11) * 0x1.0p-53;
}

static void fill(void *x, int is_f32, int64_t n, uint64_t seed, int64_t first)
{
    fill_job j = {x, is_f32, seed, first};
    brg_bench_parallel(brg_bench_threads(), n, fill_range, &j);
}

void brg_bench_fill_f64(double *x, int64_t n, uint64_t seed)
{
    fill(x, 0, n, seed, 0);
}

void brg_bench_fill_f32(float *x, int64_t n, uint64_t seed)
{
    fill(x, 1, n, seed, 0);
}

void brg_bench_fill_f32_from(float *x, int64_t n, uint64_t seed, int64_t first)
{
    fill(x, 1, n, seed, first);
}

int brg_bench_under_mpi(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK",
                                       "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

int brg_bench_run_script(const char *name, int argc, char *const *argv)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", BRIGADE_BENCH_SCRIPTS, name);
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "bench: cannot find %s (%s): the bench's scripts are in the source tree "
                "it was built from; run scripts/%s from a brigade checkout\n", path,
                strerror(errno), name);
        return 2;
    }
    char **args = calloc((size_t)argc + 3, sizeof *args);
    if (!args) return 2;
    args[0] = (char *)"python3";
    args[1] = path;
    for (int i = 0; i < argc; i++) args[i + 2] = argv[i];
    fflush(NULL);
    pid_t pid;
    int status = 0, rc = posix_spawnp(&pid, "python3", NULL, NULL, args, environ);
    free(args);
    if (rc != 0) {
        fprintf(stderr, "bench: cannot run python3 %s: %s\n", path, strerror(rc));
        return 2;
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return 2;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

/* The bench's helpers: the clock, the process's memory, the host as a "cpu"
 * device, a brigade thread pool for the oracles, the scripts the bench runs. */
#include "bench.h"

#include <errno.h>
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

/* Writing 5 to clear_refs sets VmHWM back to the resident set (Linux >= 4.0):
 * the next VmHWM is the peak since this point, not since the process began. */
int brg_bench_hwm_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    int ok = f && fputs("5", f) >= 0;
    return f && fclose(f) == 0 && ok;
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

void *brg_bench_alloc(size_t bytes)
{
    return aligned_alloc(64, bytes ? (bytes + 63) / 64 * 64 : 64);
}

int brg_bench_online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* The library's CPU backend's rule: the ceiling and the kernels agree. */
int brg_bench_threads(void)
{
    const char *env = getenv("BRIGADE_NUM_THREADS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v >= 1 && v <= 4096) return (int)v;
    }
    return brg_bench_online_cores();
}

size_t brg_bench_host_available(void)
{
    brg_device *host = NULL;
    size_t available = 0, total = 0;
    if (brg_device_open("cpu", &host) != BRG_OK ||
        brg_device_memory(host, &available, &total) != BRG_OK)
        available = 0;
    brg_device_close(host);
    return available;
}

brg_status brg_bench_fill(void *x, brg_dtype dtype, int64_t n, uint64_t seed)
{
    brg_device *host = NULL;
    int ok = x && (dtype == BRG_F32 || dtype == BRG_F64);
    brg_status st = ok ? brg_device_open("cpu", &host) : BRG_ERR_INVALID_ARG;
    if (st == BRG_OK)
        st = dtype == BRG_F64 ? brg_fill_uniform_f64(host, x, n, seed, NULL)
                              : brg_fill_uniform_f32(host, x, n, seed, NULL);
    brg_device_close(host);
    return st;
}

brg_status brg_bench_parallel(int64_t n, brg_task_fn fn, void *ctx)
{
    brg_pool_options o = {.kind = BRG_POOL_THREADS, .workers = brg_bench_threads()};
    brg_pool *pool = NULL;
    brg_status st = brg_pool_create(&o, &pool);
    if (st == BRG_OK) st = brg_pool_map(pool, fn, ctx, n, NULL, 0, NULL);
    brg_pool_free(pool);
    return st;
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

int brg_bench_under_mpi(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK") ||
           getenv("MPI_LOCALNRANKS");
}

/* big_alloc: the tutorial's
 *     big_array = np.random.rand((megabytes * 1024 * 1024) // 8); return len(big_array)
 * Each task allocates its array, fills it from the f64 uniform stream i + 1
 * of the seed (brg_fill_uniform_f64 on the host) and frees it, returning the
 * length and the last value (which the reference recomputes alone, with the
 * fill's offset, and which keeps the fill honest).
 *
 * The tutorial's 5000 MB per task on every core does not fit most machines;
 * prepare scales megabytes down to what `workers` concurrent tasks can hold
 * and says so in the note, rather than let the OS kill the process. On a
 * device the tasks run one after another, each a device tensor filled by
 * brg_fill_uniform. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "impl.h"

#define MIB ((size_t)1 << 20)
#define GIB ((double)(1u << 30))
#define MAX_WORKERS 4096

static atomic_size_t forced_available;

void brg_test_workload_set_available(size_t bytes)
{
    atomic_store(&forced_available, bytes);
}

/* The host's available memory, as the CPU device reports it. */
static size_t available_bytes(brg_device *cpu)
{
    size_t forced = atomic_load(&forced_available);
    if (forced) return forced;
    size_t avail = 0, total = 0;
    return brg_device_memory(cpu, &avail, &total) == BRG_OK ? avail : 0;
}

static int online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Scale megabytes so that `at_once` tasks use at most 90% of what is
 * available: the rest is for everything else that runs. */
static brg_status fit_memory(brg_workload_ctx *c, int64_t at_once)
{
    size_t avail = available_bytes(c->cpu);
    if (avail == 0 || at_once == 0) return BRG_OK; /* unknown, or nothing runs */
    size_t usable = avail / 10 * 9;
    int64_t fit = (int64_t)(usable / MIB / (size_t)at_once);
    if (c->p.megabytes <= fit) return BRG_OK;
    if (fit < 1)
        return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY,
                         "big_alloc: not even 1 MiB per task fits: %lld tasks at once, "
                         "%.1f GiB available", (long long)at_once, (double)avail / GIB);
    snprintf(c->note, sizeof c->note,
             "megabytes scaled from %lld to %lld per task: %lld tasks at once, %.1f GiB available",
             (long long)c->p.megabytes, (long long)fit, (long long)at_once, (double)avail / GIB);
    c->p.megabytes = fit;
    return BRG_OK;
}

static brg_status alloc_prepare(brg_workload_ctx *c)
{
    if (c->p.megabytes < 0)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "big_alloc: megabytes must be >= 0, got %lld",
                         (long long)c->p.megabytes);
    if (c->p.workers < 0 || c->p.workers > MAX_WORKERS)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "big_alloc: workers must be 0 to %d, got %d",
                         MAX_WORKERS, c->p.workers);
    size_t bytes = 0;
    brg_status st = brg_layered_bytes_of(c->p.megabytes, MIB, &bytes, "big_alloc: megabytes");
    if (st == BRG_OK) st = brg_workload_use_cpu(c);
    if (st != BRG_OK) return st;
    int64_t workers = c->p.workers ? c->p.workers : online_cores();
    return fit_memory(c, workers < c->p.n ? workers : c->p.n);
}

/* len(big_array): (megabytes * 1024 * 1024) // 8. */
static int64_t element_count(const brg_workload_ctx *c)
{
    return (int64_t)((size_t)c->p.megabytes * MIB / sizeof(double));
}

static brg_status alloc_task(int64_t i, void *result, void *ctx)
{
    const brg_workload_ctx *c = ctx;
    int64_t count = element_count(c);
    double *big = malloc((size_t)count * sizeof(double) + 1);
    if (!big)
        return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "big_alloc task %lld: cannot allocate %lld MiB",
                         (long long)i, (long long)c->p.megabytes);
    brg_fill_options stream = {(uint64_t)i + 1, 0};
    brg_status st = brg_fill_uniform_f64(c->cpu, big, count, c->p.seed, &stream);
    brg_workload_alloc_result r = {count, count ? big[count - 1] : 0.0};
    free(big);
    *(brg_workload_alloc_result *)result = r;
    return st;
}

static brg_status alloc_reference(const brg_workload_ctx *c, void *results)
{
    brg_workload_alloc_result *r = results;
    int64_t count = element_count(c);
    brg_status st = BRG_OK;
    for (int64_t i = 0; i < c->p.n && st == BRG_OK; i++) {
        r[i].count = count;
        r[i].last = 0.0;
        brg_fill_options last = {(uint64_t)i + 1, count - 1};
        if (count) st = brg_fill_uniform_f64(c->cpu, &r[i].last, 1, c->p.seed, &last);
    }
    return st;
}

/* One task on dev: a tensor, filled, its last value read back, freed. */
static brg_status alloc_one_on_device(const brg_workload_ctx *c, brg_device *dev, int64_t i,
                                      brg_workload_alloc_result *r)
{
    int64_t count = element_count(c);
    r->count = count;
    r->last = 0.0;
    if (count == 0) return BRG_OK;
    brg_tensor *big;
    brg_status st = brg_tensor_create(dev, BRG_F64, 1, &count, &big);
    if (st != BRG_OK) return st;
    brg_fill_options stream = {(uint64_t)i + 1, 0};
    st = brg_fill_uniform(big, c->p.seed, &stream);
    if (st == BRG_OK) st = brg_tensor_to_host_range(big, count - 1, 1, &r->last, sizeof r->last);
    brg_tensor_free(big);
    return st;
}

static brg_status alloc_device(brg_workload_ctx *c, brg_device *dev, void *results)
{
    brg_workload_alloc_result *r = results;
    brg_status st = BRG_OK;
    for (int64_t i = 0; i < c->p.n && st == BRG_OK; i++) st = alloc_one_on_device(c, dev, i, &r[i]);
    return st;
}

static void format_alloc(const void *item, char *buf, size_t cap)
{
    const brg_workload_alloc_result *r = item;
    snprintf(buf, cap, "{count %lld, last %.17g}", (long long)r->count, r->last);
}

const brg_workload_ops brg_workload_big_alloc_ops = {
    .prepare = alloc_prepare,
    .task = alloc_task,
    .reference = alloc_reference,
    .device = alloc_device,
    .format = format_alloc,
};

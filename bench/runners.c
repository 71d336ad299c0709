/* Runners: the pool kinds the Part 1 tasks run on, and the devices the
 * kernels run on. By default the four pools, the CPU and every CUDA and HIP
 * device; the emulated devices only when asked for, since an emulated GPU
 * is a correctness tool, hundreds of times slower. A runner that is not
 * available stays in the list with brigade's own reason, so the report says
 * why it was skipped.
 *
 * GPU specs are opened only by brg_bench_open_deferred, after the process
 * pools have run: once a GPU runtime lives in the process, the library
 * refuses to fork (a forked child cannot use the parent's driver state). */
#include "bench.h"

#include <stdio.h>
#include <string.h>

static brg_bench_runner *runner_slot(brg_bench_runner *runners, int *count, const char *spec)
{
    for (int i = 0; i < *count; i++)
        if (strcmp(runners[i].spec, spec) == 0) return NULL; /* asked for twice */
    if (*count >= BRG_BENCH_MAX_RUNNERS) {
        fprintf(stderr, "bench: more than %d runners; '%s' left out\n", BRG_BENCH_MAX_RUNNERS,
                spec);
        return NULL;
    }
    brg_bench_runner *r = &runners[(*count)++];
    memset(r, 0, sizeof *r);
    snprintf(r->spec, sizeof r->spec, "%s", spec);
    return r;
}

static const struct {
    const char *name;
    brg_pool_kind kind;
} pool_kinds[] = {
    {"sequential", BRG_POOL_SEQUENTIAL},
    {"threads", BRG_POOL_THREADS},
    {"processes", BRG_POOL_PROCESSES},
    {"openmp", BRG_POOL_OPENMP},
};
#define N_POOL_KINDS (sizeof pool_kinds / sizeof pool_kinds[0])

/* 1 when spec names a pool kind (and adds it). */
static int add_pool(brg_bench_runner *runners, int *count, const char *spec)
{
    for (size_t i = 0; i < N_POOL_KINDS; i++) {
        if (strcmp(spec, pool_kinds[i].name) != 0) continue;
        brg_bench_runner *r = runner_slot(runners, count, spec);
        if (r) {
            r->is_pool = 1;
            r->pool_kind = pool_kinds[i].kind;
            r->available = 1;
            snprintf(r->name, sizeof r->name, "brg_pool %s", spec);
        }
        return 1;
    }
    return 0;
}

/* "auto", "cuda[:N]" and "hip[:N]" may start a GPU runtime: opened late. */
static int is_gpu_spec(const char *spec)
{
    return strncmp(spec, "cuda", 4) == 0 || strncmp(spec, "hip", 3) == 0 ||
           strcmp(spec, "auto") == 0;
}

static void add_unavailable(brg_bench_runner *runners, int *count, const char *spec,
                            const char *reason)
{
    brg_bench_runner *r = runner_slot(runners, count, spec);
    if (r) snprintf(r->reason, sizeof r->reason, "%s", reason);
}

/* brg_device_describe says "spec: name"; the report shows them apart. */
static void add_open(brg_bench_runner *runners, int *count, brg_device *dev)
{
    brg_bench_runner *r = runner_slot(runners, count, brg_device_spec(dev));
    if (!r) {
        brg_device_close(dev);
        return;
    }
    r->dev = dev;
    r->available = 1;
    const char *d = brg_device_describe(dev);
    size_t len = strlen(r->spec);
    if (strncmp(d, r->spec, len) == 0 && strncmp(d + len, ": ", 2) == 0) d += len + 2;
    snprintf(r->name, sizeof r->name, "%s", d);
}

/* "cuda" or "hip" alone: every device of that backend. */
static void add_backend(brg_bench_runner *runners, int *count, const char *backend)
{
    int n = 0;
    if (brg_device_count(backend, &n) != BRG_OK || n == 0) {
        add_unavailable(runners, count, backend, brg_last_error());
        return;
    }
    for (int i = 0; i < n; i++) {
        char spec[BRG_BENCH_NAME_LEN];
        snprintf(spec, sizeof spec, "%.8s:%d", backend, i); /* backend: "cuda" or "hip" */
        brg_device *dev = NULL;
        if (brg_device_open(spec, &dev) == BRG_OK)
            add_open(runners, count, dev);
        else
            add_unavailable(runners, count, spec, brg_last_error());
    }
}

static int add_spec(brg_bench_runner *runners, int *count, const char *spec)
{
    if (add_pool(runners, count, spec)) return 0;
    if (is_gpu_spec(spec)) {
        brg_bench_runner *r = runner_slot(runners, count, spec);
        if (r) r->deferred = 1;
        return 0;
    }
    brg_device *dev = NULL;
    brg_status st = brg_device_open(spec, &dev);
    if (st == BRG_OK) {
        add_open(runners, count, dev);
        return 0;
    }
    if (st == BRG_ERR_INVALID_ARG) {
        fprintf(stderr, "bench: --runner %s: %s\n", spec, brg_last_error());
        return 2;
    }
    add_unavailable(runners, count, spec, brg_last_error());
    return 0;
}

/* A deferred spec's syntax, checked up front so that a typo is exit 2
 * before anything runs: the backend, then nothing or ":<digits>". */
static int gpu_spec_ok(const char *spec)
{
    if (strcmp(spec, "auto") == 0) return 1;
    const char *p = spec + (strncmp(spec, "cuda", 4) == 0 ? 4 : 3);
    if (*p == '\0') return 1;
    if (*p++ != ':' || *p == '\0') return 0;
    for (; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    return 1;
}

void brg_bench_open_deferred(brg_bench_runner *runners, int *count)
{
    int n = *count;
    for (int i = 0; i < n; i++) {
        brg_bench_runner *r = &runners[i];
        if (!r->deferred) continue;
        r->deferred = 0;
        char spec[BRG_BENCH_NAME_LEN];
        snprintf(spec, sizeof spec, "%s", r->spec);
        r->spec[0] = '\0'; /* the slot is reused by the first device it opens */
        int before = *count;
        if (strcmp(spec, "cuda") == 0 || strcmp(spec, "hip") == 0) {
            add_backend(runners, count, spec);
        } else {
            brg_device *dev = NULL;
            if (brg_device_open(spec, &dev) == BRG_OK)
                add_open(runners, count, dev);
            else
                add_unavailable(runners, count, spec, brg_last_error());
        }
        /* Move the first new runner into slot i; the rest stay at the end. */
        if (*count > before) {
            *r = runners[before];
            memmove(&runners[before], &runners[before + 1],
                    (size_t)(*count - before - 1) * sizeof *runners);
            (*count)--;
        } else {
            snprintf(r->spec, sizeof r->spec, "%s", spec); /* asked for twice */
            snprintf(r->reason, sizeof r->reason, "the same device as an earlier runner");
        }
    }
}

int brg_bench_open_runners(const brg_bench_options *opts, brg_bench_runner *runners, int *count)
{
    static const char *const defaults[] = {"sequential", "threads", "processes", "openmp",
                                           "cpu", "cuda", "hip"};
    *count = 0;
    if (opts->n_runners == 0) {
        for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
            add_spec(runners, count, defaults[i]);
        return 0;
    }
    for (int i = 0; i < opts->n_runners; i++) {
        if (is_gpu_spec(opts->runners[i]) && !gpu_spec_ok(opts->runners[i])) {
            fprintf(stderr, "bench: --runner %s: not a device spec (cuda[:N], hip[:N], auto)\n",
                    opts->runners[i]);
            brg_bench_close_runners(runners, *count);
            *count = 0;
            return 2;
        }
        int rc = add_spec(runners, count, opts->runners[i]);
        if (rc != 0) {
            brg_bench_close_runners(runners, *count);
            *count = 0;
            return rc;
        }
    }
    return 0;
}

void brg_bench_close_runners(brg_bench_runner *runners, int count)
{
    for (int i = 0; i < count; i++) {
        brg_bench_probe_free(runners[i].probe);
        runners[i].probe = NULL;
        brg_device_close(runners[i].dev);
        runners[i].dev = NULL;
    }
}

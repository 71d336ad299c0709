/* Runners: the four pools, the CPU and every CUDA and HIP device by default
 * (emulated ones when named); one not available stays, with brigade's reason. */
#include "bench.h"

#include <string.h>

/* A new runner named spec; NULL when it is there already or there is no room. */
static brg_bench_runner *runner_slot(brg_bench_runner *runners, int *count, const char *spec)
{
    for (int i = 0; i < *count; i++)
        if (strcmp(runners[i].spec, spec) == 0) return NULL; /* asked for twice */
    if (*count >= BRG_BENCH_MAX_RUNNERS) {
        fprintf(stderr, "bench: more than %d runners; '%s' left out\n", BRG_BENCH_MAX_RUNNERS, spec);
        return NULL;
    }
    brg_bench_runner *r = &runners[(*count)++];
    memset(r, 0, sizeof *r);
    snprintf(r->spec, sizeof r->spec, "%s", spec);
    return r;
}

/* Open spec and add it under its canonical spec, or add spec as not
 * available with brigade's reason; the status of the open. */
static brg_status add_device(brg_bench_runner *runners, int *count, const char *spec)
{
    brg_device *dev = NULL;
    brg_status st = brg_device_open(spec, &dev);
    brg_bench_runner *r = runner_slot(runners, count, st == BRG_OK ? brg_device_spec(dev) : spec);
    if (r && st != BRG_OK) {
        snprintf(r->reason, sizeof r->reason, "%s", brg_last_error());
    } else if (r) { /* brg_device_describe says "spec: name"; the report shows them apart */
        const char *d = brg_device_describe(dev);
        size_t len = strlen(r->spec);
        if (strncmp(d, r->spec, len) == 0 && strncmp(d + len, ": ", 2) == 0) d += len + 2;
        snprintf(r->name, sizeof r->name, "%s", d);
        r->dev = dev;
        r->available = 1;
    } else {
        brg_device_close(dev);
    }
    return st;
}

/* "auto", "cuda[:N]" and "hip[:N]" may start a GPU runtime: opened late. */
static int is_gpu_spec(const char *spec)
{
    return strncmp(spec, "cuda", 4) == 0 || strncmp(spec, "hip", 3) == 0 ||
           strcmp(spec, "auto") == 0;
}

/* 0, or 2 for a spec that is not one (message on stderr). A deferred spec's
 * syntax is checked here, so that a typo is exit 2 before anything runs:
 * the backend, then nothing or ":<digits>". */
static int add_spec(brg_bench_runner *runners, int *count, const char *spec)
{
    static const char *const pools[] = {"threads", "sequential", "processes", "openmp"};
    for (int k = 0; k < 4; k++) { /* in the order of brg_pool_kind */
        if (strcmp(spec, pools[k]) != 0) continue;
        brg_bench_runner *r = runner_slot(runners, count, spec);
        if (r) {
            *r = (brg_bench_runner){.is_pool = 1, .pool_kind = (brg_pool_kind)k, .available = 1};
            snprintf(r->spec, sizeof r->spec, "%s", spec);
            snprintf(r->name, sizeof r->name, "brg_pool %s", spec);
        }
        return 0;
    }
    if (is_gpu_spec(spec)) {
        const char *p = spec + (strcmp(spec, "auto") == 0 ? 4 : strncmp(spec, "cuda", 4) ? 3 : 4);
        int ok = *p == '\0' ||
                 (p[0] == ':' && p[1] && strspn(p + 1, "0123456789") == strlen(p + 1));
        brg_bench_runner *r = ok ? runner_slot(runners, count, spec) : NULL;
        if (r) r->deferred = 1;
        if (!ok) fprintf(stderr, "bench: --runner %s: not a device spec (cuda[:N], hip[:N], "
                         "auto)\n", spec);
        return ok ? 0 : 2;
    }
    if (add_device(runners, count, spec) != BRG_ERR_INVALID_ARG) return 0;
    fprintf(stderr, "bench: --runner %s: %s\n", spec, brg_last_error());
    return 2;
}

void brg_bench_open_deferred(brg_bench_runner *runners, int *count)
{
    int n = *count;
    for (int i = 0; i < n; i++) {
        brg_bench_runner *r = &runners[i];
        if (!r->deferred) continue;
        char spec[BRG_BENCH_NAME_LEN];
        snprintf(spec, sizeof spec, "%s", r->spec);
        r->deferred = 0;
        r->spec[0] = '\0'; /* the slot is reused by the first device it opens */
        int before = *count, backend = 0;
        if (strcmp(spec, "cuda") == 0 || strcmp(spec, "hip") == 0) { /* every device of it */
            brg_status st = brg_device_count(spec, &backend);
            brg_bench_runner *none = st != BRG_OK || backend == 0
                                         ? runner_slot(runners, count, spec) : NULL;
            if (none) snprintf(none->reason, sizeof none->reason, "%s", brg_last_error());
        }
        for (int d = 0; d < backend; d++) {
            char one[BRG_BENCH_NAME_LEN];
            snprintf(one, sizeof one, "%.8s:%d", spec, d); /* spec: "cuda" or "hip" */
            add_device(runners, count, one);
        }
        if (strcmp(spec, "cuda") != 0 && strcmp(spec, "hip") != 0)
            add_device(runners, count, spec);
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
    int n = opts->n_runners ? opts->n_runners : 7, rc = 0;
    *count = 0;
    for (int i = 0; i < n && !rc; i++)
        rc = add_spec(runners, count, opts->n_runners ? opts->runners[i] : defaults[i]);
    if (rc) {
        brg_bench_close_runners(runners, *count);
        *count = 0;
    }
    return rc;
}

void brg_bench_close_runners(brg_bench_runner *runners, int count)
{
    for (int i = 0; i < count; i++) {
        brg_bench_probe_free(runners[i].probe);
        brg_device_close(runners[i].dev);
        runners[i].probe = NULL;
        runners[i].dev = NULL;
    }
}

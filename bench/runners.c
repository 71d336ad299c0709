/* Runners: the devices the kernels run on. By default the CPU and every
 * CUDA and HIP device; the emulated devices only when asked for, since an
 * emulated GPU is a correctness tool, hundreds of times slower. A runner
 * that is not available stays in the list with brigade's own reason, so
 * the report says why it was skipped. */
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
        snprintf(spec, sizeof spec, "%s:%d", backend, i);
        brg_device *dev = NULL;
        if (brg_device_open(spec, &dev) == BRG_OK)
            add_open(runners, count, dev);
        else
            add_unavailable(runners, count, spec, brg_last_error());
    }
}

static int add_spec(brg_bench_runner *runners, int *count, const char *spec)
{
    if (strcmp(spec, "cuda") == 0 || strcmp(spec, "hip") == 0) {
        add_backend(runners, count, spec);
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

int brg_bench_open_runners(const brg_bench_options *opts, brg_bench_runner *runners, int *count)
{
    static const char *const defaults[] = {"cpu", "cuda", "hip"};
    *count = 0;
    if (opts->n_runners == 0) {
        for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
            add_spec(runners, count, defaults[i]);
        return 0;
    }
    for (int i = 0; i < opts->n_runners; i++) {
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

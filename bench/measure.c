/* Measuring one case: memory checks, host data, the CPU reference, then per
 * runner and variant set up, warm-up, timed runs, check, tear down. Only the
 * library call and a device synchronize are inside the clock. */
#include "bench.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#define GIB (1024.0 * 1024.0 * 1024.0)
/* Left free for everything else on the machine (and the device runtime). */
#define MEMORY_MARGIN ((size_t)256 << 20)

__attribute__((format(printf, 3, 4))) static void set_reason(brg_bench_result *r, brg_bench_outcome outcome,
                                                             const char *fmt, ...)
{
    r->outcome = outcome;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
}

/* The failing brigade call's message, or ours when the bench itself ran
 * out of memory (brigade then has nothing to say). */
static const char *failure_text(brg_status st)
{
    const char *msg = brg_last_error();
    if (msg[0]) return msg;
    return st == BRG_ERR_OUT_OF_MEMORY ? "out of host memory in the bench" : brg_status_str(st);
}

/* "mean_rows rows=100000 cols=1000 dtype=f64", for progress lines. */
static const char *label(const brg_bench_case *c, char *buf, size_t cap)
{
    char params[200];
    brg_bench_params_format(&c->params, " ", params, sizeof params);
    snprintf(buf, cap, "%s %s", c->workload, params);
    return buf;
}

static int fits(size_t need, size_t available)
{
    return available > MEMORY_MARGIN && need <= available - MEMORY_MARGIN;
}

static int is_cpu(const brg_bench_runner *run)
{
    return run->dev && brg_device_get_kind(run->dev) == BRG_DEVICE_CPU;
}

/* Runners whose memory is the process's own: the CPU device and pools. */
static int on_host(const brg_bench_runner *run)
{
    return run->is_pool || is_cpu(run);
}

static brg_status timed_run(const brg_bench_case *c, void *state, brg_device *dev, double *s)
{
    double t0 = brg_bench_now();
    brg_status st = c->ops->run(state);
    if (st == BRG_OK && dev) st = brg_device_synchronize(dev);
    *s = brg_bench_now() - t0;
    return st;
}

/* A warm-up (not in the huge suite), then this round's share of r->target
 * runs (`have` done before; ceil(target / rounds) a round). Each run may be
 * paired with the runner's ceiling probe (memory-bound) or the reference
 * (cpu, compute-bound; each timed after an untimed run): the fraction is
 * then the median of the pairs' ratios, as the load drifts over seconds. */
static brg_status time_case(const brg_bench_options *opts, brg_bench_case *c, void *state,
                            const brg_bench_runner *run, int have, brg_bench_result *r)
{
    double *samples = r->samples, *ratios = r->ratios, s = 0.0;
    int rounds = opts->rounds > 1 ? opts->rounds : 1;
    int paired = run->probe && c->flops == 0 && c->read_bytes > 0;
    int ref_paired = !paired && c->flops > 0 && c->ops->reference && is_cpu(run);
    brg_status st = opts->warmup ? timed_run(c, state, run->dev, &s) : BRG_OK;
    if (!r->target) {
        r->target = opts->repeat < BRG_BENCH_MAX_REPEAT ? opts->repeat : BRG_BENCH_MAX_REPEAT;
        /* 5 runs by default, 3 for a case whose warm-up took a second or more. */
        if (!opts->repeat_set && s >= 1.0 && r->target > 3) r->target = 3;
    }
    int n = (r->target + rounds - 1) / rounds;
    if (n > r->target - have) n = r->target - have;
    for (int i = 0; i < n && st == BRG_OK; i++) {
        double limit = paired ? brg_bench_probe_gbs(run->probe) : NAN, ref = NAN;
        if (ref_paired && c->ops->reference(c, opts, NULL, 1, &ref, NULL, 0) != BRG_OK) ref_paired = 0;
        if (ref_paired) nanosleep(&(struct timespec){0, BRG_BENCH_SETTLE_NS}, NULL);
        if (ref_paired) st = timed_run(c, state, run->dev, &s); /* untimed first, as the sgemm */
        if (st == BRG_OK) st = timed_run(c, state, run->dev, &samples[i]);
        ratios[i] = ref_paired ? ref / samples[i] : (double)c->read_bytes / samples[i] / 1e9 / limit;
        if (!(ratios[i] > 0)) paired = ref_paired = 0;
        if (samples[i] > 1.0) /* long runs: say how far along we are */
            brg_bench_progress(opts, "%s on %s: run %d of %d took %.1f s", c->workload,
                               run->spec, i + 1, n, samples[i]);
    }
    if (st != BRG_OK) return st;
    r->n_samples = n;
    r->n_ratios = paired || ref_paired ? n : 0;
    r->ref_pairs = ref_paired ? n : 0;
    brg_bench_result_finish(r); /* seconds and the paired fraction, for derive */
    return BRG_OK;
}

/* Device runners: the case's device need. The host: the resident high-water
 * mark since just before setup, else the process's peak so far (ru_maxrss,
 * KiB). A process pool's children count with their largest peak so far. */
static int64_t peak_bytes(const brg_bench_case *c, const brg_bench_runner *run, int hwm_reset)
{
    if (!on_host(run)) return (int64_t)c->device_bytes;
    int64_t peak = hwm_reset ? brg_bench_hwm_bytes() : -1;
    struct rusage ru;
    if (peak < 0 && getrusage(RUSAGE_SELF, &ru) == 0) peak = (int64_t)ru.ru_maxrss * 1024;
    if (run->is_pool && run->pool_kind == BRG_POOL_PROCESSES &&
        getrusage(RUSAGE_CHILDREN, &ru) == 0 && (int64_t)ru.ru_maxrss * 1024 > peak)
        peak = (int64_t)ru.ru_maxrss * 1024;
    return peak;
}

/* GB/s (read_bytes) or GFLOP/s (flops), and the fraction of the limit when
 * not paired: GB/s over the read ceiling, the ideal time over ours (pools),
 * the reference's seconds over ours, or GFLOP/s over sgemm_gflops. */
static void derive(const brg_bench_case *c, const brg_bench_runner *run, brg_bench_result *r)
{
    if (!(r->seconds > 0)) return;
    if (c->read_bytes > 0) r->gbs = (double)c->read_bytes / r->seconds / 1e9;
    if (c->flops > 0) {
        r->gflops = c->flops / r->seconds / 1e9;
        if (is_cpu(run) && c->ref_seconds > 0 && isnan(r->fraction_of_limit))
            r->fraction_of_limit = c->ref_seconds / r->seconds; /* not paired */
        else if (!is_cpu(run) && r->sgemm_seconds > 0)
            r->fraction_of_limit = r->sgemm_seconds / r->seconds;
        else if (!is_cpu(run) && run->sgemm_gflops > 0)
            r->fraction_of_limit = r->gflops / run->sgemm_gflops;
    } else if (c->ops->ideal_seconds && on_host(run)) {
        /* the workers a perfect run spreads the case over */
        int workers = !run->is_pool ? brg_bench_online_cores()
                      : run->pool_kind == BRG_POOL_SEQUENTIAL ? 1
                      : c->workers > 0 ? c->workers : brg_bench_online_cores();
        double ideal = c->ops->ideal_seconds(c, workers, c->seq_seconds);
        if (ideal > 0) {
            r->fraction_of_limit = ideal / r->seconds;
            r->n_ratios = 0; /* not the pairs' median */
        }
    } else if (isnan(r->fraction_of_limit) && run->mem_read_gbs > 0) {
        r->fraction_of_limit = r->gbs / run->mem_read_gbs;
    }
}

/* Set up, time, check and tear down variant v on one runner; fills r. */
static void measure_on(const brg_bench_options *opts, brg_bench_case *c,
                       const brg_bench_runner *run, int v, int have, brg_bench_result *r)
{
    size_t free_bytes = 0, total = 0;
    char name[256];
    brg_clear_error();
    brg_status st = run->is_pool ? BRG_OK : brg_device_memory(run->dev, &free_bytes, &total);
    if (st != BRG_OK) {
        set_reason(r, BRG_BENCH_ERROR, "brg_device_memory: %s", failure_text(st));
        return;
    }
    if (!run->is_pool && !fits(c->device_bytes, free_bytes)) { /* pools: prepare checked */
        set_reason(r, BRG_BENCH_SKIPPED, "does not fit: needs %.2f GiB on %s (plus %.2f GiB "
                   "margin), %.2f GiB free", (double)c->device_bytes / GIB, run->spec,
                   (double)MEMORY_MARGIN / GIB, (double)free_bytes / GIB);
        return;
    }
    void *state = NULL;
    brg_bench_progress(opts, "%s on %s: setting up", label(c, name, sizeof name), run->spec);
    int hwm_reset = on_host(run) && brg_bench_hwm_reset();
    st = run->is_pool ? c->ops->setup_pool(c, run->pool_kind, c->workers, &state)
                      : c->ops->setup(c, run->dev, v, &state);
    if (st == BRG_ERR_UNSUPPORTED) /* e.g. a host-only workload on a device */
        set_reason(r, BRG_BENCH_SKIPPED, "not applicable: %s", failure_text(st));
    else if (st != BRG_OK)
        set_reason(r, st == BRG_ERR_OUT_OF_MEMORY ? BRG_BENCH_SKIPPED : BRG_BENCH_ERROR,
                   "setup: %s: %s", brg_status_str(st), failure_text(st));
    if (st != BRG_OK) return;
    brg_bench_progress(opts, "%s on %s: warm-up and runs", name, run->spec);
    st = time_case(opts, c, state, run, have, r);
    if (st == BRG_OK && r->ref_pairs > 0) {
        /* The references' outputs were resident between the runs: one more
         * untimed run, alone since the reset, gives the case's own peak. */
        hwm_reset = brg_bench_hwm_reset();
        st = c->ops->run(state);
    }
    int pass = 0;
    char detail[BRG_BENCH_REASON_LEN];
    if (st == BRG_ERR_UNSUPPORTED) { /* e.g. OpenMP left out of this build */
        set_reason(r, BRG_BENCH_SKIPPED, "%s", failure_text(st));
    } else if (st != BRG_OK) {
        set_reason(r, BRG_BENCH_ERROR, "run: %s: %s", brg_status_str(st), failure_text(st));
    } else {
        derive(c, run, r);
        r->round_fraction[0] = r->fraction_of_limit;
        r->rounds = 1;
        if (c->note[0] && !r->base_note[0])
            snprintf(r->base_note, sizeof r->base_note, "%s", c->note);
        r->note_items = c->note_items;
        brg_bench_result_finish(r);
        r->peak_bytes = peak_bytes(c, run, hwm_reset);
        st = opts->check ? c->ops->verify(c, state, &pass, detail, sizeof detail) : BRG_OK;
        if (st != BRG_OK)
            set_reason(r, BRG_BENCH_ERROR, "check: %s: %s", brg_status_str(st), failure_text(st));
        if (opts->check) r->check = st == BRG_OK && pass ? "pass" : "fail";
        if (opts->check && st == BRG_OK && !pass) {
            brg_bench_progress_clear();
            fprintf(stderr, "bench: check failed: %s on %s: %s\n", c->workload, run->spec,
                    detail);
        }
    }
    c->ops->teardown(state);
}

/* Merge r into all (its first round adds it); print the result after its
 * last round. 1 when this round failed (a check or an error), 0, or -1 when
 * the results cannot be stored. */
static int record(brg_bench_results *all, const brg_bench_result *r, int final_round)
{
    brg_bench_progress_clear();
    brg_bench_progress_step();
    size_t at = 0;
    if (brg_bench_results_merge(all, r, &at) != BRG_OK) {
        fprintf(stderr, "bench: out of memory for the results\n");
        return -1;
    }
    if (final_round) brg_bench_print_result(stdout, &all->items[at]);
    if (r->outcome == BRG_BENCH_ERROR)
        fprintf(stderr, "bench: error: %s on %s: %s\n", r->workload, r->runner, r->reason);
    return r->outcome == BRG_BENCH_ERROR || strcmp(r->check, "fail") == 0;
}

/* The pass run runs in (brg_bench_measure_case). */
static int in_pass(const brg_bench_runner *run, int pass)
{
    return pass < 0 || pass == (!run->is_pool ? 2 : run->pool_kind == BRG_POOL_OPENMP);
}

/* run measures c in this pass: available, in the pass, and a pool runner
 * only for a case with a pool form. */
static int applies(const brg_bench_case *c, const brg_bench_runner *run, int pass)
{
    if (!run->available || !in_pass(run, pass)) return 0;
    return run->is_pool ? c->ops->setup_pool != NULL : c->ops->setup != NULL;
}

static int variants(const brg_bench_case *c, const brg_bench_runner *run, const char **names)
{
    if (!c->ops->variants || run->is_pool) return 1;
    return c->ops->variants(c, run->dev, names, BRG_BENCH_MAX_VARIANTS);
}

/* Every variant of the case on one runner, each with the case's params, the
 * variant's name and a note on how fraction_of_limit was found. The
 * failures, or -1. */
static int measure_runner(const brg_bench_options *opts, brg_bench_case *c,
                          const brg_bench_runner *run, int ready, const brg_bench_result *proto,
                          int final_round, brg_bench_results *all)
{
    const char *names[BRG_BENCH_MAX_VARIANTS] = {NULL};
    int n = variants(c, run, names), failed = 0;
    brg_bench_result base = *proto; /* a GPU: with its own sgemm of the shape, this round */
    if (ready && c->ops->reference && !on_host(run) &&
        c->ops->reference(c, opts, run->dev, 0, &base.sgemm_seconds, base.base_note,
                          sizeof base.base_note) != BRG_OK)
        snprintf(base.base_note, sizeof base.base_note, "fraction_of_limit: GFLOP/s / sgemm_gflops");
    for (int v = 0; v < n; v++) {
        brg_bench_result r = base;
        snprintf(r.runner, sizeof r.runner, "%s", run->spec);
        if (names[v] && c->variant_key) brg_bench_params_str(&r.params, c->variant_key, names[v]);
        if (run->is_pool)
            brg_bench_params_int(&r.params, "workers",
                                 run->pool_kind == BRG_POOL_SEQUENTIAL ? 1 : c->workers);
        if (c->ops->reference && is_cpu(run)) {
            r.sgemm_seconds = ready && c->ref_done ? c->ref_seconds : NAN;
            snprintf(r.base_note, sizeof r.base_note, "%s", ready && c->ref_done ? c->ref_note : "");
        }
        snprintf(r.note, sizeof r.note, "%s", r.base_note); /* finish adds to it */
        /* Earlier rounds of this result: a measured one that has all its
         * runs, or an error, sits this round out. */
        const brg_bench_result *acc = brg_bench_results_find(all, &r);
        if (acc && (acc->outcome == BRG_BENCH_ERROR ||
                    (acc->outcome == BRG_BENCH_MEASURED && acc->n_samples >= acc->target))) {
            brg_bench_progress_step();
            if (final_round) {
                brg_bench_progress_clear();
                brg_bench_print_result(stdout, acc);
            }
            continue;
        }
        if (acc && acc->outcome == BRG_BENCH_MEASURED) r.target = acc->target;
        if (ready) measure_on(opts, c, run, v, r.target ? acc->n_samples : 0, &r);
        if (run->is_pool && run->pool_kind == BRG_POOL_SEQUENTIAL &&
            r.outcome == BRG_BENCH_MEASURED)
            c->seq_seconds = r.seconds;
        int f = record(all, &r, final_round);
        if (f < 0) return -1;
        failed += f;
    }
    return failed;
}

int brg_bench_count_runs(const brg_bench_case *c, const brg_bench_runner *runners, int n_runners,
                         int pass)
{
    int n = 0;
    for (int i = 0; i < n_runners; i++) {
        const char *names[BRG_BENCH_MAX_VARIANTS] = {NULL};
        if (runners[i].deferred && in_pass(&runners[i], pass))
            n++;
        else if (applies(c, &runners[i], pass))
            n += variants(c, &runners[i], names);
    }
    return n;
}

/* Host data for the case, or the reason it cannot be made (into proto). */
static int prepare(const brg_bench_options *opts, brg_bench_case *c, brg_bench_result *proto)
{
    size_t available = brg_bench_host_available();
    char name[256];
    if (available > 0 && !fits(c->host_bytes, available)) {
        set_reason(proto, BRG_BENCH_SKIPPED,
                   "does not fit: needs %.2f GiB of host memory (plus %.2f GiB margin), "
                   "%.2f GiB available", (double)c->host_bytes / GIB,
                   (double)MEMORY_MARGIN / GIB, (double)available / GIB);
        return 0;
    }
    brg_bench_progress(opts, "%s: generating data%s", label(c, name, sizeof name),
                       opts->check ? " and the oracle" : "");
    brg_clear_error();
    brg_status st = c->ops->prepare ? c->ops->prepare(c, opts->check) : BRG_OK;
    if (st != BRG_OK)
        set_reason(proto, st == BRG_ERR_OUT_OF_MEMORY ? BRG_BENCH_SKIPPED : BRG_BENCH_ERROR,
                   "preparing host data: %s", failure_text(st));
    return st == BRG_OK;
}

int brg_bench_measure_case(const brg_bench_options *opts, brg_bench_case *c,
                           const brg_bench_runner *runners, int n_runners,
                           int pass, int final_round,
                           brg_bench_results *all)
{
    int failed = 0, any = 0, cpu = 0;
    for (int i = 0; i < n_runners; i++) {
        any |= applies(c, &runners[i], pass);
        cpu |= applies(c, &runners[i], pass) && is_cpu(&runners[i]);
    }
    brg_bench_result proto = brg_bench_result_new(c->workload, &c->params, "");
    int ready = any && prepare(opts, c, &proto);
    if (ready && !c->ref_done && c->ops->reference && cpu) { /* once: later rounds reuse it */
        char name[256];
        brg_bench_progress(opts, "%s: sgemm reference", label(c, name, sizeof name));
        brg_clear_error();
        c->ref_seconds = NAN;
        brg_status st = c->ops->reference(c, opts, NULL, 0, &c->ref_seconds, c->ref_note,
                                          sizeof c->ref_note);
        if (st != BRG_OK)
            snprintf(c->ref_note, sizeof c->ref_note, "reference not measured: %s",
                     failure_text(st));
        c->ref_seconds = st == BRG_OK ? c->ref_seconds : NAN;
        c->ref_done = 1;
        /* OpenBLAS settles (BRG_BENCH_SETTLE_NS) before the runners. */
        if (!isnan(c->ref_seconds)) nanosleep(&(struct timespec){0, BRG_BENCH_SETTLE_NS}, NULL);
    }
    /* The sequential pool first: the others' fractions need its median. */
    for (int seq_now = 1; any && seq_now >= 0 && failed >= 0; seq_now--) {
        for (int i = 0; i < n_runners && failed >= 0; i++) {
            const brg_bench_runner *run = &runners[i];
            int seq = run->is_pool && run->pool_kind == BRG_POOL_SEQUENTIAL;
            if (seq != seq_now || !applies(c, run, pass)) continue;
            int f = measure_runner(opts, c, run, ready, &proto, final_round, all);
            failed = f < 0 ? -1 : failed + f;
        }
    }
    if (c->ops->release) c->ops->release(c); /* one case's data resident at a time */
    return failed;
}

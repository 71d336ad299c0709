/* bench: measures brigade's workloads on every available runner against the
 * machine's ceilings measured in the same run (docs/bench.md).
 *
 * Exit status: 0 when every measured case ran (and passed --check), 1 when a
 * check failed or a brigade call failed, 2 for a bad command line. */
#include "bench.h"
#include "compare.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The workloads, in the tutorial's order: Part 1 (pools), Part 2 (means),
 * Part 3 (cosine top-k). mean_chunks has two entries: its pool form
 * (Part 1) and its kernel form on devices (Part 2's comparison). */
static const brg_bench_workload *const workloads[] = {
    &brg_bench_sleep,
    &brg_bench_prime_heavy,
    &brg_bench_prime_range,
    &brg_bench_file_write,
    &brg_bench_big_alloc,
    &brg_bench_mean_chunks_pools,
    &brg_bench_dispatch,
    &brg_bench_mean_rows,
    &brg_bench_mean_chunks,
    &brg_bench_cosine_topk,
};
#define N_WORKLOADS (sizeof workloads / sizeof workloads[0])

/* ---- options ------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fputs("usage: bench [options]\n"
          "Measures brigade's workloads on every available runner, after the machine's\n"
          "ceilings (read bandwidth, sgemm) measured in the same run.\n"
          "\n"
          "  --workload NAME   sleep, prime_heavy, prime_range, file_write, big_alloc,\n"
          "                    mean_chunks, dispatch, mean_rows, cosine_topk (repeatable\n"
          "                    or comma list; default all)\n"
          "  --runner SPEC     sequential, threads, processes, openmp (pools), cpu,\n"
          "                    cuda[:N], hip[:N], emu[:32|:64] (repeatable or comma list;\n"
          "                    default the four pools, cpu and every CUDA and HIP device)\n"
          "  --size SIZE       small (default: the quick cases) or seed (every tutorial size)\n"
          "  --suite SUITE     quick (= --size small), seed (= --size seed), or huge: the\n"
          "                    cosine top-k case nb=1e5 dim=1000 nq=1e5 alone, once, under\n"
          "                    a 64 MiB workspace unless --workspace says otherwise\n"
          "  --repeat N        timed runs after one warm-up, N >= 3 (default 5); the huge\n"
          "                    suite: N >= 1 (default 1), no warm-up\n"
          "  --workspace BYTES cosine top-k workspace budget (suffix K, M or G: KiB, MiB,\n"
          "                    GiB); default the library's own\n"
          "  --check           compare every result with a long double oracle\n"
          "  --json FILE       write the results as one JSON document\n"
          "  --csv FILE        write one CSV row per result\n"
          "  --report DIR      write DIR/report.md (the tutorial's tables beside ours),\n"
          "                    DIR/results.json, and charts (DIR/partN.png with gnuplot)\n"
          "  --workers N       pool workers (default: online cores; sleep: one per task,\n"
          "                    up to 64)\n"
          "  --quiet           no progress lines on stderr\n"
          "  --compare OLD NEW compare two --json files instead of running: print every\n"
          "                    result whose median moved beyond the run-to-run spread;\n"
          "                    exit status 1 on a slowdown beyond --threshold PCT\n"
          "                    (percent, default 10), 2 when a file is not a results file\n"
          "  --help            this text\n",
          f);
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n(bench --help lists the options)\n", stderr);
    va_end(ap);
    return 2;
}

/* Append the comma-separated items of value to list, skipping repeats. */
static int add_list(char list[][BRG_BENCH_NAME_LEN], int *count, const char *value,
                    const char *option)
{
    const char *p = value;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= BRG_BENCH_NAME_LEN)
            return bad_usage("%s: bad item in '%s'", option, value);
        int seen = 0;
        for (int i = 0; i < *count; i++)
            seen |= strlen(list[i]) == len && strncmp(list[i], p, len) == 0;
        if (!seen) {
            if (*count >= BRG_BENCH_MAX_LIST)
                return bad_usage("%s: more than %d items", option, BRG_BENCH_MAX_LIST);
            memcpy(list[*count], p, len);
            list[(*count)++][len] = '\0';
        }
        if (p[len] == '\0') return 0;
        p += len + 1;
    }
}

static int parse_int(const char *value, const char *option, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end != '\0' || v < lo || v > hi)
        return bad_usage("%s: expected an integer from %ld to %ld, got '%s'", option, lo, hi,
                         value);
    *out = (int)v;
    return 0;
}

static int parse_scale(const char *value, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (errno || end == value || *end != '\0' || !(v > 0.0 && v <= 1.0))
        return bad_usage("--scale: expected a number in (0, 1], got '%s'", value);
    *out = v;
    return 0;
}

static int parse_size(const char *value, const char *option, brg_bench_options *o)
{
    int suite = strcmp(option, "--suite") == 0;
    if (strcmp(value, suite ? "quick" : "small") == 0)
        o->size = BRG_BENCH_SMALL;
    else if (strcmp(value, "seed") == 0)
        o->size = BRG_BENCH_SEED;
    else if (suite && strcmp(value, "huge") == 0)
        o->size = BRG_BENCH_HUGE;
    else
        return bad_usage("%s: expected %s, got '%s'", option,
                         suite ? "quick, seed or huge" : "small or seed", value);
    return 0;
}

/* A byte count with an optional binary suffix: 64M is 64 MiB. */
static int parse_bytes(const char *value, const char *option, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k') shift = 10;
    if (*end == 'M' || *end == 'm') shift = 20;
    if (*end == 'G' || *end == 'g') shift = 30;
    if (shift) end++;
    if (errno || end == value || *end != '\0' || value[0] == '-' || v == 0 ||
        v > (SIZE_MAX >> shift))
        return bad_usage("%s: expected a positive byte count with an optional K, M or G "
                         "suffix, got '%s'", option, value);
    *out = (size_t)v << shift;
    return 0;
}

/* One option that takes a value. */
static int apply_option(brg_bench_options *o, const char *name, const char *value)
{
    if (strcmp(name, "--workload") == 0)
        return add_list(o->workloads, &o->n_workloads, value, name);
    if (strcmp(name, "--runner") == 0) return add_list(o->runners, &o->n_runners, value, name);
    if (strcmp(name, "--size") == 0 || strcmp(name, "--suite") == 0)
        return parse_size(value, name, o);
    if (strcmp(name, "--repeat") == 0) {
        o->repeat_set = 1; /* at least 3 outside the huge suite: see finish_options */
        return parse_int(value, name, 1, 1000, &o->repeat);
    }
    if (strcmp(name, "--workspace") == 0) return parse_bytes(value, name, &o->workspace_bytes);
    if (strcmp(name, "--scale") == 0) return parse_scale(value, &o->scale);
    if (strcmp(name, "--workers") == 0) return parse_int(value, name, 1, 4096, &o->workers);
    if (strcmp(name, "--json") == 0) {
        o->json_path = value;
        return 0;
    }
    if (strcmp(name, "--csv") == 0) {
        o->csv_path = value;
        return 0;
    }
    if (strcmp(name, "--report") == 0) {
        if (!value[0]) return bad_usage("--report needs a directory");
        o->report_dir = value;
        return 0;
    }
    return bad_usage("unknown option '%s'", name);
}

static int is_flag(const char *name)
{
    return strcmp(name, "--check") == 0 || strcmp(name, "--quiet") == 0 ||
           strcmp(name, "--help") == 0;
}

static int takes_value(const char *name)
{
    static const char *const names[] = {"--workload", "--runner", "--size", "--suite",
                                        "--repeat", "--scale", "--workers", "--json", "--csv", "--report",
                                        "--workspace"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0) return 1;
    return 0;
}

/* Returns -1 for --help, else 0 or 2. Accepts --opt VALUE and --opt=VALUE. */
static int parse_args(int argc, char **argv, brg_bench_options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) return bad_usage("unexpected argument '%s'", arg);
        char name[BRG_BENCH_NAME_LEN];
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        if (len >= sizeof name) return bad_usage("unknown option '%s'", arg);
        memcpy(name, arg, len);
        name[len] = '\0';
        if (is_flag(name)) {
            if (eq) return bad_usage("%s takes no value", name);
            if (strcmp(name, "--help") == 0) return -1;
            *(strcmp(name, "--check") == 0 ? &o->check : &o->quiet) = 1;
            continue;
        }
        if (!takes_value(name)) return bad_usage("unknown option '%s'", name);
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value) return bad_usage("%s needs a value", name);
        int rc = apply_option(o, name, value);
        if (rc) return rc;
    }
    return 0;
}

static const brg_bench_workload *find_workload(const char *name)
{
    for (size_t i = 0; i < N_WORKLOADS; i++)
        if (strcmp(workloads[i]->name, name) == 0) return workloads[i];
    return NULL;
}

static int check_workloads(const brg_bench_options *o)
{
    for (int i = 0; i < o->n_workloads; i++) {
        if (find_workload(o->workloads[i])) continue;
        return bad_usage("--workload: unknown workload '%s' (known: sleep, prime_heavy, "
                         "prime_range, file_write, big_alloc, mean_chunks, dispatch, mean_rows, "
                         "cosine_topk)", o->workloads[i]);
    }
    return 0;
}

#define HUGE_WORKSPACE ((size_t)64 << 20)

/* Defaults and rules that depend on the suite. The huge suite is one call
 * of minutes: one timed run and no warm-up (first touch and thread start
 * are noise there), and a 64 MiB budget so that the bounded-memory claim is
 * what gets measured. */
static int finish_options(brg_bench_options *o)
{
    o->warmup = o->size != BRG_BENCH_HUGE;
    if (o->size != BRG_BENCH_HUGE) {
        if (o->repeat < 3)
            return bad_usage("--repeat: expected at least 3 (1 and 2 only with --suite huge)");
        return 0;
    }
    if (o->n_workloads == 0) add_list(o->workloads, &o->n_workloads, "cosine_topk", "--suite");
    for (int i = 0; i < o->n_workloads; i++)
        if (strcmp(o->workloads[i], "cosine_topk") != 0)
            return bad_usage("--suite huge runs cosine_topk only, not %s", o->workloads[i]);
    if (!o->repeat_set) o->repeat = 1;
    if (o->workspace_bytes == 0) o->workspace_bytes = HUGE_WORKSPACE;
    return 0;
}

/* ---- the run ------------------------------------------------------------------ */

static int selected(const brg_bench_options *o, const brg_bench_workload *w)
{
    if (o->n_workloads == 0) return 1;
    for (int i = 0; i < o->n_workloads; i++)
        if (strcmp(o->workloads[i], w->name) == 0) return 1;
    return 0;
}

static int plan_all(const brg_bench_options *o, brg_bench_case *cases, int *count)
{
    *count = 0;
    for (size_t i = 0; i < N_WORKLOADS; i++) {
        if (!selected(o, workloads[i])) continue;
        brg_status st = workloads[i]->plan(o, cases, count, BRG_BENCH_MAX_CASES);
        if (st != BRG_OK) {
            fprintf(stderr, "bench: planning %s: %s\n", workloads[i]->name, brg_status_str(st));
            return -1;
        }
    }
    return 0;
}

/* The ceilings of the runners that have none yet: the CPU's (measured
 * once) for the cpu runner and the pools, a copy bandwidth per device. */
static void measure_ceilings(const brg_bench_options *o, brg_bench_machine *m,
                             brg_bench_runner *runners, int n_runners)
{
    for (int i = 0; i < n_runners; i++) {
        brg_bench_runner *r = &runners[i];
        if (!r->available) continue;
        if (r->is_pool || brg_device_get_kind(r->dev) == BRG_DEVICE_CPU) {
            r->mem_read_gbs = m->mem_read_gbs;
            r->sgemm_gflops = m->sgemm_gflops;
            if (!r->is_pool && !r->probe) { /* the cpu runner owns it from here */
                r->probe = m->read_probe;
                m->read_probe = NULL;
            }
            continue;
        }
        if (r->ceiling_done) continue;
        r->ceiling_done = 1;
        if (o->size != BRG_BENCH_HUGE) {
            brg_bench_device_ceiling(o, r);
        } else { /* no memory-bound workload; keep the device's memory for top-k */
            r->mem_read_gbs = r->sgemm_gflops = NAN;
        }
    }
}

/* Runners not available: one row each, and in the JSON's not_measured. */
static int record_unavailable(const brg_bench_runner *runners, int n, brg_bench_results *all)
{
    for (int i = 0; i < n; i++) {
        if (runners[i].available || runners[i].deferred) continue;
        brg_bench_result r;
        memset(&r, 0, sizeof r);
        snprintf(r.runner, sizeof r.runner, "%s", runners[i].spec);
        r.outcome = BRG_BENCH_SKIPPED;
        snprintf(r.reason, sizeof r.reason, "%s", runners[i].reason);
        r.check = "skipped";
        r.seconds = r.seconds_min = r.seconds_max = r.gbs = r.gflops = r.fraction_of_limit = NAN;
        r.peak_bytes = -1;
        r.sgemm_seconds = NAN;
        if (brg_bench_results_add(all, &r) != BRG_OK) return -1;
    }
    return 0;
}

/* The passes (see run). */
static int pass_pools(const brg_bench_runner *r)
{
    return r->is_pool && r->pool_kind != BRG_POOL_OPENMP;
}

static int pass_openmp(const brg_bench_runner *r)
{
    return r->is_pool && r->pool_kind == BRG_POOL_OPENMP;
}

static int pass_devices(const brg_bench_runner *r)
{
    return !r->is_pool;
}

static int measure_cases(const brg_bench_options *o, brg_bench_case *cases, int n_cases,
                         const brg_bench_runner *runners, int n_runners,
                         brg_bench_runner_filter want, int last, brg_bench_results *all)
{
    int failed = 0;
    for (int i = 0; i < n_cases; i++) {
        int f = brg_bench_measure_case(o, &cases[i], runners, n_runners, want, last, all);
        if (f < 0) { /* the case itself is destroyed when last */
            failed = -1;
            for (int k = i + 1; k < n_cases && last; k++) cases[k].ops->destroy(&cases[k]);
            break;
        }
        failed += f;
    }
    return failed;
}

static int write_files(const brg_bench_options *o, const brg_bench_machine *m,
                       const brg_bench_runner *runners, int n_runners,
                       const brg_bench_results *all)
{
    int bad = 0;
    if (o->json_path && brg_bench_write_json(o->json_path, m, runners, n_runners, all) != 0)
        bad = 1;
    if (o->csv_path && brg_bench_write_csv(o->csv_path, all) != 0) bad = 1;
    if (o->report_dir && brg_bench_write_report(o->report_dir, m, runners, n_runners, all) != 0)
        bad = 1;
    return bad;
}

typedef struct bench_state {
    brg_bench_options opts;
    brg_bench_machine machine;
    brg_bench_runner runners[BRG_BENCH_MAX_RUNNERS];
    int n_runners;
    brg_bench_case cases[BRG_BENCH_MAX_CASES];
    int n_cases;
    brg_bench_results results;
} bench_state;

/* Three passes, in an order the library's fork rules dictate (docs/pools.md):
 *   1. the sequential, thread and process pools, while no GPU runtime and
 *      no OpenMP lives in the process (a process pool may fork);
 *   2. the OpenMP pool (libgomp starts here; no process pool runs after);
 *   3. the GPU runners, opened only now, and the other devices.
 * Each case is planned once and destroyed after its last pass. */
static int run(bench_state *b)
{
    const brg_bench_options *o = &b->opts;
    int rc = brg_bench_open_runners(o, b->runners, &b->n_runners);
    if (rc) return rc;
    if (plan_all(o, b->cases, &b->n_cases) != 0) {
        for (int i = 0; i < b->n_cases; i++) b->cases[i].ops->destroy(&b->cases[i]);
        return 1;
    }
    int total = 0;
    for (int i = 0; i < b->n_cases; i++) /* every pass: the filters split the runners */
        total += brg_bench_count_runs(&b->cases[i], b->runners, b->n_runners, NULL);
    brg_bench_progress_plan(total);
    brg_bench_machine_measure(o, &b->machine);
    brg_bench_progress_clear();
    /* A fork copies the parent's page tables: with the probe's 1 GiB
     * resident, each process-pool fork took 40 ms instead of 0.2 ms here.
     * The pools run without it; the devices' pass makes a new one. */
    int had_probe = b->machine.read_probe != NULL;
    brg_bench_probe_free(b->machine.read_probe);
    b->machine.read_probe = NULL;
    measure_ceilings(o, &b->machine, b->runners, b->n_runners);
    brg_bench_print_machine(stdout, &b->machine, b->runners, b->n_runners);
    brg_bench_print_header(stdout);
    int failed = measure_cases(o, b->cases, b->n_cases, b->runners, b->n_runners, pass_pools,
                               0, &b->results);
    if (failed >= 0)
        failed = measure_cases(o, b->cases, b->n_cases, b->runners, b->n_runners, pass_openmp,
                               0, &b->results);
    if (failed >= 0) {
        if (had_probe) b->machine.read_probe = brg_bench_read_probe_new(o, b->machine.threads);
        brg_bench_progress(o, "opening the GPU runners");
        brg_bench_open_deferred(b->runners, &b->n_runners);
        measure_ceilings(o, &b->machine, b->runners, b->n_runners);
        brg_bench_progress_clear();
        fputs("\ndevices:\n", stdout);
        brg_bench_print_devices(stdout, b->runners, b->n_runners);
        brg_bench_print_header(stdout);
    }
    brg_bench_probe_free(b->machine.read_probe); /* no cpu runner took it */
    b->machine.read_probe = NULL;
    if (failed >= 0) {
        int f = measure_cases(o, b->cases, b->n_cases, b->runners, b->n_runners, pass_devices,
                              1, &b->results);
        failed = f < 0 ? f : failed + f;
    } else { /* the results could not be stored: the last pass did not run */
        for (int i = 0; i < b->n_cases; i++) b->cases[i].ops->destroy(&b->cases[i]);
    }
    brg_bench_progress_clear();
    if (record_unavailable(b->runners, b->n_runners, &b->results) != 0) failed = -1;
    if (failed >= 0) brg_bench_print_summary(stdout, &b->results);
    int bad_files = write_files(o, &b->machine, b->runners, b->n_runners, &b->results);
    return failed != 0 || bad_files ? 1 : 0;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--compare") == 0) return brg_bench_compare_main(argc, argv);
    bench_state *b = calloc(1, sizeof *b);
    if (!b) {
        fputs("bench: out of memory\n", stderr);
        return 1;
    }
    b->opts.repeat = 5;
    b->opts.scale = 1.0;
    int rc = parse_args(argc, argv, &b->opts);
    if (rc == 0) rc = check_workloads(&b->opts);
    if (rc == 0) rc = finish_options(&b->opts);
    if (rc == -1) {
        usage(stdout);
        rc = 0;
    } else if (rc == 0) {
        b->opts.progress = !b->opts.quiet && isatty(STDERR_FILENO);
        rc = run(b);
    }
    brg_bench_close_runners(b->runners, b->n_runners);
    brg_bench_results_free(&b->results);
    free(b);
    return rc;
}

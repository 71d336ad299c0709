/* bench: brigade's workloads on every available runner against the machine's
 * ceilings measured in the same run (docs/bench.md). Exit status: 0, 1 when a
 * check, a brigade call or a file failed, 2 for a bad command line. */
#include "bench.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The tutorial's order: Part 1 (pools), Part 2 (means), Part 3 (top-k).
 * mean_chunks is in Part 1 on pools and in Part 2 as a kernel on devices. */
static const brg_bench_workload *const workloads[] = {
    &brg_bench_part1[0], &brg_bench_part1[1], &brg_bench_part1[2], &brg_bench_part1[3],
    &brg_bench_part1[4], &brg_bench_part1[5], &brg_bench_part1[6], &brg_bench_means[0],
    &brg_bench_means[1], &brg_bench_cosine_topk};
#define N_WORKLOADS (sizeof workloads / sizeof workloads[0])

static int known_workload(const char *name)
{
    for (size_t i = 0; i < N_WORKLOADS; i++)
        if (strcmp(workloads[i]->name, name) == 0) return 1;
    return 0;
}

static void free_cases(brg_bench_case *cases, int count)
{
    for (int i = 0; i < count; i++) {
        if (cases[i].ops->release) cases[i].ops->release(&cases[i]);
        free(cases[i].impl);
    }
}

static int plan_all(const brg_bench_options *o, brg_bench_case *cases, int *count)
{
    *count = 0;
    for (size_t i = 0; i < N_WORKLOADS; i++) {
        int selected = o->n_workloads == 0;
        for (int k = 0; k < o->n_workloads; k++)
            selected |= strcmp(o->workloads[k], workloads[i]->name) == 0;
        brg_status st = selected ? workloads[i]->plan(workloads[i], o, cases, count,
                                                      BRG_BENCH_MAX_CASES) : BRG_OK;
        if (st != BRG_OK) {
            fprintf(stderr, "bench: planning %s: %s\n", workloads[i]->name, brg_status_str(st));
            return -1;
        }
    }
    return 0;
}

/* Runners not available: one row each, and in the JSON's not_measured. */
static int record_unavailable(const brg_bench_runner *runners, int n, brg_bench_results *all)
{
    for (int i = 0; i < n; i++) {
        if (runners[i].available || runners[i].deferred) continue;
        brg_bench_result r = brg_bench_result_new(NULL, NULL, runners[i].spec);
        r.outcome = BRG_BENCH_SKIPPED;
        snprintf(r.reason, sizeof r.reason, "%s", runners[i].reason);
        if (brg_bench_results_add(all, &r) != BRG_OK) return -1;
    }
    return 0;
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

/* Three passes, in the order the library's fork rules dictate (docs/pools.md):
 * the sequential, thread and process pools while no GPU runtime and no OpenMP
 * lives in the process (a process pool forks); the OpenMP pool; the devices,
 * GPU runners opened only then. */
static int run(bench_state *b)
{
    const brg_bench_options *o = &b->opts;
    brg_bench_machine *m = &b->machine;
    int rc = brg_bench_open_runners(o, b->runners, &b->n_runners);
    if (rc) return rc;
    if (plan_all(o, b->cases, &b->n_cases) != 0) return 1; /* main frees them */
    int total = 0;
    for (int i = 0; i < b->n_cases; i++) /* every pass */
        total += brg_bench_count_runs(&b->cases[i], b->runners, b->n_runners, -1) * o->rounds;
    brg_bench_progress_plan(total);
    brg_bench_machine_measure(o, m);
    brg_bench_progress_clear();
    brg_bench_ceilings(o, m, b->runners, b->n_runners, 0);
    brg_bench_print_machine(stdout, m, b->runners, b->n_runners);
    if (o->rounds > 1)
        printf("rounds: %d (each pass runs every case %d times, set up and warmed up anew; a "
               "row is all its runs, printed after the last)\n\n", o->rounds, o->rounds);
    brg_bench_print_header(stdout);
    int failed = 0, rounds = o->rounds > 1 ? o->rounds : 1;
    for (int pass = 0; pass < 3 && failed >= 0; pass++) {
        if (pass == 2) {
            brg_bench_progress(o, "opening the GPU runners");
            brg_bench_open_deferred(b->runners, &b->n_runners);
            brg_bench_ceilings(o, m, b->runners, b->n_runners, 1);
            brg_bench_progress_clear();
            fputs("\ndevices:\n", stdout);
            brg_bench_print_devices(stdout, b->runners, b->n_runners);
            brg_bench_print_header(stdout);
        }
        /* rounds: every case on every runner, then again, so that each
         * result's timed runs are spread over the pass (results.c) */
        for (int round = 0; round < rounds && failed >= 0; round++) {
            brg_bench_progress_round(round + 1, rounds);
            for (int i = 0; i < b->n_cases && failed >= 0; i++) {
                int f = brg_bench_measure_case(o, &b->cases[i], b->runners, b->n_runners, pass,
                                               round == rounds - 1, &b->results);
                failed = f < 0 ? -1 : failed + f;
            }
        }
    }
    brg_bench_progress_clear();
    if (record_unavailable(b->runners, b->n_runners, &b->results) != 0) failed = -1;
    if (failed >= 0) brg_bench_print_summary(stdout, &b->results);
    int bad = o->json_path &&
              brg_bench_write_json(o->json_path, m, b->runners, b->n_runners, &b->results);
    bad |= o->csv_path && brg_bench_write_csv(o->csv_path, &b->results);
    bad |= o->report_dir &&
           brg_bench_write_report(o->report_dir, m, b->runners, b->n_runners, &b->results);
    return failed != 0 || bad ? 1 : 0;
}

/* bench --compare A B [...]: scripts/bench-compare A B [...] (docs/bench.md). */
static int forward_compare(int argc, char **argv)
{
    int n = 0;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--compare") != 0) argv[n++] = argv[i];
    return brg_bench_run_script("bench-compare", n, argv);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--compare") == 0) return forward_compare(argc, argv);
    bench_state *b = calloc(1, sizeof *b);
    if (!b) {
        fputs("bench: out of memory\n", stderr);
        return 1;
    }
    int rc = brg_bench_parse_options(argc, argv, &b->opts, known_workload);
    if (rc == 0 && brg_bench_under_mpi()) { /* started by mpirun: the sharded top-k */
#if defined(BRIGADE_BENCH_MPI)
        rc = brg_bench_mpi_main(&b->opts);
#else
        fputs("bench: started by an MPI launcher, but built without brigade_mpi "
              "(BRIGADE_MPI=ON needs MPI at configure time)\n", stderr);
        rc = 2;
#endif
    } else if (rc == -1) {
        brg_bench_usage(stdout);
        rc = 0;
    } else if (rc == 0) {
        b->opts.progress = !b->opts.quiet && isatty(STDERR_FILENO);
        rc = run(b);
    }
    brg_bench_close_runners(b->runners, b->n_runners);
    free_cases(b->cases, b->n_cases);
    brg_bench_results_free(&b->results);
    free(b);
    return rc;
}

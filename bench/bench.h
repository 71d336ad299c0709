/* Private to the bench executable: options, runners, workloads, results and
 * the functions the bench's files share.
 *
 * The bench is a table of workloads (bench.c). A workload plans its cases
 * for the chosen size; each case is one parameter set with a small
 * interface (prepare host data once, then set up, run, verify and tear down
 * on each runner). The driver owns everything around it: memory checks,
 * warm-up and timing, ceilings, the report. Later workloads (pools) add a
 * row to the table and a file of their own, as cosine top-k did. */
#ifndef BRG_BENCH_H
#define BRG_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "brigade/brigade.h"

enum {
    BRG_BENCH_MAX_LIST = 16,     /* --workload and --runner entries */
    BRG_BENCH_NAME_LEN = 64,     /* a workload name or device spec */
    BRG_BENCH_MAX_PARAMS = 8,
    BRG_BENCH_REASON_LEN = 512,  /* brg_last_error() messages fit */
    BRG_BENCH_MAX_RUNNERS = 32,
    BRG_BENCH_MAX_CASES = 64,
    BRG_BENCH_MAX_VARIANTS = 4,  /* variants of one case on one runner */
    BRG_BENCH_MAX_ROUNDS = 16,   /* --rounds */
    BRG_BENCH_MAX_REPEAT = 1000, /* --repeat */
    /* Timed runs one result keeps: --repeat, rounded up to whole rounds. */
    BRG_BENCH_MAX_SAMPLES = BRG_BENCH_MAX_REPEAT + BRG_BENCH_MAX_ROUNDS
};

/* After a threaded call, OpenBLAS's idle workers spin (sched_yield) for up
 * to 2^OPENBLAS_THREAD_TIMEOUT cycles (default 2^28, ~0.1 s) and take half
 * of a 2-core machine from whatever runs next: measured, a 22 ms top-k took
 * 45 ms right after its sgemm reference. The bench lets them sleep this
 * long (measure.c). */
#define BRG_BENCH_SETTLE_NS 300000000L

/* ---- options (bench.c) ------------------------------------------------------ */

/* HUGE is --suite huge: only the 37 GiB cosine top-k case, no other sizes. */
typedef enum brg_bench_size {
    BRG_BENCH_SMALL = 0,
    BRG_BENCH_SEED = 1,
    BRG_BENCH_HUGE = 2
} brg_bench_size;

typedef struct brg_bench_options {
    char workloads[BRG_BENCH_MAX_LIST][BRG_BENCH_NAME_LEN];
    int n_workloads;                 /* 0: every workload */
    char runners[BRG_BENCH_MAX_LIST][BRG_BENCH_NAME_LEN];
    int n_runners;                   /* 0: cpu and every GPU */
    brg_bench_size size;
    int repeat;                      /* timed runs after one warm-up, >= 3 (huge: >= 1) */
    int repeat_set;                  /* --repeat was given */
    int rounds;                      /* --rounds: the timed runs of each case spread over
                                        this many passes of the suite (quick: 3, else 1) */
    int warmup;                      /* one untimed run first (not in the huge suite) */
    int workers;                     /* --workers: pool workers; 0: online cores */
    size_t workspace_bytes;          /* --workspace: top-k budget; 0: the library's default */
    int check;                       /* --check: compare with the oracle */
    int quiet;
    int progress;                    /* progress lines on stderr */
    double scale;                    /* hidden --scale: workload sizes times this */
    const char *json_path;           /* NULL: no JSON */
    const char *csv_path;            /* NULL: no CSV */
    const char *report_dir;          /* NULL: no report */
} brg_bench_options;

/* The progress line on stderr when opts->progress (a TTY, not --quiet),
 * rewritten in place (progress.c). plan: the measurements to come; step:
 * one finished; clear: erase the line before printing anything else. */
void brg_bench_progress(const brg_bench_options *opts, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void brg_bench_progress_plan(int total);
/* Round `round` (from 1) of `rounds` runs now; shown when rounds > 1. */
void brg_bench_progress_round(int round, int rounds);
void brg_bench_progress_step(void);
void brg_bench_progress_clear(void);

/* ---- the command line (options.c) ------------------------------------------- */

/* Parse argv into *o (zeroed first; then the defaults and the suite's
 * rules). known_workload (NULL: any name) says whether a --workload name
 * exists. Returns 0, -1 for --help, or 2 for a bad command line (message on
 * stderr). --compare is not handled here (bench.c forwards it to
 * scripts/bench-compare). */
int brg_bench_parse_options(int argc, char **argv, brg_bench_options *o,
                            int (*known_workload)(const char *name));
void brg_bench_usage(FILE *f);
/* Where usage errors go; NULL (the default): stderr. */
extern FILE *brg_bench_usage_errors;
/* "bench: <message>" and a hint on stderr; returns 2. */
int brg_bench_bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Append the comma-separated items of value to list, skipping repeats; 0 or 2. */
int brg_bench_add_list(char list[][BRG_BENCH_NAME_LEN], int *count, const char *value,
                       const char *option);

/* ---- params: the workload's parameters as the JSON "params" object ------- */

typedef struct brg_bench_param {
    const char *key;                 /* static storage */
    const char *str;                 /* static string value, or NULL for a number */
    int64_t num;
    int is_real;                     /* 1: the number is real (%.17g), not num */
    double real;
} brg_bench_param;

typedef struct brg_bench_params {
    int count;
    brg_bench_param items[BRG_BENCH_MAX_PARAMS];
} brg_bench_params;

void brg_bench_params_int(brg_bench_params *p, const char *key, int64_t value);
void brg_bench_params_str(brg_bench_params *p, const char *key, const char *value);
void brg_bench_params_real(brg_bench_params *p, const char *key, double value);
/* The value of e as text (for tables and grouping). */
void brg_bench_param_value(const brg_bench_param *e, char *buf, size_t cap);
/* "k=v<sep>k=v" into buf (always terminated). */
void brg_bench_params_format(const brg_bench_params *p, const char *sep, char *buf, size_t cap);

/* ---- runners and the machine (machine.c) ---------------------------------- */

/* A ceiling that can be re-measured one run at a time, next to each timed
 * run of a memory-bound workload (see measure.c). */
typedef struct brg_bench_probe brg_bench_probe;
/* GB/s of one ceiling run; NAN when it cannot run. */
double brg_bench_probe_gbs(brg_bench_probe *p);
void brg_bench_probe_free(brg_bench_probe *p); /* NULL is fine */

/* A runner is a device (dev) or a pool kind (is_pool: spec is "sequential",
 * "threads", "processes" or "openmp", dev NULL). GPU runners are opened
 * late (deferred), after every process-pool map: the library refuses to
 * fork once a GPU runtime lives in the process (docs/pools.md). */
typedef struct brg_bench_runner {
    char spec[BRG_BENCH_NAME_LEN];   /* canonical device spec, pool kind, or what was asked */
    brg_device *dev;                 /* device runners: NULL until opened or when not available */
    int is_pool;
    brg_pool_kind pool_kind;         /* is_pool only */
    int available;                   /* 0: reason says why */
    int deferred;                    /* a GPU spec not opened yet (brg_bench_open_deferred) */
    int ceiling_done;                /* a device's ceiling was measured (or skipped) */
    char name[256];                  /* device name, without the spec */
    char reason[BRG_BENCH_REASON_LEN];
    double mem_read_gbs;             /* the runner's ceiling (median); NAN: not measured */
    double mem_read_best_gbs;        /* its best run, printed only */
    double sgemm_gflops;             /* NAN: null (not measured) */
    size_t ceiling_bytes;            /* buffer the read/copy ceiling used */
    brg_bench_probe *probe;          /* owned; NULL: no paired ceiling */
} brg_bench_runner;

typedef struct brg_bench_machine {
    char cpu[256];
    int cores;                       /* online cores */
    int threads;                     /* threads of the read ceiling */
    double mem_read_gbs;             /* median of the runs; NAN: not measured */
    double mem_read_best_gbs;        /* best run, printed only */
    size_t mem_read_bytes;
    double sgemm_gflops;             /* median; NAN: not measured */
    double sgemm_best_gflops;
    int sgemm_n;
    brg_bench_probe *read_probe;     /* the CPU read ceiling, handed to the cpu runner */
} brg_bench_machine;

/* A new CPU read probe (its buffer resident); NULL when it cannot be made. */
brg_bench_probe *brg_bench_read_probe_new(const brg_bench_options *opts, int threads);
/* The CPU model, cores, and the CPU ceilings (read bandwidth, sgemm). */
void brg_bench_machine_measure(const brg_bench_options *opts, brg_bench_machine *m);
/* The copy-bandwidth ceiling of a device runner (sets r->mem_read_gbs). */
void brg_bench_device_ceiling(const brg_bench_options *opts, brg_bench_runner *r);

/* Threads for the bench's own loops: BRIGADE_NUM_THREADS, else online cores. */
int brg_bench_threads(void);
int brg_bench_online_cores(void);
/* The host's available memory (brg_device_memory of a "cpu" device) in
 * bytes; 0 when unknown. */
size_t brg_bench_host_available(void);

/* ---- helpers (util.c, params.c) ----------------------------------------------------- */

/* Seconds on CLOCK_MONOTONIC. */
double brg_bench_now(void);


/* Write every page of p[0, bytes), so that first-touch page faults happen
 * here and not inside a clock. (memset(p, 0, n) right after malloc does
 * not do it: GCC turns the pair into calloc, which touches nothing.) */
void brg_bench_touch(void *p, size_t bytes);

/* The process's resident high-water mark (VmHWM): reset it (1, or 0 when
 * /proc/self/clear_refs cannot be written) and read it (bytes, -1 unknown).
 * The reset also resets what getrusage's ru_maxrss and wait4 (so
 * /usr/bin/time) report: afterwards they give the peak since the reset. */
int brg_bench_hwm_reset(void);
int64_t brg_bench_hwm_bytes(void);

/* fn(begin, end, ctx) over ranges covering [0, n) once each, on a brigade
 * thread pool of brg_bench_threads() workers (the bench's data, oracles and
 * first touches; never what is timed). The pool's status. */
typedef void (*brg_bench_range_fn)(int64_t begin, int64_t end, void *ctx);
brg_status brg_bench_parallel(int64_t n, brg_bench_range_fn fn, void *ctx);

/* x[0, n) uniform in [0, 1) from seed: the library's brg_fill_uniform_f32
 * or _f64 (dtype) on the host, so any thread count gives the same array. */
brg_status brg_bench_fill(void *x, brg_dtype dtype, int64_t n, uint64_t seed);

/* python3 on scripts/<name> of the source tree the bench was built from,
 * with argv[0, argc): its exit status, or 2 (message on stderr) when the
 * script or python3 cannot be found. */
int brg_bench_run_script(const char *name, int argc, char *const *argv);

/* ---- cases and workloads -------------------------------------------------- */

typedef struct brg_bench_case brg_bench_case;

typedef struct brg_bench_case_i {
    /* Host data, and with check the oracle; once per case, before any runner. */
    brg_status (*prepare)(brg_bench_case *c, int check);
    /* Optional (NULL: one variant). How many variants of the case run on dev
     * (e.g. a host-array and a device-resident path), each named in the
     * result's params as param_key=names[v]; at most cap. */
    int (*variants)(const brg_bench_case *c, brg_device *dev, const char **names, int cap);
    /* Device-side inputs and outputs for one runner and variant; *state is
     * the runner's. */
    brg_status (*setup)(brg_bench_case *c, brg_device *dev, int variant, void **state);
    /* Optional (NULL: pool runners skip the case). Set up for a pool runner:
     * a pool of kind with c->workers workers. */
    brg_status (*setup_pool)(brg_bench_case *c, brg_pool_kind kind, int workers, void **state);
    /* Optional (NULL: no fraction for pool runners and the cpu runner's
     * ideal time is not known). The seconds a perfect run would take on
     * `workers` workers (sequential: 1) given the sequential median seq
     * (NAN when not measured): NAN when there is no such limit. */
    double (*ideal_seconds)(const brg_bench_case *c, int workers, double seq);
    /* The timed call; synchronous. */
    brg_status (*run)(void *state);
    /* Compare the last run's output with the oracle: *pass 1 or 0; detail
     * says where the first mismatch is. */
    brg_status (*verify)(const brg_bench_case *c, void *state, int *pass, char *detail,
                         size_t cap);
    void (*teardown)(void *state);
    /* Optional (NULL: c->device_bytes). A device runner's peak_bytes, asked
     * after the timed runs and before teardown. */
    int64_t (*device_peak)(const brg_bench_case *c, void *state);
    /* Optional (NULL: none). Compute-bound cases: the seconds of the same
     * work done by the CPU's reference (a plain OpenBLAS sgemm), a median
     * of opts->repeat runs or more, measured once per case before the
     * runners; note says how (e.g. extrapolated from a block). The cpu
     * runner's fraction_of_limit is reference seconds / median seconds. */
    brg_status (*reference)(brg_bench_case *c, const brg_bench_options *opts, double *seconds,
                            char *note, size_t cap);
    /* Optional (NULL: no pairing). The reference once, on the whole shape,
     * after one untimed warm-up; BRG_ERR_UNSUPPORTED when its output is too
     * large to allocate per run. The cpu runner then runs one before each
     * timed run (after OpenBLAS's threads settle), and its fraction_of_limit
     * is the median of the per-pair ratios: on a shared machine the load
     * changes within a second, and a pair sees the same load. */
    brg_status (*reference_once)(brg_bench_case *c, double *seconds);
    /* Free host data and the case's private part; NULL c->impl is fine. */
    void (*destroy)(brg_bench_case *c);
} brg_bench_case_i;

struct brg_bench_case {
    const char *workload;            /* contract name, static */
    const brg_bench_case_i *ops;
    brg_bench_params params;
    size_t host_bytes;               /* host memory prepare needs */
    size_t device_bytes;             /* device memory setup allocates */
    size_t read_bytes;               /* bytes one run reads: the GB/s numerator */
    double flops;                    /* per run; 0: gflops is null */
    const char *variant_key;         /* params key of the variant names ("path") */
    int workers;                     /* pool runners: workers ("workers" in their params) */
    double seq_seconds;              /* the sequential runner's median; NAN until measured */
    int ref_done;                    /* the CPU reference was measured (or failed, note says) */
    double ref_seconds;              /* its seconds (NAN: none), for every round */
    char ref_note[BRG_BENCH_REASON_LEN];
    int64_t note_items;              /* > 0: each result's note gives seconds per item */
    char note[BRG_BENCH_REASON_LEN]; /* set by setup: what the results must say (e.g. a
                                        size scaled down to fit memory); "" none */
    void *impl;                      /* the workload's private part */
};

typedef struct brg_bench_workload {
    const char *name;                /* contract name (design.md §8) */
    /* Append this workload's cases for opts (size, scale) at cases[*count..cap). */
    brg_status (*plan)(const brg_bench_options *opts, brg_bench_case *cases, int *count,
                       int cap);
} brg_bench_workload;

extern const brg_bench_workload brg_bench_mean_rows;   /* mean_workloads.c */
extern const brg_bench_workload brg_bench_mean_chunks;
extern const brg_bench_workload brg_bench_cosine_topk;  /* topk_workload.c */
/* cosine_topk's shapes for opts (size, scale), and its data: queries and
 * database are brg_bench_fill of these seeds. */
typedef struct brg_bench_topk_shape {
    int64_t nb, dim, nq, k;
} brg_bench_topk_shape;
int brg_bench_topk_shapes(const brg_bench_options *opts, brg_bench_topk_shape *out, int cap);
#define BRG_BENCH_TOPK_QUERY_SEED 20240602
#define BRG_BENCH_TOPK_DB_SEED 20240603
/* Under mpirun (mpi_topk.c, with brigade_mpi): cosine_topk sharded over the
 * ranks; the exit status. */
int brg_bench_mpi_main(const brg_bench_options *opts);
/* 1 when an MPI launcher started this process (its environment says so). */
int brg_bench_under_mpi(void);
/* Part 1 (pool_workloads.c): the library's workload registry, by name. */
extern const brg_bench_workload brg_bench_sleep, brg_bench_prime_heavy, brg_bench_prime_range,
    brg_bench_file_write, brg_bench_big_alloc, brg_bench_mean_chunks_pools, brg_bench_dispatch;

/* ---- results and rounds (results.c) ---------------------------------------- */


typedef enum brg_bench_outcome {
    BRG_BENCH_MEASURED = 0,
    BRG_BENCH_SKIPPED,               /* runner or memory not available */
    BRG_BENCH_ERROR                  /* a brigade call failed */
} brg_bench_outcome;

typedef struct brg_bench_result {
    const char *workload;            /* NULL: a runner skipped as a whole */
    brg_bench_params params;
    char runner[BRG_BENCH_NAME_LEN];
    brg_bench_outcome outcome;
    char reason[BRG_BENCH_REASON_LEN];   /* why skipped or failed */
    double seconds, seconds_min, seconds_max;
    int repeats;
    const char *check;               /* "pass", "fail", "skipped" */
    double gbs, gflops, fraction_of_limit;   /* NAN: null */
    int64_t peak_bytes;              /* -1: null */
    double sgemm_seconds;            /* the reference's seconds; NAN: not a key */
    char note[BRG_BENCH_REASON_LEN]; /* printed under the row, JSON "note"; "" none
                                        (brg_bench_result_finish writes it) */
    /* What the numbers above are made from, kept so that the rounds of one
     * result can be merged (results.c). */
    int rounds;                      /* rounds measured and merged into this result */
    int target;                      /* timed runs it needs in all (its first round says) */
    int n_samples;                   /* timed runs in samples */
    int n_ratios;                    /* > 0: fraction_of_limit is the median of ratios */
    int ref_pairs;                   /* runs paired with one sgemm each (the note says so) */
    int64_t note_items;              /* > 0: the note gives seconds per item */
    char base_note[BRG_BENCH_REASON_LEN];         /* the case's and the reference's words */
    double samples[BRG_BENCH_MAX_SAMPLES];        /* seconds of every timed run, in order */
    double ratios[BRG_BENCH_MAX_SAMPLES];         /* paired runs: limit or reference over ours */
    double round_fraction[BRG_BENCH_MAX_ROUNDS];  /* each round's fraction_of_limit */
    double round_sgemm[BRG_BENCH_MAX_ROUNDS];     /* each round's sgemm_seconds */
} brg_bench_result;

typedef struct brg_bench_results {
    brg_bench_result *items;
    size_t count, cap;
} brg_bench_results;

/* Median of n > 0 values (sorts v): the mean of the two middle ones for even n. */
double brg_bench_median(double *v, int n);

/* Append a copy of r; BRG_ERR_OUT_OF_MEMORY when growing fails. */
brg_status brg_bench_results_add(brg_bench_results *all, const brg_bench_result *r);
void brg_bench_results_free(brg_bench_results *all);

/* With --rounds R, each pass of the suite runs R times and each case's
 * timed runs are spread over them, so that a result's min and max span
 * the machine's drift over the pass (tens of seconds), not only over its
 * own back-to-back runs (docs/bench.md, "Comparing two runs").
 *
 * A result's numbers from its raw material (samples, ratios, the rounds'
 * fractions and references): seconds, seconds_min, seconds_max, repeats,
 * fraction_of_limit, sgemm_seconds, the note. gbs and gflops are not
 * touched (the caller derives them from seconds). */
void brg_bench_result_finish(brg_bench_result *r);
/* 1 when a and b are the same result of two rounds: workload, runner and
 * params equal. */
int brg_bench_same_result(const brg_bench_result *a, const brg_bench_result *b);
/* The result of all that is the same as r; NULL when there is none. */
const brg_bench_result *brg_bench_results_find(const brg_bench_results *all,
                                               const brg_bench_result *r);
/* Merge round result r into the result of all with the same identity, or
 * append it when there is none (the first round); *index says where it
 * is. An error in any round makes the result an error (its first reason);
 * a measured round outweighs a skipped one. BRG_ERR_OUT_OF_MEMORY when
 * growing fails. */
brg_status brg_bench_results_merge(brg_bench_results *all, const brg_bench_result *r,
                                   size_t *index);

/* ---- the report (report.c) -------------------------------------------------- */

void brg_bench_print_machine(FILE *f, const brg_bench_machine *m, const brg_bench_runner *runners,
                             int n_runners);
/* The device runners' lines (deferred ones say so), then a blank line. */
void brg_bench_print_devices(FILE *f, const brg_bench_runner *runners, int n_runners);
void brg_bench_print_header(FILE *f);
void brg_bench_print_result(FILE *f, const brg_bench_result *r);
/* 0 on success, -1 when the file cannot be written (message on stderr). */
int brg_bench_write_json(const char *path, const brg_bench_machine *m,
                         const brg_bench_runner *runners, int n_runners,
                         const brg_bench_results *all);
int brg_bench_write_csv(const char *path, const brg_bench_results *all);

/* ---- groups: the tutorial's tables (summary.c) ------------------------------ */

/* The params that define a case ("workers" and "path" say how a runner ran). */
void brg_bench_group_params(const brg_bench_params *p, char *buf, size_t cap);
/* The column of a result: its runner, and its path when it has one. */
void brg_bench_column_name(const brg_bench_result *r, char *buf, size_t cap);
/* The index of the first result of item i's group (itself when first). */
int brg_bench_group_of(const brg_bench_results *all, size_t i);
/* The sequential pool's median in the group starting at first; NAN: none. */
double brg_bench_group_sequential(const brg_bench_results *all, size_t first);
/* The columns of a table: runner (and path) names in order of appearance. */
enum { BRG_BENCH_MAX_COLUMNS = 16, BRG_BENCH_COLUMN_LEN = BRG_BENCH_NAME_LEN + 16 };
typedef struct brg_bench_columns {
    char name[BRG_BENCH_MAX_COLUMNS][BRG_BENCH_COLUMN_LEN];
    int count;
} brg_bench_columns;
/* r's column in c, added when add and there is room; -1 when not there. */
int brg_bench_column_of(brg_bench_columns *c, const brg_bench_result *r, int add);
/* One row per group, one column per runner: medians and speed-ups. */
void brg_bench_print_summary(FILE *f, const brg_bench_results *all);

/* --report DIR: DIR/results.json (the --json document), then
 * scripts/bench-report on it, which writes DIR/report.md and the charts.
 * 0, or -1 with a message on stderr. */
int brg_bench_write_report(const char *dir, const brg_bench_machine *m,
                           const brg_bench_runner *runners, int n_runners,
                           const brg_bench_results *all);

/* ---- runners (runners.c) and measuring (measure.c) ------------------------ */

/* The runners of opts (default: the four pool kinds, cpu and every CUDA
 * and HIP device). Pools, cpu and emu are ready; GPU specs are deferred.
 * One that is not available is kept with available 0 and the reason.
 * Returns 0, or 2 for a spec that is neither a pool kind nor a device spec
 * (message on stderr). */
int brg_bench_open_runners(const brg_bench_options *opts, brg_bench_runner *runners, int *count);
/* Open the deferred GPU runners (a "cuda" or "hip" alone becomes one runner
 * per device). */
void brg_bench_open_deferred(brg_bench_runner *runners, int *count);
void brg_bench_close_runners(brg_bench_runner *runners, int count);

/* Prepare case c, measure it on every available runner that `want`
 * accepts (NULL: all) and that applies to it (pool runners need
 * setup_pool), and merge one result per runner into all
 * (brg_bench_results_merge); with final_round, print the merged results.
 * With last, destroy the case afterwards. Returns the number of failed
 * checks and errors; -1 when the results cannot be stored. */
typedef int (*brg_bench_runner_filter)(const brg_bench_runner *r);
int brg_bench_measure_case(const brg_bench_options *opts, brg_bench_case *c,
                           const brg_bench_runner *runners, int n_runners,
                           brg_bench_runner_filter want, int last, int final_round,
                           brg_bench_results *all);
/* How many results brg_bench_measure_case would make (for the progress
 * line's estimate; a deferred GPU runner counts as one). */
int brg_bench_count_runs(const brg_bench_case *c, const brg_bench_runner *runners, int n_runners,
                         brg_bench_runner_filter want);

#endif

/* Private to the bench (docs/bench.md): a table of workloads (bench.c) that
 * plan cases, each with a small interface (prepare; set up, run, verify, tear
 * down per runner), and the driver around them (measure.c). */
#ifndef BRG_BENCH_H
#define BRG_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "brigade/brigade.h"
#include "workloads.h"

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
    BRG_BENCH_SGEMM_RUNS = 5,    /* timed runs of an sgemm ceiling or device reference */
    /* Timed runs one result keeps: --repeat, rounded up to whole rounds. */
    BRG_BENCH_MAX_SAMPLES = BRG_BENCH_MAX_REPEAT + BRG_BENCH_MAX_ROUNDS
};

/* OpenBLAS's idle workers spin ~0.1 s after a call and slow what runs next
 * (a 22 ms top-k took 45 ms after its sgemm): the bench waits this long. */
#define BRG_BENCH_SETTLE_NS 300000000L

/* ---- options (options.c) and progress (output.c) --------------------------- */
/* HUGE is --suite huge: only the 37 GiB cosine top-k case, no other sizes. */
typedef enum brg_bench_size { BRG_BENCH_SMALL, BRG_BENCH_SEED, BRG_BENCH_HUGE } brg_bench_size;

typedef struct brg_bench_options {
    char workloads[BRG_BENCH_MAX_LIST][BRG_BENCH_NAME_LEN];
    int n_workloads;                 /* 0: every workload */
    char runners[BRG_BENCH_MAX_LIST][BRG_BENCH_NAME_LEN];
    int n_runners;                   /* 0: the pools, cpu and every GPU */
    brg_bench_size size;
    int repeat, repeat_set;          /* timed runs after a warm-up (>= 3; huge: >= 1); given */
    int rounds;                      /* passes of the suite the runs spread over (quick: 5) */
    int warmup;                      /* one untimed run first (not in the huge suite) */
    int workers;                     /* pool workers; 0: online cores */
    size_t workspace_bytes;          /* top-k budget; 0: the library's default */
    int check, quiet, progress;      /* progress: the line on stderr */
    double scale;                    /* hidden --scale: workload sizes times this */
    const char *json_path, *csv_path, *report_dir;  /* NULL: not written */
} brg_bench_options;

/* argv into *o, with the defaults and the suite's rules; known_workload
 * (NULL: any) says whether a --workload exists. 0, -1 for --help, or 2 for a
 * bad command line (message on brg_bench_usage_errors, NULL: stderr). */
int brg_bench_parse_options(int argc, char **argv, brg_bench_options *o,
                            int (*known_workload)(const char *name));
void brg_bench_usage(FILE *f);
extern FILE *brg_bench_usage_errors;

/* The progress line on stderr when opts->progress; plan: the measurements
 * to come; step: one done; clear: erase it before printing anything else. */
void brg_bench_progress(const brg_bench_options *opts, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void brg_bench_progress_plan(int total);
void brg_bench_progress_round(int round, int rounds); /* shown when rounds > 1 */
void brg_bench_progress_step(void);
void brg_bench_progress_clear(void);

/* ---- params: an ordered key/value list, the JSON "params" object (results.c) */
typedef struct brg_bench_param {
    const char *key;                 /* static storage */
    const char *str;                 /* static string value, or NULL for a number */
    int64_t num;
    int is_real;                     /* 1: the number is real, not num */
    double real;
} brg_bench_param;

typedef struct brg_bench_params {
    int count;
    brg_bench_param items[BRG_BENCH_MAX_PARAMS];
} brg_bench_params;

void brg_bench_params_int(brg_bench_params *p, const char *key, int64_t value);
void brg_bench_params_str(brg_bench_params *p, const char *key, const char *value);
void brg_bench_params_real(brg_bench_params *p, const char *key, double value);
/* e's value as text: the shortest that reads back the same. */
void brg_bench_param_value(const brg_bench_param *e, char *buf, size_t cap);
/* "k=v<sep>k=v" into buf (always terminated). */
void brg_bench_params_format(const brg_bench_params *p, const char *sep, char *buf, size_t cap);

/* ---- runners (runners.c) and the machine's ceilings (machine.c) ------------ */
/* A ceiling run once next to each timed run of a memory-bound workload:
 * GB/s of one run, NAN when it fails. */
typedef struct brg_bench_probe brg_bench_probe;
double brg_bench_probe_gbs(brg_bench_probe *p);
void brg_bench_probe_free(brg_bench_probe *p); /* NULL is fine */
/* Median seconds of BRG_BENCH_SGEMM_RUNS brg_matmul_nt (m x k).(n x k)^T on dev, warmed up; NAN: failed */
double brg_bench_device_sgemm(brg_device *dev, int64_t m, int64_t n, int64_t k);

/* A device (dev) or a pool kind (is_pool). GPU runners are opened after every
 * process-pool map (deferred): no fork once a GPU runtime runs (docs/pools.md). */
typedef struct brg_bench_runner {
    char spec[BRG_BENCH_NAME_LEN];   /* canonical device spec, pool kind, or what was asked */
    brg_device *dev;                 /* NULL until opened or when not available */
    int is_pool, available;          /* available 0: reason says why */
    brg_pool_kind pool_kind;
    int deferred, ceiling_done;      /* a GPU spec not opened yet; its ceiling measured */
    char name[256];                  /* device name, without the spec */
    char reason[BRG_BENCH_REASON_LEN];
    double mem_read_gbs, mem_read_best_gbs;  /* median and best run; NAN: not measured */
    double sgemm_gflops;             /* NAN: not measured */
    int64_t sgemm_n;                 /* its n x n x 1000 */
    size_t ceiling_bytes;            /* buffer of the copy ceiling */
    brg_bench_probe *probe;          /* owned; NULL: no paired ceiling */
} brg_bench_runner;

typedef struct brg_bench_machine {
    char cpu[256];
    int cores, threads;              /* online cores; threads of the read ceiling */
    double mem_read_gbs, mem_read_best_gbs;  /* median and best; NAN: not measured */
    size_t mem_read_bytes;
    double sgemm_gflops, sgemm_best_gflops;
    int sgemm_n;
} brg_bench_machine;

/* The runners of opts: pools, cpu and emu ready, GPU specs deferred, the
 * unavailable with their reason. 0, or 2 for a bad spec (message on stderr). */
int brg_bench_open_runners(const brg_bench_options *opts, brg_bench_runner *runners, int *count);
/* Open the deferred GPU runners ("cuda" or "hip" alone: one per device). */
void brg_bench_open_deferred(brg_bench_runner *runners, int *count);
void brg_bench_close_runners(brg_bench_runner *runners, int count);

/* The CPU model, cores, and the CPU ceilings (read bandwidth, sgemm). */
void brg_bench_machine_measure(const brg_bench_options *opts, brg_bench_machine *m);
/* The runners' ceilings: the CPU's for the pools and the cpu runner; in the
 * devices' pass, the cpu runner's read probe and each device's, once. */
void brg_bench_ceilings(const brg_bench_options *opts, const brg_bench_machine *m,
                        brg_bench_runner *runners, int n_runners, int devices);

/* ---- helpers (util.c) ------------------------------------------------------ */
double brg_bench_now(void);          /* seconds on CLOCK_MONOTONIC */
/* Write every page of p[0, bytes): first-touch faults here, not in a clock. */
void brg_bench_touch(void *p, size_t bytes);
/* The resident high-water mark (VmHWM): reset it (1, or 0 when it cannot
 * be; getrusage's and wait4's too) and read it (bytes, -1 unknown). */
int brg_bench_hwm_reset(void);
int64_t brg_bench_hwm_bytes(void);
/* bytes of host memory on a 64-byte boundary (free() it); NULL when out. */
void *brg_bench_alloc(size_t bytes);
int brg_bench_online_cores(void);
int brg_bench_threads(void);         /* BRIGADE_NUM_THREADS, else online cores */
/* Available host memory in bytes (brg_device_memory of "cpu"); 0 unknown. */
size_t brg_bench_host_available(void);
/* x[0, n) uniform in [0, 1) from seed (f32 or f64): the library's
 * brg_fill_uniform_* on the host, the same array for any thread count. */
brg_status brg_bench_fill(void *x, brg_dtype dtype, int64_t n, uint64_t seed);
/* fn(i, NULL, ctx) for i in [0, n) on a brigade thread pool of
 * brg_bench_threads() workers (never what is timed); brg_pool_map's status. */
brg_status brg_bench_parallel(int64_t n, brg_task_fn fn, void *ctx);
/* python3 on scripts/<name> of the source tree the bench was built from,
 * with argv[0, argc): its exit status, or 2 (message on stderr). */
int brg_bench_run_script(const char *name, int argc, char *const *argv);
int brg_bench_under_mpi(void);       /* an MPI launcher started this process */

/* ---- cases and workloads ------------------------------------------------------ */
typedef struct brg_bench_case brg_bench_case;

typedef struct brg_bench_case_i {
    /* Optional. Host data, and with check the oracle, before the runners. */
    brg_status (*prepare)(brg_bench_case *c, int check);
    /* Optional (NULL: one). The variants of the case on dev (e.g. host arrays
     * and a device-resident index), each named in the result's params as
     * c->variant_key=names[v]; at most cap. */
    int (*variants)(const brg_bench_case *c, brg_device *dev, const char **names, int cap);
    /* Inputs and outputs of variant on dev, into *state. */
    brg_status (*setup)(brg_bench_case *c, brg_device *dev, int variant, void **state);
    /* Optional (NULL: pool runners skip the case). A pool of kind. */
    brg_status (*setup_pool)(brg_bench_case *c, brg_pool_kind kind, int workers, void **state);
    /* Optional. The seconds a perfect run takes on `workers` workers given the
     * sequential median seq (NAN: not measured); NAN when no such limit. */
    double (*ideal_seconds)(const brg_bench_case *c, int workers, double seq);
    brg_status (*run)(void *state);  /* the timed call; synchronous */
    /* The last run's output against the oracle: *pass, and where it differs. */
    brg_status (*verify)(const brg_bench_case *c, void *state, int *pass, char *detail,
                         size_t cap);
    void (*teardown)(void *state);
    /* Optional. A compute-bound case's reference, a same-shape sgemm by
     * OpenBLAS (dev NULL, once per case) or dev's brg_matmul_nt (each round):
     * its median seconds, note saying how; fraction_of_limit is its seconds
     * over the runner's median. once: one run on the whole shape, paired with
     * each cpu run (BRG_ERR_UNSUPPORTED: too large; measure.c). */
    brg_status (*reference)(brg_bench_case *c, const brg_bench_options *opts, brg_device *dev,
                            int once, double *seconds, char *note, size_t cap);
    /* Optional. Free what prepare made (it may run again); impl stays. */
    void (*release)(brg_bench_case *c);
} brg_bench_case_i;

struct brg_bench_case {
    const char *workload;            /* contract name, static */
    const brg_bench_case_i *ops;
    brg_bench_params params;
    size_t host_bytes;               /* host memory prepare needs */
    size_t device_bytes;             /* device memory setup needs: a device's peak_bytes */
    size_t read_bytes;               /* bytes one run reads: the GB/s numerator */
    double flops;                    /* per run; 0: gflops is null */
    const char *variant_key;         /* params key of the variant names ("path") */
    int workers;                     /* pool runners' workers */
    double seq_seconds;              /* the sequential pool's median; NAN until measured */
    int ref_done;                    /* the CPU reference was measured (or failed: ref_note) */
    double ref_seconds;              /* its median; NAN: none */
    char ref_note[BRG_BENCH_REASON_LEN];
    int64_t note_items;              /* > 0: each result's note gives seconds per item */
    char note[BRG_BENCH_REASON_LEN]; /* set by setup for the results (e.g. scaled down) */
    void *impl;                      /* the workload's private part, malloc'd */
};

typedef struct brg_bench_workload {
    const char *name;                /* contract name (docs/design.md §8) */
    /* Append w's cases for opts (size, scale) at cases[*count..cap). */
    brg_status (*plan)(const struct brg_bench_workload *w, const brg_bench_options *opts,
                       brg_bench_case *cases, int *count, int cap);
} brg_bench_workload;

/* Part 1 (pool_workloads.c: sleep, prime_heavy, prime_range, file_write,
 * big_alloc, mean_chunks on pools, dispatch), Part 2 (mean_workloads.c:
 * mean_rows, mean_chunks) and Part 3 (topk_workload.c: cosine_topk). */
extern const brg_bench_workload brg_bench_part1[7], brg_bench_means[2], brg_bench_cosine_topk;

/* cosine_topk's shapes for opts, and its data (brg_bench_fill of these seeds). */
typedef struct brg_bench_topk_shape {
    int64_t nb, dim, nq, k;
} brg_bench_topk_shape;
int brg_bench_topk_shapes(const brg_bench_options *opts, brg_bench_topk_shape *out, int cap);
#define BRG_BENCH_TOPK_QUERY_SEED 20240602
#define BRG_BENCH_TOPK_DB_SEED 20240603
/* Under mpirun (mpi_topk.c): cosine_topk sharded over the ranks; exit status. */
int brg_bench_mpi_main(const brg_bench_options *opts);

/* ---- results, and merging rounds (results.c) ------------------------------------ */
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
    int repeats, rounds;             /* timed runs, and the rounds they were merged from */
    const char *check;               /* "pass", "fail", "skipped" */
    double gbs, gflops, fraction_of_limit;   /* NAN: null */
    int64_t peak_bytes;              /* -1: null */
    double sgemm_seconds;            /* the reference's seconds; NAN: not a key */
    char note[BRG_BENCH_REASON_LEN]; /* under the row, JSON "note"; "" none */
    /* The raw material of the numbers above, so that rounds can be merged. */
    int target, n_samples;           /* timed runs it needs in all, and has */
    int n_ratios;                    /* > 0: fraction_of_limit is the median of ratios */
    int ref_pairs;                   /* runs paired with one sgemm each */
    int64_t note_items;              /* > 0: the note gives seconds per item */
    char base_note[BRG_BENCH_REASON_LEN];         /* the case's and the reference's words */
    double samples[BRG_BENCH_MAX_SAMPLES];        /* every timed run, in order */
    double ratios[BRG_BENCH_MAX_SAMPLES];         /* paired runs: limit or reference / ours */
    double round_fraction[BRG_BENCH_MAX_ROUNDS];  /* each round's fraction_of_limit */
} brg_bench_result;

typedef struct brg_bench_results {
    brg_bench_result *items;
    size_t count, cap;
} brg_bench_results;

/* A result to fill: measured, nothing measured yet (NAN, -1), check skipped. */
brg_bench_result brg_bench_result_new(const char *workload, const brg_bench_params *params,
                                      const char *runner);
/* Median of n > 0 values (sorts v): the mean of the two middle ones for even n. */
double brg_bench_median(double *v, int n);
/* Append a copy of r; BRG_ERR_OUT_OF_MEMORY when growing fails. */
brg_status brg_bench_results_add(brg_bench_results *all, const brg_bench_result *r);
void brg_bench_results_free(brg_bench_results *all);
/* seconds, min, max, repeats, fraction_of_limit and the note from the raw
 * material (gbs and gflops are the caller's). */
void brg_bench_result_finish(brg_bench_result *r);
/* The result of all with r's workload, runner and params; NULL: none. */
const brg_bench_result *brg_bench_results_find(const brg_bench_results *all,
                                               const brg_bench_result *r);
/* Merge round r into its result in all, or append it (*index: where). An
 * error in any round makes the result an error (its first reason); a
 * measured round outweighs a skipped one. */
brg_status brg_bench_results_merge(brg_bench_results *all, const brg_bench_result *r,
                                   size_t *index);

/* ---- output (output.c): stdout, and the files --------------------------------- */
void brg_bench_print_machine(FILE *f, const brg_bench_machine *m, const brg_bench_runner *runners,
                             int n_runners);
void brg_bench_print_devices(FILE *f, const brg_bench_runner *runners, int n_runners);
void brg_bench_print_header(FILE *f);
void brg_bench_print_result(FILE *f, const brg_bench_result *r);
/* One row per case, one column per runner: medians and speed-ups. */
void brg_bench_print_summary(FILE *f, const brg_bench_results *all);
/* --json, --csv, --report (DIR/results.json, then scripts/bench-report on
 * it): 0, or -1 when a file cannot be written (message on stderr). */
int brg_bench_write_json(const char *path, const brg_bench_machine *m,
                         const brg_bench_runner *runners, int n_runners,
                         const brg_bench_results *all);
int brg_bench_write_csv(const char *path, const brg_bench_results *all);
int brg_bench_write_report(const char *dir, const brg_bench_machine *m,
                           const brg_bench_runner *runners, int n_runners,
                           const brg_bench_results *all);

/* ---- measuring (measure.c) ------------------------------------------------------ */
/* Prepare c, measure it on every runner of pass (0: sequential, thread and
 * process pools; 1: OpenMP; 2: devices) that applies, merge a result per
 * runner and variant into all, release c's host data; final_round prints the
 * merged results. The failed checks and errors; -1: results not stored. */
int brg_bench_measure_case(const brg_bench_options *opts, brg_bench_case *c,
                           const brg_bench_runner *runners, int n_runners, int pass,
                           int final_round, brg_bench_results *all);
/* How many results brg_bench_measure_case would make in pass (-1: all; a
 * deferred GPU runner counts as one), for the progress line. */
int brg_bench_count_runs(const brg_bench_case *c, const brg_bench_runner *runners, int n_runners,
                         int pass);

#endif

/* The tutorial's Part 1 workloads (sleep, prime_heavy, prime_range,
 * file_write, big_alloc, mean_chunks) from the library's registry
 * (include/brigade/workloads.h), on the pool runners (brg_workload_map)
 * and, where the work is data-parallel, on the device runners
 * (brg_workload_run_device); plus `dispatch`, empty tasks that measure what
 * a pool costs per item.
 *
 * The seed suite runs the registry's sizes, which are the tutorial's. The
 * quick suite runs the small ones, and scaled stand-ins where the tutorial
 * has none that finish in seconds: sleep 25 x 20 ms (the tutorial's 25 x 1 s
 * keeps a sequential loop busy for 25 s per run) and big_alloc 2 x 500 MiB
 * (one task per worker on 2 cores; the tutorial's tasks are 500 MiB too).
 * Their params say so: they are what ran.
 *
 * Only the map (or the device call) is timed. Preparing a workload (the
 * mean_chunks array, file_write's directory) and creating the pool are not:
 * a persistent pool is made once and used for many maps, and that is what
 * the numbers are for. A process pool forks inside every map, so its fork
 * cost is in its time. */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAX_SLEEP_WORKERS = 64,          /* sleep's default workers: one per task, up to this */
    DISPATCH_N = 10000000            /* dispatch: 1e7 empty tasks */
};

typedef struct part1_size {
    const char *workload;
    brg_workload_params p;
} part1_size;

#define SEED_KEY 20240601u

/* The registry's sizes (the tutorial's) are added for the seed suite by
 * plan_registry; these are the quick suite's. */
static const part1_size quick_sizes[] = {
    {"sleep", {.n = 25, .seconds_per_task = 0.02}},
    {"prime_heavy", {.n = 1000, .value = 9999991}},
    {"prime_heavy", {.n = 100000, .value = 9999991}},
    {"prime_range", {.n = 1000}},
    {"prime_range", {.n = 1000000}},
    {"file_write", {.n = 1000, .letters = 200, .seed = SEED_KEY}},
    {"file_write", {.n = 1000, .letters = 20000, .seed = SEED_KEY}},
    {"big_alloc", {.n = 2, .megabytes = 500, .seed = SEED_KEY}},
    {"mean_chunks", {.n = 100000, .size = 100000000, .seed = SEED_KEY}},
    {"mean_chunks", {.n = 1000, .size = 100000000, .seed = SEED_KEY}},
};

typedef struct part1_case {
    const brg_workload_info *info;   /* NULL: dispatch */
    brg_workload_params p;
} part1_case;

typedef struct part1_state {
    const part1_case *pc;
    brg_workload_ctx *ctx;           /* NULL for dispatch */
    brg_pool *pool;                  /* pool runners */
    brg_device *dev;                 /* device runners */
    void *results;
    int64_t failed;
} part1_state;

/* ---- set up, run, check --------------------------------------------------------- */

static brg_status part1_prepare(brg_bench_case *c, int check)
{
    (void)c; /* each runner prepares its own workload: see setup */
    (void)check;
    return BRG_OK;
}

static void part1_teardown(void *state)
{
    part1_state *s = state;
    if (!s) return;
    brg_pool_free(s->pool);
    brg_workload_ctx_free(s->ctx);
    free(s->results);
    free(s);
}

/* The workload prepared for `workers` workers, and its results buffer. */
static brg_status new_state(brg_bench_case *c, int workers, part1_state **out)
{
    *out = NULL;
    part1_state *s = calloc(1, sizeof *s);
    if (!s) return BRG_ERR_OUT_OF_MEMORY;
    s->pc = c->impl;
    if (!s->pc->info) { /* dispatch: no results */
        *out = s;
        return BRG_OK;
    }
    brg_workload_params p = s->pc->p;
    p.workers = workers;
    size_t bytes = 0;
    brg_status st = brg_workload_prepare(s->pc->info, &p, &s->ctx);
    if (st == BRG_OK) st = brg_workload_results_bytes(s->ctx, &bytes);
    if (st == BRG_OK) /* big_alloc scaled down to fit memory says so */
        snprintf(c->note, sizeof c->note, "%s", brg_workload_ctx_note(s->ctx));
    if (st == BRG_OK && !(s->results = malloc(bytes ? bytes : 1))) st = BRG_ERR_OUT_OF_MEMORY;
    if (st == BRG_OK) brg_bench_touch(s->results, bytes);
    if (st != BRG_OK) {
        part1_teardown(s);
        return st;
    }
    *out = s;
    return BRG_OK;
}

static brg_status part1_setup_pool(brg_bench_case *c, brg_pool_kind kind, int workers,
                                   void **state)
{
    part1_state *s;
    brg_status st = new_state(c, workers, &s);
    if (st != BRG_OK) return st;
    brg_pool_options o = {.kind = kind, .workers = workers};
    st = brg_pool_create(&o, &s->pool);
    if (st != BRG_OK) {
        part1_teardown(s);
        return st;
    }
    *state = s;
    return BRG_OK;
}

static brg_status part1_setup(brg_bench_case *c, brg_device *dev, int variant, void **state)
{
    (void)variant;
    part1_state *s;
    brg_status st = new_state(c, brg_bench_online_cores(), &s);
    if (st != BRG_OK) return st;
    s->dev = dev;
    if (s->pc->info->host_only) { /* the library says why, as BRG_ERR_UNSUPPORTED */
        st = brg_workload_run_device(s->ctx, dev, s->results);
        part1_teardown(s);
        return st == BRG_OK ? BRG_ERR_UNSUPPORTED : st;
    }
    *state = s;
    return BRG_OK;
}

static brg_status empty_task(int64_t i, void *result, void *ctx)
{
    (void)i;
    (void)result;
    (void)ctx;
    return BRG_OK;
}

static brg_status part1_run(void *state)
{
    part1_state *s = state;
    if (!s->ctx)
        return brg_pool_map(s->pool, empty_task, NULL, s->pc->p.n, NULL, 0, &s->failed);
    if (s->pool) return brg_workload_map(s->ctx, s->pool, s->results, &s->failed);
    return brg_workload_run_device(s->ctx, s->dev, s->results);
}

static brg_status part1_verify(const brg_bench_case *c, void *state, int *pass, char *detail,
                               size_t cap)
{
    (void)c;
    part1_state *s = state;
    if (!s->ctx) { /* dispatch: the map succeeded, there is nothing else */
        *pass = s->failed == -1;
        snprintf(detail, cap, "failed index %lld", (long long)s->failed);
        return BRG_OK;
    }
    return brg_workload_check(s->ctx, s->results, pass, detail, cap);
}

static void part1_destroy(brg_bench_case *c)
{
    free(c->impl);
    c->impl = NULL;
}

/* The time a perfect run takes on `workers` workers. Waiting tasks: the
 * waits in ceil(n / workers) rounds. CPU-bound ones: the sequential time
 * spread over min(workers, cores) cores (fraction = parallel efficiency). */
static double part1_ideal(const brg_bench_case *c, int workers, double seq)
{
    const part1_case *pc = c->impl;
    if (!pc->info) return NAN; /* dispatch: its own note */
    if (strcmp(pc->info->name, "sleep") == 0) {
        int64_t rounds = (pc->p.n + workers - 1) / workers;
        return (double)rounds * pc->p.seconds_per_task;
    }
    int cores = brg_bench_online_cores();
    return seq / (workers < cores ? workers : cores);
}

static const brg_bench_case_i part1_i = {
    .prepare = part1_prepare,
    .setup = part1_setup,
    .setup_pool = part1_setup_pool,
    .ideal_seconds = part1_ideal,
    .run = part1_run,
    .verify = part1_verify,
    .teardown = part1_teardown,
    .destroy = part1_destroy,
};

/* Cases that run on pools only: mean_chunks, whose device form is the
 * mean_chunks kernel case (mean_workloads.c), and dispatch, since a device has
 * no tasks to dispatch. No ideal time: mean_chunks is memory-bound (GB/s over
 * the read ceiling), dispatch reports ns per item. */
static const brg_bench_case_i pools_only_i = {
    .prepare = part1_prepare,
    .setup_pool = part1_setup_pool,
    .run = part1_run,
    .verify = part1_verify,
    .teardown = part1_teardown,
    .destroy = part1_destroy,
};

/* ---- planning ------------------------------------------------------------------ */

static int64_t scaled(int64_t v, double scale)
{
    int64_t s = llround((double)v * scale);
    return v > 0 && s < 1 ? 1 : s;
}

static void part1_params(const part1_case *pc, brg_bench_params *out)
{
    out->count = 0;
    if (!pc->info) {
        brg_bench_params_int(out, "n", pc->p.n);
        return;
    }
    unsigned m = pc->info->params;
    brg_bench_params_int(out, "n", pc->p.n);
    if (m & BRG_WORKLOAD_PARAM_SECONDS_PER_TASK)
        brg_bench_params_real(out, "seconds_per_task", pc->p.seconds_per_task);
    if (m & BRG_WORKLOAD_PARAM_VALUE) brg_bench_params_int(out, "value", pc->p.value);
    if (m & BRG_WORKLOAD_PARAM_LETTERS) brg_bench_params_int(out, "letters", pc->p.letters);
    if (m & BRG_WORKLOAD_PARAM_MEGABYTES) brg_bench_params_int(out, "megabytes", pc->p.megabytes);
    if (m & BRG_WORKLOAD_PARAM_SIZE) {
        brg_bench_params_int(out, "size", pc->p.size);
        brg_bench_params_str(out, "dtype", "f64"); /* as the mean_chunks kernel case says */
    }
}

static int default_workers(const brg_bench_options *opts, const part1_case *pc)
{
    if (opts->workers > 0) return opts->workers;
    /* Waiting tasks overlap on more workers than cores (docs/pools.md). */
    if (pc->info && strcmp(pc->info->name, "sleep") == 0)
        return (int)(pc->p.n < MAX_SLEEP_WORKERS ? (pc->p.n > 0 ? pc->p.n : 1)
                                                  : MAX_SLEEP_WORKERS);
    return brg_bench_online_cores();
}

static brg_status add_case(const brg_bench_options *opts, const brg_workload_info *info,
                           const brg_workload_params *p, brg_bench_case *cases, int *count,
                           int cap)
{
    if (*count >= cap) return BRG_ERR_OVERFLOW;
    part1_case *pc = calloc(1, sizeof *pc);
    if (!pc) return BRG_ERR_OUT_OF_MEMORY;
    pc->info = info;
    pc->p = *p;
    /* --scale shrinks the work; mean_chunks keeps its chunk count, as the
     * kernel case does (mean_workloads.c), so that the two share a table. */
    pc->p.n = info && info->params & BRG_WORKLOAD_PARAM_SIZE ? p->n : scaled(p->n, opts->scale);
    pc->p.size = scaled(p->size, opts->scale);
    pc->p.megabytes = scaled(p->megabytes, opts->scale);
    pc->p.seconds_per_task = p->seconds_per_task * opts->scale;
    brg_bench_case *c = &cases[(*count)++];
    memset(c, 0, sizeof *c);
    c->workload = info ? info->name : "dispatch";
    c->ops = !info || strcmp(info->name, "mean_chunks") == 0 ? &pools_only_i : &part1_i;
    part1_params(pc, &c->params);
    c->workers = default_workers(opts, pc);
    c->seq_seconds = NAN;
    /* Host memory: the results, and the data a runner prepares (big_alloc
     * scales itself down to what is available, and says so). */
    size_t results = info ? (size_t)pc->p.n * info->result_size : 0;
    c->host_bytes = results + (size_t)pc->p.size * sizeof(double);
    c->read_bytes = (size_t)pc->p.size * sizeof(double); /* mean_chunks reads its array */
    c->note_items = info ? 0 : pc->p.n;
    c->impl = pc;
    return BRG_OK;
}

static brg_status plan_part1(const brg_bench_workload *w, const brg_bench_options *opts,
                             brg_bench_case *cases, int *count, int cap)
{
    if (opts->size == BRG_BENCH_HUGE) return BRG_OK;
    if (strcmp(w->name, "dispatch") == 0)
        return add_case(opts, NULL, &(brg_workload_params){.n = DISPATCH_N}, cases, count, cap);
    const brg_workload_info *info = NULL;
    brg_status st = brg_workload_find(w->name, &info);
    if (opts->size == BRG_BENCH_SEED) /* the registry's sizes: the tutorial's */
        for (int i = 0; st == BRG_OK && i < info->n_sizes; i++)
            st = add_case(opts, info, &info->sizes[i], cases, count, cap);
    else
        for (size_t i = 0; st == BRG_OK && i < sizeof quick_sizes / sizeof quick_sizes[0]; i++)
            if (strcmp(quick_sizes[i].workload, w->name) == 0)
                st = add_case(opts, info, &quick_sizes[i].p, cases, count, cap);
    return st;
}

const brg_bench_workload brg_bench_part1[7] = {
    {"sleep", plan_part1},     {"prime_heavy", plan_part1}, {"prime_range", plan_part1},
    {"file_write", plan_part1}, {"big_alloc", plan_part1},  {"mean_chunks", plan_part1},
    {"dispatch", plan_part1}};

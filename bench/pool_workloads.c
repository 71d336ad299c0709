/* The tutorial's Part 1 workloads from the workloads library's registry (workloads/) on the pools
 * (brg_workload_map) and, where data-parallel, on the devices; plus
 * `dispatch`, empty tasks: what a pool costs per item. Only the map (or the
 * device call) is timed: a persistent pool serves many maps, while a process
 * pool forks inside every map, so its fork cost is in its time. */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAX_SLEEP_WORKERS = 64,          /* sleep's default workers: one per task, up to this */
    DISPATCH_N = 10000000,           /* dispatch: 1e7 empty tasks */
    SEED_KEY = 20240601
};

/* The quick suite's sizes (the seed suite's are the registry's). */
static const struct {
    const char *workload;
    brg_workload_params p;
} quick_sizes[] = {
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

static void part1_teardown(void *state)
{
    part1_state *s = state;
    if (!s) return;
    brg_pool_free(s->pool);
    brg_workload_ctx_free(s->ctx);
    free(s->results);
    free(s);
}

/* The workload prepared for the workers (each runner prepares its own), its
 * results, and on a pool runner the pool; on a device runner, a host-only
 * workload is BRG_ERR_UNSUPPORTED in the library's own words. */
static brg_status setup(brg_bench_case *c, brg_device *dev, const brg_pool_options *pool,
                        void **state)
{
    part1_state *s = calloc(1, sizeof *s);
    *state = s;
    if (!s) return BRG_ERR_OUT_OF_MEMORY;
    s->pc = c->impl;
    s->dev = dev;
    brg_workload_params p = s->pc->p;
    p.workers = pool ? pool->workers : brg_bench_online_cores();
    size_t bytes = 0;
    brg_status st = s->pc->info ? brg_workload_prepare(s->pc->info, &p, &s->ctx) : BRG_OK;
    if (st == BRG_OK && s->ctx) st = brg_workload_results_bytes(s->ctx, &bytes);
    if (st == BRG_OK && s->ctx) /* big_alloc scaled down to fit memory says so */
        snprintf(c->note, sizeof c->note, "%s", brg_workload_ctx_note(s->ctx));
    if (st == BRG_OK && !(s->results = malloc(bytes ? bytes : 1))) st = BRG_ERR_OUT_OF_MEMORY;
    if (st == BRG_OK) brg_bench_touch(s->results, bytes);
    if (st == BRG_OK && pool) st = brg_pool_create(pool, &s->pool);
    if (st == BRG_OK && !pool && s->pc->info->host_only) {
        st = brg_workload_run_device(s->ctx, dev, s->results);
        st = st == BRG_OK ? BRG_ERR_UNSUPPORTED : st;
    }
    if (st != BRG_OK) {
        part1_teardown(s);
        *state = NULL;
    }
    return st;
}

static brg_status part1_setup_pool(brg_bench_case *c, brg_pool_kind kind, int workers,
                                   void **state)
{
    return setup(c, NULL, &(brg_pool_options){.kind = kind, .workers = workers}, state);
}

static brg_status part1_setup(brg_bench_case *c, brg_device *dev, int variant, void **state)
{
    (void)variant;
    return setup(c, dev, NULL, state);
}

static brg_status empty_task(int64_t i, void *result, void *ctx)
{
    (void)i, (void)result, (void)ctx; /* nothing: the pool's cost alone */
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
    if (s->ctx) return brg_workload_check(s->ctx, s->results, pass, detail, cap);
    *pass = s->failed == -1; /* dispatch: the map succeeded, there is nothing else */
    snprintf(detail, cap, "failed index %lld", (long long)s->failed);
    return BRG_OK;
}

/* The time a perfect run takes on `workers` workers. Waiting tasks: the
 * waits in ceil(n / workers) rounds. CPU-bound ones: the sequential time
 * spread over min(workers, cores) cores (fraction = parallel efficiency). */
static double part1_ideal(const brg_bench_case *c, int workers, double seq)
{
    const part1_case *pc = c->impl;
    int cores = brg_bench_online_cores();
    if (strcmp(pc->info->name, "sleep") == 0)
        return (double)((pc->p.n + workers - 1) / workers) * pc->p.seconds_per_task;
    return seq / (workers < cores ? workers : cores);
}

static const brg_bench_case_i part1_i = {
    .setup = part1_setup, .setup_pool = part1_setup_pool, .ideal_seconds = part1_ideal,
    .run = part1_run,     .verify = part1_verify,         .teardown = part1_teardown,
};

/* Pools only: mean_chunks (on devices: the kernel case, mean_workloads.c;
 * memory-bound, so GB/s over the read ceiling) and dispatch (ns per item). */
static const brg_bench_case_i pools_only_i = {
    .setup_pool = part1_setup_pool, .run = part1_run, .verify = part1_verify,
    .teardown = part1_teardown,
};

static int64_t scaled(int64_t v, double scale)
{
    int64_t s = llround((double)v * scale);
    return v > 0 && s < 1 ? 1 : s;
}

static brg_status add_case(const brg_bench_options *opts, const brg_workload_info *info,
                           const brg_workload_params *p, brg_bench_case *cases, int *count,
                           int cap)
{
    part1_case *pc = *count < cap ? calloc(1, sizeof *pc) : NULL;
    if (!pc) return *count < cap ? BRG_ERR_OUT_OF_MEMORY : BRG_ERR_OVERFLOW;
    unsigned m = info ? info->params : 0;
    /* --scale shrinks the work; mean_chunks keeps its chunk count, as the
     * kernel case does (mean_workloads.c), so that the two share a table. */
    *pc = (part1_case){.info = info, .p = *p};
    pc->p.n = m & BRG_WORKLOAD_PARAM_SIZE ? p->n : scaled(p->n, opts->scale);
    pc->p.size = scaled(p->size, opts->scale);
    pc->p.megabytes = scaled(p->megabytes, opts->scale);
    pc->p.seconds_per_task = p->seconds_per_task * opts->scale;
    /* Waiting tasks overlap on more workers than cores (docs/pools.md). */
    int64_t n = pc->p.n;
    int sleep = info && strcmp(info->name, "sleep") == 0;
    int sleep_workers = (int)(n < MAX_SLEEP_WORKERS ? (n > 0 ? n : 1) : MAX_SLEEP_WORKERS);
    /* Host memory: the results, and the data a runner prepares (big_alloc
     * scales itself down to what is available, and says so). */
    brg_bench_case *c = &cases[(*count)++];
    *c = (brg_bench_case){
        .workload = info ? info->name : "dispatch",
        .ops = !info || strcmp(info->name, "mean_chunks") == 0 ? &pools_only_i : &part1_i,
        .workers = opts->workers > 0 ? opts->workers
                   : sleep ? sleep_workers : brg_bench_online_cores(),
        .seq_seconds = NAN,
        .host_bytes = (info ? (size_t)n * info->result_size : 0) + (size_t)pc->p.size * 8,
        .read_bytes = (size_t)pc->p.size * sizeof(double), /* mean_chunks reads its array */
        .note_items = info ? 0 : n, .impl = pc};
    brg_bench_params_int(&c->params, "n", n);
    if (m & BRG_WORKLOAD_PARAM_SECONDS_PER_TASK)
        brg_bench_params_real(&c->params, "seconds_per_task", pc->p.seconds_per_task);
    if (m & BRG_WORKLOAD_PARAM_VALUE) brg_bench_params_int(&c->params, "value", pc->p.value);
    if (m & BRG_WORKLOAD_PARAM_LETTERS)
        brg_bench_params_int(&c->params, "letters", pc->p.letters);
    if (m & BRG_WORKLOAD_PARAM_MEGABYTES)
        brg_bench_params_int(&c->params, "megabytes", pc->p.megabytes);
    if (m & BRG_WORKLOAD_PARAM_SIZE) {
        brg_bench_params_int(&c->params, "size", pc->p.size);
        brg_bench_params_str(&c->params, "dtype", "f64"); /* as the kernel case says */
    }
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
    {"sleep", plan_part1},      {"prime_heavy", plan_part1}, {"prime_range", plan_part1},
    {"file_write", plan_part1}, {"big_alloc", plan_part1},   {"mean_chunks", plan_part1},
    {"dispatch", plan_part1}};

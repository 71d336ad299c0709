/* The workload registry (workloads.h): the tutorial's Part 1
 * functions with their sizes, and what every workload shares: argument
 * checks, the map, device runs and the check against the reference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl.h"

/* No seed in the tutorial (np.random is unseeded); a fixed one makes runs
 * comparable. */
#define SEED 20240601u

static const brg_workload_params sleep_sizes[] = {
    {.n = 25, .seconds_per_task = 1.0},
    {.n = 2500, .seconds_per_task = 0.01},
};
static const brg_workload_params prime_heavy_sizes[] = {
    {.n = 1000, .value = 9999991},
    {.n = 100000, .value = 9999991},
};
static const brg_workload_params prime_range_sizes[] = {{.n = 1000}, {.n = 1000000}};
static const brg_workload_params file_write_sizes[] = {
    {.n = 1000, .letters = 200, .seed = SEED},
    {.n = 100000, .letters = 200, .seed = SEED},
    {.n = 1000, .letters = 20000, .seed = SEED},
    {.n = 100000, .letters = 20000, .seed = SEED},
};
static const brg_workload_params big_alloc_sizes[] = {
    {.n = 100, .megabytes = 500, .seed = SEED},
    {.n = 10, .megabytes = 5000, .seed = SEED},
};
static const brg_workload_params mean_chunks_sizes[] = {
    {.n = 100000, .size = 100000000, .seed = SEED},
    {.n = 1000, .size = 100000000, .seed = SEED},
};

#define SIZES(a) (int)(sizeof a / sizeof a[0]), a

static const brg_workload_info infos[] = {
    {"sleep", "time.sleep(seconds_per_task), return x*x: tasks that wait",
     BRG_WORKLOAD_PARAM_N | BRG_WORKLOAD_PARAM_SECONDS_PER_TASK, 1, sizeof(int64_t),
     SIZES(sleep_sizes)},
    {"prime_heavy", "is_prime(9999991) n times by trial division: equal CPU-bound tasks",
     BRG_WORKLOAD_PARAM_N | BRG_WORKLOAD_PARAM_VALUE, 0, sizeof(uint8_t),
     SIZES(prime_heavy_sizes)},
    {"prime_range", "is_prime(i) for i < n by trial division: CPU-bound tasks of growing cost",
     BRG_WORKLOAD_PARAM_N, 0, sizeof(uint8_t), SIZES(prime_range_sizes)},
    {"file_write", "write random letters to <i>.txt, then remove it: I/O-bound tasks",
     BRG_WORKLOAD_PARAM_N | BRG_WORKLOAD_PARAM_LETTERS, 1, sizeof(uint64_t),
     SIZES(file_write_sizes)},
    {"big_alloc", "np.random.rand of megabytes MiB, return its length: memory-bound tasks",
     BRG_WORKLOAD_PARAM_N | BRG_WORKLOAD_PARAM_MEGABYTES, 0, sizeof(brg_workload_alloc_result),
     SIZES(big_alloc_sizes)},
    {"mean_chunks", "np.mean of each of n chunks of np.random.rand(size): data-heavy tasks",
     BRG_WORKLOAD_PARAM_N | BRG_WORKLOAD_PARAM_SIZE, 0, sizeof(double),
     SIZES(mean_chunks_sizes)},
};

static const brg_workload_ops *const ops_of[] = {
    &brg_workload_sleep_ops,      &brg_workload_prime_heavy_ops, &brg_workload_prime_range_ops,
    &brg_workload_file_write_ops, &brg_workload_big_alloc_ops,   &brg_workload_mean_chunks_ops,
};

enum { COUNT = (int)(sizeof infos / sizeof infos[0]) };
_Static_assert(sizeof ops_of / sizeof ops_of[0] == COUNT, "one ops table per workload");

/* ---- registry ------------------------------------------------------------------- */

int brg_workload_count(void)
{
    return COUNT;
}

const brg_workload_info *brg_workload_get(int i)
{
    return i >= 0 && i < COUNT ? &infos[i] : NULL;
}

brg_status brg_workload_find(const char *name, const brg_workload_info **out)
{
    BRG_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    BRG_CHECK_ARG(name, "name is NULL");
    for (int i = 0; i < COUNT; i++)
        if (strcmp(infos[i].name, name) == 0) {
            *out = &infos[i];
            return BRG_OK;
        }
    return BRG_ERROR(BRG_ERR_INVALID_ARG,
                     "unknown workload '%s' (known: sleep, prime_heavy, prime_range, file_write, "
                     "big_alloc, mean_chunks)", name);
}

/* Comparing addresses from different arrays is not defined: look w up. */
static int index_of(const brg_workload_info *w)
{
    for (int i = 0; i < COUNT; i++)
        if (w == &infos[i]) return i;
    return -1;
}

/* ---- prepared workloads --------------------------------------------------------- */

static brg_status copy_parent_dir(brg_workload_ctx *c, const char *dir)
{
    if (!dir) return BRG_OK;
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof c->parent)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "dir must hold 1 to %zu characters, has %zu",
                         sizeof c->parent - 1, len);
    memcpy(c->parent, dir, len + 1);
    c->p.dir = c->parent;
    return BRG_OK;
}

brg_status brg_workload_prepare(const brg_workload_info *w, const brg_workload_params *p,
                                brg_workload_ctx **out)
{
    BRG_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    BRG_CHECK_ARG(w, "w is NULL");
    BRG_CHECK_ARG(p, "p is NULL");
    int idx = index_of(w);
    if (idx < 0) return BRG_ERROR(BRG_ERR_INVALID_ARG, "w is not an entry of the workload registry");
    if (p->n < 0)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "%s: n must be >= 0, got %lld", w->name,
                         (long long)p->n);
    brg_workload_ctx *c = calloc(1, sizeof *c);
    if (!c) return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "%s: workload context", w->name);
    c->info = w;
    c->ops = ops_of[idx];
    c->p = *p;
    c->p.dir = NULL;
    brg_status st = copy_parent_dir(c, p->dir);
    if (st == BRG_OK) st = c->ops->prepare(c);
    if (st != BRG_OK) {
        brg_workload_ctx_free(c);
        return st;
    }
    *out = c;
    return BRG_OK;
}

void brg_workload_ctx_free(brg_workload_ctx *ctx)
{
    if (!ctx) return;
    if (ctx->ops->release) ctx->ops->release(ctx);
    brg_device_close(ctx->cpu);
    free(ctx);
}

const brg_workload_info *brg_workload_ctx_info(const brg_workload_ctx *ctx)
{
    return ctx ? ctx->info : NULL;
}

const brg_workload_params *brg_workload_ctx_params(const brg_workload_ctx *ctx)
{
    return ctx ? &ctx->p : NULL;
}

const char *brg_workload_ctx_note(const brg_workload_ctx *ctx)
{
    return ctx ? ctx->note : "";
}

const char *brg_workload_ctx_dir(const brg_workload_ctx *ctx)
{
    return ctx ? ctx->dir : "";
}

brg_task_fn brg_workload_ctx_task(const brg_workload_ctx *ctx)
{
    return ctx ? ctx->ops->task : NULL;
}

brg_status brg_workload_results_bytes(const brg_workload_ctx *ctx, size_t *bytes)
{
    BRG_CHECK_ARG(ctx, "ctx is NULL");
    BRG_CHECK_ARG(bytes, "bytes is NULL");
    return brg_layered_bytes_of(ctx->p.n, ctx->info->result_size, bytes, ctx->info->name);
}

brg_status brg_workload_map(brg_workload_ctx *ctx, brg_pool *pool, void *results,
                            int64_t *failed_index)
{
    if (failed_index) *failed_index = -1;
    BRG_CHECK_ARG(ctx, "ctx is NULL");
    return brg_pool_map(pool, ctx->ops->task, ctx, ctx->p.n, results, ctx->info->result_size,
                        failed_index);
}

/* Shared checks of the calls that write n results. */
static brg_status check_results(const brg_workload_ctx *ctx, const void *results)
{
    BRG_CHECK_ARG(ctx, "ctx is NULL");
    BRG_CHECK_ARG(results || ctx->p.n == 0, "%s: results is NULL", ctx->info->name);
    size_t bytes = 0;
    return brg_workload_results_bytes(ctx, &bytes);
}

brg_status brg_workload_run_device(brg_workload_ctx *ctx, brg_device *dev, void *results)
{
    brg_status st = check_results(ctx, results);
    if (st != BRG_OK) return st;
    BRG_CHECK_ARG(dev, "dev is NULL");
    if (!ctx->ops->device)
        return BRG_ERROR(BRG_ERR_UNSUPPORTED, "%s is host-only: it has no device form",
                         ctx->info->name);
    if (ctx->p.n == 0) return BRG_OK;
    return ctx->ops->device(ctx, dev, results);
}

brg_status brg_workload_reference(const brg_workload_ctx *ctx, void *results)
{
    brg_status st = check_results(ctx, results);
    if (st != BRG_OK || ctx->p.n == 0) return st;
    return ctx->ops->reference(ctx, results);
}

/* The first item where results and want differ, or -1. */
static int64_t first_mismatch(const brg_workload_ctx *ctx, const char *got, const char *want)
{
    size_t size = ctx->info->result_size;
    for (int64_t i = 0; i < ctx->p.n; i++) {
        const char *g = got + (size_t)i * size, *w = want + (size_t)i * size;
        int same = ctx->ops->same ? ctx->ops->same(g, w) : memcmp(g, w, size) == 0;
        if (!same) return i;
    }
    return -1;
}

brg_status brg_workload_check(const brg_workload_ctx *ctx, const void *results, int *pass,
                              char *detail, size_t cap)
{
    BRG_CHECK_ARG(pass, "pass is NULL");
    *pass = 0;
    if (detail && cap) detail[0] = '\0';
    brg_status st = check_results(ctx, results);
    if (st != BRG_OK) return st;
    size_t bytes = 0;
    st = brg_workload_results_bytes(ctx, &bytes);
    if (st != BRG_OK) return st;
    char *want = malloc(bytes ? bytes : 1);
    if (!want) return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "%s: %zu bytes of reference results",
                                ctx->info->name, bytes);
    st = brg_workload_reference(ctx, want);
    if (st == BRG_OK) {
        size_t size = ctx->info->result_size;
        int64_t bad = first_mismatch(ctx, results, want);
        *pass = bad < 0;
        if (bad >= 0 && detail && cap) {
            char g[96], w[96];
            ctx->ops->format((const char *)results + (size_t)bad * size, g, sizeof g);
            ctx->ops->format(want + (size_t)bad * size, w, sizeof w);
            snprintf(detail, cap, "%s: item %lld is %s, the sequential answer is %s",
                     ctx->info->name, (long long)bad, g, w);
        }
    }
    free(want);
    return st;
}

void brg_workload_format_i64(const void *item, char *buf, size_t cap)
{
    int64_t v;
    memcpy(&v, item, sizeof v);
    snprintf(buf, cap, "%lld", (long long)v);
}

void brg_workload_format_u8(const void *item, char *buf, size_t cap)
{
    snprintf(buf, cap, "%u", (unsigned)*(const uint8_t *)item);
}

brg_status brg_workload_use_cpu(brg_workload_ctx *c)
{
    return c->cpu ? BRG_OK : brg_device_open("cpu", &c->cpu);
}

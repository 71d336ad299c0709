/* Results grouped the way the tutorial's tables are: one group per workload
 * and parameter set, one column per runner (a case's variant, such as
 * cosine top-k's path, makes a column of its own). The summary table at the
 * end of a run prints them (scripts/bench-report groups them the same way). */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Keys that say how a runner ran, not what was run. */
static int runner_key(const char *key)
{
    return strcmp(key, "workers") == 0 || strcmp(key, "path") == 0;
}

/* "k=v k=v" of the params that define the case. */
void brg_bench_group_params(const brg_bench_params *p, char *buf, size_t cap)
{
    brg_bench_params q = {0};
    for (int i = 0; i < p->count; i++)
        if (!runner_key(p->items[i].key)) q.items[q.count++] = p->items[i];
    brg_bench_params_format(&q, " ", buf, cap);
}

/* "cuda:0" or "cuda:0 index": the runner and its variant. */
void brg_bench_column_name(const brg_bench_result *r, char *buf, size_t cap)
{
    const char *path = NULL;
    for (int i = 0; i < r->params.count; i++)
        if (strcmp(r->params.items[i].key, "path") == 0) path = r->params.items[i].str;
    if (path)
        snprintf(buf, cap, "%s %s", r->runner, path);
    else
        snprintf(buf, cap, "%s", r->runner);
}

static int same_group(const brg_bench_result *a, const brg_bench_result *b)
{
    if (!a->workload || !b->workload || strcmp(a->workload, b->workload) != 0) return 0;
    char x[256], y[256];
    brg_bench_group_params(&a->params, x, sizeof x);
    brg_bench_group_params(&b->params, y, sizeof y);
    return strcmp(x, y) == 0;
}

int brg_bench_group_of(const brg_bench_results *all, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (same_group(&all->items[k], &all->items[i])) return (int)k;
    return (int)i;
}

/* The group's sequential median, NAN when none was measured. */
double brg_bench_group_sequential(const brg_bench_results *all, size_t first)
{
    for (size_t k = first; k < all->count; k++) {
        const brg_bench_result *r = &all->items[k];
        if (same_group(r, &all->items[first]) && strcmp(r->runner, "sequential") == 0 &&
            r->outcome == BRG_BENCH_MEASURED)
            return r->seconds;
    }
    return NAN;
}

/* ---- the summary table ------------------------------------------------------------ */

enum { W_CELL = 15, W_NAME = 12, W_CASE = 34 };

int brg_bench_column_of(brg_bench_columns *c, const brg_bench_result *r, int add)
{
    char name[BRG_BENCH_COLUMN_LEN];
    brg_bench_column_name(r, name, sizeof name);
    for (int i = 0; i < c->count; i++)
        if (strcmp(c->name[i], name) == 0) return i;
    if (!add || c->count == BRG_BENCH_MAX_COLUMNS) return -1;
    snprintf(c->name[c->count], sizeof c->name[0], "%s", name);
    return c->count++;
}

/* "0.2120 x1.95", "skipped", "error", or "" */
static void cell(const brg_bench_result *r, double seq, char *buf, size_t cap)
{
    if (!r) {
        snprintf(buf, cap, "-");
    } else if (r->outcome == BRG_BENCH_SKIPPED) {
        snprintf(buf, cap, strncmp(r->reason, "not applicable", 14) == 0 ? "n/a" : "skipped");
    } else if (r->outcome == BRG_BENCH_ERROR || strcmp(r->check, "fail") == 0) {
        snprintf(buf, cap, r->outcome == BRG_BENCH_ERROR ? "error" : "FAIL");
    } else if (seq > 0) {
        snprintf(buf, cap, "%.4g x%.3g", r->seconds, seq / r->seconds);
    } else {
        snprintf(buf, cap, "%.4g", r->seconds);
    }
}

void brg_bench_print_summary(FILE *f, const brg_bench_results *all)
{
    brg_bench_columns cols = {0};
    for (size_t i = 0; i < all->count; i++)
        if (all->items[i].workload) brg_bench_column_of(&cols, &all->items[i], 1);
    if (cols.count == 0) return;
    fputs("\nSummary: median seconds, and xN = speed-up against the sequential pool\n", f);
    fprintf(f, "%-*s %-*s", W_NAME, "workload", W_CASE, "params");
    for (int c = 0; c < cols.count; c++) fprintf(f, " %*s", W_CELL, cols.name[c]);
    fputc('\n', f);
    for (size_t i = 0; i < all->count; i++) {
        const brg_bench_result *r = &all->items[i];
        if (!r->workload || brg_bench_group_of(all, i) != (int)i) continue;
        const brg_bench_result *row[BRG_BENCH_MAX_COLUMNS] = {NULL};
        for (size_t k = i; k < all->count; k++) {
            if (!same_group(&all->items[k], r)) continue;
            int c = brg_bench_column_of(&cols, &all->items[k], 0);
            if (c >= 0 && !row[c]) row[c] = &all->items[k];
        }
        char params[256], text[64];
        brg_bench_group_params(&r->params, params, sizeof params);
        fprintf(f, "%-*s %-*s", W_NAME, r->workload, W_CASE, params);
        double seq = brg_bench_group_sequential(all, i);
        for (int c = 0; c < cols.count; c++) {
            cell(row[c], seq, text, sizeof text);
            fprintf(f, " %*s", W_CELL, text);
        }
        fputc('\n', f);
    }
    fflush(f);
}

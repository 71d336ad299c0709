/* The summary table at the end of a run: the results grouped the way the
 * tutorial's tables are, one row per workload and parameter set, one column
 * per runner (a case's variant, such as cosine top-k's path, makes a column
 * of its own). scripts/bench-report groups them the same way. */
#include "bench.h"

#include <math.h>
#include <string.h>

enum { W_CELL = 15, W_NAME = 12, W_CASE = 34, MAX_COLUMNS = 16, COLUMN = BRG_BENCH_NAME_LEN + 16 };

/* "k=v k=v" of the params that define the case: not "workers" and "path",
 * which say how a runner ran. */
static void group_params(const brg_bench_result *r, char *buf, size_t cap)
{
    brg_bench_params q = {0};
    for (int i = 0; i < r->params.count; i++)
        if (strcmp(r->params.items[i].key, "workers") && strcmp(r->params.items[i].key, "path"))
            q.items[q.count++] = r->params.items[i];
    brg_bench_params_format(&q, " ", buf, cap);
}

static int same_group(const brg_bench_result *a, const brg_bench_result *b)
{
    if (!a->workload || !b->workload || strcmp(a->workload, b->workload) != 0) return 0;
    char x[256], y[256];
    group_params(a, x, sizeof x);
    group_params(b, y, sizeof y);
    return strcmp(x, y) == 0;
}

/* r's column in cols, added when add and there is room; -1 when not there.
 * A column is the runner, and its path when it has one ("cuda:0 index"). */
static int column_of(char cols[][COLUMN], int *n, const brg_bench_result *r, int add)
{
    char name[COLUMN];
    snprintf(name, sizeof name, "%s", r->runner);
    for (int i = 0; i < r->params.count; i++)
        if (strcmp(r->params.items[i].key, "path") == 0)
            snprintf(name, sizeof name, "%s %s", r->runner, r->params.items[i].str);
    for (int i = 0; i < *n; i++)
        if (strcmp(cols[i], name) == 0) return i;
    if (!add || *n == MAX_COLUMNS) return -1;
    memcpy(cols[*n], name, sizeof name);
    return (*n)++;
}

/* "0.2120 x1.95", "n/a", "skipped", "error", "FAIL" or "-" */
static void cell(const brg_bench_result *r, double seq, char *buf, size_t cap)
{
    if (!r)
        snprintf(buf, cap, "-");
    else if (r->outcome == BRG_BENCH_SKIPPED)
        snprintf(buf, cap, strncmp(r->reason, "not applicable", 14) == 0 ? "n/a" : "skipped");
    else if (r->outcome == BRG_BENCH_ERROR || strcmp(r->check, "fail") == 0)
        snprintf(buf, cap, r->outcome == BRG_BENCH_ERROR ? "error" : "FAIL");
    else if (seq > 0)
        snprintf(buf, cap, "%.4g x%.3g", r->seconds, seq / r->seconds);
    else
        snprintf(buf, cap, "%.4g", r->seconds);
}

void brg_bench_print_summary(FILE *f, const brg_bench_results *all)
{
    char cols[MAX_COLUMNS][COLUMN], params[256], text[64];
    int n = 0;
    for (size_t i = 0; i < all->count; i++)
        if (all->items[i].workload) column_of(cols, &n, &all->items[i], 1);
    if (n == 0) return;
    fputs("\nSummary: median seconds, and xN = speed-up against the sequential pool\n", f);
    fprintf(f, "%-*s %-*s", W_NAME, "workload", W_CASE, "params");
    for (int c = 0; c < n; c++) fprintf(f, " %*s", W_CELL, cols[c]);
    fputc('\n', f);
    for (size_t i = 0; i < all->count; i++) {
        const brg_bench_result *r = &all->items[i], *row[MAX_COLUMNS] = {NULL};
        size_t first = 0;
        while (first < i && !same_group(&all->items[first], r)) first++;
        if (!r->workload || first != i) continue; /* a row per group, at its first result */
        double seq = NAN;
        for (size_t k = i; k < all->count; k++) {
            const brg_bench_result *q = &all->items[k];
            if (!same_group(q, r)) continue;
            int c = column_of(cols, &n, q, 0);
            if (c >= 0 && !row[c]) row[c] = q;
            if (isnan(seq) && strcmp(q->runner, "sequential") == 0 &&
                q->outcome == BRG_BENCH_MEASURED)
                seq = q->seconds;
        }
        group_params(r, params, sizeof params);
        fprintf(f, "%-*s %-*s", W_NAME, r->workload, W_CASE, params);
        for (int c = 0; c < n; c++) {
            cell(row[c], seq, text, sizeof text);
            fprintf(f, " %*s", W_CELL, text);
        }
        fputc('\n', f);
    }
    fflush(f);
}

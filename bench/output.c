/* The output: the progress line, the machine block, the table and the
 * summary; --json (docs/design.md section 8), --csv and --report. A value that
 * does not apply (NAN, -1) is JSON null and an empty CSV field. */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "commit.h" /* BRIGADE_BENCH_COMMIT, made at build time */

#define MIB ((size_t)1 << 20)

/* The progress line, rewritten in place: what runs, the measurements done,
 * and the time left (the mean time per measurement times those left: crude,
 * so "~", and only after the first). Anything printed clears it first. */

static struct {
    int active;                      /* a line is on the terminal now */
    int total, done, round, rounds;
    double start;
} prog;

void brg_bench_progress_plan(int total)
{
    prog.total = total;
    prog.done = 0;
    prog.start = brg_bench_now();
}

void brg_bench_progress_round(int round, int rounds)
{
    prog.round = round;
    prog.rounds = rounds;
}

void brg_bench_progress_step(void)
{
    prog.done++;
}

void brg_bench_progress_clear(void)
{
    if (prog.active) fputs("\r\033[K", stderr);
    fflush(stderr);
    prog.active = 0;
}

void brg_bench_progress(const brg_bench_options *opts, const char *fmt, ...)
{
    if (!opts->progress) return;
    char msg[512], eta[64] = "", round[32] = "", left[32] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    double s = (brg_bench_now() - prog.start) / (prog.done ? prog.done : 1) *
               (prog.total - prog.done);
    if (prog.rounds > 1) snprintf(round, sizeof round, ", round %d/%d", prog.round, prog.rounds);
    if (prog.done > 0 && prog.total > prog.done)
        snprintf(left, sizeof left, s >= 3600 ? ", ETA ~%dh%02dm" : ", ETA ~%dm%02ds",
                 (int)(s >= 3600 ? s / 3600 : s / 60), (int)(s >= 3600 ? s / 60 : s) % 60);
    if (prog.total > 0)
        snprintf(eta, sizeof eta, " [%d/%d%s%s]", prog.done, prog.total, round, left);
    fflush(stdout);
    /* One row of an 80-column terminal or wider: a long message is cut. */
    size_t room = 78 > strlen(eta) + 8 ? 78 - strlen(eta) - 8 : 0;
    fprintf(stderr, "\r\033[Kbench%s: %.*s", eta, (int)room, msg);
    fflush(stderr);
    prog.active = 1;
}

static void print_value(FILE *f, const char *label, const char *key, double v,
                        const char *detail)
{
    fprintf(f, "  %-10s", label);
    if (isfinite(v))
        fprintf(f, "%-14s %9.2f  %s\n", key, v, detail);
    else
        fprintf(f, "%-14s %9s  %s\n", key, "null", detail);
}

void brg_bench_print_machine(FILE *f, const brg_bench_machine *m, const brg_bench_runner *runners,
                             int n_runners)
{
    char d[128] = "(not measured)";
    fprintf(f, "brigade %s bench (backends: %s)\n", brg_version_string(), brg_build_backends());
    fprintf(f, "machine: %s, %d cores\n", m->cpu, m->cores);
    if (m->mem_read_bytes)
        snprintf(d, sizeof d, "(streaming read, %d threads, %zu MiB, median of 7; best %.2f)",
                 m->threads, m->mem_read_bytes / MIB, m->mem_read_best_gbs);
    print_value(f, "cpu", "mem_read_gbs", m->mem_read_gbs, d);
    snprintf(d, sizeof d, "(OpenBLAS cblas_sgemm %d^3, median of 5; best %.2f)", m->sgemm_n,
             m->sgemm_best_gflops);
    print_value(f, "", "sgemm_gflops", m->sgemm_gflops, d);
    int pools = 0;
    for (int i = 0; i < n_runners; i++)
        if (runners[i].is_pool)
            fprintf(f, "%s%s", pools++ ? ", " : "  pools     ", runners[i].spec);
    if (pools) fputs(" (brg_pool; timed first, before any GPU runtime starts)\n", f);
    fputc('\n', f);
    fflush(f);
}

void brg_bench_print_devices(FILE *f, const brg_bench_runner *runners, int n_runners)
{
    for (int i = 0; i < n_runners; i++) {
        const brg_bench_runner *r = &runners[i];
        char d[128] = "(not measured)";
        if (r->is_pool) continue;
        if (r->dev && brg_device_get_kind(r->dev) == BRG_DEVICE_CPU) {
            fprintf(f, "  %-10s%s (the ceilings above)\n", r->spec, r->name);
        } else if (r->deferred) {
            fprintf(f, "  %-10sopened after the pools\n", r->spec);
        } else if (!r->available) {
            fprintf(f, "  %-10sskipped: %s\n", r->spec, r->reason);
        } else {
            fprintf(f, "  %-10s%s\n", r->spec, r->name);
            if (r->ceiling_bytes)
                snprintf(d, sizeof d, "(device copy, 2 x %zu MiB read+written, median of 7; "
                         "best %.2f)", r->ceiling_bytes / MIB, r->mem_read_best_gbs);
            print_value(f, "", "mem_read_gbs", r->mem_read_gbs, d);
            snprintf(d, sizeof d, "(brg_matmul_nt %lld x %lld x 1000, median of 5)",
                     (long long)r->sgemm_n, (long long)r->sgemm_n);
            print_value(f, "", "sgemm_gflops", r->sgemm_gflops, d);
        }
    }
    fputc('\n', f);
    fflush(f);
}

enum { W_WORKLOAD = 12, W_PARAMS = 42, W_RUNNER = 8 };

void brg_bench_print_header(FILE *f)
{
    fprintf(f, "%-*s %-*s %-*s %10s %10s %10s %8s %8s %8s  %s\n", W_WORKLOAD, "workload",
            W_PARAMS, "params", W_RUNNER, "runner", "median s", "min s", "max s", "GB/s",
            "GFLOP/s", "of limit", "check");
    fflush(f);
}

/* Seconds in fixed point (prec 6); rates with three significant digits
 * (prec -1), so that an emulated device's 0.000313 GB/s does not print as 0. */
static void print_number(FILE *f, int width, int prec, double v)
{
    if (!isfinite(v))
        fprintf(f, " %*s", width, "-");
    else if (prec < 0)
        fprintf(f, " %*.3g", width, v);
    else
        fprintf(f, " %*.*f", width, prec, v);
}

void brg_bench_print_result(FILE *f, const brg_bench_result *r)
{
    char params[256];
    brg_bench_params_format(&r->params, " ", params, sizeof params);
    fprintf(f, "%-*s %-*s %-*s", W_WORKLOAD, r->workload ? r->workload : "-", W_PARAMS,
            r->workload ? params : "-", W_RUNNER, r->runner);
    if (r->outcome != BRG_BENCH_MEASURED) {
        fprintf(f, " %s: %s\n", r->outcome == BRG_BENCH_SKIPPED ? "skipped" : "error", r->reason);
    } else {
        print_number(f, 10, 6, r->seconds);
        print_number(f, 10, 6, r->seconds_min);
        print_number(f, 10, 6, r->seconds_max);
        print_number(f, 8, -1, r->gbs);
        print_number(f, 8, -1, r->gflops);
        print_number(f, 8, -1, r->fraction_of_limit);
        fprintf(f, "  %s\n", r->check);
        if (r->note[0]) fprintf(f, "%*s  %s\n", W_WORKLOAD, "", r->note);
    }
    fflush(f);
}

/* The summary: one row per workload and parameter set, as the tutorial's
 * tables, one column per runner and variant (scripts/bench-report too). */

enum { W_CELL = 15, W_CASE = 34, MAX_COLUMNS = 16, COLUMN = BRG_BENCH_NAME_LEN + 16 };

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
    fprintf(f, "%-*s %-*s", W_WORKLOAD, "workload", W_CASE, "params");
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
        fprintf(f, "%-*s %-*s", W_WORKLOAD, r->workload, W_CASE, params);
        for (int c = 0; c < n; c++) {
            cell(row[c], seq, text, sizeof text);
            fprintf(f, " %*s", W_CELL, text);
        }
        fputc('\n', f);
    }
    fflush(f);
}

/* before, then v with six significant digits, or none when it does not apply. */
static void num(FILE *f, const char *before, double v, const char *none)
{
    fputs(before, f);
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fputs(none, f);
}

/* before, then s as a JSON string (null for NULL). */
static void str(FILE *f, const char *before, const char *s)
{
    fputs(before, f);
    fputs(s ? "\"" : "null", f);
    if (!s) return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n' || *p == '\t')
            fputs(*p == '\n' ? "\\n" : "\\t", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void json_params(FILE *f, const char *before, const brg_bench_result *r)
{
    fputs(before, f);
    if (!r->workload) {
        fputs("null", f);
        return;
    }
    for (int i = 0; i < r->params.count; i++) {
        const brg_bench_param *e = &r->params.items[i];
        char value[64];
        str(f, i ? ", " : "{", e->key);
        brg_bench_param_value(e, value, sizeof value);
        if (e->str)
            str(f, ": ", e->str);
        else
            fprintf(f, ": %s", value);
    }
    fputs(r->params.count ? "}" : "{}", f);
}

static void json_result(FILE *f, const brg_bench_result *r)
{
    str(f, "{\"workload\": ", r->workload);
    json_params(f, ", \"params\": ", r);
    str(f, ", \"runner\": ", r->runner);
    if (r->outcome != BRG_BENCH_MEASURED) { /* not_measured: outside the contract's results */
        str(f, ", \"status\": ", r->outcome == BRG_BENCH_SKIPPED ? "skipped" : "error");
        str(f, ", \"reason\": ", r->reason);
        fputs("}", f);
        return;
    }
    num(f, ",\n      \"seconds\": ", r->seconds, "null");
    num(f, ", \"seconds_min\": ", r->seconds_min, "null");
    num(f, ", \"seconds_max\": ", r->seconds_max, "null");
    fprintf(f, ", \"repeats\": %d, \"rounds\": %d", r->repeats, r->rounds);
    str(f, ", \"check\": ", r->check);
    num(f, ",\n      \"gbs\": ", r->gbs, "null");
    num(f, ", \"gflops\": ", r->gflops, "null");
    num(f, ", \"fraction_of_limit\": ", r->fraction_of_limit, "null");
    if (r->peak_bytes >= 0)
        fprintf(f, ", \"peak_bytes\": %" PRId64, r->peak_bytes);
    else
        fputs(", \"peak_bytes\": null", f);
    for (int i = 0; i < r->n_samples; i++) /* extras: every timed run, in the order they ran */
        num(f, i ? ", " : ",\n      \"samples\": [", r->samples[i], "null");
    if (r->n_samples > 0) fputs("]", f);
    if (isfinite(r->sgemm_seconds)) /* extras: the reference, and how it was made */
        num(f, ",\n      \"sgemm_seconds\": ", r->sgemm_seconds, "null");
    if (r->note[0]) str(f, ", \"note\": ", r->note);
    fputs("}", f);
}

static int close_checked(FILE *f, const char *path)
{
    int bad = ferror(f);
    if (fclose(f) != 0) bad = 1;
    if (bad) fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
    return bad ? -1 : 0;
}

static FILE *open_checked(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "bench: cannot open %s: %s\n", path, strerror(errno));
    return f;
}

int brg_bench_write_json(const char *path, const brg_bench_machine *m,
                         const brg_bench_runner *runners, int n_runners,
                         const brg_bench_results *all)
{
    FILE *f = open_checked(path);
    if (!f) return -1;
    str(f, "{\n  \"library_version\": ", brg_version_string());
    str(f, ",\n  \"build_backends\": ", brg_build_backends());
    str(f, ",\n  \"machine\": {\"cpu\": ", m->cpu);
    fprintf(f, ", \"cores\": %d", m->cores);
    num(f, ", \"mem_read_gbs\": ", m->mem_read_gbs, "null");
    num(f, ", \"sgemm_gflops\": ", m->sgemm_gflops, "null");
    fputs(",\n              \"devices\": [", f);
    int first = 1;
    for (int i = 0; i < n_runners; i++) {
        const brg_bench_runner *r = &runners[i];
        if (!r->dev || brg_device_get_kind(r->dev) == BRG_DEVICE_CPU) continue;
        str(f, first ? "\n                {\"spec\": " : ",\n                {\"spec\": ", r->spec);
        str(f, ", \"name\": ", r->name);
        num(f, ", \"mem_read_gbs\": ", r->mem_read_gbs, "null");
        num(f, ", \"sgemm_gflops\": ", r->sgemm_gflops, "null");
        fputs("}", f);
        first = 0;
    }
    fputs("] },\n", f);
    for (int measured = 1; measured >= 0; measured--) {
        fputs(measured ? "  \"results\": [" : ",\n  \"not_measured\": [", f);
        first = 1;
        for (size_t i = 0; i < all->count; i++) {
            if ((all->items[i].outcome == BRG_BENCH_MEASURED) != measured) continue;
            fputs(first ? "\n    " : ",\n    ", f);
            json_result(f, &all->items[i]);
            first = 0;
        }
        fputs(first ? "]" : "\n  ]", f);
    }
    fputs("\n}\n", f);
    return close_checked(f, path);
}

/* RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
static void csv_str(FILE *f, const char *before, const char *s)
{
    fputs(before, f);
    if (!s) return;
    int quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote) fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    if (quote) fputc('"', f);
}

int brg_bench_write_csv(const char *path, const brg_bench_results *all)
{
    FILE *f = open_checked(path);
    if (!f) return -1;
    fputs("workload,params,runner,seconds,seconds_min,seconds_max,repeats,check,gbs,gflops,"
          "fraction_of_limit,peak_bytes,sgemm_seconds\n", f);
    for (size_t i = 0; i < all->count; i++) {
        const brg_bench_result *r = &all->items[i];
        char params[256];
        if (r->outcome != BRG_BENCH_MEASURED) continue;
        brg_bench_params_format(&r->params, ";", params, sizeof params);
        csv_str(f, "", r->workload);
        csv_str(f, ",", params);
        csv_str(f, ",", r->runner);
        num(f, ",", r->seconds, "");
        num(f, ",", r->seconds_min, "");
        num(f, ",", r->seconds_max, "");
        fprintf(f, ",%d", r->repeats);
        csv_str(f, ",", r->check);
        num(f, ",", r->gbs, "");
        num(f, ",", r->gflops, "");
        num(f, ",", r->fraction_of_limit, "");
        fputc(',', f);
        if (r->peak_bytes >= 0) fprintf(f, "%" PRId64, r->peak_bytes);
        num(f, ",", r->sgemm_seconds, "");
        fputc('\n', f);
    }
    return close_checked(f, path);
}

int brg_bench_write_report(const char *dir, const brg_bench_machine *m,
                           const brg_bench_runner *runners, int n_runners,
                           const brg_bench_results *all)
{
    struct stat st;
    if ((mkdir(dir, 0777) != 0 && errno != EEXIST) || stat(dir, &st) != 0 ||
        !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "bench: --report: cannot make the directory %s: %s\n", dir,
                strerror(errno));
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/results.json", dir);
    if (brg_bench_write_json(path, m, runners, n_runners, all) != 0) return -1;
    char *args[] = {path, (char *)dir, (char *)"--commit", (char *)BRIGADE_BENCH_COMMIT};
    return brg_bench_run_script("bench-report", 4, args) == 0 ? 0 : -1;
}

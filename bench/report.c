/* The report: the machine block and the results table on stdout, the JSON
 * document of design.md §8 (--json) and one CSV row per result (--csv).
 * A value that does not apply (NAN, -1) is JSON null and an empty CSV field. */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commit.h" /* BRIGADE_BENCH_COMMIT, made at build time */

/* ---- text --------------------------------------------------------------------- */

#define MIB ((size_t)1 << 20)

static void print_value(FILE *f, const char *key, double v, const char *detail)
{
    if (isfinite(v))
        fprintf(f, "%-14s %9.2f  %s\n", key, v, detail);
    else
        fprintf(f, "%-14s %9s  %s\n", key, "null", detail);
}

static void print_cpu(FILE *f, const brg_bench_machine *m)
{
    char d[128];
    if (m->mem_read_bytes)
        snprintf(d, sizeof d, "(streaming read, %d threads, %zu MiB, median of 7; best %.2f)",
                 m->threads, m->mem_read_bytes / MIB, m->mem_read_best_gbs);
    else
        snprintf(d, sizeof d, "(not measured)");
    fprintf(f, "  %-10s", "cpu");
    print_value(f, "mem_read_gbs", m->mem_read_gbs, d);
    snprintf(d, sizeof d, "(OpenBLAS cblas_sgemm %d^3, median of 5; best %.2f)", m->sgemm_n,
             m->sgemm_best_gflops);
    fprintf(f, "  %-10s", "");
    print_value(f, "sgemm_gflops", m->sgemm_gflops, d);
}

static void print_device(FILE *f, const brg_bench_runner *r)
{
    if (!r->available) {
        fprintf(f, "  %-10sskipped: %s\n", r->spec, r->reason);
        return;
    }
    char d[128];
    fprintf(f, "  %-10s%s\n", r->spec, r->name);
    if (r->ceiling_bytes)
        snprintf(d, sizeof d, "(device copy, 2 x %zu MiB read+written, median of 7; best %.2f)",
                 r->ceiling_bytes / MIB, r->mem_read_best_gbs);
    else
        snprintf(d, sizeof d, "(not measured)");
    fprintf(f, "  %-10s", "");
    print_value(f, "mem_read_gbs", r->mem_read_gbs, d);
    fprintf(f, "  %-10s", "");
    print_value(f, "sgemm_gflops", r->sgemm_gflops, "(not measured: cuBLAS not wrapped yet)");
}

void brg_bench_print_machine(FILE *f, const brg_bench_machine *m, const brg_bench_runner *runners,
                             int n_runners)
{
    fprintf(f, "brigade %s bench (backends: %s)\n", brg_version_string(), brg_build_backends());
    fprintf(f, "machine: %s, %d cores\n", m->cpu, m->cores);
    print_cpu(f, m);
    int pools = 0;
    for (int i = 0; i < n_runners; i++) {
        if (!runners[i].is_pool) continue;
        fprintf(f, "%s%s", pools++ ? ", " : "  pools     ", runners[i].spec);
    }
    if (pools) fputs(" (brg_pool; timed first, before any GPU runtime starts)\n", f);
    fputc('\n', f);
    fflush(f);
}

void brg_bench_print_devices(FILE *f, const brg_bench_runner *runners, int n_runners)
{
    for (int i = 0; i < n_runners; i++) {
        const brg_bench_runner *r = &runners[i];
        if (r->is_pool) continue;
        if (r->dev && brg_device_get_kind(r->dev) == BRG_DEVICE_CPU) {
            fprintf(f, "  %-10s%s (the ceilings above)\n", r->spec, r->name);
            continue;
        }
        if (r->deferred)
            fprintf(f, "  %-10sopened after the pools\n", r->spec);
        else
            print_device(f, r);
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

/* Seconds in fixed point; rates with three significant digits, so that an
 * emulated device's 0.000313 GB/s does not print as 0.00. */
static void print_number(FILE *f, int width, int prec, double v)
{
    if (isfinite(v))
        fprintf(f, " %*.*f", width, prec, v);
    else
        fprintf(f, " %*s", width, "-");
}

static void print_rate(FILE *f, int width, double v)
{
    if (isfinite(v))
        fprintf(f, " %*.3g", width, v);
    else
        fprintf(f, " %*s", width, "-");
}

void brg_bench_print_result(FILE *f, const brg_bench_result *r)
{
    char params[256];
    brg_bench_params_format(&r->params, " ", params, sizeof params);
    fprintf(f, "%-*s %-*s %-*s", W_WORKLOAD, r->workload ? r->workload : "-", W_PARAMS,
            r->workload ? params : "-", W_RUNNER, r->runner);
    if (r->outcome != BRG_BENCH_MEASURED) {
        fprintf(f, " %s: %s\n", r->outcome == BRG_BENCH_SKIPPED ? "skipped" : "error", r->reason);
        fflush(f);
        return;
    }
    print_number(f, 10, 6, r->seconds);
    print_number(f, 10, 6, r->seconds_min);
    print_number(f, 10, 6, r->seconds_max);
    print_rate(f, 8, r->gbs);
    print_rate(f, 8, r->gflops);
    print_rate(f, 8, r->fraction_of_limit);
    fprintf(f, "  %s\n", r->check);
    if (r->note[0]) fprintf(f, "%*s  %s\n", W_WORKLOAD, "", r->note);
    fflush(f);
}

/* ---- JSON ------------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* JSON has no NaN or Infinity: a value that does not apply is null. */
static void json_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fputs("null", f);
}

static void json_key(FILE *f, const char *key)
{
    json_str(f, key);
    fputs(": ", f);
}

static void json_params(FILE *f, const brg_bench_params *p)
{
    fputc('{', f);
    for (int i = 0; i < p->count; i++) {
        if (i) fputs(", ", f);
        json_key(f, p->items[i].key);
        char value[64];
        brg_bench_param_value(&p->items[i], value, sizeof value);
        if (p->items[i].str)
            json_str(f, p->items[i].str);
        else
            fputs(value, f);
    }
    fputc('}', f);
}

static void json_device(FILE *f, const brg_bench_runner *r)
{
    fputs("{", f);
    json_key(f, "spec");
    json_str(f, r->spec);
    fputs(", ", f);
    json_key(f, "name");
    json_str(f, r->name);
    fputs(", ", f);
    json_key(f, "mem_read_gbs");
    json_num(f, r->mem_read_gbs);
    fputs(", ", f);
    json_key(f, "sgemm_gflops");
    json_num(f, r->sgemm_gflops);
    fputs("}", f);
}

static void json_machine(FILE *f, const brg_bench_machine *m, const brg_bench_runner *runners,
                         int n_runners)
{
    fputs("  \"machine\": {", f);
    json_key(f, "cpu");
    json_str(f, m->cpu);
    fprintf(f, ", \"cores\": %d, ", m->cores);
    json_key(f, "mem_read_gbs");
    json_num(f, m->mem_read_gbs);
    fputs(", ", f);
    json_key(f, "sgemm_gflops");
    json_num(f, m->sgemm_gflops);
    fputs(",\n              \"devices\": [", f);
    int first = 1;
    for (int i = 0; i < n_runners; i++) {
        const brg_bench_runner *r = &runners[i];
        if (!r->dev || brg_device_get_kind(r->dev) == BRG_DEVICE_CPU) continue;
        fputs(first ? "\n                " : ",\n                ", f);
        json_device(f, r);
        first = 0;
    }
    fputs("] },\n", f);
}

static void json_result(FILE *f, const brg_bench_result *r)
{
    fputs("{", f);
    json_key(f, "workload");
    json_str(f, r->workload);
    fputs(", ", f);
    json_key(f, "params");
    json_params(f, &r->params);
    fputs(", ", f);
    json_key(f, "runner");
    json_str(f, r->runner);
    fputs(",\n      \"seconds\": ", f);
    json_num(f, r->seconds);
    fputs(", \"seconds_min\": ", f);
    json_num(f, r->seconds_min);
    fputs(", \"seconds_max\": ", f);
    json_num(f, r->seconds_max);
    fprintf(f, ", \"repeats\": %d, \"rounds\": %d, ", r->repeats, r->rounds);
    json_key(f, "check");
    json_str(f, r->check);
    fputs(",\n      \"gbs\": ", f);
    json_num(f, r->gbs);
    fputs(", \"gflops\": ", f);
    json_num(f, r->gflops);
    fputs(", \"fraction_of_limit\": ", f);
    json_num(f, r->fraction_of_limit);
    fputs(", \"peak_bytes\": ", f);
    if (r->peak_bytes >= 0)
        fprintf(f, "%" PRId64, r->peak_bytes);
    else
        fputs("null", f);
    if (r->n_samples > 0) { /* extras: every timed run, in the order they ran */
        fputs(",\n      \"samples\": [", f);
        for (int i = 0; i < r->n_samples; i++) {
            if (i) fputs(", ", f);
            json_num(f, r->samples[i]);
        }
        fputs("]", f);
    }
    if (isfinite(r->sgemm_seconds)) { /* extras: the reference, and how it was made */
        fputs(",\n      \"sgemm_seconds\": ", f);
        json_num(f, r->sgemm_seconds);
    }
    if (r->note[0]) {
        fputs(", \"note\": ", f);
        json_str(f, r->note);
    }
    fputs("}", f);
}

/* Runners and cases that were not measured, with why: outside the
 * contract's "results" so that every result there has its numbers. */
static void json_not_measured(FILE *f, const brg_bench_result *r)
{
    fputs("{", f);
    json_key(f, "workload");
    json_str(f, r->workload);
    fputs(", ", f);
    json_key(f, "params");
    if (r->workload)
        json_params(f, &r->params);
    else
        fputs("null", f);
    fputs(", ", f);
    json_key(f, "runner");
    json_str(f, r->runner);
    fputs(", ", f);
    json_key(f, "status");
    json_str(f, r->outcome == BRG_BENCH_SKIPPED ? "skipped" : "error");
    fputs(", ", f);
    json_key(f, "reason");
    json_str(f, r->reason);
    fputs("}", f);
}

static void json_list(FILE *f, const char *key, const brg_bench_results *all, int measured,
                      void (*item)(FILE *, const brg_bench_result *))
{
    fprintf(f, "  \"%s\": [", key);
    int first = 1;
    for (size_t i = 0; i < all->count; i++) {
        const brg_bench_result *r = &all->items[i];
        if ((r->outcome == BRG_BENCH_MEASURED) != measured) continue;
        fputs(first ? "\n    " : ",\n    ", f);
        item(f, r);
        first = 0;
    }
    fputs(first ? "]" : "\n  ]", f);
}

static int close_checked(FILE *f, const char *path)
{
    int bad = ferror(f);
    if (fclose(f) != 0) bad = 1;
    if (bad) {
        fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int brg_bench_write_json(const char *path, const brg_bench_machine *m,
                         const brg_bench_runner *runners, int n_runners,
                         const brg_bench_results *all)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    fputs("{\n  \"library_version\": ", f);
    json_str(f, brg_version_string());
    fputs(",\n  \"build_backends\": ", f);
    json_str(f, brg_build_backends());
    fputs(",\n", f);
    json_machine(f, m, runners, n_runners);
    json_list(f, "results", all, 1, json_result);
    fputs(",\n", f);
    json_list(f, "not_measured", all, 0, json_not_measured);
    fputs("\n}\n", f);
    return close_checked(f, path);
}

/* ---- CSV -------------------------------------------------------------------- */

/* RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
static void csv_str(FILE *f, const char *s)
{
    if (!s) return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, "%.6g", v);
}

static void csv_row(FILE *f, const brg_bench_result *r)
{
    char params[256];
    brg_bench_params_format(&r->params, ";", params, sizeof params);
    csv_str(f, r->workload);
    fputc(',', f);
    csv_str(f, params);
    fputc(',', f);
    csv_str(f, r->runner);
    fputc(',', f);
    csv_num(f, r->seconds);
    fputc(',', f);
    csv_num(f, r->seconds_min);
    fputc(',', f);
    csv_num(f, r->seconds_max);
    fprintf(f, ",%d,", r->repeats);
    csv_str(f, r->check);
    fputc(',', f);
    csv_num(f, r->gbs);
    fputc(',', f);
    csv_num(f, r->gflops);
    fputc(',', f);
    csv_num(f, r->fraction_of_limit);
    fputc(',', f);
    if (r->peak_bytes >= 0) fprintf(f, "%" PRId64, r->peak_bytes);
    fputc(',', f);
    csv_num(f, r->sgemm_seconds);
    fputc('\n', f);
}

int brg_bench_write_csv(const char *path, const brg_bench_results *all)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    fputs("workload,params,runner,seconds,seconds_min,seconds_max,repeats,check,gbs,gflops,"
          "fraction_of_limit,peak_bytes,sgemm_seconds\n", f);
    for (size_t i = 0; i < all->count; i++)
        if (all->items[i].outcome == BRG_BENCH_MEASURED) csv_row(f, &all->items[i]);
    return close_checked(f, path);
}

/* ---- the report ------------------------------------------------------------- */

int brg_bench_write_report(const char *dir, const brg_bench_machine *m,
                           const brg_bench_runner *runners, int n_runners,
                           const brg_bench_results *all)
{
    struct stat st;
    if ((mkdir(dir, 0777) != 0 && errno != EEXIST) || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
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

/* The output: the machine block and the results table on stdout, the JSON
 * document of design.md section 8 (--json), one CSV row per result (--csv),
 * and --report. A value that does not apply (NAN, -1) is JSON null and an
 * empty CSV field. */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "commit.h" /* BRIGADE_BENCH_COMMIT, made at build time */

#define MIB ((size_t)1 << 20)

/* ---- text ------------------------------------------------------------------- */

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
            print_value(f, "", "sgemm_gflops", r->sgemm_gflops,
                        "(not measured: cuBLAS not wrapped yet)");
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

/* ---- JSON and CSV ------------------------------------------------------------ */

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
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
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

/* ---- the report ------------------------------------------------------------- */

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

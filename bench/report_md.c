/* --report DIR: the run as a document a new user can read without the code.
 *   report.md     the machine, then one table per tutorial table (and per
 *                 case the tutorial did not have), the tutorial's published
 *                 times beside ours, and the charts;
 *   results.json  the contract's document (docs/design.md §8);
 *   partN.dat     one row per case, one column per runner (median seconds);
 *   partN.gp      the gnuplot script that draws partN.png from it;
 *   partN.png     drawn here when gnuplot is on PATH. */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commit.h" /* BRIGADE_BENCH_COMMIT, made at build time */

#define MIB (1024.0 * 1024.0)

enum { N_PARTS = 3 };

static const char *const part_titles[N_PARTS] = {
    "Part 1: one function over many items (pools)",
    "Part 2: the mean of each row (reshape(n, -1).mean(axis=1))",
    "Part 3: the 3 most similar stored vectors of each query (cosine top-k)",
};

static int part_of(const char *workload)
{
    if (strcmp(workload, "mean_rows") == 0) return 1;
    if (strcmp(workload, "cosine_topk") == 0) return 2;
    return 0;
}

/* ---- small helpers ------------------------------------------------------------ */

static FILE *open_in(const char *dir, const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "bench: --report: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

static int close_checked(FILE *f, const char *path)
{
    int bad = ferror(f);
    if (fclose(f) != 0) bad = 1;
    if (bad) fprintf(stderr, "bench: --report: error writing %s\n", path);
    return bad ? -1 : 0;
}

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return 0;
    }
    fprintf(stderr, "bench: --report: cannot make the directory %s: %s\n", dir, strerror(errno));
    return -1;
}

static void seconds_text(double s, char *buf, size_t cap)
{
    if (!isfinite(s))
        snprintf(buf, cap, "-");
    else if (s >= 100)
        snprintf(buf, cap, "%.0f", s);
    else
        snprintf(buf, cap, "%.3g", s);
}

/* MemTotal from /proc/meminfo, bytes; 0 unknown. */
static double mem_total(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[256];
    double kib = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemTotal: %lf kB", &kib) == 1) break;
    fclose(f);
    return kib * 1024.0;
}

/* ---- the machine ---------------------------------------------------------------- */

static void machine_md(FILE *f, const brg_bench_machine *m, const brg_bench_runner *runners,
                       int n_runners, const brg_bench_results *all)
{
    fprintf(f, "# brigade bench report\n\n");
    fprintf(f, "brigade %s (commit %s), backends: %s.\n\n", brg_version_string(),
            BRIGADE_BENCH_COMMIT, brg_build_backends());
    fprintf(f, "## The machine\n\n| | |\n|---|---|\n");
    fprintf(f, "| CPU | %s |\n| cores (online) | %d |\n", m->cpu, m->cores);
    double mem = mem_total();
    if (mem > 0) fprintf(f, "| memory | %.1f GiB |\n", mem / (MIB * 1024.0));
    if (isfinite(m->mem_read_gbs))
        fprintf(f, "| CPU read bandwidth | %.1f GB/s (median of 7 streaming reads of %.0f MiB, "
                "%d threads; best %.1f) |\n", m->mem_read_gbs, (double)m->mem_read_bytes / MIB,
                m->threads, m->mem_read_best_gbs);
    else
        fprintf(f, "| CPU read bandwidth | not measured |\n");
    if (isfinite(m->sgemm_gflops))
        fprintf(f, "| CPU sgemm | %.1f GFLOP/s (OpenBLAS, %d^3, median of 5; best %.1f) |\n",
                m->sgemm_gflops, m->sgemm_n, m->sgemm_best_gflops);
    else
        fprintf(f, "| CPU sgemm | not measured |\n");
    for (int i = 0; i < n_runners; i++) {
        const brg_bench_runner *r = &runners[i];
        if (r->is_pool || (r->dev && brg_device_get_kind(r->dev) == BRG_DEVICE_CPU)) continue;
        if (!r->available) {
            fprintf(f, "| %s | not available: %s |\n", r->spec, r->reason);
            continue;
        }
        fprintf(f, "| %s | %s; copy bandwidth ", r->spec, r->name);
        if (isfinite(r->mem_read_gbs))
            fprintf(f, "%.1f GB/s", r->mem_read_gbs);
        else
            fprintf(f, "not measured");
        fprintf(f, "; sgemm %s |\n", isfinite(r->sgemm_gflops) ? "measured" : "not measured");
    }
    fputs("\nTimes are medians of at least 3 runs (5 for runs under a second) after one "
          "untimed warm-up; GPU clocks stop after a device synchronisation. \"x seq\" is the "
          "speed-up against the sequential pool. \"of limit\" is the fraction of this machine's "
          "own limit: for memory-bound work, bytes read per second over the read bandwidth "
          "above; for cosine top-k on the CPU, the time OpenBLAS takes for the same-shape sgemm "
          "over ours; for pools, the ideal time (the sequential time spread over "
          "min(workers, cores), or for sleep the waits in ceil(n / workers) rounds) over ours. "
          "The tutorial's times come from its author's 14-core laptop, one run each, and its "
          "GPU times do not synchronise the device.", f);
    int rounds = 1;
    for (size_t i = 0; i < all->count; i++)
        if (all->items[i].rounds > rounds) rounds = all->items[i].rounds;
    if (rounds > 1)
        fprintf(f, " Each case's runs were spread over %d rounds of its pass, each round with "
                "its own set-up and warm-up, so that min and max show the machine's drift "
                "over the pass.", rounds);
    fputs("\n\n", f);
}

/* ---- one table per case ----------------------------------------------------------- */

static void tutorial_cell(FILE *f, const char *workload, const char *params, const char *ours)
{
    int n, any = 0;
    const brg_bench_tutorial_time *t = brg_bench_tutorial_times(&n);
    for (int i = 0; i < n; i++) {
        if (strcmp(t[i].workload, workload) != 0 || strcmp(t[i].params, params) != 0 ||
            strcmp(t[i].ours, ours) != 0)
            continue;
        char s[32];
        seconds_text(t[i].seconds, s, sizeof s);
        fprintf(f, "%s%s %s", any++ ? "; " : "", t[i].runner,
                t[i].outcome ? t[i].outcome : s);
    }
    if (!any) fputs("-", f);
}

static const char *tutorial_source(const char *workload, const char *params)
{
    int n;
    const brg_bench_tutorial_time *t = brg_bench_tutorial_times(&n);
    for (int i = 0; i < n; i++)
        if (strcmp(t[i].workload, workload) == 0 && strcmp(t[i].params, params) == 0)
            return t[i].source;
    return NULL;
}

/* Our column for a tutorial row: GPU runners are "gpu". */
static const char *counterpart(const char *runner)
{
    if (strncmp(runner, "cuda", 4) == 0 || strncmp(runner, "hip", 3) == 0) return "gpu";
    return runner;
}

static void result_row(FILE *f, const brg_bench_result *r, double seq, const char *params)
{
    char col[BRG_BENCH_COLUMN_LEN], a[32], b[32], c[32];
    brg_bench_column_name(r, col, sizeof col);
    fprintf(f, "| %s | ", col);
    if (r->outcome != BRG_BENCH_MEASURED) {
        fprintf(f, "%s: %s | | | | | | ", r->outcome == BRG_BENCH_SKIPPED ? "skipped" : "error",
                r->reason);
    } else {
        seconds_text(r->seconds, a, sizeof a);
        seconds_text(r->seconds_min, b, sizeof b);
        seconds_text(r->seconds_max, c, sizeof c);
        fprintf(f, "%s | %s - %s | ", a, b, c);
        if (seq > 0)
            fprintf(f, "%.3g | ", seq / r->seconds);
        else
            fputs("- | ", f);
        if (isfinite(r->fraction_of_limit))
            fprintf(f, "%.2f | ", r->fraction_of_limit);
        else
            fputs("- | ", f);
        if (r->peak_bytes >= 0)
            fprintf(f, "%.0f | ", (double)r->peak_bytes / MIB);
        else
            fputs("- | ", f);
        fprintf(f, "%s | ", r->check);
    }
    tutorial_cell(f, r->workload, params, counterpart(r->runner));
    fputs(" |\n", f);
}

static void group_md(FILE *f, const brg_bench_results *all, size_t first)
{
    const brg_bench_result *head = &all->items[first];
    char params[256];
    brg_bench_group_params(&head->params, params, sizeof params);
    const char *source = tutorial_source(head->workload, params);
    fprintf(f, "### %s %s\n\n", head->workload, params);
    fprintf(f, "%s\n\n", source ? source : "Not in the tutorial: brigade's own case.");
    fputs("| runner | median s | min - max s | x seq | of limit | peak MiB | check | "
          "tutorial s |\n|---|---|---|---|---|---|---|---|\n", f);
    double seq = brg_bench_group_sequential(all, first);
    for (size_t k = first; k < all->count; k++)
        if (all->items[k].workload && brg_bench_group_of(all, k) == (int)first)
            result_row(f, &all->items[k], seq, params);
    int notes = 0;
    for (size_t k = first; k < all->count; k++) {
        const brg_bench_result *r = &all->items[k];
        if (r->workload && r->note[0] && brg_bench_group_of(all, k) == (int)first)
            fprintf(f, "%s- %s: %s\n", notes++ ? "" : "\n", r->runner, r->note);
    }
    fputc('\n', f);
}

/* ---- charts ------------------------------------------------------------------------ */

/* partN.dat: a header line of runner names, then one line per case:
 * its label and each runner's median ("-" when none). 0 rows: nothing. */
static int chart_data(const char *dir, int part, const brg_bench_results *all, brg_bench_columns *cols,
                      int *rows)
{
    *rows = 0;
    cols->count = 0;
    for (size_t i = 0; i < all->count; i++) {
        const brg_bench_result *r = &all->items[i];
        if (r->workload && part_of(r->workload) == part && r->outcome == BRG_BENCH_MEASURED)
            brg_bench_column_of(cols, r, 1);
    }
    if (cols->count == 0) return 0;
    char name[32], path[4096];
    snprintf(name, sizeof name, "part%d.dat", part + 1);
    FILE *f = open_in(dir, name, path, sizeof path);
    if (!f) return -1;
    fputs("case", f);
    for (int c = 0; c < cols->count; c++) fprintf(f, " \"%s\"", cols->name[c]);
    fputc('\n', f);
    for (size_t i = 0; i < all->count; i++) {
        const brg_bench_result *r = &all->items[i];
        if (!r->workload || part_of(r->workload) != part || brg_bench_group_of(all, i) != (int)i)
            continue;
        double v[BRG_BENCH_MAX_COLUMNS];
        for (int c = 0; c < BRG_BENCH_MAX_COLUMNS; c++) v[c] = NAN;
        for (size_t k = i; k < all->count; k++) {
            const brg_bench_result *q = &all->items[k];
            if (!q->workload || brg_bench_group_of(all, k) != (int)i ||
                q->outcome != BRG_BENCH_MEASURED)
                continue;
            int c = brg_bench_column_of(cols, q, 0);
            if (c >= 0 && isnan(v[c])) v[c] = q->seconds;
        }
        char params[256];
        brg_bench_group_params(&r->params, params, sizeof params);
        fprintf(f, "\"%s %s\"", r->workload, params);
        for (int c = 0; c < cols->count; c++) {
            if (isfinite(v[c]) && v[c] > 0)
                fprintf(f, " %.9g", v[c]);
            else
                fputs(" -", f);
        }
        fputc('\n', f);
        (*rows)++;
    }
    return close_checked(f, path);
}

static int chart_script(const char *dir, int part, const brg_bench_columns *cols, int rows)
{
    char name[32], path[4096];
    snprintf(name, sizeof name, "part%d.gp", part + 1);
    FILE *f = open_in(dir, name, path, sizeof path);
    if (!f) return -1;
    int width = 320 + rows * (40 + 14 * cols->count);
    fprintf(f, "# Draws part%d.png from part%d.dat: gnuplot part%d.gp (in this folder)\n",
            part + 1, part + 1, part + 1);
    fprintf(f, "set terminal pngcairo noenhanced size %d,720 font \"sans,9\"\n",
            width < 900 ? 900 : width);
    fprintf(f, "set output \"part%d.png\"\n", part + 1);
    fprintf(f, "set title \"%s\\nmedian seconds, log scale: lower is faster\"\n",
            part_titles[part]);
    fputs("set datafile missing \"-\"\n"
          "set style data histograms\n"
          "set style histogram clustered gap 1\n"
          "set style fill solid 0.85 border -1\n"
          "set logscale y\n"
          "set format y \"%g\"\n"
          "set ylabel \"seconds (median)\"\n"
          "set grid ytics\n"
          "set key outside right top vertical\n"
          "set xtics rotate by 30 right font \",8\"\n"
          "set bmargin 12\n"
          "set lmargin 24\n", f);
    fprintf(f, "plot for [c=2:%d] \"part%d.dat\" using c:xtic(1) title columnheader(c)\n",
            cols->count + 1, part + 1);
    return close_checked(f, path);
}

/* gnuplot partN.gp in dir: 1 drawn, 0 gnuplot not found, -1 it failed. */
static int draw(const char *dir, int part)
{
    char script[32];
    snprintf(script, sizeof script, "part%d.gp", part + 1);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (chdir(dir) != 0) _exit(126);
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(errno == ENOENT ? 127 : 126);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return 0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 1 : -1;
}

/* ---- the document ---------------------------------------------------------------- */

int brg_bench_write_report(const char *dir, const brg_bench_machine *m,
                           const brg_bench_runner *runners, int n_runners,
                           const brg_bench_results *all)
{
    if (make_dir(dir) != 0) return -1;
    char path[4096];
    snprintf(path, sizeof path, "%s/results.json", dir);
    int bad = brg_bench_write_json(path, m, runners, n_runners, all) != 0;
    FILE *f = open_in(dir, "report.md", path, sizeof path);
    if (!f) return -1;
    machine_md(f, m, runners, n_runners, all);
    int missing_gnuplot = 0;
    for (int part = 0; part < N_PARTS; part++) {
        brg_bench_columns cols;
        int rows = 0;
        if (chart_data(dir, part, all, &cols, &rows) != 0) bad = 1;
        if (rows == 0) continue;
        fprintf(f, "## %s\n\n", part_titles[part]);
        if (chart_script(dir, part, &cols, rows) != 0) bad = 1;
        int drawn = draw(dir, part);
        if (drawn == 1)
            fprintf(f, "![%s](part%d.png)\n\n", part_titles[part], part + 1);
        else if (drawn == 0)
            missing_gnuplot = 1;
        else
            fprintf(f, "(gnuplot failed on part%d.gp: run it by hand to see why.)\n\n",
                    part + 1);
        for (size_t i = 0; i < all->count; i++) {
            const brg_bench_result *r = &all->items[i];
            if (r->workload && part_of(r->workload) == part && brg_bench_group_of(all, i) == (int)i)
                group_md(f, all, i);
        }
    }
    if (missing_gnuplot)
        fputs("## Charts\n\ngnuplot was not found, so the charts were not drawn. Install it "
              "(Debian/Ubuntu: `apt-get install gnuplot-nox`) and run `gnuplot partN.gp` in "
              "this folder: the scripts and their data (`partN.dat`) are here.\n\n", f);
    int unavailable = 0;
    for (size_t i = 0; i < all->count; i++) {
        const brg_bench_result *r = &all->items[i];
        if (r->workload) continue;
        if (!unavailable++) fputs("## Runners not available\n\n", f);
        fprintf(f, "- %s: %s\n", r->runner, r->reason);
    }
    if (close_checked(f, path) != 0) bad = 1;
    return bad ? -1 : 0;
}

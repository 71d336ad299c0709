/* bench's command line (docs/bench.md, "Options"): parsing and the rules
 * that depend on the suite. Kept apart from the run so that the libFuzzer
 * harness tests/fuzz/fuzz_options.c drives it alone. */
#include "bench.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

FILE *brg_bench_usage_errors;

void brg_bench_usage(FILE *f)
{
    fputs("usage: bench [options]\n"
          "Measures brigade's workloads on every available runner, after the machine's\n"
          "ceilings (read bandwidth, sgemm) measured in the same run.\n"
          "\n"
          "  --workload NAME   sleep, prime_heavy, prime_range, file_write, big_alloc,\n"
          "                    mean_chunks, dispatch, mean_rows, cosine_topk (repeatable\n"
          "                    or comma list; default all)\n"
          "  --runner SPEC     sequential, threads, processes, openmp (pools), cpu,\n"
          "                    cuda[:N], hip[:N], emu[:32|:64] (repeatable or comma list;\n"
          "                    default the four pools, cpu and every CUDA and HIP device)\n"
          "  --size SIZE       small (default: the quick cases) or seed (every tutorial size)\n"
          "  --suite SUITE     quick (= --size small), seed (= --size seed), or huge: top-k\n"
          "                    nb=nq=1e5 dim=1000 alone, once, in a 64 MiB workspace\n"
          "  --repeat N        timed runs after one warm-up, N >= 3 (default 5); the huge\n"
          "                    suite: N >= 1 (default 1), no warm-up\n"
          "  --rounds R        spread each case's runs over R passes of the suite, each\n"
          "                    set up and warmed up, so that min and max see the machine's\n"
          "                    drift (1 to 16, at most N; default 5 quick, 1 seed and huge)\n"
          "  --workspace BYTES top-k workspace budget (suffix K, M, G); default the library's\n"
          "  --check           compare every result with a long double oracle\n"
          "  --json FILE       write the results as one JSON document\n"
          "  --csv FILE        write one CSV row per result\n"
          "  --report DIR      write DIR/results.json, then scripts/bench-report writes\n"
          "                    DIR/report.md (the tutorial's tables beside ours) and\n"
          "                    charts (DIR/partN.png, with python3-matplotlib)\n"
          "  --workers N       pool workers (default: online cores; sleep: a task each, <= 64)\n"
          "  --quiet           no progress lines on stderr\n"
          "  --compare OLD NEW runs scripts/bench-compare OLD NEW instead: what moved\n"
          "                    between two --json files (or lists of runs a.json,b.json)\n"
          "  --help            this text\n",
          f);
}

/* "bench: <message>" and a hint on brg_bench_usage_errors (NULL: stderr); 2. */
__attribute__((format(printf, 1, 2))) static int bad_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    FILE *f = brg_bench_usage_errors ? brg_bench_usage_errors : stderr;
    fputs("bench: ", f);
    vfprintf(f, fmt, ap);
    fputs("\n(bench --help lists the options)\n", f);
    va_end(ap);
    return 2;
}

/* Append the comma-separated items of value to list, skipping repeats. */
static int add_list(char list[][BRG_BENCH_NAME_LEN], int *count, const char *value,
                    const char *option)
{
    for (const char *p = value;; p++) {
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= BRG_BENCH_NAME_LEN)
            return bad_usage("%s: bad item in '%s'", option, value);
        int seen = 0;
        for (int i = 0; i < *count; i++)
            seen |= strlen(list[i]) == len && strncmp(list[i], p, len) == 0;
        if (!seen && *count >= BRG_BENCH_MAX_LIST)
            return bad_usage("%s: more than %d items", option, BRG_BENCH_MAX_LIST);
        if (!seen) {
            memcpy(list[*count], p, len);
            list[(*count)++][len] = '\0';
        }
        p += len;
        if (*p == '\0') return 0;
    }
}

/* An integer in [lo, hi], or (scale) a number in (0, 1]. */
static int parse_number(const char *value, const char *option, long lo, long hi, int *out,
                        double *scale)
{
    char *end;
    errno = 0;
    double v = scale ? strtod(value, &end) : (double)strtol(value, &end, 10);
    if (errno || end == value || *end != '\0' ||
        (scale ? !(v > 0.0 && v <= 1.0) : v < (double)lo || v > (double)hi))
        return scale ? bad_usage("--scale: expected a number in (0, 1], got '%s'", value)
                     : bad_usage("%s: expected an integer from %ld to %ld, got '%s'", option, lo,
                                 hi, value);
    if (scale)
        *scale = v;
    else
        *out = (int)v;
    return 0;
}

/* A byte count with an optional binary suffix: 64M is 64 MiB. */
static int parse_bytes(const char *value, const char *option, size_t *out)
{
    static const char units[] = "KkMmGg";
    char *end;
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    const char *unit = *end ? strchr(units, *end) : NULL;
    unsigned shift = unit ? 10 * (unsigned)(1 + (unit - units) / 2) : 0;
    if (shift) end++;
    if (errno || end == value || *end != '\0' || value[0] == '-' || v == 0 ||
        v > (SIZE_MAX >> shift))
        return bad_usage("%s: expected a positive byte count with an optional K, M or G "
                         "suffix, got '%s'", option, value);
    *out = (size_t)v << shift;
    return 0;
}

/* The options that take a value, and one of them: 0 or 2. */
static const char value_options[] = " --workload --runner --size --suite --repeat --rounds "
                                    "--workspace --scale --workers --json --csv --report ";

static int apply_option(brg_bench_options *o, const char *name, const char *value)
{
    int suite = strcmp(name, "--suite") == 0;
    if (strcmp(name, "--workload") == 0)
        return add_list(o->workloads, &o->n_workloads, value, name);
    if (strcmp(name, "--runner") == 0) return add_list(o->runners, &o->n_runners, value, name);
    if (strcmp(name, "--repeat") == 0) {
        o->repeat_set = 1; /* at least 3 outside the huge suite: see finish_options */
        return parse_number(value, name, 1, BRG_BENCH_MAX_REPEAT, &o->repeat, NULL);
    }
    if (strcmp(name, "--rounds") == 0)
        return parse_number(value, name, 1, BRG_BENCH_MAX_ROUNDS, &o->rounds, NULL);
    if (strcmp(name, "--workers") == 0)
        return parse_number(value, name, 1, 4096, &o->workers, NULL);
    if (strcmp(name, "--scale") == 0) return parse_number(value, name, 0, 0, NULL, &o->scale);
    if (strcmp(name, "--workspace") == 0) return parse_bytes(value, name, &o->workspace_bytes);
    if (suite || strcmp(name, "--size") == 0) {
        if (strcmp(value, suite ? "quick" : "small") == 0)
            o->size = BRG_BENCH_SMALL;
        else if (strcmp(value, "seed") == 0)
            o->size = BRG_BENCH_SEED;
        else if (suite && strcmp(value, "huge") == 0)
            o->size = BRG_BENCH_HUGE;
        else
            return bad_usage("%s: expected %s, got '%s'", name,
                             suite ? "quick, seed or huge" : "small or seed", value);
    } else if (strcmp(name, "--report") == 0) {
        if (!value[0]) return bad_usage("--report needs a directory");
        o->report_dir = value;
    } else { /* --json or --csv */
        *(strcmp(name, "--json") == 0 ? &o->json_path : &o->csv_path) = value;
    }
    return 0;
}

/* Returns -1 for --help, else 0 or 2. Accepts --opt VALUE and --opt=VALUE. */
static int parse_args(int argc, char **argv, brg_bench_options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *eq = strchr(arg, '=');
        char name[BRG_BENCH_NAME_LEN], key[BRG_BENCH_NAME_LEN + 2];
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        if (strncmp(arg, "--", 2) != 0) return bad_usage("unexpected argument '%s'", arg);
        if (len >= sizeof name) return bad_usage("unknown option '%s'", arg);
        memcpy(name, arg, len);
        name[len] = '\0';
        if (!strcmp(name, "--check") || !strcmp(name, "--quiet") || !strcmp(name, "--help")) {
            if (eq) return bad_usage("%s takes no value", name);
            if (strcmp(name, "--help") == 0) return -1;
            *(strcmp(name, "--check") == 0 ? &o->check : &o->quiet) = 1;
            continue;
        }
        snprintf(key, sizeof key, " %s ", name);
        if (!strstr(value_options, key)) return bad_usage("unknown option '%s'", name);
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value) return bad_usage("%s needs a value", name);
        if (apply_option(o, name, value)) return 2;
    }
    return 0;
}

#define HUGE_WORKSPACE ((size_t)64 << 20)
/* The quick suite's rounds: runs spread over 5 passes saw the drift that
 * one pass's back-to-back runs did not (docs/bench.md). */
#define QUICK_ROUNDS 5

/* Defaults and rules that depend on the suite. The huge suite is one call
 * of minutes: one timed run and no warm-up (first touch and thread start
 * are noise there), and a 64 MiB budget so that the bounded-memory claim is
 * what gets measured. */
static int finish_options(brg_bench_options *o)
{
    o->warmup = o->size != BRG_BENCH_HUGE;
    if (o->size != BRG_BENCH_HUGE) {
        if (o->repeat < 3)
            return bad_usage("--repeat: expected at least 3 (1 and 2 only with --suite huge)");
        if (o->rounds == 0) /* not given: the suite's, at most one a run */
            o->rounds = o->size != BRG_BENCH_SMALL ? 1
                        : o->repeat < QUICK_ROUNDS ? o->repeat : QUICK_ROUNDS;
        if (o->rounds > o->repeat)
            return bad_usage("--rounds %d: at most --repeat (%d), one timed run a round or more",
                             o->rounds, o->repeat);
        return 0;
    }
    if (o->rounds > 1) return bad_usage("--rounds: the huge suite runs one round");
    o->rounds = 1;
    if (o->n_workloads == 0) add_list(o->workloads, &o->n_workloads, "cosine_topk", "--suite");
    for (int i = 0; i < o->n_workloads; i++)
        if (strcmp(o->workloads[i], "cosine_topk") != 0)
            return bad_usage("--suite huge runs cosine_topk only, not %s", o->workloads[i]);
    if (!o->repeat_set) o->repeat = 1;
    if (o->workspace_bytes == 0) o->workspace_bytes = HUGE_WORKSPACE;
    return 0;
}

int brg_bench_parse_options(int argc, char **argv, brg_bench_options *o,
                            int (*known_workload)(const char *name))
{
    *o = (brg_bench_options){.repeat = 5, .scale = 1.0};
    int rc = parse_args(argc, argv, o);
    for (int i = 0; rc == 0 && i < o->n_workloads; i++)
        if (known_workload && !known_workload(o->workloads[i]))
            rc = bad_usage("--workload: unknown workload '%s' (known: sleep, prime_heavy, "
                           "prime_range, file_write, big_alloc, mean_chunks, dispatch, "
                           "mean_rows, cosine_topk)", o->workloads[i]);
    return rc == 0 ? finish_options(o) : rc;
}

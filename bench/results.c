/* The results and their params, and rounds: one result's runs spread over
 * passes of the suite, merged. A shared machine drifts over tens of seconds
 * while back-to-back runs agree: only runs spread over the pass see it. */
#include "bench.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The list is sized for every workload's parameters: overflowing it is a bug
 * in a workload's plan, not a run-time condition. */
static brg_bench_param *params_next(brg_bench_params *p, const char *key)
{
    if (p->count >= BRG_BENCH_MAX_PARAMS) {
        fprintf(stderr, "bench: internal error: too many params (%s)\n", key);
        return NULL;
    }
    p->items[p->count] = (brg_bench_param){.key = key};
    return &p->items[p->count++];
}

void brg_bench_params_int(brg_bench_params *p, const char *key, int64_t value)
{
    brg_bench_param *e = params_next(p, key);
    if (e) e->num = value;
}

void brg_bench_params_str(brg_bench_params *p, const char *key, const char *value)
{
    brg_bench_param *e = params_next(p, key);
    if (e) e->str = value;
}

void brg_bench_params_real(brg_bench_params *p, const char *key, double value)
{
    brg_bench_param *e = params_next(p, key);
    if (e) *e = (brg_bench_param){.key = key, .is_real = 1, .real = value};
}

/* Shortest text that reads back as the same double (%.17g would print
 * 0.02 as 0.020000000000000000). */
void brg_bench_param_value(const brg_bench_param *e, char *buf, size_t cap)
{
    if (e->str)
        snprintf(buf, cap, "%s", e->str);
    else if (!e->is_real)
        snprintf(buf, cap, "%" PRId64, e->num);
    else
        for (int prec = 1; prec <= 17; prec++)
            if (snprintf(buf, cap, "%.*g", prec, e->real) > 0 && strtod(buf, NULL) == e->real)
                break;
}

void brg_bench_params_format(const brg_bench_params *p, const char *sep, char *buf, size_t cap)
{
    size_t used = 0;
    if (cap) buf[0] = '\0';
    for (int i = 0; i < p->count && used < cap; i++) {
        char value[64];
        brg_bench_param_value(&p->items[i], value, sizeof value);
        int w = snprintf(buf + used, cap - used, "%s%s=%s", i ? sep : "", p->items[i].key, value);
        if (w < 0) return;
        used += (size_t)w;
    }
}

brg_bench_result brg_bench_result_new(const char *workload, const brg_bench_params *params,
                                      const char *runner)
{
    brg_bench_result r = {.workload = workload, .outcome = BRG_BENCH_MEASURED, .check = "skipped",
                          .seconds = NAN, .seconds_min = NAN, .seconds_max = NAN, .gbs = NAN,
                          .gflops = NAN, .fraction_of_limit = NAN, .peak_bytes = -1,
                          .sgemm_seconds = NAN};
    if (params) r.params = *params;
    snprintf(r.runner, sizeof r.runner, "%s", runner);
    return r;
}

brg_status brg_bench_results_add(brg_bench_results *all, const brg_bench_result *r)
{
    if (all->count == all->cap) {
        size_t cap = all->cap ? all->cap * 2 : 32;
        brg_bench_result *items = realloc(all->items, cap * sizeof *items);
        if (!items) return BRG_ERR_OUT_OF_MEMORY;
        all->items = items;
        all->cap = cap;
    }
    all->items[all->count++] = *r;
    return BRG_OK;
}

void brg_bench_results_free(brg_bench_results *all)
{
    free(all->items);
    *all = (brg_bench_results){0};
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double brg_bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The median of the finite values of v[0, n) (a sorted copy); NAN: none. */
static double finite_median(const double *v, int n)
{
    double tmp[BRG_BENCH_MAX_SAMPLES];
    int m = 0;
    for (int i = 0; i < n && m < BRG_BENCH_MAX_SAMPLES; i++)
        if (isfinite(v[i])) tmp[m++] = v[i];
    return m ? brg_bench_median(tmp, m) : NAN;
}

void brg_bench_result_finish(brg_bench_result *r)
{
    if (r->n_samples > 0) { /* a sorted copy: samples stay in the order they ran */
        double sorted[BRG_BENCH_MAX_SAMPLES];
        memcpy(sorted, r->samples, (size_t)r->n_samples * sizeof *sorted);
        r->seconds = brg_bench_median(sorted, r->n_samples);
        r->seconds_min = sorted[0];
        r->seconds_max = sorted[r->n_samples - 1];
        r->repeats = r->n_samples;
    }
    if (r->n_ratios > 0)
        r->fraction_of_limit = finite_median(r->ratios, r->n_ratios);
    else if (r->rounds > 0)
        r->fraction_of_limit = finite_median(r->round_fraction, r->rounds);
    snprintf(r->note, sizeof r->note, "%s", r->base_note);
    size_t len = strlen(r->note);
    if (r->ref_pairs > 0)
        snprintf(r->note + len, sizeof r->note - len,
                 "%sfraction_of_limit: median of %d paired runs (sgemm, a %.1f s pause, top-k; "
                 "each timed after an untimed run)", len ? "; " : "", r->ref_pairs, BRG_BENCH_SETTLE_NS / 1e9);
    if (!r->note[0] && r->note_items > 0 && r->seconds > 0)
        snprintf(r->note, sizeof r->note, "%.2f ns per item (median)",
                 r->seconds / (double)r->note_items * 1e9);
}

const brg_bench_result *brg_bench_results_find(const brg_bench_results *all,
                                               const brg_bench_result *r)
{
    char a[1024], b[1024];
    brg_bench_params_format(&r->params, " ", b, sizeof b);
    for (size_t i = 0; i < all->count; i++) {
        const brg_bench_result *x = &all->items[i];
        if ((x->workload && r->workload ? strcmp(x->workload, r->workload) != 0
                                        : x->workload != r->workload) ||
            strcmp(x->runner, r->runner) != 0)
            continue;
        brg_bench_params_format(&x->params, " ", a, sizeof a);
        if (strcmp(a, b) == 0) return x;
    }
    return NULL;
}

/* Keep what fits of n values from src after *have of dst. */
static void append(double *dst, int *have, const double *src, int n, int cap)
{
    if (n > cap - *have) n = cap - *have;
    memcpy(dst + *have, src, (size_t)n * sizeof *src);
    *have += n;
}

brg_status brg_bench_results_merge(brg_bench_results *all, const brg_bench_result *r,
                                   size_t *index)
{
    brg_bench_result *acc = (brg_bench_result *)brg_bench_results_find(all, r);
    if (!acc) {
        *index = all->count;
        return brg_bench_results_add(all, r);
    }
    *index = (size_t)(acc - all->items);
    if (acc->outcome == BRG_BENCH_ERROR) return BRG_OK; /* the first error stands */
    if (r->outcome == BRG_BENCH_ERROR || acc->outcome == BRG_BENCH_SKIPPED) {
        if (r->outcome != BRG_BENCH_SKIPPED) *acc = *r;
        return BRG_OK;
    }
    if (r->outcome != BRG_BENCH_MEASURED) return BRG_OK;
    /* Both measured: r's runs join acc's. gbs and gflops are a constant over
     * the seconds (bytes or flops per run): rescaled to the merged median. */
    double bytes = r->gbs * r->seconds, flops = r->gflops * r->seconds;
    append(acc->samples, &acc->n_samples, r->samples, r->n_samples, BRG_BENCH_MAX_SAMPLES);
    append(acc->ratios, &acc->n_ratios, r->ratios, r->n_ratios, BRG_BENCH_MAX_SAMPLES);
    append(acc->round_fraction, &acc->rounds, r->round_fraction, r->rounds, BRG_BENCH_MAX_ROUNDS);
    acc->ref_pairs += r->ref_pairs;
    if (r->peak_bytes > acc->peak_bytes) acc->peak_bytes = r->peak_bytes;
    if (strcmp(r->check, "fail") == 0) acc->check = r->check;
    brg_bench_result_finish(acc);
    acc->gbs = bytes / acc->seconds;
    acc->gflops = flops / acc->seconds;
    return BRG_OK;
}

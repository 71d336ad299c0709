/* The results: a growing array, and rounds: one result's timed runs spread
 * over several passes of the suite (bench.h, "rounds"), merged; the numbers
 * of a result are made from its raw material, whether it has one round or
 * several.
 *
 * Why: on a shared machine the speed drifts over tens of seconds (the
 * neighbours' load, the host giving the VM less than its cores), while the
 * back-to-back runs of one case take a fraction of a second and agree with
 * each other. A single run's max - min then says nothing about the noise
 * between two runs of the bench, and --compare flags drift as change.
 * Runs spread over the pass see the drift, and their spread says so. */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void brg_bench_results_free(brg_bench_results *all)
{
    free(all->items);
    all->items = NULL;
    all->count = all->cap = 0;
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

/* The median of the finite values of v[0, n) (sorts a copy); NAN: none. */
static double finite_median(const double *v, int n)
{
    double tmp[BRG_BENCH_MAX_ROUNDS];
    int m = 0;
    for (int i = 0; i < n && m < BRG_BENCH_MAX_ROUNDS; i++)
        if (isfinite(v[i])) tmp[m++] = v[i];
    return m ? brg_bench_median(tmp, m) : NAN;
}

static void compose_note(brg_bench_result *r)
{
    snprintf(r->note, sizeof r->note, "%s", r->base_note);
    size_t len = strlen(r->note);
    if (r->ref_pairs > 0)
        snprintf(r->note + len, sizeof r->note - len,
                 "%sfraction_of_limit: median of %d paired runs (one sgemm, a %.1f s pause, "
                 "one top-k)", len ? "; " : "", r->ref_pairs, BRG_BENCH_SETTLE_NS / 1e9);
    if (!r->note[0] && r->note_items > 0 && r->seconds > 0)
        snprintf(r->note, sizeof r->note, "%.2f ns per item (median)",
                 r->seconds / (double)r->note_items * 1e9);
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
    if (r->n_ratios > 0) {
        double ratios[BRG_BENCH_MAX_SAMPLES];
        memcpy(ratios, r->ratios, (size_t)r->n_ratios * sizeof *ratios);
        r->fraction_of_limit = brg_bench_median(ratios, r->n_ratios);
    } else if (r->rounds > 0) {
        r->fraction_of_limit = finite_median(r->round_fraction, r->rounds);
    }
    compose_note(r);
}

static int same_text(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static int same_result(const brg_bench_result *a, const brg_bench_result *b)
{
    if (!same_text(a->workload, b->workload) || strcmp(a->runner, b->runner) != 0) return 0;
    char pa[1024], pb[1024];
    brg_bench_params_format(&a->params, " ", pa, sizeof pa);
    brg_bench_params_format(&b->params, " ", pb, sizeof pb);
    return strcmp(pa, pb) == 0;
}

/* acc and r both measured: r's runs join acc's. */
static void merge_measured(brg_bench_result *acc, const brg_bench_result *r)
{
    /* gbs and gflops are a constant over the seconds (bytes or flops per
     * run): rescaled to the merged median. NAN stays NAN. */
    double bytes = r->gbs * r->seconds, flops = r->gflops * r->seconds;
    int n = r->n_samples;
    if (n > BRG_BENCH_MAX_SAMPLES - acc->n_samples) n = BRG_BENCH_MAX_SAMPLES - acc->n_samples;
    memcpy(acc->samples + acc->n_samples, r->samples, (size_t)n * sizeof *r->samples);
    acc->n_samples += n;
    n = r->n_ratios;
    if (n > BRG_BENCH_MAX_SAMPLES - acc->n_ratios) n = BRG_BENCH_MAX_SAMPLES - acc->n_ratios;
    memcpy(acc->ratios + acc->n_ratios, r->ratios, (size_t)n * sizeof *r->ratios);
    acc->n_ratios += n;
    for (int i = 0; i < r->rounds && acc->rounds < BRG_BENCH_MAX_ROUNDS; i++)
        acc->round_fraction[acc->rounds++] = r->round_fraction[i];
    acc->ref_pairs += r->ref_pairs;
    if (r->peak_bytes > acc->peak_bytes) acc->peak_bytes = r->peak_bytes;
    if (strcmp(r->check, "fail") == 0) acc->check = r->check;
    brg_bench_result_finish(acc);
    acc->gbs = bytes / acc->seconds;
    acc->gflops = flops / acc->seconds;
}

const brg_bench_result *brg_bench_results_find(const brg_bench_results *all,
                                               const brg_bench_result *r)
{
    for (size_t i = 0; i < all->count; i++)
        if (same_result(&all->items[i], r)) return &all->items[i];
    return NULL;
}

brg_status brg_bench_results_merge(brg_bench_results *all, const brg_bench_result *r,
                                   size_t *index)
{
    brg_bench_result *acc = (brg_bench_result *)brg_bench_results_find(all, r);
    if (!acc) {
        brg_status st = brg_bench_results_add(all, r);
        if (st == BRG_OK) *index = all->count - 1;
        return st;
    }
    *index = (size_t)(acc - all->items);
    if (acc->outcome == BRG_BENCH_ERROR) return BRG_OK; /* the first error stands */
    if (r->outcome == BRG_BENCH_ERROR || acc->outcome == BRG_BENCH_SKIPPED) {
        if (r->outcome != BRG_BENCH_SKIPPED) *acc = *r;
    } else if (r->outcome == BRG_BENCH_MEASURED) {
        merge_measured(acc, r);
    }
    return BRG_OK;
}

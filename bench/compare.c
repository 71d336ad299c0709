/* bench --compare (compare.h): parse both documents with cJSON, check that
 * each is a bench results document, match their results by identity (a sort
 * of each side, then one merge: linear in the input after the sorts), and
 * report what moved. Any input gives exit status 0, 1 or 2: nothing from a
 * document is trusted, and every name printed from one is cut short and
 * stripped of control bytes. */
#include "compare.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    CMP_MAX_PARAMS = 64,  /* keys in one params object (the bench writes <= 8) */
    CMP_SHOW = 64         /* bytes of a name from a document shown in a line */
};

#define CMP_PREFIX "bench --compare: "
#define CMP_STR_(x) #x
#define CMP_STR(x) CMP_STR_(x)

/* The machine's ceilings, measured by each run (docs/design.md §8). */
#define CMP_N_CEILINGS 2
static const char *const CMP_CEILINGS[CMP_N_CEILINGS] = {"sgemm_gflops", "mem_read_gbs"};

typedef struct cmp_entry {
    size_t index;                    /* position in "results" */
    const char *workload, *runner;
    const cJSON *params;             /* document order, for printing */
    const cJSON **keys;              /* the params sorted by key: the identity */
    size_t first_key;                /* offset of keys in the pool while it grows */
    int n_params;
    double seconds, lo, hi;          /* seconds NAN: null, not measured */
    const struct cmp_entry *match;   /* the same result in the other document */
} cmp_entry;

typedef struct cmp_doc {
    const char *name;                /* a path, or "OLD" / "NEW" */
    FILE *err;
    cJSON *root;
    cmp_entry *entries;              /* document order */
    cmp_entry **sorted;              /* by identity */
    size_t count;
    const cJSON **pool;              /* every entry's params */
    size_t pool_count, pool_cap;
    double ceiling[CMP_N_CEILINGS];  /* the machine's CMP_CEILINGS; NAN: not given */
} cmp_doc;

typedef struct cmp_tally {
    size_t compared, moved, slow, skipped, only_old, only_new;
} cmp_tally;

/* ---- messages ----------------------------------------------------------------- */

static int doc_error(const cmp_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "bench --compare: NAME: what", and the exit status 2. */
static int doc_error(const cmp_doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(d->err, CMP_PREFIX "%s: ", d->name);
    vfprintf(d->err, fmt, ap);
    fputc('\n', d->err);
    va_end(ap);
    return 2;
}

/* s as printable ASCII (other bytes as '?'), at most CMP_SHOW bytes of it. */
static const char *show(const char *s, char buf[CMP_SHOW + 4])
{
    size_t n = 0;
    for (; s[n] && n < CMP_SHOW; n++) {
        unsigned char c = (unsigned char)s[n];
        buf[n] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (s[n]) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

/* ---- reading one document ---------------------------------------------------- */

/* obj's member named key, or NULL; *twice when the key appears again. */
static const cJSON *member(const cJSON *obj, const char *key, int *twice)
{
    const cJSON *found = NULL;
    *twice = 0;
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (!c->string || strcmp(c->string, key) != 0) continue;
        if (found) *twice = 1;
        else found = c;
    }
    return found;
}

/* Result i's member key: present once, and of a type in the mask (cJSON's
 * type bits); *out NULL only when it is missing and may_miss. */
static int field(const cmp_doc *d, size_t i, const cJSON *obj, const char *key, int types,
                 const char *expected, const cJSON **out)
{
    int twice;
    *out = member(obj, key, &twice);
    if (!*out) return doc_error(d, "results[%zu]: no \"%s\"", i, key);
    if (twice) return doc_error(d, "results[%zu]: \"%s\" given twice", i, key);
    if (!((*out)->type & types)) return doc_error(d, "results[%zu].%s: expected %s", i, key, expected);
    return 0;
}

static int string_field(const cmp_doc *d, size_t i, const cJSON *obj, const char *key,
                        const char **out)
{
    const cJSON *v;
    int rc = field(d, i, obj, key, cJSON_String, "a string", &v);
    if (rc) return rc;
    if (!v->valuestring) return doc_error(d, "results[%zu].%s: expected a string", i, key);
    *out = v->valuestring;
    return 0;
}

/* A finite number, or NAN for null when nullable. */
static int number_field(const cmp_doc *d, size_t i, const cJSON *obj, const char *key,
                        int nullable, double *out)
{
    const cJSON *v;
    int rc = field(d, i, obj, key, cJSON_Number | (nullable ? cJSON_NULL : 0),
                   nullable ? "a number or null" : "a number", &v);
    if (rc) return rc;
    if (cJSON_IsNull(v)) {
        *out = NAN;
        return 0;
    }
    if (!isfinite(v->valuedouble))
        return doc_error(d, "results[%zu].%s: expected a finite number", i, key);
    *out = v->valuedouble;
    return 0;
}

/* Append the members of params to the pool (sorted once the pool is final). */
static int read_params(cmp_doc *d, size_t i, const cJSON *obj, cmp_entry *e)
{
    const cJSON *p;
    int rc = field(d, i, obj, "params", cJSON_Object, "an object", &p);
    if (rc) return rc;
    e->params = p;
    e->first_key = d->pool_count;
    for (const cJSON *c = p->child; c; c = c->next) {
        char buf[CMP_SHOW + 4];
        if (e->n_params == CMP_MAX_PARAMS)
            return doc_error(d, "results[%zu].params: more than %d keys", i, CMP_MAX_PARAMS);
        if (!c->string) return doc_error(d, "results[%zu].params: a value without a key", i);
        int num = cJSON_IsNumber(c) && !isnan(c->valuedouble);
        if (!num && !(cJSON_IsString(c) && c->valuestring))
            return doc_error(d, "results[%zu].params.%s: expected a number or a string", i,
                             show(c->string, buf));
        if (d->pool_count == d->pool_cap) {
            size_t cap = d->pool_cap ? d->pool_cap * 2 : 256;
            const cJSON **pool = cap <= SIZE_MAX / sizeof *pool
                                 ? realloc(d->pool, cap * sizeof *pool) : NULL;
            if (!pool) return doc_error(d, "out of memory");
            d->pool = pool;
            d->pool_cap = cap;
        }
        d->pool[d->pool_count++] = c;
        e->n_params++;
    }
    return 0;
}

/* seconds null: not measured, nothing else read. Else 0 <= min <= seconds <= max. */
static int read_times(const cmp_doc *d, size_t i, const cJSON *obj, cmp_entry *e)
{
    int rc = number_field(d, i, obj, "seconds", 1, &e->seconds);
    if (rc || isnan(e->seconds)) return rc;
    if (!(e->seconds > 0.0))
        return doc_error(d, "results[%zu].seconds: expected a time > 0, got %g", i, e->seconds);
    rc = number_field(d, i, obj, "seconds_min", 0, &e->lo);
    if (!rc) rc = number_field(d, i, obj, "seconds_max", 0, &e->hi);
    if (rc) return rc;
    if (!(0.0 <= e->lo && e->lo <= e->seconds && e->seconds <= e->hi))
        return doc_error(d, "results[%zu]: expected 0 <= seconds_min <= seconds <= seconds_max, "
                         "got %g, %g, %g", i, e->lo, e->seconds, e->hi);
    return 0;
}

static int read_entry(cmp_doc *d, size_t i, const cJSON *item, cmp_entry *e)
{
    if (!cJSON_IsObject(item)) return doc_error(d, "results[%zu]: expected an object", i);
    e->index = i;
    int rc = string_field(d, i, item, "workload", &e->workload);
    if (!rc) rc = string_field(d, i, item, "runner", &e->runner);
    if (!rc) rc = read_params(d, i, item, e);
    if (!rc) rc = read_times(d, i, item, e);
    return rc;
}

/* Parse a copy that ends in a NUL: the input need not, and cJSON is not
 * built with the sanitizers that would catch it reading one byte too far. */
static int parse(cmp_doc *d, const char *json, size_t len)
{
    if (len == 0) return doc_error(d, "empty, not a bench results document");
    if (len > BRG_BENCH_COMPARE_MAX_BYTES)
        return doc_error(d, "larger than %zu MiB, not a bench results document",
                         BRG_BENCH_COMPARE_MAX_BYTES >> 20);
    char *copy = malloc(len + 1);
    if (!copy) return doc_error(d, "out of memory");
    memcpy(copy, json, len);
    copy[len] = '\0';
    const char *end = NULL;
    d->root = cJSON_ParseWithLengthOpts(copy, len, &end, 0);
    size_t at = end && end >= copy && end <= copy + len ? (size_t)(end - copy) : len;
    while (d->root && at < len && copy[at] && strchr(" \t\r\n", copy[at])) at++;
    /* cJSON reports the end of a truncated input as its last byte, and
     * refuses a bracket past its nesting limit */
    const char *hint = at + 1 >= len ? ": cut short?"
                       : at < len && (copy[at] == '[' || copy[at] == '{')
                           ? ": nested deeper than cJSON's limit (" CMP_STR(CJSON_NESTING_LIMIT) ")?"
                           : "";
    free(copy);
    if (!d->root) return doc_error(d, "not valid JSON (error at byte %zu of %zu%s)", at, len, hint);
    if (at < len) return doc_error(d, "not valid JSON: more after the document at byte %zu", at);
    return 0;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* Point each entry at its params in the final pool, sorted by key, and
 * refuse a key given twice (the identity would be ambiguous). */
static int sort_params(cmp_doc *d)
{
    for (size_t i = 0; i < d->count; i++) {
        cmp_entry *e = &d->entries[i];
        if (!e->n_params) continue;
        e->keys = d->pool + e->first_key;
        qsort(e->keys, (size_t)e->n_params, sizeof *e->keys, cmp_key);
        for (int k = 1; k < e->n_params; k++) {
            char buf[CMP_SHOW + 4];
            if (strcmp(e->keys[k - 1]->string, e->keys[k]->string) == 0)
                return doc_error(d, "results[%zu].params: \"%s\" given twice", e->index,
                                 show(e->keys[k]->string, buf));
        }
    }
    return 0;
}

/* ---- identities ----------------------------------------------------------------- */

static int cmp_value(const cJSON *a, const cJSON *b)
{
    int sa = cJSON_IsString(a), sb = cJSON_IsString(b);
    if (sa != sb) return sa - sb;
    if (sa) return strcmp(a->valuestring, b->valuestring);
    return (a->valuedouble > b->valuedouble) - (a->valuedouble < b->valuedouble);
}

/* A total order on (workload, runner, params as a set). */
static int cmp_identity(const cmp_entry *a, const cmp_entry *b)
{
    int c = strcmp(a->workload, b->workload);
    if (!c) c = strcmp(a->runner, b->runner);
    if (!c) c = (a->n_params > b->n_params) - (a->n_params < b->n_params);
    for (int k = 0; !c && k < a->n_params; k++) {
        c = strcmp(a->keys[k]->string, b->keys[k]->string);
        if (!c) c = cmp_value(a->keys[k], b->keys[k]);
    }
    return c;
}

/* Ties by position, so that the first of two equal results comes first. */
static int cmp_sorted(const void *pa, const void *pb)
{
    const cmp_entry *a = *(const cmp_entry *const *)pa, *b = *(const cmp_entry *const *)pb;
    int c = cmp_identity(a, b);
    return c ? c : (a->index > b->index) - (a->index < b->index);
}

static int sort_entries(cmp_doc *d)
{
    if (!d->count) return 0;
    d->sorted = malloc(d->count * sizeof *d->sorted);
    if (!d->sorted) return doc_error(d, "out of memory");
    for (size_t i = 0; i < d->count; i++) d->sorted[i] = &d->entries[i];
    qsort(d->sorted, d->count, sizeof *d->sorted, cmp_sorted);
    for (size_t i = 1; i < d->count; i++)
        if (cmp_identity(d->sorted[i - 1], d->sorted[i]) == 0)
            return doc_error(d, "results[%zu] and results[%zu]: the same workload, runner and "
                             "params", d->sorted[i - 1]->index, d->sorted[i]->index);
    return 0;
}

/* The machine block's ceilings: informative only, so a document without
 * them (or with null, or anything but a number > 0) is fine: NAN. */
static void read_ceilings(cmp_doc *d)
{
    int twice;
    const cJSON *m = member(d->root, "machine", &twice);
    for (int k = 0; k < CMP_N_CEILINGS; k++) {
        d->ceiling[k] = NAN;
        const cJSON *v = m && !twice && cJSON_IsObject(m) ? member(m, CMP_CEILINGS[k], &twice)
                                                          : NULL;
        if (v && !twice && cJSON_IsNumber(v) && v->valuedouble > 0 && isfinite(v->valuedouble))
            d->ceiling[k] = v->valuedouble;
    }
}

static int load(cmp_doc *d, const char *json, size_t len)
{
    int twice, rc = parse(d, json, len);
    if (rc) return rc;
    if (!cJSON_IsObject(d->root))
        return doc_error(d, "not a JSON object, so not a bench results document");
    const cJSON *results = member(d->root, "results", &twice);
    if (!results) return doc_error(d, "no \"results\", not a bench results document");
    if (twice) return doc_error(d, "\"results\" given twice");
    if (!cJSON_IsArray(results)) return doc_error(d, "results: expected an array");
    for (const cJSON *c = results->child; c; c = c->next) d->count++;
    if (d->count) {
        d->entries = calloc(d->count, sizeof *d->entries);
        if (!d->entries) return doc_error(d, "out of memory");
    }
    size_t i = 0;
    for (const cJSON *c = results->child; c; c = c->next, i++) {
        rc = read_entry(d, i, c, &d->entries[i]);
        if (rc) return rc;
    }
    read_ceilings(d);
    rc = sort_params(d);
    return rc ? rc : sort_entries(d);
}

static void unload(cmp_doc *d)
{
    cJSON_Delete(d->root);
    free(d->entries);
    free(d->sorted);
    free(d->pool);
}

/* Pair the results of both documents: a merge of their sorted lists. */
static void match(cmp_doc *a, cmp_doc *b)
{
    size_t i = 0, j = 0;
    while (i < a->count && j < b->count) {
        int c = cmp_identity(a->sorted[i], b->sorted[j]);
        if (c == 0) {
            a->sorted[i]->match = b->sorted[j];
            b->sorted[j]->match = a->sorted[i];
        }
        i += c <= 0;
        j += c >= 0;
    }
}

/* ---- several runs of one side ---------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0, n) (sorts v); NAN when n is 0. */
static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return !n ? NAN : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The median of each ceiling over the documents that give it. */
static void pool_ceilings(const cmp_doc *docs, size_t n, cmp_doc *out)
{
    double v[BRG_BENCH_COMPARE_MAX_FILES];
    for (int k = 0; k < CMP_N_CEILINGS; k++) {
        size_t m = 0;
        for (size_t d = 0; d < n && m < BRG_BENCH_COMPARE_MAX_FILES; d++)
            if (!isnan(docs[d].ceiling[k])) v[m++] = docs[d].ceiling[k];
        out->ceiling[k] = median(v, m);
    }
}

/* docs[0..n) as one document: per result identity, the median of the
 * measured medians, the least seconds_min and the greatest seconds_max,
 * so that the spread spans the drift between runs as well as within
 * them. A result measured in none of them has seconds NAN. Its entries
 * point into docs, which must stay loaded. */
static int pool_docs(cmp_doc *docs, size_t n, cmp_doc *out)
{
    size_t total = 0;
    for (size_t d = 0; d < n; d++) total += docs[d].count;
    pool_ceilings(docs, n, out);
    out->entries = calloc(total ? total : 1, sizeof *out->entries);
    out->sorted = malloc((total ? total : 1) * sizeof *out->sorted);
    const cmp_entry **all = malloc((total ? total : 1) * sizeof *all);
    double *medians = malloc(n * sizeof *medians);
    int rc = 0;
    if (!out->entries || !out->sorted || !all || !medians) {
        rc = doc_error(out, "out of memory");
        goto done;
    }
    size_t at = 0;
    for (size_t d = 0; d < n; d++)
        for (size_t i = 0; i < docs[d].count; i++) all[at++] = docs[d].sorted[i];
    qsort(all, total, sizeof *all, cmp_sorted);
    for (size_t g = 0; g < total;) {
        cmp_entry *p = &out->entries[out->count];
        *p = *all[g];
        p->index = out->count;
        p->match = NULL;
        size_t measured = 0;
        double lo = INFINITY, hi = -INFINITY;
        /* one per document at most: a document's identities are distinct */
        for (; g < total && cmp_identity(all[g], p) == 0; g++) {
            if (isnan(all[g]->seconds)) continue;
            medians[measured++] = all[g]->seconds;
            lo = fmin(lo, all[g]->lo);
            hi = fmax(hi, all[g]->hi);
        }
        p->seconds = median(medians, measured);
        p->lo = lo;
        p->hi = hi;
        out->sorted[out->count] = p;
        out->count++;
    }
done:
    free(all);
    free(medians);
    return rc;
}

/* ---- the report ------------------------------------------------------------------ */

/* "workload k=v k=v on runner", params in the document's order. */
static void print_identity(FILE *f, const cmp_entry *e)
{
    char buf[CMP_SHOW + 4];
    fputs(show(e->workload, buf), f);
    for (const cJSON *c = e->params->child; c; c = c->next) {
        fprintf(f, " %s=", show(c->string, buf));
        if (cJSON_IsString(c)) {
            fputs(show(c->valuestring, buf), f);
        } else {
            /* the shortest form that reads back as the same double */
            snprintf(buf, sizeof buf, "%.15g", c->valuedouble);
            if (strtod(buf, NULL) != c->valuedouble) snprintf(buf, sizeof buf, "%.17g", c->valuedouble);
            fputs(buf, f);
        }
    }
    fprintf(f, " on %s", show(e->runner, buf));
}

static void print_ratio(FILE *f, double ratio)
{
    const char *how = ratio > 1.0 ? "slower" : "faster";
    if (ratio >= 0.01 && ratio < 1000.0)
        fprintf(f, "x%.2f %s", ratio, how);
    else
        fprintf(f, "x%.3g %s", ratio, how);
}

/* A run's spread: (max - min) / median, and never less than the jitter of
 * waking a thread (BRG_BENCH_COMPARE_FLOOR_S) over the median. Two runs of
 * the same build on the 2-core VM moved a 10 us OpenMP map from 9.5 us to
 * 21 us, each run's own spread 23 %: a wake-up's jitter, not a slowdown. */
static double spread(const cmp_entry *e)
{
    return fmax(e->hi - e->lo, BRG_BENCH_COMPARE_FLOOR_S) / e->seconds;
}

static void compare_pair(const cmp_entry *o, const cmp_entry *n, double threshold, FILE *out,
                         cmp_tally *t)
{
    if (isnan(o->seconds) || isnan(n->seconds)) {
        t->skipped++;
        return;
    }
    t->compared++;
    double so = spread(o), sn = spread(n), ratio = n->seconds / o->seconds;
    if (!(fabs(ratio - 1.0) > fmax(so, sn))) return;
    int slow = ratio > 1.0 + threshold;
    t->moved++;
    t->slow += (size_t)slow;
    fputs("moved: ", out);
    print_identity(out, n);
    fprintf(out, ": %.6g s -> %.6g s, ", o->seconds, n->seconds);
    print_ratio(out, ratio);
    fprintf(out, " (spread %.3g%% old, %.3g%% new)", so * 100.0, sn * 100.0);
    if (slow) fprintf(out, ", beyond the %g%% threshold", threshold * 100.0);
    fputc('\n', out);
}

/* Results of d without a partner: listed when measured, else skipped. */
static void list_unmatched(const cmp_doc *d, const char *which, FILE *out, size_t *listed,
                           size_t *skipped)
{
    for (size_t i = 0; i < d->count; i++) {
        const cmp_entry *e = &d->entries[i];
        if (e->match) continue;
        if (isnan(e->seconds)) {
            (*skipped)++;
            continue;
        }
        (*listed)++;
        fprintf(out, "only in %s: ", which);
        print_identity(out, e);
        fputc('\n', out);
    }
}

/* When results moved and a ceiling of the machine, measured in each run,
 * differs between the two by more than the threshold, one line says so
 * before the summary: the machine was faster or slower as a whole (a
 * shared machine's slow phase can last a whole run), and results that
 * moved as much may be the machine. Nothing is hidden and the exit status
 * does not change. Not printed when nothing moved: the ceilings are
 * measured in under a second each and vary by 10-15% between runs on a
 * shared machine themselves. */
static void report_ceilings(const cmp_doc *old, const cmp_doc *new_doc, double threshold,
                            FILE *out)
{
    int differ = 0;
    for (int k = 0; k < CMP_N_CEILINGS; k++) {
        double r = new_doc->ceiling[k] / old->ceiling[k];
        differ |= fabs(r - 1.0) > threshold; /* NAN: not compared */
    }
    if (!differ) return;
    fputs("machine:", out);
    const char *sep = " ";
    for (int k = 0; k < CMP_N_CEILINGS; k++) {
        if (isnan(old->ceiling[k]) || isnan(new_doc->ceiling[k])) continue;
        fprintf(out, "%s%s %.4g -> %.4g (x%.2f)", sep, CMP_CEILINGS[k], old->ceiling[k],
                new_doc->ceiling[k], new_doc->ceiling[k] / old->ceiling[k]);
        sep = ", ";
    }
    fprintf(out, ": the machine's own ceilings, measured in each run, differ by more than "
            "%g%%; results that moved as much may be the machine, not the code (compare "
            "several runs a side)\n", threshold * 100.0);
}

static int report(const cmp_doc *old, const cmp_doc *new_doc, double threshold, FILE *out)
{
    cmp_tally t = {0};
    for (size_t i = 0; i < new_doc->count; i++) {
        const cmp_entry *n = &new_doc->entries[i];
        if (n->match) compare_pair(n->match, n, threshold, out, &t);
    }
    list_unmatched(old, "OLD", out, &t.only_old, &t.skipped);
    list_unmatched(new_doc, "NEW", out, &t.only_new, &t.skipped);
    if (t.moved) report_ceilings(old, new_doc, threshold, out);
    fprintf(out, "compared %zu, moved %zu, slowdowns beyond the %g%% threshold %zu", t.compared,
            t.moved, threshold * 100.0, t.slow);
    if (t.only_old || t.only_new)
        fprintf(out, ", only in OLD %zu, only in NEW %zu", t.only_old, t.only_new);
    if (t.skipped) fprintf(out, ", skipped %zu without a time (seconds null)", t.skipped);
    fputc('\n', out);
    fflush(out);
    return t.slow ? 1 : 0;
}

/* ---- entry points ---------------------------------------------------------------- */

/* One document to compare: its name in messages, and its text. */
typedef struct cmp_input {
    const char *name;
    const char *json;
    size_t len;
} cmp_input;

/* Load a side's documents (pooled when several) into docs and *side. */
static int load_side(const cmp_input *in, size_t n, cmp_doc *docs, cmp_doc *pooled,
                     cmp_doc **side)
{
    for (size_t i = 0; i < n; i++) {
        int rc = load(&docs[i], in[i].json, in[i].len);
        if (rc) return rc;
    }
    if (n == 1) {
        *side = &docs[0];
        return 0;
    }
    *side = pooled;
    return pool_docs(docs, n, pooled);
}

static int compare_sides(const cmp_input *old_in, size_t n_old, const cmp_input *new_in,
                         size_t n_new, double threshold, FILE *out, FILE *err)
{
    if (!(threshold >= 0.0 && isfinite(threshold))) {
        fprintf(err, CMP_PREFIX "the threshold must be a finite fraction >= 0, got %g\n",
                threshold);
        return 2;
    }
    if (n_old < 1 || n_new < 1 || n_old > BRG_BENCH_COMPARE_MAX_FILES ||
        n_new > BRG_BENCH_COMPARE_MAX_FILES) {
        fprintf(err, CMP_PREFIX "each side takes 1 to %d documents, got %zu and %zu\n",
                BRG_BENCH_COMPARE_MAX_FILES, n_old, n_new);
        return 2;
    }
    cmp_doc *docs = calloc(n_old + n_new, sizeof *docs);
    if (!docs) {
        fprintf(err, CMP_PREFIX "out of memory\n");
        return 2;
    }
    for (size_t i = 0; i < n_old + n_new; i++) {
        docs[i].name = i < n_old ? old_in[i].name : new_in[i - n_old].name;
        docs[i].err = err;
    }
    cmp_doc old_pool = {.name = "OLD (pooled)", .err = err};
    cmp_doc new_pool = {.name = "NEW (pooled)", .err = err};
    cmp_doc *old = NULL, *new_doc = NULL;
    int rc = load_side(old_in, n_old, docs, &old_pool, &old);
    if (!rc) rc = load_side(new_in, n_new, docs + n_old, &new_pool, &new_doc);
    if (!rc) {
        if (n_old > 1 || n_new > 1)
            fprintf(out, "pooled: OLD %zu runs, NEW %zu runs (per result: the median of the "
                    "medians, the least min, the greatest max)\n", n_old, n_new);
        match(old, new_doc);
        rc = report(old, new_doc, threshold, out);
    }
    for (size_t i = 0; i < n_old + n_new; i++) unload(&docs[i]);
    unload(&old_pool);
    unload(&new_pool);
    free(docs);
    return rc;
}

int brg_bench_compare_buffers(const char *old_json, size_t old_len, const char *new_json,
                              size_t new_len, double threshold, FILE *out, FILE *err)
{
    cmp_input o = {"OLD", old_json, old_len}, n = {"NEW", new_json, new_len};
    return compare_sides(&o, 1, &n, 1, threshold, out, err);
}

int brg_bench_compare_buffer_lists(const char *const *old_json, const size_t *old_len,
                                   size_t n_old, const char *const *new_json,
                                   const size_t *new_len, size_t n_new, double threshold,
                                   FILE *out, FILE *err)
{
    static const char *const names[2] = {"OLD", "NEW"};
    if (n_old > BRG_BENCH_COMPARE_MAX_FILES || n_new > BRG_BENCH_COMPARE_MAX_FILES)
        return compare_sides(NULL, n_old, NULL, n_new, threshold, out, err);
    cmp_input in[2 * BRG_BENCH_COMPARE_MAX_FILES];
    for (size_t i = 0; i < n_old; i++) in[i] = (cmp_input){names[0], old_json[i], old_len[i]};
    for (size_t i = 0; i < n_new; i++) in[n_old + i] = (cmp_input){names[1], new_json[i], new_len[i]};
    return compare_sides(in, n_old, in + n_old, n_new, threshold, out, err);
}

/* The whole file, up to the size limit (a pipe or FIFO works too). */
static char *read_file(const char *path, size_t *len, FILE *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(err, CMP_PREFIX "cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 0, n = 0;
    char *buf = NULL;
    while (!ferror(f) && !feof(f) && n <= BRG_BENCH_COMPARE_MAX_BYTES) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            if (cap > BRG_BENCH_COMPARE_MAX_BYTES + 1) cap = BRG_BENCH_COMPARE_MAX_BYTES + 1;
            char *grown = realloc(buf, cap);
            if (!grown) break;
            buf = grown;
        }
        n += fread(buf + n, 1, cap - n, f);
    }
    int bad = ferror(f), saved = errno, full = n > BRG_BENCH_COMPARE_MAX_BYTES;
    int done = feof(f);
    fclose(f);
    if (done && !bad && !full) { /* buf is set: the loop ran at least once */
        *len = n;
        return buf;
    }
    if (bad)
        fprintf(err, CMP_PREFIX "cannot read %s: %s\n", path, strerror(saved));
    else if (full)
        fprintf(err, CMP_PREFIX "%s: larger than %zu MiB, not a bench results document\n", path,
                BRG_BENCH_COMPARE_MAX_BYTES >> 20);
    else
        fprintf(err, CMP_PREFIX "cannot read %s: out of memory\n", path);
    free(buf);
    return NULL;
}

/* Split a comma-separated list of paths: *buf receives a copy of arg (to
 * free) that list points into. */
static int split_paths(const char *arg, char **buf, const char **list, size_t *n, FILE *err)
{
    size_t len = strlen(arg);
    *n = 0;
    *buf = malloc(len + 1);
    if (!*buf) {
        fprintf(err, CMP_PREFIX "out of memory\n");
        return 2;
    }
    memcpy(*buf, arg, len + 1);
    for (char *p = *buf;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        if (!*p) {
            fprintf(err, CMP_PREFIX "an empty file name in the list '%s'\n", arg);
            return 2;
        }
        if (*n == BRG_BENCH_COMPARE_MAX_FILES) {
            fprintf(err, CMP_PREFIX "more than %d files in the list '%s'\n",
                    BRG_BENCH_COMPARE_MAX_FILES, arg);
            return 2;
        }
        list[(*n)++] = p;
        if (!comma) return 0;
        p = comma + 1;
    }
}

int brg_bench_compare_files(const char *old_paths, const char *new_paths, double threshold,
                            FILE *out, FILE *err)
{
    const char *paths[2 * BRG_BENCH_COMPARE_MAX_FILES];
    char *old_buf = NULL, *new_buf = NULL;
    size_t n_old = 0, n_new = 0, loaded = 0;
    cmp_input in[2 * BRG_BENCH_COMPARE_MAX_FILES];
    int rc = split_paths(old_paths, &old_buf, paths, &n_old, err);
    if (!rc) rc = split_paths(new_paths, &new_buf, paths + n_old, &n_new, err);
    for (; !rc && loaded < n_old + n_new; loaded++) {
        in[loaded].name = paths[loaded];
        in[loaded].json = read_file(paths[loaded], &in[loaded].len, err);
        if (!in[loaded].json) rc = 2;
    }
    if (!rc) rc = compare_sides(in, n_old, in + n_old, n_new, threshold, out, err);
    for (size_t i = 0; i < loaded; i++) free((char *)in[i].json);
    free(old_buf);
    free(new_buf);
    return rc;
}

/* ---- the command line --------------------------------------------------------------- */

static void compare_usage(FILE *f)
{
    fputs("usage: bench --compare OLD.json NEW.json [--threshold PCT]\n"
          "Prints every result whose median moved by more than the larger run-to-run\n"
          "spread ((max - min) / median) of the two files, with the ratio; exit status 1\n"
          "when one of them is a slowdown beyond PCT percent (default 10), 2 when a file\n"
          "is not a bench --json document.\n"
          "Either side may be several runs of one build, comma-separated\n"
          "(old1.json,old2.json,old3.json): per result, the median of their medians,\n"
          "the least min and the greatest max. On a shared machine the load drifts\n"
          "between runs more than within one; several runs a side catch that drift.\n",
          f);
}

/* "bench --compare: what 'arg'" and the usage line; exit status 2. */
static int compare_bad_usage(const char *what, const char *arg)
{
    fprintf(stderr, CMP_PREFIX "%s%s%s%s\nusage: bench --compare OLD.json NEW.json "
            "[--threshold PCT]\n", what, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
    return 2;
}

/* A percentage: "10", "2.5" or "10%"; finite, 0 to 1e6. */
static int parse_percent(const char *value, double *fraction)
{
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (end != value && *end == '%') end++;
    if (errno || end == value || *end != '\0' || !(v >= 0.0 && v <= 1e6))
        return compare_bad_usage("--threshold: expected a percentage >= 0 such as 10 or 10%, got",
                                 value);
    *fraction = v / 100.0;
    return 0;
}

/* files[0..1] and *threshold from argv; -1 for --help, else 0 or 2. */
static int parse_compare_args(int argc, char **argv, const char *files[2], double *threshold)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0) return -1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--compare") == 0) {
            if (files[0]) return compare_bad_usage("--compare given twice", NULL);
            if (i + 2 >= argc || strncmp(argv[i + 1], "--", 2) == 0 ||
                strncmp(argv[i + 2], "--", 2) == 0)
                break;
            files[0] = argv[++i];
            files[1] = argv[++i];
        } else if (strncmp(arg, "--threshold", 11) == 0 && (arg[11] == '\0' || arg[11] == '=')) {
            const char *value = arg[11] ? arg + 12 : (i + 1 < argc ? argv[++i] : NULL);
            if (!value) return compare_bad_usage("--threshold needs a value", NULL);
            int rc = parse_percent(value, threshold);
            if (rc) return rc;
        } else {
            return compare_bad_usage("only --threshold goes with --compare, not", arg);
        }
    }
    if (!files[0]) return compare_bad_usage("--compare needs two files, OLD.json NEW.json", NULL);
    return 0;
}

int brg_bench_compare_main(int argc, char **argv)
{
    const char *files[2] = {NULL, NULL};
    double threshold = 0.10;
    int rc = parse_compare_args(argc, argv, files, &threshold);
    if (rc == -1) {
        compare_usage(stdout);
        return 0;
    }
    return rc ? rc : brg_bench_compare_files(files[0], files[1], threshold, stdout, stderr);
}

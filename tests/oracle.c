#include "oracle.h"

#include <math.h>
#include <stdlib.h>

/* Neumaier summation in long double; Inf and NaN follow IEEE through s. */
static long double mean_of(const void *x, int is_f32, int64_t n, long double *mean_abs)
{
    long double s = 0, c = 0, a = 0;
    for (int64_t i = 0; i < n; i++) {
        long double v = is_f32 ? (long double)((const float *)x)[i]
                               : (long double)((const double *)x)[i];
        long double t = s + v;
        if (fabsl(s) >= fabsl(v))
            c += (s - t) + v;
        else
            c += (v - t) + s;
        s = t;
        a += fabsl(v);
    }
    if (mean_abs) *mean_abs = n ? a / n : 0;
    if (n == 0) return NAN;
    return (isfinite(s) ? s + c : s) / n;
}

long double oracle_mean_f64(const double *x, int64_t n, long double *mean_abs)
{
    return mean_of(x, 0, n, mean_abs);
}

long double oracle_mean_f32(const float *x, int64_t n, long double *mean_abs)
{
    return mean_of(x, 1, n, mean_abs);
}

void oracle_split(int64_t n, int64_t chunks, int64_t i, int64_t *start, int64_t *len)
{
    int64_t q = n / chunks, r = n % chunks;
    *start = i * q + (i < r ? i : r);
    *len = q + (i < r ? 1 : 0);
}

static int close_to(long double got, long double want, long double mean_abs, long double rel,
                    long double abs_scale)
{
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    if (!isfinite(got)) return 0;
    return fabsl(got - want) <= rel * fabsl(want) + abs_scale * mean_abs;
}

int oracle_close_f64(double got, long double want, long double mean_abs)
{
    return close_to(got, want, mean_abs, 1e-14L, 1e-15L);
}

int oracle_close_f32(float got, long double want, long double mean_abs)
{
    return close_to(got, want, mean_abs, 1e-6L, 1e-7L);
}

long double oracle_similarity(const float *q, const float *b, int64_t dim, int metric)
{
    long double dot = 0, qq = 0, bb = 0;
    for (int64_t i = 0; i < dim; i++) {
        dot += (long double)q[i] * b[i];
        qq += (long double)q[i] * q[i];
        bb += (long double)b[i] * b[i];
    }
    if (metric == 1) return dot;
    if (qq == 0 || bb == 0) return 0;
    return dot / (sqrtl(qq) * sqrtl(bb));
}

typedef struct ranked {
    long double s;
    int64_t i;
} ranked;

static int ranked_cmp(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->s != b->s) return a->s > b->s ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

void oracle_topk(const float *queries, int64_t nq, const float *db, int64_t nb, int64_t dim,
                 int64_t k, int metric, long double *scores, int64_t *indices)
{
    ranked *all = malloc((size_t)nb * sizeof *all);
    for (int64_t q = 0; q < nq; q++) {
        for (int64_t b = 0; b < nb; b++) {
            all[b].s = oracle_similarity(queries + q * dim, db + b * dim, dim, metric);
            all[b].i = b;
        }
        qsort(all, (size_t)nb, sizeof *all, ranked_cmp);
        for (int64_t r = 0; r < k; r++) {
            scores[q * k + r] = all[r].s;
            indices[q * k + r] = all[r].i;
        }
    }
    free(all);
}

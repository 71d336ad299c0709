/* The float64 / long double oracle the tests hold every kernel to. Simple and
 * obviously right: compensated sums in long double, no threads, no tricks. */
#ifndef BRG_TEST_ORACLE_H
#define BRG_TEST_ORACLE_H

#include <stdint.h>

/* Mean of x[0..n) in long double (NaN for n == 0), and the mean of |x|,
 * which scales the tolerance when the mean itself cancels to near zero. */
long double oracle_mean_f64(const double *x, int64_t n, long double *mean_abs);
long double oracle_mean_f32(const float *x, int64_t n, long double *mean_abs);

/* numpy.array_split(x, chunks): start and length of chunk i of n elements. */
void oracle_split(int64_t n, int64_t chunks, int64_t i, int64_t *start, int64_t *len);

/* 1 when got is the oracle's mean within tolerance: for f64 a relative 1e-14
 * of |want| plus 1e-15 of mean |x|; for f32 1e-6 and 1e-7. NaN matches NaN;
 * infinities must match exactly. */
int oracle_close_f64(double got, long double want, long double mean_abs);
int oracle_close_f32(float got, long double want, long double mean_abs);

/* Top-k by brute force in long double: for each query the k best rows by
 * (similarity descending, index ascending); metric 0 cosine (0 for a zero
 * vector), 1 inner product. sim_out gets every row's similarity for query q
 * when not NULL (nb values). */
void oracle_topk(const float *queries, int64_t nq, const float *db, int64_t nb, int64_t dim,
                 int64_t k, int metric, long double *scores, int64_t *indices);
long double oracle_similarity(const float *q, const float *b, int64_t dim, int metric);

#endif

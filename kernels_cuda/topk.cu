/* Top-k on the device, the same algorithm as the CPU's (cpu_ref/topk.c):
 *
 *  1. norms of every row in double (one thread per row, index order, the
 *     shared code of src/shared/topk_exact.h), which also finds NaN and Inf;
 *  2. per tile of queries and of database rows, a GEMM (matmul.cuh) gives fp32
 *     screening scores, and one block per query keeps its best kp candidates
 *     (k plus a margin) in a running list R sorted by (score desc, index asc).
 *     Up to kp = 1024, warp queues (WarpSelect and BlockSelect, below); for
 *     larger kp a single pass appends the tile's scores above R's threshold
 *     to shared memory and a bitonic sort merges them into R; when too many
 *     pass (the first tile, before R has a threshold), a radix select over
 *     the float-ordered keys finds the tile's kp-th score first. Both give
 *     the same R. The GEMM of the next tile runs on another stream while a
 *     tile is selected (tile_streams);
 *  3. per query, R is rescored exactly (double), sorted, and proven with the
 *     fp32 error bound (nothing left out could enter the top k); a query that
 *     cannot be proven, and every query when k is too large for shared
 *     memory, is computed exactly over all rows and sorted with the sort
 *     wrapper (CUB, or a named stand-in).
 * Final scores are the double rescored sum rounded to float, identical to the
 * CPU's, and independent of tiles and budget. */
#include "topk.cuh"

#include <string.h>

#include <algorithm>
#include <new>
#include <vector>

#include "matmul.cuh"

#if !defined(BRG_EMU_BUILD) && !defined(BRG_HIP_BUILD)
#include <cub/device/device_segmented_sort.cuh>
#endif

#include "topk_exact.h"
#include "topk_plan.h"
#include "brigade/ops.h"

namespace BRG_NS {

namespace {

const int THREADS = 256;
const int CAP = 4096;          /* shared candidates of the selection kernel */
const int RESCORE_CAP = 2048;  /* shared candidates of the rescoring kernel */
const uint32_t PAD_SLOT = 0xffffffffu;
const int STORE_PER_THREAD = CAP / THREADS; /* entries of R each thread moves */

/* ---- keys: floats in an order-preserving uint32 (bigger float, bigger key) -- */

__device__ __forceinline__ uint32_t float_key(float v)
{
    /* An overflowed screening score (+-Inf, NaN) says nothing about the row:
     * +Inf, so it is always a candidate and its exact score decides. */
    if (!(v >= -3.40282347e38f && v <= 3.40282347e38f)) v = __int_as_float(0x7f800000);
    v = v + 0.0f; /* -0 and +0 alike */
    uint32_t b = __float_as_uint(v);
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

__host__ __device__ __forceinline__ float key_float(uint32_t k)
{
    uint32_t b = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* ---- block primitives (any warp width) ---------------------------------------- */

/* Exclusive prefix sum of flag over the block; *total gets the sum. All
 * threads must call it. warp_sums: shared, 32 ints. */
__device__ int block_exclusive_scan(int flag, int *warp_sums, int *total)
{
    const int lane = threadIdx.x % warpSize, warp = threadIdx.x / warpSize;
    const int nwarps = (blockDim.x + warpSize - 1) / warpSize;
    int incl = flag;
    for (int off = 1; off < warpSize; off *= 2) {
        int v = __shfl_up_sync(BRG_FULL_MASK, incl, off);
        if (lane >= off) incl += v;
    }
    if (lane == warpSize - 1) warp_sums[warp] = incl;
    __syncthreads();
    if (threadIdx.x == 0) {
        int run = 0;
        for (int w = 0; w < nwarps; w++) {
            int s = warp_sums[w];
            warp_sums[w] = run;
            run += s;
        }
        warp_sums[nwarps] = run;
    }
    __syncthreads();
    int excl = warp_sums[warp] + incl - flag;
    *total = warp_sums[nwarps];
    __syncthreads();
    return excl;
}

/* The threads that share a piece of work: a whole block, or one warp. */
struct block_team {
    __device__ int rank() const { return threadIdx.x; }
    __device__ int size() const { return blockDim.x; }
    __device__ void sync() const { __syncthreads(); }
};

struct warp_team {
    __device__ int rank() const { return threadIdx.x % warpSize; }
    __device__ int size() const { return warpSize; }
    __device__ void sync() const { __syncwarp(BRG_FULL_MASK); }
};

/* Bitonic sort of n (a power of two) entries by a team, so that before(i, j)
 * holds for i < j; swap(i, j) exchanges entries i and j. first is the size
 * of the first merges: 2 sorts anything; n is the last merge alone, which
 * sorts a bitonic sequence. */
template <typename Team, typename Before, typename Swap>
__device__ void bitonic_sort(int n, int first, Team team, Before before, Swap swap)
{
    for (int size = first; size <= n; size <<= 1)
        for (int stride = size / 2; stride > 0; stride >>= 1) {
            for (int i = team.rank(); i < n / 2; i += team.size()) {
                int lo = 2 * stride * (i / stride) + (i % stride), hi = lo + stride;
                bool up = (lo & size) == 0;
                if (up ? before(hi, lo) : before(lo, hi)) swap(lo, hi);
            }
            team.sync();
        }
}

__host__ __device__ __forceinline__ int pow2_at_least(int n)
{
    int p = 1;
    while (p < n) p <<= 1;
    return p;
}

/* ---- norms ------------------------------------------------------------------------ */

__global__ void row_norms_kernel(const float *__restrict__ x, int64_t rows, int64_t dim,
                                 double *__restrict__ norms, unsigned long long *bad,
                                 unsigned long long *max_bits)
{
    for (int64_t r = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; r < rows;
         r += (int64_t)gridDim.x * blockDim.x) {
        double n = brg_topk_norm(x + r * dim, dim);
        norms[r] = n;
        if (n - n != 0.0)
            atomicMin(bad, (unsigned long long)r);
        else /* non-negative doubles order as their bits */
            atomicMax(max_bits, (unsigned long long)__double_as_longlong(n));
    }
}

/* ---- screening: one tile of scores into each query's running list R --------- */

struct screen_args {
    const float *scores;       /* rows x ncols */
    int64_t rows, ncols, b0;   /* tile: queries [0, rows), database rows [b0, b0 + ncols) */
    const double *qnorm;       /* rows */
    const double *dbnorm;      /* the database's, indexed globally */
    int metric;
    int kp;
    uint32_t *rkey;            /* rows x kp, sorted by (key desc, index asc) */
    int64_t *ridx;
    int *rcount;               /* rows */
};

__device__ __forceinline__ float screen_value(const screen_args &a, int64_t q, int64_t j,
                                              float qinv)
{
    float binv = 1.0f;
    if (a.metric == 0) {
        double n = a.dbnorm[a.b0 + j];
        binv = n > 0.0 ? (float)(1.0 / n) : 0.0f;
    }
    return a.scores[q * a.ncols + j] * qinv * binv;
}

/* The radix select: the key K of the kp-th best among the tile's keys above
 * theta, and how many equal to K are needed (*need_eq) after all above K. */
__device__ uint32_t radix_select(const screen_args &a, int64_t q, float qinv, uint32_t theta,
                                 int want, int *hist, int *shared_pick, int *need_eq)
{
    uint32_t prefix = 0, mask = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        for (int b = threadIdx.x; b < 256; b += blockDim.x) hist[b] = 0;
        __syncthreads();
        for (int64_t j = threadIdx.x; j < a.ncols; j += blockDim.x) {
            uint32_t key = float_key(screen_value(a, q, j, qinv));
            if (key > theta && (key & mask) == prefix) atomicAdd(&hist[(key >> shift) & 255], 1);
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            int cum = 0, b = 255;
            for (; b > 0 && cum + hist[b] < want; b--) cum += hist[b];
            shared_pick[0] = b;
            shared_pick[1] = want - cum;
        }
        __syncthreads();
        prefix |= (uint32_t)shared_pick[0] << shift;
        mask |= 255u << shift;
        want = shared_pick[1];
        __syncthreads();
    }
    *need_eq = want;
    return prefix;
}

/* The new R of query q: its first keep entries, the i-th with key_at(i) and
 * slot_at(i) (< kp: R's entry of that rank; else kp + tile column). Every
 * thread of the block calls it; keep <= STORE_PER_THREAD * blockDim.x. */
template <typename KeyAt, typename SlotAt>
__device__ void store_candidates(const screen_args &a, int64_t q, int keep, KeyAt key_at,
                                 SlotAt slot_at)
{
    /* R's old indices must be read before R is overwritten. */
    int64_t idx[STORE_PER_THREAD];
    int cnt = 0;
    for (int i = threadIdx.x; i < keep; i += blockDim.x) {
        uint32_t s = slot_at(i);
        idx[cnt++] = s < (uint32_t)a.kp ? a.ridx[q * a.kp + s] : a.b0 + (int64_t)(s - a.kp);
    }
    __syncthreads();
    cnt = 0;
    for (int i = threadIdx.x; i < keep; i += blockDim.x) {
        a.rkey[q * a.kp + i] = key_at(i);
        a.ridx[q * a.kp + i] = idx[cnt++];
    }
    if (threadIdx.x == 0) a.rcount[q] = keep;
    __syncthreads();
}

__global__ void screen_tile_kernel(screen_args a)
{
    __shared__ uint32_t s_key[CAP];
    __shared__ uint32_t s_slot[CAP];  /* < kp: an entry of R; else kp + tile column */
    __shared__ int s_count, s_pick[2], s_warp[33], s_hist[256];
    for (int64_t q = blockIdx.x; q < a.rows; q += gridDim.x) {
        const int n_r = a.rcount[q];
        const uint32_t theta = n_r == a.kp ? a.rkey[q * a.kp + a.kp - 1] : 0u;
        const double qn = a.qnorm[q];
        const float qinv = a.metric == 1 ? 1.0f : qn > 0.0 ? (float)(1.0 / qn) : 0.0f;
        const int room = CAP - n_r;
        if (threadIdx.x == 0) s_count = 0;
        __syncthreads();
        /* One pass: every score above the threshold, while they fit. */
        for (int64_t j = threadIdx.x; j < a.ncols; j += blockDim.x) {
            uint32_t key = float_key(screen_value(a, q, j, qinv));
            if (key > theta) {
                int pos = atomicAdd(&s_count, 1);
                if (pos < room) {
                    s_key[n_r + pos] = key;
                    s_slot[n_r + pos] = (uint32_t)(a.kp + j);
                }
            }
        }
        __syncthreads();
        int got = s_count;
        __syncthreads();
        if (got > room) {
            /* Too many: keep the tile's kp best, the lowest columns among ties. */
            int need_eq;
            uint32_t kth = radix_select(a, q, qinv, theta, a.kp, s_hist, s_pick, &need_eq);
            if (threadIdx.x == 0) s_count = 0;
            __syncthreads();
            for (int64_t j = threadIdx.x; j < a.ncols; j += blockDim.x) {
                uint32_t key = float_key(screen_value(a, q, j, qinv));
                if (key > kth) {
                    int pos = atomicAdd(&s_count, 1);
                    s_key[n_r + pos] = key;
                    s_slot[n_r + pos] = (uint32_t)(a.kp + j);
                }
            }
            __syncthreads();
            int above = s_count, taken = 0;
            __syncthreads();
            for (int64_t j0 = 0; j0 < a.ncols && taken < need_eq; j0 += blockDim.x) {
                int64_t j = j0 + threadIdx.x;
                int eq = j < a.ncols && float_key(screen_value(a, q, j, qinv)) == kth;
                int total, rank = block_exclusive_scan(eq, s_warp, &total);
                if (eq && taken + rank < need_eq) {
                    s_key[n_r + above + taken + rank] = kth;
                    s_slot[n_r + above + taken + rank] = (uint32_t)(a.kp + j);
                }
                taken += total;
            }
            got = above + (taken < need_eq ? taken : need_eq);
        }
        /* Merge with R: R's entries first (lower rows than any of this tile). */
        for (int i = threadIdx.x; i < n_r; i += blockDim.x) {
            s_key[i] = a.rkey[q * a.kp + i];
            s_slot[i] = (uint32_t)i;
        }
        const int n = n_r + got, n2 = pow2_at_least(n);
        for (int i = n + threadIdx.x; i < n2; i += blockDim.x) {
            s_key[i] = 0u;
            s_slot[i] = PAD_SLOT;
        }
        __syncthreads();
        bitonic_sort(
            n2, 2, block_team(),
            [&](int x, int y) {
                return s_key[x] > s_key[y] || (s_key[x] == s_key[y] && s_slot[x] < s_slot[y]);
            },
            [&](int x, int y) {
                uint32_t k = s_key[x], s = s_slot[x];
                s_key[x] = s_key[y];
                s_slot[x] = s_slot[y];
                s_key[y] = k;
                s_slot[y] = s;
            });
        store_candidates(a, q, n < a.kp ? n : a.kp, [&](int i) { return s_key[i]; },
                         [&](int i) { return s_slot[i]; });
    }
}

/* ---- WarpSelect and BlockSelect: the same R for kp <= WARP_SELECT_MAX ----------
 *
 * After Johnson, Douze and Jegou, "Billion-scale similarity search with GPUs"
 * (2017). One block per query; each warp scans a contiguous slice of the
 * tile. A candidate is one integer, key above and ~slot below (cand_pack),
 * so that a larger integer ranks first by (key desc, slot asc), the order of
 * R; 0 means none (every key is above 0). Each lane keeps up to NT
 * candidates in registers (its thread queue); a score enters only if it
 * beats the warp's threshold, the larger of R's threshold (at or below it
 * nothing can change R) and the warp queue's kp-th entry. When any lane's
 * queue is full, and once at the end, the warp gathers the thread queues'
 * entries in shared memory (no gaps: few pass once R has a threshold),
 * sorts them and merges them into its warp queue (kq = kp rounded up to a
 * power of two entries, sorted, in shared memory). The thread queues are not
 * kept sorted: the gathered entries are sorted anyway. Last, the warp queues
 * merge pairwise into warp 0's, which started as R: the kp best of R and the
 * tile, as screen_tile_kernel finds them, bit for bit. */

const int WARP_SELECT_MAX = 1024;         /* largest kp of this path */
const int WARP_SELECT_SHARED = 40 * 1024; /* dynamic shared bytes per block, at most */

__host__ __device__ __forceinline__ uint64_t cand_pack(uint32_t key, uint32_t slot)
{
    return (uint64_t)key << 32 | (uint32_t)~slot;
}

/* Sort v[0, n) descending by one warp; first as in bitonic_sort. */
__device__ __forceinline__ void warp_sort_desc(uint64_t *v, int n, int first)
{
    bitonic_sort(
        n, first, warp_team(), [&](int x, int y) { return v[x] > v[y]; },
        [&](int x, int y) {
            uint64_t t = v[x];
            v[x] = v[y];
            v[y] = t;
        });
}

/* The best kq (a power of two) of sorted a[0, kq) and sorted b[0, nb), nb <=
 * kq, into a, sorted: a's tail against b reversed keeps the larger of each
 * pair, which leaves a bitonic sequence holding the kq best; one bitonic
 * merge sorts it. By one warp; b may be another warp's, at rest. */
__device__ void warp_merge_sorted(uint64_t *a, int kq, const uint64_t *b, int nb)
{
    for (int i = threadIdx.x % warpSize; i < nb; i += warpSize)
        if (b[i] > a[kq - 1 - i]) a[kq - 1 - i] = b[i];
    __syncwarp(BRG_FULL_MASK);
    warp_sort_desc(a, kq, kq);
}

/* One warp's queue in shared memory, the scratch its thread queues are
 * gathered in, and what a candidate must beat to enter. */
struct warp_queue {
    uint64_t *best;   /* kq, sorted */
    uint64_t *spill;  /* NT x warpSize */
    int kq, kp;
    uint64_t floor;   /* R's threshold */
    uint64_t threshold;
};

/* Empty every lane's thread queue into the warp queue. The whole warp calls it. */
template <int NT>
__device__ __forceinline__ void warp_queue_flush(warp_queue &w, uint64_t (&tq)[NT], int &count)
{
    const int lane = threadIdx.x % warpSize;
    const unsigned long long lower = (1ull << lane) - 1;
    int at = 0, n = 0; /* entries of the lanes below this one; of the warp */
    BRG_UNROLL
    for (int t = 0; t < NT; t++) {
        unsigned long long has = (unsigned long long)__ballot_sync(BRG_FULL_MASK, count > t);
        at += __popcll(has & lower);
        n += __popcll(has);
    }
    BRG_UNROLL
    for (int t = 0; t < NT; t++)
        if (t < count) w.spill[at + t] = tq[t];
    const int n2 = pow2_at_least(n);
    for (int i = n + lane; i < n2; i += warpSize) w.spill[i] = 0;
    count = 0;
    __syncwarp(BRG_FULL_MASK);
    warp_sort_desc(w.spill, n2, 2);
    warp_merge_sorted(w.best, w.kq, w.spill, n < w.kq ? n : w.kq);
    const uint64_t kth = w.best[w.kp - 1];
    w.threshold = kth > w.floor ? kth : w.floor;
}

/* Warp w's slice of the tile: [*lo, *hi), whole warps of columns. */
__device__ __forceinline__ void warp_slice(int64_t ncols, int w, int nwarps, int64_t *lo,
                                           int64_t *hi)
{
    int64_t per = (ncols + nwarps - 1) / nwarps;
    per = (per + warpSize - 1) / warpSize * warpSize;
    *lo = w * per;
    *hi = *lo + per < ncols ? *lo + per : ncols;
}

/* Entries of the sorted best[0, kp) before the first empty one. */
__device__ __forceinline__ int candidates_held(const uint64_t *best, int kp)
{
    int lo = 0, hi = kp; /* best[lo - 1] is a candidate, best[hi] is not (or hi == kp) */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (best[mid] != 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Dynamic shared memory: per warp, kq + NT x warpSize candidates. */
template <int NT>
__global__ void warp_select_kernel(screen_args a)
{
    BRG_DYNAMIC_SHARED(uint64_t, smem);
    const int lane = threadIdx.x % warpSize, warp = threadIdx.x / warpSize;
    const int nwarps = blockDim.x / warpSize, kq = pow2_at_least(a.kp);
    const int per_warp = kq + NT * warpSize;
    int64_t lo, hi;
    warp_slice(a.ncols, warp, nwarps, &lo, &hi);
    for (int64_t q = blockIdx.x; q < a.rows; q += gridDim.x) {
        const int n_r = a.rcount[q];
        const uint32_t *rkey = a.rkey + q * a.kp;
        warp_queue w = {smem + warp * per_warp, smem + warp * per_warp + kq, kq, a.kp, 0, 0};
        if (n_r == a.kp) w.floor = (uint64_t)rkey[a.kp - 1] << 32 | 0xffffffffu;
        w.threshold = w.floor;
        for (int i = lane; i < kq; i += warpSize) /* warp 0 starts from R */
            w.best[i] = warp == 0 && i < n_r ? cand_pack(rkey[i], (uint32_t)i) : 0;
        __syncwarp(BRG_FULL_MASK);
        const double qn = a.qnorm[q];
        const float qinv = a.metric == 1 ? 1.0f : qn > 0.0 ? (float)(1.0 / qn) : 0.0f;
        uint64_t tq[NT] = {};
        int count = 0;
        for (int64_t j0 = lo; j0 < hi; j0 += warpSize) { /* warp-uniform trip count */
            const int64_t j = j0 + lane;
            if (j < hi) {
                uint64_t v = cand_pack(float_key(screen_value(a, q, j, qinv)), (uint32_t)(a.kp + j));
                BRG_UNROLL
                for (int t = 0; t < NT; t++) /* tq[count] = v, with register indices */
                    if (v > w.threshold && t == count) tq[t] = v;
                count += v > w.threshold;
            }
            if (__any_sync(BRG_FULL_MASK, count == NT)) warp_queue_flush(w, tq, count);
        }
        if (__any_sync(BRG_FULL_MASK, count > 0)) warp_queue_flush(w, tq, count);
        /* BlockSelect: warp queues merge pairwise into warp 0's; an empty one
         * (nothing of its slice passed) is skipped. */
        for (int s = 1; s < nwarps; s *= 2) {
            __syncthreads();
            const uint64_t *other = w.best + s * per_warp;
            if (warp % (2 * s) == 0 && warp + s < nwarps && other[0] != 0)
                warp_merge_sorted(w.best, kq, other, candidates_held(other, a.kp));
        }
        __syncthreads();
        store_candidates(
            a, q, candidates_held(smem, a.kp), [&](int i) { return (uint32_t)(smem[i] >> 32); },
            [&](int i) { return ~(uint32_t)smem[i]; });
    }
}

/* The thread-queue length for kq candidates on warps of warp_size lanes:
 * longer queues for larger kq (fewer, costlier merges), the same W x NT on
 * wave64 as on 32 lanes. */
int warp_select_queue_len(int kq, int warp_size)
{
    int nt = kq <= 64 ? 2 : kq <= 256 ? 4 : 8;
    return warp_size > 32 && nt > 2 ? nt * 32 / warp_size : nt;
}

/* ---- rescoring and proof --------------------------------------------------------- */

struct rescore_args {
    const float *queries;      /* the tile's, rows x dim */
    const float *db;
    int64_t rows, dim, nb, k;
    int kp, metric, tf32;
    const double *qnorm, *dbnorm;
    double db_max_norm;
    const uint32_t *rkey;
    const int64_t *ridx;
    float *scores;             /* the tile's outputs, rows x k */
    int64_t *indices;
    int *failed;               /* rows: 1 where the proof fails */
};

__global__ void rescore_kernel(rescore_args a)
{
    __shared__ double s_ex[RESCORE_CAP];
    __shared__ int64_t s_idx[RESCORE_CAP];
    for (int64_t q = blockIdx.x; q < a.rows; q += gridDim.x) {
        const double qn = a.qnorm[q];
        if (qn == 0.0) { /* a zero query: everything scores 0, lowest rows first */
            for (int64_t r = threadIdx.x; r < a.k; r += blockDim.x) {
                a.scores[q * a.k + r] = 0.0f;
                a.indices[q * a.k + r] = r;
            }
            if (threadIdx.x == 0) a.failed[q] = 0;
            continue;
        }
        const float *qv = a.queries + q * a.dim;
        const int n2 = pow2_at_least(a.kp);
        for (int c = threadIdx.x; c < n2; c += blockDim.x) {
            if (c < a.kp) {
                int64_t b = a.ridx[q * a.kp + c];
                s_idx[c] = b;
                s_ex[c] = brg_topk_exact(qv, a.db + b * a.dim, a.dim, qn, a.dbnorm[b], a.metric);
            } else {
                s_idx[c] = INT64_MAX;
                s_ex[c] = -__longlong_as_double(0x7ff0000000000000LL); /* -Inf */
            }
        }
        __syncthreads();
        bitonic_sort(
            n2, 2, block_team(),
            [&](int x, int y) { return brg_topk_before(s_ex[x], s_idx[x], s_ex[y], s_idx[y]); },
            [&](int x, int y) {
                double e = s_ex[x];
                int64_t i = s_idx[x];
                s_ex[x] = s_ex[y];
                s_idx[x] = s_idx[y];
                s_ex[y] = e;
                s_idx[y] = i;
            });
        const double excluded = a.kp == a.nb ? -__longlong_as_double(0x7ff0000000000000LL)
                                             : (double)key_float(a.rkey[q * a.kp + a.kp - 1]);
        const double err = brg_topk_screen_error(a.dim, a.metric, a.tf32, qn, a.db_max_norm);
        const int proven = a.kp == a.nb || brg_topk_proven(excluded, s_ex[a.k - 1], err);
        for (int64_t r = threadIdx.x; r < a.k; r += blockDim.x) {
            a.scores[q * a.k + r] = (float)s_ex[r];
            a.indices[q * a.k + r] = s_idx[r];
        }
        if (threadIdx.x == 0) a.failed[q] = !proven;
        __syncthreads();
    }
}

/* ---- the exhaustive path: exact scores for every row --------------------------------- */

__global__ void exact_all_kernel(const float *__restrict__ queries, const int64_t *__restrict__ qlist,
                                 int64_t nq_list, const float *__restrict__ db, int64_t nb,
                                 int64_t dim, const double *__restrict__ qnorm,
                                 const double *__restrict__ dbnorm, int metric,
                                 double *__restrict__ keys, int64_t *__restrict__ vals)
{
    const int64_t total = nq_list * nb;
    for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (int64_t)gridDim.x * blockDim.x) {
        int64_t s = t / nb, b = t % nb, q = qlist[s];
        keys[t] = brg_topk_exact(queries + q * dim, db + b * dim, dim, qnorm[q], dbnorm[b], metric);
        vals[t] = b;
    }
}

__global__ void write_sorted_kernel(const double *__restrict__ keys, const int64_t *__restrict__ vals,
                                    const int64_t *__restrict__ qlist, int64_t nq_list, int64_t nb,
                                    int64_t k, float *__restrict__ scores, int64_t *__restrict__ indices)
{
    const int64_t total = nq_list * k;
    for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (int64_t)gridDim.x * blockDim.x) {
        int64_t s = t / k, r = t % k, q = qlist[s];
        scores[q * k + r] = (float)keys[s * nb + r];
        indices[q * k + r] = vals[s * nb + r];
    }
}

/* ---- host side ---------------------------------------------------------------------- */

/* Device scratch released at scope end, so every error path frees it. */
struct scratch {
    std::vector<void *> ptrs;
    ~scratch()
    {
        for (void *p : ptrs) (void)cudaFreeAsync(p, cudaStreamPerThread);
    }
    template <typename T>
    brg_status get(T **out, size_t count, const char *what)
    {
        *out = nullptr;
        try {
            ptrs.reserve(ptrs.size() + 1); /* before the device memory: nothing to lose if it throws */
        } catch (...) {
            return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "%s: out of host memory", what);
        }
        cudaError_t e = cudaMallocAsync(out, count * sizeof(T) + 1, cudaStreamPerThread);
        if (e != cudaSuccess) return dev_error(e, what, __FILE__, __LINE__);
        ptrs.push_back((void *)*out); /* cannot throw: room was reserved */
        return BRG_OK;
    }
};

brg_status norms_into(const dev_ctx *ctx, scratch &tmp, const float *x, int64_t rows, int64_t dim,
                      double *norms, int64_t *bad_row, double *max_norm)
{
    unsigned long long *flags;
    brg_status st = tmp.get(&flags, 2, "norm flags");
    if (st != BRG_OK) return st;
    unsigned long long init[2] = {~0ull, 0ull};
    BRG_CUDA_CHECK(cudaMemcpyAsync(flags, init, sizeof init, cudaMemcpyHostToDevice,
                                   cudaStreamPerThread));
    BRG_CUDA_CHECK(brg_launch(row_norms_kernel, dim3(grid_for(ctx, rows, THREADS, 8)), dim3(THREADS),
                              0, cudaStreamPerThread, x, rows, dim, norms, flags, flags + 1));
    BRG_CUDA_CHECK(cudaMemcpyAsync(init, flags, sizeof init, cudaMemcpyDeviceToHost,
                                   cudaStreamPerThread));
    BRG_CUDA_CHECK(cudaStreamSynchronize(cudaStreamPerThread));
    *bad_row = init[0] == ~0ull ? -1 : (int64_t)init[0];
    if (max_norm) memcpy(max_norm, &init[1], sizeof *max_norm);
    return BRG_OK;
}

/* Exact top-k over all rows for the queries of qlist (host array, n of
 * them), through the sort wrapper. */
brg_status exhaustive(const dev_ctx *ctx, const brg_topk_call *c, const float *queries,
                      const double *qnorm, const double *dbnorm, const int64_t *qlist_host,
                      int64_t n, float *scores, int64_t *indices)
{
    scratch tmp;
    int64_t *qlist;
    double *keys;
    int64_t *vals;
    brg_status st = tmp.get(&qlist, (size_t)n, "exhaustive query list");
    if (st == BRG_OK) st = tmp.get(&keys, (size_t)(n * c->nb), "exhaustive scores");
    if (st == BRG_OK) st = tmp.get(&vals, (size_t)(n * c->nb), "exhaustive rows");
    if (st != BRG_OK) return st;
    BRG_CUDA_CHECK(cudaMemcpyAsync(qlist, qlist_host, (size_t)n * sizeof *qlist,
                                   cudaMemcpyHostToDevice, cudaStreamPerThread));
    BRG_CUDA_CHECK(brg_launch(exact_all_kernel, dim3(grid_for(ctx, n * c->nb, THREADS, 8)),
                              dim3(THREADS), 0, cudaStreamPerThread, queries, (const int64_t *)qlist,
                              n, c->db, c->nb, c->dim, qnorm, dbnorm, c->metric, keys, vals));
    st = sort_pairs_desc(ctx, keys, vals, n, c->nb);
    if (st != BRG_OK) return st;
    BRG_CUDA_CHECK(brg_launch(write_sorted_kernel, dim3(grid_for(ctx, n * c->k, THREADS, 8)),
                              dim3(THREADS), 0, cudaStreamPerThread, (const double *)keys,
                              (const int64_t *)vals, (const int64_t *)qlist, n, c->nb, c->k, scores,
                              indices));
    BRG_CUDA_CHECK(cudaStreamSynchronize(cudaStreamPerThread));
    return BRG_OK;
}

/* Device memory per tile: two score tiles (one the GEMM writes while the
 * other is selected from), R, flags; and the exhaustive path's buffers for
 * one query (sorting needs about twice its input). A tile's columns stay
 * within BRG_TOPK_DEVICE_TB_MAX, so that the GEMM's int dimensions, the int
 * counters of the selection and kp + column in a 32-bit slot all fit. */
static_assert(BRG_TOPK_DEVICE_TB_MAX + 2 * CAP <= INT32_MAX,
              "tile columns, with the candidates kept, must fit int");
brg_topk_costs device_costs(const brg_topk_call *c, int64_t kp, int large)
{
    brg_topk_costs k;
    memset(&k, 0, sizeof k);
    size_t row_bytes = (size_t)c->nb * (sizeof(double) + sizeof(int64_t));
    k.fixed = (c->db_norms ? 0 : (size_t)c->nb * sizeof(double)) + 2 * row_bytes + 4096;
    k.per_query = sizeof(double) + 2 * sizeof(int) + (size_t)kp * (sizeof(uint32_t) + sizeof(int64_t)) +
                  sizeof(int64_t);
    if (large) k.per_query += 2 * row_bytes;
    k.per_score = large ? 0 : 2 * sizeof(float);
    k.tq_max = 65535;
    k.tb_max = BRG_TOPK_DEVICE_TB_MAX;
    k.tb_min = large ? 0 : 4096;
    return k;
}

struct call_state {
    const dev_ctx *ctx;
    const brg_topk_call *c;
    int64_t kp;
    const double *dbnorm;
    double db_max_norm;
};

/* Two streams: GEMMs on the calling thread's stream (where matmul_nt issues
 * them), selections on their own, so that tile i+1's GEMM runs while tile i's
 * selection does. Score tile b is written by GEMM t (t % 2 == b) once
 * selection t - 2 is done with it (selected[b]); selection t waits for its
 * GEMM (scored[b]). Selections stay in order on their stream, as R needs. */
struct tile_streams {
    cudaStream_t select = nullptr;
    cudaEvent_t scored[2] = {}, selected[2] = {}, drained = nullptr;

    brg_status open()
    {
        BRG_CUDA_CHECK(cudaStreamCreateWithFlags(&select, cudaStreamNonBlocking));
        for (int b = 0; b < 2; b++) {
            BRG_CUDA_CHECK(cudaEventCreateWithFlags(&scored[b], cudaEventDisableTiming));
            BRG_CUDA_CHECK(cudaEventCreateWithFlags(&selected[b], cudaEventDisableTiming));
        }
        BRG_CUDA_CHECK(cudaEventCreateWithFlags(&drained, cudaEventDisableTiming));
        return BRG_OK;
    }
    /* The calling thread's stream waits for every selection issued so far. */
    brg_status join() const
    {
        BRG_CUDA_CHECK(cudaEventRecord(drained, select));
        BRG_CUDA_CHECK(cudaStreamWaitEvent(cudaStreamPerThread, drained, 0));
        return BRG_OK;
    }
    /* Nothing of ours may still run when the scratch it uses is freed (on
     * error paths too): wait, then release. */
    ~tile_streams()
    {
        if (select) (void)cudaStreamSynchronize(select);
        for (int b = 0; b < 2; b++) {
            if (scored[b]) (void)cudaEventDestroy(scored[b]);
            if (selected[b]) (void)cudaEventDestroy(selected[b]);
        }
        if (drained) (void)cudaEventDestroy(drained);
        if (select) (void)cudaStreamDestroy(select);
    }
};

/* Warps of a warp-select block for ncols columns: as many as shared memory
 * and THREADS allow, but no more than leave each warp 8 kq columns (a
 * narrower slice mostly fills its queue with rows the block merge drops),
 * and enough for store_candidates (STORE_PER_THREAD entries a thread). 0:
 * none fits. */
int warp_select_warps(int64_t ncols, int kp, int kq, int warp_size, size_t per_warp_bytes)
{
    int64_t most = (int64_t)(WARP_SELECT_SHARED / per_warp_bytes);
    most = most < THREADS / warp_size ? most : THREADS / warp_size;
    const int64_t per_warp_stored = (int64_t)warp_size * STORE_PER_THREAD;
    const int64_t least = (kp + per_warp_stored - 1) / per_warp_stored;
    int64_t useful = ncols / (8 * (int64_t)kq);
    useful = useful > least ? useful : least;
    return least > most ? 0 : (int)(useful < most ? useful : most);
}

/* One tile's selection into R, on stream: the warp queues up to
 * WARP_SELECT_MAX candidates, the shared-memory sort above. Narrow blocks
 * come in larger numbers, so that the device holds about as many warps. */
brg_status select_tile(const dev_ctx *ctx, const screen_args &a, cudaStream_t stream)
{
    if (a.kp > WARP_SELECT_MAX) {
        BRG_CUDA_CHECK(brg_launch(screen_tile_kernel, dim3(grid_for(ctx, a.rows, 1, 4)), dim3(THREADS),
                                  0, stream, a));
        return BRG_OK;
    }
    const int w = ctx->warp_size, kq = pow2_at_least(a.kp), nt = warp_select_queue_len(kq, w);
    const size_t per_warp = (size_t)(kq + nt * w) * sizeof(uint64_t);
    const int warps = warp_select_warps(a.ncols, a.kp, kq, w, per_warp);
    if (warps < 1)
        return BRG_ERROR(BRG_ERR_UNSUPPORTED, "top-k on %s: no warp-select block for kp %d, warp %d",
                         BRG_VENDOR_NAME, a.kp, w);
    const dim3 grid(grid_for(ctx, a.rows, 1, 4 * (THREADS / w) / warps)), block(warps * w);
    const size_t bytes = per_warp * (size_t)warps;
    cudaError_t e = nt == 2   ? brg_launch(warp_select_kernel<2>, grid, block, bytes, stream, a)
                    : nt == 4 ? brg_launch(warp_select_kernel<4>, grid, block, bytes, stream, a)
                              : brg_launch(warp_select_kernel<8>, grid, block, bytes, stream, a);
    BRG_CUDA_CHECK(e);
    return BRG_OK;
}

brg_status screened_tile(const call_state &s, const tile_streams &ts, int64_t q0, int64_t rows,
                         int64_t tb, const double *qnorm, float *const tile[2], uint32_t *rkey,
                         int64_t *ridx, int *rcount, int *failed)
{
    const dev_ctx *ctx = s.ctx;
    const brg_topk_call *c = s.c;
    const float *qtile = c->queries + q0 * c->dim;
    BRG_CUDA_CHECK(cudaMemsetAsync(rcount, 0, (size_t)rows * sizeof(int), ts.select));
    int64_t t = 0;
    for (int64_t b0 = 0; b0 < c->nb; b0 += tb, t++) {
        const int b = (int)(t % 2);
        int64_t ncols = c->nb - b0 < tb ? c->nb - b0 : tb;
        if (t >= 2) BRG_CUDA_CHECK(cudaStreamWaitEvent(cudaStreamPerThread, ts.selected[b], 0));
        brg_status st = matmul_nt(ctx, qtile, c->db + b0 * c->dim, tile[b], rows, ncols, c->dim,
                                c->allow_tf32);
        if (st != BRG_OK) return st;
        BRG_CUDA_CHECK(cudaEventRecord(ts.scored[b], cudaStreamPerThread));
        BRG_CUDA_CHECK(cudaStreamWaitEvent(ts.select, ts.scored[b], 0));
        screen_args a = {tile[b], rows, ncols, b0, qnorm, s.dbnorm, c->metric, (int)s.kp, rkey, ridx, rcount};
        st = select_tile(ctx, a, ts.select);
        if (st != BRG_OK) return st;
        BRG_CUDA_CHECK(cudaEventRecord(ts.selected[b], ts.select));
    }
    brg_status st = ts.join();
    if (st != BRG_OK) return st;
    rescore_args r = {qtile, c->db, rows, c->dim, c->nb, c->k, (int)s.kp, c->metric, c->allow_tf32,
                      qnorm, s.dbnorm, s.db_max_norm, rkey, ridx, c->scores + q0 * c->k,
                      c->indices + q0 * c->k, failed};
    BRG_CUDA_CHECK(brg_launch(rescore_kernel, dim3(grid_for(ctx, rows, 1, 4)), dim3(THREADS), 0,
                              cudaStreamPerThread, r));
    std::vector<int> flags((size_t)rows);
    BRG_CUDA_CHECK(cudaMemcpyAsync(flags.data(), failed, (size_t)rows * sizeof(int),
                                   cudaMemcpyDeviceToHost, cudaStreamPerThread));
    BRG_CUDA_CHECK(cudaStreamSynchronize(cudaStreamPerThread));
    std::vector<int64_t> unproven;
    for (int64_t q = 0; q < rows; q++)
        if (flags[(size_t)q]) unproven.push_back(q);
    for (size_t i = 0; i < unproven.size(); i++) { /* one at a time: bounded memory */
        st = exhaustive(ctx, c, qtile, qnorm, s.dbnorm, &unproven[i], 1, c->scores + q0 * c->k,
                        c->indices + q0 * c->k);
        if (st != BRG_OK) return st;
    }
    return BRG_OK;
}

brg_status all_tiles(const call_state &s, const brg_topk_plan &plan, int large)
{
    const brg_topk_call *c = s.c;
    scratch tmp;
    double *qnorm;
    float *tile[2] = {nullptr, nullptr};
    uint32_t *rkey = nullptr;
    int64_t *ridx = nullptr;
    int *rcount = nullptr, *failed = nullptr;
    const size_t tile_len = (size_t)(plan.tq * plan.tb);
    brg_status st = tmp.get(&qnorm, (size_t)plan.tq, "query norms");
    if (st == BRG_OK && !large) st = tmp.get(&tile[0], tile_len, "score tile");
    if (st == BRG_OK && !large && plan.tb < c->nb) st = tmp.get(&tile[1], tile_len, "second score tile");
    if (st == BRG_OK && !large) st = tmp.get(&rkey, (size_t)(plan.tq * s.kp), "candidate keys");
    if (st == BRG_OK && !large) st = tmp.get(&ridx, (size_t)(plan.tq * s.kp), "candidate rows");
    if (st == BRG_OK && !large) st = tmp.get(&rcount, (size_t)plan.tq, "candidate counts");
    if (st == BRG_OK && !large) st = tmp.get(&failed, (size_t)plan.tq, "proof flags");
    tile_streams ts; /* after tmp: its destructor waits before tmp frees */
    if (st == BRG_OK && !large) st = ts.open();
    for (int64_t q0 = 0; st == BRG_OK && q0 < c->nq; q0 += plan.tq) {
        int64_t rows = c->nq - q0 < plan.tq ? c->nq - q0 : plan.tq, bad = -1;
        st = norms_into(s.ctx, tmp, c->queries + q0 * c->dim, rows, c->dim, qnorm, &bad, nullptr);
        if (st == BRG_OK && bad >= 0)
            st = BRG_ERROR(BRG_ERR_INVALID_ARG, "queries row %lld contains NaN or Inf",
                           (long long)(q0 + bad));
        if (st != BRG_OK) break;
        if (large) {
            std::vector<int64_t> all((size_t)rows);
            for (int64_t q = 0; q < rows; q++) all[(size_t)q] = q;
            st = exhaustive(s.ctx, c, c->queries + q0 * c->dim, qnorm, s.dbnorm, all.data(), rows,
                            c->scores + q0 * c->k, c->indices + q0 * c->k);
        } else {
            st = screened_tile(s, ts, q0, rows, plan.tb, qnorm, tile, rkey, ridx, rcount, failed);
        }
    }
    if (st == BRG_OK) BRG_CUDA_CHECK(cudaStreamSynchronize(cudaStreamPerThread));
    return st;
}

} // namespace

brg_status row_norms(const dev_ctx *ctx, const float *x, int64_t rows, int64_t dim, double *norms,
                     int64_t *bad_row)
{
    scratch tmp;
    return norms_into(ctx, tmp, x, rows, dim, norms, bad_row, nullptr);
}

brg_status topk(const dev_ctx *ctx, const brg_topk_call *c)
{
    if (c->dim > 0x7fffffff || c->k > 0x7fffffff)
        return BRG_ERROR(BRG_ERR_UNSUPPORTED, "top-k on %s: dim and k must fit int32", BRG_VENDOR_NAME);
    call_state s = {ctx, c, brg_topk_candidates(c->k, c->nb), c->db_norms, c->db_max_norm};
    /* Shared memory holds 2 kp screening candidates and kp rescored ones. */
    const int large = 2 * s.kp > CAP || s.kp > RESCORE_CAP;
    brg_topk_costs costs = device_costs(c, s.kp, large);
    brg_topk_plan plan;
    brg_status st = brg_topk_plan_make(c->nq, c->nb, &costs, c->workspace_bytes, &plan);
    if (st != BRG_OK) return st;
    scratch tmp;
    if (!c->db_norms) {
        double *own;
        int64_t bad = -1;
        st = tmp.get(&own, (size_t)c->nb, "database norms");
        if (st == BRG_OK) st = norms_into(ctx, tmp, c->db, c->nb, c->dim, own, &bad, &s.db_max_norm);
        if (st == BRG_OK && bad >= 0)
            st = BRG_ERROR(BRG_ERR_INVALID_ARG, "db row %lld contains NaN or Inf", (long long)bad);
        if (st != BRG_OK) return st;
        s.dbnorm = own;
    }
    return all_tiles(s, plan, large);
}

/* ---- the sort wrapper ------------------------------------------------------------------- */

const char *sort_stand_in(void)
{
#if defined(BRG_EMU_BUILD)
    return "std::stable_sort stands in for CUB";
#elif defined(BRG_HIP_BUILD)
    return "host std::stable_sort stands in for CUB (no hipCUB in Debian's ROCm)";
#else
    return "";
#endif
}

#if defined(BRG_EMU_BUILD) || defined(BRG_HIP_BUILD)
/* Host stand-in: stable, descending, segment by segment. */
brg_status sort_pairs_desc(const dev_ctx *ctx, double *keys, int64_t *values, int64_t segments,
                           int64_t seg_len)
{
    (void)ctx;
    size_t n = (size_t)(segments * seg_len);
    std::vector<double> k(n);
    std::vector<int64_t> v(n);
    std::vector<size_t> order((size_t)seg_len);
    /* On the stream that wrote them (not the null stream, which need not wait
     * for a per-thread stream on HIP), and waited for. */
    BRG_CUDA_CHECK(cudaMemcpyAsync(k.data(), keys, n * sizeof(double), cudaMemcpyDeviceToHost,
                                   cudaStreamPerThread));
    BRG_CUDA_CHECK(cudaMemcpyAsync(v.data(), values, n * sizeof(int64_t), cudaMemcpyDeviceToHost,
                                   cudaStreamPerThread));
    BRG_CUDA_CHECK(cudaStreamSynchronize(cudaStreamPerThread));
    std::vector<double> ks(n);
    std::vector<int64_t> vs(n);
    for (int64_t s = 0; s < segments; s++) {
        size_t base = (size_t)(s * seg_len);
        for (size_t i = 0; i < order.size(); i++) order[i] = i;
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t x, size_t y) { return k[base + x] > k[base + y]; });
        for (size_t i = 0; i < order.size(); i++) {
            ks[base + i] = k[base + order[i]];
            vs[base + i] = v[base + order[i]];
        }
    }
    BRG_CUDA_CHECK(cudaMemcpyAsync(keys, ks.data(), n * sizeof(double), cudaMemcpyHostToDevice,
                                   cudaStreamPerThread));
    BRG_CUDA_CHECK(cudaMemcpyAsync(values, vs.data(), n * sizeof(int64_t), cudaMemcpyHostToDevice,
                                   cudaStreamPerThread));
    BRG_CUDA_CHECK(cudaStreamSynchronize(cudaStreamPerThread)); /* ks and vs die at return */
    return BRG_OK;
}
#else
__global__ void segment_offsets_kernel(int64_t *offsets, int64_t segments, int64_t seg_len)
{
    for (int64_t s = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; s <= segments;
         s += (int64_t)gridDim.x * blockDim.x)
        offsets[s] = s * seg_len;
}

brg_status sort_pairs_desc(const dev_ctx *ctx, double *keys, int64_t *values, int64_t segments,
                           int64_t seg_len)
{
    scratch tmp;
    int64_t n = segments * seg_len, *offsets;
    double *keys_out;
    int64_t *values_out;
    brg_status st = tmp.get(&offsets, (size_t)segments + 1, "sort offsets");
    if (st == BRG_OK) st = tmp.get(&keys_out, (size_t)n, "sorted keys");
    if (st == BRG_OK) st = tmp.get(&values_out, (size_t)n, "sorted values");
    if (st != BRG_OK) return st;
    BRG_CUDA_CHECK(brg_launch(segment_offsets_kernel, dim3(grid_for(ctx, segments + 1, THREADS, 1)),
                              dim3(THREADS), 0, cudaStreamPerThread, offsets, segments, seg_len));
    size_t temp_bytes = 0;
    BRG_CUDA_CHECK(cub::DeviceSegmentedSort::StableSortPairsDescending(
        nullptr, temp_bytes, keys, keys_out, values, values_out, n, segments, offsets, offsets + 1,
        cudaStreamPerThread));
    unsigned char *temp;
    st = tmp.get(&temp, temp_bytes, "sort temporary storage");
    if (st != BRG_OK) return st;
    BRG_CUDA_CHECK(cub::DeviceSegmentedSort::StableSortPairsDescending(
        temp, temp_bytes, keys, keys_out, values, values_out, n, segments, offsets, offsets + 1,
        cudaStreamPerThread));
    BRG_CUDA_CHECK(cudaMemcpyAsync(keys, keys_out, (size_t)n * sizeof(double), cudaMemcpyDeviceToDevice,
                                   cudaStreamPerThread));
    BRG_CUDA_CHECK(cudaMemcpyAsync(values, values_out, (size_t)n * sizeof(int64_t),
                                   cudaMemcpyDeviceToDevice, cudaStreamPerThread));
    BRG_CUDA_CHECK(cudaStreamSynchronize(cudaStreamPerThread));
    return BRG_OK;
}
#endif

} // namespace BRG_NS

/* Private: the tiling planner of cosine top-k, shared by every backend.
 *
 * A top-k call never builds the nq x nb similarity matrix: it works on tiles
 * of tq queries by tb database rows. Each backend describes what its tiles
 * cost in bytes; the planner picks the largest tiles whose memory stays
 * within the budget:
 *
 *   bytes(tq, tb) = fixed + per_query * tq + per_db_row * tb + per_score * tq * tb
 *
 * It prefers few query tiles (each one is a pass over the database), then
 * database tiles worth a GEMM call. A pure function: no allocation, no
 * device, unit-tested in tests/test_planner.c. */
#ifndef BRG_TOPK_PLAN_H
#define BRG_TOPK_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include "brigade/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct brg_topk_costs {
    size_t fixed;            /* bytes whatever the tiles (e.g. norms of the whole database) */
    size_t per_query;        /* bytes per query row of a tile (candidates, norms) */
    size_t per_db_row;       /* bytes per database row of a tile */
    size_t per_score;        /* bytes per (query, row) pair of a tile */
    int64_t tq_max, tb_max;  /* caps the backend prefers (cache, launch limits); 0: none */
    int64_t tb_min;          /* database rows a tile should have to be worth a call; 0: 1 */
} brg_topk_costs;

/* The widest database tile a GPU backend plans: a tile's column count goes
 * to int (the GEMM library's dimensions, the selection's shared counters)
 * and kp + column to a 32-bit candidate slot, so tiles stay at 2^30 columns
 * and below, far from both limits. */
#define BRG_TOPK_DEVICE_TB_MAX ((int64_t)1 << 30)

typedef struct brg_topk_plan {
    int64_t tq, tb;          /* rows per tile: 1 <= tq <= nq, 1 <= tb <= nb */
    size_t bytes;            /* bytes(tq, tb) <= budget */
    size_t min_bytes;        /* bytes(1, 1): the smallest workable budget */
} brg_topk_plan;

/* Choose tiles for nq >= 1 queries against nb >= 1 rows within budget bytes.
 * BRG_ERR_INVALID_ARG, naming the minimum, when the budget is below bytes(1, 1);
 * BRG_ERR_OVERFLOW when the costs overflow size_t. */
brg_status brg_topk_plan_make(int64_t nq, int64_t nb, const brg_topk_costs *costs, size_t budget,
                              brg_topk_plan *out);

/* bytes(tq, tb) for costs, or SIZE_MAX when it overflows. */
size_t brg_topk_plan_bytes(const brg_topk_costs *costs, int64_t tq, int64_t tb);

#ifdef __cplusplus
}
#endif
#endif

#include "topk_plan.h"

#include "error.h"

/* a * b + c, saturating at SIZE_MAX. */
static size_t mul_add(size_t a, size_t b, size_t c)
{
    size_t p, s;
    if (__builtin_mul_overflow(a, b, &p) || __builtin_add_overflow(p, c, &s)) return SIZE_MAX;
    return s;
}

size_t brg_topk_plan_bytes(const brg_topk_costs *c, int64_t tq, int64_t tb)
{
    size_t bytes = c->fixed;
    bytes = mul_add(c->per_query, (size_t)tq, bytes);
    bytes = mul_add(c->per_db_row, (size_t)tb, bytes);
    if (c->per_score == 0) return bytes; /* tq * tb may not even fit size_t */
    size_t pairs;
    if (__builtin_mul_overflow((size_t)tq, (size_t)tb, &pairs)) return SIZE_MAX;
    return mul_add(c->per_score, pairs, bytes);
}

/* The most database rows a tile of tq queries may have within budget
 * (capped at cap); 0 when not even one fits. */
static int64_t fit_rows(const brg_topk_costs *c, int64_t tq, size_t budget, int64_t cap)
{
    size_t base = brg_topk_plan_bytes(c, tq, 0);
    if (base == SIZE_MAX || base > budget) return 0;
    size_t per_row = mul_add(c->per_score, (size_t)tq, c->per_db_row);
    if (per_row == SIZE_MAX) return 0;
    size_t rows = per_row ? (budget - base) / per_row : (size_t)cap;
    return rows >= (size_t)cap ? cap : (int64_t)rows;
}

brg_status brg_topk_plan_make(int64_t nq, int64_t nb, const brg_topk_costs *c, size_t budget,
                              brg_topk_plan *out)
{
    BRG_CHECK_ARG(c && out, "costs or out is NULL");
    BRG_CHECK_ARG(nq >= 1 && nb >= 1, "planner needs nq >= 1 and nb >= 1");
    out->min_bytes = brg_topk_plan_bytes(c, 1, 1);
    if (out->min_bytes == SIZE_MAX)
        return BRG_ERROR(BRG_ERR_OVERFLOW, "top-k workspace size overflows size_t");
    if (budget < out->min_bytes)
        return BRG_ERROR(BRG_ERR_INVALID_ARG,
                         "workspace_bytes %zu is below the minimum of %zu bytes for this call",
                         budget, out->min_bytes);
    int64_t tq_cap = c->tq_max > 0 && c->tq_max < nq ? c->tq_max : nq;
    int64_t tb_cap = c->tb_max > 0 && c->tb_max < nb ? c->tb_max : nb;
    int64_t tb_want = c->tb_min > 0 && c->tb_min < tb_cap ? c->tb_min : tb_cap;
    /* The largest query tile that still leaves a worthwhile database tile;
     * query tiles shrink by halves (and end at 1, which always fits). */
    int64_t tq = tq_cap, tb = 0;
    for (;;) {
        tb = fit_rows(c, tq, budget, tb_cap);
        if (tb >= tb_want || tq == 1) break;
        tq = tq / 2 > 0 ? tq / 2 : 1;
    }
    if (tb < 1) /* unreachable: bytes(1, 1) <= budget */
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "workspace_bytes %zu leaves no tile", budget);
    out->tq = tq;
    out->tb = tb;
    out->bytes = brg_topk_plan_bytes(c, tq, tb);
    if (out->bytes > budget) /* fit_rows guarantees it; never hand out a plan that is not */
        return BRG_ERROR(BRG_ERR_OVERFLOW, "top-k plan of %lld x %lld exceeds its budget",
                         (long long)tq, (long long)tb);
    return BRG_OK;
}

/* libFuzzer harness for the top-k tiling planner: arbitrary shapes, costs
 * and budgets. Never an overflow, never a plan over budget or outside the
 * shape, and a refusal exactly when the budget is below bytes(1, 1). */
#include <stdio.h>
#include <stdlib.h>

#include "topk_plan.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size};
    int64_t nq = (int64_t)(fuzz_u64(&in, 8) >> 1), nb = (int64_t)(fuzz_u64(&in, 8) >> 1);
    brg_topk_costs c;
    c.fixed = (size_t)fuzz_u64(&in, 8);
    c.per_query = (size_t)fuzz_u64(&in, 4);
    c.per_db_row = (size_t)fuzz_u64(&in, 4);
    c.per_score = (size_t)fuzz_u64(&in, 2);
    c.tq_max = (int64_t)fuzz_u64(&in, 3);
    c.tb_max = (int64_t)fuzz_u64(&in, 3);
    c.tb_min = (int64_t)fuzz_u64(&in, 3);
    size_t budget = (size_t)fuzz_u64(&in, 8);
    brg_topk_plan p;
    brg_status st = brg_topk_plan_make(nq, nb, &c, budget, &p);
    if (nq < 1 || nb < 1) {
        if (st != BRG_ERR_INVALID_ARG) abort();
        return 0;
    }
    size_t minimum = brg_topk_plan_bytes(&c, 1, 1);
    if (minimum == SIZE_MAX) {
        if (st != BRG_ERR_OVERFLOW) abort();
        return 0;
    }
    if (budget < minimum) {
        if (st != BRG_ERR_INVALID_ARG) abort();
        return 0;
    }
    if (st != BRG_OK) abort();
    if (p.tq < 1 || p.tq > nq || p.tb < 1 || p.tb > nb || p.bytes > budget) abort();
    if (p.bytes != brg_topk_plan_bytes(&c, p.tq, p.tb)) abort();
    if (c.tq_max > 0 && p.tq > c.tq_max) abort();
    if (c.tb_max > 0 && p.tb > c.tb_max) abort();
    return 0;
}

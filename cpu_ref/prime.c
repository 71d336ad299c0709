/* CPU is_prime over a range (or one value many times): the tutorial's trial
 * division of src/shared/prime.h, threaded over items. A prime near n costs
 * sqrt(n) / 2 divisions and a composite usually a few, so items are handed
 * out dynamically in small chunks rather than split evenly. */
#include "parallel.h"
#include "prime.h"
#include "cpu.h"

typedef struct prime_job {
    int64_t start, step;
    uint8_t *out;
} prime_job;

static void prime_items(int64_t begin, int64_t end, void *ctx)
{
    const prime_job *j = ctx;
    for (int64_t i = begin; i < end; i++)
        j->out[i] = (uint8_t)brg_is_prime_i64(j->start + i * j->step);
}

enum { PRIME_CHUNKS_PER_THREAD = 16, PRIME_MAX_GRAIN = 4096 };

brg_status brg_cpu_is_prime(void *ctx, int64_t start, int64_t step, int64_t n, uint8_t *out)
{
    (void)ctx;
    prime_job j = {.start = start, .step = step, .out = out};
    int64_t grain = n / ((int64_t)brg_parallel_threads() * PRIME_CHUNKS_PER_THREAD) + 1;
    brg_parallel_for(n, grain < PRIME_MAX_GRAIN ? grain : PRIME_MAX_GRAIN, prime_items, &j);
    return BRG_OK;
}

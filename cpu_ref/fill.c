/* CPU uniform fill: the host Philox loops of cpu_ref/philox_host.h (AVX2 where
 * the CPU has it), threaded over ranges of elements. An element's value depends only on its index, so the
 * split cannot change the array. */
#include "parallel.h"
#include "philox_host.h"
#include "cpu.h"

typedef struct fill_job {
    brg_dtype dtype;
    uint64_t seed, stream;
    int64_t offset;
    void *out;
} fill_job;

static void fill_range(int64_t begin, int64_t end, void *ctx)
{
    const fill_job *j = ctx;
    if (j->dtype == BRG_F64)
        brg_philox_fill_f64_host(j->seed, j->stream, j->offset + begin, end - begin,
                                 (double *)j->out + begin);
    else
        brg_philox_fill_f32_host(j->seed, j->stream, j->offset + begin, end - begin,
                                 (float *)j->out + begin);
}

/* ~64 KiB of output per task: long enough to hide scheduling, short enough
 * to balance. */
enum { FILL_GRAIN = 1 << 13 };

brg_status brg_cpu_fill_uniform(void *ctx, brg_dtype dtype, uint64_t seed, uint64_t stream,
                                int64_t offset, int64_t n, void *out)
{
    (void)ctx;
    fill_job j = {.dtype = dtype, .seed = seed, .stream = stream, .offset = offset, .out = out};
    brg_parallel_for(n, FILL_GRAIN, fill_range, &j);
    return BRG_OK;
}

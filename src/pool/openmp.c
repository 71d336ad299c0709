/* The OpenMP kind: one parallel region per map. The loop runs over chunk
 * numbers with a monotonic dynamic schedule of one chunk at a time, which is
 * schedule(dynamic, chunk) over the items, but lets the master thread (the
 * caller) report progress at its chunk boundaries. Builds without OpenMP, and
 * ThreadSanitizer builds (libgomp is not instrumented, so TSan reports races
 * inside it that are not there), define BRIGADE_NO_OPENMP. */
#include "pool_impl.h"

#include "error.h"

#if defined(_OPENMP) && !defined(BRIGADE_NO_OPENMP)
#include <omp.h>

/* One thread's share of the region; every thread must reach the `omp for`,
 * so a failed worker_init only skips its chunks (stop is -1 by then). */
static void run_team_member(brg_pool *pool, brg_pool_job *job, int64_t *reported)
{
    int w = omp_get_thread_num();
    brg_pool_worker *self = &pool->slots[w];
    int previous = brg_pool_enter_task();
    brg_pool_run_init(job, w, self);
#pragma omp for schedule(monotonic : dynamic, 1)
    for (int64_t c = 0; c < job->chunks; c++) {
        if (atomic_load_explicit(&job->stop, memory_order_relaxed) != BRG_POOL_NO_FAILURE) continue;
        int64_t begin = c * job->chunk;
        int64_t end = job->n - begin <= job->chunk ? job->n : begin + job->chunk;
        brg_pool_run_chunk(job, begin, end, self, NULL);
        if (w == 0) brg_pool_report(job, reported); /* thread 0 is the caller */
    }
    brg_pool_leave_task(previous);
}

brg_status brg_pool_openmp_map(brg_pool *pool, brg_pool_job *job, int helpers,
                               int64_t *failed_index)
{
    brg_pool_note_openmp();
    for (int w = 0; w < helpers; w++) atomic_store(&pool->slots[w].status, BRG_OK);
    int64_t reported = 0;
#pragma omp parallel num_threads(helpers)
    run_team_member(pool, job, &reported);
    brg_status st = brg_pool_outcome(pool->slots, helpers, failed_index);
    if (st == BRG_OK) brg_pool_report(job, &reported);
    return st;
}

#else

brg_status brg_pool_openmp_map(brg_pool *pool, brg_pool_job *job, int helpers,
                               int64_t *failed_index)
{
    (void)pool;
    (void)job;
    (void)helpers;
    (void)failed_index;
#if defined(BRIGADE_NO_OPENMP)
    return BRG_ERROR(BRG_ERR_UNSUPPORTED,
                     "OpenMP pools are off in this build (ThreadSanitizer builds leave OpenMP out: "
                     "libgomp is not instrumented)");
#else
    return BRG_ERROR(BRG_ERR_UNSUPPORTED,
                     "OpenMP pools need a build with OpenMP (CMake found no OpenMP for C)");
#endif
}

#endif

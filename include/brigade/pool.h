/* brigade — pools: run a C task over i = 0..n-1 and keep the results in order.
 *
 * A pool runs brg_task_fn fn(i, result, ctx) for every i in [0, n) and each
 * task writes result_size bytes at results + i * result_size. Items are handed
 * out in chunks of consecutive indices, in increasing order, to whichever
 * worker is free (dynamic scheduling). The kinds:
 *   BRG_POOL_THREADS     the calling thread (worker 0) and workers - 1
 *                        persistent threads started by brg_pool_create and
 *                        joined by brg_pool_free.
 *   BRG_POOL_SEQUENTIAL  a plain loop in the calling thread.
 *   BRG_POOL_PROCESSES   each map forks its workers; a task runs in a child
 *                        process and only what it writes to `result` reaches
 *                        the caller (results travel through shared memory).
 *   BRG_POOL_OPENMP      an OpenMP parallel loop with a dynamic schedule
 *                        (BRG_ERR_UNSUPPORTED in builds without OpenMP).
 *
 * Failures. A task fails by returning anything but BRG_OK. After the first
 * failure no new chunk is started, chunks already started stop before any item
 * above the lowest failing index seen so far, and the map returns the status
 * of the lowest failing index among the tasks that ran, with that index in
 * *failed_index. Because chunks start in increasing order, for the threads,
 * sequential and processes kinds that is the lowest i whose task fails, as a
 * sequential loop would report (tasks above it may or may not have run);
 * OpenMP promises only "lowest among those that ran". brg_last_error() then
 * reads "task <i> failed: <the task's own brg_last_error() message>".
 * A worker_init failure is reported with index -1 and takes precedence.
 * Results of tasks that did not run are left as the caller's buffer had them;
 * a failing task's slot holds whatever it wrote.
 *
 * Thread safety. Different pools may run maps at the same time from different
 * threads. Maps on one pool are serialised: a second thread calling
 * brg_pool_map on a pool that is running a map waits for it to finish. A map
 * started from inside a task or worker_init of any pool (including in a
 * process pool's child) returns BRG_ERR_INVALID_ARG ("no pool inside a pool"),
 * except an OpenMP map where OpenMP cannot run (fork() rules, below).
 * brg_pool_free must not race with maps on the same pool.
 *
 * Inside a task (or worker_init, or a process pool's child), brigade's CPU
 * kernels (brg_cosine_topk_f32 on "cpu", the means, the fills) run on the
 * task's own thread: the pool's workers already use the cores, and a forked
 * child starts no threads.
 *
 * A pool belongs to the process that created it. In a child made by fork()
 * (your own fork, not a process pool's), brg_pool_map on a pool inherited
 * from the parent returns BRG_ERR_UNSUPPORTED (its threads and lock stayed
 * in the parent); brg_pool_free there releases the copy's memory only.
 *
 * fork() rules (BRG_POOL_PROCESSES).
 *   - Process pools work before and after OpenMP pools, in any order. What
 *     fork() breaks is OpenMP in the child: libgomp's threads stay in the
 *     parent and the child's next parallel region would wait for them forever.
 *     So in any process forked after brigade ran an OpenMP map (a process
 *     pool's child, or a child of your own fork()), an OpenMP pool map returns
 *     BRG_ERR_UNSUPPORTED naming OpenMP instead of hanging; in a process
 *     pool's task that comes before the nesting rule above. Other
 *     kinds, and the CPU backend, work there. brigade knows only of OpenMP
 *     it started itself.
 *   - GPU runtimes: once brigade has opened a CUDA or HIP device in the
 *     process, process-pool maps return BRG_ERR_UNSUPPORTED naming the
 *     runtime (docs/pools.md says why the fork itself is refused there). Run
 *     process pools before opening a GPU device, or in a process of their own.
 *   - The child is a copy of the caller at the moment of the map: it sees
 *     ctx and globals as they were, and its writes to them are lost. Threads
 *     of the parent (thread pools included) do not exist in the child.
 *   - A child that dies (killed by a signal, or exit() called by a task)
 *     before finishing its items makes the map return BRG_ERR_WORKER with the
 *     index of the item it was running (-1 if none; a lower failure already
 *     recorded wins, as above); the other children are killed (SIGKILL) and
 *     every child is reaped before the map returns.
 *     Results that finished before that are kept. Tasks should not call exit():
 *     it runs the parent's atexit handlers in the child.
 *   - stdio buffers are flushed (fflush(NULL)) before forking so output is
 *     not duplicated. Children end with _exit(), never running atexit handlers.
 *   - If the calling thread exits during a map, Linux kills the children
 *     (PR_SET_PDEATHSIG).
 *   - A map's cost grows with the caller's resident memory: each fork copies
 *     the page tables. On the 2-core VM a 1,000-item map took 0.8 ms from a
 *     small process, 20 ms with 100 MiB resident and 92 ms with 1,000 MiB
 *     in 4 KiB pages, but 3.3 ms with the 1,000 MiB in transparent huge
 *     pages (madvise(MADV_HUGEPAGE); CPU-device tensors of 8 MiB or more
 *     ask for them). With much data resident, prefer threads. */
#ifndef BRIGADE_POOL_H
#define BRIGADE_POOL_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    BRG_POOL_THREADS = 0,
    BRG_POOL_SEQUENTIAL,
    BRG_POOL_PROCESSES,
    BRG_POOL_OPENMP
} brg_pool_kind;

/* One task: compute item i into result (result_size bytes; NULL when
 * result_size is 0). ctx is the map's ctx, shared by every task: tasks of the
 * threads and OpenMP kinds run concurrently and must synchronise their own
 * writes to it. Return BRG_OK, or an error status to fail the map. */
typedef brg_status (*brg_task_fn)(int64_t i, void *result, void *ctx);

typedef struct brg_pool_options {      /* zero-initialised means defaults */
    brg_pool_kind kind;                /* default: threads */
    int     workers;                   /* 0: online cores; 1..4096; more than cores is allowed
                                          for waiting tasks; ignored by sequential (1) */
    int64_t chunk;                     /* items per chunk; 0: automatic, ceil(n / (16 * workers)),
                                          sixteen chunks per worker (multiprocessing makes
                                          four, mpire 64) */
    /* Optional. Called from the thread that called brg_pool_map, never from a
     * worker, with the map's ctx and the number of tasks finished so far; done
     * never decreases, and a successful map ends with a call where
     * done == total. Not called for n == 0. */
    void  (*progress)(int64_t done, int64_t total, void *ctx);
    /* Optional. Called with the map's ctx once per worker per map, in that
     * worker (thread or child process) before its first task; worker is
     * 0..min(workers, chunks)-1: workers that would get no chunk are not used.
     * A failure ends the map with its status and index -1. */
    brg_status (*worker_init)(int worker, void *ctx);
} brg_pool_options;

typedef struct brg_pool brg_pool;

/* Create a pool. opts NULL means defaults; *opts is copied. A threads pool
 * starts its threads here. Bad options (kind outside the enum, workers < 0 or
 * > 4096, chunk < 0) are BRG_ERR_INVALID_ARG. On success the caller owns
 * *out and releases it with brg_pool_free; on failure *out is NULL. */
BRG_API brg_status brg_pool_create(const brg_pool_options *opts, brg_pool **out);

/* Release a pool (joining a threads pool's threads). NULL is fine. Must not
 * be called while a map runs on the pool or from inside one of its tasks. */
BRG_API void brg_pool_free(brg_pool *pool);

/* Run fn(i, results + i * result_size, ctx) for i in [0, n); returns when
 * every task has finished (or the map stopped on a failure: see above).
 * results (caller-owned, n * result_size bytes) may be NULL only when
 * result_size is 0. n == 0 is a no-op returning BRG_OK. failed_index
 * (optional) receives the failing index, -1 on success or when the failure is
 * not a task's. Errors: BRG_ERR_INVALID_ARG (pool or fn NULL, n < 0, results
 * NULL with result_size > 0, a map inside a pool task), BRG_ERR_OVERFLOW
 * (n * result_size does not fit size_t), BRG_ERR_UNSUPPORTED (OpenMP not
 * built; OpenMP in a process forked after OpenMP started; processes after a
 * GPU runtime started; a pool inherited over fork()), BRG_ERR_WORKER (a
 * process worker died or could not start), BRG_ERR_OUT_OF_MEMORY, or the
 * failing task's or worker_init's own status. */
BRG_API brg_status brg_pool_map(brg_pool *pool, brg_task_fn fn, void *ctx, int64_t n,
                        void *results, size_t result_size, int64_t *failed_index);

#ifdef __cplusplus
}
#endif
#endif

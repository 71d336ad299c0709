/* Private: the body of a pool and the engine its kinds share.
 *
 * Every kind runs the same job: chunk indices are claimed from an atomic
 * counter in increasing order (OpenMP's dynamic schedule plays that part
 * there), `stop` holds the lowest failing index seen so far, and each worker
 * records its own first failure in its own slot, so no lock is needed on the
 * failure path and the process kind can keep all of it in shared memory. */
#ifndef BRG_POOL_IMPL_H
#define BRG_POOL_IMPL_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "brigade/pool.h"
#include "pool_hooks.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BRG_POOL_MAX_WORKERS 4096
#define BRG_POOL_MESSAGE_BYTES 512
#define BRG_POOL_NO_FAILURE INT64_MAX

/* A worker's current item in the process kind: an index, or one of these. */
#define BRG_POOL_IDLE     (-2) /* started, not inside a task */
#define BRG_POOL_FINISHED (-1) /* left the job normally */

typedef struct brg_pool_job {
    brg_task_fn fn;
    void *ctx;
    char *results;
    size_t result_size;
    int64_t n, chunk, chunks;
    void (*progress)(int64_t done, int64_t total, void *ctx);
    brg_status (*worker_init)(int worker, void *ctx);
    /* Each on its own cache line: `stop` is read before every item, the
     * others are written once per chunk. */
    alignas(64) atomic_llong next_chunk;
    alignas(64) atomic_llong stop;  /* lowest failing index; -1: a worker_init failed */
    alignas(64) atomic_llong done;  /* tasks finished successfully */
} brg_pool_job;

/* One per worker; 64-byte aligned so workers never share a line. */
typedef struct brg_pool_worker {
    alignas(64) atomic_llong current; /* process kind: item running, IDLE or FINISHED */
    atomic_int status;                /* BRG_OK: no failure; written last */
    int64_t index;                    /* failing item, -1 for worker_init */
    char message[BRG_POOL_MESSAGE_BYTES];
} brg_pool_worker;

typedef struct brg_pool_team brg_pool_team;

struct brg_pool {
    brg_pool_kind kind;
    int workers;
    int64_t chunk;
    void (*progress)(int64_t done, int64_t total, void *ctx);
    brg_status (*worker_init)(int worker, void *ctx);
    pthread_mutex_t map_lock;  /* serialises maps on this pool */
    brg_pool_worker *slots;    /* threads and OpenMP: one per worker */
    brg_pool_team *team;       /* threads only */
    pid_t owner;               /* the creating process: a fork() copy has no threads */
};

/* The GPU runtime noted first (brg_pool_note_runtime), or NULL. */
const char *brg_pool_noted_runtime(void);

/* Record that this process is about to run an OpenMP parallel region. Fork
 * stays allowed; processes forked from here on refuse OpenMP maps. */
void brg_pool_note_openmp(void);

/* Mark the calling thread as running pool tasks (returns the previous mark,
 * to restore), and the whole process as a process-pool child. Maps are
 * refused while either is set. */
int  brg_pool_enter_task(void);
void brg_pool_leave_task(int previous);
void brg_pool_mark_child(void);

/* Claim the next chunk as [begin, end); 0 when none is left or a failure
 * stopped the map. */
int brg_pool_claim(brg_pool_job *job, int64_t *begin, int64_t *end);
/* Run items [begin, end) unless a lower item failed; 0 when this worker must
 * stop (it failed, or an item above the lowest failure was reached). current,
 * when not NULL, is kept at the item running. */
int brg_pool_run_chunk(brg_pool_job *job, int64_t begin, int64_t end, brg_pool_worker *self,
                       atomic_llong *current);
/* worker_init (when set) for worker w; 0 when it failed (recorded in self). */
int brg_pool_run_init(brg_pool_job *job, int w, brg_pool_worker *self);
/* A whole worker: init, then chunks until none is left. */
void brg_pool_run_worker(brg_pool_job *job, int w, brg_pool_worker *self, atomic_llong *current);
/* Record a failure for self (when it holds none) and stop the job above index. */
void brg_pool_record(brg_pool_job *job, brg_pool_worker *self, int64_t index, brg_status status,
                     const char *message);
/* Call progress when done grew since *reported. */
void brg_pool_report(brg_pool_job *job, int64_t *reported);
/* The map's result from the workers' records: BRG_OK, or the lowest failure
 * with brg_last_error() set and *failed_index (when not NULL) written. */
brg_status brg_pool_outcome(const brg_pool_worker *slots, int count, int64_t *failed_index);

/* The kinds. Called with map_lock held, n > 0 and job ready. */
brg_status brg_pool_threads_start(brg_pool *pool);
void       brg_pool_threads_stop(brg_pool *pool);
brg_status brg_pool_threads_map(brg_pool *pool, brg_pool_job *job, int helpers,
                                int64_t *failed_index);
brg_status brg_pool_processes_map(brg_pool *pool, const brg_pool_job *job, int helpers,
                                  int64_t *failed_index);
brg_status brg_pool_openmp_map(brg_pool *pool, brg_pool_job *job, int helpers,
                               int64_t *failed_index);

#ifdef __cplusplus
}
#endif
#endif

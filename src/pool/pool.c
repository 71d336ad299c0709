/* Pools: the public API, argument checks, the engine every kind shares, and
 * the sequential kind. The threads, processes and OpenMP kinds live in
 * threads.c, processes.c and openmp.c beside it. */
#include "pool_impl.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"

static _Thread_local int in_task;  /* this thread runs tasks, worker_init or progress */
static int in_child;               /* this process is a process-pool child */
static _Atomic(const char *) noted_runtime; /* a GPU runtime: no fork from here on */
static atomic_long openmp_pid;     /* the process where an OpenMP map first ran, or 0 */
static int openmp_lost;            /* forked after that: libgomp's threads are gone */

/* ---- fork safety and nesting ---------------------------------------------- */

void brg_pool_note_runtime(const char *what)
{
    const char *none = NULL;
    atomic_compare_exchange_strong(&noted_runtime, &none, what ? what : "a runtime");
}

const char *brg_pool_noted_runtime(void)
{
    return atomic_load(&noted_runtime);
}

void brg_pool_note_openmp(void)
{
    long none = 0;
    atomic_compare_exchange_strong(&openmp_pid, &none, (long)getpid());
}

/* In every child forked after OpenMP started here (a process pool's or the
 * application's): the child has only the forking thread, and libgomp's next
 * parallel region would wait forever for the team it remembers. */
static void after_fork_in_child(void)
{
    if (atomic_load(&openmp_pid) != 0) openmp_lost = 1;
}

__attribute__((constructor)) static void register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

/* Maps that would enter a runtime this process inherited over fork(). */
static brg_status check_runtime_survived(const brg_pool *pool)
{
    if (pool->kind != BRG_POOL_OPENMP || !openmp_lost) return BRG_OK;
    return BRG_ERROR(BRG_ERR_UNSUPPORTED,
                     "no OpenMP pool map in a process forked after OpenMP started (in process "
                     "%ld): libgomp's threads do not survive fork() and the map would hang; use "
                     "a threads or sequential pool here, or map with OpenMP before forking",
                     atomic_load(&openmp_pid));
}

int brg_pool_enter_task(void)
{
    int previous = in_task;
    in_task = 1;
    return previous;
}

int brg_pool_in_task(void)
{
    return in_task;
}

void brg_pool_leave_task(int previous)
{
    in_task = previous;
}

void brg_pool_mark_child(void)
{
    in_child = 1;
    in_task = 1;
    after_fork_in_child(); /* even if pthread_atfork could not register it */
}

/* ---- the engine ------------------------------------------------------------- */

void brg_pool_record(brg_pool_job *job, brg_pool_worker *self, int64_t index, brg_status status,
                     const char *message)
{
    if (atomic_load_explicit(&self->status, memory_order_relaxed) != BRG_OK) return;
    self->index = index;
    snprintf(self->message, sizeof self->message, "%s", message);
    atomic_store_explicit(&self->status, (int)status, memory_order_release);
    long long seen = atomic_load_explicit(&job->stop, memory_order_relaxed);
    while (index < seen &&
           !atomic_compare_exchange_weak_explicit(&job->stop, &seen, index, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

/* The failing call's own message (after `label: ` when label is not NULL), or
 * a line saying it left none. */
static void record_failure(brg_pool_job *job, brg_pool_worker *self, int64_t index,
                           brg_status status, const char *who, const char *label)
{
    char message[BRG_POOL_MESSAGE_BYTES];
    const char *own = brg_last_error();
    if (!*own)
        snprintf(message, sizeof message, "%s returned %s and set no message", who,
                 brg_status_str(status));
    else if (label)
        snprintf(message, sizeof message, "%s: %s", label, own);
    else
        snprintf(message, sizeof message, "%s", own);
    brg_pool_record(job, self, index, status, message);
}

int brg_pool_claim(brg_pool_job *job, int64_t *begin, int64_t *end)
{
    if (atomic_load_explicit(&job->stop, memory_order_relaxed) != BRG_POOL_NO_FAILURE) return 0;
    int64_t c = atomic_fetch_add_explicit(&job->next_chunk, 1, memory_order_relaxed);
    if (c >= job->chunks) return 0;
    *begin = c * job->chunk;
    *end = job->n - *begin <= job->chunk ? job->n : *begin + job->chunk;
    return 1;
}

int brg_pool_run_chunk(brg_pool_job *job, int64_t begin, int64_t end, brg_pool_worker *self,
                       atomic_llong *current)
{
    char *out = job->results ? job->results + (size_t)begin * job->result_size : NULL;
    int64_t i = begin;
    int ok = 1;
    for (; i < end; i++) {
        /* Items above the lowest failure cannot change the outcome. */
        if (i > atomic_load_explicit(&job->stop, memory_order_relaxed)) {
            ok = 0;
            break;
        }
        if (current) atomic_store_explicit(current, i, memory_order_relaxed);
        brg_clear_error();
        brg_status st = job->fn(i, out, job->ctx);
        if (st != BRG_OK) {
            record_failure(job, self, i, st, "the task", NULL);
            ok = 0;
            break;
        }
        if (out) out += job->result_size;
    }
    if (ok && current) atomic_store_explicit(current, BRG_POOL_IDLE, memory_order_relaxed);
    atomic_fetch_add_explicit(&job->done, i - begin, memory_order_relaxed);
    return ok;
}

int brg_pool_run_init(brg_pool_job *job, int w, brg_pool_worker *self)
{
    if (!job->worker_init) return 1;
    brg_clear_error();
    brg_status st = job->worker_init(w, job->ctx);
    if (st == BRG_OK) return 1;
    char who[48];
    snprintf(who, sizeof who, "worker_init(%d)", w);
    record_failure(job, self, -1, st, who, who);
    return 0;
}

void brg_pool_run_worker(brg_pool_job *job, int w, brg_pool_worker *self, atomic_llong *current)
{
    if (!brg_pool_run_init(job, w, self)) return;
    int64_t begin, end;
    while (brg_pool_claim(job, &begin, &end))
        if (!brg_pool_run_chunk(job, begin, end, self, current)) return;
}

void brg_pool_report(brg_pool_job *job, int64_t *reported)
{
    if (!job->progress) return;
    int64_t done = atomic_load_explicit(&job->done, memory_order_relaxed);
    if (done <= *reported) return;
    *reported = done;
    int previous = brg_pool_enter_task(); /* a progress callback may not start maps */
    job->progress(done, job->n, job->ctx);
    brg_pool_leave_task(previous);
}

brg_status brg_pool_outcome(const brg_pool_worker *slots, int count, int64_t *failed_index)
{
    int worst = -1;
    for (int w = 0; w < count; w++) {
        if (atomic_load_explicit(&slots[w].status, memory_order_acquire) == BRG_OK) continue;
        if (worst < 0 || slots[w].index < slots[worst].index) worst = w;
    }
    if (worst < 0) return BRG_OK;
    const brg_pool_worker *s = &slots[worst];
    brg_status st = (brg_status)atomic_load_explicit(&s->status, memory_order_relaxed);
    if (failed_index) *failed_index = s->index;
    /* The message may come from a child killed mid-write: bound it. */
    int len = (int)strnlen(s->message, sizeof s->message);
    if (s->index >= 0)
        return BRG_ERROR(st, "task %lld failed: %.*s", (long long)s->index, len, s->message);
    return BRG_ERROR(st, "worker %d failed: %.*s", worst, len, s->message);
}

/* ---- the sequential kind -------------------------------------------------------- */

static brg_status map_sequential(brg_pool_job *job, int64_t *failed_index)
{
    brg_pool_worker self;
    memset(&self, 0, sizeof self);
    atomic_init(&self.current, BRG_POOL_IDLE);
    atomic_init(&self.status, BRG_OK);
    int64_t reported = 0;
    int previous = brg_pool_enter_task();
    if (brg_pool_run_init(job, 0, &self)) {
        int64_t begin, end;
        while (brg_pool_claim(job, &begin, &end)) {
            if (!brg_pool_run_chunk(job, begin, end, &self, NULL)) break;
            brg_pool_report(job, &reported);
        }
    }
    brg_pool_leave_task(previous);
    return brg_pool_outcome(&self, 1, failed_index);
}

/* ---- the public API ------------------------------------------------------------- */

static int online_cores(void)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (online < 1) return 1;
    return online > BRG_POOL_MAX_WORKERS ? BRG_POOL_MAX_WORKERS : (int)online;
}

static brg_status check_options(const brg_pool_options *o)
{
    int kind = (int)o->kind;
    BRG_CHECK_ARG(kind >= BRG_POOL_THREADS && kind <= BRG_POOL_OPENMP,
                  "opts->kind %d is not a brg_pool_kind", kind);
    BRG_CHECK_ARG(o->workers >= 0 && o->workers <= BRG_POOL_MAX_WORKERS,
                  "opts->workers %d is outside 0..%d", o->workers, BRG_POOL_MAX_WORKERS);
    BRG_CHECK_ARG(o->chunk >= 0, "opts->chunk %lld is negative", (long long)o->chunk);
    return BRG_OK;
}

/* The per-worker records of the threads and OpenMP kinds. */
static brg_status alloc_slots(brg_pool *pool)
{
    size_t bytes;
    brg_status st = brg_size_mul((size_t)pool->workers, sizeof *pool->slots, &bytes, "pool slots");
    if (st != BRG_OK) return st;
    pool->slots = brg_aligned_alloc(bytes);
    if (!pool->slots)
        return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes for pool slots", bytes);
    memset(pool->slots, 0, bytes);
    return BRG_OK;
}

brg_status brg_pool_create(const brg_pool_options *opts, brg_pool **out)
{
    BRG_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    brg_pool_options o = {0};
    if (opts) o = *opts;
    brg_status st = check_options(&o);
    if (st != BRG_OK) return st;

    brg_pool *pool = brg_calloc(1, sizeof *pool);
    if (!pool) return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "cannot allocate a pool");
    pool->kind = o.kind;
    pool->workers = o.kind == BRG_POOL_SEQUENTIAL ? 1 : o.workers ? o.workers : online_cores();
    pool->chunk = o.chunk;
    pool->progress = o.progress;
    pool->worker_init = o.worker_init;
    pool->owner = getpid();
    if (pthread_mutex_init(&pool->map_lock, NULL) != 0) {
        brg_free(pool);
        return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "cannot initialise the pool's mutex");
    }
    if (o.kind == BRG_POOL_THREADS || o.kind == BRG_POOL_OPENMP) st = alloc_slots(pool);
    if (st == BRG_OK && o.kind == BRG_POOL_THREADS) st = brg_pool_threads_start(pool);
    if (st != BRG_OK) {
        pthread_mutex_destroy(&pool->map_lock);
        brg_aligned_free(pool->slots);
        brg_free(pool);
        return st;
    }
    *out = pool;
    return BRG_OK;
}

void brg_pool_free(brg_pool *pool)
{
    if (!pool) return;
    /* A fork() copy owns only memory: its lock may have been copied held and
     * its threads stayed in the parent. */
    int copy = getpid() != pool->owner;
    if (!copy) {
        /* Wait for a map still running on another thread rather than pull its
         * threads away (freeing during a map is a caller bug all the same). */
        pthread_mutex_lock(&pool->map_lock);
        pthread_mutex_unlock(&pool->map_lock);
    }
    if (pool->kind == BRG_POOL_THREADS) brg_pool_threads_stop(pool);
    if (!copy) pthread_mutex_destroy(&pool->map_lock);
    brg_aligned_free(pool->slots);
    brg_free(pool);
}

/* Sixteen chunks per worker: between multiprocessing's four and mpire's 64.
 * A chunk costs one atomic increment, so more of them are nearly free, and
 * they shrink the tail when later items cost more (prime_range: i up to
 * 1e6 costs up to sqrt(i)); with four per worker the last chunk kept one
 * thread busy alone and 2 threads took 0.585x the sequential time, with
 * sixteen 0.532x (docs/perf-notes.md). */
static int64_t chunk_for(const brg_pool *pool, int64_t n)
{
    if (pool->chunk > 0) return pool->chunk;
    int64_t parts = 16 * (int64_t)pool->workers;
    return n / parts + (n % parts != 0);
}

static void job_init(brg_pool_job *job, const brg_pool *pool, brg_task_fn fn, void *ctx,
                     int64_t n, void *results, size_t result_size)
{
    memset(job, 0, sizeof *job);
    job->fn = fn;
    job->ctx = ctx;
    job->results = results;
    job->result_size = result_size;
    job->n = n;
    job->chunk = chunk_for(pool, n);
    job->chunks = (n - 1) / job->chunk + 1;
    job->progress = pool->progress;
    job->worker_init = pool->worker_init;
    atomic_init(&job->next_chunk, 0);
    atomic_init(&job->stop, BRG_POOL_NO_FAILURE);
    atomic_init(&job->done, 0);
}

static brg_status run_map(brg_pool *pool, brg_pool_job *job, int64_t *failed_index)
{
    int helpers = job->chunks < pool->workers ? (int)job->chunks : pool->workers;
    switch (pool->kind) {
    case BRG_POOL_SEQUENTIAL: return map_sequential(job, failed_index);
    case BRG_POOL_THREADS: return brg_pool_threads_map(pool, job, helpers, failed_index);
    case BRG_POOL_PROCESSES: return brg_pool_processes_map(pool, job, helpers, failed_index);
    case BRG_POOL_OPENMP: return brg_pool_openmp_map(pool, job, helpers, failed_index);
    }
    return BRG_ERROR(BRG_ERR_INVALID_ARG, "pool kind %d is not a brg_pool_kind", (int)pool->kind);
}

brg_status brg_pool_map(brg_pool *pool, brg_task_fn fn, void *ctx, int64_t n,
                        void *results, size_t result_size, int64_t *failed_index)
{
    if (failed_index) *failed_index = -1;
    BRG_CHECK_ARG(pool, "pool is NULL");
    BRG_CHECK_ARG(fn, "fn is NULL");
    BRG_CHECK_ARG(n >= 0, "n is negative (%lld)", (long long)n);
    /* Before the nesting rule: in a process-pool child this is the reason
     * that matters (the map would hang, not only nest). */
    brg_status st = check_runtime_survived(pool);
    if (st != BRG_OK) return st;
    if (in_task || in_child)
        return BRG_ERROR(BRG_ERR_INVALID_ARG,
                         "no pool inside a pool: brg_pool_map called from a pool's task, "
                         "worker_init or progress callback");
    BRG_CHECK_ARG(results || result_size == 0, "results is NULL but result_size is %zu",
                  result_size);
    size_t bytes;
    st = brg_bytes_of(n, result_size, &bytes, "results (n * result_size)");
    if (st != BRG_OK) return st;
    if (n == 0) return BRG_OK;
    if (getpid() != pool->owner)
        return BRG_ERROR(BRG_ERR_UNSUPPORTED,
                         "this pool was created by process %ld before fork(): its threads and "
                         "lock stayed there; create a new pool in this process",
                         (long)pool->owner);

    brg_pool_job job;
    job_init(&job, pool, fn, ctx, n, results, result_size);
    pthread_mutex_lock(&pool->map_lock);
    st = run_map(pool, &job, failed_index);
    pthread_mutex_unlock(&pool->map_lock);
    return st;
}

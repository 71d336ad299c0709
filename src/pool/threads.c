/* The threads kind: persistent helper threads started by brg_pool_create
 * (workers - 1 of them: the thread that calls a map is worker 0). A map
 * publishes its job under the team lock and bumps a generation number;
 * workers 1..helpers-1 run it beside the caller, which reports progress
 * between its own chunks, then waits on a condition variable for the
 * helpers (waking every 10 ms to report progress when asked to). */
#include "pool_impl.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"

#define PROGRESS_PERIOD_NS 10000000L

typedef struct worker_arg {
    brg_pool_team *team;
    brg_pool_worker *slot;
    int id;
} worker_arg;

struct brg_pool_team {
    pthread_mutex_t lock;
    pthread_cond_t wake;       /* a job was published, or quit */
    pthread_cond_t finished;   /* the last helper left the job */
    brg_pool_job *job;         /* guarded by lock; NULL between maps */
    uint64_t generation;       /* bumped by each map */
    int helpers;               /* workers 0..helpers-1 run the job; 0 is the caller */
    int active;                /* helper threads (1..helpers-1) still running it */
    int quit;
    int started;               /* threads created: workers 1..started */
    pthread_t *threads;
    worker_arg *args;
};

static void *worker_main(void *p)
{
    worker_arg *arg = p;
    brg_pool_team *team = arg->team;
    brg_pool_enter_task(); /* everything this thread runs is a task */
    uint64_t seen = 0;
    pthread_mutex_lock(&team->lock);
    for (;;) {
        while (team->generation == seen && !team->quit) pthread_cond_wait(&team->wake, &team->lock);
        if (team->quit) break;
        seen = team->generation;
        if (arg->id >= team->helpers) continue;
        brg_pool_job *job = team->job;
        pthread_mutex_unlock(&team->lock);
        brg_pool_run_worker(job, arg->id, arg->slot, NULL);
        pthread_mutex_lock(&team->lock);
        if (--team->active == 0) pthread_cond_signal(&team->finished);
    }
    pthread_mutex_unlock(&team->lock);
    return NULL;
}

static brg_status init_sync(brg_pool_team *team)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "cannot initialise the pool's condition attributes");
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* progress waits use it */
    int made = 0;
    if (pthread_mutex_init(&team->lock, NULL) == 0) made++;
    if (made == 1 && pthread_cond_init(&team->wake, NULL) == 0) made++;
    if (made == 2 && pthread_cond_init(&team->finished, &attr) == 0) made++;
    pthread_condattr_destroy(&attr);
    if (made == 3) return BRG_OK;
    if (made >= 2) pthread_cond_destroy(&team->wake);
    if (made >= 1) pthread_mutex_destroy(&team->lock);
    return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "cannot initialise the pool's locks");
}

/* Workers block every signal, so the application's threads receive them. */
static int spawn(brg_pool *pool)
{
    brg_pool_team *team = pool->team;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = 0;
    for (int i = 1; i < pool->workers && !err; i++) { /* worker 0 is the caller */
        team->args[i] = (worker_arg){.team = team, .slot = &pool->slots[i], .id = i};
        err = pthread_create(&team->threads[i], NULL, worker_main, &team->args[i]);
        if (!err) team->started++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return err;
}

static void release_team(brg_pool_team *team)
{
    brg_free(team->threads);
    brg_free(team->args);
    brg_free(team);
}

brg_status brg_pool_threads_start(brg_pool *pool)
{
    brg_pool_team *team = brg_calloc(1, sizeof *team);
    if (!team) return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "cannot allocate the pool's team");
    team->threads = brg_calloc((size_t)pool->workers, sizeof *team->threads);
    team->args = brg_calloc((size_t)pool->workers, sizeof *team->args);
    if (!team->threads || !team->args) {
        release_team(team);
        return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "cannot allocate %d worker records", pool->workers);
    }
    brg_status st = init_sync(team);
    if (st != BRG_OK) {
        release_team(team);
        return st;
    }
    pool->team = team;
    int err = spawn(pool);
    if (err) {
        int started = team->started;
        brg_pool_threads_stop(pool);
        return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "cannot start pool thread %d of %d: %s", started + 1,
                         pool->workers - 1, strerror(err));
    }
    return BRG_OK;
}

void brg_pool_threads_stop(brg_pool *pool)
{
    brg_pool_team *team = pool->team;
    if (!team) return;
    if (getpid() != pool->owner) {
        /* A fork() copy: the threads stayed in the parent, and the team's lock
         * may have been copied held. Only the memory is ours to release. */
        release_team(team);
        pool->team = NULL;
        return;
    }
    pthread_mutex_lock(&team->lock);
    team->quit = 1;
    pthread_cond_broadcast(&team->wake);
    pthread_mutex_unlock(&team->lock);
    for (int i = 1; i <= team->started; i++) pthread_join(team->threads[i], NULL);
    pthread_cond_destroy(&team->finished);
    pthread_cond_destroy(&team->wake);
    pthread_mutex_destroy(&team->lock);
    release_team(team);
    pool->team = NULL;
}

static void deadline_after(struct timespec *ts, long ns)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_nsec += ns;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec += ts->tv_nsec / 1000000000L;
        ts->tv_nsec %= 1000000000L;
    }
}

/* Called with the team lock held; returns with it held once no helper runs. */
static void wait_for_helpers(brg_pool_team *team, brg_pool_job *job, int64_t *reported)
{
    while (team->active > 0) {
        if (!job->progress) {
            pthread_cond_wait(&team->finished, &team->lock);
            continue;
        }
        struct timespec deadline;
        deadline_after(&deadline, PROGRESS_PERIOD_NS);
        int err = pthread_cond_timedwait(&team->finished, &team->lock, &deadline);
        if (err == ETIMEDOUT && team->active > 0) {
            pthread_mutex_unlock(&team->lock); /* the callback may take its time */
            brg_pool_report(job, reported);
            pthread_mutex_lock(&team->lock);
        }
    }
}

/* The calling thread is worker 0. It is already running on a CPU, so a
 * small map starts at once; and the helpers it wakes are placed on the
 * other CPUs. When the caller only waited, Linux often woke both of a
 * 2-worker map's threads onto the caller's CPU (wake-affine placement), and
 * a 3 ms map ran on one CPU: 1.0x the sequential time in about half the
 * runs, against 2.0x now (docs/perf-notes.md). */
static void run_as_worker_zero(brg_pool *pool, brg_pool_job *job, int64_t *reported)
{
    brg_pool_worker *self = &pool->slots[0];
    int previous = brg_pool_enter_task();
    if (brg_pool_run_init(job, 0, self)) {
        int64_t begin, end;
        while (brg_pool_claim(job, &begin, &end)) {
            if (!brg_pool_run_chunk(job, begin, end, self, NULL)) break;
            brg_pool_report(job, reported); /* between the caller's own chunks */
        }
    }
    brg_pool_leave_task(previous);
}

brg_status brg_pool_threads_map(brg_pool *pool, brg_pool_job *job, int helpers,
                                int64_t *failed_index)
{
    brg_pool_team *team = pool->team;
    for (int w = 0; w < helpers; w++) atomic_store(&pool->slots[w].status, BRG_OK);
    int64_t reported = 0;
    pthread_mutex_lock(&team->lock);
    team->job = job;
    team->helpers = helpers;
    team->active = helpers - 1;
    team->generation++;
    if (helpers > 1) pthread_cond_broadcast(&team->wake);
    pthread_mutex_unlock(&team->lock);
    run_as_worker_zero(pool, job, &reported);
    pthread_mutex_lock(&team->lock);
    wait_for_helpers(team, job, &reported);
    team->job = NULL;
    pthread_mutex_unlock(&team->lock);
    brg_status st = brg_pool_outcome(pool->slots, helpers, failed_index);
    if (st == BRG_OK) brg_pool_report(job, &reported);
    return st;
}

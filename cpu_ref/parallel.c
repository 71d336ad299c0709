#include "parallel.h"
#include "pool_hooks.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

typedef struct job {
    brg_range_fn fn;
    void *ctx;
    int64_t n, grain;
    atomic_llong next;       /* next chunk number to claim */
    int64_t chunks;          /* ceil(n / grain) */
    int helpers;             /* workers inside this job; guarded by team.lock */
    int listed;              /* still offered to workers; guarded by team.lock */
    struct job *link;
} job;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;     /* a job was listed */
    pthread_cond_t drained;  /* a worker left a job */
    job *jobs;               /* listed jobs, oldest first */
    int threads;             /* 0: not started */
    int started;             /* workers created */
    int spin;                /* workers poll before sleeping (no more threads than cores) */
    atomic_uint listings;    /* jobs listed so far: what a polling worker watches */
} team = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
          NULL, 0, 0, 0, 0};

/* A worker that runs out of work polls for the next job this long before it
 * sleeps on the condition variable. A call's loops come microseconds apart
 * (a top-k lists four), and on a VM a sleeping thread's wake-up took tens of
 * microseconds each: a small call paid more in wake-ups than in work.
 * OpenMP's runtimes spin likewise before they block. */
#define SPIN_NS 100000

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Called with team.lock held, which it drops while polling and takes back. */
static void await_listing(void)
{
    unsigned seen = atomic_load_explicit(&team.listings, memory_order_relaxed);
    if (team.spin) {
        pthread_mutex_unlock(&team.lock);
        int64_t until = now_ns() + SPIN_NS;
        int polled = 0;
        while (atomic_load_explicit(&team.listings, memory_order_acquire) == seen) {
            if (++polled % 64 == 0 && now_ns() > until) break;
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        pthread_mutex_lock(&team.lock);
        if (atomic_load_explicit(&team.listings, memory_order_relaxed) != seen) return;
    }
    pthread_cond_wait(&team.work, &team.lock);
}

static _Thread_local int in_loop;

int brg_parallel_in_loop(void)
{
    return in_loop;
}

static int configured_threads(void)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int n = online > 0 ? (int)online : 1;
    const char *env = getenv("BRIGADE_NUM_THREADS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v >= 1 && v <= 1024) n = (int)v;
    }
    return n;
}

/* Claim chunk numbers, not item offsets: a counter that runs past the last
 * chunk by one per thread can never overflow. */
static void run_chunks(job *j)
{
    for (;;) {
        int64_t c = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (c >= j->chunks) return;
        int64_t b = c * j->grain;
        int64_t e = j->n - b < j->grain ? j->n : b + j->grain;
        j->fn(b, e, j->ctx);
    }
}

static void *worker_main(void *arg)
{
    (void)arg;
    in_loop = 1;
    pthread_mutex_lock(&team.lock);
    for (;;) {
        job *j = team.jobs;
        while (j && atomic_load_explicit(&j->next, memory_order_relaxed) >= j->chunks) j = j->link;
        if (!j) {
            await_listing();
            continue;
        }
        j->helpers++;
        pthread_mutex_unlock(&team.lock);
        run_chunks(j);
        pthread_mutex_lock(&team.lock);
        if (--j->helpers == 0 && !j->listed) pthread_cond_broadcast(&team.drained);
    }
    return NULL;
}

/* Start the workers once; called with team.lock held. Fewer workers than
 * asked for (thread creation failed) only costs speed. Workers block every
 * signal (they inherit the mask), so the application's handlers never run
 * on brigade's threads. */
static void start_team(void)
{
    team.threads = configured_threads();
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    team.spin = online > 0 && team.threads <= online;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (int i = 1; i < team.threads; i++) {
        pthread_t tid;
        if (pthread_create(&tid, &attr, worker_main, NULL) != 0) break;
        team.started++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
}

int brg_parallel_threads(void)
{
    if (brg_pool_in_task()) return 1; /* loops run inline there: start no team */
    pthread_mutex_lock(&team.lock);
    if (!team.threads) start_team();
    int n = team.started + 1;
    pthread_mutex_unlock(&team.lock);
    return n;
}

void brg_parallel_for(int64_t n, int64_t grain, brg_range_fn fn, void *ctx)
{
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (in_loop || n <= grain || brg_pool_in_task()) {
        fn(0, n, ctx);
        return;
    }
    job j = {.fn = fn, .ctx = ctx, .n = n, .grain = grain, .listed = 1,
             .chunks = n / grain + (n % grain != 0)};
    atomic_init(&j.next, 0);

    pthread_mutex_lock(&team.lock);
    if (!team.threads) start_team();
    job **tail = &team.jobs;
    while (*tail) tail = &(*tail)->link;
    *tail = &j;
    atomic_fetch_add_explicit(&team.listings, 1, memory_order_release);
    pthread_cond_broadcast(&team.work);
    pthread_mutex_unlock(&team.lock);

    in_loop = 1;
    run_chunks(&j);
    in_loop = 0;

    pthread_mutex_lock(&team.lock);
    for (job **p = &team.jobs; *p; p = &(*p)->link)
        if (*p == &j) {
            *p = j.link;
            break;
        }
    j.listed = 0;
    while (j.helpers > 0) pthread_cond_wait(&team.drained, &team.lock);
    pthread_mutex_unlock(&team.lock);
}

/* fork(): the child has none of the workers. Hold the lock across the fork so
 * the team is consistent, then give the child a fresh, empty team. */
static void before_fork(void)
{
    pthread_mutex_lock(&team.lock);
}

static void after_fork_parent(void)
{
    pthread_mutex_unlock(&team.lock);
}

static void after_fork_child(void)
{
    pthread_mutex_init(&team.lock, NULL);
    pthread_cond_init(&team.work, NULL);
    pthread_cond_init(&team.drained, NULL);
    team.jobs = NULL;
    team.threads = 0;
    team.started = 0;
    atomic_store(&team.listings, 0);
    in_loop = 0;
}

__attribute__((constructor)) static void register_fork_handlers(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

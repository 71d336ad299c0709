/* The processes kind: each map forks its workers. Everything the children and
 * the parent share (the job's counters, each worker's current item and first
 * failure, and the results) lives in one MAP_SHARED|MAP_ANONYMOUS region made
 * before the fork, so it sits at the same address in every process. The
 * parent polls waitpid(WNOHANG) on its own children only (never waitpid(-1),
 * which would steal the application's children), reports progress between
 * polls, and treats any child that ends without marking itself finished as
 * dead: it then kills and reaps the others, so a map never hangs on a dead
 * worker and never leaves a zombie. */
#include "pool_impl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "alloc.h"
#include "error.h"

#define FIRST_NAP_NS 20000L    /* polls start fast for short maps... */
#define LONGEST_NAP_NS 5000000L /* ...and settle at 200 per second */

typedef struct region {
    void *base;
    size_t bytes;
    brg_pool_job *job;
    brg_pool_worker *workers;
    char *results;
    size_t results_bytes;
} region;

static brg_status region_layout(region *r, const brg_pool_job *job, int helpers)
{
    size_t workers_bytes, before_results;
    brg_status st = brg_size_mul(job->result_size, (size_t)job->n, &r->results_bytes, "results");
    if (st == BRG_OK)
        st = brg_size_mul((size_t)helpers, sizeof(brg_pool_worker), &workers_bytes, "worker slots");
    if (st == BRG_OK)
        st = brg_size_add(sizeof(brg_pool_job), workers_bytes, &before_results, "shared region");
    if (st == BRG_OK)
        st = brg_size_add(before_results, r->results_bytes, &r->bytes, "shared region");
    return st;
}

/* Map the region and copy the job and the caller's results into it (results
 * of tasks that never run must come back unchanged). */
static brg_status region_open(region *r, const brg_pool_job *job, int helpers)
{
    memset(r, 0, sizeof *r);
    brg_status st = region_layout(r, job, helpers);
    if (st != BRG_OK) return st;
    void *base = mmap(NULL, r->bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "cannot map %zu shared bytes: %s", r->bytes,
                         strerror(errno));
    r->base = base;
    r->job = base;
    r->workers = (brg_pool_worker *)((char *)base + sizeof(brg_pool_job));
    r->results = (char *)(r->workers + helpers);
    memcpy(r->job, job, sizeof *job);
    atomic_init(&r->job->next_chunk, 0);
    atomic_init(&r->job->stop, BRG_POOL_NO_FAILURE);
    atomic_init(&r->job->done, 0);
    r->job->results = job->results ? r->results : NULL;
    if (r->results_bytes) memcpy(r->results, job->results, r->results_bytes);
    for (int w = 0; w < helpers; w++) {
        atomic_init(&r->workers[w].current, BRG_POOL_IDLE);
        atomic_init(&r->workers[w].status, BRG_OK);
    }
    return BRG_OK;
}

static void region_close(region *r, void *results)
{
    if (r->results_bytes) memcpy(results, r->results, r->results_bytes);
    munmap(r->base, r->bytes);
}

static _Noreturn void child_main(region *r, int w, pid_t parent)
{
    brg_pool_mark_child();
#ifdef __linux__
    /* Die with the parent rather than work on for nobody. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
#else
    (void)parent;
#endif
    brg_pool_worker *self = &r->workers[w];
    brg_pool_run_worker(r->job, w, self, &self->current);
    atomic_store(&self->current, BRG_POOL_FINISHED);
    _exit(0);
}

/* Fork up to `helpers` children; returns how many started (errno of the
 * failed fork in *err). */
static int fork_children(region *r, pid_t *pids, int helpers, int *err)
{
    pid_t parent = getpid();
    fflush(NULL); /* or buffered output would be written once per child */
    for (int w = 0; w < helpers; w++) {
        pid_t pid = fork();
        if (pid == 0) child_main(r, w, parent);
        if (pid < 0) {
            *err = errno;
            return w;
        }
        pids[w] = pid;
    }
    return helpers;
}

/* 1 when pid has ended (*known: 1 with its wait status in *ws, 0 when the
 * system reaped it because SIGCHLD is ignored), 0 while it runs. */
static int reap(pid_t pid, int flags, int *ws, int *known)
{
    for (;;) {
        pid_t got = waitpid(pid, ws, flags);
        if (got == pid) {
            *known = 1;
            return 1;
        }
        if (got == 0) return 0;
        if (errno == EINTR) continue;
        *known = 0;
        return 1;
    }
}

static int ended_normally(const brg_pool_worker *self, int ws, int known)
{
    if (atomic_load(&self->current) != BRG_POOL_FINISHED) return 0;
    return !known || (WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
}

static void record_death(region *r, int w, pid_t pid, int ws, int known)
{
    brg_pool_worker *self = &r->workers[w];
    int64_t at = atomic_load(&self->current);
    char how[128];
    if (!known)
        snprintf(how, sizeof how, "ended unseen (SIGCHLD is ignored)");
    else if (WIFSIGNALED(ws))
        snprintf(how, sizeof how, "was killed by signal %d (%s)", WTERMSIG(ws), strsignal(WTERMSIG(ws)));
    else
        snprintf(how, sizeof how, "exited with status %d", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
    const char *when = at >= 0 ? "while running it"
                       : at == BRG_POOL_FINISHED ? "after its last task"
                                                 : "outside a task, before finishing its items";
    char message[BRG_POOL_MESSAGE_BYTES];
    snprintf(message, sizeof message, "worker %d (process %ld) %s %s", w, (long)pid, how, when);
    brg_pool_record(r->job, self, at >= 0 ? at : -1, BRG_ERR_WORKER, message);
}

static void kill_and_reap(pid_t *pids, int count)
{
    for (int w = 0; w < count; w++)
        if (pids[w] > 0) kill(pids[w], SIGKILL);
    for (int w = 0; w < count; w++) {
        int ws, known;
        if (pids[w] > 0) reap(pids[w], 0, &ws, &known);
        pids[w] = 0;
    }
}

static void nap(long *ns)
{
    struct timespec ts = {0, *ns};
    nanosleep(&ts, NULL);
    *ns = *ns * 2 > LONGEST_NAP_NS ? LONGEST_NAP_NS : *ns * 2;
}

/* Wait for every child; on the first death, kill and reap the rest. */
static void watch_children(region *r, pid_t *pids, int count, int64_t *reported)
{
    int live = count;
    long sleep_ns = FIRST_NAP_NS;
    while (live > 0) {
        for (int w = 0; w < count; w++) {
            int ws = 0, known = 0;
            if (pids[w] <= 0 || !reap(pids[w], WNOHANG, &ws, &known)) continue;
            pid_t pid = pids[w];
            pids[w] = 0;
            live--;
            if (!ended_normally(&r->workers[w], ws, known)) {
                record_death(r, w, pid, ws, known);
                kill_and_reap(pids, count);
                return;
            }
        }
        if (live == 0) return;
        brg_pool_report(r->job, reported);
        nap(&sleep_ns);
    }
}

brg_status brg_pool_processes_map(brg_pool *pool, const brg_pool_job *job, int helpers,
                                  int64_t *failed_index)
{
    (void)pool;
    const char *runtime = brg_pool_noted_runtime();
    if (runtime)
        return BRG_ERROR(BRG_ERR_UNSUPPORTED,
                         "fork after %s started is unsafe: create and run process pools before "
                         "%s starts in this process, or in a process of their own", runtime, runtime);
    pid_t *pids = brg_calloc((size_t)helpers, sizeof *pids);
    if (!pids) return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "cannot allocate %d process ids", helpers);
    region r;
    brg_status st = region_open(&r, job, helpers);
    if (st != BRG_OK) {
        brg_free(pids);
        return st;
    }
    int err = 0;
    int started = fork_children(&r, pids, helpers, &err);
    int64_t reported = 0;
    if (started > 0) watch_children(&r, pids, started, &reported);
    if (started == 0)
        st = BRG_ERROR(BRG_ERR_WORKER, "cannot start a worker process: fork: %s", strerror(err));
    else
        st = brg_pool_outcome(r.workers, started, failed_index);
    if (st == BRG_OK) brg_pool_report(r.job, &reported);
    region_close(&r, job->results);
    brg_free(pids);
    return st;
}

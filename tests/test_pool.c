/* Pools (include/brigade/pool.h): every rule of the contract, for every kind
 * it applies to. One test case per kind (sequential, threads, processes),
 * then every order of the four kinds in one process and OpenMP across fork,
 * then OpenMP, then the GPU fork rule last. That last place matters without
 * Check's fork (CK_FORK=no, the sanitizer builds): once a GPU runtime is
 * noted, process pools refuse to fork for the rest of the process.
 *
 * Tasks never call ck_assert (a process task runs in a forked child, where a
 * failed assertion would take over the child): they write what they saw into
 * their results, and the test checks those in the calling process. Counters
 * that children must update live in MAP_SHARED memory. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "harness.h"
#include "pool_impl.h"

static const char *kind_name[] = {"threads", "sequential", "processes", "openmp"};

/* ---- helpers ------------------------------------------------------------------ */

/* Memory that forked children and the test share. */
typedef struct shared {
    atomic_int inits;        /* worker_init calls */
    atomic_int running;      /* tasks running now */
    atomic_int most_running; /* the most seen at once */
    atomic_llong tasks;      /* tasks run */
    atomic_int progress_calls;
} shared;

static shared *shared_new(void)
{
    void *p = mmap(NULL, sizeof(shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert_msg(p != MAP_FAILED, "mmap: %s", strerror(errno));
    memset(p, 0, sizeof(shared));
    return p;
}

static void shared_free(shared *s)
{
    munmap(s, sizeof *s);
}

static brg_pool *pool_new(brg_pool_kind kind, int workers, int64_t chunk)
{
    brg_pool_options o = {.kind = kind, .workers = workers, .chunk = chunk};
    brg_pool *pool = NULL;
    BRG_ASSERT_OK(brg_pool_create(&o, &pool));
    return pool;
}

static brg_status square_task(int64_t i, void *result, void *ctx)
{
    (void)ctx;
    *(int64_t *)result = i * i;
    return BRG_OK;
}

/* 1 when the OpenMP kind is missing from this build (the test then passes
 * with a SKIP line). The probe runs inside the test, so that OpenMP starts
 * in the process only where a test uses it. */
static int skipped(brg_pool_kind kind, const char *test)
{
    if (kind != BRG_POOL_OPENMP) return 0;
    brg_pool *pool = pool_new(kind, 1, 0);
    int64_t x;
    brg_status st = brg_pool_map(pool, square_task, NULL, 1, &x, sizeof x, NULL);
    brg_pool_free(pool);
    if (st != BRG_ERR_UNSUPPORTED) return 0;
    printf("SKIP: %s (openmp): %s\n", test, brg_last_error());
    return 1;
}

#define KIND_TEST_BEGIN(name)                              \
    START_TEST(name)                                      \
    {                                                     \
        brg_pool_kind kind = (brg_pool_kind)_i;           \
        if (skipped(kind, #name)) return;

#define KIND_TEST_END \
    }                 \
    END_TEST

static int is_prime(int64_t v)
{
    if (v < 2) return 0;
    for (int64_t d = 2; d * d <= v; d++)
        if (v % d == 0) return 0;
    return 1;
}

/* Primes in [100 i, 100 i + 100). */
static int64_t primes_in_block(int64_t i)
{
    int64_t count = 0;
    for (int64_t v = 100 * i; v < 100 * i + 100; v++) count += is_prime(v);
    return count;
}

static brg_status prime_count_task(int64_t i, void *result, void *ctx)
{
    (void)ctx;
    *(int64_t *)result = primes_in_block(i);
    return BRG_OK;
}

static void assert_squares(const int64_t *r, int64_t n)
{
    for (int64_t i = 0; i < n; i++) ck_assert_int_eq(r[i], i * i);
}

/* ---- results ------------------------------------------------------------------ */

KIND_TEST_BEGIN(each_kind_returns_the_sequential_result)
    enum { n = 1000 };
    static int64_t squares[n], primes[n];
    brg_pool *pool = pool_new(kind, 4, 0);
    BRG_ASSERT_OK(brg_pool_map(pool, square_task, NULL, n, squares, sizeof squares[0], NULL));
    BRG_ASSERT_OK(brg_pool_map(pool, prime_count_task, NULL, n, primes, sizeof primes[0], NULL));
    brg_pool_free(pool);
    assert_squares(squares, n);
    int64_t total = 0;
    for (int64_t i = 0; i < n; i++) {
        ck_assert_int_eq(primes[i], primes_in_block(i));
        total += primes[i];
    }
    ck_assert_int_eq(total, 9592); /* primes below 100000 */
KIND_TEST_END

KIND_TEST_BEGIN(chunk_sizes_1_7_and_n_give_the_same_results)
    enum { n = 1000 };
    static int64_t r[n];
    const int64_t chunks[] = {1, 7, n, 5 * n};
    for (int c = 0; c < 4; c++) {
        memset(r, 0xff, sizeof r);
        brg_pool *pool = pool_new(kind, 3, chunks[c]);
        BRG_ASSERT_OK(brg_pool_map(pool, square_task, NULL, n, r, sizeof r[0], NULL));
        brg_pool_free(pool);
        assert_squares(r, n);
    }
KIND_TEST_END

static brg_status count_task(int64_t i, void *result, void *ctx)
{
    (void)i;
    (void)result;
    atomic_fetch_add(&((shared *)ctx)->tasks, 1);
    return BRG_OK;
}

static void count_progress(int64_t done, int64_t total, void *ctx)
{
    (void)done;
    (void)total;
    atomic_fetch_add(&((shared *)ctx)->progress_calls, 1);
}

KIND_TEST_BEGIN(n_zero_is_a_no_op)
    shared *sh = shared_new();
    brg_pool_options o = {.kind = kind, .workers = 2, .progress = count_progress};
    brg_pool *pool;
    BRG_ASSERT_OK(brg_pool_create(&o, &pool));
    int64_t failed = 99;
    BRG_ASSERT_OK(brg_pool_map(pool, count_task, sh, 0, NULL, 0, &failed));
    int64_t untouched = 7;
    BRG_ASSERT_OK(brg_pool_map(pool, count_task, sh, 0, &untouched, sizeof untouched, NULL));
    brg_pool_free(pool);
    ck_assert_int_eq(failed, -1);
    ck_assert_int_eq(untouched, 7);
    ck_assert_int_eq(atomic_load(&sh->tasks), 0);
    ck_assert_int_eq(atomic_load(&sh->progress_calls), 0);
    shared_free(sh);
KIND_TEST_END

KIND_TEST_BEGIN(null_results_with_zero_result_size_run_every_task)
    shared *sh = shared_new();
    brg_pool *pool = pool_new(kind, 2, 0);
    BRG_ASSERT_OK(brg_pool_map(pool, count_task, sh, 321, NULL, 0, NULL));
    brg_pool_free(pool);
    ck_assert_int_eq(atomic_load(&sh->tasks), 321);
    shared_free(sh);
KIND_TEST_END

static brg_status counted_square_task(int64_t i, void *result, void *ctx)
{
    atomic_fetch_add(&((shared *)ctx)->tasks, 1);
    return square_task(i, result, NULL);
}

KIND_TEST_BEGIN(more_workers_than_items_runs_each_item_once)
    shared *sh = shared_new();
    int64_t r[5] = {-1, -1, -1, -1, -1};
    brg_pool *pool = pool_new(kind, 64, 0);
    BRG_ASSERT_OK(brg_pool_map(pool, counted_square_task, sh, 5, r, sizeof r[0], NULL));
    brg_pool_free(pool);
    assert_squares(r, 5);
    ck_assert_int_eq(atomic_load(&sh->tasks), 5);
    shared_free(sh);
KIND_TEST_END

KIND_TEST_BEGIN(a_pool_runs_many_maps)
    static int64_t r[778];
    brg_pool *pool = pool_new(kind, 3, 0);
    for (int64_t n = 1; n <= 777; n += 97) {
        memset(r, 0xff, sizeof r);
        BRG_ASSERT_OK(brg_pool_map(pool, square_task, NULL, n, r, sizeof r[0], NULL));
        assert_squares(r, n);
        ck_assert_int_eq(r[n], -1); /* nothing past n */
    }
    brg_pool_free(pool);
KIND_TEST_END

typedef struct two_maps {
    brg_pool *pool;
    int64_t r[600];
    int bad;
} two_maps;

static void *map_ten_times(void *p)
{
    two_maps *t = p;
    for (int k = 0; k < 10; k++) {
        memset(t->r, 0xff, sizeof t->r);
        if (brg_pool_map(t->pool, square_task, NULL, 600, t->r, sizeof t->r[0], NULL) != BRG_OK) t->bad++;
        for (int64_t i = 0; i < 600; i++)
            if (t->r[i] != i * i) t->bad++;
    }
    return NULL;
}

KIND_TEST_BEGIN(maps_from_two_threads_on_one_pool_are_serialised)
    static two_maps t[2];
    brg_pool *pool = pool_new(kind, 2, 0);
    pthread_t tid[2];
    for (int k = 0; k < 2; k++) {
        t[k] = (two_maps){.pool = pool};
        ck_assert_int_eq(pthread_create(&tid[k], NULL, map_ten_times, &t[k]), 0);
    }
    for (int k = 0; k < 2; k++) pthread_join(tid[k], NULL);
    brg_pool_free(pool);
    ck_assert_int_eq(t[0].bad, 0);
    ck_assert_int_eq(t[1].bad, 0);
KIND_TEST_END

/* ---- failures ---------------------------------------------------------------------- */

typedef struct failing {
    int64_t at[3];        /* items that fail */
    brg_status status;
} failing;

static brg_status failing_task(int64_t i, void *result, void *ctx)
{
    const failing *f = ctx;
    for (int k = 0; k < 3; k++)
        if (i == f->at[k]) return f->status;
    *(int64_t *)result = i * i;
    return BRG_OK;
}

/* Items below the failure ran (chunks start in increasing order; OpenMP does
 * not promise that); the others hold their square or were left alone. */
static void assert_results_around_failure(const int64_t *r, int64_t n, int64_t failed,
                                          brg_pool_kind kind)
{
    for (int64_t i = 0; i < n; i++) {
        if (i < failed && kind != BRG_POOL_OPENMP) ck_assert_int_eq(r[i], i * i);
        else if (i != failed) ck_assert(r[i] == i * i || r[i] == -1);
    }
    ck_assert_int_eq(r[failed], -1);
}

KIND_TEST_BEGIN(a_failing_task_returns_its_status_and_index)
    enum { n = 1000 };
    static int64_t r[n];
    memset(r, 0xff, sizeof r);
    failing f = {.at = {437, -1, -1}, .status = BRG_ERR_IO};
    brg_pool *pool = pool_new(kind, 4, 0);
    int64_t failed = 0;
    BRG_ASSERT_STATUS(brg_pool_map(pool, failing_task, &f, n, r, sizeof r[0], &failed), BRG_ERR_IO);
    ck_assert_int_eq(failed, 437);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "task 437 failed"));
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "set no message"));
    brg_pool_free(pool);
    assert_results_around_failure(r, n, failed, kind);
KIND_TEST_END

KIND_TEST_BEGIN(several_failures_report_the_lowest_index)
    enum { n = 1000 };
    static int64_t r[n];
    failing f = {.at = {900, 300, 600}, .status = BRG_ERR_SHAPE};
    const int64_t chunks[] = {1, 7, 0};
    for (int c = 0; c < 3; c++) {
        memset(r, 0xff, sizeof r);
        brg_pool *pool = pool_new(kind, 4, chunks[c]);
        int64_t failed = 0;
        BRG_ASSERT_STATUS(brg_pool_map(pool, failing_task, &f, n, r, sizeof r[0], &failed),
                          BRG_ERR_SHAPE);
        brg_pool_free(pool);
        ck_assert_int_eq(failed, 300);
        assert_results_around_failure(r, n, failed, kind);
    }
KIND_TEST_END

/* Fails at item 17 through a brigade call, which leaves its own message. */
static brg_status task_with_message(int64_t i, void *result, void *ctx)
{
    (void)ctx;
    *(int64_t *)result = i;
    if (i != 17) return BRG_OK;
    brg_pool_options bad = {.workers = -5};
    brg_pool *p;
    return brg_pool_create(&bad, &p);
}

KIND_TEST_BEGIN(a_failing_task_keeps_its_own_message)
    static int64_t r[100];
    brg_pool *pool = pool_new(kind, 2, 0);
    int64_t failed = 0;
    BRG_ASSERT_STATUS(brg_pool_map(pool, task_with_message, NULL, 100, r, sizeof r[0], &failed),
                      BRG_ERR_INVALID_ARG);
    brg_pool_free(pool);
    ck_assert_int_eq(failed, 17);
    const char *msg = brg_last_error();
    ck_assert_msg(strstr(msg, "task 17 failed") && strstr(msg, "opts->workers -5"), "message: %s", msg);
KIND_TEST_END

/* ---- progress ---------------------------------------------------------------------- */

typedef struct progress_log {
    pthread_t caller;
    int calls, off_thread, decreasing, wrong_total;
    int64_t last;
} progress_log;

static progress_log plog;

static void log_progress(int64_t done, int64_t total, void *ctx)
{
    (void)ctx;
    plog.calls++;
    if (!pthread_equal(pthread_self(), plog.caller)) plog.off_thread++;
    if (done < plog.last) plog.decreasing++;
    if (total != 300) plog.wrong_total++;
    plog.last = done;
}

static brg_status slow_square_task(int64_t i, void *result, void *ctx)
{
    (void)ctx;
    struct timespec ts = {0, 300000}; /* 0.3 ms: several progress periods per map */
    nanosleep(&ts, NULL);
    return square_task(i, result, NULL);
}

KIND_TEST_BEGIN(progress_is_called_from_the_calling_thread_and_ends_at_total)
    static int64_t r[300];
    plog = (progress_log){.caller = pthread_self()};
    brg_pool_options o = {.kind = kind, .workers = 3, .chunk = 5, .progress = log_progress};
    brg_pool *pool;
    BRG_ASSERT_OK(brg_pool_create(&o, &pool));
    BRG_ASSERT_OK(brg_pool_map(pool, slow_square_task, NULL, 300, r, sizeof r[0], NULL));
    brg_pool_free(pool);
    assert_squares(r, 300);
    ck_assert_int_ge(plog.calls, 1);
    ck_assert_int_eq(plog.off_thread, 0);
    ck_assert_int_eq(plog.decreasing, 0);
    ck_assert_int_eq(plog.wrong_total, 0);
    ck_assert_int_eq(plog.last, 300);
KIND_TEST_END

/* ---- worker_init -------------------------------------------------------------------- */

typedef struct init_ctx {
    shared *sh;
    int map;              /* which map of the test */
} init_ctx;

static _Thread_local int64_t init_mark; /* the worker's init of this map ran here */

static brg_status counting_init(int worker, void *ctx)
{
    init_ctx *c = ctx;
    atomic_fetch_add(&c->sh->inits, 1);
    init_mark = (int64_t)c->map * 10000 + worker + 1;
    return BRG_OK;
}

static brg_status report_init_task(int64_t i, void *result, void *ctx)
{
    (void)i;
    (void)ctx;
    *(int64_t *)result = init_mark;
    return BRG_OK;
}

KIND_TEST_BEGIN(worker_init_runs_once_per_worker_per_map_before_its_tasks)
    enum { n = 400, workers = 4 };
    static int64_t r[n];
    shared *sh = shared_new();
    init_ctx c = {.sh = sh};
    int expect = kind == BRG_POOL_SEQUENTIAL ? 1 : workers;
    brg_pool_options o = {.kind = kind, .workers = workers, .worker_init = counting_init};
    brg_pool *pool;
    BRG_ASSERT_OK(brg_pool_create(&o, &pool));
    for (c.map = 1; c.map <= 3; c.map++) {
        BRG_ASSERT_OK(brg_pool_map(pool, report_init_task, &c, n, r, sizeof r[0], NULL));
        ck_assert_int_eq(atomic_load(&sh->inits), c.map * expect);
        for (int64_t i = 0; i < n; i++) {
            ck_assert_int_eq(r[i] / 10000, c.map);
            ck_assert(r[i] % 10000 >= 1 && r[i] % 10000 <= expect);
        }
    }
    brg_pool_free(pool);
    if (kind == BRG_POOL_PROCESSES) ck_assert_int_eq(init_mark, 0); /* it ran in the children */
    init_mark = 0;
    shared_free(sh);
KIND_TEST_END

static brg_status failing_init(int worker, void *ctx)
{
    (void)ctx;
    return worker == 0 ? BRG_ERR_DEVICE : BRG_OK;
}

KIND_TEST_BEGIN(a_failing_worker_init_returns_its_status_with_index_minus_one)
    static int64_t r[200];
    brg_pool_options o = {.kind = kind, .workers = 3, .worker_init = failing_init};
    brg_pool *pool;
    BRG_ASSERT_OK(brg_pool_create(&o, &pool));
    int64_t failed = 0;
    BRG_ASSERT_STATUS(brg_pool_map(pool, square_task, NULL, 200, r, sizeof r[0], &failed),
                      BRG_ERR_DEVICE);
    brg_pool_free(pool);
    ck_assert_int_eq(failed, -1);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "worker_init(0)"));
KIND_TEST_END

/* ---- nesting -------------------------------------------------------------------------- */

static brg_status nested_map_task(int64_t i, void *result, void *ctx)
{
    (void)i;
    int64_t x;
    *(int64_t *)result = brg_pool_map(ctx, square_task, NULL, 1, &x, sizeof x, NULL);
    return BRG_OK;
}

KIND_TEST_BEGIN(a_map_inside_a_task_is_an_invalid_argument)
    static int64_t r[50];
    brg_pool *pool = pool_new(kind, 2, 0);
    brg_pool *other = pool_new(BRG_POOL_SEQUENTIAL, 1, 0);
    brg_pool *targets[2] = {pool, other}; /* its own pool, and any other */
    for (int t = 0; t < 2; t++) {
        BRG_ASSERT_OK(brg_pool_map(pool, nested_map_task, targets[t], 50, r, sizeof r[0], NULL));
        for (int i = 0; i < 50; i++) ck_assert_int_eq(r[i], BRG_ERR_INVALID_ARG);
    }
    brg_pool_free(other);
    brg_pool_free(pool);
KIND_TEST_END

static brg_pool *progress_pool;
static brg_status progress_nested_status;

static void nested_progress(int64_t done, int64_t total, void *ctx)
{
    (void)done;
    (void)total;
    (void)ctx;
    int64_t x;
    progress_nested_status = brg_pool_map(progress_pool, square_task, NULL, 1, &x, sizeof x, NULL);
}

KIND_TEST_BEGIN(a_map_inside_a_progress_callback_is_an_invalid_argument)
    static int64_t r[64];
    brg_pool_options o = {.kind = kind, .workers = 2, .progress = nested_progress};
    BRG_ASSERT_OK(brg_pool_create(&o, &progress_pool));
    progress_nested_status = BRG_OK;
    BRG_ASSERT_OK(brg_pool_map(progress_pool, square_task, NULL, 64, r, sizeof r[0], NULL));
    brg_pool_free(progress_pool);
    ck_assert_int_eq(progress_nested_status, BRG_ERR_INVALID_ARG);
KIND_TEST_END

/* ---- waiting tasks overlap --------------------------------------------------------------- */

static brg_status sleepy_task(int64_t i, void *result, void *ctx)
{
    (void)i;
    (void)result;
    shared *sh = ctx;
    int now = atomic_fetch_add(&sh->running, 1) + 1;
    int most = atomic_load(&sh->most_running);
    while (now > most && !atomic_compare_exchange_weak(&sh->most_running, &most, now)) {
    }
    struct timespec ts = {0, 200000000L};
    nanosleep(&ts, NULL);
    atomic_fetch_sub(&sh->running, 1);
    return BRG_OK;
}

/* More workers than cores is allowed, and waiting tasks then overlap: 25 tasks
 * of 0.2 s on 25 workers. Asserting how many ran at once, not the time taken,
 * keeps this from failing on a loaded machine. */
KIND_TEST_BEGIN(tasks_that_wait_overlap_on_more_workers_than_cores)
    shared *sh = shared_new();
    brg_pool *pool = pool_new(kind, 25, 0);
    BRG_ASSERT_OK(brg_pool_map(pool, sleepy_task, sh, 25, NULL, 0, NULL));
    brg_pool_free(pool);
    ck_assert_int_ge(atomic_load(&sh->most_running), 10);
    shared_free(sh);
KIND_TEST_END

/* ---- processes only ------------------------------------------------------------------------ */

static int child_counter;

static brg_status private_writes_task(int64_t i, void *result, void *ctx)
{
    child_counter++;
    *(int *)ctx = 1;
    *(int64_t *)result = i * i;
    return BRG_OK;
}

START_TEST(process_tasks_return_only_what_they_write_to_result)
{
    static int64_t r[300];
    int touched = 0;
    brg_pool *pool = pool_new(BRG_POOL_PROCESSES, 3, 0);
    BRG_ASSERT_OK(brg_pool_map(pool, private_writes_task, &touched, 300, r, sizeof r[0], NULL));
    brg_pool_free(pool);
    assert_squares(r, 300);
    ck_assert_int_eq(touched, 0);
    ck_assert_int_eq(child_counter, 0);
}
END_TEST

static brg_status dying_task(int64_t i, void *result, void *ctx)
{
    if (i == 123) {
        if (*(int *)ctx == SIGKILL) raise(SIGKILL);
        exit(3);
    }
    *(int64_t *)result = i * i;
    return BRG_OK;
}

static void assert_no_child_left(void)
{
    errno = 0;
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
    ck_assert_int_eq(errno, ECHILD);
}

static void check_death(int how, const char *said)
{
    enum { n = 1000 };
    static int64_t r[n];
    memset(r, 0xff, sizeof r);
    brg_pool *pool = pool_new(BRG_POOL_PROCESSES, 4, 0);
    int64_t failed = 0;
    BRG_ASSERT_STATUS(brg_pool_map(pool, dying_task, &how, n, r, sizeof r[0], &failed), BRG_ERR_WORKER);
    ck_assert_int_eq(failed, 123);
    ck_assert_msg(strstr(brg_last_error(), said) && strstr(brg_last_error(), "task 123 failed"),
                  "message: %s", brg_last_error());
    for (int64_t i = 0; i < n; i++) ck_assert(i == 123 || r[i] == i * i || r[i] == -1);
    /* The pool still works after a death. */
    BRG_ASSERT_OK(brg_pool_map(pool, square_task, NULL, n, r, sizeof r[0], NULL));
    assert_squares(r, n);
    brg_pool_free(pool);
    assert_no_child_left();
}

START_TEST(a_process_worker_killed_by_a_signal_is_a_worker_error_at_its_item)
{
    check_death(SIGKILL, "killed by signal 9");
}
END_TEST

START_TEST(a_process_worker_that_calls_exit_is_a_worker_error_at_its_item)
{
    fflush(NULL);
    check_death(0, "exited with status 3");
}
END_TEST

/* A forked worker may use the CPU backend although the parent's worker team
 * does not exist in it: the team is rebuilt in the child (pthread_atfork). */
enum { FORK_ROWS = 64, FORK_COLS = 40000 };

static brg_status cpu_mean_task(int64_t i, void *result, void *ctx)
{
    const double *x = ctx;
    brg_device *dev;
    brg_status st = brg_device_open("cpu", &dev);
    if (st != BRG_OK) return st;
    double means[FORK_ROWS];
    st = brg_mean_rows_f64(dev, x, FORK_ROWS, FORK_COLS, means);
    brg_device_close(dev);
    *(double *)result = means[i % FORK_ROWS];
    return st;
}

START_TEST(process_workers_may_use_the_cpu_backend_after_the_parent_did)
{
    double *x = malloc((size_t)FORK_ROWS * FORK_COLS * sizeof *x), want[FORK_ROWS], got[8];
    ck_assert_ptr_nonnull(x);
    brg_test_fill_f64(x, (int64_t)FORK_ROWS * FORK_COLS, 0, 1, 77);
    brg_device *dev;
    BRG_ASSERT_OK(brg_device_open("cpu", &dev));
    BRG_ASSERT_OK(brg_mean_rows_f64(dev, x, FORK_ROWS, FORK_COLS, want)); /* starts the team */
    brg_device_close(dev);
    brg_pool_options o = {.kind = BRG_POOL_PROCESSES, .workers = 2};
    brg_pool *pool;
    BRG_ASSERT_OK(brg_pool_create(&o, &pool));
    BRG_ASSERT_OK(brg_pool_map(pool, cpu_mean_task, x, 8, got, sizeof got[0], NULL));
    for (int i = 0; i < 8; i++) ck_assert_double_eq(got[i], want[i]);
    brg_pool_free(pool);
    free(x);
}
END_TEST

/* Threads of the calling process, from /proc/self/status ("Threads:"). */
static long thread_count(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    long n = -1;
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %ld", &n) == 1) break;
    if (f) fclose(f);
    return n;
}

/* In a task, a CPU kernel big enough to run on the CPU backend's team runs
 * on the task's thread instead: the result is how many threads the process
 * gained during the call (a forked child starts none). */
static brg_status fill_threads_task(int64_t i, void *result, void *ctx)
{
    (void)i;
    brg_device *dev = ctx;
    enum { N = 1 << 20 };
    double *x = malloc(N * sizeof *x);
    if (!x) return BRG_ERR_OUT_OF_MEMORY;
    long before = thread_count();
    brg_status st = brg_fill_uniform_f64(dev, x, N, 3, NULL);
    *(long *)result = thread_count() - before;
    free(x);
    return st;
}

START_TEST(cpu_kernels_in_a_task_run_on_the_tasks_thread)
{
    brg_device *dev;
    BRG_ASSERT_OK(brg_device_open("cpu", &dev));
    brg_pool_kind kinds[] = {BRG_POOL_PROCESSES, BRG_POOL_SEQUENTIAL, BRG_POOL_THREADS};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        brg_pool *pool = pool_new(kinds[k], 2, 1);
        long gained[4] = {-1, -1, -1, -1};
        BRG_ASSERT_OK(brg_pool_map(pool, fill_threads_task, dev, 4, gained, sizeof gained[0], NULL));
        for (int i = 0; i < 4; i++)
            ck_assert_msg(gained[i] == 0, "kind %d, task %d: %ld threads started", (int)kinds[k], i,
                          gained[i]);
        brg_pool_free(pool);
    }
    brg_device_close(dev);
}
END_TEST

START_TEST(process_maps_leave_no_child_behind)
{
    static int64_t r[500];
    brg_pool *pool = pool_new(BRG_POOL_PROCESSES, 8, 1);
    failing f = {.at = {250, -1, -1}, .status = BRG_ERR_IO};
    BRG_ASSERT_OK(brg_pool_map(pool, square_task, NULL, 500, r, sizeof r[0], NULL));
    assert_no_child_left();
    BRG_ASSERT_STATUS(brg_pool_map(pool, failing_task, &f, 500, r, sizeof r[0], NULL), BRG_ERR_IO);
    assert_no_child_left();
    brg_pool_free(pool);
}
END_TEST

/* ---- every kind after every other, in one process ---------------------------------------- */

/* BRIGADE_TEST_OPENMP (from CMake): 1 when this build has OpenMP pools. The
 * cases below must not probe for it: a probe would start OpenMP first. */
#ifndef BRIGADE_TEST_OPENMP
#error "tests/CMakeLists.txt defines BRIGADE_TEST_OPENMP"
#endif

enum { ORDERS = 24 };

/* Order number 0..23 as a permutation of the four kinds (factorial digits). */
static void order_of(int number, brg_pool_kind order[4])
{
    brg_pool_kind left[4] = {BRG_POOL_SEQUENTIAL, BRG_POOL_THREADS, BRG_POOL_PROCESSES,
                             BRG_POOL_OPENMP};
    int place = 6; /* 3! */
    for (int k = 0, n = 4; k < 4; k++, n--) {
        int pick = number / place;
        number %= place;
        order[k] = left[pick];
        memmove(&left[pick], &left[pick + 1], (size_t)(n - pick - 1) * sizeof left[0]);
        if (n > 1) place /= n - 1;
    }
}

/* Each loop index is one order: sequential, threads, processes and OpenMP
 * maps one after another in one process (with Check's fork, a fresh process
 * per order; without it, the sanitizer builds, all 24 in a row). Each map's
 * results are checked. */
START_TEST(every_order_of_the_four_kinds_runs_in_one_process)
{
    enum { n = 500 };
    static int64_t primes[n];
    brg_pool_kind order[4];
    order_of(_i, order);
    char name[64];
    snprintf(name, sizeof name, "%s, %s, %s, %s", kind_name[order[0]], kind_name[order[1]],
             kind_name[order[2]], kind_name[order[3]]);
    for (int k = 0; k < 4; k++) {
        brg_pool *pool = pool_new(order[k], 3, 0);
        memset(primes, 0xff, sizeof primes);
        brg_status st = brg_pool_map(pool, prime_count_task, NULL, n, primes, sizeof primes[0], NULL);
        brg_pool_free(pool);
        if (order[k] == BRG_POOL_OPENMP && !BRIGADE_TEST_OPENMP) {
            ck_assert_msg(st == BRG_ERR_UNSUPPORTED, "order %s: openmp in a build without it: %s",
                          name, brg_status_str(st));
            continue;
        }
        ck_assert_msg(st == BRG_OK, "order %s: the %s map failed: %s", name, kind_name[order[k]],
                      brg_last_error());
        for (int64_t i = 0; i < n; i++)
            ck_assert_msg(primes[i] == primes_in_block(i), "order %s: %s item %lld", name,
                          kind_name[order[k]], (long long)i);
    }
}
END_TEST

/* The orders are the 24 permutations: each kind once in each, no order twice. */
START_TEST(the_orders_are_the_24_permutations)
{
    int seen[256] = {0};
    for (int number = 0; number < ORDERS; number++) {
        brg_pool_kind order[4];
        order_of(number, order);
        int code = 0, kinds = 0;
        for (int k = 0; k < 4; k++) {
            code = code * 4 + (int)order[k];
            kinds |= 1 << order[k];
        }
        ck_assert_int_eq(kinds, 15);
        ck_assert_int_eq(seen[code]++, 0);
    }
}
END_TEST

/* Start OpenMP in this process (a no-op in builds without it). */
static void start_openmp(void)
{
    int64_t r[64];
    brg_pool *pool = pool_new(BRG_POOL_OPENMP, 2, 0);
    BRG_ASSERT_STATUS(brg_pool_map(pool, square_task, NULL, 64, r, sizeof r[0], NULL),
                      BRIGADE_TEST_OPENMP ? BRG_OK : BRG_ERR_UNSUPPORTED);
    brg_pool_free(pool);
    if (BRIGADE_TEST_OPENMP) assert_squares(r, 64);
}

/* What an OpenMP map returned where a task tried one. */
typedef struct attempt {
    brg_status status;
    char message[400];
} attempt;

/* In a forked child only: end this process with SIGALRM if it is still
 * running after `seconds` (0 cancels), so that a hang becomes a failure.
 * SIGALRM goes back to its default action first: the child inherits Check's
 * handler, which kills the whole process group. */
static void end_child_after(unsigned seconds)
{
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    signal(SIGALRM, SIG_DFL);
    sigprocmask(SIG_UNBLOCK, &alrm, NULL);
    alarm(seconds);
}

/* An OpenMP map, in a forked child only. A map that hangs (libgomp waiting
 * for a team the fork left behind) ends the child with SIGALRM instead. */
static brg_status try_openmp_map(attempt *out)
{
    end_child_after(20);
    brg_pool *pool = NULL;
    brg_pool_options o = {.kind = BRG_POOL_OPENMP, .workers = 2};
    brg_status st = brg_pool_create(&o, &pool);
    int64_t r[8];
    if (st == BRG_OK) st = brg_pool_map(pool, square_task, NULL, 8, r, sizeof r[0], NULL);
    end_child_after(0);
    out->status = st;
    snprintf(out->message, sizeof out->message, "%s", st == BRG_OK ? "" : brg_last_error());
    brg_pool_free(pool);
    return BRG_OK;
}

static brg_status openmp_map_task(int64_t i, void *result, void *ctx)
{
    (void)i;
    (void)ctx;
    return try_openmp_map(result);
}

/* A process task that tries an OpenMP map after the parent started OpenMP is
 * told why (OpenMP, fork) rather than hanging or hearing only the nesting
 * rule; the map itself, and OpenMP in the parent afterwards, work. */
START_TEST(an_openmp_map_in_a_process_task_after_openmp_started_names_openmp)
{
    if (!BRIGADE_TEST_OPENMP) {
        printf("SKIP: an_openmp_map_in_a_process_task_after_openmp_started_names_openmp: "
               "no OpenMP in this build\n");
        return;
    }
    start_openmp();
    static attempt got[3];
    memset(got, 0, sizeof got);
    brg_pool *pool = pool_new(BRG_POOL_PROCESSES, 3, 1);
    BRG_ASSERT_OK(brg_pool_map(pool, openmp_map_task, NULL, 3, got, sizeof got[0], NULL));
    brg_pool_free(pool);
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(got[i].status == BRG_ERR_UNSUPPORTED, "task %d: %s: %s", i,
                      brg_status_str(got[i].status), got[i].message);
        ck_assert_msg(strstr(got[i].message, "OpenMP") && strstr(got[i].message, "fork"),
                      "task %d: %s", i, got[i].message);
    }
    start_openmp(); /* the parent's OpenMP is untouched */
}
END_TEST

/* The application's own fork() after OpenMP started: in the child, an
 * OpenMP map is refused naming OpenMP (not a hang), and the other kinds
 * work, processes included. Exit status: 0, or the step that failed. */
static int child_after_openmp(void)
{
    attempt a;
    try_openmp_map(&a);
    if (a.status != BRG_ERR_UNSUPPORTED || !strstr(a.message, "OpenMP")) return 10;
    const brg_pool_kind others[] = {BRG_POOL_SEQUENTIAL, BRG_POOL_THREADS, BRG_POOL_PROCESSES};
    for (int k = 0; k < 3; k++) {
        int64_t r[100];
        brg_pool_options o = {.kind = others[k], .workers = 2};
        brg_pool *pool = NULL;
        if (brg_pool_create(&o, &pool) != BRG_OK) return 20 + k;
        brg_status st = brg_pool_map(pool, square_task, NULL, 100, r, sizeof r[0], NULL);
        brg_pool_free(pool);
        if (st != BRG_OK) return 30 + k;
        for (int64_t i = 0; i < 100; i++)
            if (r[i] != i * i) return 40 + k;
    }
    return 0;
}

START_TEST(a_child_forked_after_openmp_refuses_only_openmp_maps)
{
    if (!BRIGADE_TEST_OPENMP) {
        printf("SKIP: a_child_forked_after_openmp_refuses_only_openmp_maps: "
               "no OpenMP in this build\n");
        return;
    }
    start_openmp();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) _exit(child_after_openmp());
    ck_assert_int_gt(pid, 0);
    int ws = 0;
    ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
                  "child: %s %d (10: OpenMP not refused; 2x/3x/4x: sequential, threads, "
                  "processes failed)", WIFEXITED(ws) ? "exit status" : "killed by signal",
                  WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws));
    start_openmp();
}
END_TEST

/* A process task may run the CPU top-k (OpenBLAS sgemm in brigade's
 * parallel loops) after the parent ran OpenMP, a threads pool and the same
 * top-k: none of the parent's threads is needed in the child. */
enum { TK_NQ = 6, TK_NB = 3000, TK_DIM = 48, TK_K = 5 };

typedef struct topk_data {
    float q[TK_NQ * TK_DIM], db[TK_NB * TK_DIM];
} topk_data;

typedef struct topk_row {
    float scores[TK_K];
    int64_t indices[TK_K];
} topk_row;

static brg_status cpu_topk_all(const topk_data *d, topk_row rows[TK_NQ])
{
    float scores[TK_NQ * TK_K];
    int64_t indices[TK_NQ * TK_K];
    brg_device *dev;
    brg_status st = brg_device_open("cpu", &dev);
    if (st != BRG_OK) return st;
    st = brg_cosine_topk_f32(dev, d->q, TK_NQ, d->db, TK_NB, TK_DIM, TK_K, NULL, scores, indices);
    brg_device_close(dev);
    for (int q = 0; q < TK_NQ; q++) {
        memcpy(rows[q].scores, scores + q * TK_K, sizeof rows[q].scores);
        memcpy(rows[q].indices, indices + q * TK_K, sizeof rows[q].indices);
    }
    return st;
}

static brg_status cpu_topk_task(int64_t i, void *result, void *ctx)
{
    topk_row rows[TK_NQ];
    end_child_after(60); /* a lock copied held by the fork would hang here */
    brg_status st = cpu_topk_all(ctx, rows);
    end_child_after(0);
    *(topk_row *)result = rows[i % TK_NQ];
    return st;
}

START_TEST(process_workers_may_run_the_cpu_top_k_after_openmp_threads_and_top_k_ran)
{
#if defined(__SANITIZE_THREAD__)
    printf("SKIP: process_workers_may_run_the_cpu_top_k_after_openmp_threads_and_top_k_ran: "
           "ThreadSanitizer forbids threads after a multi-threaded fork\n");
    return;
#endif
    static topk_data d;
    brg_test_fill_f32(d.q, TK_NQ * TK_DIM, -1, 1, 5);
    brg_test_fill_f32(d.db, TK_NB * TK_DIM, -1, 1, 6);
    start_openmp();
    brg_pool *threads = pool_new(BRG_POOL_THREADS, 2, 0);
    int64_t sq[64];
    BRG_ASSERT_OK(brg_pool_map(threads, square_task, NULL, 64, sq, sizeof sq[0], NULL));
    topk_row want[TK_NQ];
    BRG_ASSERT_OK(cpu_topk_all(&d, want));
    static topk_row got[2 * TK_NQ];
    brg_pool *pool = pool_new(BRG_POOL_PROCESSES, 2, 1);
    BRG_ASSERT_OK(brg_pool_map(pool, cpu_topk_task, &d, 2 * TK_NQ, got, sizeof got[0], NULL));
    brg_pool_free(pool);
    brg_pool_free(threads);
    for (int i = 0; i < 2 * TK_NQ; i++)
        for (int j = 0; j < TK_K; j++) {
            ck_assert_int_eq(got[i].indices[j], want[i % TK_NQ].indices[j]);
            ck_assert_float_eq(got[i].scores[j], want[i % TK_NQ].scores[j]);
        }
}
END_TEST

/* Runs after every other test when Check does not fork: the note is for the
 * rest of the process's life. Only GPU runtimes note one; OpenMP does not. */
START_TEST(process_maps_after_a_runtime_that_breaks_fork_are_unsupported)
{
    brg_pool *pool = pool_new(BRG_POOL_PROCESSES, 2, 0);
    brg_pool_note_runtime("CUDA");
    int64_t r[4], failed = 0;
    BRG_ASSERT_STATUS(brg_pool_map(pool, square_task, NULL, 4, r, sizeof r[0], &failed),
                      BRG_ERR_UNSUPPORTED);
    ck_assert_int_eq(failed, -1);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "fork after"));
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "CUDA"));
    brg_pool_free(pool);
}
END_TEST

/* ---- options and arguments --------------------------------------------------------------------- */

START_TEST(bad_options_are_invalid_arguments)
{
    const brg_pool_options bad[] = {
        {.kind = (brg_pool_kind)4}, {.kind = (brg_pool_kind)-1}, {.workers = -1},
        {.workers = 4097},          {.chunk = -1},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        brg_pool *pool = (brg_pool *)&pool;
        BRG_ASSERT_STATUS(brg_pool_create(&bad[k], &pool), BRG_ERR_INVALID_ARG);
        ck_assert_ptr_null(pool);
    }
    BRG_ASSERT_STATUS(brg_pool_create(NULL, NULL), BRG_ERR_INVALID_ARG);
    brg_pool_options edge = {.kind = BRG_POOL_SEQUENTIAL, .workers = 4096};
    brg_pool *pool;
    BRG_ASSERT_OK(brg_pool_create(&edge, &pool));
    brg_pool_free(pool);
    brg_pool_free(NULL);
}
END_TEST

START_TEST(bad_map_arguments_are_invalid_or_overflow)
{
    brg_pool *pool = pool_new(BRG_POOL_SEQUENTIAL, 0, 0);
    int64_t r[4], failed = 5;
    BRG_ASSERT_STATUS(brg_pool_map(NULL, square_task, NULL, 4, r, 8, &failed), BRG_ERR_INVALID_ARG);
    ck_assert_int_eq(failed, -1);
    BRG_ASSERT_STATUS(brg_pool_map(pool, NULL, NULL, 4, r, 8, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_pool_map(pool, square_task, NULL, -1, r, 8, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_pool_map(pool, square_task, NULL, 4, NULL, 8, NULL), BRG_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "results is NULL"));
    BRG_ASSERT_STATUS(brg_pool_map(pool, square_task, NULL, INT64_MAX, r, 16, NULL), BRG_ERR_OVERFLOW);
    BRG_ASSERT_STATUS(brg_pool_map(pool, square_task, NULL, INT64_MAX / 2, r, 5, NULL), BRG_ERR_OVERFLOW);
    brg_pool_free(pool);
}
END_TEST

START_TEST(zero_options_mean_threads_on_every_online_core)
{
    enum { n = 4096 };
    static int64_t r[n];
    shared *sh = shared_new();
    init_ctx c = {.sh = sh, .map = 1};
    brg_pool_options o = {.worker_init = counting_init};
    brg_pool *pool;
    BRG_ASSERT_OK(brg_pool_create(&o, &pool));
    BRG_ASSERT_OK(brg_pool_map(pool, report_init_task, &c, n, r, sizeof r[0], NULL));
    brg_pool_free(pool);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    ck_assert_int_eq(atomic_load(&sh->inits), cores);
    /* The calling thread is worker 0 of a threads map; the others are the
     * pool's threads, each with its own init. */
    ck_assert_int_eq(init_mark, 1 * 10000 + 0 + 1);
    for (int64_t i = 0; i < n; i++) /* every task ran after its worker's init */
        ck_assert(r[i] > 10000 && r[i] <= 10000 + cores);
    init_mark = 0;
    BRG_ASSERT_OK(brg_pool_create(NULL, &pool));
    BRG_ASSERT_OK(brg_pool_map(pool, square_task, NULL, n, r, sizeof r[0], NULL));
    brg_pool_free(pool);
    assert_squares(r, n);
    shared_free(sh);
}
END_TEST

/* The test forks by itself here: the child's copy of a threads pool has no
 * threads (and maybe a held lock), so it must refuse maps, not hang. */
START_TEST(a_pool_copied_by_fork_refuses_maps_in_the_child)
{
    int64_t r[16];
    brg_pool *pool = pool_new(BRG_POOL_THREADS, 2, 0);
    BRG_ASSERT_OK(brg_pool_map(pool, square_task, NULL, 16, r, sizeof r[0], NULL));
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        brg_status st = brg_pool_map(pool, square_task, NULL, 16, r, sizeof r[0], NULL);
        brg_pool_free(pool);
        _exit(st == BRG_ERR_UNSUPPORTED ? 0 : 1);
    }
    ck_assert_int_gt(pid, 0);
    int ws = 0;
    ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "child wait status %d", ws);
    memset(r, 0xff, sizeof r);
    BRG_ASSERT_OK(brg_pool_map(pool, square_task, NULL, 16, r, sizeof r[0], NULL));
    assert_squares(r, 16);
    brg_pool_free(pool);
}
END_TEST

/* Fail the k-th allocation for k = 1, 2, ... until the call succeeds: each
 * failure is BRG_ERR_OUT_OF_MEMORY and (under ASan) leaks nothing. */
START_TEST(allocation_failures_are_out_of_memory)
{
    const brg_pool_kind kinds[] = {BRG_POOL_THREADS, BRG_POOL_SEQUENTIAL, BRG_POOL_PROCESSES};
    for (int k = 0; k < 3; k++) {
        brg_pool_options o = {.kind = kinds[k], .workers = 2};
        brg_pool *pool = NULL;
        brg_status st;
        for (long nth = 1;; nth++) {
            brg_test_fail_alloc_after(nth);
            st = brg_pool_create(&o, &pool);
            brg_test_fail_alloc_after(0);
            if (st == BRG_OK) break;
            ck_assert_int_eq(st, BRG_ERR_OUT_OF_MEMORY);
            ck_assert_ptr_null(pool);
        }
        int64_t r[8];
        brg_test_fail_alloc_after(1);
        st = brg_pool_map(pool, square_task, NULL, 8, r, sizeof r[0], NULL);
        brg_test_fail_alloc_after(0);
        /* Only the process kind allocates per map. */
        ck_assert_int_eq(st, kinds[k] == BRG_POOL_PROCESSES ? BRG_ERR_OUT_OF_MEMORY : BRG_OK);
        brg_pool_free(pool);
    }
}
END_TEST

/* ---- the suite ------------------------------------------------------------------------------ */

static void add_kind(Suite *s, brg_pool_kind kind)
{
    TCase *tc = tcase_create(kind_name[kind]);
    int a = (int)kind, b = (int)kind + 1;
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, each_kind_returns_the_sequential_result, a, b);
    tcase_add_loop_test(tc, chunk_sizes_1_7_and_n_give_the_same_results, a, b);
    tcase_add_loop_test(tc, n_zero_is_a_no_op, a, b);
    tcase_add_loop_test(tc, null_results_with_zero_result_size_run_every_task, a, b);
    tcase_add_loop_test(tc, more_workers_than_items_runs_each_item_once, a, b);
    tcase_add_loop_test(tc, a_pool_runs_many_maps, a, b);
    tcase_add_loop_test(tc, maps_from_two_threads_on_one_pool_are_serialised, a, b);
    tcase_add_loop_test(tc, a_failing_task_returns_its_status_and_index, a, b);
    tcase_add_loop_test(tc, several_failures_report_the_lowest_index, a, b);
    tcase_add_loop_test(tc, a_failing_task_keeps_its_own_message, a, b);
    tcase_add_loop_test(tc, progress_is_called_from_the_calling_thread_and_ends_at_total, a, b);
    tcase_add_loop_test(tc, worker_init_runs_once_per_worker_per_map_before_its_tasks, a, b);
    tcase_add_loop_test(tc, a_failing_worker_init_returns_its_status_with_index_minus_one, a, b);
    tcase_add_loop_test(tc, a_map_inside_a_task_is_an_invalid_argument, a, b);
    tcase_add_loop_test(tc, a_map_inside_a_progress_callback_is_an_invalid_argument, a, b);
    if (kind != BRG_POOL_SEQUENTIAL)
        tcase_add_loop_test(tc, tasks_that_wait_overlap_on_more_workers_than_cores, a, b);
    if (kind == BRG_POOL_PROCESSES) {
        tcase_add_test(tc, process_tasks_return_only_what_they_write_to_result);
        tcase_add_test(tc, a_process_worker_killed_by_a_signal_is_a_worker_error_at_its_item);
        tcase_add_test(tc, a_process_worker_that_calls_exit_is_a_worker_error_at_its_item);
        tcase_add_test(tc, process_maps_leave_no_child_behind);
        tcase_add_test(tc, process_workers_may_use_the_cpu_backend_after_the_parent_did);
        tcase_add_test(tc, cpu_kernels_in_a_task_run_on_the_tasks_thread);
    }
    suite_add_tcase(s, tc);
}

static Suite *pool_suite(void)
{
    Suite *s = suite_create("pool");
    TCase *api = tcase_create("api");
    tcase_set_timeout(api, 300);
    tcase_add_test(api, bad_options_are_invalid_arguments);
    tcase_add_test(api, bad_map_arguments_are_invalid_or_overflow);
    tcase_add_test(api, zero_options_mean_threads_on_every_online_core);
    tcase_add_test(api, allocation_failures_are_out_of_memory);
    tcase_add_test(api, a_pool_copied_by_fork_refuses_maps_in_the_child);
    suite_add_tcase(s, api);
    add_kind(s, BRG_POOL_SEQUENTIAL);
    add_kind(s, BRG_POOL_THREADS);
    add_kind(s, BRG_POOL_PROCESSES);
    TCase *orders = tcase_create("orders");
    tcase_set_timeout(orders, 300);
    tcase_add_test(orders, the_orders_are_the_24_permutations);
    tcase_add_loop_test(orders, every_order_of_the_four_kinds_runs_in_one_process, 0, ORDERS);
    tcase_add_test(orders, an_openmp_map_in_a_process_task_after_openmp_started_names_openmp);
    tcase_add_test(orders, a_child_forked_after_openmp_refuses_only_openmp_maps);
    tcase_add_test(orders, process_workers_may_run_the_cpu_top_k_after_openmp_threads_and_top_k_ran);
    suite_add_tcase(s, orders);
    add_kind(s, BRG_POOL_OPENMP);
    TCase *fork_safety = tcase_create("fork_safety");
    tcase_add_test(fork_safety, process_maps_after_a_runtime_that_breaks_fork_are_unsupported);
    suite_add_tcase(s, fork_safety);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pool_suite());
    srunner_run_all(sr, CK_ENV); /* CK_VERBOSITY=verbose lists every case */
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

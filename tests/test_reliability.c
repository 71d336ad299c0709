/* Reliability on one device: many threads at once, devices opened and
 * closed concurrently, per-thread errors, and every allocation failing in
 * turn (the test-only hook in src/core/alloc.c). Run under ASan in CI, so a leak
 * on any failure path fails the suite. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "harness.h"

enum { THREADS = 16 };

/* ---- the calls under test, with their serial answers ---------------------------- */

typedef struct workload {
    int64_t rows, cols, nq, nb, dim, k;
    double *x;
    float *xf, *q, *db;
    /* serial answers */
    double *rows_f64, *chunks_f64;
    float *rows_f32, *scores;
    int64_t *indices;
} workload;

static void workload_init(workload *w)
{
    w->rows = brg_test_is_emu() ? 37 : 301;
    w->cols = 257;
    w->nq = 9;
    w->nb = brg_test_is_emu() ? 150 : 700;
    w->dim = 24;
    w->k = 5;
    size_t n = (size_t)(w->rows * w->cols);
    w->x = malloc(n * sizeof *w->x);
    w->xf = malloc(n * sizeof *w->xf);
    w->q = malloc((size_t)(w->nq * w->dim) * sizeof *w->q);
    w->db = malloc((size_t)(w->nb * w->dim) * sizeof *w->db);
    w->rows_f64 = malloc((size_t)w->rows * sizeof(double));
    w->chunks_f64 = malloc(7 * sizeof(double));
    w->rows_f32 = malloc((size_t)w->rows * sizeof(float));
    w->scores = malloc((size_t)(w->nq * w->k) * sizeof(float));
    w->indices = malloc((size_t)(w->nq * w->k) * sizeof(int64_t));
    brg_test_fill_f64(w->x, (int64_t)n, -1, 1, 3);
    brg_test_fill_f32(w->xf, (int64_t)n, -1, 1, 4);
    brg_test_fill_f32(w->q, w->nq * w->dim, -1, 1, 5);
    brg_test_fill_f32(w->db, w->nb * w->dim, -1, 1, 6);
    BRG_ASSERT_OK(brg_mean_rows_f64(brg_test_dev, w->x, w->rows, w->cols, w->rows_f64));
    BRG_ASSERT_OK(brg_mean_rows_f32(brg_test_dev, w->xf, w->rows, w->cols, w->rows_f32));
    BRG_ASSERT_OK(brg_mean_chunks_f64(brg_test_dev, w->x, w->rows * w->cols, 7, w->chunks_f64));
    BRG_ASSERT_OK(brg_cosine_topk_f32(brg_test_dev, w->q, w->nq, w->db, w->nb, w->dim, w->k, NULL,
                                      w->scores, w->indices));
}

static void workload_free(workload *w)
{
    free(w->x);
    free(w->xf);
    free(w->q);
    free(w->db);
    free(w->rows_f64);
    free(w->chunks_f64);
    free(w->rows_f32);
    free(w->scores);
    free(w->indices);
}

/* Every helper once, compared bit for bit with the serial answers; returns
 * a description of the first difference, or NULL. */
static const char *run_all_helpers(brg_device *dev, const workload *w)
{
    static _Thread_local char why[256];
    double *d = malloc((size_t)w->rows * sizeof *d), ch[7];
    float *f = malloc((size_t)w->rows * sizeof *f), *s = malloc((size_t)(w->nq * w->k) * sizeof *s);
    int64_t *i = malloc((size_t)(w->nq * w->k) * sizeof *i);
    const char *bad = NULL;
    if (!d || !f || !s || !i) bad = "out of memory in the test";
    if (!bad && (brg_mean_rows_f64(dev, w->x, w->rows, w->cols, d) != BRG_OK ||
                 memcmp(d, w->rows_f64, (size_t)w->rows * sizeof *d)))
        bad = "brg_mean_rows_f64";
    if (!bad && (brg_mean_rows_f32(dev, w->xf, w->rows, w->cols, f) != BRG_OK ||
                 memcmp(f, w->rows_f32, (size_t)w->rows * sizeof *f)))
        bad = "brg_mean_rows_f32";
    if (!bad && (brg_mean_chunks_f64(dev, w->x, w->rows * w->cols, 7, ch) != BRG_OK ||
                 memcmp(ch, w->chunks_f64, sizeof ch)))
        bad = "brg_mean_chunks_f64";
    if (!bad && (brg_cosine_topk_f32(dev, w->q, w->nq, w->db, w->nb, w->dim, w->k, NULL, s, i) != BRG_OK ||
                 memcmp(s, w->scores, (size_t)(w->nq * w->k) * sizeof *s) ||
                 memcmp(i, w->indices, (size_t)(w->nq * w->k) * sizeof *i)))
        bad = "brg_cosine_topk_f32";
    if (bad) {
        snprintf(why, sizeof why, "%s differs or failed: %s", bad, brg_last_error());
        bad = why;
    }
    free(d);
    free(f);
    free(s);
    free(i);
    return bad;
}

typedef struct thread_arg {
    brg_device *dev;
    const workload *w;
    int rounds;
    const char *failure;
} thread_arg;

static void *helpers_thread(void *p)
{
    thread_arg *a = p;
    for (int r = 0; r < a->rounds && !a->failure; r++) a->failure = run_all_helpers(a->dev, a->w);
    return NULL;
}

START_TEST(sixteen_threads_on_one_device_get_the_serial_answers)
{
    workload w;
    workload_init(&w);
    pthread_t t[THREADS];
    thread_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (thread_arg){brg_test_dev, &w, brg_test_is_emu() ? 1 : 3, NULL};
        ck_assert_int_eq(pthread_create(&t[i], NULL, helpers_thread, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        ck_assert_msg(args[i].failure == NULL, "thread %d: %s", i, args[i].failure);
    workload_free(&w);
}
END_TEST

/* Searches of one index from many threads at once (limits.md: "searches
 * of one index may run concurrently"), each equal to the one-call helper's
 * serial answer. */
typedef struct search_arg {
    brg_index *ix;
    const workload *w;
    int rounds;
    const char *failure;
} search_arg;

static void *search_thread(void *p)
{
    search_arg *a = p;
    static _Thread_local char why[256];
    const workload *w = a->w;
    float *s = malloc((size_t)(w->nq * w->k) * sizeof *s);
    int64_t *i = malloc((size_t)(w->nq * w->k) * sizeof *i);
    if (!s || !i) a->failure = "out of memory in the test";
    for (int r = 0; r < a->rounds && !a->failure; r++) {
        if (brg_index_search(a->ix, w->q, w->nq, w->k, NULL, s, i) != BRG_OK) {
            snprintf(why, sizeof why, "brg_index_search failed: %s", brg_last_error());
            a->failure = why;
        } else if (memcmp(s, w->scores, (size_t)(w->nq * w->k) * sizeof *s) ||
                   memcmp(i, w->indices, (size_t)(w->nq * w->k) * sizeof *i)) {
            a->failure = "brg_index_search differs from the serial answer";
        }
    }
    free(s);
    free(i);
    return NULL;
}

START_TEST(sixteen_threads_search_one_index_at_once)
{
    workload w;
    workload_init(&w);
    brg_index *ix;
    BRG_ASSERT_OK(brg_index_create(brg_test_dev, w.db, w.nb, w.dim, BRG_METRIC_COSINE, &ix));
    pthread_t t[THREADS];
    search_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (search_arg){ix, &w, brg_test_is_emu() ? 1 : 4, NULL};
        ck_assert_int_eq(pthread_create(&t[i], NULL, search_thread, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        ck_assert_msg(args[i].failure == NULL, "thread %d: %s", i, args[i].failure);
    brg_index_free(ix);
    workload_free(&w);
}
END_TEST

/* brigade's CPU threads block every signal (limits.md), so a signal
 * sent to the process while the calling thread blocks it stays pending
 * until that thread unblocks it, and the handler then runs there; had any
 * worker left it unblocked, the kernel would have run the handler on that
 * worker at once. */
static volatile sig_atomic_t usr1_count;
static pthread_t usr1_thread;

static void on_usr1(int sig)
{
    (void)sig;
    usr1_thread = pthread_self();
    usr1_count++;
}

START_TEST(cpu_worker_threads_never_take_the_applications_signals)
{
    if (brg_device_get_kind(brg_test_dev) != BRG_DEVICE_CPU) return; /* the CPU's team only */
    /* OpenBLAS (pthreads build) starts its own threads when it is loaded,
     * before main, with every signal unblocked: they would take it
     * (limits.md). ctest and make valgrind run this suite with one. */
    const char *blas = getenv("OPENBLAS_NUM_THREADS");
    if (!blas || strcmp(blas, "1") != 0) {
        printf("SKIP: cpu_worker_threads_never_take_the_applications_signals: needs "
               "OPENBLAS_NUM_THREADS=1 (OpenBLAS's own threads take signals)\n");
        return;
    }
    workload w;
    workload_init(&w); /* runs every kernel: the team exists from here */
    struct sigaction sa, old_sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(SIGUSR1, &sa, &old_sa), 0);
    sigset_t usr1, old_mask;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &usr1, &old_mask), 0);
    usr1_count = 0;
    for (int r = 0; r < 3; r++) { /* while the team works, and while it idles */
        ck_assert_int_eq(kill(getpid(), SIGUSR1), 0);
        ck_assert_ptr_null(run_all_helpers(brg_test_dev, &w));
    }
    ck_assert_int_eq(usr1_count, 0);
    sigset_t pending;
    ck_assert_int_eq(sigpending(&pending), 0);
    ck_assert_int_eq(sigismember(&pending, SIGUSR1), 1);
    ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, &old_mask, NULL), 0);
    ck_assert_int_eq(usr1_count, 1); /* standard signals do not queue */
    ck_assert(pthread_equal(usr1_thread, pthread_self()));
    ck_assert_int_eq(sigaction(SIGUSR1, &old_sa, NULL), 0);
    workload_free(&w);
}
END_TEST

static void *open_close_thread(void *p)
{
    thread_arg *a = p;
    for (int r = 0; r < 50 && !a->failure; r++) {
        brg_device *dev;
        if (brg_device_open(brg_test_spec, &dev) != BRG_OK) {
            a->failure = "open failed";
            break;
        }
        int64_t n = 16;
        brg_tensor *t;
        if (brg_tensor_create(dev, BRG_F32, 1, &n, &t) != BRG_OK) a->failure = "tensor failed";
        brg_device_close(dev); /* the tensor keeps the device alive */
        if (!a->failure) {
            float h[16] = {0};
            if (brg_tensor_copy_from_host(t, h, sizeof h) != BRG_OK) a->failure = "copy failed";
            brg_tensor_free(t);
        }
    }
    return NULL;
}

START_TEST(devices_open_and_close_concurrently)
{
    pthread_t t[THREADS];
    thread_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (thread_arg){NULL, NULL, 0, NULL};
        ck_assert_int_eq(pthread_create(&t[i], NULL, open_close_thread, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++) ck_assert_msg(!args[i].failure, "thread %d: %s", i, args[i].failure);
}
END_TEST

typedef struct error_arg {
    int which;
    int ok;
    pthread_barrier_t *gate;
} error_arg;

static void *error_thread(void *p)
{
    error_arg *a = p;
    double x = 1, out;
    if (a->which)
        brg_mean_rows_f64(NULL, &x, 1, 1, &out);           /* dev is NULL */
    else
        brg_mean_chunks_f64(brg_test_dev, &x, 1, 0, &out); /* chunks is 0 */
    pthread_barrier_wait(a->gate); /* both errors raised before either is read */
    const char *msg = brg_last_error();
    a->ok = strstr(msg, a->which ? "dev is NULL" : "chunks must be") != NULL;
    return NULL;
}

START_TEST(last_error_stays_per_thread)
{
    pthread_barrier_t gate;
    pthread_barrier_init(&gate, NULL, 2);
    error_arg a[2] = {{0, 0, &gate}, {1, 0, &gate}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++) ck_assert_int_eq(pthread_create(&t[i], NULL, error_thread, &a[i]), 0);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&gate);
    ck_assert(a[0].ok && a[1].ok);
}
END_TEST

/* ---- fault injection ------------------------------------------------------------- */

typedef brg_status (*call_fn)(const workload *w);

static brg_status call_mean_rows(const workload *w)
{
    double *out = malloc((size_t)w->rows * sizeof *out);
    brg_status st = brg_mean_rows_f64(brg_test_dev, w->x, w->rows, w->cols, out);
    free(out);
    return st;
}

static brg_status call_topk(const workload *w)
{
    float s[64 * 5];
    int64_t i[64 * 5];
    return brg_cosine_topk_f32(brg_test_dev, w->q, w->nq, w->db, w->nb, w->dim, w->k, NULL, s, i);
}

static brg_status call_index(const workload *w)
{
    brg_index *ix;
    brg_status st = brg_index_create(brg_test_dev, w->db, w->nb, w->dim, BRG_METRIC_COSINE, &ix);
    if (st != BRG_OK) return st;
    float s[64 * 5];
    int64_t i[64 * 5];
    st = brg_index_search(ix, w->q, w->nq, w->k, NULL, s, i);
    brg_index_free(ix);
    return st;
}

static brg_status call_tensors(const workload *w)
{
    int64_t shape[2] = {w->rows, w->cols};
    brg_tensor *x = NULL, *v = NULL, *out = NULL;
    brg_status st = brg_tensor_from_host(brg_test_dev, BRG_F64, 2, shape, w->x,
                                         (size_t)(w->rows * w->cols) * sizeof(double), &x);
    int64_t flat[1] = {-1};
    if (st == BRG_OK) st = brg_tensor_reshape(x, 1, flat, &v);
    if (st == BRG_OK) st = brg_tensor_create(brg_test_dev, BRG_F64, 1, &w->rows, &out);
    if (st == BRG_OK) st = brg_mean_rows(x, out);
    brg_tensor_free(out);
    brg_tensor_free(v);
    brg_tensor_free(x);
    return st;
}

static brg_status call_open(const workload *w)
{
    (void)w;
    brg_device *dev;
    brg_status st = brg_device_open(brg_test_spec, &dev);
    brg_device_close(dev);
    return st;
}

/* Fail the 1st, 2nd, ... host allocation of the call until it succeeds:
 * every failure must be BRG_ERR_OUT_OF_MEMORY (leaks show under ASan). */
static void fail_each_allocation(const char *name, call_fn call, const workload *w,
                                 int must_allocate)
{
    int succeeded = 0;
    for (long n = 1; n < 10000 && !succeeded; n++) {
        brg_test_fail_alloc_after(n);
        brg_status st = call(w);
        brg_test_fail_alloc_after(0);
        if (st == BRG_OK) {
            succeeded = 1;
            ck_assert_msg(n > 1 || !must_allocate, "%s allocates nothing through the hook", name);
        } else {
            ck_assert_msg(st == BRG_ERR_OUT_OF_MEMORY, "%s with allocation %ld failing: %s (%s)", name,
                          n, brg_status_str(st), brg_last_error());
        }
    }
    ck_assert_msg(succeeded, "%s never succeeded", name);
}

START_TEST(every_allocation_failure_is_out_of_memory)
{
    workload w;
    workload_init(&w);
    int cpu = brg_device_get_kind(brg_test_dev) == BRG_DEVICE_CPU;
    fail_each_allocation("device open", call_open, &w, 1);
    fail_each_allocation("tensors and mean of rows", call_tensors, &w, 1);
    fail_each_allocation("mean of rows", call_mean_rows, &w, 0);
    fail_each_allocation("top-k", call_topk, &w, cpu);
    fail_each_allocation("index", call_index, &w, 1);
    workload_free(&w);
}
END_TEST

static Suite *reliability_suite(void)
{
    Suite *s = suite_create("reliability");
    TCase *tc = tcase_create("reliability");
    brg_test_use_device(tc);
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, sixteen_threads_on_one_device_get_the_serial_answers);
    tcase_add_test(tc, devices_open_and_close_concurrently);
    tcase_add_test(tc, last_error_stays_per_thread);
    tcase_add_test(tc, sixteen_threads_search_one_index_at_once);
    tcase_add_test(tc, cpu_worker_threads_never_take_the_applications_signals);
    tcase_add_test(tc, every_allocation_failure_is_out_of_memory);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    return brg_test_main(argc, argv, reliability_suite);
}

/* The scratch cache behind the CPU device's workspace (cpu_ref/scratch.h):
 * blocks come back for reuse, the byte and slot limits hold, and blocks
 * that do not fit are freed (ASan and valgrind see any leak). */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scratch.h"
#include "harness.h"

START_TEST(scratch_reuses_a_block_given_back)
{
    brg_scratch_cache *c = brg_scratch_cache_new(1 << 20);
    ck_assert_ptr_nonnull(c);
    size_t cap = 0;
    char *a = brg_scratch_take(c, 1000, &cap);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_ge(cap, 1000);
    ck_assert_uint_eq((uintptr_t)a % 64, 0);
    memset(a, 1, cap);
    brg_scratch_give(c, a);
    size_t cap2 = 0;
    char *b = brg_scratch_take(c, 600, &cap2); /* smaller: the kept block serves */
    ck_assert_ptr_eq(b, a);
    ck_assert_uint_eq(cap2, cap);
    size_t cap3 = 0;
    char *d = brg_scratch_take(c, 600, &cap3); /* taken: a fresh block */
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_ne(d, a);
    memset(d, 2, cap3);
    brg_scratch_give(c, b);
    brg_scratch_give(c, d);
    brg_scratch_give(c, NULL);
    brg_scratch_cache_free(c);
    brg_scratch_cache_free(NULL);
}
END_TEST

START_TEST(scratch_keeps_within_its_limits)
{
    brg_scratch_cache *c = brg_scratch_cache_new(10000);
    size_t cap[8];
    char *p[8];
    /* beyond the byte limit: freed on give, so the next take is fresh */
    p[0] = brg_scratch_take(c, 20000, &cap[0]);
    brg_scratch_give(c, p[0]);
    size_t got;
    char *q = brg_scratch_take(c, 100, &got);
    ck_assert_uint_eq(got, 100); /* not the 20000-byte block */
    brg_scratch_give(c, q);
    /* more blocks than slots: all given back, at most BRG_SCRATCH_SLOTS kept
     * (a kept block is known by its capacity: fresh ones are exactly 1000) */
    for (int i = 0; i < 8; i++) p[i] = brg_scratch_take(c, 2000 + (size_t)i, &cap[i]);
    for (int i = 0; i < 8; i++) brg_scratch_give(c, p[i]);
    int kept = 0;
    for (int i = 0; i < 8; i++) {
        p[i] = brg_scratch_take(c, 1000, &cap[i]);
        ck_assert_ptr_nonnull(p[i]);
        kept += cap[i] != 1000;
    }
    ck_assert_int_le(kept, BRG_SCRATCH_SLOTS);
    ck_assert_int_ge(kept, 1);
    for (int i = 0; i < 8; i++) brg_scratch_give(c, p[i]);
    /* a larger block given back displaces smaller ones rather than being lost */
    char *big = brg_scratch_take(c, 9000, &got);
    brg_scratch_give(c, big);
    char *again = brg_scratch_take(c, 8000, &got);
    ck_assert_ptr_eq(again, big);
    brg_scratch_give(c, again);
    brg_scratch_cache_free(c);
}
END_TEST

static void *taker(void *arg)
{
    brg_scratch_cache *c = arg;
    for (int i = 0; i < 2000; i++) {
        size_t cap;
        char *p = brg_scratch_take(c, 256 + (size_t)(i % 7) * 64, &cap);
        if (!p) return (void *)1;
        memset(p, i & 0xff, cap); /* two takers sharing a block would race here */
        brg_scratch_give(c, p);
    }
    return NULL;
}

START_TEST(scratch_serves_many_threads)
{
    brg_scratch_cache *c = brg_scratch_cache_new(1 << 16);
    pthread_t t[8];
    for (int i = 0; i < 8; i++) ck_assert_int_eq(pthread_create(&t[i], NULL, taker, c), 0);
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(t[i], &r);
        ck_assert_ptr_null(r);
    }
    brg_scratch_cache_free(c);
}
END_TEST

typedef struct hammer {
    brg_scratch_cache *cache;
    atomic_int stop;
} hammer;

static void *hammer_main(void *arg)
{
    hammer *h = arg;
    for (unsigned i = 0; !atomic_load_explicit(&h->stop, memory_order_relaxed); i++) {
        size_t cap;
        char *p = brg_scratch_take(h->cache, 128 + (i % 5) * 64, &cap);
        if (p) p[0] = 1;
        brg_scratch_give(h->cache, p);
    }
    return NULL;
}

/* A child forked while other threads take and give blocks (a process
 * pool's task calling a CPU kernel) must be able to use the cache: it
 * holds no lock that the fork could copy held (a cache with a mutex hung
 * here within 100 forks). */
START_TEST(scratch_works_in_a_child_forked_mid_use)
{
    hammer h = {.cache = brg_scratch_cache_new(1 << 16)};
    atomic_init(&h.stop, 0);
    pthread_t t[3];
    for (int i = 0; i < 3; i++) ck_assert_int_eq(pthread_create(&t[i], NULL, hammer_main, &h), 0);
    int hung = 0, failed = 0;
    for (int f = 0; f < 100 && !hung; f++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            for (int i = 0; i < 50; i++) {
                size_t cap;
                char *p = brg_scratch_take(h.cache, 256, &cap);
                if (!p) _exit(2);
                memset(p, 3, cap);
                brg_scratch_give(h.cache, p);
            }
            _exit(0);
        }
        int status = 0;
        struct timespec nap = {0, 1000000};
        int waited = 0;
        while (waitpid(pid, &status, WNOHANG) == 0) {
            if (++waited > 5000) { /* 5 s: the child is stuck */
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                hung = 1;
                break;
            }
            nanosleep(&nap, NULL);
        }
        if (!hung && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) failed++;
    }
    atomic_store(&h.stop, 1);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    brg_scratch_cache_free(h.cache);
    ck_assert_msg(!hung, "a forked child hung in the scratch cache");
    ck_assert_int_eq(failed, 0);
}
END_TEST

static Suite *scratch_suite(void)
{
    Suite *s = suite_create("scratch");
    TCase *tc = tcase_create("scratch");
    tcase_set_timeout(tc, 120); /* forks under a loaded machine (ctest -j) */
    tcase_add_test(tc, scratch_reuses_a_block_given_back);
    tcase_add_test(tc, scratch_keeps_within_its_limits);
    tcase_add_test(tc, scratch_serves_many_threads);
    tcase_add_test(tc, scratch_works_in_a_child_forked_mid_use);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    return brg_test_main(argc, argv, scratch_suite);
}

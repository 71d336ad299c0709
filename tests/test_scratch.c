/* The scratch cache behind the CPU device's workspace (src/scratch.h):
 * blocks come back for reuse, the byte and slot limits hold, and blocks
 * that do not fit are freed (ASan and valgrind see any leak). */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "../src/scratch.h"
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
    brg_scratch_give(c, a, cap);
    size_t cap2 = 0;
    char *b = brg_scratch_take(c, 600, &cap2); /* smaller: the kept block serves */
    ck_assert_ptr_eq(b, a);
    ck_assert_uint_eq(cap2, cap);
    size_t cap3 = 0;
    char *d = brg_scratch_take(c, 600, &cap3); /* taken: a fresh block */
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_ne(d, a);
    memset(d, 2, cap3);
    brg_scratch_give(c, b, cap2);
    brg_scratch_give(c, d, cap3);
    brg_scratch_give(c, NULL, 0);
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
    brg_scratch_give(c, p[0], cap[0]);
    size_t got;
    char *q = brg_scratch_take(c, 100, &got);
    ck_assert_uint_eq(got, 100); /* not the 20000-byte block */
    brg_scratch_give(c, q, got);
    /* more blocks than slots: all given back, at most BRG_SCRATCH_SLOTS kept
     * (a kept block is known by its capacity: fresh ones are exactly 1000) */
    for (int i = 0; i < 8; i++) p[i] = brg_scratch_take(c, 2000 + (size_t)i, &cap[i]);
    for (int i = 0; i < 8; i++) brg_scratch_give(c, p[i], cap[i]);
    int kept = 0;
    for (int i = 0; i < 8; i++) {
        p[i] = brg_scratch_take(c, 1000, &cap[i]);
        ck_assert_ptr_nonnull(p[i]);
        kept += cap[i] != 1000;
    }
    ck_assert_int_le(kept, BRG_SCRATCH_SLOTS);
    ck_assert_int_ge(kept, 1);
    for (int i = 0; i < 8; i++) brg_scratch_give(c, p[i], cap[i]);
    /* a larger block given back displaces smaller ones rather than being lost */
    char *big = brg_scratch_take(c, 9000, &got);
    brg_scratch_give(c, big, got);
    char *again = brg_scratch_take(c, 8000, &got);
    ck_assert_ptr_eq(again, big);
    brg_scratch_give(c, again, got);
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
        brg_scratch_give(c, p, cap);
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

static Suite *scratch_suite(void)
{
    Suite *s = suite_create("scratch");
    TCase *tc = tcase_create("scratch");
    tcase_add_test(tc, scratch_reuses_a_block_given_back);
    tcase_add_test(tc, scratch_keeps_within_its_limits);
    tcase_add_test(tc, scratch_serves_many_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    return brg_test_main(argc, argv, scratch_suite);
}

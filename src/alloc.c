#include "alloc.h"

#include <stdatomic.h>
#include <stdlib.h>

static atomic_long alloc_count;
static atomic_long fail_at; /* 0: never fail */

static int should_fail(void)
{
    long limit = atomic_load_explicit(&fail_at, memory_order_relaxed);
    long n = atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed) + 1;
    return limit > 0 && n >= limit;
}

long brg_test_fail_alloc_after(long n)
{
    long counted = atomic_exchange(&alloc_count, 0);
    atomic_store(&fail_at, n > 0 ? n : 0);
    return counted;
}

void *brg_malloc(size_t bytes)
{
    if (should_fail()) return NULL;
    return malloc(bytes ? bytes : 1);
}

void *brg_calloc(size_t count, size_t size)
{
    if (should_fail()) return NULL;
    if (count == 0 || size == 0) return calloc(1, 1);
    return calloc(count, size);
}

void *brg_aligned_alloc(size_t bytes)
{
    if (should_fail()) return NULL;
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) return NULL;
    return p;
}

void brg_aligned_free(void *p)
{
    free(p);
}

void brg_free(void *p)
{
    free(p);
}

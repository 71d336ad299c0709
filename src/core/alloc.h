/* Private: host allocations. Every host allocation brigade makes goes through
 * these, so that tests can fail the N-th one (fault injection). */
#ifndef BRG_ALLOC_H
#define BRG_ALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* malloc/calloc/free with the test hook; brg_malloc(0) returns a unique pointer. */
void *brg_malloc(size_t bytes);
void *brg_calloc(size_t count, size_t size);
/* 64-byte aligned allocation for data buffers; release with brg_aligned_free. */
void *brg_aligned_alloc(size_t bytes);
void  brg_aligned_free(void *p);
void  brg_free(void *p);

/* Test hook: make the n-th allocation from now (1-based) and every later one
 * fail while fail_after is active; 0 disables. Returns the number of
 * allocations counted since the last call. */
long  brg_test_fail_alloc_after(long n);

#ifdef __cplusplus
}
#endif
#endif

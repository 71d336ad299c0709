/* Private: a device's cache of host scratch blocks.
 *
 * A call that needs a large workspace takes a block and gives it back when
 * it ends; the next call reuses it instead of faulting fresh pages in. On
 * the 2-core VM a CPU top-k at nb = 1e4, d = 100, nq = 1e3 faulted its 4 MiB
 * of score tiles in again on every call (glibc returns such blocks to the
 * kernel on free), a sixth of the call's time (docs/perf-notes.md).
 *
 * The cache keeps at most BRG_SCRATCH_SLOTS blocks and about its byte
 * limit in all (threads giving back at once may pass it by a block); a
 * block given back beyond that is freed. Any number of threads may take
 * and give at once, and it holds no lock, so a fork() at any moment leaves
 * the child a usable cache; each block is used by one call at a time. */
#ifndef BRG_SCRATCH_H
#define BRG_SCRATCH_H

#include <stddef.h>

typedef struct brg_scratch_cache brg_scratch_cache;

enum { BRG_SCRATCH_SLOTS = 4 };

/* NULL when out of memory. */
brg_scratch_cache *brg_scratch_cache_new(size_t keep_bytes);
/* Frees every block kept; NULL is a no-op. */
void brg_scratch_cache_free(brg_scratch_cache *cache);

/* A 64-byte aligned block of at least `bytes`, NULL when out of memory;
 * *capacity receives its true size (the block remembers it too). A NULL
 * cache allocates a fresh block. Contents are unspecified. */
void *brg_scratch_take(brg_scratch_cache *cache, size_t bytes, size_t *capacity);
/* Hand a block from take back (NULL is a no-op). */
void brg_scratch_give(brg_scratch_cache *cache, void *block);

#endif

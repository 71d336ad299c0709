/* Lock-free, so that a process forked while another thread takes or gives a
 * block (a process pool's child calling a CPU kernel) never inherits a held
 * lock: each slot is an atomic pointer, and a block's capacity lives in a
 * header in front of it, so a block and its size move together. */
#include "scratch.h"

#include <stdatomic.h>

#include "alloc.h"

enum { HEADER = 64 }; /* keeps the caller's block 64-byte aligned */

typedef struct header {
    size_t capacity; /* bytes after the header */
} header;

struct brg_scratch_cache {
    size_t keep_bytes;
    atomic_size_t kept_bytes;
    _Atomic(char *) slot[BRG_SCRATCH_SLOTS]; /* headers of kept blocks, or NULL */
};

static size_t capacity_of(const char *base)
{
    return ((const header *)base)->capacity;
}

static void drop(brg_scratch_cache *c, char *base)
{
    atomic_fetch_sub(&c->kept_bytes, capacity_of(base));
    brg_aligned_free(base);
}

/* 1 when base went into an empty slot. */
static int put(brg_scratch_cache *c, char *base)
{
    for (int s = 0; s < BRG_SCRATCH_SLOTS; s++) {
        char *expected = NULL;
        if (atomic_compare_exchange_strong(&c->slot[s], &expected, base)) return 1;
    }
    return 0;
}

/* Put base back in an empty slot, else free it. */
static void keep_or_free(brg_scratch_cache *c, char *base)
{
    if (!put(c, base)) drop(c, base);
}

brg_scratch_cache *brg_scratch_cache_new(size_t keep_bytes)
{
    brg_scratch_cache *c = brg_calloc(1, sizeof *c);
    if (!c) return NULL;
    c->keep_bytes = keep_bytes;
    atomic_init(&c->kept_bytes, 0);
    for (int s = 0; s < BRG_SCRATCH_SLOTS; s++) atomic_init(&c->slot[s], NULL);
    return c;
}

void brg_scratch_cache_free(brg_scratch_cache *c)
{
    if (!c) return;
    for (int s = 0; s < BRG_SCRATCH_SLOTS; s++) {
        char *base = atomic_exchange(&c->slot[s], NULL);
        if (base) brg_aligned_free(base);
    }
    brg_free(c);
}

void *brg_scratch_take(brg_scratch_cache *c, size_t bytes, size_t *capacity)
{
    if (c) {
        /* the smallest kept block that is big enough; blocks looked at and
         * passed over go back */
        char *best = NULL;
        for (int s = 0; s < BRG_SCRATCH_SLOTS; s++) {
            char *base = atomic_exchange(&c->slot[s], NULL);
            if (!base) continue;
            if (capacity_of(base) >= bytes && (!best || capacity_of(base) < capacity_of(best))) {
                char *passed = best;
                best = base;
                base = passed;
            }
            if (base) keep_or_free(c, base);
        }
        if (best) {
            atomic_fetch_sub(&c->kept_bytes, capacity_of(best));
            *capacity = capacity_of(best);
            return best + HEADER;
        }
    }
    char *base = bytes <= (size_t)-1 - HEADER ? brg_aligned_alloc(bytes + HEADER) : NULL;
    *capacity = base ? bytes : 0;
    if (!base) return NULL;
    ((header *)base)->capacity = bytes;
    return base + HEADER;
}

void brg_scratch_give(brg_scratch_cache *c, void *block)
{
    if (!block) return;
    char *base = (char *)block - HEADER;
    size_t capacity = capacity_of(base);
    if (!c || capacity > c->keep_bytes) {
        brg_aligned_free(base);
        return;
    }
    /* make room under the byte limit: drop kept blocks no larger than this
     * one (a later call of this size could not use them) */
    for (int s = 0; s < BRG_SCRATCH_SLOTS &&
                    atomic_load(&c->kept_bytes) + capacity > c->keep_bytes; s++) {
        char *kept = atomic_exchange(&c->slot[s], NULL);
        if (!kept) continue;
        if (capacity_of(kept) <= capacity)
            drop(c, kept);
        else
            keep_or_free(c, kept);
    }
    if (atomic_load(&c->kept_bytes) + capacity > c->keep_bytes) {
        brg_aligned_free(base);
        return;
    }
    atomic_fetch_add(&c->kept_bytes, capacity);
    if (put(c, base)) return;
    /* every slot full: replace the smallest kept block if it is smaller */
    for (int s = 0; s < BRG_SCRATCH_SLOTS; s++) {
        char *kept = atomic_exchange(&c->slot[s], NULL);
        if (!kept) {
            char *expected = NULL;
            if (atomic_compare_exchange_strong(&c->slot[s], &expected, base)) return;
            continue;
        }
        if (capacity_of(kept) < capacity) {
            char *expected = NULL;
            if (atomic_compare_exchange_strong(&c->slot[s], &expected, base)) {
                drop(c, kept);
                return;
            }
            keep_or_free(c, kept); /* another thread filled the slot meanwhile */
        } else {
            keep_or_free(c, kept);
        }
    }
    drop(c, base);
}

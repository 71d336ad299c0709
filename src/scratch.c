#include "scratch.h"

#include <pthread.h>

#include "alloc.h"

struct brg_scratch_cache {
    pthread_mutex_t lock;
    size_t keep_bytes, kept_bytes;
    void *block[BRG_SCRATCH_SLOTS];
    size_t cap[BRG_SCRATCH_SLOTS];
};

brg_scratch_cache *brg_scratch_cache_new(size_t keep_bytes)
{
    brg_scratch_cache *c = brg_calloc(1, sizeof *c);
    if (!c) return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->keep_bytes = keep_bytes;
    return c;
}

void brg_scratch_cache_free(brg_scratch_cache *c)
{
    if (!c) return;
    for (int s = 0; s < BRG_SCRATCH_SLOTS; s++) brg_aligned_free(c->block[s]);
    pthread_mutex_destroy(&c->lock);
    brg_free(c);
}

void *brg_scratch_take(brg_scratch_cache *c, size_t bytes, size_t *capacity)
{
    if (c) {
        /* the smallest kept block that is big enough */
        pthread_mutex_lock(&c->lock);
        int best = -1;
        for (int s = 0; s < BRG_SCRATCH_SLOTS; s++)
            if (c->block[s] && c->cap[s] >= bytes && (best < 0 || c->cap[s] < c->cap[best])) best = s;
        if (best >= 0) {
            void *p = c->block[best];
            *capacity = c->cap[best];
            c->kept_bytes -= c->cap[best];
            c->block[best] = NULL;
            pthread_mutex_unlock(&c->lock);
            return p;
        }
        pthread_mutex_unlock(&c->lock);
    }
    void *p = brg_aligned_alloc(bytes);
    *capacity = p ? bytes : 0;
    return p;
}

void brg_scratch_give(brg_scratch_cache *c, void *block, size_t capacity)
{
    if (!block) return;
    if (c) {
        pthread_mutex_lock(&c->lock);
        /* make room: drop smaller blocks first, which a later call of this
         * size could not use anyway */
        for (;;) {
            int full = 1;
            for (int s = 0; s < BRG_SCRATCH_SLOTS; s++)
                if (!c->block[s]) full = 0;
            if (!full && c->kept_bytes + capacity <= c->keep_bytes) break;
            int smallest = -1;
            for (int s = 0; s < BRG_SCRATCH_SLOTS; s++)
                if (c->block[s] && (smallest < 0 || c->cap[s] < c->cap[smallest])) smallest = s;
            if (smallest < 0 || c->cap[smallest] > capacity) break;
            brg_aligned_free(c->block[smallest]);
            c->kept_bytes -= c->cap[smallest];
            c->block[smallest] = NULL;
        }
        int free_slot = -1;
        for (int s = 0; s < BRG_SCRATCH_SLOTS && free_slot < 0; s++)
            if (!c->block[s]) free_slot = s;
        if (free_slot >= 0 && c->kept_bytes + capacity <= c->keep_bytes) {
            c->block[free_slot] = block;
            c->cap[free_slot] = capacity;
            c->kept_bytes += capacity;
            block = NULL;
        }
        pthread_mutex_unlock(&c->lock);
    }
    brg_aligned_free(block);
}

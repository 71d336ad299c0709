/* Private: the CPU backend's workers. One process-wide team of persistent
 * threads (BRIGADE_NUM_THREADS, default online cores, counting the caller)
 * runs parallel loops with chunked dynamic scheduling on an atomic counter.
 * Several threads may run loops at once; workers help whichever loop has
 * work left. A loop started from inside a loop, or from a pool's task (or a
 * process pool's child), runs inline on the calling thread, so nesting never
 * deadlocks or oversubscribes and a forked child starts no threads. After
 * any other fork() the child starts a fresh team. */
#ifndef BRG_PARALLEL_H
#define BRG_PARALLEL_H

#include <stdint.h>

typedef void (*brg_range_fn)(int64_t begin, int64_t end, void *ctx);

/* Call fn on [begin, end) ranges of at most `grain` items covering [0, n)
 * exactly once each, in parallel; returns when all are done. */
void brg_parallel_for(int64_t n, int64_t grain, brg_range_fn fn, void *ctx);

/* Threads a loop may use (workers plus the caller), >= 1; 1 in a pool's
 * task, where loops run inline. */
int brg_parallel_threads(void);

/* 1 while the calling thread is running inside brg_parallel_for. */
int brg_parallel_in_loop(void);

#endif

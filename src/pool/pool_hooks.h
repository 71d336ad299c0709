/* Private: what the rest of brigade needs to know of the pools. Plain C,
 * also included by the device code (C++). */
#ifndef BRG_POOL_HOOKS_H
#define BRG_POOL_HOOKS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Record that a GPU runtime (CUDA, HIP) has started in this process; from
 * then on process-pool maps return BRG_ERR_UNSUPPORTED naming it (see
 * docs/pools.md for why GPU runtimes refuse the fork itself while OpenMP only
 * refuses OpenMP maps in the child). `what` must have static storage
 * ("CUDA"). The first call wins. Thread-safe. */
void brg_pool_note_runtime(const char *what);

/* 1 while the calling thread runs a pool's task, worker_init or progress
 * callback, and in a process pool's child: brigade's CPU kernels then run on
 * this thread alone (cpu_ref/parallel.c), since the pool's workers already
 * use the cores, and a forked child starts no threads. */
int brg_pool_in_task(void);

#ifdef __cplusplus
}
#endif
#endif

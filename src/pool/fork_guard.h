/* Private: runtimes that do not survive fork(). Plain C, also included by
 * the device code (C++). */
#ifndef BRG_FORK_GUARD_H
#define BRG_FORK_GUARD_H

#ifdef __cplusplus
extern "C" {
#endif

/* Record that a GPU runtime (CUDA, HIP) has started in this process; from
 * then on process-pool maps return BRG_ERR_UNSUPPORTED naming it (see
 * docs/pools.md for why GPU runtimes refuse the fork itself while OpenMP only
 * refuses OpenMP maps in the child). `what` must have static storage
 * ("CUDA"). The first call wins. Thread-safe. */
void brg_pool_note_runtime(const char *what);

#ifdef __cplusplus
}
#endif
#endif

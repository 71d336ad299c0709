/* Private: runtimes that do not survive fork(). Plain C, also included by
 * the device code (C++). */
#ifndef BRG_FORK_GUARD_H
#define BRG_FORK_GUARD_H

#ifdef __cplusplus
extern "C" {
#endif

/* Record that a runtime that does not survive fork() (CUDA, HIP, OpenMP) has
 * started in this process; from then on process-pool maps return
 * BRG_ERR_UNSUPPORTED naming it. `what` must have static storage ("CUDA").
 * The first call wins. Thread-safe. */
void brg_pool_note_runtime(const char *what);

#ifdef __cplusplus
}
#endif
#endif

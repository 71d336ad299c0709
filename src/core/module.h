/* Private: the interface between libbrigade and its backend modules.
 *
 * The GPU backends (CUDA, HIP) and the emulated device are shared objects of
 * their own (libbrigade-cuda.so, libbrigade-hip.so, libbrigade-emu.so) that
 * the core opens with dlopen on the first open of a spec that needs them, so
 * that libbrigade itself never links a GPU runtime. A module exports three
 * symbols and nothing else:
 *
 *   const uint32_t brg_module_abi;          BRG_MODULE_ABI it was built for;
 *   const char     brg_module_version[];    the brigade version it comes from;
 *   const brg_backend_i *brg_module_init(const brg_host_api *host);
 *
 * The core reads brg_module_abi before calling anything: a module built for
 * another interface is refused with a message naming both numbers, and its
 * code never runs. brg_module_init returns the backend table (src/core/backend.h)
 * or NULL. Everything a module needs from the core comes through the host
 * table, so a module links no brigade library and works the same beside a
 * shared libbrigade or inside a program linked with the static one.
 *
 * Bump BRG_MODULE_ABI whenever brg_backend_i, brg_topk_call or brg_host_api
 * change shape or meaning. */
#ifndef BRG_MODULE_H
#define BRG_MODULE_H

#include <stdint.h>

#include "backend.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BRG_MODULE_ABI 3u /* 2: the gemm_nt slot (now matmul_nt); 3: topk_prepare, brg_topk_call.prepared */

/* What the core lends a module. */
typedef struct brg_host_api {
    uint32_t abi;       /* BRG_MODULE_ABI */
    /* Record a message for brg_last_error() on this thread; returns status. */
    brg_status (*error_at)(const char *file, int line, brg_status status, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 4, 5)))
#endif
        ;
    /* A runtime that does not survive fork() has started (src/pool/pool_hooks.h). */
    void (*note_runtime)(const char *what);
} brg_host_api;

typedef const brg_backend_i *(*brg_module_init_fn)(const brg_host_api *host);

#define BRG_MODULE_ABI_SYMBOL "brg_module_abi"
#define BRG_MODULE_VERSION_SYMBOL "brg_module_version"
#define BRG_MODULE_INIT_SYMBOL "brg_module_init"

/* The backend of a module ("cuda", "hip", "emu"), loading the module on the
 * first call; NULL with the reason (the file it looked for and where, or the
 * loader's own words) in reason. Thread-safe; a module stays loaded. */
const brg_backend_i *brg_module_backend(const char *name, char *reason, size_t cap);

#ifdef __cplusplus
}
#endif
#endif

/* Private: the host's memory, as the CPU backend and the emulated device
 * report it. */
#ifndef BRG_HOSTMEM_H
#define BRG_HOSTMEM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* available: MemAvailable (what can be allocated without swapping), else
 * free pages; total: physical memory. 0 where unknown. */
void brg_host_memory(size_t *available, size_t *total);

#ifdef __cplusplus
}
#endif
#endif

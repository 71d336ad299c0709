/* brigade — devices.
 *
 * A device is where tensors live and kernels run: the CPU, an NVIDIA GPU
 * through CUDA, an AMD GPU through HIP, or (in emulated builds) the CUDA
 * kernel source run on host threads.
 *
 * Device specs:
 *   "auto"         CUDA device 0, else HIP device 0, else the CPU. The environment
 *                  variable BRIGADE_DEVICE, when set, replaces "auto" by its value.
 *                  "auto" never picks "emu". brg_device_describe() says why a
 *                  backend was passed over.
 *   "cpu"          the host; BRIGADE_NUM_THREADS caps its threads (default: online cores).
 *   "cuda", "cuda:N", "hip", "hip:N"   GPU number N (default 0).
 *   "emu", "emu:32", "emu:64"          emulated device with a 32- or 64-wide warp
 *                                      (builds with BRIGADE_EMU=ON only).
 * Asking for a backend that is not available fails with BRG_ERR_NO_DEVICE; the
 * message (brg_last_error) carries the runtime's own reason.
 *
 * Thread safety: a device may be used by many threads at once. Open and close
 * are thread-safe. A device stays alive while tensors made on it exist, even
 * after brg_device_close. */
#ifndef BRIGADE_DEVICE_H
#define BRIGADE_DEVICE_H

#include <stddef.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct brg_device brg_device;

typedef enum brg_device_kind {
    BRG_DEVICE_CPU  = 0,
    BRG_DEVICE_CUDA = 1,
    BRG_DEVICE_HIP  = 2,
    BRG_DEVICE_EMU  = 3
} brg_device_kind;

/* Open the device named by spec. On success *out holds a new handle that the
 * caller releases with brg_device_close. On failure *out is set to NULL. */
BRG_API brg_status brg_device_open(const char *spec, brg_device **out);

/* Release the caller's handle. NULL is fine. */
BRG_API void brg_device_close(brg_device *dev);

/* A human-readable line: canonical spec, device name, and for "auto" why
 * other backends were passed over. Owned by dev; never NULL (NULL dev gives ""). */
BRG_API const char *brg_device_describe(const brg_device *dev);

/* Canonical spec of an open device ("cpu", "cuda:0", "emu:64"). Owned by dev. */
BRG_API const char *brg_device_spec(const brg_device *dev);

/* The device's kind. */
BRG_API brg_device_kind brg_device_get_kind(const brg_device *dev);

/* Free and total memory of the device in bytes (for the CPU: available and
 * total physical memory). */
BRG_API brg_status brg_device_memory(brg_device *dev, size_t *free_bytes, size_t *total_bytes);

/* Wait until all work the calling thread queued on dev has finished. */
BRG_API brg_status brg_device_synchronize(brg_device *dev);

/* How many devices the named backend ("cpu", "cuda", "hip", "emu") offers
 * here. A backend that is not compiled in or has no usable device gives 0
 * and BRG_ERR_NO_DEVICE, with the reason in brg_last_error(). */
BRG_API brg_status brg_device_count(const char *backend, int *count);

#ifdef __cplusplus
}
#endif
#endif

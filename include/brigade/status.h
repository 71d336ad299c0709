/* brigade — status codes and error reporting.
 *
 * Every brigade function that can fail returns a brg_status. BRG_OK is zero;
 * errors are negative. brg_last_error() gives the detail of the most recent
 * failure on the calling thread (which argument, which runtime call, where). */
#ifndef BRIGADE_STATUS_H
#define BRIGADE_STATUS_H

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum brg_status {
    BRG_OK                =   0,
    BRG_ERR_INVALID_ARG   =  -1, /* a NULL pointer, a negative size, a bad option or spec */
    BRG_ERR_SHAPE         =  -2, /* tensor shapes do not fit the operation */
    BRG_ERR_DTYPE         =  -3, /* tensor dtype not supported by the operation */
    BRG_ERR_NO_DEVICE     =  -4, /* the requested backend or device is not available */
    BRG_ERR_OUT_OF_MEMORY =  -5, /* host or device allocation failed */
    BRG_ERR_DEVICE        =  -6, /* a device runtime call failed */
    BRG_ERR_IO            =  -7, /* a file operation failed */
    BRG_ERR_OVERFLOW      =  -8, /* a size computation overflowed */
    BRG_ERR_UNSUPPORTED   =  -9, /* valid request this build or device cannot do */
    BRG_ERR_WORKER        = -10  /* a pool task failed or a worker died */
} brg_status;

/* The name of a status ("BRG_ERR_SHAPE"); never NULL. Static storage. */
BRG_API const char *brg_status_str(brg_status status);

/* A message describing the last error raised on the calling thread, or ""
 * when none. Thread-local storage owned by brigade: valid until the next
 * brigade call on the same thread. */
BRG_API const char *brg_last_error(void);

/* Forget the calling thread's last error message. */
BRG_API void brg_clear_error(void);

/* Record a printf-style message as the calling thread's last error and
 * return status, for code layered on brigade (brigade_mpi, bindings) whose
 * errors should read like brigade's own: "STATUS_NAME: message". */
BRG_API brg_status brg_error_set(brg_status status, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif

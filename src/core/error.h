/* Private: raising errors and checked size arithmetic. */
#ifndef BRG_ERROR_H
#define BRG_ERROR_H

#include <stddef.h>
#include <stdint.h>
#include "brigade/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Record a message for brg_last_error() on this thread and return status. */
brg_status brg_error_at(const char *file, int line, brg_status status,
                        const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#define BRG_ERROR(status, ...) brg_error_at(__FILE__, __LINE__, (status), __VA_ARGS__)

/* Return BRG_ERR_INVALID_ARG naming the argument when it is NULL. */
#define BRG_CHECK_ARG(cond, ...)                                                  \
    do {                                                                          \
        if (!(cond)) return BRG_ERROR(BRG_ERR_INVALID_ARG, __VA_ARGS__);          \
    } while (0)

/* Checked size arithmetic: 0 on success, BRG_ERR_OVERFLOW (with a message
 * naming what) on overflow. */
brg_status brg_size_mul(size_t a, size_t b, size_t *out, const char *what);
brg_status brg_size_add(size_t a, size_t b, size_t *out, const char *what);
/* count (>= 0) elements of elem_size bytes. */
brg_status brg_bytes_of(int64_t count, size_t elem_size, size_t *out, const char *what);

#ifdef __cplusplus
}
#endif
#endif

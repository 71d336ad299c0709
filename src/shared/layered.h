/* Private: for code layered on brigade's public API alone (brigade_mpi, the
 * bench's workloads library), which cannot reach the core's private helpers
 * (hidden in the shared library): errors recorded with brg_error_set, so
 * that brg_last_error() reads as for the core, and a checked byte count.
 * Header-only: nothing here is part of any ABI. */
#ifndef BRG_LAYERED_H
#define BRG_LAYERED_H

#include <stddef.h>
#include <stdint.h>

#include "brigade/status.h"

#define BRG_ERROR(status, ...) brg_error_set((status), __VA_ARGS__)
#define BRG_CHECK_ARG(cond, ...)                                                  \
    do {                                                                          \
        if (!(cond)) return BRG_ERROR(BRG_ERR_INVALID_ARG, __VA_ARGS__);          \
    } while (0)

/* count (>= 0) elements of elem bytes into *bytes; BRG_ERR_INVALID_ARG for a
 * negative count, BRG_ERR_OVERFLOW past size_t, naming what. */
static inline brg_status brg_layered_bytes_of(int64_t count, size_t elem, size_t *bytes,
                                              const char *what)
{
    if (count < 0)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "%s: negative element count %lld", what,
                         (long long)count);
    if ((uint64_t)count > SIZE_MAX || __builtin_mul_overflow((size_t)count, elem, bytes))
        return BRG_ERROR(BRG_ERR_OVERFLOW, "%s: %lld elements of %zu bytes overflow size_t", what,
                         (long long)count, elem);
    return BRG_OK;
}

#endif

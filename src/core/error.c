#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[1024];

const char *brg_status_str(brg_status status)
{
    switch (status) {
    case BRG_OK: return "BRG_OK";
    case BRG_ERR_INVALID_ARG: return "BRG_ERR_INVALID_ARG";
    case BRG_ERR_SHAPE: return "BRG_ERR_SHAPE";
    case BRG_ERR_DTYPE: return "BRG_ERR_DTYPE";
    case BRG_ERR_NO_DEVICE: return "BRG_ERR_NO_DEVICE";
    case BRG_ERR_OUT_OF_MEMORY: return "BRG_ERR_OUT_OF_MEMORY";
    case BRG_ERR_DEVICE: return "BRG_ERR_DEVICE";
    case BRG_ERR_IO: return "BRG_ERR_IO";
    case BRG_ERR_OVERFLOW: return "BRG_ERR_OVERFLOW";
    case BRG_ERR_UNSUPPORTED: return "BRG_ERR_UNSUPPORTED";
    case BRG_ERR_WORKER: return "BRG_ERR_WORKER";
    }
    return "BRG_ERR_UNKNOWN";
}

const char *brg_last_error(void)
{
    return last_error;
}

void brg_clear_error(void)
{
    last_error[0] = '\0';
}

/* "STATUS: message", then " [file:line]" when file is given. */
static brg_status record(const char *file, int line, brg_status status, const char *fmt,
                         va_list ap)
{
    int used = snprintf(last_error, sizeof last_error, "%s: ", brg_status_str(status));
    if (used < 0 || (size_t)used >= sizeof last_error) return status;
    int more = vsnprintf(last_error + used, sizeof last_error - (size_t)used, fmt, ap);
    if (more < 0 || !file) return status;
    used += more;
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    if ((size_t)used < sizeof last_error)
        snprintf(last_error + used, sizeof last_error - (size_t)used, " [%s:%d]", base, line);
    return status;
}

brg_status brg_error_at(const char *file, int line, brg_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(file, line, status, fmt, ap);
    va_end(ap);
    return status;
}

brg_status brg_error_set(brg_status status, const char *fmt, ...)
{
    if (!fmt) fmt = "";
    va_list ap;
    va_start(ap, fmt);
    record(NULL, 0, status, fmt, ap);
    va_end(ap);
    return status;
}

brg_status brg_size_mul(size_t a, size_t b, size_t *out, const char *what)
{
    if (__builtin_mul_overflow(a, b, out))
        return BRG_ERROR(BRG_ERR_OVERFLOW, "%s: %zu * %zu overflows size_t", what, a, b);
    return BRG_OK;
}

brg_status brg_size_add(size_t a, size_t b, size_t *out, const char *what)
{
    if (__builtin_add_overflow(a, b, out))
        return BRG_ERROR(BRG_ERR_OVERFLOW, "%s: %zu + %zu overflows size_t", what, a, b);
    return BRG_OK;
}

brg_status brg_bytes_of(int64_t count, size_t elem_size, size_t *out, const char *what)
{
    if (count < 0)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "%s: negative element count %lld", what,
                         (long long)count);
    if ((uint64_t)count > SIZE_MAX)
        return BRG_ERROR(BRG_ERR_OVERFLOW, "%s: %lld elements do not fit size_t", what,
                         (long long)count);
    return brg_size_mul((size_t)count, elem_size, out, what);
}

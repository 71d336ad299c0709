/* The module side of src/core/module.h, compiled into each backend module with
 * BRG_MODULE_GETTER naming its table's getter (brg_backend_cuda, ...). It
 * exports the module's three symbols and gives the device code the core
 * services it calls (errors, the fork guard) through the host table. */
#include <stdarg.h>
#include <stdio.h>

#include "brigade/version.h"
#include "error.h"
#include "pool_hooks.h"
#include "module.h"

#ifndef BRG_MODULE_GETTER
#error "BRG_MODULE_GETTER must name the backend table's getter"
#endif

#define BRG_MODULE_EXPORT __attribute__((visibility("default")))

const brg_backend_i *BRG_MODULE_GETTER(void);

static const brg_host_api *host;

BRG_MODULE_EXPORT const uint32_t brg_module_abi = BRG_MODULE_ABI;
BRG_MODULE_EXPORT const char brg_module_version[] = BRG_VERSION_STRING;

BRG_MODULE_EXPORT const brg_backend_i *brg_module_init(const brg_host_api *h)
{
    if (!h || h->abi != BRG_MODULE_ABI || !h->error_at || !h->note_runtime) return NULL;
    host = h;
    return BRG_MODULE_GETTER();
}

/* error.h's, for the device code: the message is the core's to keep. */
brg_status brg_error_at(const char *file, int line, brg_status status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return host ? host->error_at(file, line, status, "%s", msg) : status;
}

void brg_pool_note_runtime(const char *what)
{
    if (host) host->note_runtime(what);
}

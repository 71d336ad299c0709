/* Device registry and the device API: parsing specs, "auto" with its
 * fallback record, reference counting. The CPU backend is built in; the
 * others are modules, loaded on the first open that needs one. */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "brigade/version.h"
#include "module.h"

typedef struct backend_entry {
    const char *name;
    int module; /* 0: built in (the CPU); 1: a module loaded on first use (src/core/module.h) */
} backend_entry;

/* Every backend brigade knows, in "auto" order (emu last, never auto). */
static const backend_entry registry[] = {
    {"cuda", 1},
    {"hip", 1},
    {"cpu", 0},
    {"emu", 1},
};

#define REGISTRY_SIZE (sizeof registry / sizeof registry[0])

#ifndef BRIGADE_BUILT_MODULES
#define BRIGADE_BUILT_MODULES ""
#endif

const char *brg_build_backends(void)
{
    return "cpu" BRIGADE_BUILT_MODULES;
}

static const backend_entry *find_backend(const char *name, size_t len)
{
    for (size_t i = 0; i < REGISTRY_SIZE; i++)
        if (strlen(registry[i].name) == len && strncmp(registry[i].name, name, len) == 0)
            return &registry[i];
    return NULL;
}

/* The backend's table, loading its module if need be; NULL with the reason. */
static const brg_backend_i *backend_of(const backend_entry *e, char *reason, size_t cap)
{
    return e->module ? brg_module_backend(e->name, reason, cap) : brg_backend_cpu();
}

/* Devices of a backend, or 0 with the reason written to reason; a module's
 * own reason (the runtime's words) is given with the module's name. */
static int backend_devices(const backend_entry *e, char *reason, size_t cap)
{
    reason[0] = '\0';
    const brg_backend_i *be = backend_of(e, reason, cap);
    if (!be) return 0;
    char why[512] = "";
    int n = be->device_count(why, sizeof why);
    if (n > 0) return n;
    if (why[0] == '\0') snprintf(why, sizeof why, "no %s device found", e->name);
    if (e->module)
        snprintf(reason, cap, "libbrigade-%s.so loaded, but %s", e->name, why);
    else
        snprintf(reason, cap, "%s", why);
    return 0;
}

brg_status brg_device_count(const char *backend, int *count)
{
    BRG_CHECK_ARG(count, "count is NULL");
    *count = 0;
    BRG_CHECK_ARG(backend, "backend is NULL");
    const backend_entry *e = find_backend(backend, strlen(backend));
    if (!e) return BRG_ERROR(BRG_ERR_INVALID_ARG, "unknown backend '%s'", backend);
    char reason[512];
    *count = backend_devices(e, reason, sizeof reason);
    if (*count == 0) return BRG_ERROR(BRG_ERR_NO_DEVICE, "%s: %s", backend, reason);
    return BRG_OK;
}

/* Parse "name" or "name:N". The emulated device's number is its warp width
 * (32 or 64), mapped to device index 0 or 1. */
static brg_status parse_spec(const char *spec, const backend_entry **be, int *index)
{
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    *be = find_backend(spec, len);
    if (!*be)
        return BRG_ERROR(BRG_ERR_INVALID_ARG,
                         "unknown device spec '%s' (expected auto, cpu, cuda[:N], hip[:N] or "
                         "emu[:32|:64])", spec);
    *index = 0;
    int is_emu = strcmp((*be)->name, "emu") == 0;
    if (!colon) return BRG_OK;
    const char *digits = colon + 1;
    size_t nd = strlen(digits);
    if (nd == 0 || nd > 9 || strspn(digits, "0123456789") != nd)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "bad device number in spec '%s'", spec);
    long v = strtol(digits, NULL, 10);
    if (strcmp((*be)->name, "cpu") == 0 && v != 0)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "spec '%s': the CPU is device 0 only", spec);
    if (is_emu) {
        if (v != 32 && v != 64)
            return BRG_ERROR(BRG_ERR_INVALID_ARG,
                             "spec '%s': the emulated warp width is 32 or 64", spec);
        *index = v == 32 ? 0 : 1;
        return BRG_OK;
    }
    *index = (int)v;
    return BRG_OK;
}

static void make_canonical_spec(brg_device *dev)
{
    if (dev->be->kind == BRG_DEVICE_CPU)
        snprintf(dev->spec, sizeof dev->spec, "cpu");
    else if (dev->be->kind == BRG_DEVICE_EMU)
        snprintf(dev->spec, sizeof dev->spec, "emu:%d", dev->index == 0 ? 32 : 64);
    else
        snprintf(dev->spec, sizeof dev->spec, "%s:%d", dev->be->name, dev->index);
}

static brg_status open_on(const backend_entry *e, int index, const char *spec, brg_device **out)
{
    char reason[512];
    int n = backend_devices(e, reason, sizeof reason);
    if (n == 0)
        return BRG_ERROR(BRG_ERR_NO_DEVICE, "device '%s' not available: %s", spec, reason);
    if (index >= n)
        return BRG_ERROR(BRG_ERR_NO_DEVICE, "device '%s' not available: %s has %d device(s)",
                         spec, e->name, n);
    brg_device *dev = brg_calloc(1, sizeof *dev);
    if (!dev) return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "device handle");
    dev->be = backend_of(e, reason, sizeof reason); /* loaded by backend_devices */
    dev->index = index;
    atomic_init(&dev->refs, 1);
    char name[256] = "";
    brg_status st = dev->be->open(index, &dev->ctx, name, sizeof name);
    if (st != BRG_OK) {
        brg_free(dev);
        return st;
    }
    make_canonical_spec(dev);
    snprintf(dev->describe, sizeof dev->describe, "%s: %s", dev->spec, name);
    *out = dev;
    return BRG_OK;
}

/* "auto": the first backend with a device, recording why others were skipped. */
static brg_status open_auto(brg_device **out)
{
    char why[768] = "";
    size_t used = 0;
    for (size_t i = 0; i < REGISTRY_SIZE; i++) {
        const backend_entry *e = &registry[i];
        if (strcmp(e->name, "emu") == 0) continue;
        char reason[512];
        if (backend_devices(e, reason, sizeof reason) > 0 &&
            open_on(e, 0, e->name, out) == BRG_OK) {
            brg_device *dev = *out;
            if (used > 0) {
                size_t len = strlen(dev->describe);
                snprintf(dev->describe + len, sizeof dev->describe - len,
                         " (auto; passed over: %s)", why);
            } else {
                size_t len = strlen(dev->describe);
                snprintf(dev->describe + len, sizeof dev->describe - len, " (auto)");
            }
            brg_clear_error();
            return BRG_OK;
        }
        if (reason[0] == '\0') snprintf(reason, sizeof reason, "%s", brg_last_error());
        int w = snprintf(why + used, sizeof why - used, "%s%s: %s", used ? "; " : "",
                         e->name, reason);
        if (w > 0) used = used + (size_t)w < sizeof why ? used + (size_t)w : sizeof why - 1;
    }
    return BRG_ERROR(BRG_ERR_NO_DEVICE, "no device available: %s", why);
}

brg_status brg_device_open(const char *spec, brg_device **out)
{
    BRG_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    BRG_CHECK_ARG(spec, "spec is NULL");
    if (strcmp(spec, "auto") == 0) {
        const char *env = getenv("BRIGADE_DEVICE");
        if (!env || env[0] == '\0' || strcmp(env, "auto") == 0) return open_auto(out);
        const backend_entry *e;
        int index;
        if (parse_spec(env, &e, &index) != BRG_OK)
            return BRG_ERROR(BRG_ERR_INVALID_ARG,
                             "BRIGADE_DEVICE='%s' is not a device spec (auto, cpu, cuda[:N], "
                             "hip[:N], emu[:32|:64])", env);
        brg_status st = open_on(e, index, env, out);
        if (st == BRG_OK) {
            size_t len = strlen((*out)->describe);
            snprintf((*out)->describe + len, sizeof (*out)->describe - len,
                     " (auto; from BRIGADE_DEVICE)");
        }
        return st;
    }
    const backend_entry *e;
    int index;
    brg_status st = parse_spec(spec, &e, &index);
    if (st != BRG_OK) return st;
    return open_on(e, index, spec, out);
}

void brg_device_retain(brg_device *dev)
{
    atomic_fetch_add_explicit(&dev->refs, 1, memory_order_relaxed);
}

void brg_device_release(brg_device *dev)
{
    if (!dev) return;
    if (atomic_fetch_sub_explicit(&dev->refs, 1, memory_order_acq_rel) == 1) {
        dev->be->close(dev->ctx);
        brg_free(dev);
    }
}

void brg_device_close(brg_device *dev)
{
    brg_device_release(dev);
}

const char *brg_device_describe(const brg_device *dev)
{
    return dev ? dev->describe : "";
}

const char *brg_device_spec(const brg_device *dev)
{
    return dev ? dev->spec : "";
}

brg_device_kind brg_device_get_kind(const brg_device *dev)
{
    return dev ? dev->be->kind : BRG_DEVICE_CPU;
}

brg_status brg_device_memory(brg_device *dev, size_t *free_bytes, size_t *total_bytes)
{
    BRG_CHECK_ARG(dev, "dev is NULL");
    BRG_CHECK_ARG(free_bytes && total_bytes, "free_bytes or total_bytes is NULL");
    return dev->be->mem_info(dev->ctx, free_bytes, total_bytes);
}

brg_status brg_device_synchronize(brg_device *dev)
{
    BRG_CHECK_ARG(dev, "dev is NULL");
    return dev->be->synchronize(dev->ctx);
}

brg_status brg_device_alloc(brg_device *dev, size_t bytes, void **ptr, const char *what)
{
    *ptr = NULL;
    brg_status st = dev->be->alloc(dev->ctx, bytes, ptr);
    if (st == BRG_OK) return BRG_OK;
    if (st == BRG_ERR_OUT_OF_MEMORY) {
        char detail[512];
        snprintf(detail, sizeof detail, "%s", brg_last_error());
        return BRG_ERROR(st, "%s: cannot allocate %zu bytes on %s (%s)", what, bytes, dev->spec,
                         detail);
    }
    return st;
}

void brg_device_free(brg_device *dev, void *ptr)
{
    if (ptr) dev->be->free(dev->ctx, ptr);
}

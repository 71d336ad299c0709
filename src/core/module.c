/* Loading backend modules (src/core/module.h): find libbrigade-NAME.so beside
 * libbrigade, then in BRIGADE_BACKEND_PATH; refuse one built for another
 * module interface before any of its code runs; keep it loaded. */
#include "module.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brigade/version.h"
#include "error.h"
#include "pool_hooks.h"

typedef struct module_slot {
    const char *name;
    const brg_backend_i *be; /* set once loaded; never unloaded */
} module_slot;

static module_slot slots[] = {{"cuda", NULL}, {"hip", NULL}, {"emu", NULL}};
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

static const brg_host_api host = {
    .abi = BRG_MODULE_ABI,
    .error_at = brg_error_at,
    .note_runtime = brg_pool_note_runtime,
};

/* The folder of the object holding the core: libbrigade.so, or the program
 * itself when it links the static library. "" when unknown. */
static void core_folder(char *out, size_t cap)
{
    out[0] = '\0';
    Dl_info info;
    char path[PATH_MAX];
    if (dladdr((const void *)slots, &info) && info.dli_fname && realpath(info.dli_fname, path)) {
        /* resolved */
    } else {
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
        if (n <= 0) return;
        path[n] = '\0';
    }
    char *slash = strrchr(path, '/');
    if (!slash) return;
    *slash = '\0';
    snprintf(out, cap, "%s", path[0] ? path : "/");
}

/* Append printf-style text to a reason buffer, never past cap. */
static void add_reason(char *reason, size_t cap, const char *fmt, const char *a, const char *b)
{
    size_t used = strlen(reason);
    if (used + 1 < cap) snprintf(reason + used, cap - used, fmt, a, b);
}

/* dlsym's object pointer as the init function (POSIX guarantees it converts). */
static brg_module_init_fn as_init(void *sym)
{
    brg_module_init_fn fn;
    memcpy(&fn, &sym, sizeof fn);
    return fn;
}

/* Open path (which exists) as module `name`. NULL with the reason written. */
static const brg_backend_i *load(const char *name, const char *path, char *reason, size_t cap)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(reason, cap, "cannot load %s: %s", path, why ? why : "dlopen failed");
        return NULL;
    }
    const uint32_t *abi = dlsym(h, BRG_MODULE_ABI_SYMBOL);
    const char *version = dlsym(h, BRG_MODULE_VERSION_SYMBOL);
    void *init = dlsym(h, BRG_MODULE_INIT_SYMBOL);
    if (!abi || !init) {
        snprintf(reason, cap, "%s is not a brigade backend module (no %s or %s)", path,
                 BRG_MODULE_ABI_SYMBOL, BRG_MODULE_INIT_SYMBOL);
        dlclose(h);
        return NULL;
    }
    if (*abi != BRG_MODULE_ABI) {
        snprintf(reason, cap,
                 "%s was built for module interface %u (brigade %s), but this libbrigade %s "
                 "needs interface %u: install the %s module of the same build",
                 path, (unsigned)*abi, version ? version : "?", BRG_VERSION_STRING,
                 (unsigned)BRG_MODULE_ABI, name);
        dlclose(h);
        return NULL;
    }
    const brg_backend_i *be = as_init(init)(&host);
    if (!be || !be->name || strcmp(be->name, name) != 0 || !be->device_count || !be->open) {
        snprintf(reason, cap, "%s: initialisation failed%s%s", path, be ? "" : ": ",
                 be ? "" : brg_last_error());
        dlclose(h);
        return NULL;
    }
    return be;
}

/* Look in the core's folder, then each folder of BRIGADE_BACKEND_PATH; the
 * first file found is the one loaded (or the reason it could not be). */
static const brg_backend_i *find_and_load(const char *name, char *reason, size_t cap)
{
    char file[64], dir[PATH_MAX], path[PATH_MAX + 64];
    snprintf(file, sizeof file, "libbrigade-%s.so", name);
    core_folder(dir, sizeof dir);
    if (dir[0]) {
        snprintf(path, sizeof path, "%s/%s", dir, file);
        if (access(path, F_OK) == 0) return load(name, path, reason, cap);
    }
    const char *env = getenv("BRIGADE_BACKEND_PATH");
    for (const char *p = env; p && *p;) {
        size_t len = strcspn(p, ":");
        if (len > 0 && len < sizeof dir) {
            snprintf(path, sizeof path, "%.*s/%s", (int)len, p, file);
            if (access(path, F_OK) == 0) return load(name, path, reason, cap);
        }
        p += len + (p[len] == ':');
    }
    snprintf(reason, cap, "the %s backend module %s was not found beside libbrigade (in %s)",
             name, file, dir[0] ? dir : "a folder brigade could not tell");
    if (env && env[0])
        add_reason(reason, cap, " or in BRIGADE_BACKEND_PATH (%s)%s", env, "");
    else
        add_reason(reason, cap, "%s%s", "; BRIGADE_BACKEND_PATH is unset", "");
    return NULL;
}

const brg_backend_i *brg_module_backend(const char *name, char *reason, size_t cap)
{
    module_slot *slot = NULL;
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
        if (strcmp(slots[i].name, name) == 0) slot = &slots[i];
    if (!slot) {
        snprintf(reason, cap, "no backend module is called '%s'", name);
        return NULL;
    }
    pthread_mutex_lock(&slots_lock);
    if (!slot->be) slot->be = find_and_load(name, reason, cap); /* a failure is retried */
    const brg_backend_i *be = slot->be;
    pthread_mutex_unlock(&slots_lock);
    return be;
}

/* Private to the workloads library: the body of a prepared workload and the
 * table each workload fills (workloads.h). registry.c holds the registry
 * and the checks every workload shares; each <name>.c holds one workload's
 * tasks, reference and device form. Only brigade's public API is used: the
 * bench links the shared library, whose other symbols are hidden. */
#ifndef BRG_WORKLOAD_IMPL_H
#define BRG_WORKLOAD_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "layered.h" /* errors as brigade's own, checked byte counts */
#include "workloads.h"

#define BRG_WORKLOAD_PATH_MAX 4096

typedef struct brg_workload_ops {
    /* Check the workload's own parameters in c->p and make what its tasks
     * need. On failure the caller frees c (release must cope). */
    brg_status (*prepare)(brg_workload_ctx *c);
    /* Release what prepare made; NULL: nothing to release. Sets no error. */
    void (*release)(brg_workload_ctx *c);
    brg_task_fn task;
    /* The sequential answer into results (n > 0). */
    brg_status (*reference)(const brg_workload_ctx *c, void *results);
    /* The data-parallel form on dev (n > 0); NULL: host-only. */
    brg_status (*device)(brg_workload_ctx *c, brg_device *dev, void *results);
    /* 1 when item got matches item want; NULL: bytes equal. */
    int (*same)(const void *got, const void *want);
    /* One item for a mismatch message. */
    void (*format)(const void *item, char *buf, size_t cap);
} brg_workload_ops;

struct brg_workload_ctx {
    const brg_workload_info *info;
    const brg_workload_ops *ops;
    brg_workload_params p;            /* as run; p.dir points at parent (or is NULL) */
    char note[256];                   /* "" or what prepare changed, for the report */
    char parent[BRG_WORKLOAD_PATH_MAX];   /* file_write: the caller's dir, copied */
    char dir[BRG_WORKLOAD_PATH_MAX];      /* file_write: the temporary directory; "" when none */
    double *data;                     /* mean_chunks: p.size values */
    brg_device *cpu;                  /* the host's device: fills and means on the host */
};

extern const brg_workload_ops brg_workload_sleep_ops;
extern const brg_workload_ops brg_workload_prime_heavy_ops;
extern const brg_workload_ops brg_workload_prime_range_ops;
extern const brg_workload_ops brg_workload_file_write_ops;
extern const brg_workload_ops brg_workload_big_alloc_ops;
extern const brg_workload_ops brg_workload_mean_chunks_ops;

/* Open c->cpu (once) for a workload that fills or averages on the host. */
brg_status brg_workload_use_cpu(brg_workload_ctx *c);

/* Item formatters shared by the workloads. */
void brg_workload_format_i64(const void *item, char *buf, size_t cap);
void brg_workload_format_u8(const void *item, char *buf, size_t cap);

/* ---- test hooks --------------------------------------------------------------- */

/* file_write: task `task` fails like a full disk (ENOSPC) once it has
 * written after_bytes bytes of its file; task < 0 turns the hook off.
 * Process-wide; forked pool workers inherit it. */
void brg_test_workload_fail_write(int64_t task, int64_t after_bytes);

/* big_alloc: pretend the host has `bytes` available (0: ask the OS). */
void brg_test_workload_set_available(size_t bytes);

/* file_write: the temporary directory of a prepared workload ("" if none). */
const char *brg_workload_ctx_dir(const brg_workload_ctx *ctx);

#endif

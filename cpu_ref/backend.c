/* The CPU backend: host memory, and the reference kernels of cpu_ref/. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "backend.h"
#include "error.h"
#include "hostmem.h"
#include "parallel.h"
#include "scratch.h"
#include "cpu.h"

static int cpu_device_count(char *reason, size_t cap)
{
    (void)reason;
    (void)cap;
    return 1;
}

static void cpu_model(char *out, size_t cap)
{
    snprintf(out, cap, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *v = strchr(line, ':');
        if (!v) break;
        v++;
        while (*v == ' ' || *v == '\t') v++;
        snprintf(out, cap, "%.*s", (int)strcspn(v, "\n"), v);
        break;
    }
    fclose(f);
}

/* Workspace kept between calls (cpu_ref/scratch.h): enough for the top-k score
 * tiles of 16 threads at the largest tiles, and freed when the device closes. */
#define CPU_SCRATCH_KEEP ((size_t)64 << 20)

static brg_status cpu_open(int index, void **ctx, char *name, size_t cap)
{
    (void)index;
    brg_cpu_ctx *c = brg_calloc(1, sizeof *c);
    if (c) c->scratch = brg_scratch_cache_new(CPU_SCRATCH_KEEP);
    if (!c || !c->scratch) {
        brg_free(c);
        return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "CPU device state");
    }
    *ctx = c;
    char model[256];
    cpu_model(model, sizeof model);
    snprintf(name, cap, "%s, %d threads", model, brg_parallel_threads());
    return BRG_OK;
}

static void cpu_close(void *ctx)
{
    brg_cpu_ctx *c = ctx;
    if (!c) return;
    brg_scratch_cache_free(c->scratch);
    brg_free(c);
}

static brg_status cpu_alloc(void *ctx, size_t bytes, void **ptr)
{
    (void)ctx;
    *ptr = brg_aligned_alloc(bytes);
    if (!*ptr) return BRG_ERROR(BRG_ERR_OUT_OF_MEMORY, "host allocation of %zu bytes", bytes);
    return BRG_OK;
}

static void cpu_free(void *ctx, void *ptr)
{
    (void)ctx;
    brg_aligned_free(ptr);
}

static brg_status cpu_copy(void *ctx, void *dst, const void *src, size_t bytes)
{
    (void)ctx;
    memmove(dst, src, bytes);
    return BRG_OK;
}

static brg_status cpu_mem_info(void *ctx, size_t *free_bytes, size_t *total_bytes)
{
    (void)ctx;
    brg_host_memory(free_bytes, total_bytes);
    return BRG_OK;
}

static brg_status cpu_synchronize(void *ctx)
{
    (void)ctx;
    return BRG_OK;
}

static const brg_backend_i cpu_backend = {
    .name = "cpu",
    .kind = BRG_DEVICE_CPU,
    .host_memory = 1,
    .device_count = cpu_device_count,
    .open = cpu_open,
    .close = cpu_close,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .copy_h2d = cpu_copy,
    .copy_d2h = cpu_copy,
    .copy_d2d = cpu_copy,
    .mem_info = cpu_mem_info,
    .synchronize = cpu_synchronize,
    .mean_chunks = brg_cpu_mean_chunks,
    .row_norms = brg_cpu_row_norms,
    .topk = brg_cpu_topk,
    .is_prime = brg_cpu_is_prime,
    .fill_uniform = brg_cpu_fill_uniform,
    .matmul_nt = brg_cpu_matmul_nt,
    .topk_prepare = brg_cpu_topk_prepare,
    .topk_release = brg_cpu_topk_release,
};

const brg_backend_i *brg_backend_cpu(void)
{
    return &cpu_backend;
}

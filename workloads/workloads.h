/* The tutorial's Part 1 workloads: the bench's library of them (not part of
 * libbrigade, which keeps the kernels they run: brg_is_prime_range,
 * brg_is_prime_repeat and brg_fill_uniform in brigade/ops.h).
 *
 * Part 1 of the tutorial times Python's pools on six small functions. Each
 * is here as a named workload that a program (the bench) can list, prepare
 * at the tutorial's sizes, run as a brg_pool task, run on a device where the
 * work is data-parallel, and check against the sequential answer:
 *
 *   name          task i                                           result (per task)
 *   sleep         sleep seconds_per_task, return i * i             int64_t
 *   prime_heavy   is_prime(value) (value = 9999991)                uint8_t 1 or 0
 *   prime_range   is_prime(i)                                      uint8_t 1 or 0
 *   file_write    write `letters` random letters to <dir>/<i>.txt, uint64_t FNV-1a hash
 *                 then remove the file                             of the letters
 *   big_alloc     allocate `megabytes` MiB, fill them with         brg_workload_alloc_result
 *                 uniform [0, 1) doubles                           (count, last value)
 *   mean_chunks   mean of chunk i of an array of `size` uniform    double
 *                 doubles cut as numpy.array_split(x, n)
 *
 * sleep and file_write are host-only: they wait on the OS, and a device has
 * nothing to offer them (brg_workload_run_device says BRG_ERR_UNSUPPORTED;
 * a runner shows them as not applicable). The others run on a device as one
 * data-parallel call: brg_is_prime_repeat, brg_is_prime_range, one
 * brg_fill_uniform per task on device memory, brg_mean_chunks_f64.
 *
 * Random numbers are brigade's uniform fills (Philox4x32-10, the same bits
 * on every device; brigade/ops.h): task i of file_write and big_alloc draws
 * from stream i + 1 of the workload's seed; mean_chunks's array is stream 0
 * of it, `size` elements.
 *
 * Thread safety: the registry is static and immutable. A prepared
 * workload is read-only while its tasks run, so every pool kind may run its
 * tasks on many threads or processes at once. Run one map or device run of
 * a prepared workload at a time (two maps of one file_write would write the
 * same file names); brg_workload_reference and brg_workload_check may run
 * alongside anything, and different prepared workloads are independent.
 * brg_workload_ctx_free must not race with any of them. The kernels follow
 * device.h's rules. */
#ifndef BRG_WORKLOADS_H
#define BRG_WORKLOADS_H

#include <stddef.h>
#include <stdint.h>

#include "brigade/brigade.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the workload registry -------------------------------------------------------- */

/* A parameter set. Each workload reads the fields its `params` mask names;
 * the others are ignored. Zero-initialised fields are valid values. */
typedef struct brg_workload_params {
    int64_t  n;                 /* tasks (items the pool maps over); mean_chunks: chunks */
    double   seconds_per_task;  /* sleep: 0 to 86400 */
    int64_t  value;             /* prime_heavy: the integer tested by every task */
    int64_t  letters;           /* file_write: letters per file, >= 0 */
    int64_t  megabytes;         /* big_alloc: MiB (2^20 bytes) per task, >= 0 */
    int64_t  size;              /* mean_chunks: elements of the array, >= 0 */
    uint64_t seed;              /* file_write, big_alloc, mean_chunks: the Philox key */
    int      workers;           /* big_alloc: tasks holding memory at once, for the memory
                                   check (the pool's workers); 0: online cores */
    const char *dir;            /* file_write: where the temporary directory goes;
                                   NULL: $TMPDIR, else /tmp. Copied by prepare. */
} brg_workload_params;

/* Bits of brg_workload_info.params: the fields a workload reads, named as
 * the tutorial (and the bench's JSON) name them. */
#define BRG_WORKLOAD_PARAM_N                (1u << 0)  /* "n" */
#define BRG_WORKLOAD_PARAM_SECONDS_PER_TASK (1u << 1)  /* "seconds_per_task" */
#define BRG_WORKLOAD_PARAM_VALUE            (1u << 2)  /* "value" */
#define BRG_WORKLOAD_PARAM_LETTERS          (1u << 3)  /* "letters" */
#define BRG_WORKLOAD_PARAM_MEGABYTES        (1u << 4)  /* "megabytes" */
#define BRG_WORKLOAD_PARAM_SIZE             (1u << 5)  /* "size" */

typedef struct brg_workload_info {
    const char *name;           /* contract name: "sleep", "prime_heavy", "prime_range",
                                   "file_write", "big_alloc", "mean_chunks" */
    const char *description;    /* one line */
    unsigned params;            /* BRG_WORKLOAD_PARAM_* bits */
    int host_only;              /* 1: no device form (sleep, file_write) */
    size_t result_size;         /* bytes each task writes */
    int n_sizes;
    const brg_workload_params *sizes;   /* the tutorial's parameter sets, n_sizes of them */
} brg_workload_info;

/* big_alloc's result: len(big_array) as the tutorial returns it, and the
 * array's last value (0.0 when empty), which the check recomputes. */
typedef struct brg_workload_alloc_result {
    int64_t count;
    double last;
} brg_workload_alloc_result;

/* The number of workloads, and workload i (0 <= i < count; NULL outside).
 * Static storage. */
int brg_workload_count(void);
const brg_workload_info *brg_workload_get(int i);

/* The workload named name. Errors: BRG_ERR_INVALID_ARG (name or out NULL,
 * or an unknown name: the message lists the known ones; *out is NULL). */
brg_status brg_workload_find(const char *name, const brg_workload_info **out);

/* ---- prepared workloads ---------------------------------------------------------- */

typedef struct brg_workload_ctx brg_workload_ctx;

/* Check p for workload w and make what its tasks need: mean_chunks's array
 * (size doubles), file_write's temporary directory (mkdtemp, removed by
 * brg_workload_ctx_free, files and all). big_alloc checks that `workers`
 * tasks fit in the available memory and, when they do not, scales megabytes
 * down and says so in brg_workload_ctx_note; *p is not changed. On success
 * the caller owns *out and releases it with brg_workload_ctx_free; on
 * failure *out is NULL and nothing is left behind. Errors:
 * BRG_ERR_INVALID_ARG (w not from the registry, p or out NULL, a parameter
 * out of range: n < 0, letters < 0...), BRG_ERR_OVERFLOW (sizes that do
 * not fit: sleep's i * i past INT64_MAX, megabytes or size in bytes past
 * size_t), BRG_ERR_OUT_OF_MEMORY (mean_chunks's array; big_alloc when not
 * even 1 MiB per task fits), BRG_ERR_IO (the directory, naming it). */
brg_status brg_workload_prepare(const brg_workload_info *w, const brg_workload_params *p,
                                brg_workload_ctx **out);

/* Release a prepared workload: its memory, and for file_write its
 * directory with anything left in it. NULL is fine. */
void brg_workload_ctx_free(brg_workload_ctx *ctx);

/* Borrowed views of a prepared workload, valid until it is freed: its
 * registry entry, the parameters it runs with (big_alloc's megabytes after
 * any scaling), and a note for the report ("" when none, e.g. "megabytes
 * scaled from 5000 to 1186 per task: 3 workers, 3.5 GiB available"). NULL
 * ctx gives NULL, NULL and "". */
const brg_workload_info   *brg_workload_ctx_info(const brg_workload_ctx *ctx);
const brg_workload_params *brg_workload_ctx_params(const brg_workload_ctx *ctx);
const char                *brg_workload_ctx_note(const brg_workload_ctx *ctx);

/* The task, for brg_pool_map with ctx as the map's ctx:
 *   brg_pool_map(pool, brg_workload_ctx_task(ctx), ctx, params->n, results,
 *                info->result_size, &failed);
 * NULL for NULL ctx. A task fails with the status of what failed
 * (BRG_ERR_IO naming the path and errno's text; BRG_ERR_OUT_OF_MEMORY). */
brg_task_fn brg_workload_ctx_task(const brg_workload_ctx *ctx);

/* That map: the n tasks on pool into results (n * result_size caller-owned
 * bytes). failed_index as brg_pool_map's. */
brg_status brg_workload_map(brg_workload_ctx *ctx, brg_pool *pool, void *results,
                            int64_t *failed_index);

/* Bytes of the results buffer: n * result_size. BRG_ERR_OVERFLOW past size_t. */
brg_status brg_workload_results_bytes(const brg_workload_ctx *ctx, size_t *bytes);

/* The whole workload on dev as data-parallel calls, writing the same results
 * as the map (big_alloc: one device allocation and fill per task, in turn).
 * Errors: BRG_ERR_INVALID_ARG (NULL ctx, dev, or results with n > 0),
 * BRG_ERR_UNSUPPORTED (a host-only workload), BRG_ERR_OUT_OF_MEMORY
 * (big_alloc's megabytes do not fit the device), device errors. */
brg_status brg_workload_run_device(brg_workload_ctx *ctx, brg_device *dev, void *results);

/* The sequential answer, computed directly (sleep does not sleep, file_write
 * writes no file): results as the map writes them. */
brg_status brg_workload_reference(const brg_workload_ctx *ctx, void *results);

/* Compare results of a map or a device run with the reference: *pass = 1
 * when every item matches, else 0 and detail (cap bytes, may be NULL
 * with cap 0) names the first item that differs. Items match bit for bit,
 * except mean_chunks, whose means may differ by the summation's documented
 * error (4 * 2^-53 * mean, both NaN for an empty chunk) since devices sum
 * in different orders. Errors: BRG_ERR_INVALID_ARG (NULL ctx, pass, or
 * results with n > 0), BRG_ERR_OUT_OF_MEMORY (the reference's buffer). */
brg_status brg_workload_check(const brg_workload_ctx *ctx, const void *results, int *pass,
                              char *detail, size_t cap);

#ifdef __cplusplus
}
#endif
#endif

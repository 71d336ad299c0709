/* file_write: the tutorial's
 *     letters = ''.join(random.choices(string.ascii_letters, k=letters))
 *     open(f"data/{x}.txt", "w").write(letters); os.remove(...)
 * in a temporary directory of its own. Task i's letters come from the f32
 * uniform stream i + 1 of the seed (brg_fill_uniform_f32 on the host), value
 * k giving letter k as ascii_letters[floor(u_k * 52)] (as random.choices
 * picks), so every pool kind writes the same files; the task returns the
 * FNV-1a hash of what it wrote, which the reference recomputes without
 * writing.
 *
 * Nothing is left behind: a task that fails removes its partial file before
 * returning BRG_ERR_IO, and brg_workload_ctx_free removes the directory with
 * whatever is in it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "impl.h"

static const char ascii_letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

enum { PIECE = 4096 }; /* letters made and written at a time */

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static atomic_llong fail_task = -1, fail_after;

void brg_test_workload_fail_write(int64_t task, int64_t after_bytes)
{
    atomic_store(&fail_after, after_bytes);
    atomic_store(&fail_task, task < 0 ? -1 : task);
}

/* Letters [first, first + count) of task `task`, count <= PIECE. */
static brg_status make_letters(const brg_workload_ctx *c, int64_t task, int64_t first,
                               int64_t count, char *out)
{
    float u[PIECE];
    brg_fill_options at = {(uint64_t)task + 1, first};
    brg_status st = brg_fill_uniform_f32(c->cpu, u, count, c->p.seed, &at);
    for (int64_t k = 0; st == BRG_OK && k < count; k++)
        out[k] = ascii_letters[(int)((double)u[k] * 52.0)]; /* u < 1: below 52 */
    return st;
}

static uint64_t fnv1a(uint64_t h, const char *p, int64_t n)
{
    for (int64_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * FNV_PRIME;
    return h;
}

/* ---- prepare and release ---------------------------------------------------------- */

static const char *parent_dir(const brg_workload_ctx *c)
{
    if (c->p.dir) return c->p.dir;
    const char *tmp = getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

static brg_status files_prepare(brg_workload_ctx *c)
{
    if (c->p.letters < 0)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "file_write: letters must be >= 0, got %lld",
                         (long long)c->p.letters);
    brg_status st = brg_workload_use_cpu(c);
    if (st != BRG_OK) return st;
    const char *parent = parent_dir(c);
    /* Room for "/<int64>.txt" after the directory's name. */
    int len = snprintf(c->dir, sizeof c->dir, "%s/brigade-file_write-XXXXXX", parent);
    if (len < 0 || (size_t)len + 32 >= sizeof c->dir) {
        c->dir[0] = '\0';
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "file_write: directory name too long: %.200s...",
                         parent);
    }
    if (!mkdtemp(c->dir)) {
        int err = errno;
        st = BRG_ERROR(BRG_ERR_IO, "file_write: cannot create a directory %s: %s", c->dir,
                       strerror(err));
        c->dir[0] = '\0';
        return st;
    }
    return BRG_OK;
}

/* Remove the directory and anything a task left in it. Best effort: a
 * missing directory (removed by someone else) is fine. */
static void files_release(brg_workload_ctx *c)
{
    if (!c->dir[0]) return;
    DIR *d = opendir(c->dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                (void)unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    (void)rmdir(c->dir);
    c->dir[0] = '\0';
}

/* ---- the task ------------------------------------------------------------------------ */

/* Write all n bytes, through short writes and signals; the test hook fails
 * it like a full disk once `written` reaches its threshold. */
static int write_all(int fd, const char *p, int64_t n, int64_t task, int64_t *written)
{
    while (n > 0) {
        int64_t allowed = n;
        if (atomic_load_explicit(&fail_task, memory_order_relaxed) == task) {
            allowed = atomic_load_explicit(&fail_after, memory_order_relaxed) - *written;
            if (allowed <= 0) {
                errno = ENOSPC;
                return -1;
            }
            if (allowed > n) allowed = n;
        }
        ssize_t w = write(fd, p, (size_t)allowed);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        p += w;
        n -= w;
        *written += w;
    }
    return 0;
}

/* Make the letters of task i, write them to fd unless fd < 0 (the
 * reference), and hash them. -1 with errno when a write failed; -2 when
 * the letters could not be made (brg_last_error says why). */
static int letters_pass(const brg_workload_ctx *c, int64_t i, int fd, uint64_t *hash)
{
    char piece[PIECE];
    uint64_t h = FNV_OFFSET;
    int64_t written = 0;
    for (int64_t first = 0; first < c->p.letters; first += PIECE) {
        int64_t count = c->p.letters - first < PIECE ? c->p.letters - first : PIECE;
        if (make_letters(c, i, first, count, piece) != BRG_OK) return -2;
        if (fd >= 0 && write_all(fd, piece, count, i, &written) != 0) return -1;
        h = fnv1a(h, piece, count);
    }
    *hash = h;
    return 0;
}

static brg_status files_task(int64_t i, void *result, void *ctx)
{
    const brg_workload_ctx *c = ctx;
    char path[BRG_WORKLOAD_PATH_MAX + 32]; /* the directory, "/", an int64, ".txt" */
    snprintf(path, sizeof path, "%s/%lld.txt", c->dir, (long long)i);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return BRG_ERROR(BRG_ERR_IO, "open %s: %s", path, strerror(errno));
    uint64_t hash = 0;
    const char *step = "write";
    int failed = letters_pass(c, i, fd, &hash);
    if (failed == -2) { /* the letters, not the file system */
        char why[512];
        snprintf(why, sizeof why, "%s", brg_last_error());
        close(fd);
        (void)unlink(path);
        return BRG_ERROR(BRG_ERR_DEVICE, "file_write task %lld: letters: %s", (long long)i, why);
    }
    if (!failed) {
        step = "close";
        failed = close(fd);  /* where delayed write errors (NFS, quota) show */
    } else {
        int err = errno;
        close(fd);
        errno = err;
    }
    if (!failed) {
        step = "remove";
        failed = unlink(path);
        if (!failed) {
            *(uint64_t *)result = hash;
            return BRG_OK;
        }
    }
    brg_status st = BRG_ERROR(BRG_ERR_IO, "%s %s: %s", step, path, strerror(errno));
    (void)unlink(path); /* leave no partial file */
    return st;
}

static brg_status files_reference(const brg_workload_ctx *c, void *results)
{
    uint64_t *r = results;
    for (int64_t i = 0; i < c->p.n; i++)
        if (letters_pass(c, i, -1, &r[i]) != 0) return BRG_ERR_DEVICE; /* brg_last_error says why */
    return BRG_OK;
}

static void format_hash(const void *item, char *buf, size_t cap)
{
    uint64_t h;
    memcpy(&h, item, sizeof h);
    snprintf(buf, cap, "hash %016llx", (unsigned long long)h);
}

const brg_workload_ops brg_workload_file_write_ops = {
    .prepare = files_prepare,
    .release = files_release,
    .task = files_task,
    .reference = files_reference,
    .format = format_hash,
};

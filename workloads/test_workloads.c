/* The tutorial's Part 1 workloads (workloads.h, the bench's library): the
 * registry, every workload's pool result against its sequential answer for
 * every pool kind, device runs against the same answer, the file workload
 * leaving nothing behind even when it fails, big_alloc scaling itself to
 * the memory there is, and bad arguments.
 *
 * Test cases run in this order: registry and arguments, then one case per
 * pool kind with OpenMP last (process pools work after OpenMP too). With a
 * GPU fixture the process cases are skipped: once a GPU runtime has started
 * in the process, process pools refuse to fork. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h" /* brg_test_fail_alloc_after */
#include "harness.h"
#include "impl.h"

static const brg_pool_kind kinds[] = {BRG_POOL_SEQUENTIAL, BRG_POOL_THREADS, BRG_POOL_PROCESSES,
                                      BRG_POOL_OPENMP};
static const char *const kind_names[] = {"sequential", "threads", "processes", "openmp"};

/* ---- helpers ------------------------------------------------------------------- */

static const brg_workload_info *find(const char *name)
{
    const brg_workload_info *w = NULL;
    BRG_ASSERT_OK(brg_workload_find(name, &w));
    return w;
}

/* Small sizes with the shape of the tutorial's: file_write's 5000 letters
 * span two write pieces, big_alloc's 2 MiB are 262144 doubles. */
static brg_workload_params small_params(const char *name, int64_t n)
{
    brg_workload_params p = {.n = n, .seed = 11};
    if (strcmp(name, "sleep") == 0) p.seconds_per_task = 0.0002;
    if (strcmp(name, "prime_heavy") == 0) p.value = 9999991;
    if (strcmp(name, "file_write") == 0) p.letters = 5000;
    if (strcmp(name, "big_alloc") == 0) {
        p.megabytes = 2;
        p.workers = 3;
    }
    if (strcmp(name, "mean_chunks") == 0) p.size = 10007;
    return p;
}

static brg_workload_ctx *prepare(const char *name, const brg_workload_params *p)
{
    brg_workload_ctx *c = NULL;
    BRG_ASSERT_OK(brg_workload_prepare(find(name), p, &c));
    ck_assert_ptr_nonnull(c);
    return c;
}

static void *results_for(const brg_workload_ctx *c)
{
    size_t bytes;
    BRG_ASSERT_OK(brg_workload_results_bytes(c, &bytes));
    void *r = malloc(bytes ? bytes : 1);
    ck_assert_ptr_nonnull(r);
    memset(r, 0xa5, bytes);
    return r;
}

static brg_status map_on(brg_pool_kind kind, int workers, int64_t chunk, brg_workload_ctx *c,
                         void *results, int64_t *failed)
{
    brg_pool_options o = {.kind = kind, .workers = workers, .chunk = chunk};
    brg_pool *pool = NULL;
    BRG_ASSERT_OK(brg_pool_create(&o, &pool));
    brg_status st = brg_workload_map(c, pool, results, failed);
    brg_pool_free(pool);
    return st;
}

static void assert_check_passes(const brg_workload_ctx *c, const void *results, const char *who)
{
    int pass = 0;
    char detail[256];
    BRG_ASSERT_OK(brg_workload_check(c, results, &pass, detail, sizeof detail));
    ck_assert_msg(pass, "%s: %s", who, detail);
}

/* 1 when this kind cannot run here: OpenMP missing from the build (TSan),
 * or processes after a GPU runtime started (the fixture opened a GPU). */
static int kind_skipped(brg_pool_kind kind, const char *test)
{
    if (kind == BRG_POOL_PROCESSES && brg_test_is_gpu()) {
        printf("SKIP: %s (processes): no fork after the %s runtime started\n", test, brg_test_spec);
        return 1;
    }
    if (kind != BRG_POOL_OPENMP) return 0;
    brg_pool_options o = {.kind = kind, .workers = 1};
    brg_pool *pool = NULL;
    BRG_ASSERT_OK(brg_pool_create(&o, &pool));
    brg_workload_params p = small_params("sleep", 1);
    brg_workload_ctx *c = prepare("sleep", &p);
    int64_t r;
    brg_status st = brg_workload_map(c, pool, &r, NULL);
    brg_workload_ctx_free(c);
    brg_pool_free(pool);
    if (st != BRG_ERR_UNSUPPORTED) return 0;
    printf("SKIP: %s (openmp): %s\n", test, brg_last_error());
    return 1;
}

#define KIND_TEST_BEGIN(name)                                 \
    START_TEST(name)                                          \
    {                                                         \
        brg_pool_kind kind = kinds[_i];                       \
        const char *kind_name = kind_names[_i];               \
        (void)kind_name;                                      \
        if (kind_skipped(kind, #name)) return;

#define KIND_TEST_END \
    }                 \
    END_TEST

static int dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int dir_entries(const char *path)
{
    DIR *d = opendir(path);
    ck_assert_msg(d != NULL, "opendir %s: %s", path, strerror(errno));
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) count++;
    closedir(d);
    return count;
}

/* ---- the registry ------------------------------------------------------------------ */

START_TEST(the_registry_lists_the_six_contract_workloads_in_order)
{
    static const char *const names[] = {"sleep",      "prime_heavy", "prime_range",
                                        "file_write", "big_alloc",   "mean_chunks"};
    static const int host_only[] = {1, 0, 0, 1, 0, 0};
    ck_assert_int_eq(brg_workload_count(), 6);
    for (int i = 0; i < 6; i++) {
        const brg_workload_info *w = brg_workload_get(i);
        ck_assert_ptr_nonnull(w);
        ck_assert_str_eq(w->name, names[i]);
        ck_assert_ptr_eq(find(names[i]), w);
        ck_assert_int_eq(w->host_only, host_only[i]);
        ck_assert(w->description && *w->description);
        ck_assert(w->n_sizes >= 2 && w->sizes);
        ck_assert(w->params & BRG_WORKLOAD_PARAM_N);
        ck_assert_uint_gt(w->result_size, 0);
    }
    ck_assert_ptr_null(brg_workload_get(-1));
    ck_assert_ptr_null(brg_workload_get(6));
}
END_TEST

START_TEST(the_registry_holds_the_tutorials_sizes)
{
    const brg_workload_info *w = find("sleep");
    ck_assert(w->sizes[0].n == 25 && w->sizes[0].seconds_per_task == 1.0);
    ck_assert(w->sizes[1].n == 2500 && w->sizes[1].seconds_per_task == 0.01);
    w = find("prime_heavy");
    ck_assert(w->sizes[0].n == 1000 && w->sizes[1].n == 100000);
    ck_assert(w->sizes[0].value == 9999991 && w->sizes[1].value == 9999991);
    w = find("prime_range");
    ck_assert(w->sizes[0].n == 1000 && w->sizes[1].n == 1000000);
    w = find("file_write");
    ck_assert_int_eq(w->n_sizes, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert(w->sizes[i].n == 1000 || w->sizes[i].n == 100000);
        ck_assert(w->sizes[i].letters == 200 || w->sizes[i].letters == 20000);
    }
    w = find("big_alloc");
    ck_assert(w->sizes[0].megabytes == 500 && w->sizes[0].n == 100);
    ck_assert(w->sizes[1].megabytes == 5000 && w->sizes[1].n == 10);
    w = find("mean_chunks");
    ck_assert(w->sizes[0].size == 100000000 && w->sizes[0].n == 100000);
    ck_assert(w->sizes[1].size == 100000000 && w->sizes[1].n == 1000);
}
END_TEST

START_TEST(an_unknown_workload_name_is_an_invalid_argument_listing_the_known_ones)
{
    const brg_workload_info *w = find("sleep");
    BRG_ASSERT_STATUS(brg_workload_find("mean_rows", &w), BRG_ERR_INVALID_ARG);
    ck_assert_ptr_null(w);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "mean_rows"));
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "big_alloc"));
    BRG_ASSERT_STATUS(brg_workload_find(NULL, &w), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_workload_find("sleep", NULL), BRG_ERR_INVALID_ARG);
}
END_TEST

/* ---- arguments ------------------------------------------------------------------------ */

static void assert_prepare_fails(const char *name, brg_workload_params p, brg_status want,
                                 const char *says)
{
    brg_workload_ctx *c = (brg_workload_ctx *)&c;
    BRG_ASSERT_STATUS(brg_workload_prepare(find(name), &p, &c), want);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(brg_last_error(), says), "'%s' not in '%s'", says, brg_last_error());
}

START_TEST(bad_parameters_return_their_status)
{
    brg_workload_params p = small_params("sleep", -1);
    assert_prepare_fails("sleep", p, BRG_ERR_INVALID_ARG, "n must be >= 0");
    p = small_params("sleep", 4);
    p.seconds_per_task = -1;
    assert_prepare_fails("sleep", p, BRG_ERR_INVALID_ARG, "seconds_per_task");
    p.seconds_per_task = NAN;
    assert_prepare_fails("sleep", p, BRG_ERR_INVALID_ARG, "seconds_per_task");
    p = small_params("sleep", 3037000501LL); /* (n - 1)^2 > INT64_MAX */
    assert_prepare_fails("sleep", p, BRG_ERR_OVERFLOW, "overflows");
    p = small_params("file_write", 4);
    p.letters = -1;
    assert_prepare_fails("file_write", p, BRG_ERR_INVALID_ARG, "letters");
    p = small_params("file_write", 4);
    p.dir = "";
    assert_prepare_fails("file_write", p, BRG_ERR_INVALID_ARG, "dir");
    p = small_params("big_alloc", 4);
    p.megabytes = -2;
    assert_prepare_fails("big_alloc", p, BRG_ERR_INVALID_ARG, "megabytes");
    p.megabytes = INT64_MAX;
    assert_prepare_fails("big_alloc", p, BRG_ERR_OVERFLOW, "megabytes");
    p = small_params("big_alloc", 4);
    p.workers = -1;
    assert_prepare_fails("big_alloc", p, BRG_ERR_INVALID_ARG, "workers");
    p = small_params("mean_chunks", 4);
    p.size = -5;
    assert_prepare_fails("mean_chunks", p, BRG_ERR_INVALID_ARG, "size");
    p.size = INT64_MAX;
    assert_prepare_fails("mean_chunks", p, BRG_ERR_OVERFLOW, "size");
}
END_TEST

START_TEST(null_and_foreign_arguments_are_invalid)
{
    brg_workload_params p = small_params("prime_range", 4);
    brg_workload_ctx *c = NULL;
    const brg_workload_info *w = find("prime_range");
    brg_workload_info copy = *w;
    BRG_ASSERT_STATUS(brg_workload_prepare(NULL, &p, &c), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_workload_prepare(w, NULL, &c), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_workload_prepare(w, &p, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_workload_prepare(&copy, &p, &c), BRG_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), "registry"));
    c = prepare("prime_range", &p);
    uint8_t r[4];
    int pass = 1;
    int64_t failed = 7;
    BRG_ASSERT_STATUS(brg_workload_map(NULL, NULL, r, &failed), BRG_ERR_INVALID_ARG);
    ck_assert_int_eq(failed, -1);
    BRG_ASSERT_STATUS(brg_workload_map(c, NULL, r, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_workload_run_device(c, NULL, r), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_workload_run_device(c, brg_test_dev, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_workload_run_device(NULL, brg_test_dev, r), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_workload_reference(c, NULL), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_workload_reference(NULL, r), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_workload_check(c, r, NULL, NULL, 0), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_workload_check(c, NULL, &pass, NULL, 0), BRG_ERR_INVALID_ARG);
    ck_assert_int_eq(pass, 0);
    size_t bytes;
    BRG_ASSERT_STATUS(brg_workload_results_bytes(NULL, &bytes), BRG_ERR_INVALID_ARG);
    BRG_ASSERT_STATUS(brg_workload_results_bytes(c, NULL), BRG_ERR_INVALID_ARG);
    brg_workload_ctx_free(c);
    brg_workload_ctx_free(NULL);
    ck_assert_ptr_null(brg_workload_ctx_info(NULL));
    ck_assert_ptr_null(brg_workload_ctx_params(NULL));
    ck_assert_ptr_null(brg_workload_ctx_task(NULL));
    ck_assert_str_eq(brg_workload_ctx_note(NULL), "");
}
END_TEST

/* n * result_size past size_t is an overflow, for the buffer and the map. */
START_TEST(results_that_do_not_fit_size_t_are_an_overflow)
{
    brg_workload_params p = {.n = INT64_MAX};
    brg_workload_ctx *c = prepare("mean_chunks", &p);
    size_t bytes;
    BRG_ASSERT_STATUS(brg_workload_results_bytes(c, &bytes), BRG_ERR_OVERFLOW);
    double r[1];
    int pass;
    BRG_ASSERT_STATUS(brg_workload_check(c, r, &pass, NULL, 0), BRG_ERR_OVERFLOW);
    BRG_ASSERT_STATUS(map_on(BRG_POOL_SEQUENTIAL, 1, 0, c, r, NULL), BRG_ERR_OVERFLOW);
    brg_workload_ctx_free(c);
}
END_TEST

/* Fail the k-th allocation for k = 1, 2, ... until prepare succeeds: each
 * failure is BRG_ERR_OUT_OF_MEMORY and (under ASan) leaks nothing. */
START_TEST(allocation_failures_in_prepare_are_out_of_memory)
{
    for (int i = 0; i < brg_workload_count(); i++) {
        const brg_workload_info *w = brg_workload_get(i);
        brg_workload_params p = small_params(w->name, 5);
        brg_workload_ctx *c = NULL;
        brg_status st;
        for (long nth = 1;; nth++) {
            brg_test_fail_alloc_after(nth);
            st = brg_workload_prepare(w, &p, &c);
            brg_test_fail_alloc_after(0);
            if (st == BRG_OK) break;
            ck_assert_msg(st == BRG_ERR_OUT_OF_MEMORY, "%s: %s", w->name, brg_last_error());
            ck_assert_ptr_null(c);
        }
        brg_workload_ctx_free(c);
    }
}
END_TEST

/* ---- results ------------------------------------------------------------------------ */

/* Each workload on this kind, at chunk sizes 1, 7 and n, gives what the
 * sequential pool gives and what the reference says, bit for bit. */
KIND_TEST_BEGIN(each_workload_on_each_pool_equals_the_sequential_answer)
    const int64_t n = 37;
    for (int i = 0; i < brg_workload_count(); i++) {
        const brg_workload_info *w = brg_workload_get(i);
        brg_workload_params p = small_params(w->name, n);
        brg_workload_ctx *c = prepare(w->name, &p);
        size_t bytes;
        BRG_ASSERT_OK(brg_workload_results_bytes(c, &bytes));
        void *want = results_for(c), *seq = results_for(c), *got = results_for(c);
        BRG_ASSERT_OK(brg_workload_reference(c, want));
        BRG_ASSERT_OK(map_on(BRG_POOL_SEQUENTIAL, 1, 0, c, seq, NULL));
        ck_assert_msg(memcmp(seq, want, bytes) == 0, "%s: sequential pool != reference", w->name);
        const int64_t chunks[] = {1, 7, n};
        for (int k = 0; k < 3; k++) {
            memset(got, 0xa5, bytes);
            int64_t failed = 99;
            BRG_ASSERT_OK(map_on(kind, 3, chunks[k], c, got, &failed));
            ck_assert_int_eq(failed, -1);
            ck_assert_msg(memcmp(got, seq, bytes) == 0, "%s on %s, chunk %lld: != sequential",
                          w->name, kind_name, (long long)chunks[k]);
            assert_check_passes(c, got, w->name);
        }
        brg_workload_ctx_free(c);
        free(want);
        free(seq);
        free(got);
    }
KIND_TEST_END

KIND_TEST_BEGIN(more_workers_than_items_and_n_zero_work_for_every_workload)
    for (int i = 0; i < brg_workload_count(); i++) {
        const brg_workload_info *w = brg_workload_get(i);
        for (int64_t n = 0; n <= 3; n += 3) {
            brg_workload_params p = small_params(w->name, n);
            brg_workload_ctx *c = prepare(w->name, &p);
            void *got = results_for(c);
            BRG_ASSERT_OK(map_on(kind, 8, 0, c, got, NULL));
            assert_check_passes(c, got, w->name);
            brg_workload_ctx_free(c);
            free(got);
        }
    }
KIND_TEST_END

/* A task fails like a full disk halfway through its file: the map returns
 * BRG_ERR_IO at that task, naming the path, the partial file is gone, and
 * freeing the workload removes its directory. */
KIND_TEST_BEGIN(a_file_write_failing_halfway_leaves_nothing_behind)
    brg_workload_params p = small_params("file_write", 20);
    brg_workload_ctx *c = prepare("file_write", &p);
    char dir[BRG_WORKLOAD_PATH_MAX], path[BRG_WORKLOAD_PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s", brg_workload_ctx_dir(c));
    snprintf(path, sizeof path, "%s/5.txt", dir);
    void *got = results_for(c);
    int64_t failed = 0;
    brg_test_workload_fail_write(5, 4500); /* within the second piece */
    brg_status st = map_on(kind, 3, 1, c, got, &failed);
    brg_test_workload_fail_write(-1, 0);
    ck_assert_int_eq(st, BRG_ERR_IO);
    ck_assert_int_eq(failed, 5);
    ck_assert_msg(strstr(brg_last_error(), path), "'%s' not in '%s'", path, brg_last_error());
    ck_assert_ptr_nonnull(strstr(brg_last_error(), strerror(ENOSPC)));
    ck_assert_int_eq(dir_entries(dir), 0);
    brg_workload_ctx_free(c);
    ck_assert_msg(!dir_exists(dir), "%s is still there", dir);
    free(got);
KIND_TEST_END

/* ---- file_write and the file system --------------------------------------------------- */

START_TEST(file_write_leaves_an_empty_directory_and_free_removes_it)
{
    brg_workload_params p = small_params("file_write", 12);
    brg_workload_ctx *c = prepare("file_write", &p);
    char dir[BRG_WORKLOAD_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", brg_workload_ctx_dir(c));
    ck_assert(dir_exists(dir));
    void *got = results_for(c);
    BRG_ASSERT_OK(map_on(BRG_POOL_THREADS, 4, 1, c, got, NULL));
    ck_assert_int_eq(dir_entries(dir), 0);
    assert_check_passes(c, got, "file_write");
    /* Whatever is in it when the workload is freed goes too. */
    char stray[BRG_WORKLOAD_PATH_MAX + 32];
    snprintf(stray, sizeof stray, "%s/stray.txt", dir);
    FILE *f = fopen(stray, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    brg_workload_ctx_free(c);
    ck_assert(!dir_exists(dir));
    free(got);
}
END_TEST

/* The directory goes under p.dir when given, else $TMPDIR. */
START_TEST(file_write_uses_the_given_directory_then_tmpdir)
{
    char parent[] = "/tmp/brigade-test-parent-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(parent));
    brg_workload_params p = small_params("file_write", 2);
    p.dir = parent;
    brg_workload_ctx *c = prepare("file_write", &p);
    ck_assert(strncmp(brg_workload_ctx_dir(c), parent, strlen(parent)) == 0);
    ck_assert_str_eq(brg_workload_ctx_params(c)->dir, parent);
    brg_workload_ctx_free(c);
    const char *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;
    setenv("TMPDIR", parent, 1);
    p.dir = NULL;
    c = prepare("file_write", &p);
    ck_assert(strncmp(brg_workload_ctx_dir(c), parent, strlen(parent)) == 0);
    brg_workload_ctx_free(c);
    if (saved) setenv("TMPDIR", saved, 1); else unsetenv("TMPDIR");
    free(saved);
    ck_assert_int_eq(dir_entries(parent), 0);
    ck_assert_int_eq(rmdir(parent), 0);
}
END_TEST

START_TEST(file_write_in_a_missing_or_non_directory_parent_is_an_io_error)
{
    brg_workload_params p = small_params("file_write", 2);
    p.dir = "/nonexistent-brigade-parent/sub";
    assert_prepare_fails("file_write", p, BRG_ERR_IO, "/nonexistent-brigade-parent/sub/brigade");
    ck_assert_ptr_nonnull(strstr(brg_last_error(), strerror(ENOENT)));
    char file[] = "/tmp/brigade-test-file-XXXXXX";
    int fd = mkstemp(file);
    ck_assert_int_ge(fd, 0);
    close(fd);
    p.dir = file;
    assert_prepare_fails("file_write", p, BRG_ERR_IO, file);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), strerror(ENOTDIR)));
    unlink(file);
}
END_TEST

/* Someone removes the directory under the workload: each task's open fails
 * with the path and errno's text, and freeing it is still fine. */
START_TEST(file_write_whose_directory_vanished_is_an_io_error_naming_the_path)
{
    brg_workload_params p = small_params("file_write", 4);
    brg_workload_ctx *c = prepare("file_write", &p);
    char path[BRG_WORKLOAD_PATH_MAX + 32];
    snprintf(path, sizeof path, "open %s/0.txt", brg_workload_ctx_dir(c));
    ck_assert_int_eq(rmdir(brg_workload_ctx_dir(c)), 0);
    void *got = results_for(c);
    int64_t failed = 0;
    BRG_ASSERT_STATUS(map_on(BRG_POOL_SEQUENTIAL, 1, 0, c, got, &failed), BRG_ERR_IO);
    ck_assert_int_eq(failed, 0);
    ck_assert_msg(strstr(brg_last_error(), path), "'%s' not in '%s'", path, brg_last_error());
    ck_assert_ptr_nonnull(strstr(brg_last_error(), strerror(ENOENT)));
    brg_workload_ctx_free(c);
    free(got);
}
END_TEST

/* A read-only directory (root writes anyway, so not as root). */
START_TEST(file_write_in_a_read_only_directory_is_an_io_error)
{
    if (geteuid() == 0) {
        printf("SKIP: file_write_in_a_read_only_directory_is_an_io_error: root ignores modes\n");
        return;
    }
    brg_workload_params p = small_params("file_write", 4);
    brg_workload_ctx *c = prepare("file_write", &p);
    char dir[BRG_WORKLOAD_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", brg_workload_ctx_dir(c));
    ck_assert_int_eq(chmod(dir, 0500), 0);
    void *got = results_for(c);
    BRG_ASSERT_STATUS(map_on(BRG_POOL_THREADS, 2, 0, c, got, NULL), BRG_ERR_IO);
    ck_assert_ptr_nonnull(strstr(brg_last_error(), dir));
    ck_assert_ptr_nonnull(strstr(brg_last_error(), strerror(EACCES)));
    ck_assert_int_eq(chmod(dir, 0700), 0);
    brg_workload_ctx_free(c);
    ck_assert(!dir_exists(dir));
    free(got);
}
END_TEST

/* ---- big_alloc and memory ------------------------------------------------------------ */

START_TEST(big_alloc_scales_itself_to_the_memory_there_is_and_says_so)
{
    brg_test_workload_set_available((size_t)100 << 20); /* 100 MiB: 90 usable */
    brg_workload_params p = small_params("big_alloc", 10);
    p.megabytes = 500;
    p.workers = 2;
    brg_workload_ctx *c = prepare("big_alloc", &p);
    ck_assert_int_eq(brg_workload_ctx_params(c)->megabytes, 45);
    ck_assert_int_eq(p.megabytes, 500); /* the caller's copy is not changed */
    const char *note = brg_workload_ctx_note(c);
    ck_assert_msg(strstr(note, "scaled from 500 to 45"), "note: %s", note);
    brg_workload_ctx_free(c);
    p.n = 1; /* one task at a time, whatever the workers */
    c = prepare("big_alloc", &p);
    ck_assert_int_eq(brg_workload_ctx_params(c)->megabytes, 90);
    brg_workload_ctx_free(c);
    p.megabytes = 2; /* fits: no note */
    c = prepare("big_alloc", &p);
    ck_assert_int_eq(brg_workload_ctx_params(c)->megabytes, 2);
    ck_assert_str_eq(brg_workload_ctx_note(c), "");
    brg_workload_ctx_free(c);
    brg_test_workload_set_available((size_t)1 << 20);
    p.n = 10;
    assert_prepare_fails("big_alloc", p, BRG_ERR_OUT_OF_MEMORY, "not even 1 MiB");
    brg_test_workload_set_available(0);
}
END_TEST

/* ---- devices --------------------------------------------------------------------------- */

/* The data-parallel workloads on this device give the sequential answer
 * (mean_chunks within the summation's bound); the host-only ones are not
 * applicable, never faked. */
START_TEST(device_runs_give_the_sequential_answer_and_host_only_ones_are_unsupported)
{
    for (int i = 0; i < brg_workload_count(); i++) {
        const brg_workload_info *w = brg_workload_get(i);
        for (int64_t n = 0; n <= 1001; n += 1001) {
            brg_workload_params p = small_params(w->name, strcmp(w->name, "big_alloc") ? n : n % 5);
            brg_workload_ctx *c = prepare(w->name, &p);
            void *got = results_for(c);
            brg_status st = brg_workload_run_device(c, brg_test_dev, got);
            if (w->host_only) {
                ck_assert_int_eq(st, BRG_ERR_UNSUPPORTED);
                ck_assert_ptr_nonnull(strstr(brg_last_error(), "host-only"));
            } else {
                ck_assert_msg(st == BRG_OK, "%s on %s: %s", w->name, brg_test_spec, brg_last_error());
                assert_check_passes(c, got, w->name);
            }
            brg_workload_ctx_free(c);
            free(got);
        }
    }
}
END_TEST

/* The check notices a wrong item and names it; mean_chunks tolerates the
 * summation's rounding, not more. */
START_TEST(the_check_names_the_first_wrong_item)
{
    brg_workload_params p = small_params("prime_range", 10);
    brg_workload_ctx *c = prepare("prime_range", &p);
    uint8_t r[10];
    BRG_ASSERT_OK(brg_workload_reference(c, r));
    r[4] = 1; /* 4 is not prime */
    int pass = 1;
    char detail[256];
    BRG_ASSERT_OK(brg_workload_check(c, r, &pass, detail, sizeof detail));
    ck_assert_int_eq(pass, 0);
    ck_assert_msg(strstr(detail, "item 4"), "detail: %s", detail);
    brg_workload_ctx_free(c);

    p = small_params("mean_chunks", 10);
    c = prepare("mean_chunks", &p);
    double m[10];
    BRG_ASSERT_OK(brg_workload_reference(c, m));
    m[3] = nextafter(m[3], 2.0);
    BRG_ASSERT_OK(brg_workload_check(c, m, &pass, NULL, 0));
    ck_assert_int_eq(pass, 1);
    m[3] *= 1 + 1e-12;
    BRG_ASSERT_OK(brg_workload_check(c, m, &pass, detail, sizeof detail));
    ck_assert_int_eq(pass, 0);
    ck_assert_msg(strstr(detail, "item 3"), "detail: %s", detail);
    brg_workload_ctx_free(c);
}
END_TEST

/* sleep really waits, and returns x*x. */
START_TEST(sleep_tasks_wait_their_seconds)
{
    brg_workload_params p = {.n = 5, .seconds_per_task = 0.02};
    brg_workload_ctx *c = prepare("sleep", &p);
    int64_t r[5];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    BRG_ASSERT_OK(map_on(BRG_POOL_SEQUENTIAL, 1, 0, c, r, NULL));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    ck_assert_msg(took >= 0.1, "5 sleeps of 0.02 s took %g s", took);
    for (int i = 0; i < 5; i++) ck_assert_int_eq(r[i], i * i);
    brg_workload_ctx_free(c);
}
END_TEST

/* ---- the suite ------------------------------------------------------------------------ */

static void add_kind(Suite *s, int k)
{
    TCase *tc = tcase_create(kind_names[k]);
    brg_test_use_device(tc);
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, each_workload_on_each_pool_equals_the_sequential_answer, k, k + 1);
    tcase_add_loop_test(tc, more_workers_than_items_and_n_zero_work_for_every_workload, k, k + 1);
    tcase_add_loop_test(tc, a_file_write_failing_halfway_leaves_nothing_behind, k, k + 1);
    suite_add_tcase(s, tc);
}

static Suite *workloads_suite(void)
{
    Suite *s = suite_create("workloads");
    TCase *tc = tcase_create("api");
    brg_test_use_device(tc);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, the_registry_lists_the_six_contract_workloads_in_order);
    tcase_add_test(tc, the_registry_holds_the_tutorials_sizes);
    tcase_add_test(tc, an_unknown_workload_name_is_an_invalid_argument_listing_the_known_ones);
    tcase_add_test(tc, bad_parameters_return_their_status);
    tcase_add_test(tc, null_and_foreign_arguments_are_invalid);
    tcase_add_test(tc, results_that_do_not_fit_size_t_are_an_overflow);
    tcase_add_test(tc, allocation_failures_in_prepare_are_out_of_memory);
    tcase_add_test(tc, file_write_leaves_an_empty_directory_and_free_removes_it);
    tcase_add_test(tc, file_write_uses_the_given_directory_then_tmpdir);
    tcase_add_test(tc, file_write_in_a_missing_or_non_directory_parent_is_an_io_error);
    tcase_add_test(tc, file_write_whose_directory_vanished_is_an_io_error_naming_the_path);
    tcase_add_test(tc, file_write_in_a_read_only_directory_is_an_io_error);
    tcase_add_test(tc, big_alloc_scales_itself_to_the_memory_there_is_and_says_so);
    tcase_add_test(tc, device_runs_give_the_sequential_answer_and_host_only_ones_are_unsupported);
    tcase_add_test(tc, the_check_names_the_first_wrong_item);
    tcase_add_test(tc, sleep_tasks_wait_their_seconds);
    suite_add_tcase(s, tc);
    for (int k = 0; k < 4; k++) add_kind(s, k); /* OpenMP last */
    return s;
}

int main(int argc, char **argv)
{
    return brg_test_main(argc, argv, workloads_suite);
}

/* libFuzzer harness for bench's command line (bench/options.c): the input
 * is argv, its arguments separated by NUL bytes (at most 64). Whatever the
 * bytes, parsing returns 0, -1 (--help) or 2 (a usage error), and a parse
 * that succeeds leaves options a run can trust: lists within their bounds
 * and terminated, repeat and scale in range, the huge suite's rules
 * applied. ASan and UBSan catch the rest. Usage errors go to /dev/null
 * (brg_bench_usage_errors). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stdout, "fuzz check failed: %s\n", #cond);                            \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

enum { MAX_ARGS = 64 };

static int known(const char *name)
{
    return strcmp(name, "mean_rows") == 0 || strcmp(name, "cosine_topk") == 0 ||
           strcmp(name, "sleep") == 0;
}

static void check_list(char list[][BRG_BENCH_NAME_LEN], int count)
{
    CHECK(count >= 0 && count <= BRG_BENCH_MAX_LIST);
    for (int i = 0; i < count; i++) {
        size_t len = strnlen(list[i], BRG_BENCH_NAME_LEN);
        CHECK(len > 0 && len < BRG_BENCH_NAME_LEN);
        CHECK(strchr(list[i], ',') == NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!brg_bench_usage_errors) /* expected: keep the fuzzer's own output readable */
        brg_bench_usage_errors = fopen("/dev/null", "w");
    if (!brg_bench_usage_errors) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *argv[MAX_ARGS + 2] = {"bench"};
    int argc = 1;
    for (size_t i = 0; i <= size && argc <= MAX_ARGS;) { /* NUL-separated arguments */
        argv[argc++] = &text[i];
        i += strlen(&text[i]) + 1;
    }
    argv[argc] = NULL;
    brg_bench_options o;
    int rc = brg_bench_parse_options(argc, argv, &o, known);
    CHECK(rc == 0 || rc == -1 || rc == 2);
    if (rc == 0) {
        check_list(o.workloads, o.n_workloads);
        check_list(o.runners, o.n_runners);
        for (int i = 0; i < o.n_workloads; i++) CHECK(known(o.workloads[i]));
        CHECK(o.size == BRG_BENCH_SMALL || o.size == BRG_BENCH_SEED || o.size == BRG_BENCH_HUGE);
        CHECK(o.repeat >= 1 && o.repeat <= 1000);
        CHECK(o.size == BRG_BENCH_HUGE || o.repeat >= 3);
        CHECK(o.rounds >= 1 && o.rounds <= o.repeat && o.rounds <= BRG_BENCH_MAX_ROUNDS);
        CHECK(o.size != BRG_BENCH_HUGE || o.rounds == 1);
        CHECK(o.scale > 0.0 && o.scale <= 1.0);
        CHECK(o.workers >= 0 && o.workers <= 4096);
        if (o.size == BRG_BENCH_HUGE) {
            CHECK(o.workspace_bytes > 0);
            CHECK(o.n_workloads == 1 && strcmp(o.workloads[0], "cosine_topk") == 0);
        }
        CHECK(o.warmup == (o.size != BRG_BENCH_HUGE));
    }
    free(text);
    return 0;
}

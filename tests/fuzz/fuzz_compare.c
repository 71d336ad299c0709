/* libFuzzer harness for `bench --compare` (bench/compare.c): the input is two
 * documents, split at its first NUL byte (JSON text has none); without one,
 * the input is compared with itself. Whatever the bytes, the exit status is
 * 0, 1 or 2, and it is consistent: a document compared with itself never
 * reports a slowdown, and two documents compare (0 or 1) exactly when each
 * is valid on its own. Pooled runs too: (OLD, NEW, OLD) against (OLD) is
 * refused exactly when a document is invalid, and (OLD, OLD) against OLD is
 * never a slowdown. ASan and UBSan catch the rest. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

#define CHECK(cond, what)                                                                 \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "fuzz check failed: %s: %s\n", #cond, what);                  \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

static FILE *sink;

static int compare(const char *a, size_t a_len, const char *b, size_t b_len)
{
    int rc = brg_bench_compare_buffers(a, a_len, b, b_len, 0.10, sink, sink);
    CHECK(rc == 0 || rc == 1 || rc == 2, "exit status");
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!sink) sink = fopen("/dev/null", "w");
    CHECK(sink != NULL, "cannot open /dev/null");
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    size_t old_len = nul ? (size_t)(nul - text) : size;
    const char *new_json = nul ? nul + 1 : text;
    size_t new_len = nul ? size - old_len - 1 : size;

    int old_self = compare(text, old_len, text, old_len);
    CHECK(old_self != 1, "OLD against itself: a slowdown");
    if (!nul) return 0;
    int new_self = compare(new_json, new_len, new_json, new_len);
    CHECK(new_self != 1, "NEW against itself: a slowdown");
    int rc = compare(text, old_len, new_json, new_len);
    CHECK((rc != 2) == (old_self == 0 && new_self == 0), "valid pair, yet refused, or not");

    const char *three[3] = {text, new_json, text}, *one[1] = {text};
    size_t three_len[3] = {old_len, new_len, old_len}, one_len[1] = {old_len};
    int pooled = brg_bench_compare_buffer_lists(three, three_len, 3, one, one_len, 1, 0.10, sink,
                                                sink);
    CHECK((pooled != 2) == (rc != 2), "pooled runs refused unlike the pair");
    int twice = brg_bench_compare_buffer_lists(three + 2, three_len + 2, 1, three, three_len, 1,
                                               0.10, sink, sink);
    CHECK(twice == old_self, "one run against itself, pooled or not");
    const char *same[2] = {text, text};
    size_t same_len[2] = {old_len, old_len};
    int doubled = brg_bench_compare_buffer_lists(same, same_len, 2, one, one_len, 1, 0.10, sink,
                                                 sink);
    CHECK(doubled != 1, "OLD twice against OLD: a slowdown");
    return 0;
}

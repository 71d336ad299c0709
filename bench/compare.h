/* bench --compare: two bench JSON documents (docs/design.md §8) side by side.
 *
 * A result is identified by its workload, its runner and its params object
 * (a set of key/value pairs: order does not matter; numbers compare exactly
 * as doubles, strings byte for byte). For a result in both documents:
 *
 *   spread = max(seconds_max - seconds_min, 50 us) / seconds   in each document
 *   ratio  = new seconds / old seconds               (the medians)
 *
 * It moved when |ratio - 1| > max(spread old, spread new): the change is
 * larger than the run-to-run noise either run saw. Every moved result is
 * printed, one line each; a moved result with ratio > 1 + threshold is a
 * slowdown beyond the threshold. A result whose seconds is null (not
 * measured) is skipped and counted; one present in a single document is
 * listed as "only in OLD" or "only in NEW". When something moved and the
 * machine blocks' sgemm_gflops or mem_read_gbs differ by more than the
 * threshold, a "machine:" line says so. The output ends with a one-line
 * summary, and is that line alone when nothing moved. Either side may be
 * several runs of one build, pooled per result (brg_bench_compare_buffer_lists).
 *
 * Independent of the rest of the bench (no brigade call), so that the
 * libFuzzer harness tests/fuzz/fuzz_compare.c links this file alone.
 * Not thread-safe with other users of cJSON's global error pointer. */
#ifndef BRG_BENCH_COMPARE_H
#define BRG_BENCH_COMPARE_H

#include <stddef.h>
#include <stdio.h>

/* Inputs larger than this are refused (exit status 2): a results document
 * is kilobytes, and cJSON needs about 64 bytes per value it holds. */
#define BRG_BENCH_COMPARE_MAX_BYTES ((size_t)16 << 20)

/* Documents on one side of a comparison, at most. */
#define BRG_BENCH_COMPARE_MAX_FILES 64

/* The smallest spread a result is given, in seconds: a thread's wake-up on
 * Linux takes 10-50 us and varies by as much, so two medians closer than
 * this never count as a move. */
#define BRG_BENCH_COMPARE_FLOOR_S 50e-6

/* Compare the documents old_json[0, old_len) and new_json[0, new_len) (need
 * not be NUL-terminated; only read). threshold is a fraction (0.10 = 10%),
 * finite and >= 0. Report lines go to out, errors to err (both open, not
 * closed); messages name the documents "OLD" and "NEW".
 * Returns the exit status: 0 no slowdown beyond the threshold, 1 at least
 * one, 2 a document that is not valid JSON or not a bench results document
 * (what is wrong and where, e.g. "results[3].seconds: expected a number or
 * null"), a bad threshold, or out of memory. */
int brg_bench_compare_buffers(const char *old_json, size_t old_len, const char *new_json,
                              size_t new_len, double threshold, FILE *out, FILE *err);

/* Several runs of one build on either side (1 to BRG_BENCH_COMPARE_MAX_FILES
 * documents each), pooled per result: the median of the runs' medians, the
 * least seconds_min and the greatest seconds_max, so that the spread spans
 * the drift between runs (on a shared machine, larger than within one).
 * A result is compared when measured in at least one run of each side.
 * With one document a side, the same as brg_bench_compare_buffers; with
 * more, the report starts with a line saying how many were pooled. */
int brg_bench_compare_buffer_lists(const char *const *old_json, const size_t *old_len,
                                   size_t n_old, const char *const *new_json,
                                   const size_t *new_len, size_t n_new, double threshold,
                                   FILE *out, FILE *err);

/* The same on files, which messages name by their paths: old_paths and
 * new_paths are each a path or a comma-separated list of paths. A file that
 * cannot be read, or an empty name in a list, is exit status 2. */
int brg_bench_compare_files(const char *old_paths, const char *new_paths, double threshold,
                            FILE *out, FILE *err);

/* When argv has a "--compare" argument, bench runs this instead of any
 * workload (without cJSON at build time, compare_missing.c's, which says so).
 * `bench --compare OLD.json NEW.json [--threshold PCT]` (either file may be a
 * comma-separated list of runs; PCT in percent,
 * default 10; "10", "10%" and "--threshold=10" all work): the exit status
 * of brg_bench_compare_files on stdout and stderr, or 2 for a bad command
 * line (message on stderr), or 0 after --help. */
int brg_bench_compare_main(int argc, char **argv);

#endif

# ctest cases of scripts/bench-compare, included from bench/CMakeLists.txt
# (with python3). Each runs compare_check.cmake, which checks the exit status
# and the output; the documents are in testdata/.
set(cmp_data ${CMAKE_CURRENT_SOURCE_DIR}/testdata)

# bench_compare_test(NAME RC OLD NEW [ARGS extra...] [MATCH re] [NO_MATCH re])
function(bench_compare_test name rc old new)
  cmake_parse_arguments(PARSE_ARGV 4 t "" "MATCH;NO_MATCH" "ARGS")
  set(args ${PROJECT_SOURCE_DIR}/scripts/bench-compare ${old} ${new} ${t_ARGS})
  list(JOIN args "|" args)
  set(checks)
  if(DEFINED t_MATCH)
    list(APPEND checks "-DMATCH=${t_MATCH}")
  endif()
  if(DEFINED t_NO_MATCH)
    list(APPEND checks "-DNO_MATCH=${t_NO_MATCH}")
  endif()
  add_test(NAME bench.compare.${name}
           COMMAND ${CMAKE_COMMAND} -DCMD=${BRIGADE_PYTHON3} "-DARGS=${args}" -DRC=${rc}
                   ${checks} -P ${CMAKE_CURRENT_SOURCE_DIR}/compare_check.cmake)
  set_tests_properties(bench.compare.${name} PROPERTIES LABELS bench TIMEOUT 60)
endfunction()

bench_compare_test(planted_2x_slowdown 1 ${cmp_data}/base.json ${cmp_data}/slow2x.json
  MATCH "moved: mean_rows dtype=f64 cols=10 rows=100000 on cpu: 0.1 s -> 0.2 s, x2.00 slower[^\n]*beyond the 10% threshold\ncompared 4, moved 1, slowdowns beyond the 10% threshold 1")
bench_compare_test(same_file_quiet 0 ${cmp_data}/base.json ${cmp_data}/base.json
  MATCH "^compared 4, moved 0, slowdowns beyond the 10% threshold 0, skipped 1 without a time[^\n]*\n$"
  NO_MATCH "moved:|only in")
bench_compare_test(within_spread_quiet 0 ${cmp_data}/base.json ${cmp_data}/within5.json
  MATCH "^compared 4, moved 0, [^\n]*\n$")
bench_compare_test(speedup_printed 0 ${cmp_data}/base.json ${cmp_data}/speedup.json
  MATCH "moved: cosine_topk nb=10000 dim=100 nq=1000 k=3 path=host on emu:32: 1.5 s -> 1 s, x0.67 faster"
  NO_MATCH "beyond the 10% threshold [1-9]")
bench_compare_test(slowdown_within_threshold 0 ${cmp_data}/base.json ${cmp_data}/slow15.json
  ARGS --threshold 20%
  MATCH "moved: mean_rows rows=100000 cols=10 dtype=f32 on cpu: 0.05 s -> 0.0575 s, x1.15 slower"
  NO_MATCH "beyond the 20% threshold [1-9]")
bench_compare_test(slowdown_beyond_threshold 1 ${cmp_data}/base.json ${cmp_data}/slow15.json
  MATCH "x1.15 slower[^\n]*beyond the 10% threshold\n")
bench_compare_test(threshold_equals_form 0 ${cmp_data}/base.json ${cmp_data}/slow15.json
  ARGS --threshold=20 MATCH "slowdowns beyond the 20% threshold 0")
bench_compare_test(only_in_one_file 0 ${cmp_data}/base.json ${cmp_data}/only.json
  MATCH "only in OLD: mean_chunks n=1000 size=1000000 dtype=f64 on cpu\nonly in NEW: mean_rows rows=100000 cols=10 dtype=f64 on emu:32\n")
bench_compare_test(truncated_json 2 ${cmp_data}/base.json ${cmp_data}/truncated.json
  MATCH "truncated.json: not valid JSON \\(error at byte")
bench_compare_test(results_not_array 2 ${cmp_data}/results_not_array.json ${cmp_data}/base.json
  MATCH "results_not_array.json: results: expected an array")
bench_compare_test(seconds_string 2 ${cmp_data}/base.json ${cmp_data}/seconds_string.json
  MATCH "seconds_string.json: results\\[2\\].seconds: expected a number or null")
bench_compare_test(zero_median 2 ${cmp_data}/zero_median.json ${cmp_data}/base.json
  MATCH "zero_median.json: results\\[1\\].seconds: expected a time > 0")
bench_compare_test(missing_file 2 ${cmp_data}/base.json ${cmp_data}/no-such-file.json
  MATCH "cannot open [^\n]*no-such-file.json: No such file")
bench_compare_test(bad_threshold 2 ${cmp_data}/base.json ${cmp_data}/base.json
  ARGS --threshold ten MATCH "--threshold: expected a percentage")
bench_compare_test(one_file_only 2 ${cmp_data}/base.json --threshold=5
  MATCH "needs two files")
bench_compare_test(threshold_without_value 2 ${cmp_data}/base.json ${cmp_data}/base.json
  ARGS --threshold MATCH "--threshold needs a value")
# Two runs of the same build moved a 10 us map from 9.5 us to 21 us: under
# the 50 us floor of a spread (a thread's wake-up jitter), so not a move.
bench_compare_test(microsecond_jitter_quiet 0 ${cmp_data}/tiny_old.json ${cmp_data}/tiny_new.json
  MATCH "^compared 1, moved 0, [^\n]*\n$")
# Several runs a side (comma-separated): a second run of the same build in a
# slower phase of a shared machine (drift_slow: everything x1.3, each run's
# own spread tight) is a "slowdown" against one run, but pooled runs span
# that drift and stay quiet; a planted 2x slowdown still stands out.
bench_compare_test(one_run_each_drift_flagged 1 ${cmp_data}/base.json ${cmp_data}/drift_slow.json
  MATCH "compared 4, moved 4, slowdowns beyond the 10% threshold 4" NO_MATCH "machine:")
# The same drift with the second run's own sgemm ceiling 23% lower: a line
# before the summary says the machine itself was slower; not when nothing
# moved (pooled), since the ceilings are noisy too.
bench_compare_test(slow_machine_said 1 ${cmp_data}/base.json ${cmp_data}/slow_machine.json
  MATCH "\nmachine: sgemm_gflops 81.1 -> 62.4 \\(x0.77\\), mem_read_gbs 8.41 -> 8.41 \\(x1.00\\): the machine's own ceilings[^\n]*\ncompared 4, moved 4")
bench_compare_test(slow_machine_quiet_when_nothing_moved 0
  ${cmp_data}/base.json,${cmp_data}/slow_machine.json ${cmp_data}/drift_mid.json,${cmp_data}/base.json
  MATCH "compared 4, moved 0" NO_MATCH "machine:")
bench_compare_test(pooled_runs_drift_quiet 0 ${cmp_data}/base.json,${cmp_data}/drift_slow.json
  ${cmp_data}/drift_mid.json,${cmp_data}/base.json
  MATCH "^pooled: OLD 2 runs, NEW 2 runs[^\n]*\ncompared 4, moved 0, [^\n]*\n$")
bench_compare_test(pooled_runs_planted_2x_slowdown 1
  ${cmp_data}/base.json,${cmp_data}/drift_slow.json,${cmp_data}/drift_mid.json ${cmp_data}/slow2x.json
  MATCH "moved: mean_rows dtype=f64 cols=10 rows=100000 on cpu: 0.115 s -> 0.2 s, x1.74 slower[^\n]*beyond the 10% threshold\ncompared 4, moved 1, slowdowns beyond the 10% threshold 1")
bench_compare_test(pooled_empty_name 2 ${cmp_data}/base.json, ${cmp_data}/base.json
  MATCH "an empty file name in the list")
bench_compare_test(pooled_missing_file 2 ${cmp_data}/base.json,${cmp_data}/no-such-file.json
  ${cmp_data}/base.json MATCH "cannot open [^\n]*no-such-file.json")
bench_compare_test(pooled_bad_document 2 ${cmp_data}/base.json
  ${cmp_data}/base.json,${cmp_data}/truncated.json MATCH "truncated.json: not valid JSON")
# bench --compare forwards to the script, found in the source tree.
add_test(NAME bench.compare.forwarded
         COMMAND ${CMAKE_COMMAND} -DCMD=$<TARGET_FILE:bench>
                 "-DARGS=--compare|${cmp_data}/base.json|${cmp_data}/slow2x.json" -DRC=1
                 "-DMATCH=moved: mean_rows dtype=f64 cols=10 rows=100000 on cpu: 0.1 s -> 0.2 s"
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/compare_check.cmake)
set_tests_properties(bench.compare.forwarded PROPERTIES LABELS bench TIMEOUT 60)

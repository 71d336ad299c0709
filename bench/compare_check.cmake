# One command's test: runs CMD with ARGS (a '|'-separated list, so that it
# travels through add_test whole) and checks the exit status (RC), that
# stdout+stderr match MATCH and do not match NO_MATCH (both optional).
#   cmake -DCMD=... -DARGS="a.json|b.json" -DRC=1 -DMATCH=... -P compare_check.cmake
string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND ${CMD} ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE out)
list(JOIN args " " shown)
message("${CMD} ${shown}: exit status ${rc}\n${out}")
if(NOT rc STREQUAL "${RC}")
  message(FATAL_ERROR "expected exit status ${RC}, got ${rc}")
endif()
if(DEFINED MATCH AND NOT out MATCHES "${MATCH}")
  message(FATAL_ERROR "output does not match '${MATCH}'")
endif()
if(DEFINED NO_MATCH AND out MATCHES "${NO_MATCH}")
  message(FATAL_ERROR "output matches '${NO_MATCH}'")
endif()

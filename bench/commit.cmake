# Writes OUT (commit.h) with the source tree's commit, at every build, and
# touches it only when the text changes (so nothing rebuilds needlessly).
# Run as: cmake -DSRC=<source dir> -DOUT=<file> -P commit.cmake
set(commit "unknown (not a git checkout)")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SRC} rev-parse --short=12 HEAD
                  OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE rc ERROR_QUIET)
  if(rc EQUAL 0)
    execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SRC} status --porcelain --untracked-files=no
                    OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    set(commit "${head}")
    if(dirty)
      set(commit "${head}, with uncommitted changes")
    endif()
  endif()
endif()
set(text "#define BRIGADE_BENCH_COMMIT \"${commit}\"\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE ${OUT} "${text}")
endif()

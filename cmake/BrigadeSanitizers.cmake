# BRIGADE_SANITIZE applies to every C and C++ target of the build (library,
# emulated device code, tests, bench). CUDA and HIP device code cannot be
# sanitized here; sanitizer builds turn the GPU backends off.
if(BRIGADE_SANITIZE)
  set(_san -fsanitize=${BRIGADE_SANITIZE} -fno-omit-frame-pointer -g)
  if(BRIGADE_SANITIZE MATCHES "undefined")
    list(APPEND _san -fno-sanitize-recover=all)
  endif()
  add_compile_options(${_san})
  add_link_options(-fsanitize=${BRIGADE_SANITIZE})
  set(BRIGADE_CUDA OFF CACHE STRING "" FORCE)
  set(BRIGADE_HIP OFF CACHE STRING "" FORCE)
endif()

# libFuzzer: coverage instrumentation everywhere, the fuzzer's main only in
# the harnesses (tests/fuzz). Needs clang.
if(BRIGADE_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "BRIGADE_FUZZ=ON needs clang: CC=clang CXX=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
  set(BRIGADE_CUDA OFF CACHE STRING "" FORCE)
  set(BRIGADE_HIP OFF CACHE STRING "" FORCE)
endif()

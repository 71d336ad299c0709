# Find the GPU toolchains. Sets BRIGADE_HAVE_CUDA, BRIGADE_HAVE_HIP and
# BRIGADE_HAVE_EMU, and for HIP BRIGADE_HIPCC and BRIGADE_AMDHIP64.
include(CheckLanguage)

set(BRIGADE_HAVE_CUDA OFF)
if(NOT BRIGADE_CUDA STREQUAL "OFF")
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      # sm_80 and sm_90 machine code, plus compute_90 PTX for later GPUs.
      set(CMAKE_CUDA_ARCHITECTURES 80-real 90)
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(BRIGADE_HAVE_CUDA ON)
  elseif(BRIGADE_CUDA STREQUAL "ON")
    message(FATAL_ERROR "BRIGADE_CUDA=ON but no CUDA compiler was found")
  endif()
endif()

# CMake 3.25's HIP language does not find Debian's ROCm layout, so HIP sources
# are compiled by hipcc directly (kernels_hip/CMakeLists.txt).
set(BRIGADE_HAVE_HIP OFF)
if(NOT BRIGADE_HIP STREQUAL "OFF")
  find_program(BRIGADE_HIPCC hipcc)
  find_library(BRIGADE_AMDHIP64 amdhip64)
  if(BRIGADE_HIPCC AND BRIGADE_AMDHIP64)
    set(BRIGADE_HAVE_HIP ON)
    # The card's own architecture where a card is present (the ROCm tools
    # list the agents), else the two families the project targets.
    if(NOT DEFINED BRIGADE_HIP_ARCHS)
      set(_archs "")
      find_program(BRIGADE_AMDGPU_ARCH NAMES amdgpu-arch rocm_agent_enumerator)
      if(BRIGADE_AMDGPU_ARCH)
        execute_process(COMMAND ${BRIGADE_AMDGPU_ARCH} OUTPUT_VARIABLE _agents ERROR_QUIET
                        RESULT_VARIABLE _rc TIMEOUT 30)
        if(_rc EQUAL 0)
          string(REGEX MATCHALL "gfx[0-9a-f]+" _found "${_agents}")
          list(REMOVE_ITEM _found gfx000)
          list(REMOVE_DUPLICATES _found)
          set(_archs ${_found})
        endif()
      endif()
      if(NOT _archs)
        set(_archs gfx90a gfx1030)
      endif()
      set(BRIGADE_HIP_ARCHS ${_archs} CACHE STRING "AMD GPU targets (default: the cards present, else gfx90a gfx1030)")
    endif()
    message(STATUS "brigade: HIP architectures ${BRIGADE_HIP_ARCHS}")
  elseif(BRIGADE_HIP STREQUAL "ON")
    message(FATAL_ERROR "BRIGADE_HIP=ON but hipcc or libamdhip64 was not found "
                        "(apt-get install hipcc libamdhip64-dev rocm-device-libs)")
  endif()
endif()

set(BRIGADE_HAVE_EMU ${BRIGADE_EMU})

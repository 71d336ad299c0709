# Backend modules (src/core/module.h): the GPU backends and the emulated device
# are shared objects of their own, libbrigade-NAME.so, which libbrigade opens
# on first use. They are built into BRIGADE_MODULE_DIR, beside libbrigade,
# where the core looks first.
set(BRIGADE_MODULE_DIR ${PROJECT_BINARY_DIR})

# A backend module NAME (cuda, hip, emu): libbrigade-NAME.so beside
# libbrigade, exporting only the three symbols of src/core/module.h.
function(brigade_module name getter)
  add_library(brigade-${name} MODULE ${ARGN} ${BRIGADE_MODULE_SOURCES})
  target_include_directories(brigade-${name} PRIVATE ${BRIGADE_PRIVATE_INCLUDES})
  target_compile_definitions(brigade-${name} PRIVATE BRG_MODULE_GETTER=${getter})
  set_target_properties(brigade-${name} PROPERTIES
    PREFIX "lib" LIBRARY_OUTPUT_DIRECTORY ${BRIGADE_MODULE_DIR}
    C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden CUDA_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_options(brigade-${name} PRIVATE
    -Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/brigade-module.map)
  set_property(TARGET brigade-${name} APPEND PROPERTY LINK_DEPENDS
               ${PROJECT_SOURCE_DIR}/cmake/brigade-module.map)
  if(NOT BRIGADE_SANITIZE AND NOT BRIGADE_FUZZ) # clang leaves sanitizer runtimes to the program
    target_link_options(brigade-${name} PRIVATE -Wl,--no-undefined)
  endif()
  brigade_warnings(brigade-${name})
endfunction()

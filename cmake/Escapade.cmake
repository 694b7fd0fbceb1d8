# Build building blocks: compile flags, sanitizers, the engine, and escapade_add_target(),
# which every isolation layer calls to become a target of the core.

add_compile_definitions(_GNU_SOURCE)
add_compile_options(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter -g)
if(ESCAPADE_WERROR)
  add_compile_options(-Werror)
endif()

if(ESCAPADE_ENGINE STREQUAL "libfuzzer" AND NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "ESCAPADE_ENGINE=libfuzzer needs clang (use the libfuzzer preset)")
endif()
if(NOT ESCAPADE_ENGINE MATCHES "^(none|libfuzzer|afl|external)$")
  message(FATAL_ERROR "ESCAPADE_ENGINE must be none, libfuzzer, afl or external, not '${ESCAPADE_ENGINE}'")
endif()
# external: OSS-Fuzz / ClusterFuzzLite. Compile flags come from $CFLAGS (CMAKE_C_FLAGS),
# the engine from $LIB_FUZZING_ENGINE; the custom mutator only where LLVMFuzzerMutate
# exists (libFuzzer).
set(ESCAPADE_LIB_FUZZING_ENGINE "" CACHE STRING "external engine: the value of \$LIB_FUZZING_ENGINE")
option(ESCAPADE_CUSTOM_MUTATOR "external engine: link the structure-aware libFuzzer hooks" OFF)
if(ESCAPADE_ENGINE STREQUAL "external" AND NOT ESCAPADE_LIB_FUZZING_ENGINE)
  message(FATAL_ERROR "ESCAPADE_ENGINE=external needs ESCAPADE_LIB_FUZZING_ENGINE (\$LIB_FUZZING_ENGINE)")
endif()
if(ESCAPADE_ENGINE STREQUAL "afl" AND NOT CMAKE_C_COMPILER MATCHES "afl-")
  message(FATAL_ERROR "ESCAPADE_ENGINE=afl needs afl-clang-fast as the compiler (use the afl preset)")
endif()

set(_esc_san "${ESCAPADE_SANITIZE}")
list(REMOVE_ITEM _esc_san fuzzer)
if(_esc_san)
  list(JOIN _esc_san "," _esc_san_csv)
  add_compile_options(-fsanitize=${_esc_san_csv} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${_esc_san_csv})
  if("undefined" IN_LIST _esc_san)
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
endif()
if(ESCAPADE_ENGINE STREQUAL "libfuzzer")
  # coverage for everything; libFuzzer's main only in fuzz_<target>
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

set_property(GLOBAL PROPERTY ESCAPADE_TARGETS "")

# Compiles tgt without sanitizers or fuzzer instrumentation (AFL_NOOPT makes afl-cc a
# plain clang): for code loaded into afl-fuzz itself, such as the custom mutator.
function(escapade_plain tgt)
  set(_opts -Wall -Wextra -Wno-unused-parameter -O2 -g -fPIC)
  if(ESCAPADE_WERROR)
    list(APPEND _opts -Werror)
  endif()
  set_target_properties(${tgt} PROPERTIES COMPILE_OPTIONS "${_opts}" LINK_OPTIONS ""
    RULE_LAUNCH_COMPILE "env AFL_NOOPT=1" RULE_LAUNCH_LINK "env AFL_NOOPT=1")
endfunction()

# Links a fuzz entry point (a file defining LLVMFuzzerTestOneInput) with the engine of
# this build: libFuzzer or the AFL driver, $LIB_FUZZING_ENGINE (external), or without an
# engine the standalone replay driver.
function(escapade_link_engine tgt)
  if(ESCAPADE_ENGINE STREQUAL "libfuzzer" OR ESCAPADE_ENGINE STREQUAL "afl")
    target_link_options(${tgt} PRIVATE -fsanitize=fuzzer)
  elseif(ESCAPADE_ENGINE STREQUAL "external")
    separate_arguments(_engine UNIX_COMMAND "${ESCAPADE_LIB_FUZZING_ENGINE}")
    target_link_libraries(${tgt} PRIVATE ${_engine})
  else()
    target_sources(${tgt} PRIVATE ${PROJECT_SOURCE_DIR}/harness/fuzz/replay_main.c)
  endif()
endfunction()

# escapade_add_target(NAME SOURCES src... [LIBS lib...]): a static library esc_<NAME>
# holding the target (it must define `const esc_target NAME_target`), and fuzz_<NAME>:
# a libFuzzer binary, an AFL++ binary (persistent shared-memory mode through the AFL
# driver), or without an engine the standalone replay binary, all from the same source.
# SOURCES must list every source of the target: the AFL++ build compiles them a second
# time, plainly, into the custom mutator module afl_mutator_<NAME>.so. LIBS are the
# libraries the target links (system libraries, imported pkg-config targets).
function(escapade_add_target name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_library(esc_${name} STATIC ${ARG_SOURCES})
  target_link_libraries(esc_${name} PUBLIC escapade_core ${ARG_LIBS})
  target_include_directories(esc_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})

  add_executable(fuzz_${name} ${PROJECT_SOURCE_DIR}/harness/fuzz/fuzz_driver.c)
  target_compile_definitions(fuzz_${name} PRIVATE ESC_FUZZ_TARGET=${name}_target)
  target_link_libraries(fuzz_${name} PRIVATE esc_${name})
  escapade_link_engine(fuzz_${name})
  if(ESCAPADE_ENGINE STREQUAL "libfuzzer" OR ESCAPADE_CUSTOM_MUTATOR)
    target_compile_definitions(fuzz_${name} PRIVATE ESC_CUSTOM_MUTATOR=1)
  endif()
  if(ESCAPADE_ENGINE STREQUAL "libfuzzer")
    # the byte-level baseline for the benchmark: libFuzzer's own mutations only
    add_executable(fuzz_${name}_bytes ${PROJECT_SOURCE_DIR}/harness/fuzz/fuzz_driver.c)
    target_compile_definitions(fuzz_${name}_bytes PRIVATE ESC_FUZZ_TARGET=${name}_target)
    target_link_libraries(fuzz_${name}_bytes PRIVATE esc_${name})
    escapade_link_engine(fuzz_${name}_bytes)
  elseif(ESCAPADE_ENGINE STREQUAL "afl")
    get_property(_core GLOBAL PROPERTY ESCAPADE_CORE_SOURCES)
    add_library(afl_mutator_${name} MODULE ${PROJECT_SOURCE_DIR}/harness/fuzz/afl_mutator.c
      ${ARG_SOURCES} ${_core})
    target_compile_definitions(afl_mutator_${name} PRIVATE ESC_FUZZ_TARGET=${name}_target)
    target_include_directories(afl_mutator_${name} PRIVATE ${PROJECT_SOURCE_DIR}/harness/include
      ${PROJECT_SOURCE_DIR}/harness/src ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(afl_mutator_${name} PRIVATE ${ARG_LIBS})
    set_target_properties(afl_mutator_${name} PROPERTIES PREFIX "" C_VISIBILITY_PRESET hidden)
    escapade_plain(afl_mutator_${name})
  endif()
  set_property(GLOBAL APPEND PROPERTY ESCAPADE_TARGETS ${name})
endfunction()

# Helper functions shared by every folder.
#
# Sources are globbed per folder (CONFIGURE_DEPENDS) so that adding a file to a
# module needs no edit of a shared list: each folder is one library.

# otaflow_module(<name> DEPS <targets...>)
#   Builds every *.cpp in the current folder into the library otaflow_<name>,
#   aliased otaflow::<name>. Public headers sit beside the sources and are
#   included as "<name>/<file>.hpp" (the repository root is the include root).
function(otaflow_module name)
  cmake_parse_arguments(M "" "" "DEPS;PRIVATE_DEPS" ${ARGN})
  file(GLOB _srcs CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.cpp")
  if(_srcs)
    add_library(otaflow_${name} STATIC ${_srcs})
    target_include_directories(otaflow_${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(otaflow_${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
    target_compile_options(otaflow_${name} PRIVATE ${OTAFLOW_WARNINGS})
  else()
    add_library(otaflow_${name} INTERFACE)
    target_include_directories(otaflow_${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(otaflow_${name} INTERFACE ${M_DEPS})
  endif()
  add_library(otaflow::${name} ALIAS otaflow_${name})
endfunction()

# otaflow_unit_tests(<folder> DEPS <targets...>)
#   One GoogleTest binary per module from tests/unit/<folder>/*.cpp,
#   registered with ctest through gtest_discover_tests.
function(otaflow_unit_tests folder)
  cmake_parse_arguments(T "" "" "DEPS" ${ARGN})
  file(GLOB _srcs CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tests/unit/${folder}/*.cpp")
  if(NOT _srcs)
    return()
  endif()
  set(_t otaflow_${folder}_tests)
  add_executable(${_t} ${_srcs})
  target_link_libraries(${_t} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main rapidcheck
                                      rapidcheck_gtest)
  target_compile_options(${_t} PRIVATE ${OTAFLOW_WARNINGS})
  target_compile_definitions(${_t} PRIVATE
    OTAFLOW_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  # One label only: gtest_discover_tests writes PROPERTIES unquoted, so a list breaks.
  # Select a folder with `ctest -R "^<folder>\\."` (the TEST_PREFIX).
  gtest_discover_tests(${_t} DISCOVERY_TIMEOUT 60 TEST_PREFIX "${folder}." PROPERTIES LABELS unit)
endfunction()

# otaflow_fuzz_target(<name> DEPS <targets...>)
#   tests/fuzz/<name>.cpp defines LLVMFuzzerTestOneInput. Under clang with
#   OTAFLOW_FUZZ=ON it links libFuzzer; otherwise it links the corpus replayer
#   and ctest replays tests/fuzz/corpus/<name>/ on every run.
function(otaflow_fuzz_target name)
  cmake_parse_arguments(F "" "" "DEPS" ${ARGN})
  set(_t fuzz_${name})
  add_executable(${_t} ${PROJECT_SOURCE_DIR}/tests/fuzz/${name}.cpp)
  target_link_libraries(${_t} PRIVATE ${F_DEPS})
  target_compile_options(${_t} PRIVATE ${OTAFLOW_WARNINGS})
  if(OTAFLOW_FUZZ)
    target_compile_options(${_t} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${_t} PRIVATE -fsanitize=fuzzer,address,undefined)
  else()
    target_sources(${_t} PRIVATE ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cpp)
    add_test(NAME fuzz_replay.${name}
             COMMAND ${_t} ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
    set_tests_properties(fuzz_replay.${name} PROPERTIES LABELS "fuzz")
  endif()
endfunction()

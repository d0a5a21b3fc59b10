# drl_add_library(NAME SOURCES... [DEPS lib...]): a static library of one component.
function(drl_add_library name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${A_SOURCES})
  target_link_libraries(${name} PUBLIC drl_deps ${A_DEPS})
endfunction()

# drl_add_cmocka_test(NAME SOURCES... LIBS... [LABELS ...] [ARGS ...] [TIMEOUT s])
# A CMocka test executable registered with CTest.
function(drl_add_cmocka_test name)
  cmake_parse_arguments(A "" "TIMEOUT" "SOURCES;LIBS;LABELS;ARGS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_LIBS} drl_deps PkgConfig::CMOCKA)
  add_test(NAME ${name} COMMAND ${name} ${A_ARGS} WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  if(NOT A_LABELS)
    set(A_LABELS unit)
  endif()
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${A_LABELS}" TIMEOUT ${A_TIMEOUT}
    ENVIRONMENT "DRL_SHARED_DIR=${DRL_SHARED_DIR};DRL_PYTHON=${DRL_PYTHON};DRL_SOURCE_DIR=${CMAKE_SOURCE_DIR};DRL_BINARY_DIR=${CMAKE_BINARY_DIR};OMP_NUM_THREADS=2;OPENBLAS_NUM_THREADS=1")
endfunction()

# drl_add_script_test(NAME COMMAND... [LABELS ...] [TIMEOUT s]): a shell/python test.
function(drl_add_script_test name)
  cmake_parse_arguments(A "" "TIMEOUT" "COMMAND;LABELS" ${ARGN})
  add_test(NAME ${name} COMMAND ${A_COMMAND} WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 600)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${A_LABELS}" TIMEOUT ${A_TIMEOUT}
    ENVIRONMENT "DRL_SHARED_DIR=${DRL_SHARED_DIR};DRL_PYTHON=${DRL_PYTHON};DRL_SOURCE_DIR=${CMAKE_SOURCE_DIR};DRL_BINARY_DIR=${CMAKE_BINARY_DIR};OMP_NUM_THREADS=2;OPENBLAS_NUM_THREADS=1")
endfunction()

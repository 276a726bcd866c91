# cmake -DCOMMAND="prog;arg;..." [-DSTATUS=N] [-DEXPECT=regex] [-DEXPECT_ERR=regex]
#       [-DENV="NAME=VALUE;..."] -P expect.cmake
# Runs COMMAND with ENV set (NAME= unsets NAME); passes when it exits with
# STATUS (default 0), its standard output matches EXPECT and its standard
# error EXPECT_ERR (an empty or absent regex matches anything).
# (ctest's PASS_REGULAR_EXPRESSION alone would ignore the exit status, and
# with it a sanitizer's report at exit.)
cmake_minimum_required(VERSION 3.21)
if("${STATUS}" STREQUAL "")
  set(STATUS 0)
endif()
foreach(pair IN LISTS ENV)
  string(REGEX MATCH "^([^=]+)=(.*)$" _ "${pair}")
  if("${CMAKE_MATCH_2}" STREQUAL "")
    unset(ENV{${CMAKE_MATCH_1}})
  else()
    set(ENV{${CMAKE_MATCH_1}} "${CMAKE_MATCH_2}")
  endif()
endforeach()
execute_process(COMMAND ${COMMAND}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("stdout:\n${out}stderr:\n${err}")
if(NOT status STREQUAL "${STATUS}")
  message(FATAL_ERROR "exit status ${status}, expected ${STATUS}")
endif()
if(NOT "${EXPECT}" STREQUAL "" AND NOT out MATCHES "${EXPECT}")
  message(FATAL_ERROR "standard output does not match: ${EXPECT}")
endif()
if(NOT "${EXPECT_ERR}" STREQUAL "" AND NOT err MATCHES "${EXPECT_ERR}")
  message(FATAL_ERROR "standard error does not match: ${EXPECT_ERR}")
endif()

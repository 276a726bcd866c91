# cmake -DCOMMAND="prog;arg;..." -DEXPECT=regex -P expect.cmake
# Runs COMMAND; passes when it exits 0 and its output matches EXPECT.
# (ctest's PASS_REGULAR_EXPRESSION alone would ignore the exit status, and
# with it a sanitizer's report at exit.)
execute_process(COMMAND ${COMMAND}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT status EQUAL 0)
  message(FATAL_ERROR "exit status ${status}")
endif()
if(NOT out MATCHES "${EXPECT}")
  message(FATAL_ERROR "output does not match: ${EXPECT}")
endif()

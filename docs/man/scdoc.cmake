# Runs scdoc on one page for the build (CMakeLists.txt): scdoc reads stdin
# and writes stdout, and a failed run must leave no half-written page behind
# for a later build to take as up to date.
# Usage: cmake -DSCDOC=... -DIN=page.scd -DOUT=page -P scdoc.cmake
execute_process(COMMAND ${SCDOC} INPUT_FILE ${IN} OUTPUT_FILE ${OUT} ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUT})
  message(FATAL_ERROR "scdoc failed on ${IN}: ${err}")
endif()

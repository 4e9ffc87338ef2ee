# Sanitizer and fuzzing builds (scripts/sanitize.sh, scripts/fuzz.sh), each in
# a build directory of its own: the options apply to every target, so that
# the libraries a test links are instrumented as the test itself is.
#
#   -DMHA_SANITIZE="address;undefined"   ASan + UBSan
#   -DMHA_SANITIZE=thread                TSan
#   -DMHA_FUZZ=ON                        libFuzzer targets in tests/fuzz/ (Clang only)
#
# A sanitizer report stops the program (no recovery), so a test or fuzz run
# that hits one fails instead of printing and passing.
set(MHA_SANITIZE "" CACHE STRING "Sanitizers for every target: address;undefined or thread")
option(MHA_FUZZ "Build the libFuzzer targets in tests/fuzz/ (Clang only)" OFF)

if(MHA_SANITIZE)
  list(JOIN MHA_SANITIZE "," mha_sanitize_list)
  add_compile_options(-fsanitize=${mha_sanitize_list} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${mha_sanitize_list} -fno-sanitize-recover=all)
endif()

if(MHA_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MHA_FUZZ needs Clang's libFuzzer, found ${CMAKE_CXX_COMPILER_ID}: "
                        "configure with CXX=clang++ (Debian: apt-get install clang libclang-rt-14-dev)")
  endif()
  # Coverage for libFuzzer in everything; only the fuzz targets link its main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

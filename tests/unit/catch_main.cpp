// Catch2 v2's main in its own translation unit: it is the slow part to
// compile, so it is built once and never touched.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

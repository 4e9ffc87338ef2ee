// What the fuzz targets share: the input as text, and MHA_FUZZ_CHECK for the
// properties a target asserts beyond "does not crash" (a parsed value prints
// and parses back to itself, ...). A failed check aborts, which libFuzzer
// reports as a crash and saves the input that caused it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace mha::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

[[noreturn]] inline void check_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", file, line, what);
  std::abort();
}

}  // namespace mha::fuzz

#define MHA_FUZZ_CHECK(cond) \
  ((cond) ? (void)0 : ::mha::fuzz::check_failed(#cond, __FILE__, __LINE__))

namespace mha::fuzz {

// A value with T::parse and to_string (the GTID types): its text parses back
// to the same value, which prints the same text again.
template <typename T>
void check_round_trip(const T& value) {
  const std::string text = value.to_string();
  auto again = T::parse(text);
  MHA_FUZZ_CHECK(again.ok());
  MHA_FUZZ_CHECK(*again == value);
  MHA_FUZZ_CHECK(again->to_string() == text);
}

}  // namespace mha::fuzz

#include "common/units.h"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using mha::format_duration;
using mha::format_size;
using mha::parse_duration;
using mha::parse_size;

namespace {

std::string duration_error(std::string_view text) {
  auto parsed = parse_duration(text);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().code == mha::Errc::parse);
  return parsed.error().message;
}

std::string size_error(std::string_view text) {
  auto parsed = parse_size(text);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().code == mha::Errc::parse);
  return parsed.error().message;
}

}  // namespace

TEST_CASE("parse_duration reads single units", "[units]") {
  CHECK(parse_duration("500ms").value() == 500ms);
  CHECK(parse_duration("1s").value() == 1s);
  CHECK(parse_duration("0s").value() == 0ms);
  CHECK(parse_duration("3m").value() == 3min);
  CHECK(parse_duration("8h").value() == 8h);
  CHECK(parse_duration("1d").value() == 24h);
  CHECK(parse_duration("90s").value() == 90s);
}

TEST_CASE("parse_duration reads fractions and combinations", "[units]") {
  CHECK(parse_duration("1.5s").value() == 1500ms);
  CHECK(parse_duration("0.5h").value() == 30min);
  CHECK(parse_duration("0.001s").value() == 1ms);
  CHECK(parse_duration("1m30s").value() == 90s);
  CHECK(parse_duration("1h30m").value() == 90min);
  CHECK(parse_duration("1d12h").value() == 36h);
  CHECK(parse_duration("1s500ms").value() == 1500ms);
  CHECK(parse_duration("1h1m1s1ms").value() == 1h + 1min + 1s + 1ms);
}

TEST_CASE("parse_duration refuses malformed text verbatim", "[units]") {
  CHECK(duration_error("") == R"(expected a duration like "3s" or "500ms", found "")");
  CHECK(duration_error("-1s") == R"(expected a duration like "3s" or "500ms", found "-1s" (negative))");
  CHECK(duration_error("3x") ==
        R"(expected a duration like "3s" or "500ms", found "3x" (unknown unit 'x': use ms, s, m, h or d))");
  CHECK(duration_error("3") ==
        R"(expected a duration like "3s" or "500ms", found "3" (missing unit: ms, s, m, h or d))");
  CHECK(duration_error("3S") ==
        R"(expected a duration like "3s" or "500ms", found "3S" (unknown unit 'S': use ms, s, m, h or d))");
  CHECK(duration_error("30s1m") ==
        R"(expected a duration like "3s" or "500ms", found "30s1m" (units go from largest to smallest, each once, as in "1m30s"))");
  CHECK(duration_error("1s1s") ==
        R"(expected a duration like "3s" or "500ms", found "1s1s" (units go from largest to smallest, each once, as in "1m30s"))");
  CHECK(duration_error("1.5ms") ==
        R"(expected a duration like "3s" or "500ms", found "1.5ms" (finer than a millisecond))");
  CHECK(duration_error("99999999999999999999s") ==
        R"(expected a duration like "3s" or "500ms", found "99999999999999999999s" (too large))");
  CHECK(duration_error("9999999999999999d") ==
        R"(expected a duration like "3s" or "500ms", found "9999999999999999d" (too large))");
  CHECK(duration_error(" 3s") == R"(expected a duration like "3s" or "500ms", found " 3s")");
  CHECK(duration_error("3 s") == R"(expected a duration like "3s" or "500ms", found "3 s")");
  CHECK(duration_error("1.2.3s") == R"(expected a duration like "3s" or "500ms", found "1.2.3s")");
  CHECK(duration_error(".5s") == R"(expected a duration like "3s" or "500ms", found ".5s")");
  CHECK(duration_error("1.s") == R"(expected a duration like "3s" or "500ms", found "1.s")");
  CHECK(duration_error("s") == R"(expected a duration like "3s" or "500ms", found "s")");
  CHECK(duration_error("+3s") == R"(expected a duration like "3s" or "500ms", found "+3s")");
  CHECK(duration_error("3s\n") == R"(expected a duration like "3s" or "500ms", found "3s\u000A")");
}

TEST_CASE("parse_duration accepts the largest value that fits", "[units]") {
  const auto max = std::chrono::milliseconds::max();
  CHECK(parse_duration(fmt::format("{}ms", max.count())).value() == max);
  CHECK_FALSE(parse_duration(fmt::format("{}ms", static_cast<uint64_t>(max.count()) + 1)));
}

TEST_CASE("format_duration prints the largest exact unit", "[units]") {
  CHECK(format_duration(0ms) == "0s");
  CHECK(format_duration(500ms) == "500ms");
  CHECK(format_duration(1500ms) == "1500ms");
  CHECK(format_duration(1s) == "1s");
  CHECK(format_duration(90s) == "90s");
  CHECK(format_duration(3min) == "3m");
  CHECK(format_duration(8h) == "8h");
  CHECK(format_duration(24h) == "1d");
  CHECK(format_duration(36h) == "36h");
  CHECK(format_duration(-2s) == "-2s");
}

TEST_CASE("format_duration output parses back to the same value", "[units]") {
  for (auto value : {0ms, 1ms, 999ms, 1000ms, 1001ms, 60000ms, 61000ms, 3600000ms, 86400000ms, 86400001ms,
                     std::chrono::milliseconds::max()}) {
    INFO(value.count());
    CHECK(parse_duration(format_duration(value)).value() == value);
  }
}

TEST_CASE("parse_size reads bytes, decimal and binary units", "[units]") {
  CHECK(parse_size("4096").value() == 4096);
  CHECK(parse_size("10B").value() == 10);
  CHECK(parse_size("0").value() == 0);
  CHECK(parse_size("100MB").value() == 100'000'000);
  CHECK(parse_size("100MiB").value() == 100ull * 1024 * 1024);
  CHECK(parse_size("512KiB").value() == 512ull * 1024);
  CHECK(parse_size("2kB").value() == 2000);
  CHECK(parse_size("2KB").value() == 2000);
  CHECK(parse_size("1GiB").value() == 1ull << 30);
  CHECK(parse_size("1GB").value() == 1'000'000'000);
  CHECK(parse_size("2TiB").value() == 2ull << 40);
  CHECK(parse_size("1.5GiB").value() == 3ull << 29);
}

TEST_CASE("parse_size refuses malformed text verbatim", "[units]") {
  CHECK(size_error("") == R"(expected a size like "100MiB", "100MB" or "4096", found "")");
  CHECK(size_error("-1MB") == R"(expected a size like "100MiB", "100MB" or "4096", found "-1MB" (negative))");
  CHECK(size_error("100M") ==
        R"(expected a size like "100MiB", "100MB" or "4096", found "100M" (unknown unit 'M': use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB))");
  CHECK(size_error("100mb") ==
        R"(expected a size like "100MiB", "100MB" or "4096", found "100mb" (unknown unit 'mb': use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB))");
  CHECK(size_error("1.5B") ==
        R"(expected a size like "100MiB", "100MB" or "4096", found "1.5B" (not a whole number of bytes))");
  CHECK(size_error("99999999999TiB") ==
        R"(expected a size like "100MiB", "100MB" or "4096", found "99999999999TiB" (too large))");
  CHECK(size_error("MB") == R"(expected a size like "100MiB", "100MB" or "4096", found "MB")");
  CHECK(size_error("10 MB") == R"(expected a size like "100MiB", "100MB" or "4096", found "10 MB")");
}

TEST_CASE("format_size prints the shortest exact form", "[units]") {
  CHECK(format_size(0) == "0B");
  CHECK(format_size(10) == "10B");
  CHECK(format_size(1000) == "1KB");
  CHECK(format_size(1024) == "1KiB");
  CHECK(format_size(4096) == "4KiB");
  CHECK(format_size(100'000'000) == "100MB");
  CHECK(format_size(100ull << 20) == "100MiB");
  CHECK(format_size(1ull << 30) == "1GiB");
  CHECK(format_size(1023) == "1023B");
  for (uint64_t value : {0ull, 1ull, 1000ull, 1024ull, 1536ull, 100'000'000ull, 3ull << 29, ~0ull}) {
    INFO(value);
    CHECK(parse_size(format_size(value)).value() == value);
  }
}

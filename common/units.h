// Durations and sizes as people write them in mhad.toml: "500ms", "1m30s",
// "8h", "100MiB". Parsing and printing only; pure, usable from any thread.
//
// Durations: one or more <number><unit> parts, units ms, s, m, h, d, each
// part at most once and from largest to smallest ("1m30s", "1h30m", "1d12h";
// not "30s1m"). A part may carry a decimal fraction ("1.5s", "0.5h") as long
// as the total is a whole number of milliseconds. No sign, no spaces, no bare
// number: "3" is refused, so that an MHA user's `ping_interval=3` is noticed.
// format_duration prints the largest single unit that divides the value
// exactly ("90s", "1500ms", "8h", "1d"), which parse_duration reads back.
//
// Sizes: <number>[unit], units B (or none) for bytes, KB MB GB TB decimal
// (also kB), KiB MiB GiB TiB binary. "100MB" is 100,000,000 bytes, "100MiB"
// is 104,857,600. A lone "M" or "G" is refused: my.cnf means MiB by it, a
// disk vendor MB, and the 100 MB relay-lag rule is decimal in MHA.
// format_size prints the shortest exact form ("100MB", "1GiB", "4KiB", "10B").
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace mha {

// Errors (Errc::parse) read `expected a duration like "3s" or "500ms", found
// "3x"`, sometimes with the reason in parentheses; the caller prefixes where.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);
std::string format_duration(std::chrono::milliseconds value);

// Errors read `expected a size like "100MiB", "100MB" or "4096", found "x"`.
Result<uint64_t> parse_size(std::string_view text);
std::string format_size(uint64_t bytes);

}  // namespace mha

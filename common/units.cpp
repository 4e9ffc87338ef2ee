#include "common/units.h"

#include <array>
#include <cstdint>
#include <limits>
#include <optional>

namespace mha {
namespace {

constexpr std::string_view k_duration_expected = R"(expected a duration like "3s" or "500ms")";
constexpr std::string_view k_size_expected = R"(expected a size like "100MiB", "100MB" or "4096")";

// The text as it appears in a message: quoted, control characters escaped,
// cut short so that a pasted file does not flood the log.
std::string quoted(std::string_view text) {
  constexpr size_t k_max = 64;
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < k_max; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04X}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > k_max) out += "...";
  out += '"';
  return out;
}

Error duration_error(std::string_view text, std::string_view reason = {}) {
  if (reason.empty()) return make_error(Errc::parse, "{}, found {}", k_duration_expected, quoted(text));
  return make_error(Errc::parse, "{}, found {} ({})", k_duration_expected, quoted(text), reason);
}

Error size_error(std::string_view text, std::string_view reason = {}) {
  if (reason.empty()) return make_error(Errc::parse, "{}, found {}", k_size_expected, quoted(text));
  return make_error(Errc::parse, "{}, found {} ({})", k_size_expected, quoted(text), reason);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "12" or "1.25" at text[pos...]: the value times `unit`, exactly. Fails on
// no digits, overflow, or a fraction finer than one `unit`'s base (1 ms, 1 B).
enum class NumberError { none, no_digits, overflow, inexact };

NumberError scaled_number(std::string_view text, size_t& pos, uint64_t unit, uint64_t& out) {
  const size_t start = pos;
  uint64_t whole = 0;
  bool overflow = false;
  while (pos < text.size() && is_digit(text[pos])) {
    if (__builtin_mul_overflow(whole, 10, &whole) ||
        __builtin_add_overflow(whole, static_cast<uint64_t>(text[pos] - '0'), &whole))
      overflow = true;
    ++pos;
  }
  if (pos == start) return NumberError::no_digits;
  uint64_t frac = 0;
  uint64_t frac_scale = 1;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t frac_start = pos;
    while (pos < text.size() && is_digit(text[pos])) {
      // Trailing zeros beyond 9 digits change nothing; other digits there
      // are finer than any unit we have (1 ms of 1 d is 1.2e-8).
      if (frac_scale < 1'000'000'000ull) {
        frac = frac * 10 + static_cast<uint64_t>(text[pos] - '0');
        frac_scale *= 10;
      } else if (text[pos] != '0') {
        return NumberError::inexact;
      }
      ++pos;
    }
    if (pos == frac_start) return NumberError::no_digits;
  }
  if (overflow) return NumberError::overflow;
  uint64_t value = 0;
  if (__builtin_mul_overflow(whole, unit, &value)) return NumberError::overflow;
  uint64_t frac_units = 0;
  if (__builtin_mul_overflow(frac, unit, &frac_units)) return NumberError::overflow;
  if (frac_units % frac_scale != 0) return NumberError::inexact;
  if (__builtin_add_overflow(value, frac_units / frac_scale, &value)) return NumberError::overflow;
  out = value;
  return NumberError::none;
}

size_t skip_number(std::string_view text, size_t pos) {
  while (pos < text.size() && (is_digit(text[pos]) || text[pos] == '.')) ++pos;
  return pos;
}

bool is_unit_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

struct Unit {
  std::string_view name;
  uint64_t size;
};

// Largest first: parse_duration requires this order, format_duration
// picks the first that divides.
constexpr std::array<Unit, 5> k_duration_units{{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

constexpr std::array<Unit, 11> k_size_units{{
    {"B", 1},
    {"KB", 1'000},
    {"kB", 1'000},
    {"KiB", 1ull << 10},
    {"MB", 1'000'000},
    {"MiB", 1ull << 20},
    {"GB", 1'000'000'000},
    {"GiB", 1ull << 30},
    {"TB", 1'000'000'000'000},
    {"TiB", 1ull << 40},
    {"", 1},
}};

}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return duration_error(text);
  if (text.front() == '-') return duration_error(text, "negative");
  uint64_t total = 0;
  size_t pos = 0;
  size_t last_rank = k_duration_units.size();  // index of the previous unit
  while (pos < text.size()) {
    const size_t number_end = skip_number(text, pos);
    size_t unit_end = number_end;
    while (unit_end < text.size() && is_unit_char(text[unit_end])) ++unit_end;
    const std::string_view unit_name = text.substr(number_end, unit_end - number_end);
    if (number_end == pos) return duration_error(text);
    if (unit_name.empty()) {
      if (unit_end == text.size()) return duration_error(text, "missing unit: ms, s, m, h or d");
      return duration_error(text);
    }
    size_t rank = k_duration_units.size();
    for (size_t i = 0; i < k_duration_units.size(); ++i)
      if (k_duration_units[i].name == unit_name) rank = i;
    if (rank == k_duration_units.size())
      return duration_error(text, fmt::format("unknown unit '{}': use ms, s, m, h or d", unit_name));
    if (last_rank != k_duration_units.size() && rank <= last_rank)
      return duration_error(text, R"(units go from largest to smallest, each once, as in "1m30s")");
    last_rank = rank;
    uint64_t part = 0;
    size_t number_pos = pos;
    switch (scaled_number(text.substr(0, number_end), number_pos, k_duration_units[rank].size, part)) {
      case NumberError::none: break;
      case NumberError::no_digits: return duration_error(text);
      case NumberError::overflow: return duration_error(text, "too large");
      case NumberError::inexact: return duration_error(text, "finer than a millisecond");
    }
    if (number_pos != number_end) return duration_error(text);  // "1.2.3s"
    if (__builtin_add_overflow(total, part, &total)) return duration_error(text, "too large");
    pos = unit_end;
  }
  if (total > static_cast<uint64_t>(std::numeric_limits<std::chrono::milliseconds::rep>::max()))
    return duration_error(text, "too large");
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(total));
}

std::string format_duration(std::chrono::milliseconds value) {
  const auto count = value.count();
  if (count == 0) return "0s";
  // Negative values never come from parse_duration; they are printed with a
  // sign (not asserted) because this also formats values computed at run time.
  const std::string_view sign = count < 0 ? "-" : "";
  const uint64_t ms = count < 0 ? 0 - static_cast<uint64_t>(count) : static_cast<uint64_t>(count);
  for (const Unit& unit : k_duration_units)
    if (ms % unit.size == 0) return fmt::format("{}{}{}", sign, ms / unit.size, unit.name);
  return fmt::format("{}{}ms", sign, ms);  // unreachable: 1 ms divides everything
}

Result<uint64_t> parse_size(std::string_view text) {
  if (text.empty()) return size_error(text);
  if (text.front() == '-') return size_error(text, "negative");
  const size_t number_end = skip_number(text, 0);
  if (number_end == 0) return size_error(text);
  const std::string_view unit_name = text.substr(number_end);
  const Unit* unit = nullptr;
  for (const Unit& candidate : k_size_units)
    if (candidate.name == unit_name) unit = &candidate;
  if (unit == nullptr) {
    for (char c : unit_name)
      if (!is_unit_char(c)) return size_error(text);
    return size_error(text, fmt::format("unknown unit '{}': use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB",
                                        unit_name));
  }
  uint64_t value = 0;
  size_t pos = 0;
  switch (scaled_number(text.substr(0, number_end), pos, unit->size, value)) {
    case NumberError::none: break;
    case NumberError::no_digits: return size_error(text);
    case NumberError::overflow: return size_error(text, "too large");
    case NumberError::inexact: return size_error(text, "not a whole number of bytes");
  }
  if (pos != number_end) return size_error(text);
  return value;
}

std::string format_size(uint64_t bytes) {
  std::string best = fmt::format("{}B", bytes);
  for (const Unit& unit : k_size_units) {
    if (unit.name.empty() || unit.name == "kB" || bytes % unit.size != 0) continue;
    std::string candidate = fmt::format("{}{}", bytes / unit.size, unit.name);
    if (candidate.size() < best.size()) best = std::move(candidate);
  }
  return best;
}

}  // namespace mha

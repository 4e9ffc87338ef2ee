// Small text helpers (see text.h).

#include "common/text.h"

#include <algorithm>

namespace mha {

std::string_view trim(std::string_view text) {
  constexpr std::string_view k_whitespace = " \t\r\n";
  const auto first = text.find_first_not_of(k_whitespace);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(k_whitespace);
  return text.substr(first, last - first + 1);
}

std::string trim_slash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string one_line(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\r' || c == '\t')
      out += ' ';
    else if (byte < 0x20 || byte == 0x7f)
      out += '?';
    else
      out += c;
  }
  return out;
}

std::string shell_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

std::string shell_word(std::string_view text) {
  bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_./:@%+=,-").find(c) != std::string_view::npos;
  });
  if (plain) return std::string(text);
  return shell_quote(text);
}

}  // namespace mha

// Problems found in one config file, each "FILE:LINE:COL: KEY: message",
// handed over to the ConfigLoad sorted by position. Internal to
// common/config/ (includes toml++).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <vector>

#include "common/config.h"

namespace mha::config_detail {

struct Diag {
  uint32_t line = 0;  // 0: about the file as a whole
  uint32_t column = 0;
  std::string text;
};

// Problems found in one file, handed over in the order they appear in it.
class FileReport {
 public:
  FileReport(std::string file, std::filesystem::path dir) : m_file(std::move(file)), m_dir(std::move(dir)) {}

  const std::string& file() const { return m_file; }
  const std::filesystem::path& dir() const { return m_dir; }  // base of relative paths written in this file
  bool has_errors() const { return !m_errors.empty(); }

  void error(const toml::source_region& where, std::string_view key, std::string_view message) {
    error_at(where.begin.line, where.begin.column, key, message);
  }
  void error_at(uint32_t line, uint32_t column, std::string_view key, std::string_view message) {
    m_errors.push_back({line, column, fmt::format("{}:{}:{}: {}: {}", m_file, line, column, key, message)});
  }
  void file_error(std::string_view message) { m_errors.push_back({0, 0, fmt::format("{}: {}", m_file, message)}); }
  void warning(const toml::source_region& where, std::string_view key, std::string_view message) {
    m_warnings.push_back({where.begin.line, where.begin.column,
                          fmt::format("{}:{}:{}: {}: {}", m_file, where.begin.line, where.begin.column, key, message)});
  }

  void hand_over(ConfigLoad& out) {
    auto by_position = [](const Diag& a, const Diag& b) {
      return a.line != b.line ? a.line < b.line : a.column < b.column;
    };
    std::stable_sort(m_errors.begin(), m_errors.end(), by_position);
    std::stable_sort(m_warnings.begin(), m_warnings.end(), by_position);
    for (Diag& diag : m_errors) out.errors.push_back(std::move(diag.text));
    for (Diag& diag : m_warnings) out.warnings.push_back(std::move(diag.text));
    m_errors.clear();
    m_warnings.clear();
  }

 private:
  std::string m_file;
  std::filesystem::path m_dir;
  std::vector<Diag> m_errors;
  std::vector<Diag> m_warnings;
};

}  // namespace mha::config_detail

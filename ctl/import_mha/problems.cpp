// The problems of one import (see problems.h).

#include "ctl/import_mha/problems.h"

#include <fmt/format.h>

#include <algorithm>

namespace mha::ctl::import_mha {

void Problems::add(bool error, const std::string& file, int line, std::string text) {
  if (std::find(m_files.begin(), m_files.end(), file) == m_files.end()) m_files.push_back(file);
  m_problems.push_back(Problem{error, file, line, std::move(text)});
}

bool Problems::has_errors() const {
  return std::any_of(m_problems.begin(), m_problems.end(), [](const Problem& p) { return p.error; });
}

std::vector<Problem> Problems::sorted() const {
  std::vector<Problem> out = m_problems;
  auto file_rank = [this](const std::string& file) {
    return std::find(m_files.begin(), m_files.end(), file) - m_files.begin();
  };
  std::stable_sort(out.begin(), out.end(), [&](const Problem& a, const Problem& b) {
    if (a.file != b.file) return file_rank(a.file) < file_rank(b.file);
    return a.line < b.line;
  });
  return out;
}

std::string Problems::format(const Problem& problem) {
  const std::string place =
      problem.line > 0 ? fmt::format("{}:{}", problem.file, problem.line) : problem.file;
  return fmt::format("{}: {}{}", place, problem.error ? "" : "warning: ", problem.text);
}

}  // namespace mha::ctl::import_mha

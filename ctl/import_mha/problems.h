// What `mhactl import-mha` found wrong or worth saying, each naming the MHA
// file and line it is about: errors (nothing is written) and warnings (the
// TOML is written, the operator should read them). Collected, then printed
// sorted by file and line. Pure data.
#pragma once

#include <string>
#include <vector>

namespace mha::ctl::import_mha {

struct Problem {
  bool error = false;
  std::string file;  // as the user named it
  int line = 0;      // 1-based; 0 = the file as a whole
  std::string text;  // "KEY: expected ..., found ...; FIX"
};

class Problems {
 public:
  void error(const std::string& file, int line, std::string text) { add(true, file, line, std::move(text)); }
  void warning(const std::string& file, int line, std::string text) { add(false, file, line, std::move(text)); }
  bool has_errors() const;
  // Sorted by file (in the order first seen), then line; stable otherwise.
  std::vector<Problem> sorted() const;
  // "FILE:LINE: TEXT" for errors, "FILE:LINE: warning: TEXT" for warnings.
  static std::string format(const Problem& problem);

 private:
  void add(bool error, const std::string& file, int line, std::string text);
  std::vector<Problem> m_problems;
  std::vector<std::string> m_files;  // first-seen order
};

}  // namespace mha::ctl::import_mha

#include "daemon/script_runner.h"

namespace mha {

std::vector<std::string> split_command(const std::string& command) {
  std::vector<std::string> out;
  std::string current;
  bool in_word = false;
  char quote = 0;
  for (char c : command) {
    if (quote) {
      if (c == quote) quote = 0;
      else current += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) out.push_back(std::move(current));
      current.clear();
      in_word = false;
    } else {
      current += c;
      in_word = true;
    }
  }
  if (in_word) out.push_back(std::move(current));
  return out;
}

ScriptResult run_script(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  return run_process(argv, "", environment_without({"NOTIFY_SOCKET"}), timeout);
}

}  // namespace mha

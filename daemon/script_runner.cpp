#include "daemon/script_runner.h"

#include "common/config.h"

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
  ScriptResult result = run_process(argv, "", environment_without({"NOTIFY_SOCKET"}), timeout);
  // MHA's script interface passes passwords as --*password=VALUE (the VIP
  // scripts' --new_master_password, secondary_check_script's
  // --master_password). A script that echoes its arguments, or fails quoting
  // them, must not carry them into mhad's log through its output.
  for (const auto& arg : argv) {
    const auto eq = arg.find('=');
    if (!arg.starts_with("--") || eq == std::string::npos || eq + 1 == arg.size()) continue;
    if (std::string_view(arg).substr(0, eq).find("password") == std::string_view::npos) continue;
    const Secret secret(arg.substr(eq + 1));
    result.output = scrub(std::move(result.output), secret);
    result.error = scrub(std::move(result.error), secret);
  }
  return result;
}

ScriptResult run_script(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                        const ClusterConfig& cluster) {
  ScriptResult result = run_script(argv, timeout);
  result.output = scrub_secrets(std::move(result.output), cluster);
  result.error = scrub_secrets(std::move(result.error), cluster);
  return result;
}

}  // namespace mha

#include "daemon/failover/kill_command.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mha::failover_detail {

namespace {
constexpr std::chrono::milliseconds k_poll{10};

std::string trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}
}  // namespace

std::string kill_and_wait_command(const std::vector<int>& pids, bool sudo, std::chrono::milliseconds wait) {
  // Pids are integers: nothing here comes from text. A sleep without
  // fractions (not GNU) falls back to whole seconds, counted as 100 polls.
  const std::string list = fmt::format("{}", fmt::join(pids, " "));
  const long polls = std::max<long>(1, wait / k_poll);
  return fmt::format(
      "export LC_ALL=C; {}kill -9 {} 2>&1; n=0; while :; do alive=; for p in {}; do "
      "if e=$(kill -0 $p 2>&1); then alive=$p; else case $e in *'not permitted'*) alive=$p;; esac; fi; "
      "s=; {{ read -r s < /proc/$p/stat; }} 2>/dev/null; s=${{s##*) }}; [ \"${{s%% *}}\" = Z ] && alive=; done; "
      "[ -z \"$alive\" ] && exit 0; n=$((n+1)); "
      "if [ $n -ge {} ]; then echo \"still exists: $alive\"; exit {}; fi; "
      "sleep 0.01 2>/dev/null || {{ sleep 1; n=$((n+99)); }}; done",
      sudo ? "sudo -n " : "", list, list, polls, k_kill_still_exists);
}

std::string kill_outcome(const CommandResult& result, const std::string& server, std::chrono::milliseconds wait) {
  if (result.exit_status == 0) return "";
  const std::string out = trimmed(result.out + "\n" + result.err);
  if (result.exit_status == k_kill_still_exists) {
    const std::string marker = "still exists: ";
    const auto at = result.out.find(marker);
    const std::string pid = at == std::string::npos ? "?" : trimmed(result.out.substr(at + marker.size(), 12));
    return fmt::format("process {} on '{}' still exists {} ms after kill -9", pid.substr(0, pid.find('\n')), server,
                       wait.count());
  }
  return fmt::format("kill -9 on '{}' exited {}{}", server, result.exit_status, out.empty() ? "" : ": " + out);
}

}  // namespace mha::failover_detail

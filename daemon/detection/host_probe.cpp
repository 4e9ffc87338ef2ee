#include "daemon/detection/host_probe.h"

#include <fmt/format.h>

#include <sstream>

namespace mha {

bool HostOpinion::process_stopped() const {
  if (processes.empty()) return false;
  for (const auto& p : processes)
    if (p.state.empty() || (p.state[0] != 'T' && p.state[0] != 't')) return false;
  return true;
}

std::string host_probe_command(std::uint16_t port) {
  // ss prints "LISTEN 0 80 127.0.0.11:3306 0.0.0.0:* users:(("mariadbd",pid=2748,fd=21))".
  return fmt::format(
      "ss -Hltnp 'sport = :{0}' || exit 3; echo '--mhad--'; "
      "for p in $(ss -Hltnp 'sport = :{0}' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do "
      "echo \"pid $p $(ps -o stat= -p $p)\"; done",
      port);
}

static bool address_matches(std::string_view local, std::string_view address, std::uint16_t port) {
  auto colon = local.rfind(':');
  if (colon == std::string_view::npos) return false;
  if (local.substr(colon + 1) != std::to_string(port)) return false;
  std::string_view host = local.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (auto pct = host.find('%'); pct != std::string_view::npos) host = host.substr(0, pct);  // 0.0.0.0%lo
  return host == address || host == "0.0.0.0" || host == "*" || host == "::" ||
         host == fmt::format("::ffff:{}", address);
}

HostOpinion parse_host_probe(std::string_view output, std::string_view address, std::uint16_t port) {
  HostOpinion opinion;
  opinion.ssh_ok = true;
  opinion.listener_present = false;
  std::istringstream in{std::string(output)};
  std::string line;
  bool in_pids = false;
  std::vector<int> wanted;
  while (std::getline(in, line)) {
    if (line == "--mhad--") {
      in_pids = true;
      continue;
    }
    std::istringstream fields(line);
    if (!in_pids) {
      std::string state, recvq, sendq, local;
      if (!(fields >> state >> recvq >> sendq >> local)) continue;
      if (!address_matches(local, address, port)) continue;
      opinion.listener_present = true;
      for (std::size_t pos = line.find("pid="); pos != std::string::npos; pos = line.find("pid=", pos + 4))
        wanted.push_back(std::atoi(line.c_str() + pos + 4));
    } else {
      std::string tag, stat;
      int pid = 0;
      if (!(fields >> tag >> pid) || tag != "pid") continue;
      fields >> stat;
      for (int w : wanted)
        if (w == pid) opinion.processes.push_back({pid, stat});
    }
  }
  return opinion;
}

HostOpinion probe_host(RemoteShell& shell, const std::string& address, std::uint16_t port,
                       std::chrono::milliseconds timeout, MonoTime now) {
  HostOpinion opinion;
  auto result = shell.run(host_probe_command(port), timeout);
  if (!result) {
    opinion.ssh_error = result.error().message;
  } else if (result->exit_status == 3) {
    opinion.ssh_ok = true;
    opinion.ssh_error = "'ss' failed on the host (is iproute2 installed?): " + result->err;
  } else {
    opinion = parse_host_probe(result->out, address, port);
  }
  opinion.at = now;
  return opinion;
}

}  // namespace mha

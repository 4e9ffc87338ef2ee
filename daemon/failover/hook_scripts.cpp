// MHA-compatible hook scripts: see hook_scripts.h.
#include "daemon/failover/hook_scripts.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cassert>

namespace mha {

namespace {

// MHA::NodeConst::SSH_OPT_ALIVE and MHA::ManagerConst::SSH_OPT_CHECK.
constexpr const char* kSshOptAlive =
    "-o ServerAliveInterval=60 -o ServerAliveCountMax=20 -o StrictHostKeyChecking=no "
    "-o ConnectionAttempts=5 -o PasswordAuthentication=no -o BatchMode=yes";
constexpr const char* kSshOptCheck =
    "-o StrictHostKeyChecking=no -o PasswordAuthentication=no -o BatchMode=yes -o ConnectTimeout=";

bool is_ip_literal(const std::string& text) {
  unsigned char buffer[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, text.c_str(), buffer) == 1 || ::inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// MHA's ssh_ip: the address ssh_host resolves to (itself when it is one).
std::string ssh_ip_of(const std::string& ssh_host) {
  if (is_ip_literal(ssh_host)) return ssh_host;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(ssh_host.c_str(), nullptr, &hints, &found) != 0 || !found) return ssh_host;
  char text[INET6_ADDRSTRLEN] = {};
  const void* address = found->ai_family == AF_INET
                            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr)
                            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr);
  std::string result = ::inet_ntop(found->ai_family, address, text, sizeof text) ? text : ssh_host;
  ::freeaddrinfo(found);
  return result;
}

std::string ip_of(const ServerConfig& server) { return server.ip.empty() ? server.host : server.ip; }
std::string ssh_host_of(const ServerConfig& server) {
  return server.ssh_host.empty() ? server.host : server.ssh_host;
}

std::vector<std::string> script_words(const std::string& configured) { return split_command(configured); }

}  // namespace

void append_ssh_args(std::vector<std::string>& argv, const ServerConfig& server, const std::string& prefix,
                     bool first_group, bool ssh_reachable) {
  const std::string ssh_host = ssh_host_of(server);
  if (ssh_host != server.host) {
    argv.push_back(fmt::format("--{}ssh_host={}", prefix, ssh_host));
    argv.push_back(fmt::format("--{}ssh_ip={}", prefix, ssh_ip_of(ssh_host)));
  }
  if (server.ssh_port != 22) argv.push_back(fmt::format("--{}ssh_port={}", prefix, server.ssh_port));
  if (first_group && !server.ssh_options.empty()) {
    std::string options = server.ssh_options;
    // MHA strips quotes from ssh_options (they would break its shell line).
    options.erase(std::remove_if(options.begin(), options.end(), [](char c) { return c == '\'' || c == '"'; }),
                  options.end());
    std::string base = ssh_reachable
                           ? std::string(kSshOptAlive)
                           : fmt::format("{}{}", kSshOptCheck,
                                         std::max<long long>(1, (server.ssh_connection_timeout.count() + 999) / 1000));
    argv.push_back(fmt::format("--ssh_options={} {}", base, options));
  }
}

std::vector<std::string> vip_script_argv(const ClusterConfig& cluster, VipCommand command,
                                         const ServerConfig& orig, const ServerConfig* new_master,
                                         bool orig_ssh_reachable) {
  std::vector<std::string> argv = script_words(cluster.master_ip_failover_script);
  auto orig_args = [&] {
    argv.push_back("--orig_master_host=" + orig.host);
    argv.push_back("--orig_master_ip=" + ip_of(orig));
    argv.push_back(fmt::format("--orig_master_port={}", orig.port));
  };
  switch (command) {
    case VipCommand::status:
      argv.push_back("--command=status");
      argv.push_back("--ssh_user=" + orig.ssh_user);
      orig_args();
      append_ssh_args(argv, orig, "orig_master_", true, true);
      break;
    case VipCommand::stopssh:
      orig_args();
      argv.push_back("--command=stopssh");
      argv.push_back("--ssh_user=" + orig.ssh_user);
      append_ssh_args(argv, orig, "orig_master_", true, true);
      break;
    case VipCommand::stop:
      orig_args();
      argv.push_back("--command=stop");
      append_ssh_args(argv, orig, "orig_master_", true, false);
      break;
    case VipCommand::start: {
      assert(new_master);
      const ServerConfig& fresh = *new_master;
      argv.push_back("--command=start");
      argv.push_back("--ssh_user=" + fresh.ssh_user);
      orig_args();
      argv.push_back("--new_master_host=" + fresh.host);
      argv.push_back("--new_master_ip=" + ip_of(fresh));
      argv.push_back(fmt::format("--new_master_port={}", fresh.port));
      argv.push_back("--new_master_user=" + cluster.user);
      append_ssh_args(argv, orig, "orig_master_", true, orig_ssh_reachable);
      append_ssh_args(argv, fresh, "new_master_", false, true);
      argv.push_back("--new_master_password=" + cluster.password.reveal());
      break;
    }
  }
  return argv;
}

std::vector<std::string> shutdown_script_argv(const ClusterConfig& cluster, const ServerConfig& dead,
                                              bool ssh_reachable) {
  std::vector<std::string> argv = script_words(cluster.shutdown_script);
  if (ssh_reachable) {
    argv.push_back("--command=stopssh");
    argv.push_back("--ssh_user=" + dead.ssh_user);
  } else {
    argv.push_back("--command=stop");
  }
  argv.push_back("--host=" + dead.host);
  argv.push_back("--ip=" + ip_of(dead));
  argv.push_back(fmt::format("--port={}", dead.port));
  if (!dead.master_pid_file.empty()) argv.push_back("--pid_file=" + dead.master_pid_file);
  append_ssh_args(argv, dead, "", true, ssh_reachable);
  return argv;
}

ShutdownOutcome shutdown_outcome(const ScriptResult& result) {
  if (!result.started || result.timed_out || result.signal != 0) return ShutdownOutcome::failed;
  if (result.exit_code == 0) return ShutdownOutcome::powered_off;
  if (result.exit_code == 10) return ShutdownOutcome::killed_host_reachable;
  return ShutdownOutcome::failed;
}

ScriptResult run_shutdown_script(const ClusterConfig& cluster, const ServerConfig& dead, bool ssh_reachable,
                                 std::chrono::milliseconds limit) {
  return run_script(shutdown_script_argv(cluster, dead, ssh_reachable), std::min(kShutdownScriptTimeout, limit),
                    cluster);
}

std::vector<std::string> report_script_argv(const ClusterConfig& cluster, const std::string& orig_master_host,
                                            const std::string& new_master_host,
                                            const std::vector<std::string>& new_slave_hosts,
                                            const std::string& conf_path, const std::string& subject,
                                            const std::string& body) {
  std::vector<std::string> argv = script_words(cluster.report_script);
  argv.push_back("--orig_master_host=" + orig_master_host);
  if (!new_master_host.empty()) {
    argv.push_back("--new_master_host=" + new_master_host);
    argv.push_back(fmt::format("--new_slave_hosts={}", fmt::join(new_slave_hosts, ",")));
  }
  argv.push_back("--conf=" + conf_path);
  argv.push_back("--subject=" + subject);
  argv.push_back("--body=" + body);
  return argv;
}

ScriptResult run_report_script(const ClusterConfig& cluster, const std::string& orig_master_host,
                               const std::string& new_master_host, const std::vector<std::string>& new_slave_hosts,
                               const std::string& conf_path, const std::string& subject, const std::string& body) {
  return run_script(
      report_script_argv(cluster, orig_master_host, new_master_host, new_slave_hosts, conf_path, subject, body),
      kReportScriptTimeout, cluster);
}

std::string argv_for_log(const std::vector<std::string>& argv, const Secret& secret) {
  return scrub(fmt::format("{}", fmt::join(argv, " ")), secret);
}

std::string script_status_text(const ScriptResult& result, std::chrono::milliseconds timeout) {
  if (!result.started) return result.error.empty() ? std::string("could not be started") : result.error;
  if (result.timed_out) {
    auto ms = timeout.count();
    return ms % 1000 == 0 ? fmt::format("did not finish within {} s (killed)", ms / 1000)
                          : fmt::format("did not finish within {} ms (killed)", ms);
  }
  if (result.signal != 0) return fmt::format("killed by signal {}", result.signal);
  return fmt::format("exited {}", result.exit_code);
}

}  // namespace mha

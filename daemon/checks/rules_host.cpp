// Rules about the hosts, from what SSH found (HostProbe): ssh, binlog_dir,
// binlog_tool, remote_workdir.

#include "daemon/checks/evaluation.h"

#include <fmt/format.h>

namespace mha::checks_detail {

void Evaluation::ssh() {
  for (const auto& s : m_servers) {
    const auto& h = s.probe->host;
    const auto& c = *s.config;
    std::string ssh_host = c.ssh_host.empty() ? c.host : c.ssh_host;
    std::string login = c.ssh_user.empty() ? ssh_host : fmt::format("{}@{}", c.ssh_user, ssh_host);
    std::string target = fmt::format("{}:{}", login, c.ssh_port);
    if (!h.checked) {
      if (c.skip_init_ssh_check) ok("ssh", &s, "not checked (skip_init_ssh_check = true)");
      continue;
    }
    if (h.ssh_ok) {
      ok("ssh", &s, "ssh " + target);
      continue;
    }
    if (h.host_key_refused) {
      add("ssh", &s, CheckResult::fail, fmt::format("ssh {}: {}", target, h.ssh_error),
          fmt::format("nothing was run on '{}': compare the key it shows with the host's own (on it: ssh-keygen -lf "
                      "/etc/ssh/ssh_host_ed25519_key.pub); only if they match, update ssh_known_hosts as the "
                      "detail says",
                      c.name));
      continue;
    }
    add("ssh", &s, CheckResult::fail, fmt::format("ssh {}: {}", target, h.ssh_error),
        fmt::format("let mhad log in without a password: check ssh_user ('{}'), ssh_key ('{}') and ssh_port ({}) "
                    "for '{}' (try: ssh{} -p {} {} true)",
                    c.ssh_user, c.ssh_key.empty() ? "~/.ssh default" : c.ssh_key, c.ssh_port, c.name,
                    c.ssh_key.empty() ? "" : " -i " + c.ssh_key, c.ssh_port, login));
  }
}

void Evaluation::binlog_dir() {
  for (const auto& s : m_servers) {
    const auto& h = s.probe->host;
    // The probe looks at every server that replicates from nobody; only
    // the master's binlogs matter to a failover.
    if (!h.binlog_dir_readable || (master_server() && !is_master(s))) continue;
    if (*h.binlog_dir_readable) {
      ok("binlog_dir", &s, h.binlog_dir_detail);
      continue;
    }
    const auto& dirs = s.config->master_binlog_dir;
    std::string fix;
    if (!h.binlog_dir_expected.empty() &&
        std::find(dirs.begin(), dirs.end(), h.binlog_dir_expected) == dirs.end())
      fix = fmt::format("set master_binlog_dir = [\"{}\"] for '{}' (where log_bin_basename points)",
                        h.binlog_dir_expected, s.config->name);
    else if (!h.binlog_dir_found.empty())
      fix = fmt::format("let ssh_user '{}' read the binlogs in '{}' on '{}' (e.g. add it to the mysql group)",
                        s.config->ssh_user, h.binlog_dir_found, s.config->name);
    else
      fix = fmt::format("set master_binlog_dir for '{}' to the directory that holds its binlogs", s.config->name);
    add("binlog_dir", &s, CheckResult::fail, h.binlog_dir_detail, std::move(fix));
  }
}

void Evaluation::binlog_tool() {
  for (const auto& s : m_servers) {
    const auto& h = s.probe->host;
    if (!h.binlog_tool_present) continue;
    if (*h.binlog_tool_present) {
      ok("binlog_tool", &s, h.binlog_tool_detail.empty() ? h.binlog_tool : h.binlog_tool + " at " + h.binlog_tool_detail);
      continue;
    }
    bool mariadb = s.flavor && s.flavor->is_mariadb();
    std::string host = s.config->ssh_host.empty() ? s.config->host : s.config->ssh_host;
    add("binlog_tool", &s, CheckResult::fail,
        fmt::format("{} not found on {}{}{}", h.binlog_tool, host, h.binlog_tool_detail.empty() ? "" : ": ",
                    h.binlog_tool_detail),
        mariadb ? fmt::format("on {}: apt-get install mariadb-client (dnf install MariaDB-client), or set "
                              "client_bindir",
                              host)
                : fmt::format("on {}: apt-get install mysql-client (dnf install mysql), or set client_bindir", host));
  }
}

void Evaluation::remote_workdir() {
  for (const auto& s : m_servers) {
    const auto& h = s.probe->host;
    if (!h.workdir_writable) continue;
    if (*h.workdir_writable) {
      ok("remote_workdir", &s, fmt::format("'{}' writable", s.config->remote_workdir));
      continue;
    }
    add("remote_workdir", &s, CheckResult::warn,
        fmt::format("cannot create a file in '{}': {}", s.config->remote_workdir, h.workdir_detail),
        fmt::format("create '{}' writable for ssh_user '{}' on '{}', or set remote_workdir", s.config->remote_workdir,
                    s.config->ssh_user, s.config->name));
  }
}

}  // namespace mha::checks_detail

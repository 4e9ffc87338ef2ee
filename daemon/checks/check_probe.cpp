#include "daemon/checks/check_probe.h"

#include "common/flavor.h"
#include "daemon/server_read.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace mha {

namespace {

constexpr std::size_t k_max_message = 300;

// First non-empty line of a command's stderr (else stdout), trimmed and
// bounded: enough to say why, never a screenful.
std::string first_line(const CommandResult& result) {
  for (const std::string* text : {&result.err, &result.out}) {
    std::size_t start = 0;
    while (start < text->size()) {
      auto end = text->find('\n', start);
      if (end == std::string::npos) end = text->size();
      std::string line = text->substr(start, end - start);
      auto first = line.find_first_not_of(" \t\r");
      if (first != std::string::npos) {
        line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
        if (line.size() > k_max_message) line = line.substr(0, k_max_message) + "...";
        return line;
      }
      start = end + 1;
    }
  }
  return fmt::format("exit status {}", result.exit_status);
}

std::vector<std::string> split_names(const std::optional<std::string>& value) {
  std::vector<std::string> out;
  if (!value) return out;
  std::size_t start = 0;
  while (start <= value->size()) {
    auto end = value->find(',', start);
    if (end == std::string::npos) end = value->size();
    std::string name = value->substr(start, end - start);
    auto first = name.find_first_not_of(" \n");
    if (first != std::string::npos) out.push_back(name.substr(first, name.find_last_not_of(" \n") - first + 1));
    start = end + 1;
  }
  return out;
}

// A column by name, case-insensitively; nullopt when absent or NULL.
SqlValue column(const std::map<std::string, SqlValue>& row, std::string_view name) {
  for (const auto& [key, value] : row)
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        }))
      return value;
  return std::nullopt;
}

std::string dirname_of(std::string_view path) {
  auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return "";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string basename_of(std::string_view path) {
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace

std::string binlog_prefix_of_file(std::string_view file) {
  auto dot = file.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == file.size()) return "";
  auto ext = file.substr(dot + 1);
  if (!std::all_of(ext.begin(), ext.end(), [](char c) { return c >= '0' && c <= '9'; })) return "";
  return std::string(file.substr(0, dot));
}

std::vector<std::string> binlog_files_in_listing(std::string_view listing, std::string_view prefix) {
  std::vector<std::string> files;
  std::size_t start = 0;
  while (start < listing.size()) {
    auto end = listing.find('\n', start);
    if (end == std::string_view::npos) end = listing.size();
    std::string_view name = listing.substr(start, end - start);
    if (!name.empty() && name.back() == '\r') name.remove_suffix(1);
    std::string found_prefix = binlog_prefix_of_file(name);
    auto digits = name.size() - found_prefix.size() - 1;
    if (!found_prefix.empty() && (prefix.empty() ? digits >= 6 : found_prefix == prefix))
      files.emplace_back(name);
    start = end + 1;
  }
  return files;
}

ServerProbe probe_server(SqlSession& session, const SqlEndpoint& endpoint, const ClusterConfig& cluster,
                         const ServerConfig& server, MonoTime now) {
  ServerProbe probe;
  probe.obs = check_server(session, endpoint, now, {}, true);
  if (!probe.obs.reachable || !probe.obs.flavor) {
    session.close();
    return probe;
  }
  const Flavor& flavor = *probe.obs.flavor;

  if (auto tls = session.query(Flavor::tls_status_sql())) {
    std::string cipher;
    for (const auto& row : tls->rows) {
      if (row.size() < 2 || !row[0]) continue;
      if (*row[0] == "Ssl_cipher") cipher = row[1].value_or("");
      if (*row[0] == "Ssl_version") probe.tls_version = row[1].value_or("");
    }
    probe.tls_cipher = cipher;
  }

  // Empty when the binary log is off; an error usually means a missing
  // privilege (REPLICATION CLIENT, MariaDB 10.5+: BINLOG MONITOR).
  auto status = session.query(flavor.master_status_sql());
  if (!status) {
    probe.master_status_error =
        status.error().with_context("reading the master status of '{}'", server.name).message;
  } else if (!status->rows.empty()) {
    auto row = status->row_map(0);
    MasterStatus ms;
    ms.file = column(row, "File").value_or("");
    ms.position = std::strtoull(column(row, "Position").value_or("0").c_str(), nullptr, 10);
    ms.binlog_do_db = split_names(column(row, "Binlog_Do_DB"));
    ms.binlog_ignore_db = split_names(column(row, "Binlog_Ignore_DB"));
    probe.master_status = std::move(ms);
  }

  probe.repl_user = cluster.repl_user;
  if (probe.repl_user.empty() && probe.obs.replica) probe.repl_user = probe.obs.replica->master_user;
  if (probe.repl_user.empty()) {
    probe.repl_grants_detail = "repl_user is not set and the server is not a replica";
  } else {
    auto count = session.query(Flavor::repl_privilege_sql(probe.repl_user));
    if (!count)
      probe.repl_grants_detail = count.error().message;
    else
      probe.repl_user_can_replicate = std::strtoul(count->scalar().value_or("0").c_str(), nullptr, 10) > 0;
  }
  // Without a privilege to write under read_only, salvaged events cannot be
  // applied to the new master before it is promoted.
  if (auto grants = session.query(Flavor::show_grants_sql()); !grants) {
    probe.own_grants_error = grants.error().message;
  } else {
    std::vector<std::string> lines;
    for (const auto& row : grants->rows)
      if (!row.empty() && row[0]) lines.push_back(*row[0]);
    probe.own_privileges = global_privileges(lines);
  }
  session.close();
  return probe;
}

std::set<std::string> global_privileges(const std::vector<std::string>& show_grants_lines) {
  std::set<std::string> out;
  for (const auto& line : show_grants_lines) {
    if (line.rfind("GRANT ", 0) != 0) continue;
    const auto on = line.find(" ON *.* TO ");
    if (on == std::string::npos) continue;
    std::string list = line.substr(6, on - 6);
    std::size_t from = 0;
    while (from <= list.size()) {
      auto comma = list.find(',', from);
      std::string item = list.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
      while (!item.empty() && item.front() == ' ') item.erase(item.begin());
      while (!item.empty() && item.back() == ' ') item.pop_back();
      for (auto& c : item) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (!item.empty()) out.insert(item);
      if (comma == std::string::npos) break;
      from = comma + 1;
    }
  }
  return out;
}

HostProbe probe_host(RemoteShell& shell, const ServerConfig& server, bool is_master, const ServerObservation& obs,
                     const std::optional<MasterStatus>& master_status) {
  HostProbe host;
  if (server.skip_init_ssh_check) return host;
  host.checked = true;

  auto login = shell.run("exit 0", k_check_command_timeout);
  if (!login) {
    host.ssh_error = login.error().message;
    // decide_host_key()'s two refusals (changed key, unknown host).
    host.host_key_refused = login.error().code == Errc::auth &&
                            (host.ssh_error.find("the host key of ") != std::string::npos ||
                             host.ssh_error.find("and ssh_host_key_checking = ") != std::string::npos);
    return host;
  }
  if (login->exit_status != 0) {
    host.ssh_error = fmt::format("'exit 0' failed: {}", first_line(*login));
    return host;
  }
  host.ssh_ok = true;

  // remote_workdir: where a failover saves the dead master's binlog events.
  {
    std::string dir = trim_slash(server.remote_workdir);
    auto r = shell.run(fmt::format("f=$(mktemp {}/mhad-check.XXXXXX) && rm -f \"$f\"", shell_quote(dir)),
                       k_check_command_timeout);
    if (r) {
      host.workdir_writable = r->exit_status == 0;
      if (r->exit_status != 0) host.workdir_detail = first_line(*r);
    }
  }

  // The binlog tool: the failover runs it on the dead master's host and on
  // the new master's.
  if ((is_master || !server.no_master) && obs.flavor) {
    host.binlog_tool = std::string(obs.flavor->binlog_tool());
    std::string command =
        server.client_bindir.empty()
            ? fmt::format("command -v {}", shell_quote(host.binlog_tool))
            : fmt::format("p={}/{} && test -x \"$p\" && echo \"$p\"", shell_quote(trim_slash(server.client_bindir)),
                          shell_quote(host.binlog_tool));
    auto r = shell.run(command, k_check_command_timeout);
    if (r) {
      host.binlog_tool_present = r->exit_status == 0;
      if (r->exit_status == 0)
        host.binlog_tool_detail = first_line(*r);
      else
        host.binlog_tool_detail = server.client_bindir.empty()
                                      ? "not on ssh_user's PATH"
                                      : fmt::format("not executable in client_bindir '{}'", server.client_bindir);
    }
  }

  // The master's binlogs, where master_binlog_dir says they are.
  bool log_bin_off = !obs.variables.empty() && obs.variable("log_bin") != "ON" && obs.variable("log_bin") != "1";
  if (is_master && obs.reachable && !log_bin_off) {
    std::string basename = obs.variable("log_bin_basename");
    std::string prefix = basename.empty() ? "" : basename_of(basename);
    host.binlog_dir_expected = basename.empty() ? "" : trim_slash(dirname_of(basename));
    std::string current = master_status ? master_status->file : "";
    if (prefix.empty() && !current.empty()) prefix = binlog_prefix_of_file(current);
    std::string pattern = prefix.empty() ? std::string("binlog") : fmt::format("'{}.*'", prefix);

    std::vector<std::string> problems;
    bool answered = false;
    for (const auto& configured : server.master_binlog_dir) {
      std::string dir = trim_slash(configured);
      auto r = shell.run(fmt::format("ls -1 -- {}", shell_quote(dir)), k_check_command_timeout);
      if (!r) {
        problems.push_back(fmt::format("'{}': {}", dir, r.error().message));
        continue;
      }
      answered = true;
      if (r->exit_status != 0) {
        problems.push_back(fmt::format("'{}': {}", dir, first_line(*r)));
        if (dir == host.binlog_dir_expected) host.binlog_dir_found = dir;  // there, but not listable
        continue;
      }
      auto files = binlog_files_in_listing(r->out, prefix);
      if (files.empty()) {
        problems.push_back(fmt::format("'{}': no {} files", dir, pattern));
        continue;
      }
      host.binlog_dir_found = dir;
      // The file a failover reads first: the current one, else the newest.
      std::string file = !current.empty() && std::find(files.begin(), files.end(), current) != files.end()
                             ? current
                             : *std::max_element(files.begin(), files.end());
      auto readable = shell.run(fmt::format("test -r {}", shell_quote(dir + "/" + file)), k_check_command_timeout);
      if (!readable) {
        problems.push_back(fmt::format("'{}/{}': {}", dir, file, readable.error().message));
        break;
      }
      host.binlog_dir_readable = readable->exit_status == 0;
      host.binlog_dir_detail =
          readable->exit_status == 0
              ? fmt::format("{} {} files in '{}', '{}' readable", files.size(), pattern, dir, file)
              : fmt::format("'{}/{}' is not readable by ssh_user '{}'", dir, file, server.ssh_user);
      return host;
    }
    if (!answered) return host;  // SSH trouble mid-way: not a verdict on the directory
    host.binlog_dir_readable = false;
    host.binlog_dir_detail = fmt::format("no readable {} files in master_binlog_dir: {}", pattern,
                                         fmt::join(problems, "; "));
    if (!host.binlog_dir_expected.empty() &&
        std::none_of(server.master_binlog_dir.begin(), server.master_binlog_dir.end(),
                     [&](const std::string& d) { return trim_slash(d) == host.binlog_dir_expected; }))
      host.binlog_dir_detail += fmt::format(" (log_bin_basename is '{}')", basename);
  }
  return host;
}

}  // namespace mha

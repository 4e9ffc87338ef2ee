#include "daemon/failover/binlog_salvage.h"

#include "common/gtid.h"
#include "common/text.h"
#include "daemon/process.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace mha {

namespace {

constexpr std::string_view k_never_reached = "ERROR: Binary logs never reached expected GTID state of ";

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto end = text.find('\n');
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return lines;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "#261122  8:11:49 server id 1  end_log_pos 1684 CRC32 0x54ee45b6 \tGTID 0-1-9 trans":
// an event header (date, time, "server id") whose event is a GTID event. The
// header shape keeps query text (printed raw, or after "#Q> ") from counting.
std::string_view mariadb_gtid_of(std::string_view line) {
  if (line.size() < 8 || line[0] != '#') return {};
  for (std::size_t i = 1; i <= 6; ++i)
    if (!is_digit(line[i])) return {};
  if (line[7] != ' ') return {};
  auto server = line.find(" server id ");
  if (server == std::string_view::npos || server > 20) return {};
  auto tag = line.find("\tGTID ", server);
  if (tag == std::string_view::npos) return {};
  std::string_view gtid = line.substr(tag + 6);
  gtid = gtid.substr(0, gtid.find(' '));
  if (!MariadbGtid::parse(gtid)) return {};
  return gtid;
}

// "SET @@SESSION.GTID_NEXT= 'uuid:7'/*!*/;" (not 'AUTOMATIC').
std::string_view mysql_gtid_of(std::string_view line) {
  constexpr std::string_view prefix = "SET @@SESSION.GTID_NEXT= '";
  if (line.substr(0, prefix.size()) != prefix) return {};
  std::string_view gtid = line.substr(prefix.size());
  auto end = gtid.find('\'');
  if (end == std::string_view::npos) return {};
  gtid = gtid.substr(0, end);
  if (gtid.find(':') == std::string_view::npos) return {};  // AUTOMATIC, ANONYMOUS
  return gtid;
}

}  // namespace

Result<std::string> build_salvage_command(const SalvageRequest& request) {
  const Flavor& flavor = request.flavor;
  if (flavor.is_mariadb() && !flavor.binlog_tool_accepts_gtid_start())
    return make_error(Errc::not_supported,
                      "binlog salvage needs mariadb-binlog with a GTID start position (MariaDB >= 10.8), "
                      "the dead master runs {}",
                      flavor.to_string());
  if (request.binlog_basename.empty() && request.binlog_dirs.empty())
    return make_error(Errc::bad_request, "binlog salvage: neither a binlog basename nor binlog directories");
  for (const auto& text : {request.binlog_basename, request.start_position, request.client_bindir})
    if (text.find_first_of(std::string_view("\n\0", 2)) != std::string::npos)
      return make_error(Errc::bad_request, "binlog salvage: newline or NUL in a path or position");

  std::string tool(flavor.binlog_tool());
  std::string tool_path = request.client_bindir.empty() ? shell_quote(tool)
                                                        : shell_quote(trim_slash(request.client_bindir) + "/" + tool);
  std::string script = "set --; ";
  std::string where;
  if (!request.binlog_basename.empty()) {
    // BASENAME.000001 ...: zero-padded numbers, so the glob's order is the log order.
    script += fmt::format("for f in {}.[0-9]*; do [ -f \"$f\" ] && set -- \"$@\" \"$f\"; done; ",
                          shell_quote(request.binlog_basename));
    where = shell_quote(request.binlog_basename) + ".[0-9]*";
  } else {
    // Per directory: the files of a (non-relay) *.index, else *-bin.NNNNNN;
    // the first directory that has any wins.
    std::string dirs;
    for (const auto& dir : request.binlog_dirs) {
      if (dir.find_first_of(std::string_view("\n\0", 2)) != std::string::npos)
        return make_error(Errc::bad_request, "binlog salvage: newline or NUL in a path");
      dirs += (dirs.empty() ? "" : " ") + shell_quote(trim_slash(dir));
    }
    script += fmt::format(
        "for d in {}; do "
        "for i in \"$d\"/*.index; do "
        "case ${{i##*/}} in *relay*) continue ;; esac; [ -f \"$i\" ] || continue; "
        "for f in \"${{i%.index}}\".[0-9]*; do [ -f \"$f\" ] && set -- \"$@\" \"$f\"; done; "
        "[ $# -gt 0 ] && break; done; "
        "if [ $# -eq 0 ]; then for f in \"$d\"/*-bin.[0-9]*; do "
        "case ${{f##*/}} in *relay*) ;; *) [ -f \"$f\" ] && set -- \"$@\" \"$f\" ;; esac; done; fi; "
        "[ $# -gt 0 ] && break; done; ",
        dirs);
    where = dirs;
  }
  // Messages naming configured paths are one single-quoted printf argument:
  // a quoted word inside double quotes would let $(...) in a path run (issue 10).
  script += fmt::format("[ $# -gt 0 ] || {{ printf '%s\\n' {} >&2; exit {}; }}; ",
                        shell_quote("mhad-salvage: no binlog files in " + where), k_salvage_exit_no_binlogs);
  script += fmt::format("command -v {} >/dev/null 2>&1 || {{ printf '%s\\n' {} >&2; exit {}; }}; ", tool_path,
                        shell_quote("mhad-salvage: " + tool_path + " not found"), k_salvage_exit_no_tool);
  std::string options = flavor.is_mariadb() ? "--start-position=" + shell_quote(request.start_position)
                                            : "--exclude-gtids=" + shell_quote(request.start_position);
  // Streams through head: at most max_output_bytes + 1 bytes leave the host;
  // the tool's status comes back through fd 3 (POSIX sh has no pipefail).
  script += fmt::format(
      "{{ r=$( {{ {{ {} {} \"$@\"; echo $? >&3; }} | head -c {} >&4; }} 3>&1 ); }} 4>&1; "
      "[ \"$r\" = 0 ] || {{ echo \"mhad-salvage: {} exited with status $r\" >&2; exit {}; }}",
      tool_path, options, request.max_output_bytes + 1, tool, k_salvage_exit_tool_failed);
  return script;
}

SalvageScan scan_salvage_output(FlavorKind flavor, std::string_view sql) {
  SalvageScan scan;
  for (std::string_view line : split_lines(sql)) {
    std::string_view gtid = flavor == FlavorKind::mariadb ? mariadb_gtid_of(line) : mysql_gtid_of(line);
    if (gtid.empty()) continue;
    ++scan.transactions;
    scan.last_gtid = std::string(gtid);
  }
  return scan;
}

SalvageResult salvage_binlog(RemoteShell& shell, const SalvageRequest& request) {
  SalvageResult result;
  if (request.start_position.find_first_not_of(" \t\r\n") == std::string::npos) {
    result.ok = true;  // nothing known to start from: salvaging everything is never safe
    result.warnings.push_back("no start position: nothing salvaged");
    return result;
  }
  auto command = build_salvage_command(request);
  if (!command) {
    result.error = command.error().message;
    return result;
  }
  result.command = *command;
  // The events are the output: the shell's cap is the salvage's own (head
  // stops at max_output_bytes + 1 on the host) plus room for stderr.
  auto ran = shell.run_large(result.command, request.timeout, request.max_output_bytes + 1 + k_max_command_output);
  if (!ran) {
    result.error = "binlog salvage: " + ran.error().message;
    return result;
  }
  CommandResult& r = *ran;
  result.exit_status = r.exit_status;
  auto stderr_text = [&] {
    std::string text = r.err;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text.empty() ? std::string("(no error output)") : text;
  };
  if (r.out.size() > request.max_output_bytes) {
    result.error = fmt::format("binlog salvage: the binlog tool's output exceeds {} bytes; not salvaged",
                               request.max_output_bytes);
    return result;
  }
  bool tolerated = false;
  if (r.exit_status == k_salvage_exit_tool_failed && request.flavor.is_mariadb()) {
    // mariadb-binlog (10.11) exits 1 with "never reached expected GTID state
    // of D-S-N" for every domain in which nothing follows the start GTID,
    // even when that GTID is the last one of the binlogs. Its output is
    // complete; only these lines (and ours) may be on stderr.
    tolerated = true;
    std::vector<std::string> warnings;
    for (std::string_view line : split_lines(r.err)) {
      if (line.empty()) continue;
      if (line.substr(0, k_never_reached.size()) == k_never_reached) {
        warnings.push_back(fmt::format("nothing after {} in the binlogs", line.substr(k_never_reached.size())));
      } else if (line != fmt::format("mhad-salvage: {} exited with status 1", request.flavor.binlog_tool())) {
        tolerated = false;
      }
    }
    if (warnings.empty()) tolerated = false;
    if (tolerated) result.warnings = std::move(warnings);
  }
  if (r.exit_status != 0 && !tolerated) {
    if (r.exit_status == k_salvage_exit_no_binlogs)
      result.error = "binlog salvage: no binlog files found: " + stderr_text();
    else if (r.exit_status == k_salvage_exit_no_tool)
      result.error = "binlog salvage: binlog tool missing: " + stderr_text();
    else
      result.error = fmt::format("binlog salvage: exit status {}: {}", r.exit_status, stderr_text());
    return result;
  }
  SalvageScan scan = scan_salvage_output(request.flavor.kind(), r.out);
  result.ok = true;
  result.transactions = scan.transactions;
  result.last_gtid = std::move(scan.last_gtid);
  if (result.transactions > 0) result.sql = std::move(r.out);  // header-only output: nothing to apply
  return result;
}

// --- apply ------------------------------------------------------------------

namespace {

// A value for a [client] option file: double-quoted, with the escapes the
// option-file parser undoes (\\ \" \n \r \t).
std::string option_value(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  out += '"';
  return out;
}

Result<void> write_private_file(const std::string& path, std::string_view content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return make_error(Errc::io, "cannot create '{}': {}", path, std::strerror(errno));
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = errno;
      ::close(fd);
      return make_error(Errc::io, "cannot write '{}': {}", path, std::strerror(error));
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::close(fd) != 0) return make_error(Errc::io, "cannot write '{}': {}", path, std::strerror(errno));
  return {};
}

std::string find_client() {
  const char* env = std::getenv("PATH");
  std::string path = env != nullptr && *env != '\0' ? env : "/usr/local/bin:/usr/bin:/bin";
  for (const char* name : {"mariadb", "mysql"}) {
    std::string_view rest = path;
    while (true) {
      auto colon = rest.find(':');
      std::string dir(rest.substr(0, colon));
      if (dir.empty()) dir = ".";
      std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  return {};
}

}  // namespace

Result<void> apply_salvaged(const std::string& sql, const std::string& host, std::uint16_t port,
                            const std::string& user, const std::string& password,
                            std::chrono::milliseconds timeout) {
  if (sql.empty()) return {};
  for (const auto& text : {host, user})
    if (text.find_first_of(std::string_view("\n\r\0", 3)) != std::string::npos)
      return make_error(Errc::bad_request, "applying salvaged events: newline or NUL in host or user");
  std::string client = find_client();
  if (client.empty()) return make_error(Errc::not_supported, "applying salvaged events: no mariadb or mysql client in PATH");

  const char* tmp_env = std::getenv("TMPDIR");
  std::string dir_template = std::string(tmp_env != nullptr && *tmp_env == '/' ? tmp_env : "/tmp") + "/mhad-apply.XXXXXX";
  if (::mkdtemp(dir_template.data()) == nullptr)
    return make_error(Errc::io, "applying salvaged events: cannot create a temporary directory: {}", std::strerror(errno));
  const std::string dir = dir_template;  // mkdtemp: mode 0700
  const std::string defaults = dir + "/client.cnf";
  const std::string events = dir + "/events.sql";

  auto run = [&]() -> Result<void> {
    std::string options = fmt::format("[client]\nuser={}\npassword={}\nhost={}\nport={}\n", option_value(user),
                                      option_value(password), option_value(host), port);
    if (auto w = write_private_file(defaults, options); !w) return w.error().with_context("applying salvaged events");
    if (auto w = write_private_file(events, sql); !w) return w.error().with_context("applying salvaged events");
    auto seconds = std::max<long long>(1, std::chrono::duration_cast<std::chrono::seconds>(timeout).count());
    std::vector<std::string> argv{client,          "--defaults-extra-file=" + defaults,
                                  "--binary-mode", "--batch",
                                  "--connect-timeout=" + std::to_string(std::min<long long>(seconds, 30))};
    // The client must not pick a password or host up from mhad's environment.
    ProcessResult r = run_process(argv, events, environment_without({"NOTIFY_SOCKET", "MYSQL_PWD", "MYSQL_HOST"}),
                                  timeout);
    std::string output = r.output;
    // Belt and braces: the client never prints the password, but the error
    // text goes to logs and reports (a password that short would mangle it).
    if (password.size() >= 4)
      for (auto at = output.find(password); at != std::string::npos; at = output.find(password, at))
        output.replace(at, password.size(), "***");
    while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
    if (!r.error.empty()) return make_error(Errc::internal, "applying salvaged events: {}", r.error);
    if (r.timed_out)
      return make_error(Errc::timeout, "applying salvaged events to {}:{}: not done within {} ms{}{}", host, port,
                        timeout.count(), output.empty() ? "" : ": ", output);
    if (r.exit_code != 0)
      return make_error(Errc::sql, "applying salvaged events to {}:{}: {} {}: {}", host, port, client,
                        r.signal != 0 ? fmt::format("killed by signal {}", r.signal)
                                      : fmt::format("exited with status {}", r.exit_code),
                        output.empty() ? "(no output)" : output);
    return {};
  };
  Result<void> result = run();
  ::unlink(defaults.c_str());
  ::unlink(events.c_str());
  ::rmdir(dir.c_str());
  return result;
}

}  // namespace mha

// mhactl: parse the command line, send one request to mhad, print the answer
// and exit with the status `mhactl --help` documents. Only dispatch lives
// here: parsing is args.*, the socket is client.*, the tables status_table.*
// and check_table.*.
#include "common/protocol.h"
#include "ctl/args.h"
#include "ctl/check_table.h"
#include "ctl/client.h"
#include "ctl/help.h"
#include "ctl/import_mha/import_mha.h"
#include "ctl/status_table.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

using nlohmann::json;
using namespace mha::ctl;

std::string string_field(const json& object, const char* key, std::string_view fallback) {
  if (object.is_object())
    if (auto it = object.find(key); it != object.end() && it->is_string()) return it->get<std::string>();
  return std::string(fallback);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Progress of long operations, one line each as it happens, on stderr so
// that stdout stays the result: "phase wait_catchup started", "phase
// promote finished in 12 ms: 'slave1' promoted", "  slave1(...): read_only=0".
// With --json each event line is printed as it came, on stdout.
void print_event(const json& event, bool as_json) {
  if (as_json) {
    fmt::print("{}\n", event.dump(-1, ' ', false, json::error_handler_t::replace));
    std::fflush(stdout);
    return;
  }
  const std::string phase = string_field(event, "phase", string_field(event, "event", "event"));
  const std::string state = string_field(event, "state", "");
  const json detail = event.is_object() && event.contains("detail") ? event["detail"] : json();
  if (detail.is_string()) {
    fmt::print(stderr, "{}: {}\n", phase, detail.get<std::string>());
  } else if (state == "note") {
    fmt::print(stderr, "  {}{}\n", detail.value("warning", false) ? "WARNING: " : "", detail.value("text", ""));
  } else if (state == "finished") {
    const std::string text = detail.value("detail", "");
    fmt::print(stderr, "phase {} {} in {} ms{}{}\n", phase, detail.value("ok", false) ? "finished" : "stopped",
               detail.value("duration_ms", 0), text.empty() ? "" : ": ", text);
  } else {
    fmt::print(stderr, "phase {} {}\n", phase, state);
  }
}

// "mhactl: MESSAGE (CODE)"; a message of several lines (a refused config, one
// problem a line) prints its first line there and the rest indented below.
void print_daemon_error(std::string_view cmd, const json& error) {
  const std::string code = string_field(error, "code", "unknown");
  auto lines = lines_of(string_field(error, "message", "mhad gave no message"));
  if (cmd == "reload" && code == "config") {
    fmt::print(stderr, "mhactl: new configuration refused, mhad keeps running with the old one ({}):\n",
               code);
    for (const auto& line : lines) fmt::print(stderr, "  {}\n", line);
    return;
  }
  fmt::print(stderr, "mhactl: {} ({})\n", lines.empty() ? "mhad gave no message" : lines.front(), code);
  for (std::size_t i = 1; i < lines.size(); ++i) fmt::print(stderr, "  {}\n", lines[i]);
}

// The command's result, or the exit status once the failure is printed.
std::variant<json, int> ask(const Args& args, std::string_view cmd, const json& extra) {
  const json id = 1;
  const bool as_json = args.json;
  auto reply = call(args.socket, mha::protocol::make_request(id, cmd, extra), id, args.timeout,
                    [as_json](const json& event) { print_event(event, as_json); });
  if (!reply) {
    fmt::print(stderr, "mhactl: {}\n", reply.error().message);
    return exit_code_for(reply.error());
  }
  if (reply->kind == mha::protocol::Reply::Kind::error) {
    print_daemon_error(cmd, reply->body);
    return exit_code::daemon_error;
  }
  return std::move(reply->body);
}

void print_json(const json& result) {
  fmt::print("{}\n", result.dump(2, ' ', false, json::error_handler_t::replace));
}

int run_status(const Args& args) {
  json extra = json::object();
  if (!args.cluster.empty()) extra["cluster"] = args.cluster;
  auto answer = ask(args, "status", extra);
  if (auto* status = std::get_if<int>(&answer)) return *status;
  const json& result = std::get<json>(answer);
  if (args.json) {
    print_json(result);
    return exit_code::ok;
  }
  auto table = render_status(result);
  if (!table) {
    fmt::print(stderr, "mhactl: malformed reply from mhad: {}\n", table.error().message);
    return exit_code::bad_reply;
  }
  fmt::print("{}", *table);
  return exit_code::ok;
}

// `check` exits with the monitoring-plugin status (check_table.h), also with
// --json: a failure to get a verdict is 3, whatever mhactl's usual code for
// it, so that it never reads as "warnings" (1) or "failures" (2).
int run_check(const Args& args) {
  json extra = json::object();
  if (!args.cluster.empty()) extra["cluster"] = args.cluster;
  auto answer = ask(args, "check", extra);
  if (std::holds_alternative<int>(answer)) return check_exit::unknown;
  const json& result = std::get<json>(answer);
  auto status = check_exit_status(result);
  if (args.json) {
    print_json(result);
    return status ? *status : check_exit::unknown;
  }
  auto table = render_check(result);
  if (!table || !status) {
    fmt::print(stderr, "mhactl: malformed reply from mhad: {}\n", (table ? status.error() : table.error()).message);
    return check_exit::unknown;
  }
  fmt::print("{}", *table);
  return *status;
}

int run_failover(const Args& args) {
  json extra = json::object();
  if (!args.cluster.empty()) extra["cluster"] = args.cluster;
  if (!args.to.empty()) extra["to"] = args.to;
  if (args.force) extra["force"] = true;
  auto answer = ask(args, "failover", extra);
  if (auto* status = std::get_if<int>(&answer)) return *status;
  const json& result = std::get<json>(answer);
  if (args.json || !result.is_object() || !result.contains("text") || !result["text"].is_string()) {
    print_json(result);
    return exit_code::ok;
  }
  fmt::print("{}", result["text"].get<std::string>());
  return exit_code::ok;
}

// switchover, rejoin, maintenance: the report's text, or the JSON result.
int run_operation(const Args& args) {
  json extra = json::object();
  if (!args.cluster.empty()) extra["cluster"] = args.cluster;
  if (!args.to.empty()) extra["to"] = args.to;
  if (args.force) extra["force"] = true;
  if (!args.server.empty()) extra["server"] = args.server;
  if (!args.mode.empty()) extra["mode"] = args.mode;
  if (!args.reason.empty()) extra["reason"] = args.reason;
  auto answer = ask(args, command_name(args.command), extra);
  if (auto* status = std::get_if<int>(&answer)) return *status;
  const json& result = std::get<json>(answer);
  if (args.json) {
    print_json(result);
    return exit_code::ok;
  }
  if (args.command == Command::maintenance) {
    if (result.value("maintenance", false))
      fmt::print("maintenance on for '{}' since {}: automatic failover paused (monitoring goes on)\n",
                 string_field(result, "cluster", "?"), string_field(result, "since", "?"));
    else
      fmt::print("maintenance off for '{}': automatic failover resumed\n", string_field(result, "cluster", "?"));
    if (const std::string warning = string_field(result, "warning", ""); !warning.empty())
      fmt::print(stderr, "mhactl: warning: {}\n", warning);
    return exit_code::ok;
  }
  if (result.is_object() && result.contains("text") && result["text"].is_string())
    fmt::print("{}", result["text"].get<std::string>());
  else
    print_json(result);
  return exit_code::ok;
}

// Local, no daemon: the TOML on stdout only when nothing was refused.
int run_import_mha(const Args& args) {
  auto result = mha::ctl::import_mha::import_mha_files(args.mha_file, args.mha_default);
  for (const auto& line : result.messages) fmt::print(stderr, "{}\n", line);
  fmt::print("{}", result.toml);
  return result.exit_status;
}

int run_reload(const Args& args) {
  auto answer = ask(args, "reload", json::object());
  if (auto* status = std::get_if<int>(&answer)) return *status;
  const json& result = std::get<json>(answer);
  if (args.json) {
    print_json(result);
    return exit_code::ok;
  }
  // "clusters" as a count or as the list of names: either says how many.
  const json* clusters = nullptr;
  if (result.is_object())
    if (auto it = result.find("clusters"); it != result.end()) clusters = &*it;
  if (clusters && (clusters->is_number_unsigned() || clusters->is_number_integer() || clusters->is_array())) {
    auto count = clusters->is_array() ? static_cast<long long>(clusters->size()) : clusters->get<long long>();
    fmt::print("configuration reloaded: {} cluster{}\n", count, count == 1 ? "" : "s");
  } else {
    fmt::print("configuration reloaded\n");
  }
  return exit_code::ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> words(argv + 1, argv + argc);
  const char* env_socket = std::getenv("MHAD_SOCKET");
  auto parsed = parse_args(words, env_socket ? std::optional<std::string_view>(env_socket) : std::nullopt);
  if (const auto* usage = std::get_if<UsageError>(&parsed)) {
    fmt::print(stderr, "mhactl: {}\n{}\n", usage->message, usage->hint);
    return exit_code::usage;
  }
  const Args& args = std::get<Args>(parsed);
  switch (args.command) {
    case Command::version:
      fmt::print("{}\n", version_text());
      return exit_code::ok;
    case Command::help:
      fmt::print("{}", args.help_topic ? command_help(*args.help_topic) : overview_help());
      return exit_code::ok;
    case Command::status:
      return run_status(args);
    case Command::check:
      return run_check(args);
    case Command::reload:
      return run_reload(args);
    case Command::import_mha:
      return run_import_mha(args);
    case Command::failover:
      return run_failover(args);
    case Command::switchover:
    case Command::rejoin:
    case Command::maintenance:
      return run_operation(args);
  }
  return exit_code::usage;
}

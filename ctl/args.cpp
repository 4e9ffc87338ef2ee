#include "ctl/args.h"

#include <fmt/format.h>

#include <sys/un.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <vector>

namespace mha::ctl {

namespace {

using std::chrono::milliseconds;

// What each command accepts. A new command is a row here, a case in main.cpp
// and a text in help.cpp.
struct CommandSpec {
  std::string_view name;
  Command command;
  bool takes_cluster;
  bool takes_json;
  std::size_t max_arguments;  // positional words after the command name
};

constexpr std::array k_commands = {
    CommandSpec{"status", Command::status, true, true, 0},
    CommandSpec{"check", Command::check, true, true, 0},
    CommandSpec{"reload", Command::reload, false, true, 0},
    CommandSpec{"failover", Command::failover, true, true, 0},
    CommandSpec{"switchover", Command::switchover, true, true, 0},
    CommandSpec{"rejoin", Command::rejoin, true, true, 1},
    CommandSpec{"maintenance", Command::maintenance, true, true, 1},
    CommandSpec{"help", Command::help, false, false, 1},
};

// sun_path holds the path and its terminating NUL.
constexpr std::size_t k_max_socket_path = sizeof(sockaddr_un::sun_path) - 1;

// A day is far beyond any command's honest wait and keeps the arithmetic small.
constexpr milliseconds k_max_timeout = std::chrono::hours(24);

const CommandSpec* find_command(std::string_view name) {
  for (const auto& spec : k_commands)
    if (spec.name == name) return &spec;
  return nullptr;
}

std::string general_hint() { return "run 'mhactl --help' for the commands and options"; }

std::string command_hint(std::string_view name) {
  return fmt::format("run 'mhactl {} --help' for its options", name);
}

// "10s", "500ms", "2m", or a bare number of seconds ("30").
std::optional<milliseconds> parse_duration(std::string_view text) {
  std::uint64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::uint64_t factor = 0;
  if (unit.empty() || unit == "s")
    factor = 1000;
  else if (unit == "ms")
    factor = 1;
  else if (unit == "m")
    factor = 60'000;
  else
    return std::nullopt;
  const auto limit = static_cast<std::uint64_t>(k_max_timeout.count());
  if (number > limit / factor) return k_max_timeout + milliseconds(1);  // "too long", not "garbage"
  return milliseconds(static_cast<milliseconds::rep>(number * factor));
}

}  // namespace

std::string_view command_name(Command command) {
  switch (command) {
    case Command::status: return "status";
    case Command::check: return "check";
    case Command::reload: return "reload";
    case Command::failover: return "failover";
    case Command::switchover: return "switchover";
    case Command::rejoin: return "rejoin";
    case Command::maintenance: return "maintenance";
    case Command::help: return "help";
    case Command::version: return "version";
  }
  return "help";
}

std::vector<std::string_view> command_names() {
  std::vector<std::string_view> names;
  for (const auto& spec : k_commands) names.push_back(spec.name);
  return names;
}

ParseOutcome parse_args(std::span<const std::string_view> words,
                        std::optional<std::string_view> env_socket) {
  std::optional<std::string_view> socket, timeout_text, cluster, to, reason;
  std::string_view cluster_spelling, json_spelling;  // as typed, for error messages
  bool help = false, version = false, json = false, force = false, end_of_options = false;
  std::vector<std::string_view> positionals;

  // The hint for an error found mid-line: the command's own help once the
  // command is known, else the overview.
  auto hint = [&] {
    if (!positionals.empty())
      if (const auto* spec = find_command(positionals.front()); spec && spec->command != Command::help)
        return command_hint(spec->name);
    return general_hint();
  };

  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string_view word = words[i];
    if (end_of_options || word.size() < 2 || word.front() != '-') {
      positionals.push_back(word);
      continue;
    }
    if (word == "--") {
      end_of_options = true;
      continue;
    }
    std::string_view name = word;
    std::optional<std::string_view> inline_value;
    if (word.starts_with("--"))
      if (auto eq = word.find('='); eq != std::string_view::npos) {
        name = word.substr(0, eq);
        inline_value = word.substr(eq + 1);
      }

    const bool is_flag =
        name == "-h" || name == "--help" || name == "--version" || name == "--json" || name == "--force";
    const bool takes_value =
        name == "--socket" || name == "--timeout" || name == "--cluster" || name == "-c" || name == "--to" ||
                             name == "--reason";
    if (!is_flag && !takes_value)
      return UsageError{fmt::format("unknown option '{}'", name), hint()};

    if (is_flag) {
      if (inline_value)
        return UsageError{fmt::format("option '{}' takes no value", name), hint()};
      if (name == "--version") {
        version = true;
      } else if (name == "--json") {
        json = true;
        json_spelling = name;
      } else if (name == "--force") {
        force = true;
      } else {
        help = true;
      }
      continue;
    }

    // A following word that looks like an option is a forgotten value
    // ("-c --json"), not a cluster named "--json"; --name=VALUE still allows it.
    std::string_view value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < words.size() && !words[i + 1].starts_with("-")) {
      value = words[++i];
    } else {
      return UsageError{fmt::format("option '{}' needs a value", name), hint()};
    }
    if (value.empty())
      return UsageError{fmt::format("option '{}' needs a non-empty value", name), hint()};

    if (name == "--to") {
      to = value;
    } else if (name == "--reason") {
      reason = value;
    } else if (name == "--socket") {
      socket = value;
    } else if (name == "--timeout") {
      timeout_text = value;
    } else {
      // Last-one-wins would silently pick a cluster; for commands that change
      // a cluster that is the wrong default, so two different names are refused.
      if (cluster && *cluster != value)
        return UsageError{
            fmt::format("option '{}' given twice ('{}' and '{}')", name, *cluster, value), hint()};
      cluster = value;
      cluster_spelling = name;
    }
  }

  Args args;
  if (version) {
    args.command = Command::version;
    return args;
  }

  if (positionals.empty()) {
    if (help) {
      args.command = Command::help;
      return args;
    }
    return UsageError{"no command given", general_hint()};
  }
  const CommandSpec* spec = find_command(positionals.front());
  if (!spec)
    return UsageError{fmt::format("unknown command '{}'", positionals.front()), general_hint()};

  // Help wins over everything but an unknown word: "mhactl status --help" must
  // work even while the rest of the line is still being figured out.
  const bool help_command = spec->command == Command::help;
  if (help || help_command) {
    args.command = Command::help;
    if (!help_command) {
      args.help_topic = spec->command;
      return args;
    }
    if (positionals.size() > 2)
      return UsageError{fmt::format("'help' takes one command name, found '{}' too", positionals[2]),
                        general_hint()};
    if (positionals.size() == 2) {
      const CommandSpec* topic = find_command(positionals[1]);
      if (!topic)
        return UsageError{fmt::format("unknown command '{}'", positionals[1]), general_hint()};
      args.help_topic = topic->command;
    }
    return args;
  }

  if (positionals.size() - 1 > spec->max_arguments) {
    std::string_view extra = positionals[1 + spec->max_arguments];
    // "mhactl status app1" is the likely slip: say how to ask for one cluster.
    std::string hint_text = spec->takes_cluster && spec->max_arguments == 0 && !extra.starts_with("-")
                                ? fmt::format("to pick a cluster: mhactl {} --cluster {}", spec->name, extra)
                                : command_hint(spec->name);
    return UsageError{spec->max_arguments == 0
                          ? fmt::format("'{}' takes no arguments, found '{}'", spec->name, extra)
                          : fmt::format("'{}' takes one argument, found '{}' too", spec->name, extra),
                      std::move(hint_text)};
  }
  if (cluster && !spec->takes_cluster)
    return UsageError{fmt::format("option '{}' does not apply to '{}'", cluster_spelling, spec->name),
                      command_hint(spec->name)};
  if (json && !spec->takes_json)
    return UsageError{fmt::format("option '{}' does not apply to '{}'", json_spelling, spec->name),
                      command_hint(spec->name)};

  if (to && spec->command != Command::failover && spec->command != Command::switchover)
    return UsageError{"option '--to' applies to 'failover' and 'switchover' only", command_hint(spec->name)};
  if (force && spec->command != Command::failover && spec->command != Command::switchover &&
      spec->command != Command::rejoin)
    return UsageError{"option '--force' applies to 'failover', 'switchover' and 'rejoin' only",
                      command_hint(spec->name)};
  if (reason && spec->command != Command::maintenance)
    return UsageError{"option '--reason' applies to 'maintenance' only", command_hint(spec->name)};
  if (spec->command == Command::rejoin && positionals.size() < 2)
    return UsageError{"'rejoin' needs the server to put back: mhactl rejoin HOST[:PORT]|SERVER",
                      command_hint(spec->name)};
  if (spec->command == Command::maintenance && (positionals.size() < 2 || (positionals[1] != "on" && positionals[1] != "off")))
    return UsageError{fmt::format("'maintenance' needs 'on' or 'off'{}",
                                  positionals.size() < 2 ? "" : fmt::format(", found '{}'", positionals[1])),
                      command_hint(spec->name)};
  if (spec->command == Command::rejoin) args.server = std::string(positionals[1]);
  if (spec->command == Command::maintenance) args.mode = std::string(positionals[1]);
  args.reason = reason ? std::string(*reason) : std::string();
  args.command = spec->command;
  args.cluster = cluster ? std::string(*cluster) : std::string();
  args.json = json;
  args.to = to ? std::string(*to) : std::string();
  args.force = force;
  if (spec->command == Command::check) args.timeout = k_check_default_timeout;
  if (spec->command == Command::failover || spec->command == Command::switchover || spec->command == Command::rejoin)
    args.timeout = k_failover_default_timeout;

  if (timeout_text) {
    auto timeout = parse_duration(*timeout_text);
    if (!timeout)
      return UsageError{fmt::format("option '--timeout': expected a duration like '10s' or '500ms', "
                                    "found '{}'",
                                    *timeout_text),
                        command_hint(spec->name)};
    if (*timeout <= milliseconds::zero() || *timeout > k_max_timeout)
      return UsageError{
          fmt::format("option '--timeout' must be more than 0 and at most 24h, found '{}'", *timeout_text),
          command_hint(spec->name)};
    args.timeout = *timeout;
  }

  if (socket) {
    args.socket = *socket;
  } else if (env_socket && !env_socket->empty()) {
    args.socket = *env_socket;
    if (args.socket.size() > k_max_socket_path)
      return UsageError{fmt::format("MHAD_SOCKET is {} bytes long, a socket path can have at most {}",
                                    args.socket.size(), k_max_socket_path),
                        "unset MHAD_SOCKET or use --socket PATH"};
  } else {
    args.socket = k_default_socket;
  }
  if (args.socket.size() > k_max_socket_path)
    return UsageError{fmt::format("option '--socket' is {} bytes long, a socket path can have at most {}",
                                  args.socket.size(), k_max_socket_path),
                      command_hint(spec->name)};
  return args;
}

}  // namespace mha::ctl

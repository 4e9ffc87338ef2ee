// mhactl's command line: the words after the program name in, the command to
// run (with its options resolved) or a usage error out. Pure: the environment's
// MHAD_SOCKET is passed in, nothing is printed, nothing is connected.
//
// Global options (--socket, --timeout, --help, --version) are accepted anywhere
// on the line; so are command options (-c/--cluster, --json), which are then
// checked against the command they were given to.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mha::ctl {

inline constexpr std::string_view k_default_socket = "/run/mhad/mhad.sock";
inline constexpr std::chrono::milliseconds k_default_timeout{10'000};
// `check` connects to every server and logs in over SSH while mhactl waits
// for its single result line: a host that does not answer costs the SQL
// connect timeout and the SSH connect timeout one after the other, so the
// silence can exceed 10 s with nothing wrong on mhad's side.
inline constexpr std::chrono::milliseconds k_check_default_timeout{60'000};
// A failover reports each phase as it goes; between two, a catch-up wait may last long.
inline constexpr std::chrono::milliseconds k_failover_default_timeout{180'000};

enum class Command { status, check, reload, failover, switchover, rejoin, maintenance, help, version };

struct Args {
  Command command = Command::help;
  std::optional<Command> help_topic;  // Command::help: nullopt = the overview
  std::string socket;                 // --socket, else MHAD_SOCKET, else k_default_socket
  // Idle time before giving up: --timeout, else k_check_default_timeout for
  // check, else k_default_timeout.
  std::chrono::milliseconds timeout = k_default_timeout;
  std::string cluster;                // status, check: empty = every cluster
  bool json = false;                  // status, check, reload: print the raw result
  std::string to;                     // failover, switchover --to SERVER
  bool force = false;                 // failover, switchover, rejoin --force
  std::string server;                 // rejoin HOST[:PORT]|SERVER
  std::string mode;                   // maintenance on|off
  std::string reason;                 // maintenance --reason TEXT
};

// What to print, as "mhactl: <message>" then "<hint>", before exiting 64.
struct UsageError {
  std::string message;
  std::string hint;
};

using ParseOutcome = std::variant<Args, UsageError>;

// words: argv[1..]; env_socket: MHAD_SOCKET when set (an empty value counts as unset).
ParseOutcome parse_args(std::span<const std::string_view> words,
                        std::optional<std::string_view> env_socket);

// The name a user types: "status", "check", "reload", "help" ("version" for Command::version).
std::string_view command_name(Command command);

// Every command name parse_args accepts, in the order of its table (the
// man-page test compares them with mhactl(1)).
std::vector<std::string_view> command_names();

}  // namespace mha::ctl

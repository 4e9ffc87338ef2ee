#include "ctl/args.h"
#include "ctl/help.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace mha::ctl;
using namespace std::chrono_literals;

namespace {

ParseOutcome parse(std::vector<std::string_view> words,
                   std::optional<std::string_view> env_socket = std::nullopt) {
  return parse_args(words, env_socket);
}

Args args_of(std::vector<std::string_view> words, std::optional<std::string_view> env_socket = std::nullopt) {
  auto outcome = parse(std::move(words), env_socket);
  if (const auto* error = std::get_if<UsageError>(&outcome)) FAIL("usage error: " << error->message);
  return std::get<Args>(outcome);
}

// "message / hint", the two lines mhactl prints after "mhactl: ".
std::string usage_error(std::vector<std::string_view> words,
                        std::optional<std::string_view> env_socket = std::nullopt) {
  auto outcome = parse(std::move(words), env_socket);
  if (std::holds_alternative<Args>(outcome)) FAIL("parsed without a usage error");
  const auto& error = std::get<UsageError>(outcome);
  return error.message + " / " + error.hint;
}

}  // namespace

TEST_CASE("mhactl status with defaults", "[mhactl]") {
  Args args = args_of({"status"});
  CHECK(args.command == Command::status);
  CHECK(args.socket == "/run/mhad/mhad.sock");
  CHECK(args.timeout == 10s);
  CHECK(args.cluster.empty());
  CHECK_FALSE(args.json);
}

TEST_CASE("mhactl status options, before or after the command", "[mhactl]") {
  SECTION("--cluster NAME") { CHECK(args_of({"status", "--cluster", "app1"}).cluster == "app1"); }
  SECTION("--cluster=NAME") { CHECK(args_of({"status", "--cluster=app1"}).cluster == "app1"); }
  SECTION("-c NAME") { CHECK(args_of({"status", "-c", "app1"}).cluster == "app1"); }
  SECTION("-c before the command") { CHECK(args_of({"-c", "app1", "status"}).cluster == "app1"); }
  SECTION("the same cluster twice is harmless") {
    CHECK(args_of({"-c", "app1", "status", "--cluster", "app1"}).cluster == "app1");
  }
  SECTION("--json") {
    Args args = args_of({"status", "--json", "-c", "app2"});
    CHECK(args.json);
    CHECK(args.cluster == "app2");
  }
  SECTION("global options anywhere") {
    Args args = args_of({"--timeout", "30s", "status", "--socket", "/tmp/m.sock"});
    CHECK(args.socket == "/tmp/m.sock");
    CHECK(args.timeout == 30s);
  }
}

TEST_CASE("mhactl check", "[mhactl]") {
  Args args = args_of({"check"});
  CHECK(args.command == Command::check);
  CHECK(args.cluster.empty());
  CHECK_FALSE(args.json);
  CHECK(command_name(Command::check) == "check");
  SECTION("--cluster and --json") {
    args = args_of({"check", "-c", "app1", "--json"});
    CHECK(args.cluster == "app1");
    CHECK(args.json);
    CHECK(args_of({"--cluster=app2", "check"}).cluster == "app2");
  }
  SECTION("a longer default timeout: servers and hosts that do not answer cost their connect timeouts") {
    CHECK(args.timeout == 60s);
    CHECK(args_of({"check", "--timeout", "5s"}).timeout == 5s);
    CHECK(args_of({"status"}).timeout == 10s);
  }
  SECTION("usage errors") {
    CHECK(usage_error({"check", "app1"}) ==
          "'check' takes no arguments, found 'app1' / to pick a cluster: mhactl check --cluster app1");
    CHECK(usage_error({"check", "--frob"}) ==
          "unknown option '--frob' / run 'mhactl check --help' for its options");
  }
}

TEST_CASE("mhactl reload", "[mhactl]") {
  CHECK(args_of({"reload"}).command == Command::reload);
  CHECK(args_of({"reload", "--json"}).json);
}

TEST_CASE("mhactl socket: --socket, then MHAD_SOCKET, then the default", "[mhactl]") {
  CHECK(args_of({"status", "--socket", "/a.sock"}, "/env.sock").socket == "/a.sock");
  CHECK(args_of({"status", "--socket=/a.sock"}, "/env.sock").socket == "/a.sock");
  CHECK(args_of({"status"}, "/env.sock").socket == "/env.sock");
  CHECK(args_of({"status"}, "").socket == "/run/mhad/mhad.sock");
  CHECK(args_of({"status"}).socket == "/run/mhad/mhad.sock");
}

TEST_CASE("mhactl --timeout durations", "[mhactl]") {
  CHECK(args_of({"status", "--timeout", "500ms"}).timeout == 500ms);
  CHECK(args_of({"status", "--timeout=2m"}).timeout == 2min);
  CHECK(args_of({"status", "--timeout", "45"}).timeout == 45s);
}

TEST_CASE("mhactl help: overview and per command", "[mhactl]") {
  auto help_of = [](std::vector<std::string_view> words) {
    Args args = args_of(std::move(words));
    REQUIRE(args.command == Command::help);
    return args.help_topic;
  };
  CHECK(help_of({"--help"}) == std::nullopt);
  CHECK(help_of({"-h"}) == std::nullopt);
  CHECK(help_of({"help"}) == std::nullopt);
  CHECK(help_of({"status", "--help"}) == Command::status);
  CHECK(help_of({"status", "-h"}) == Command::status);
  CHECK(help_of({"--help", "status"}) == Command::status);
  CHECK(help_of({"help", "status"}) == Command::status);
  CHECK(help_of({"reload", "--help"}) == Command::reload);
  CHECK(help_of({"check", "--help"}) == Command::check);
  CHECK(help_of({"help", "check"}) == Command::check);
  CHECK(help_of({"help", "reload"}) == Command::reload);
  CHECK(help_of({"help", "help"}) == Command::help);
  // Help wins over what would otherwise be a usage error later on the line.
  CHECK(help_of({"reload", "-c", "app1", "--help"}) == Command::reload);
  CHECK(help_of({"status", "app1", "--help"}) == Command::status);
  CHECK(help_of({"help", "--json"}) == std::nullopt);

  CHECK(command_help(Command::status).starts_with("Usage: mhactl status [-c|--cluster NAME] [--json]\n"));
  CHECK(command_help(Command::reload).starts_with("Usage: mhactl reload [--json]\n"));
  CHECK(command_help(Command::check).starts_with("Usage: mhactl check [-c|--cluster NAME] [--json]\n"));
  CHECK_THAT(overview_help(), Catch::Contains("\n  check     verify replication"));
  // check's own exit status (the monitoring-plugin convention) is in its help.
  for (const char* code : {"\n  0   every check ok", "\n  1   warnings, no failure", "\n  2   at least one failure",
                           "\n  3   no verdict: mhad cannot be reached", "\n  64  usage error"})
    CHECK_THAT(command_help(Command::check), Catch::Contains(code));
  CHECK_THAT(overview_help(), Catch::Contains("'check' has its own exit status, see 'mhactl check --help'."));
  CHECK(command_help(Command::help).starts_with("Usage: mhactl help [COMMAND]\n"));
  CHECK(overview_help().starts_with("Usage: mhactl [OPTIONS] COMMAND [COMMAND OPTIONS]\n"));
  for (const char* code : {"\n  0   success", "\n  1   mhad answered with an error", "\n  2   mhad cannot be reached",
                           "\n  3   mhad's reply was malformed", "\n  64  usage error"}) {
    CHECK_THAT(overview_help(), Catch::Contains(code));
    CHECK_THAT(command_help(Command::status), Catch::Contains(code));
  }
}

TEST_CASE("mhactl --version anywhere", "[mhactl]") {
  CHECK(args_of({"--version"}).command == Command::version);
  CHECK(args_of({"status", "--version"}).command == Command::version);
  CHECK(version_text() == "mhactl 0.1.0");
}

TEST_CASE("mhactl usage errors, verbatim", "[mhactl]") {
  const std::string general = " / run 'mhactl --help' for the commands and options";

  CHECK(usage_error({}) == "no command given" + general);
  CHECK(usage_error({"--socket", "/x.sock"}) == "no command given" + general);
  CHECK(usage_error({"stauts"}) == "unknown command 'stauts'" + general);
  CHECK(usage_error({"stauts", "--help"}) == "unknown command 'stauts'" + general);
  CHECK(usage_error({"help", "stauts"}) == "unknown command 'stauts'" + general);
  CHECK(usage_error({"help", "status", "reload"}) == "'help' takes one command name, found 'reload' too" + general);

  CHECK(usage_error({"--frobnicate", "status"}) == "unknown option '--frobnicate'" + general);
  CHECK(usage_error({"status", "--frobnicate"}) ==
        "unknown option '--frobnicate' / run 'mhactl status --help' for its options");
  CHECK(usage_error({"status", "--frob=1"}) == "unknown option '--frob' / run 'mhactl status --help' for its options");
  CHECK(usage_error({"status", "-x"}) == "unknown option '-x' / run 'mhactl status --help' for its options");

  CHECK(usage_error({"status", "--socket"}) ==
        "option '--socket' needs a value / run 'mhactl status --help' for its options");
  CHECK(usage_error({"status", "-c", "--json"}) ==
        "option '-c' needs a value / run 'mhactl status --help' for its options");
  CHECK(usage_error({"status", "--cluster="}) ==
        "option '--cluster' needs a non-empty value / run 'mhactl status --help' for its options");
  CHECK(usage_error({"status", "--json=yes"}) ==
        "option '--json' takes no value / run 'mhactl status --help' for its options");
  CHECK(usage_error({"status", "-c", "app1", "--cluster", "app2"}) ==
        "option '--cluster' given twice ('app1' and 'app2') / run 'mhactl status --help' for its options");

  CHECK(usage_error({"reload", "-c", "app1"}) ==
        "option '-c' does not apply to 'reload' / run 'mhactl reload --help' for its options");
  CHECK(usage_error({"status", "app1"}) ==
        "'status' takes no arguments, found 'app1' / to pick a cluster: mhactl status --cluster app1");
  CHECK(usage_error({"reload", "now"}) ==
        "'reload' takes no arguments, found 'now' / run 'mhactl reload --help' for its options");
  CHECK(usage_error({"status", "--", "--json"}) ==
        "'status' takes no arguments, found '--json' / run 'mhactl status --help' for its options");

  CHECK(usage_error({"status", "--timeout", "soon"}) ==
        "option '--timeout': expected a duration like '10s' or '500ms', found 'soon' / "
        "run 'mhactl status --help' for its options");
  CHECK(usage_error({"status", "--timeout", "1h"}) ==
        "option '--timeout': expected a duration like '10s' or '500ms', found '1h' / "
        "run 'mhactl status --help' for its options");
  CHECK(usage_error({"status", "--timeout", "0s"}) ==
        "option '--timeout' must be more than 0 and at most 24h, found '0s' / "
        "run 'mhactl status --help' for its options");
  CHECK(usage_error({"status", "--timeout", "99999999999999999m"}) ==
        "option '--timeout' must be more than 0 and at most 24h, found '99999999999999999m' / "
        "run 'mhactl status --help' for its options");

  const std::string long_path = "/" + std::string(120, 's') + ".sock";
  CHECK(usage_error({"status", "--socket", long_path}) ==
        "option '--socket' is 126 bytes long, a socket path can have at most 107 / "
        "run 'mhactl status --help' for its options");
  CHECK(usage_error({"status"}, long_path) ==
        "MHAD_SOCKET is 126 bytes long, a socket path can have at most 107 / "
        "unset MHAD_SOCKET or use --socket PATH");
  // --socket overrides a bad MHAD_SOCKET, so that the way out works.
  CHECK(args_of({"status", "--socket", "/ok.sock"}, long_path).socket == "/ok.sock");
}

TEST_CASE("mhactl switchover, rejoin and maintenance", "[mhactl]") {
  auto sw = args_of({"switchover", "--to", "slave1", "--force", "--json"});
  CHECK(sw.command == Command::switchover);
  CHECK(sw.to == "slave1");
  CHECK(sw.force);
  CHECK(sw.json);
  CHECK(sw.timeout == k_failover_default_timeout);
  auto rj = args_of({"rejoin", "192.168.3.74", "-c", "app1", "--force"});
  CHECK(rj.command == Command::rejoin);
  CHECK(rj.server == "192.168.3.74");
  CHECK(rj.cluster == "app1");
  CHECK(rj.force);
  auto m = args_of({"maintenance", "on", "--reason", "kernel upgrade"});
  CHECK(m.command == Command::maintenance);
  CHECK(m.mode == "on");
  CHECK(m.reason == "kernel upgrade");
  CHECK(usage_error({"rejoin"}) ==
        "'rejoin' needs the server to put back: mhactl rejoin HOST[:PORT]|SERVER / run 'mhactl rejoin --help' for its "
        "options");
  CHECK(usage_error({"maintenance", "maybe"}) ==
        "'maintenance' needs 'on' or 'off', found 'maybe' / run 'mhactl maintenance --help' for its options");
  CHECK(usage_error({"maintenance", "on", "--to", "x"}) ==
        "option '--to' applies to 'failover' and 'switchover' only / run 'mhactl maintenance --help' for its options");
  CHECK(usage_error({"status", "--reason", "x"}) ==
        "option '--reason' applies to 'maintenance' only / run 'mhactl status --help' for its options");
  CHECK(usage_error({"rejoin", "a", "b"}) == "'rejoin' takes one argument, found 'b' too / run 'mhactl rejoin --help' "
                                            "for its options");
}

TEST_CASE("mhactl help lists switchover, rejoin and maintenance", "[mhactl]") {
  const std::string overview = overview_help();
  for (const char* command : {"switchover", "rejoin", "maintenance"}) {
    INFO(command);
    CHECK(overview.find(std::string("\n  ") + command) != std::string::npos);
  }
  CHECK(command_help(Command::switchover).find("Usage: mhactl switchover") == 0);
  CHECK(command_help(Command::rejoin).find("Usage: mhactl rejoin HOST[:PORT]|SERVER") == 0);
  CHECK(command_help(Command::maintenance).find("Usage: mhactl maintenance on|off") == 0);
}

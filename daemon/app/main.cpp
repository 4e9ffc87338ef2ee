// mhad entry point: parse arguments, load the configuration, wire the real
// seams (Connector/C, libssh) into the daemon and run it.
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "common/config.h"
#include "common/log.h"
#include "common/version.h"
#include "daemon/app/daemon_app.h"
#include "daemon/coordination/etcd_client.h"
#include "daemon/libssh_shell.h"
#include "daemon/mariadb_session.h"

namespace {

constexpr const char* k_default_config = "/etc/mhad/mhad.toml";

void print_help() {
  std::printf(
      "Usage: mhad [--config PATH] [--check-config] [--log-level LEVEL]\n"
      "\n"
      "High-availability manager for MySQL and MariaDB replication.\n"
      "Monitors every cluster configured in clusters.d/*.toml next to the main\n"
      "configuration file, and answers mhactl on its control socket.\n"
      "\n"
      "  --config PATH      main configuration file (default %s);\n"
      "                     clusters are read from clusters.d/ beside it\n"
      "  --check-config     print the effective configuration (secrets masked)\n"
      "                     or every error, then exit: 0 valid, 1 invalid\n"
      "  --log-level LEVEL  debug, info, notice, warning or error\n"
      "  --version          print the version and exit\n"
      "  --help             this text\n"
      "\n"
      "Exit codes: 0 stopped by SIGTERM, 1 runtime failure (socket taken, ...),\n"
      "78 invalid configuration (not restarted by systemd). --check-config: 0/1.\n\n"
      "Signals: SIGHUP reloads the configuration (an invalid one is refused and\n"
      "the running one stays), SIGTERM stops.\n",
      k_default_config);
}

bool parse_level(std::string_view text, mha::LogLevel& level) {
  for (auto candidate : {mha::LogLevel::debug, mha::LogLevel::info, mha::LogLevel::notice,
                         mha::LogLevel::warning, mha::LogLevel::error})
    if (mha::log_level_name(candidate) == text) {
      level = candidate;
      return true;
    }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = k_default_config;
  bool check_only = false;
  std::optional<mha::LogLevel> level;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string_view name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "mhad: %.*s needs a value; see mhad --help\n", static_cast<int>(name.size()),
                     name.data());
        std::exit(64);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      print_help();
      return 0;
    } else if (arg == "--version") {
      std::printf("mhad %s\n", mha::k_mhad_version);
      return 0;
    } else if (arg == "--config" || arg == "-c") {
      config_path = value(arg);
    } else if (arg.rfind("--config=", 0) == 0) {
      config_path = std::string(arg.substr(9));
    } else if (arg == "--check-config") {
      check_only = true;
    } else if (arg == "--log-level") {
      mha::LogLevel parsed{};
      const char* text = value(arg);
      if (!parse_level(text, parsed)) {
        std::fprintf(stderr, "mhad: --log-level: expected debug, info, notice, warning or error, found '%s'\n", text);
        return 64;
      }
      level = parsed;
    } else {
      std::fprintf(stderr, "mhad: unknown option '%s'; see mhad --help\n", argv[i]);
      return 64;
    }
  }

  mha::ConfigLoad load = mha::load_config(config_path);
  if (check_only) {
    for (const auto& warning : load.warnings) std::fprintf(stderr, "warning: %s\n", warning.c_str());
    if (!load.config) {
      for (const auto& error : load.errors) std::fprintf(stderr, "%s\n", error.c_str());
      std::fprintf(stderr, "mhad: configuration '%s' is invalid (%zu error(s))\n", config_path.c_str(),
                   load.errors.size());
      return 1;
    }
    std::fputs(mha::render_effective_config(*load.config).c_str(), stdout);
    return 0;
  }

  mha::log_detect_journal();
  if (!load.config) {
    for (const auto& error : load.errors) mha::log_error({{"EVENT", "config_refused"}}, "{}", error);
    mha::log_error({}, "configuration '{}' is invalid ({} error(s)); not starting. Check it with: mhad --check-config --config {}",
                   config_path, load.errors.size(), config_path);
    return 78;  // EX_CONFIG: the unit's RestartPreventExitStatus stops a restart loop
  }
  for (const auto& warning : load.warnings) mha::log_warning({}, "{}", warning);
  mha::log_set_level(level.value_or(load.config->daemon.log_level));

  mha::Seams seams;
  seams.make_sql = [] { return std::make_unique<mha::MariadbSession>(); };
  seams.make_shell = [](const mha::SshEndpoint& endpoint) { return std::make_unique<mha::LibsshShell>(endpoint); };
  seams.greeting_probe = mha::tcp_greeting_probe;
  const mha::EtcdClientOptions etcd = mha::etcd_client_options(load.config->daemon);
  mha::DaemonApp app(config_path, std::move(*load.config), std::move(seams));
  app.set_etcd_factory([etcd]() -> std::unique_ptr<mha::Etcd> { return std::make_unique<mha::EtcdClient>(etcd); });
  return app.run();
}

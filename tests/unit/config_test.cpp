#include "common/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using mha::ConfigLoad;
using mha::load_config;
using mha::load_config_from_strings;

namespace {

// Two servers, the smallest valid cluster body; line 1 is `[[server]]`.
const std::string k_servers = R"([[server]]
name = "master"
host = "192.168.3.74"

[[server]]
name = "slave1"
host = "192.168.3.71"
)";

// One cluster file clusters.d/app1.toml with `text`, and mhad.toml with `main`.
ConfigLoad load_app1(const std::string& text, const std::string& main = "") {
  return load_config_from_strings(main, {{"app1.toml", text}});
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

// The load's only error, which must also have refused the config.
std::string only_error(const ConfigLoad& load) {
  INFO(joined(load.errors));
  REQUIRE(load.errors.size() == 1);
  CHECK_FALSE(load.config.has_value());
  return load.errors.front();
}

const mha::ClusterConfig& only_cluster(const ConfigLoad& load) {
  INFO(joined(load.errors));
  REQUIRE(load.errors.empty());
  REQUIRE(load.config.has_value());
  REQUIRE(load.config->clusters.size() == 1);
  return load.config->clusters.front();
}

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "mhad-config-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    m_path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return m_path; }

  fs::path write(const fs::path& relative, const std::string& text, mode_t mode = 0600) const {
    const fs::path file = m_path / relative;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    REQUIRE(::chmod(file.c_str(), mode) == 0);
    return file;
  }

 private:
  fs::path m_path;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
}

}  // namespace

// ---------------------------------------------------------------------------
// Errors, one kind per test, messages verbatim.

TEST_CASE("config: a TOML syntax error names file, line and column", "[config]") {
  auto load = load_app1("user = \"mha\"\nping_interval = 3x\n" + k_servers);
  CHECK(only_error(load) ==
        "clusters.d/app1.toml:2:18: TOML syntax: error while parsing decimal integer: expected digit, saw 'x'");

  auto main_broken = load_config_from_strings("[daemon]\nsocket = \n", {});
  CHECK(only_error(main_broken) ==
        "mhad.toml:2:10: TOML syntax: error while parsing key-value pair: expected value, saw '\\n'");
}

TEST_CASE("config: a syntax error on a password line does not quote it", "[config]") {
  auto load = load_app1("user = \"mha\"\npassword = hunter2\nrepl_password = \"ab\\qcd\"\n" + k_servers);
  CHECK(only_error(load) ==
        "clusters.d/app1.toml:2:12: TOML syntax: error while parsing value (details hidden: the line holds a "
        "password)");
  auto escape = load_app1("repl_password = \"ab\\qcd\"\n" + k_servers);
  CHECK(only_error(escape) ==
        "clusters.d/app1.toml:1:21: TOML syntax: error while parsing string (details hidden: the line holds a "
        "password)");
  // Elsewhere toml++'s description is kept, on one line.
  CHECK(only_error(load_app1("user = in\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:10: TOML syntax: error while parsing floating-point: expected 'inf', saw 'in\n')");
}

TEST_CASE("config: a value of the wrong type", "[config]") {
  CHECK(only_error(load_app1("auto_failover = \"yes\"\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:17: auto_failover: expected true or false, found "yes")");
  CHECK(only_error(load_app1("ping_failures = \"4\"\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:17: ping_failures: expected an integer of at least 1, found "4")");
  CHECK(only_error(load_app1("user = 7\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:8: user: expected a string, found integer 7)");
  // MHA's candidate_master=1 is an integer in TOML.
  CHECK(only_error(load_app1(k_servers + "candidate_master = 1\n")) ==
        R"(clusters.d/app1.toml:8:20: server[1].candidate_master: expected true or false, found integer 1)");
}

TEST_CASE("config: a dotted all-number host must be a valid IPv4 address (seed 000's 192.1683.74)", "[config]") {
  const std::string servers = R"([[server]]
name = "master"
host = "192.1683.74"

[[server]]
name = "slave1"
host = "192.168.3.71"
)";
  CHECK(only_error(load_app1(servers)) ==
        R"(clusters.d/app1.toml:3:8: server[0].host: "192.1683.74" is not a valid IPv4 address (four numbers 0-255 separated by dots); fix the address)");
  CHECK(only_cluster(load_app1(k_servers)).servers[0].host == "192.168.3.74");
}

TEST_CASE("config: a wrong-typed password is not echoed", "[config]") {
  auto load = load_app1("password = 12345678\nrepl_password = [\"hunter2\"]\n" + k_servers);
  INFO(joined(load.errors));
  REQUIRE(load.errors.size() == 2);
  CHECK(load.errors[0] == "clusters.d/app1.toml:1:12: password: expected a string, found an integer");
  CHECK(load.errors[1] == "clusters.d/app1.toml:2:17: repl_password: expected a string, found an array");
  CHECK(joined(load.errors).find("12345678") == std::string::npos);
  CHECK(joined(load.errors).find("hunter2") == std::string::npos);
}

TEST_CASE("config: a bad duration", "[config]") {
  CHECK(only_error(load_app1("ping_interval = \"3x\"\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:17: ping_interval: expected a duration like "3s" or "500ms", found "3x" (unknown unit 'x': use ms, s, m, h or d))");
  CHECK(only_error(load_app1("min_failover_interval = \"-8h\"\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:25: min_failover_interval: expected a duration like "3s" or "500ms", found "-8h" (negative))");
  CHECK(only_error(load_app1("ping_interval = true\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:17: ping_interval: expected a duration string like "3s", found boolean true)");
}

TEST_CASE("config: an MHA-style bare integer duration suggests the string", "[config]") {
  CHECK(only_error(load_app1("ping_interval = 1\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:17: ping_interval: expected a duration string like "1s", found integer 1)");
  CHECK(only_error(load_app1(k_servers + "ssh_connection_timeout = 5\n")) ==
        R"(clusters.d/app1.toml:8:26: server[1].ssh_connection_timeout: expected a duration string like "5s", found integer 5)");
  CHECK(only_error(load_app1(k_servers, "[defaults]\nping_interval = 3\n")) ==
        R"(mhad.toml:2:17: defaults.ping_interval: expected a duration string like "3s", found integer 3)");
}

TEST_CASE("config: zero is refused where a pause must be positive", "[config]") {
  CHECK(only_error(load_app1("ping_interval = \"0s\"\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:17: ping_interval: expected a duration greater than zero, found "0s")");
  CHECK(only_error(load_app1("ping_failures = 0\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:17: ping_failures: expected an integer of at least 1, found integer 0)");
  // min_failover_interval = "0s" switches the ping-pong guard off: allowed.
  CHECK(only_cluster(load_app1("min_failover_interval = \"0s\"\n" + k_servers)).min_failover_interval == 0ms);
}

TEST_CASE("config: a bad size", "[config]") {
  CHECK(only_error(load_app1("max_relay_lag_bytes = \"100M\"\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:23: max_relay_lag_bytes: expected a size like "100MiB", "100MB" or "4096", found "100M" (unknown unit 'M': use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB))");
  CHECK(only_error(load_app1("max_relay_lag_bytes = -1\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:23: max_relay_lag_bytes: expected a size like "100MiB", "100MB" or "4096", found integer -1)");
  CHECK(only_cluster(load_app1("max_relay_lag_bytes = 4096\n" + k_servers)).max_relay_lag_bytes == 4096);
  CHECK(only_cluster(load_app1("max_relay_lag_bytes = \"1GiB\"\n" + k_servers)).max_relay_lag_bytes == 1ull << 30);
}

TEST_CASE("config: an unknown key, with a suggestion when close", "[config]") {
  CHECK(only_error(load_app1("ping_intervall = \"1s\"\n" + k_servers)) ==
        "clusters.d/app1.toml:1:1: ping_intervall: expected a known key, found an unknown key; did you mean "
        "'ping_interval'?");
  CHECK(only_error(load_app1("ping_itnerval = \"1s\"\n" + k_servers)) ==
        "clusters.d/app1.toml:1:1: ping_itnerval: expected a known key, found an unknown key; did you mean "
        "'ping_interval'?");
  CHECK(only_error(load_app1("frobnicate = 1\n" + k_servers)) ==
        "clusters.d/app1.toml:1:1: frobnicate: expected a known key, found an unknown key");
  CHECK(only_error(load_app1(k_servers + "prot = 3306\n")) ==
        "clusters.d/app1.toml:8:1: server[1].prot: expected a known key, found an unknown key; did you mean 'port'?");
  CHECK(only_error(load_app1(k_servers, "[daemon]\nsokcet = \"/run/x.sock\"\n")) ==
        "mhad.toml:2:1: daemon.sokcet: expected a known key, found an unknown key; did you mean 'socket'?");
  CHECK(only_error(load_app1(k_servers, "[defualts]\n")) ==
        "mhad.toml:1:2: defualts: expected a known key, found an unknown key; did you mean 'defaults'?");
  CHECK(only_error(load_app1("[vip]\naddress = \"10.0.0.1/24\"\ninterface = \"eth0\"\narpnig = true\n" + k_servers)) ==
        "clusters.d/app1.toml:4:1: vip.arpnig: expected a known key, found an unknown key; did you mean 'arping'?");
}

TEST_CASE("config: a typo as close to two keys suggests the cluster-wide one, then the inherited one", "[config]") {
  // hort: one edit from both port (inherited) and host (per server).
  CHECK(only_error(load_app1(k_servers + "hort = 1\n")) ==
        "clusters.d/app1.toml:8:1: server[1].hort: expected a known key, found an unknown key; did you mean 'port'?");
  CHECK(only_error(load_app1(k_servers + "ssh_hort = 1\n")) ==
        "clusters.d/app1.toml:8:1: server[1].ssh_hort: expected a known key, found an unknown key; did you mean "
        "'ssh_port'?");
  CHECK(only_error(load_app1("ssh_hort = 1\n" + k_servers)) ==
        "clusters.d/app1.toml:1:1: ssh_hort: expected a known key, found an unknown key; did you mean 'ssh_port'?");
}

TEST_CASE("config: MHA's renamed keys point at the new name", "[config]") {
  const std::string text = "[[server]]\nname = \"master\"\nhostname = \"192.168.3.74\"\n";
  CHECK(only_error(load_app1(text)) ==
        "clusters.d/app1.toml:3:1: server[0].hostname: expected a known key, found MHA's name for 'host'; did you "
        "mean 'host'?");
}

TEST_CASE("config: an MHA key mhad does not use is a warning", "[config]") {
  auto load = load_app1("manager_log = \"/var/log/masterha/app1/manager.log\"\n"
                        "manager_workdir = \"/var/log/masterha/app1\"\n" +
                        k_servers);
  only_cluster(load);
  REQUIRE(load.warnings.size() == 2);
  CHECK(load.warnings[0] ==
        "clusters.d/app1.toml:1:1: manager_log: MHA key 'manager_log' is not used by mhad: logs go to the journal, "
        "ignoring");
  CHECK(load.warnings[1] ==
        "clusters.d/app1.toml:2:1: manager_workdir: MHA key 'manager_workdir' is not used by mhad: state lives in "
        "[daemon] state_dir, ignoring");
}

TEST_CASE("config: a server without host", "[config]") {
  auto load = load_app1(k_servers + "\n[[server]]\nname = \"slave2\"\nport = 3306\n");
  CHECK(only_error(load) == "clusters.d/app1.toml:9:1: server[2].host: expected a hostname or IP address, found none");
}

TEST_CASE("config: a server without name", "[config]") {
  auto load = load_app1(k_servers + "\n[[server]]\nhost = \"192.168.3.70\"\n");
  CHECK(only_error(load) == R"(clusters.d/app1.toml:9:1: server[2].name: expected a server name like "slave1", found none)");
}

TEST_CASE("config: a server name that does not fit on a command line", "[config]") {
  auto load = load_app1("[[server]]\nname = \"slave 1\"\nhost = \"h\"\n");
  CHECK(only_error(load) ==
        R"(clusters.d/app1.toml:2:8: server[0].name: expected a name of letters, digits, '-', '_' and '.', not starting with '-', found "slave 1")");
  auto dash = load_app1("[[server]]\nname = \"-f\"\nhost = \"h\"\n");
  CHECK(only_error(dash) ==
        R"(clusters.d/app1.toml:2:8: server[0].name: expected a name of letters, digits, '-', '_' and '.', not starting with '-', found "-f")");
}

TEST_CASE("config: a duplicate server name", "[config]") {
  auto load = load_app1(k_servers + "\n[[server]]\nname = \"slave1\"\nhost = \"192.168.3.70\"\n");
  CHECK(only_error(load) ==
        R"(clusters.d/app1.toml:10:8: server[2].name: expected a unique server name, found "slave1" again (first at line 6))");
}

TEST_CASE("config: a duplicate host:port", "[config]") {
  auto load = load_app1(k_servers + "\n[[server]]\nname = \"slave2\"\nhost = \"192.168.3.71\"\n");
  CHECK(only_error(load) ==
        "clusters.d/app1.toml:11:8: server[2].host: expected a unique host:port, found 192.168.3.71:3306 again "
        "(server 'slave1' at line 7)");
  // The same host on another port is another server (several instances per host).
  only_cluster(load_app1(k_servers + "\n[[server]]\nname = \"slave2\"\nhost = \"192.168.3.71\"\nport = 3307\n"));
}

TEST_CASE("config: per-server MHA flags are refused at cluster level and in [defaults]", "[config]") {
  CHECK(only_error(load_app1("candidate_master = true\n" + k_servers)) ==
        "clusters.d/app1.toml:1:1: candidate_master: expected in a [[server]] table (per server and not "
        "inherited, as in MHA), found at cluster level");
  CHECK(only_error(load_app1(k_servers, "[defaults]\nno_master = true\n")) ==
        "mhad.toml:2:1: defaults.no_master: expected in a [[server]] table (per server and not inherited, as in "
        "MHA), found in [defaults]");
  CHECK(only_error(load_app1("host = \"10.0.0.1\"\n" + k_servers)) ==
        "clusters.d/app1.toml:1:1: host: expected in a [[server]] table, found at cluster level");
}

TEST_CASE("config: cluster-wide keys are refused in a server", "[config]") {
  CHECK(only_error(load_app1(k_servers + "user = \"other\"\n")) ==
        "clusters.d/app1.toml:8:1: server[1].user: expected at cluster level (one value per cluster), found in a "
        "[[server]] table");
}

TEST_CASE("config: keys in the wrong place in mhad.toml", "[config]") {
  CHECK(only_error(load_app1(k_servers, "ping_interval = \"1s\"\n")) ==
        "mhad.toml:1:1: ping_interval: expected in [defaults] or a clusters.d/*.toml file, found at the top level "
        "of mhad.toml");
  CHECK(only_error(load_app1(k_servers, "[daemon]\nping_interval = \"1s\"\n")) ==
        "mhad.toml:2:1: daemon.ping_interval: expected in [defaults] or a clusters.d/*.toml file, found in [daemon]");
  CHECK(only_error(load_app1(k_servers, "[defaults]\n[defaults.vip]\naddress = \"10.0.0.1/8\"\n")) ==
        "mhad.toml:2:11: defaults.vip: expected in a clusters.d/*.toml file, found in [defaults]");
}

TEST_CASE("config: no_master and candidate_master on one server", "[config]") {
  auto load = load_app1(k_servers + "candidate_master = true\nno_master = true\n");
  CHECK(only_error(load) ==
        "clusters.d/app1.toml:9:13: server[1].no_master: expected at most one of candidate_master and no_master, "
        "found both true");
}

TEST_CASE("config: both password and password_file", "[config]") {
  auto load = load_app1("password = \"x\"\npassword_file = \"/etc/mhad/app1.password\"\n" + k_servers);
  CHECK(only_error(load) ==
        "clusters.d/app1.toml:2:17: password_file: expected either password or password_file, found both "
        "(password at line 1)");
  auto repl = load_app1("repl_password_file = \"/x\"\nrepl_password = \"x\"\n" + k_servers);
  CHECK(only_error(repl) ==
        "clusters.d/app1.toml:1:22: repl_password_file: expected either repl_password or repl_password_file, found "
        "both (repl_password at line 2)");
}

TEST_CASE("config: a password file readable by others is refused", "[config]") {
  TempDir dir;
  const fs::path file = dir.write("app1.password", "secret\n", 0644);
  auto load = load_app1("password_file = \"" + file.string() + "\"\n" + k_servers);
  CHECK(only_error(load) ==
        fmt::format("clusters.d/app1.toml:1:17: password_file: expected a password file only its owner can access, "
                    "found {0}: mode 0644 is readable by group/other; run: chmod 600 {0}",
                    file.string()));
  REQUIRE(::chmod(file.c_str(), 0620) == 0);
  CHECK(only_error(load_app1("password_file = \"" + file.string() + "\"\n" + k_servers)) ==
        fmt::format("clusters.d/app1.toml:1:17: password_file: expected a password file only its owner can access, "
                    "found {0}: mode 0620 is writable by group/other; run: chmod 600 {0}",
                    file.string()));
  CHECK(joined(load.errors).find("secret") == std::string::npos);
}

TEST_CASE("config: a password file owned by another user is refused", "[config]") {
  TempDir dir;
  const fs::path file = dir.write("app1.password", "secret\n", 0600);
  const std::string key = "password_file = \"" + file.string() + "\"\n";
  SECTION("owned by mhad's user: read") { CHECK(load_app1(key + k_servers).errors.empty()); }
  // Only root can give a file away; elsewhere this section checks nothing.
  if (::geteuid() == 0) {
    SECTION("owned by another uid: refused, with the chown to run") {
      REQUIRE(::chown(file.c_str(), 4242, 4242) == 0);
      auto load = load_app1(key + k_servers);
      CHECK(only_error(load) ==
            fmt::format("clusters.d/app1.toml:1:17: password_file: expected a password file owned by mhad's user or "
                        "root, found {0}: owned by uid 4242, mhad runs as uid 0; run: chown 0 {0}",
                        file.string()));
      CHECK(joined(load.errors).find("secret") == std::string::npos);
    }
  }
}

TEST_CASE("config: a password file that is a symlink or not a regular file is refused", "[config]") {
  TempDir dir;
  const fs::path target = dir.write("real.password", "secret\n", 0600);
  SECTION("symlink: refused, even to a good file") {
    const fs::path link = dir.path() / "app1.password";
    fs::create_symlink(target, link);
    CHECK(only_error(load_app1("password_file = \"" + link.string() + "\"\n" + k_servers)) ==
          fmt::format("clusters.d/app1.toml:1:17: password_file: expected a readable password file, found {}: a "
                      "symbolic link; point password_file at the file itself",
                      link.string()));
  }
  SECTION("FIFO: refused at once, no read that waits for a writer") {
    const fs::path fifo = dir.path() / "app1.password";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK(only_error(load_app1("password_file = \"" + fifo.string() + "\"\n" + k_servers)) ==
          fmt::format("clusters.d/app1.toml:1:17: password_file: expected a readable password file, found {}: not a "
                      "regular file",
                      fifo.string()));
  }
  SECTION("directory") {
    fs::create_directories(dir.path() / "adir");
    const std::string d = (dir.path() / "adir").string();
    CHECK(only_error(load_app1("password_file = \"" + d + "\"\n" + k_servers)) ==
          fmt::format("clusters.d/app1.toml:1:17: password_file: expected a readable password file, found {}: not a "
                      "regular file",
                      d));
  }
}

TEST_CASE("config: a missing password file", "[config]") {
  TempDir dir;
  const std::string missing = (dir.path() / "nope.password").string();
  CHECK(only_error(load_app1("repl_password_file = \"" + missing + "\"\n" + k_servers)) ==
        fmt::format("clusters.d/app1.toml:1:22: repl_password_file: expected a readable password file, found {}: No "
                    "such file or directory",
                    missing));
}

TEST_CASE("config: password files are read, relative to the config file", "[config]") {
  TempDir dir;
  dir.write("clusters.d/app1.password", "s3cret\n");
  dir.write("app1.repl", "r3pl\r\n");
  dir.write("two-lines", "line1\nline2\n\n");
  auto load = load_config_from_strings("", {{"app1.toml", "password_file = \"app1.password\"\nrepl_password_file = \"../app1.repl\"\n" + k_servers}},
                                       dir.path());
  const auto& cluster = only_cluster(load);
  CHECK(cluster.password.reveal() == "s3cret");
  CHECK(cluster.password_file == (dir.path() / "clusters.d" / "app1.password").string());
  CHECK(cluster.repl_password.reveal() == "r3pl");
  // Only one newline is stripped.
  auto two = load_config_from_strings(
      "[defaults]\npassword_file = \"two-lines\"\n", {{"app1.toml", k_servers}}, dir.path());
  CHECK(only_cluster(two).password.reveal() == "line1\nline2\n");
}

TEST_CASE("config: a cluster's password overrides a password_file from [defaults]", "[config]") {
  TempDir dir;
  const fs::path file = dir.write("default.password", "from-file");
  auto load = load_app1("password = \"inline\"\n" + k_servers, "[defaults]\npassword_file = \"" + file.string() + "\"\n");
  const auto& cluster = only_cluster(load);
  CHECK(cluster.password.reveal() == "inline");
  CHECK(cluster.password_file.empty());
}

TEST_CASE("config: duplicate cluster names across files", "[config]") {
  auto load = load_config_from_strings("", {{"a.toml", "name = \"app1\"\n" + k_servers}, {"app1.toml", k_servers}});
  CHECK(only_error(load) ==
        "clusters.d/app1.toml:1:1: name: expected a unique cluster name, found 'app1' again (also in "
        "clusters.d/a.toml)");
  auto named = load_config_from_strings("", {{"app1.toml", k_servers}, {"b.toml", "name = \"app1\"\n" + k_servers}});
  CHECK(only_error(named) ==
        "clusters.d/b.toml:1:8: name: expected a unique cluster name, found 'app1' again (also in "
        "clusters.d/app1.toml)");
}

TEST_CASE("config: a bad vip", "[config]") {
  CHECK(only_error(load_app1("[vip]\naddress = \"192.168.3.100\"\ninterface = \"enp0s3\"\n" + k_servers)) ==
        R"(clusters.d/app1.toml:2:11: vip.address: expected an IPv4 address with prefix length like "192.168.3.100/24", found "192.168.3.100")");
  for (std::string bad : {"192.168.3.256/24", "192.168.3/24", "192.168.3.1.1/24", "192.168.03.1/24", "1.2.3.4/33",
                          "1.2.3.4/0", "1.2.3.4/", "a.b.c.d/24", "1.2.3.4/24 "}) {
    INFO(bad);
    auto load = load_app1("[vip]\naddress = \"" + bad + "\"\ninterface = \"enp0s3\"\n" + k_servers);
    CHECK_FALSE(load.config);
  }
  CHECK(only_error(load_app1("[vip]\naddress = \"192.168.3.100/24\"\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:1: vip.interface: expected a network interface name like "enp0s3", found none)");
  CHECK(only_error(load_app1("vip = \"192.168.3.100/24\"\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:7: vip: expected a table [vip], found "192.168.3.100/24")");
}

TEST_CASE("config: a bad port", "[config]") {
  CHECK(only_error(load_app1(k_servers + "port = 70000\n")) ==
        "clusters.d/app1.toml:8:8: server[1].port: expected a port from 1 to 65535, found integer 70000");
  CHECK(only_error(load_app1("ssh_port = 0\n" + k_servers)) ==
        "clusters.d/app1.toml:1:12: ssh_port: expected a port from 1 to 65535, found integer 0");
}

TEST_CASE("config: a cluster without servers", "[config]") {
  CHECK(only_error(load_app1("user = \"mha\"\n")) ==
        "clusters.d/app1.toml:1:1: server: expected at least one [[server]] table, found none");
  CHECK(only_error(load_app1("server = []\n")) ==
        "clusters.d/app1.toml:1:10: server: expected at least one [[server]] table, found an empty array");
  CHECK(only_error(load_app1("[server]\nname = \"x\"\nhost = \"y\"\n")) ==
        "clusters.d/app1.toml:1:1: server: expected an array of tables [[server]], found a table");
}

TEST_CASE("config: ping_type and log_level ignore case, nothing else", "[config]") {
  CHECK(only_cluster(load_app1("ping_type = \"SELECT\"\n" + k_servers)).ping_type == mha::PingType::select);
  CHECK(only_cluster(load_app1("ping_type = \"Connect\"\n" + k_servers)).ping_type == mha::PingType::connect);
  CHECK(only_cluster(load_app1("ping_type = \"insert\"\n" + k_servers)).ping_type == mha::PingType::insert);
  CHECK(only_cluster(load_app1("log_level = \"DEBUG\"\n" + k_servers)).log_level == mha::LogLevel::debug);
  CHECK(only_error(load_app1("ping_type = \"ping\"\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:13: ping_type: expected "select", "connect" or "insert", found "ping")");
}

TEST_CASE("config: on_possible_data_loss is proceed (MHA's behaviour) or abort", "[config]") {
  CHECK(only_cluster(load_app1(k_servers)).on_possible_data_loss == mha::DataLossPolicy::proceed);
  CHECK(only_cluster(load_app1("on_possible_data_loss = \"abort\"\n" + k_servers)).on_possible_data_loss ==
        mha::DataLossPolicy::abort);
  CHECK(only_error(load_app1("on_possible_data_loss = \"stop\"\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:25: on_possible_data_loss: expected "proceed" or "abort", found "stop")");
}

TEST_CASE("config: ssl_* keys are inherited like port and may be set per server", "[config][tls]") {
  const auto plain_load = load_app1(k_servers);  // only_cluster() refers into it
  const auto& plain = only_cluster(plain_load);
  CHECK(plain.servers[0].ssl_mode == mha::SslMode::disabled);  // mhad's behaviour before TLS
  CHECK(plain.servers[0].ssl_ca.empty());

  auto load = load_config_from_strings("[defaults]\nssl_mode = \"REQUIRED\"\n",
                                       {{"app1.toml", R"(ssl_mode = "verify_identity"
ssl_ca = "/etc/mhad/ca.pem"
ssl_cert = "/etc/mhad/client.pem"
ssl_key = "/etc/mhad/client.key"

[[server]]
name = "master"
host = "192.168.3.74"

[[server]]
name = "slave1"
host = "192.168.3.71"
ssl_mode = "verify_ca"
ssl_ca = "/opt/tls/ca.pem"
)"},
                                        {"app2.toml", k_servers}});
  INFO(joined(load.errors));
  REQUIRE(load.config);
  const auto& app1 = load.config->clusters[0];
  CHECK(app1.servers[0].tls() == mha::TlsSettings{mha::SslMode::verify_identity, "/etc/mhad/ca.pem",
                                                   "/etc/mhad/client.pem", "/etc/mhad/client.key"});
  CHECK(app1.servers[1].tls() == mha::TlsSettings{mha::SslMode::verify_ca, "/opt/tls/ca.pem", "/etc/mhad/client.pem",
                                                   "/etc/mhad/client.key"});
  CHECK(load.config->clusters[1].servers[1].ssl_mode == mha::SslMode::required);  // from [defaults]
}

TEST_CASE("config: a wrong ssl_mode names the key and the allowed values", "[config][tls]") {
  CHECK(only_error(load_app1("ssl_mode = \"verify_full\"\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:12: ssl_mode: expected "disabled", "preferred", "required", "verify_ca" or )"
        R"("verify_identity" (the MySQL client's --ssl-mode), found "verify_full")");
  CHECK(only_error(load_app1("ssl_mode = true\n" + k_servers)).find("ssl_mode: expected \"disabled\"") !=
        std::string::npos);
}

TEST_CASE("config: ssl_ca, ssl_cert and ssl_key are absolute paths", "[config][tls]") {
  CHECK(only_error(load_app1("ssl_mode = \"verify_ca\"\nssl_ca = \"ca.pem\"\n" + k_servers)) ==
        "clusters.d/app1.toml:2:10: ssl_ca: expected an absolute path to a PEM file (the same path on mhad's host "
        "and the servers' hosts), found \"ca.pem\"");
}

TEST_CASE("config: verify_ca and verify_identity need ssl_ca", "[config][tls]") {
  const std::string expected =
      "ssl_mode: expected ssl_ca (the CA certificate that signed the servers' certificates) with ssl_mode = "
      "\"verify_identity\", found none; set ssl_ca = \"/etc/mhad/ca.pem\", or ssl_mode = \"required\" to "
      "encrypt without checking the certificate";
  SECTION("at cluster level: one error, not one per server") {
    CHECK(only_error(load_app1("ssl_mode = \"verify_identity\"\n" + k_servers)) ==
          "clusters.d/app1.toml:1:12: " + expected);
  }
  SECTION("from [defaults]: reported in the cluster file that inherits it") {
    CHECK(only_error(load_app1(k_servers, "[defaults]\nssl_mode = \"verify_identity\"\n")) ==
          "clusters.d/app1.toml:1:1: " + expected + " (inherited from [defaults])");
  }
  SECTION("on one server") {
    CHECK(only_error(load_app1(k_servers + "ssl_mode = \"verify_identity\"\n")) ==
          "clusters.d/app1.toml:8:12: server[1]." + expected);
  }
  SECTION("each server's own ssl_ca is enough") {
    auto load = load_app1("ssl_mode = \"verify_ca\"\n" + k_servers + "ssl_ca = \"/b/ca.pem\"\n");
    CHECK(only_error(load).find("clusters.d/app1.toml:1:12: ssl_mode: expected ssl_ca") == 0);  // master has none
    auto both = load_app1("ssl_mode = \"verify_ca\"\n[[server]]\nname = \"m\"\nhost = \"h1\"\nssl_ca = "
                          "\"/a/ca.pem\"\n[[server]]\nname = \"s\"\nhost = \"h2\"\nssl_ca = \"/b/ca.pem\"\n");
    CHECK(only_cluster(both).servers[1].ssl_ca == "/b/ca.pem");
  }
  SECTION("required and preferred do not") {
    CHECK(only_cluster(load_app1("ssl_mode = \"required\"\n" + k_servers)).servers[0].ssl_mode ==
          mha::SslMode::required);
    CHECK(only_cluster(load_app1("ssl_mode = \"Preferred\"\n" + k_servers)).servers[0].ssl_mode ==
          mha::SslMode::preferred);
  }
}

TEST_CASE("config: ssl_cert and ssl_key go together", "[config][tls]") {
  CHECK(only_error(load_app1("ssl_mode = \"required\"\nssl_cert = \"/c.pem\"\n" + k_servers)) ==
        "clusters.d/app1.toml:2:12: ssl_cert: expected ssl_cert and ssl_key together (a client certificate and its "
        "private key), found only ssl_cert");
  CHECK(only_error(load_app1(k_servers + "ssl_key = \"/c.key\"\n")) ==
        "clusters.d/app1.toml:8:11: server[1].ssl_key: expected ssl_cert and ssl_key together (a client certificate "
        "and its private key), found only ssl_key");
}

TEST_CASE("config: master_binlog_dir takes an array or MHA's comma list", "[config]") {
  auto array = load_app1("master_binlog_dir = [\"/var/lib/mysql\", \"/data/binlog\"]\n" + k_servers);
  CHECK(only_cluster(array).servers[0].master_binlog_dir == std::vector<std::string>{"/var/lib/mysql", "/data/binlog"});
  auto comma = load_app1("master_binlog_dir = \"/var/lib/mysql/, /data/binlog\"\n" + k_servers);
  CHECK(only_cluster(comma).servers[1].master_binlog_dir ==
        std::vector<std::string>{"/var/lib/mysql/", "/data/binlog"});
  CHECK(only_error(load_app1("master_binlog_dir = []\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:21: master_binlog_dir: expected at least one directory like ["/var/lib/mysql"], found none)");
  CHECK(only_error(load_app1("master_binlog_dir = [\"/a\", 3]\n" + k_servers)) ==
        R"(clusters.d/app1.toml:1:28: master_binlog_dir[1]: expected a directory path, found integer 3)");
}

// ---------------------------------------------------------------------------
// Loading as a whole

TEST_CASE("config: every error in every file is reported and the config refused", "[config]") {
  auto load = load_config_from_strings(
      "[daemon]\nworker_threads = 0\n",
      {{"app1.toml", "ping_interval = \"fast\"\n" + k_servers + "port = 0\n"},
       {"app2.toml", k_servers},
       {"app3.toml", "user = \n"}});
  CHECK_FALSE(load.config.has_value());
  REQUIRE(load.errors.size() == 4);
  CHECK(load.errors[0] == "mhad.toml:2:18: daemon.worker_threads: expected an integer from 1 to 1024, found integer 0");
  CHECK(load.errors[1] ==
        R"(clusters.d/app1.toml:1:17: ping_interval: expected a duration like "3s" or "500ms", found "fast")");
  CHECK(load.errors[2] == "clusters.d/app1.toml:9:8: server[1].port: expected a port from 1 to 65535, found integer 0");
  CHECK(load.errors[3] ==
        "clusters.d/app3.toml:1:8: TOML syntax: error while parsing key-value pair: expected value, saw '\\n'");
}

TEST_CASE("config: an empty mhad.toml and no clusters are valid, with a warning", "[config]") {
  auto load = load_config_from_strings("", {});
  REQUIRE(load.config.has_value());
  CHECK(load.errors.empty());
  CHECK(load.config->clusters.empty());
  CHECK(load.warnings == std::vector<std::string>{
                             "clusters.d: no cluster files (*.toml): mhad will monitor nothing until one is added"});
  CHECK(load.config->daemon.socket == "/run/mhad/mhad.sock");
  CHECK(load.config->daemon.state_dir == "/var/lib/mhad");
  CHECK(load.config->daemon.socket_group == "mhad");
  CHECK(load.config->daemon.admin_group == "mhad-admin");
  CHECK(load.config->daemon.worker_threads == 8);
  CHECK(load.config->daemon.log_level == mha::LogLevel::info);
  CHECK(load.config->daemon.metrics_listen.empty());
}

TEST_CASE("config: [daemon] keys", "[config]") {
  auto load = load_config_from_strings(
      "[daemon]\nsocket = \"/tmp/m.sock\"\nstate_dir = \"/tmp/state\"\nsocket_group = \"ops\"\nadmin_group = \"dba\"\n"
      "worker_threads = 2\n"
      "log_level = \"debug\"\nmetrics_listen = \"127.0.0.1:9104\"\n",
      {{"app1.toml", k_servers}});
  REQUIRE(load.config);
  CHECK(load.config->daemon.metrics_listen == "127.0.0.1:9104");
  CHECK(load.config->daemon.socket == "/tmp/m.sock");
  CHECK(load.config->daemon.state_dir == "/tmp/state");
  CHECK(load.config->daemon.socket_group == "ops");
  CHECK(load.config->daemon.admin_group == "dba");
  CHECK(load.config->daemon.worker_threads == 2);
  CHECK(load.config->daemon.log_level == mha::LogLevel::debug);
}

TEST_CASE("config: daemon.metrics_listen takes an IPv4 address and a port, or \"\" for off", "[config]") {
  auto listen = [](const std::string& value) {
    return load_config_from_strings("[daemon]\nmetrics_listen = " + value + "\n", {{"app1.toml", k_servers}});
  };
  CHECK(listen(R"("0.0.0.0:9104")").config->daemon.metrics_listen == "0.0.0.0:9104");
  CHECK(listen(R"("10.1.2.3:65535")").config->daemon.metrics_listen == "10.1.2.3:65535");
  CHECK(listen(R"("")").config->daemon.metrics_listen.empty());
  const std::string expected =
      R"(mhad.toml:2:18: daemon.metrics_listen: expected "host:port" with an IPv4 address and a port from 1 to )"
      R"(65535, like "127.0.0.1:9104" (empty: off), found )";
  for (const char* bad : {R"("9104")", R"("localhost:9104")", R"("127.0.0.1:0")", R"("127.0.0.1:65536")",
                          R"("127.0.0.1:")", R"("::1:9104")", R"("[::1]:9104")", R"("192.1683.74:9104")", R"("127.0.0.1:09104")"}) {
    auto load = listen(bad);
    CHECK_FALSE(load.config);
    REQUIRE(load.errors.size() == 1);
    CHECK(load.errors[0] == expected + bad);
  }
  auto number = listen("9104");
  REQUIRE(number.errors.size() == 1);
  CHECK(number.errors[0] == expected + "integer 9104");
}

TEST_CASE("config: [daemon] coordination is none by default, with the host name as instance_name", "[config]") {
  auto load = load_config_from_strings("", {{"app1.toml", k_servers}});
  REQUIRE(load.config);
  const auto& daemon = load.config->daemon;
  CHECK(daemon.coordination == mha::Coordination::none);
  CHECK(daemon.etcd_endpoints.empty());
  CHECK(daemon.etcd_prefix == "/mhad");
  char host[256] = {};
  REQUIRE(::gethostname(host, sizeof host - 1) == 0);
  CHECK(daemon.instance_name == host);
  const std::string shown = mha::render_effective_config(*load.config);
  CHECK(shown.find("coordination = \"none\"\n") != std::string::npos);
  CHECK(shown.find("etcd_endpoints = []\n") != std::string::npos);
}

TEST_CASE("config: [daemon] coordination = \"etcd\" and its keys", "[config]") {
  auto load = load_config_from_strings(
      "[daemon]\ncoordination = \"etcd\"\netcd_endpoints = [\"http://127.0.0.1:2379\", \"https://etcd2.example:2379\"]\n"
      "etcd_prefix = \"/ha/mhad\"\ninstance_name = \"mha1\"\netcd_ca = \"/etc/mhad/ca.pem\"\n"
      "etcd_cert = \"/etc/mhad/c.pem\"\netcd_key = \"/etc/mhad/c.key\"\n",
      {{"app1.toml", k_servers}});
  REQUIRE(load.errors.empty());
  const auto& daemon = load.config->daemon;
  CHECK(daemon.coordination == mha::Coordination::etcd);
  CHECK(daemon.etcd_endpoints == std::vector<std::string>{"http://127.0.0.1:2379", "https://etcd2.example:2379"});
  CHECK(daemon.etcd_prefix == "/ha/mhad");
  CHECK(daemon.instance_name == "mha1");
  CHECK(daemon.etcd_ca == "/etc/mhad/ca.pem");
  CHECK(daemon.etcd_key == "/etc/mhad/c.key");
}

TEST_CASE("config: bad [daemon] coordination values name file, line and key", "[config]") {
  auto daemon = [](const std::string& text) {
    return only_error(load_config_from_strings("[daemon]\n" + text, {{"app1.toml", k_servers}}));
  };
  CHECK(daemon("coordination = \"zookeeper\"\n") ==
        "mhad.toml:2:16: daemon.coordination: expected \"none\" (this mhad acts alone) or \"etcd\" (one of several "
        "acts, elected in etcd), found \"zookeeper\"");
  CHECK(daemon("coordination = \"etcd\"\n") ==
        "mhad.toml:2:16: daemon.coordination: expected daemon.etcd_endpoints with at least one URL when coordination "
        "is \"etcd\", found none");
  CHECK(daemon("etcd_endpoints = \"http://127.0.0.1:2379\"\n") ==
        "mhad.toml:2:18: daemon.etcd_endpoints: expected an array of URLs like [\"http://10.0.0.5:2379\", "
        "\"http://10.0.0.6:2379\"], found \"http://127.0.0.1:2379\"");
  for (const char* bad : {"127.0.0.1:2379", "http://127.0.0.1", "http://127.0.0.1:2379/v3", "ftp://h:1",
                          "http://h:0", "http://h:65536"})
    CHECK(daemon(fmt::format("etcd_endpoints = [\"http://ok:1\", \"{}\"]\n", bad)) ==
          fmt::format("mhad.toml:2:34: daemon.etcd_endpoints[1]: expected a URL \"http://HOST:PORT\" or "
                      "\"https://HOST:PORT\", found \"{}\"",
                      bad));
  CHECK(daemon("etcd_prefix = \"mhad/\"\n") ==
        "mhad.toml:2:15: daemon.etcd_prefix: expected a key prefix starting with '/' and not ending with it, like "
        "\"/mhad\", found \"mhad/\"");
  CHECK(daemon("instance_name = \"-x\"\n").find("daemon.instance_name: expected a name of letters") !=
        std::string::npos);
  CHECK(daemon("etcd_cert = \"/c.pem\"\n") ==
        "mhad.toml:2:13: daemon.etcd_cert: expected daemon.etcd_key with it (a client certificate needs its key), "
        "found none");
  CHECK(daemon("etcd_user = \"mhad\"\n") ==
        "mhad.toml:2:13: daemon.etcd_user: expected daemon.etcd_password_file with it (etcd authentication needs "
        "both), found none");
  CHECK(daemon("etcd_ca = \"ca.pem\"\n").find("daemon.etcd_ca: expected an absolute path") != std::string::npos);
}

TEST_CASE("config: daemon.etcd_password_file is read, never shown", "[config]") {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("mhad-etcd-pw-{}", ::getpid());
  std::filesystem::create_directories(dir);
  const auto file = dir / "etcd.password";
  { std::ofstream(file) << "s3cret-etcd\n"; }
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto load = load_config_from_strings(
      fmt::format("[daemon]\netcd_user = \"mhad\"\netcd_password_file = \"{}\"\n", file.string()),
      {{"app1.toml", k_servers}}, dir);
  std::filesystem::remove_all(dir);
  REQUIRE(load.errors.empty());
  CHECK(load.config->daemon.etcd_password.reveal() == "s3cret-etcd");
  const std::string shown = mha::render_effective_config(*load.config);
  CHECK(shown.find("s3cret-etcd") == std::string::npos);
  CHECK(shown.find("etcd_password_file = ") != std::string::npos);
}

TEST_CASE("config: clusters are named by file stem or name, sorted, non-.toml files ignored", "[config]") {
  auto load = load_config_from_strings("", {{"zeta.toml", k_servers},
                                            {"alpha.toml", "name = \"omega\"\n" + k_servers},
                                            {"app1.toml.bak", "garbage ["},
                                            {"README", "garbage ["},
                                            {".hidden.toml", "garbage ["}});
  INFO(joined(load.errors));
  REQUIRE(load.config);
  REQUIRE(load.config->clusters.size() == 2);
  CHECK(load.config->clusters[0].name == "omega");
  CHECK(load.config->clusters[0].source == "clusters.d/alpha.toml");
  CHECK(load.config->clusters[1].name == "zeta");
  CHECK(load.config->find_cluster("zeta") == &load.config->clusters[1]);
  CHECK(load.config->find_cluster("alpha") == nullptr);
}

TEST_CASE("config: a file stem that is not a valid name needs `name`", "[config]") {
  CHECK(only_error(load_config_from_strings("", {{"my app.toml", k_servers}})) ==
        R"(clusters.d/my app.toml:1:1: name: expected a name of letters, digits, '-', '_' and '.', not starting with '-', found "my app" (from the file name); rename the file or set name = "...")");
  auto named = load_config_from_strings("", {{"my app.toml", "name = \"my-app\"\n" + k_servers}});
  CHECK(only_cluster(named).name == "my-app");
}

TEST_CASE("config: values are inherited server < cluster < [defaults] < built-in", "[config]") {
  const std::string main = R"([defaults]
ping_interval = "2s"
user = "from-defaults"
ssh_user = "defaults-ssh"
ssh_port = 2222
remote_workdir = "/defaults"
check_repl_delay = false
)";
  const std::string app1 = R"(ping_interval = "1s"
ssh_user = "cluster-ssh"
ssh_port = 2200
[[server]]
name = "master"
host = "192.168.3.74"
[[server]]
name = "slave1"
host = "192.168.3.71"
ssh_user = "server-ssh"
ssh_port = 22022
check_repl_delay = true
)";
  auto load = load_config_from_strings(main, {{"app1.toml", app1}, {"app2.toml", k_servers}});
  INFO(joined(load.errors));
  REQUIRE(load.config);
  const auto& app1_cluster = *load.config->find_cluster("app1");
  const auto& app2_cluster = *load.config->find_cluster("app2");

  // Cluster keys: cluster file over [defaults] over built-in.
  CHECK(app1_cluster.ping_interval == 1s);
  CHECK(app2_cluster.ping_interval == 2s);
  CHECK(app1_cluster.user == "from-defaults");
  CHECK(app1_cluster.ping_type == mha::PingType::select);

  // Server keys: server over cluster over [defaults] over built-in.
  const auto& master = app1_cluster.servers[0];
  const auto& slave1 = app1_cluster.servers[1];
  CHECK(app1_cluster.ssh_user == "cluster-ssh");
  CHECK(master.ssh_user == "cluster-ssh");
  CHECK(slave1.ssh_user == "server-ssh");
  CHECK(app2_cluster.servers[0].ssh_user == "defaults-ssh");
  CHECK(master.ssh_port == 2200);
  CHECK(slave1.ssh_port == 22022);
  CHECK(app2_cluster.servers[0].ssh_port == 2222);
  CHECK(master.remote_workdir == "/defaults");
  CHECK(master.check_repl_delay == false);
  CHECK(slave1.check_repl_delay == true);
  CHECK(master.port == 3306);
}

TEST_CASE("config: defaults are MHA's", "[config]") {
  const ConfigLoad load = load_app1(k_servers);  // kept: only_cluster returns a reference into it
  const auto& cluster = only_cluster(load);
  CHECK(cluster.user == "root");
  CHECK(cluster.ping_interval == 3s);
  CHECK(cluster.ping_type == mha::PingType::select);
  CHECK(cluster.min_failover_interval == 8h);
  CHECK(cluster.ping_failures == 4);
  CHECK(cluster.check_repl_filter);
  CHECK(cluster.latest_priority);
  CHECK_FALSE(cluster.multi_tier_slave);
  CHECK(cluster.use_gtid_auto_pos);
  CHECK(cluster.max_relay_lag_bytes == 100'000'000);
  CHECK(cluster.running_seconds_limit == 10s);
  CHECK(cluster.running_updates_limit == 1);
  CHECK(cluster.log_level == mha::LogLevel::info);
  CHECK_FALSE(cluster.vip);
  const auto& server = cluster.servers[1];
  CHECK(server.name == "slave1");
  CHECK(server.host == "192.168.3.71");
  CHECK(server.ip == "192.168.3.71");
  CHECK(server.ssh_host == "192.168.3.71");
  CHECK(server.port == 3306);
  CHECK(server.ssh_port == 22);
  CHECK(server.ssh_user == "root");
  CHECK(server.ssh_connection_timeout == 5s);
  CHECK(server.check_repl_delay);
  CHECK(server.master_binlog_dir == std::vector<std::string>{"/var/lib/mysql", "/var/log/mysql"});
  CHECK(server.remote_workdir == "/var/tmp");
  CHECK_FALSE(server.candidate_master);
  CHECK_FALSE(server.no_master);
  CHECK_FALSE(server.ignore_fail);
  CHECK_FALSE(server.skip_init_ssh_check);
  CHECK_FALSE(server.skip_reset_slave);
  CHECK_FALSE(server.disable_log_bin);
}

TEST_CASE("config: ip and ssh_host default to host but may be set", "[config]") {
  auto load = load_app1(k_servers + "ip = \"10.0.0.71\"\nssh_host = \"slave1-admin\"\n");
  const auto& slave1 = only_cluster(load).servers[1];
  CHECK(slave1.ip == "10.0.0.71");
  CHECK(slave1.ssh_host == "slave1-admin");
}

TEST_CASE("config: load_config reads mhad.toml and clusters.d from disk", "[config]") {
  TempDir dir;
  dir.write("mhad.toml", "[defaults]\nping_interval = \"2s\"\n", 0644);
  dir.write("clusters.d/app1.toml", k_servers, 0644);
  dir.write("clusters.d/notes.txt", "not toml [", 0644);
  auto load = load_config(dir.path() / "mhad.toml");
  const auto& cluster = only_cluster(load);
  CHECK(cluster.ping_interval == 2s);
  CHECK(cluster.source == dir.path() / "clusters.d" / "app1.toml");
  CHECK(load.config->clusters_dir == dir.path() / "clusters.d");

  dir.write("clusters.d/app2.toml", "user = 1\n" + k_servers, 0644);
  CHECK(only_error(load_config(dir.path() / "mhad.toml")) ==
        (dir.path() / "clusters.d" / "app2.toml").string() + ":1:8: user: expected a string, found integer 1");
}

TEST_CASE("config: a missing mhad.toml is an error, a missing clusters.d a warning", "[config]") {
  TempDir dir;
  const fs::path main = dir.path() / "mhad.toml";
  CHECK(only_error(load_config(main)) ==
        main.string() +
            ": expected a config file, found none (No such file or directory); create it (an empty file is valid) "
            "or pass --config PATH");
  dir.write("mhad.toml", "");
  auto load = load_config(main);
  REQUIRE(load.config);
  CHECK(load.warnings ==
        std::vector<std::string>{(dir.path() / "clusters.d").string() +
                                 ": no such directory: mhad will monitor nothing until a cluster file is added"});
}

// ---------------------------------------------------------------------------
// Rendering

TEST_CASE("config: render_effective_config masks secrets and parses back", "[config]") {
  TempDir dir;
  const fs::path repl = dir.write("app1.repl", "r3pl-Secret\n");
  const std::string app1 = "password = \"s3cret-Passw0rd\"\nrepl_password_file = \"" + repl.string() +
                           "\"\nping_interval = \"1s\"\n[vip]\naddress = \"192.168.3.100/24\"\ninterface = \"enp0s3\"\n" +
                           k_servers;
  auto load = load_config_from_strings("", {{"app1.toml", app1}, {"app.2.toml", k_servers}});
  INFO(joined(load.errors));
  REQUIRE(load.config);
  const std::string text = mha::render_effective_config(*load.config);
  INFO(text);
  CHECK(text.find("s3cret") == std::string::npos);
  CHECK(text.find("r3pl") == std::string::npos);
  CHECK(text.find("password = \"********\"") != std::string::npos);
  CHECK(text.find("repl_password_file = \"" + repl.string() + "\"") != std::string::npos);
  CHECK(text.find("# cluster app1 (from clusters.d/app1.toml)\n") != std::string::npos);
  CHECK(text.find("# cluster app.2 (from clusters.d/app.2.toml)\n") != std::string::npos);

  toml::table parsed;
  REQUIRE_NOTHROW(parsed = toml::parse(text));
  CHECK(parsed["daemon"]["socket"].value_or(std::string()) == "/run/mhad/mhad.sock");
  CHECK(parsed["cluster"]["app1"]["ping_interval"].value_or(std::string()) == "1s");
  CHECK(parsed["cluster"]["app1"]["min_failover_interval"].value_or(std::string()) == "8h");
  CHECK(parsed["cluster"]["app1"]["max_relay_lag_bytes"].value_or(std::string()) == "100MB");
  CHECK(parsed["cluster"]["app1"]["vip"]["interface"].value_or(std::string()) == "enp0s3");
  CHECK(parsed["cluster"]["app1"]["server"][1]["ssh_connection_timeout"].value_or(std::string()) == "5s");
  CHECK(parsed["cluster"]["app1"]["server"][1]["ssh_port"].value_or(0) == 22);
  CHECK(parsed["cluster"]["app.2"]["repl_password"].value_or(std::string("unset")) == "");
  REQUIRE(parsed["cluster"]["app1"]["server"].as_array());
  CHECK(parsed["cluster"]["app1"]["server"].as_array()->size() == 2);
}

TEST_CASE("config: render of an empty config parses back", "[config]") {
  auto load = load_config_from_strings("", {});
  REQUIRE(load.config);
  const std::string text = mha::render_effective_config(*load.config);
  CHECK_NOTHROW(toml::parse(text));
  CHECK(text.find("# no clusters configured") != std::string::npos);
}

// Byte-for-byte output, pinned by fixtures: the etc/ examples, and a config
// that sets every key away from its default (quoted names, escapes, no vip).
// The temp dir, which differs per run, is shown as @DIR@.
TEST_CASE("config: render_effective_config output is pinned by fixtures", "[config]") {
  const fs::path fixtures = fs::path(MHA_FIXTURE_DIR);
  TempDir dir;
  dir.write("app1.password", "mha-password\n");
  dir.write("app1.repl", "repl-password\n");
  dir.write("clusters.d/app1.password", "mha-password\n");

  SECTION("the etc/ examples") {
    const fs::path etc = fs::path(MHA_SOURCE_DIR) / "etc";
    std::string app1 = read_file(etc / "clusters.d" / "app1.toml");
    replace_all(app1, "/etc/mhad/app1.password", (dir.path() / "app1.password").string());
    replace_all(app1, "/etc/mhad/app1.repl", (dir.path() / "app1.repl").string());
    auto load = load_config_from_strings(read_file(etc / "mhad.toml"), {{"app1.toml", app1}}, dir.path());
    INFO(joined(load.errors));
    REQUIRE(load.config);
    std::string text = mha::render_effective_config(*load.config);
    replace_all(text, dir.path().string(), "@DIR@");
    // instance_name defaults to the host name, which differs per machine.
    replace_all(text, "instance_name = \"" + load.config->daemon.instance_name + "\"", "instance_name = \"@HOST@\"");
    CHECK(text == read_file(fixtures / "effective_config_etc.toml"));
  }

  SECTION("every key set, two clusters") {
    const std::string main = R"([daemon]
socket = "/tmp/x.sock"
state_dir = "/srv/mhad"
socket_group = "ops"
admin_group = "dba"
worker_threads = 3
log_level = "debug"
metrics_listen = "0.0.0.0:9200"
coordination = "etcd"
etcd_endpoints = ["http://10.0.0.5:2379", "https://10.0.0.6:2379"]
etcd_prefix = "/ha"
instance_name = "mha-1"
etcd_ca = "/etc/mhad/etcd-ca.pem"
etcd_cert = "/etc/mhad/etcd.pem"
etcd_key = "/etc/mhad/etcd.key"
etcd_user = "mhad"
etcd_password_file = "app1.repl"

[defaults]
ping_interval = "1500ms"
ssh_user = "deploy"
master_binlog_dir = "/a, /b"
)";
    const std::string app1 = R"(user = "u\"q"
password_file = "app1.password"
repl_user = "repl"
repl_password = "hidden"
ping_type = "insert"
ping_failures = 7
connect_timeout = "2s"
read_timeout = "1m30s"
frozen_master_timeout = "20s"
min_failover_interval = "0s"
auto_failover = false
auto_rejoin = true
on_possible_data_loss = "abort"
on_unfenced_master = "abort"
ssh_known_hosts = "/etc/mhad/known_hosts"
ssh_host_key_checking = "accept-new"
ssl_mode = "verify_identity"
ssl_ca = "/etc/mhad/ca.pem"
keep_ssh_session = false
replica_host_check = false
running_seconds_limit = "5s"
running_updates_limit = 0
seconds_behind_master = "1h"
max_relay_lag_bytes = "64MiB"
check_repl_filter = false
latest_priority = false
multi_tier_slave = true
use_gtid_auto_pos = false
log_level = "warning"
ssh_key = "/root/.ssh/id_mha"
secondary_check_script = "/usr/bin/check --x 'y'"
master_ip_failover_script = "/usr/bin/fo"
master_ip_online_change_script = "/usr/bin/oc"
shutdown_script = "/usr/bin/sd"
report_script = "/usr/bin/rep\tort"
port = 3307

[vip]
address = "10.1.2.3/16"
interface = "bond0"
arping = false

[[server]]
name = "m"
host = "db1.example"
ip = "10.0.0.1"
ssh_host = "ssh1.example"
ssh_port = 2222
ssh_user = "ops"
ssh_key = "/k"
ssh_options = "-o Foo=bar"
ssh_connection_timeout = "9s"
ssl_mode = "required"
ssl_cert = "/etc/mhad/m.pem"
ssl_key = "/etc/mhad/m.key"
candidate_master = true
ignore_fail = true
skip_init_ssh_check = true
skip_reset_slave = true
check_repl_delay = false
master_binlog_dir = ["/x", "/y"]
remote_workdir = "/w"
master_pid_file = "/run/m.pid"
client_bindir = "/opt/bin"
client_libdir = "/opt/lib"
disable_log_bin = true
node_label = "first \u00e9"

[[server]]
name = "r"
host = "db2.example"
no_master = true
)";
    auto load = load_config_from_strings(
        main, {{"app1.toml", app1}, {"app.2.toml", "name = \"Zed.2\"\n" + k_servers}}, dir.path());
    INFO(joined(load.errors));
    REQUIRE(load.config);
    std::string text = mha::render_effective_config(*load.config);
    replace_all(text, dir.path().string(), "@DIR@");
    CHECK(text == read_file(fixtures / "effective_config_every_key.toml"));
  }
}

// ---------------------------------------------------------------------------
// The shipped examples

TEST_CASE("config: etc/ examples load (with password files put in place)", "[config]") {
  const fs::path etc = fs::path(MHA_SOURCE_DIR) / "etc";
  const std::string main = read_file(etc / "mhad.toml");
  std::string app1 = read_file(etc / "clusters.d" / "app1.toml");

  SECTION("as shipped, only the password files are missing") {
    auto load = load_config_from_strings(main, {{"app1.toml", app1}});
    INFO(joined(load.errors));
    CHECK(load.warnings.empty());
    REQUIRE(load.errors.size() == 2);
    CHECK(load.errors[0].find("password_file: expected a readable password file, found /etc/mhad/app1.password: ") !=
          std::string::npos);
    CHECK(load.errors[1].find("repl_password_file: expected a readable password file, found /etc/mhad/app1.repl: ") !=
          std::string::npos);
  }

  SECTION("with the password files in a temp dir") {
    TempDir dir;
    const fs::path password = dir.write("app1.password", "mha-password\n");
    const fs::path repl = dir.write("app1.repl", "repl-password\n");
    replace_all(app1, "/etc/mhad/app1.password", password.string());
    replace_all(app1, "/etc/mhad/app1.repl", repl.string());
    dir.write("mhad.toml", main, 0644);
    dir.write("clusters.d/app1.toml", app1, 0644);
    auto load = load_config(dir.path() / "mhad.toml");
    INFO(joined(load.errors));
    CHECK(load.warnings.empty());
    const auto& cluster = only_cluster(load);
    CHECK(cluster.name == "app1");
    CHECK(cluster.user == "mha");
    CHECK(cluster.password.reveal() == "mha-password");
    CHECK(cluster.repl_user == "myslave");
    CHECK(cluster.repl_password.reveal() == "repl-password");
    CHECK(cluster.ping_interval == 1s);
    CHECK(cluster.ssh_user == "root");
    CHECK(cluster.min_failover_interval == 8h);
    REQUIRE(cluster.vip);
    CHECK(cluster.vip->address == "192.168.3.100/24");
    CHECK(cluster.vip->interface == "enp0s3");
    REQUIRE(cluster.servers.size() == 3);
    CHECK(cluster.servers[0].name == "master");
    CHECK(cluster.servers[0].host == "192.168.3.74");
    CHECK(cluster.servers[1].name == "slave1");
    CHECK(cluster.servers[1].host == "192.168.3.71");
    CHECK(cluster.servers[1].candidate_master);
    CHECK_FALSE(cluster.servers[1].check_repl_delay);
    CHECK(cluster.servers[2].name == "slave2");
    CHECK(cluster.servers[2].host == "192.168.3.70");
    CHECK(cluster.servers[2].check_repl_delay);
    for (const auto& server : cluster.servers) {
      CHECK(server.master_binlog_dir == std::vector<std::string>{"/var/lib/mysql"});
      CHECK(server.ssh_user == "root");
      CHECK(server.port == 3306);
    }
    CHECK(cluster.secondary_check_script.empty());  // commented out in the example
  }
}

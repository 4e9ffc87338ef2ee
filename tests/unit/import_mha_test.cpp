// mhactl import-mha: MHA's parameters mapped onto mhad's keys, the TOML
// mhad's own loader reads back, the seeds' configs, and every refusal.
#include "ctl/import_mha/import_mha.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/config.h"
#include "ctl/import_mha/mha_params.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace mha::ctl::import_mha;

namespace {

const fs::path k_fixtures = fs::path(MHA_FIXTURE_DIR) / "mha";

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

ImportResult import_text(const std::string& app, const std::string& path = "app1.cnf") {
  return import_mha_text(path, app, nullptr, {});
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

// A directory for the password files the import points at, removed at the end.
struct SecretsDir {
  fs::path dir;
  SecretsDir() {
    std::string pattern = (fs::temp_directory_path() / "mha-import-XXXXXX").string();
    dir = ::mkdtemp(pattern.data());
  }
  ~SecretsDir() { fs::remove_all(dir); }
  // `toml` with its /etc/mhad/ password files moved here and created, holding `secret`.
  std::string place(std::string toml, const std::string& secret) {
    const std::string from = "\"/etc/mhad/";
    for (size_t at = toml.find(from); at != std::string::npos; at = toml.find(from, at)) {
      toml.replace(at, from.size(), "\"" + dir.string() + "/");
      const size_t end = toml.find('"', at + 1);
      const std::string path = toml.substr(at + 1, end - at - 1);
      std::ofstream(path) << secret << "\n";
      ::chmod(path.c_str(), 0600);
      at = end;
    }
    return toml;
  }
};

mha::ConfigLoad load_imported(const ImportResult& result, const std::string& name, SecretsDir& secrets,
                              const std::string& secret = "s3cret") {
  return mha::load_config_from_strings("", {{name + ".toml", secrets.place(result.toml, secret)}});
}

}  // namespace

TEST_CASE("import-mha maps every parameter of MHA's parameter list", "[import_mha]") {
  // ../shared/reference/mha.md §2, rows 1-42.
  const std::vector<std::string_view> reference = {
      "hostname", "ip", "port", "ssh_host", "ssh_ip", "ssh_port", "ssh_connection_timeout", "ssh_options",
      "node_label", "candidate_master", "no_master", "ignore_fail", "skip_init_ssh_check", "skip_reset_slave", "user",
      "password", "repl_user", "repl_password", "disable_log_bin", "master_pid_file", "handle_raw_binlog", "ssh_user",
      "remote_workdir", "master_binlog_dir", "log_level", "manager_workdir", "manager_log", "check_repl_delay",
      "check_repl_filter", "latest_priority", "multi_tier_slave", "ping_interval", "ping_type",
      "secondary_check_script", "master_ip_failover_script", "master_ip_online_change_script", "shutdown_script",
      "report_script", "init_conf_load_script", "client_bindir", "client_libdir", "use_gtid_auto_pos"};
  REQUIRE(reference.size() == 42);
  for (std::string_view name : reference) {
    INFO(name);
    const MhaParam* param = find_mha_param(name);
    REQUIRE(param != nullptr);
    CHECK((param->kind == Kind::ignored) == !param->why.empty());
    CHECK((param->kind == Kind::ignored) == param->key.empty());
  }
  CHECK(mha_params().size() == reference.size());
}

TEST_CASE("import-mha: every mapped parameter reaches mhad's config with its value", "[import_mha]") {
  const std::string app = R"([server default]
user=mha
password=pw1
repl_user=repl
repl_password=pw2
ping_interval=2
ping_type=CONNECT
check_repl_filter=0
latest_priority=0
multi_tier_slave=1
use_gtid_auto_pos=0
log_level=debug
port=3307
ssh_port=2222
ssh_user=admin
ssh_options=-o Compression=yes
ssh_connection_timeout=7
skip_reset_slave=1
check_repl_delay=0
master_binlog_dir=/a, /b
remote_workdir=/var/tmp/mha
master_pid_file=/run/mysqld/mysqld.pid
client_bindir=/usr/bin
client_libdir=/usr/lib
disable_log_bin=1
secondary_check_script=masterha_secondary_check -s h1 -s h2
master_ip_failover_script=/usr/local/bin/master_ip_failover
master_ip_online_change_script=/usr/local/bin/master_ip_online_change
shutdown_script=/usr/local/bin/power_manager
report_script=/usr/local/bin/send_report
manager_workdir=/var/log/masterha/app1
manager_log=/var/log/masterha/app1/manager.log
handle_raw_binlog=1
init_conf_load_script=/usr/local/bin/load_conf

[server1]
hostname=db1
ip=192.168.3.74
ssh_host=db1-admin
ssh_ip=192.168.4.74
node_label=primary
candidate_master=1
no_master=0
ignore_fail=0
skip_init_ssh_check=1
port=3306

[server2]
hostname=db2
no_master=1
ignore_fail=1
ssh_port=22
check_repl_delay=1
ssh_user=other
)";
  const ImportResult result = import_text(app);
  REQUIRE(result.exit_status == 0);
  const std::string messages = joined(result.messages);
  CHECK(result.messages.size() == 7);  // five parameters without a counterpart, two passwords
  for (const char* warned : {"app1.cnf:3: warning: password:", "app1.cnf:5: warning: repl_password:",
                             "app1.cnf:31: warning: manager_workdir: no counterpart in mhad",
                             "app1.cnf:32: warning: manager_log: no counterpart in mhad",
                             "app1.cnf:33: warning: handle_raw_binlog: no counterpart in mhad",
                             "app1.cnf:34: warning: init_conf_load_script: no counterpart in mhad",
                             "app1.cnf:40: warning: ssh_ip: no counterpart in mhad"})
    CHECK_THAT(messages, Catch::Contains(warned));

  SecretsDir secrets;
  const auto load = load_imported(result, "app1", secrets);
  INFO(result.toml);
  REQUIRE(load.errors.empty());
  CHECK(load.warnings.empty());
  const mha::ClusterConfig& c = load.config->clusters.at(0);
  CHECK(c.name == "app1");
  CHECK(c.user == "mha");
  CHECK(c.password.reveal() == "s3cret");
  CHECK(c.password_file == (secrets.dir / "app1.password").string());
  CHECK(c.repl_user == "repl");
  CHECK(c.repl_password_file == (secrets.dir / "app1.repl").string());
  CHECK(c.ping_interval == 2s);
  CHECK(c.ping_type == mha::PingType::connect);
  CHECK_FALSE(c.check_repl_filter);
  CHECK_FALSE(c.latest_priority);
  CHECK(c.multi_tier_slave);
  CHECK_FALSE(c.use_gtid_auto_pos);
  CHECK(c.log_level == mha::LogLevel::debug);
  CHECK(c.ssh_user == "admin");
  CHECK(c.secondary_check_script == "masterha_secondary_check -s h1 -s h2");
  CHECK(c.master_ip_failover_script == "/usr/local/bin/master_ip_failover");
  CHECK(c.master_ip_online_change_script == "/usr/local/bin/master_ip_online_change");
  CHECK(c.shutdown_script == "/usr/local/bin/power_manager");
  CHECK(c.report_script == "/usr/local/bin/send_report");
  REQUIRE(c.servers.size() == 2);
  const mha::ServerConfig& s1 = c.servers[0];
  CHECK(s1.name == "server1");
  CHECK(s1.host == "db1");
  CHECK(s1.ip == "192.168.3.74");
  CHECK(s1.ssh_host == "db1-admin");
  CHECK(s1.node_label == "primary");
  CHECK(s1.candidate_master);
  CHECK_FALSE(s1.no_master);
  CHECK(s1.skip_init_ssh_check);
  CHECK(s1.port == 3306);
  CHECK(s1.ssh_port == 2222);
  CHECK(s1.ssh_user == "admin");
  CHECK(s1.ssh_options == "-o Compression=yes");
  CHECK(s1.ssh_connection_timeout == 7s);
  CHECK(s1.skip_reset_slave);
  CHECK_FALSE(s1.check_repl_delay);
  CHECK(s1.master_binlog_dir == std::vector<std::string>{"/a", "/b"});
  CHECK(s1.remote_workdir == "/var/tmp/mha");
  CHECK(s1.master_pid_file == "/run/mysqld/mysqld.pid");
  CHECK(s1.client_bindir == "/usr/bin");
  CHECK(s1.client_libdir == "/usr/lib");
  CHECK(s1.disable_log_bin);
  const mha::ServerConfig& s2 = c.servers[1];
  CHECK(s2.port == 3307);
  CHECK(s2.ssh_port == 22);
  CHECK(s2.no_master);
  CHECK(s2.ignore_fail);
  CHECK(s2.check_repl_delay);
  CHECK(s2.ssh_user == "other");
  CHECK_FALSE(s2.candidate_master);

  // Neither password reaches the TOML or a message.
  for (const char* secret : {"pw1", "pw2"}) {
    CHECK(result.toml.find(secret) == std::string::npos);
    CHECK(messages.find(secret) == std::string::npos);
  }
}

TEST_CASE("import-mha: seed 000's app1.cnf, key by key with its origin", "[import_mha]") {
  const ImportResult result = import_text(slurp(k_fixtures / "seed000" / "app1.cnf"));
  REQUIRE(result.exit_status == 0);
  CHECK(result.toml.substr(result.toml.find("\n\n") + 2) ==
        R"(user = "mha"  # app1.cnf:15 user=mha
password_file = "/etc/mhad/app1.password"  # app1.cnf:7 password
repl_user = "myslave"  # app1.cnf:11 repl_user=myslave
repl_password_file = "/etc/mhad/app1.repl"  # app1.cnf:10 repl_password
ping_interval = "1s"  # app1.cnf:8 ping_interval=1
ssh_user = "root"  # app1.cnf:14 ssh_user=root
master_binlog_dir = ["/var/lib/mysql/"]  # app1.cnf:4 master_binlog_dir=/var/lib/mysql/
remote_workdir = "/tmp"  # app1.cnf:9 remote_workdir=/tmp
secondary_check_script = "/usr/local/bin/masterha_secondary_check -s 192.168.3.70 -s 192.168.3.71"  # app1.cnf:12 secondary_check_script=/usr/local/bin/masterha_secondary_check -s 192.168.3.70 -s 192.168.3.71
master_ip_failover_script = "/usr/local/bin/master_ip_failover"  # app1.cnf:5 master_ip_failover_script=/usr/local/bin/master_ip_failover
master_ip_online_change_script = "/usr/local/bin/master_ip_online_change"  # app1.cnf:6 master_ip_online_change_script=/usr/local/bin/master_ip_online_change

[[server]]
name = "server1"  # app1.cnf:17 [server1]
host = "192.168.3.74"  # app1.cnf:18 hostname=192.168.3.74
port = 3306  # app1.cnf:19 port=3306

[[server]]
name = "server2"  # app1.cnf:21 [server2]
host = "192.168.3.71"  # app1.cnf:24 hostname=192.168.3.71
port = 3306  # app1.cnf:25 port=3306
candidate_master = true  # app1.cnf:22 candidate_master=1
check_repl_delay = false  # app1.cnf:23 check_repl_delay=0

[[server]]
name = "server3"  # app1.cnf:27 [server3]
host = "192.168.3.70"  # app1.cnf:28 hostname=192.168.3.70
port = 3306  # app1.cnf:29 port=3306
)");
  CHECK(result.messages ==
        std::vector<std::string>{
            "app1.cnf:2: warning: manager_log: no counterpart in mhad, not carried over: mhad logs to the journal: "
            "journalctl -u mhad CLUSTER=<name>",
            "app1.cnf:3: warning: manager_workdir: no counterpart in mhad, not carried over: mhad keeps its state in "
            "[daemon] state_dir of mhad.toml (default /var/lib/mhad)",
            "app1.cnf:7: warning: password: not copied into the TOML (mhad reads passwords from owner-only files); its "
            "password_file names /etc/mhad/app1.password: create it holding this line's value, e.g.: install -m 600 "
            "/dev/null /etc/mhad/app1.password && read -rsp 'password: ' pw && printf '%s\\n' \"$pw\" > "
            "/etc/mhad/app1.password; unset pw",
            "app1.cnf:10: warning: repl_password: not copied into the TOML (mhad reads passwords from owner-only "
            "files); its repl_password_file names /etc/mhad/app1.repl: create it holding this line's value, e.g.: "
            "install -m 600 /dev/null /etc/mhad/app1.repl && read -rsp 'repl_password: ' pw && printf '%s\\n' "
            "\"$pw\" > /etc/mhad/app1.repl; unset pw"});
  SecretsDir secrets;
  const auto load = load_imported(result, "app1", secrets);
  REQUIRE(load.errors.empty());
  CHECK(load.config->clusters.at(0).servers.at(1).candidate_master);
}

TEST_CASE("import-mha: seed 001's config without [server default], indented, per-server ssh settings",
          "[import_mha]") {
  const ImportResult result =
      import_text(slurp(k_fixtures / "seed001" / "mainBusiness.cnf"), "/etc/mha/mainBusiness.cnf");
  REQUIRE(result.exit_status == 0);
  CHECK(result.messages == std::vector<std::string>{
                               "/etc/mha/mainBusiness.cnf:1: warning: keys before any [block]: read as [server "
                               "default]; MHA itself refuses such a file (block name \"_\" is invalid): add a line "
                               "[server default] above them",
                               "/etc/mha/mainBusiness.cnf:1: warning: manager_workdir: no counterpart in mhad, not "
                               "carried over: mhad keeps its state in [daemon] state_dir of mhad.toml (default "
                               "/var/lib/mhad)",
                               "/etc/mha/mainBusiness.cnf:2: warning: manager_log: no counterpart in mhad, not carried "
                               "over: mhad logs to the journal: journalctl -u mhad CLUSTER=<name>"});
  CHECK_THAT(result.toml, Catch::Contains("# clusters.d/mainBusiness.toml: mhad's cluster 'mainBusiness'"));
  CHECK_THAT(result.toml, Catch::Contains("master_binlog_dir = [\"/data/mysql/3109/log/\", \"/data/mysql/3110/log/\"]  "
                                          "# /etc/mha/mainBusiness.cnf:5 master_binlog_dir=/data/mysql/3109/log/,/data/"
                                          "mysql/3110/log/\n"));
  CHECK_THAT(result.toml, Catch::Contains("report_script = \"/etc/mha/send_report\"  # /etc/mha/mainBusiness.cnf:9 "
                                          "report_script=/etc/mha/send_report\n"));
  CHECK(result.toml.find("secondary_check_script") == std::string::npos);  // commented out in the seed
  SecretsDir secrets;
  const auto load = load_imported(result, "mainBusiness", secrets);
  REQUIRE(load.errors.empty());
  const mha::ClusterConfig& c = load.config->clusters.at(0);
  CHECK(c.ping_interval == 1s);
  CHECK(c.user == "root");  // MHA's default: the seed sets none
  REQUIRE(c.servers.size() == 2);
  CHECK(c.servers[0].host == "192.168.1.109");
  CHECK(c.servers[0].port == 3109);
  CHECK(c.servers[1].port == 3110);
  CHECK(c.servers[1].candidate_master);
  CHECK_FALSE(c.servers[1].check_repl_delay);
  CHECK(c.servers[1].remote_workdir == "/data/mha/");
}

TEST_CASE("import-mha: the seed guide's annotated app1.cnf is refused for its master 192.1683.74", "[import_mha]") {
  const std::string guide = slurp(k_fixtures / "seed000" / "guide" / "app1.cnf");
  const ImportResult result = import_text(guide);
  CHECK(result.exit_status == 1);
  CHECK(result.toml.empty());
  REQUIRE(result.messages.size() == 6);
  CHECK(result.messages[4] ==
        "app1.cnf:19: hostname: expected a hostname or an IPv4 address (four numbers 0-255), found \"192.1683.74\" (3 "
        "numbers where an IPv4 address has four); fix the address");
  CHECK(result.messages[5] == "mhactl: import-mha: 1 error in MHA's configuration, nothing written; fix them and run "
                              "it again");
  for (const std::string& line : result.messages) {
    CHECK(line.find("manager\t") == std::string::npos);
    CHECK(line.find("123456") == std::string::npos);
    CHECK(line.find("=manager") == std::string::npos);
  }

  SECTION("with the address fixed, its comments after values and full-width spaces are read as MHA meant") {
    std::string fixed = guide;
    fixed.replace(fixed.find("192.1683.74"), 11, "192.168.3.74");
    const ImportResult ok = import_text(fixed);
    REQUIRE(ok.exit_status == 0);
    CHECK_THAT(ok.toml, Catch::Contains("\nreport_script = \"/usr/local/send_report\"  # app1.cnf:12 "
                                        "report_script=/usr/local/send_report\n"));
    CHECK_THAT(ok.toml, Catch::Contains("\nsecondary_check_script = \"/usr/local/bin/masterha_secondary_check -s "
                                        "192.168.137.15 -s 192.168.137.10\"  # app1.cnf:13 "));
    CHECK_THAT(ok.toml, Catch::Contains("\nmaster_binlog_dir = [\"/usr/local/mysql/data/\"]  # app1.cnf:4 "));
    CHECK(ok.toml.find("shutdown_script") == std::string::npos);  // shutdown_script="": none, as in MHA
    CHECK(ok.toml.find("manager") == std::string::npos);
    CHECK(ok.toml.find("\xE3\x80\x80") == std::string::npos);
    SecretsDir secrets;
    const auto load = load_imported(ok, "app1", secrets);
    CHECK(load.errors.empty());
  }
}

TEST_CASE("import-mha: the app file overrides the global default file, as in MHA", "[import_mha]") {
  const std::string global_path = "/etc/masterha_default.cnf";
  const ImportResult result = import_mha_text("app1.cnf", slurp(k_fixtures / "seed000" / "app1.cnf"), &global_path,
                                              slurp(k_fixtures / "masterha_default.cnf"));
  REQUIRE(result.exit_status == 0);
  CHECK_THAT(result.toml, Catch::Contains("\nuser = \"mha\"  # app1.cnf:15 user=mha\n"));
  CHECK_THAT(result.toml, Catch::Contains("\nssh_port = 2222  # /etc/masterha_default.cnf:7 ssh_port=2222\n"));
  CHECK_THAT(result.toml, Catch::Contains("\nssh_user = \"root\"  # app1.cnf:14 ssh_user=root\n"));
  CHECK_THAT(result.toml, Catch::Contains("\nping_interval = \"1s\"  # app1.cnf:8 ping_interval=1\n"));
  CHECK_THAT(result.toml, Catch::Contains("# /etc/masterha_default.cnf and app1.cnf.\n"));
  CHECK(result.messages.front() ==
        "/etc/masterha_default.cnf:10: warning: manager_workdir: no counterpart in mhad, not carried over: mhad keeps "
        "its state in [daemon] state_dir of mhad.toml (default /var/lib/mhad)");
  // The app file's password wins: the file to create is named at its line.
  CHECK_THAT(joined(result.messages), Catch::Contains("\napp1.cnf:7: warning: password: not copied into the TOML"));
  CHECK(joined(result.messages).find("masterha_default.cnf:5") == std::string::npos);
  CHECK(joined(result.messages).find("global_secret") == std::string::npos);
}

TEST_CASE("import-mha: of the global file only [server default] counts, as in MHA", "[import_mha]") {
  const std::string global_path = "/etc/masterha_default.cnf";
  const ImportResult result = import_mha_text("app1.cnf", "[server1]\nhostname=h1\n", &global_path,
                                              "ssh_port=2200\n[server default]\nping_interval=5\n[server9]\nhostname=h9\n");
  REQUIRE(result.exit_status == 0);
  CHECK(result.messages ==
        std::vector<std::string>{
            "/etc/masterha_default.cnf:1: warning: keys before any [block]: MHA reads only [server default] from the "
            "global file and ignored them; not carried over (add a line [server default] above them if they were "
            "meant)",
            "/etc/masterha_default.cnf:4: warning: [server9]: MHA reads only [server default] from the global file: "
            "block ignored, as by MHA"});
  CHECK_THAT(result.toml, Catch::Contains("\nping_interval = \"5s\"  # /etc/masterha_default.cnf:3 ping_interval=5\n"));
  CHECK(result.toml.find("2200") == std::string::npos);
  CHECK(result.toml.find("h9") == std::string::npos);
}

TEST_CASE("import-mha reads the files it is given", "[import_mha]") {
  const std::string app = (k_fixtures / "seed000" / "app1.cnf").string();
  SECTION("the app file and a default file") {
    const ImportResult result = import_mha_files(app, (k_fixtures / "masterha_default.cnf").string());
    REQUIRE(result.exit_status == 0);
    CHECK_THAT(result.toml, Catch::Contains("masterha_default.cnf:7 ssh_port=2222"));
  }
  SECTION("a missing app file") {
    const ImportResult result = import_mha_files("/nonexistent/app1.cnf", std::string("/dev/null"));
    CHECK(result.exit_status == 1);
    CHECK(result.toml.empty());
    CHECK(result.messages == std::vector<std::string>{"mhactl: import-mha: cannot read '/nonexistent/app1.cnf': No "
                                                      "such file or directory; name MHA's app file, e.g. "
                                                      "/etc/masterha/app1.cnf"});
  }
  SECTION("a missing default file named with --default") {
    const ImportResult result = import_mha_files(app, std::string("/nonexistent/masterha_default.cnf"));
    CHECK(result.exit_status == 1);
    CHECK(result.messages == std::vector<std::string>{
                                 "mhactl: import-mha: cannot read '/nonexistent/masterha_default.cnf': No such file or "
                                 "directory; name the global default file with --default PATH (/dev/null for none)"});
  }
}

TEST_CASE("import-mha: a per-cluster parameter in server blocks is one value for all, or refused", "[import_mha]") {
  SECTION("the same value everywhere moves to cluster level") {
    const ImportResult result = import_text("[server1]\nhostname=h1\nuser=mha\n[server2]\nhostname=h2\nuser=mha\n");
    REQUIRE(result.exit_status == 0);
    CHECK_THAT(result.toml, Catch::Contains("\nuser = \"mha\"  # app1.cnf:3 user=mha, app1.cnf:6 user=mha\n"));
  }
  SECTION("different values are refused, a password's never shown") {
    const ImportResult result =
        import_text("[server default]\nping_interval=3\n[server1]\nhostname=h1\nuser=mha\npassword=a1\nping_interval=3\n"
                    "[server2]\nhostname=h2\npassword=b2\nping_interval=1\n");
    CHECK(result.exit_status == 1);
    CHECK(result.toml.empty());
    CHECK(result.messages ==
          std::vector<std::string>{
              "app1.cnf:5: user: mhad has one user per cluster, but the servers differ: [server1] \"mha\" (line 5), "
              "[server2] MHA's default; set it once in [server default] and remove it from the [serverN] blocks",
              "app1.cnf:6: password: mhad has one password_file per cluster, but the servers differ: [server1] a "
              "password (line 6), [server2] a password (line 10); set it once in [server default] and remove it from "
              "the [serverN] blocks",
              "app1.cnf:7: ping_interval: mhad has one ping_interval per cluster, but the servers differ: [server1] "
              "\"3\" (line 7), [server2] \"1\" (line 11); set it once in [server default] and remove it from the "
              "[serverN] blocks",
              "mhactl: import-mha: 3 errors in MHA's configuration, nothing written; fix them and run it again"});
  }
}

TEST_CASE("import-mha refuses what MHA or mhad cannot run, naming line, value and fix", "[import_mha]") {
  auto messages = [](const std::string& app) { return joined(import_text(app).messages); };
  CHECK(messages("[server default]\nping_interval=1\n") ==
        "app1.cnf: expected at least one [serverN] block, found none (MHA refuses this too); add one block with "
        "hostname=HOST per server\nmhactl: import-mha: 1 error in MHA's configuration, nothing written; fix them and "
        "run it again\n");
  CHECK(joined(import_text("[server1]\nhostname=h1\n", "/etc/masterha/my app.cnf").messages) ==
        "/etc/masterha/my app.cnf: mhad names the cluster after the file, and 'my app' is not a name of letters, "
        "digits, '-', '_' and '.'; copy the file to a name like app1.cnf and import that\nmhactl: import-mha: 1 error "
        "in MHA's configuration, nothing written; fix them and run it again\n");
  CHECK_THAT(messages("[server1]\nport=3306\n"),
             Catch::StartsWith("app1.cnf:1: [server1]: expected hostname=HOST, found none (MHA refuses a server "
                               "without one too); add it to the block\n"));
  CHECK_THAT(messages("[server1]\nhostname=h1\n[server2]\nhostname=H1\n"),
             Catch::StartsWith("app1.cnf:4: hostname: [server2] is on h1:3306 as [server1] is (MHA refuses this too); "
                               "fix the address or the port\n"));
  CHECK_THAT(messages("[server1]\nhostname=h1\ncandidate_master=1\nno_master=1\n[server2]\nhostname=h2\n"),
             Catch::StartsWith("app1.cnf:4: no_master: [server1] has candidate_master=1 and no_master=1; mhad refuses "
                               "both (which one was meant is a guess): remove one\n"));
  CHECK_THAT(messages("[mysql1]\nhostname=h1\n[server1]\nhostname=h2\n"),
             Catch::StartsWith("app1.cnf:1: [mysql1]: expected [server default], [serverN] or [binlogN] (MHA refuses "
                               "other blocks too); rename it [serverN] or remove it\n"));
  CHECK_THAT(messages("[server:1]\nhostname=h1\n"),
             Catch::StartsWith("app1.cnf:1: [server:1]: mhad names a server after its block, and a name is letters, "
                               "digits, '-', '_' and '.'; rename the block, e.g. [server1]\n"));
  CHECK_THAT(messages("[server1]\nhostname=h1\nport=\xEF\xBC\x93\xEF\xBC\x93\xEF\xBC\x90\xEF\xBC\x96\n"),
             Catch::StartsWith("app1.cnf:3: port: expected a port number from 1 to 65535, found full-width "
                               "'\xEF\xBC\x93' (U+FF13); write the ASCII '3' instead\n"));
  CHECK_THAT(messages("[server default]\nping_interval=3s\n[server1]\nhostname=h1\n"),
             Catch::StartsWith("app1.cnf:2: ping_interval: expected whole seconds of at least 1, like 3 (MHA's unit), "
                               "found \"3s\"; write a number without a unit\n"));
  CHECK_THAT(messages("[server1]\n\xEF\xBD\x88ostname=h1\nhostname=h1\n"),
             Catch::StartsWith("app1.cnf:2: \xEF\xBD\x88ostname: expected an ASCII parameter name, found full-width "
                               "'\xEF\xBD\x88' (U+FF48); write the ASCII 'h' instead\n"));
  CHECK_THAT(messages("[server default]\nping_type=PING\n[server1]\nhostname=h1\n"),
             Catch::StartsWith("app1.cnf:2: ping_type: expected SELECT, CONNECT or INSERT, found \"PING\"\n"));
}

TEST_CASE("import-mha warns for what it does not carry over, naming the line", "[import_mha]") {
  const ImportResult result = import_text("[server default]\n"
                                          "ping_intervall=3\n"
                                          "candidate_master=1\n"
                                          "hostname=h0\n"
                                          "[server1]\n"
                                          "hostname=h1\n"
                                          "[binlog1]\n"
                                          "hostname=binlog_host\n");
  REQUIRE(result.exit_status == 0);
  CHECK(result.messages ==
        std::vector<std::string>{
            "app1.cnf:2: warning: ping_intervall: unknown MHA parameter (MHA refuses it: \"Parameter name "
            "ping_intervall is invalid!\"), not carried over; did you mean 'ping_interval'?",
            "app1.cnf:3: warning: candidate_master: MHA reads it only from a [serverN] block, so this line had no "
            "effect; not carried over (set it in the server's block)",
            "app1.cnf:4: warning: hostname: MHA reads it only from a [serverN] block, so this line had no effect; not "
            "carried over (set it in the server's block)",
            "app1.cnf:7: warning: [binlog1]: MHA's binlog servers have no counterpart in mhad, which reads the dead "
            "master's binlog over SSH from its host: block not carried over"});
  CHECK(result.toml.find("candidate_master") == std::string::npos);
  CHECK(result.toml.find("binlog_host") == std::string::npos);
}

TEST_CASE("import-mha writes the servers in MHA's order, its tie-break order", "[import_mha]") {
  auto names = [](const std::string& app) {
    const ImportResult result = import_text(app);
    std::vector<std::string> out;
    for (size_t at = result.toml.find("\nname = \""); at != std::string::npos;
         at = result.toml.find("\nname = \"", at + 1)) {
      const size_t start = at + 9;
      out.push_back(result.toml.substr(start, result.toml.find('"', start) - start));
    }
    return out;
  };
  CHECK(names("[server10]\nhostname=a\n[server2]\nhostname=b\n[server1]\nhostname=c\n") ==
        std::vector<std::string>{"server1", "server2", "server10"});
  CHECK(names("[serverB]\nhostname=a\n[server_db1]\nhostname=b\n[serverA]\nhostname=c\n") ==
        std::vector<std::string>{"serverA", "serverB", "server_db1"});
}

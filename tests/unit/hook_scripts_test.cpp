#include <catch2/catch.hpp>

#include "daemon/failover/hook_scripts.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

using namespace mha;
using namespace std::chrono_literals;
using Argv = std::vector<std::string>;

namespace {

ServerConfig server(const std::string& name, const std::string& host, const std::string& ip, uint16_t port = 3306) {
  ServerConfig s;
  s.name = name;
  s.host = host;
  s.ip = ip;
  s.ssh_host = host;
  s.port = port;
  s.ssh_user = "root";
  return s;
}

ClusterConfig cluster() {
  ClusterConfig c;
  c.name = "app1";
  c.user = "mha";
  c.password = Secret("s3cr3t $(x) 'q'");
  c.master_ip_failover_script = "/etc/mha/master_ip_failover --vip 10.0.0.100";
  c.shutdown_script = "/etc/mha/power_manager";
  c.report_script = "/etc/mha/send_report";
  return c;
}

// A temp dir with tiny scripts that write their argv (NUL-separated) next to
// themselves ("<script>.args"), echo it, and exit with a fixed code.
struct ScriptDir {
  std::filesystem::path dir;
  ScriptDir() {
    std::string templ = "/tmp/mhad-hooks-XXXXXX";
    char* made = ::mkdtemp(templ.data());
    REQUIRE(made != nullptr);
    dir = made;
  }
  ~ScriptDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string script(const std::string& name, int exit_code) const {
    auto path = dir / name;
    std::ofstream(path) << "#!/bin/sh\nprintf '%s\\0' \"$@\" > \"$0.args\"\necho \"got: $*\"\nexit " << exit_code
                        << "\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    return path.string();
  }
  static Argv args_of(const std::string& script) {
    std::ifstream in(script + ".args", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Argv out;
    std::string current;
    for (char c : all) {
      if (c == '\0') {
        out.push_back(current);
        current.clear();
      } else {
        current += c;
      }
    }
    return out;
  }
};

}  // namespace

TEST_CASE("master_ip_failover_script argv: stopssh and stop, MHA's order", "[hooks]") {
  auto c = cluster();
  auto db1 = server("db1", "db1.example", "10.0.0.11");
  CHECK(vip_script_argv(c, VipCommand::stopssh, db1) ==
        Argv{"/etc/mha/master_ip_failover", "--vip", "10.0.0.100", "--orig_master_host=db1.example",
             "--orig_master_ip=10.0.0.11", "--orig_master_port=3306", "--command=stopssh", "--ssh_user=root"});
  CHECK(vip_script_argv(c, VipCommand::stop, db1) ==
        Argv{"/etc/mha/master_ip_failover", "--vip", "10.0.0.100", "--orig_master_host=db1.example",
             "--orig_master_ip=10.0.0.11", "--orig_master_port=3306", "--command=stop"});

  db1.ssh_port = 2222;
  CHECK(vip_script_argv(c, VipCommand::stop, db1) ==
        Argv{"/etc/mha/master_ip_failover", "--vip", "10.0.0.100", "--orig_master_host=db1.example",
             "--orig_master_ip=10.0.0.11", "--orig_master_port=3306", "--command=stop",
             "--orig_master_ssh_port=2222"});
  CHECK(vip_script_argv(c, VipCommand::status, db1) ==
        Argv{"/etc/mha/master_ip_failover", "--vip", "10.0.0.100", "--command=status", "--ssh_user=root",
             "--orig_master_host=db1.example", "--orig_master_ip=10.0.0.11", "--orig_master_port=3306",
             "--orig_master_ssh_port=2222"});
}

TEST_CASE("master_ip_failover_script argv: start, with new master's ssh args and the password last", "[hooks]") {
  auto c = cluster();
  c.master_ip_failover_script = "/etc/mha/master_ip_failover";
  auto db1 = server("db1", "db1", "10.0.0.11");
  auto db2 = server("db2", "db2", "10.0.0.12", 3307);
  db2.ssh_user = "admin";
  CHECK(vip_script_argv(c, VipCommand::start, db1, &db2) ==
        Argv{"/etc/mha/master_ip_failover", "--command=start", "--ssh_user=admin", "--orig_master_host=db1",
             "--orig_master_ip=10.0.0.11", "--orig_master_port=3306", "--new_master_host=db2",
             "--new_master_ip=10.0.0.12", "--new_master_port=3307", "--new_master_user=mha",
             "--new_master_password=s3cr3t $(x) 'q'"});

  db1.ssh_port = 2201;
  db2.ssh_port = 2202;
  db2.ssh_host = "192.168.9.12";  // a separate management network
  CHECK(vip_script_argv(c, VipCommand::start, db1, &db2) ==
        Argv{"/etc/mha/master_ip_failover", "--command=start", "--ssh_user=admin", "--orig_master_host=db1",
             "--orig_master_ip=10.0.0.11", "--orig_master_port=3306", "--new_master_host=db2",
             "--new_master_ip=10.0.0.12", "--new_master_port=3307", "--new_master_user=mha",
             "--orig_master_ssh_port=2201", "--new_master_ssh_host=192.168.9.12",
             "--new_master_ssh_ip=192.168.9.12", "--new_master_ssh_port=2202",
             "--new_master_password=s3cr3t $(x) 'q'"});
}

TEST_CASE("ssh_options go to the first argument group only, MHA's base options first", "[hooks]") {
  auto c = cluster();
  c.master_ip_failover_script = "/s";
  auto db1 = server("db1", "db1", "10.0.0.11");
  auto db2 = server("db2", "db2", "10.0.0.12");
  db1.ssh_options = "-o 'Port=22'";
  db1.ssh_connection_timeout = 7000ms;
  db2.ssh_options = "-o Foo=bar";
  CHECK(vip_script_argv(c, VipCommand::stopssh, db1).back() ==
        "--ssh_options=-o ServerAliveInterval=60 -o ServerAliveCountMax=20 -o StrictHostKeyChecking=no "
        "-o ConnectionAttempts=5 -o PasswordAuthentication=no -o BatchMode=yes -o Port=22");
  CHECK(vip_script_argv(c, VipCommand::stop, db1).back() ==
        "--ssh_options=-o StrictHostKeyChecking=no -o PasswordAuthentication=no -o BatchMode=yes "
        "-o ConnectTimeout=7 -o Port=22");
  auto start = vip_script_argv(c, VipCommand::start, db1, &db2, false);
  CHECK(start[start.size() - 2] ==
        "--ssh_options=-o StrictHostKeyChecking=no -o PasswordAuthentication=no -o BatchMode=yes "
        "-o ConnectTimeout=7 -o Port=22");
  for (const auto& arg : start) CHECK(arg.find("Foo=bar") == std::string::npos);
}

TEST_CASE("shutdown_script argv: stopssh with pid file, stop with ssh port", "[hooks]") {
  auto c = cluster();
  auto db1 = server("db1", "db1", "10.0.0.11");
  db1.master_pid_file = "/var/run/mysqld/mysqld.pid";
  CHECK(shutdown_script_argv(c, db1, true) ==
        Argv{"/etc/mha/power_manager", "--command=stopssh", "--ssh_user=root", "--host=db1", "--ip=10.0.0.11",
             "--port=3306", "--pid_file=/var/run/mysqld/mysqld.pid"});
  db1.master_pid_file.clear();
  db1.ssh_port = 2222;
  CHECK(shutdown_script_argv(c, db1, false) ==
        Argv{"/etc/mha/power_manager", "--command=stop", "--host=db1", "--ip=10.0.0.11", "--port=3306",
             "--ssh_port=2222"});
  db1.ssh_host = "10.9.0.11";
  db1.ssh_port = 22;
  CHECK(shutdown_script_argv(c, db1, true) ==
        Argv{"/etc/mha/power_manager", "--command=stopssh", "--ssh_user=root", "--host=db1", "--ip=10.0.0.11",
             "--port=3306", "--ssh_host=10.9.0.11", "--ssh_ip=10.9.0.11"});
}

TEST_CASE("report_script argv: new master and slaves only when there is a new master", "[hooks]") {
  auto c = cluster();
  CHECK(report_script_argv(c, "db1", "db2", {"db3", "db4"}, "/etc/mhad/clusters.d/app1.toml",
                           "app1: MySQL Master failover db1(10.0.0.11:3306) to db2(10.0.0.12:3306) succeeded",
                           "line 1\nline \"2\" $(id)\n") ==
        Argv{"/etc/mha/send_report", "--orig_master_host=db1", "--new_master_host=db2", "--new_slave_hosts=db3,db4",
             "--conf=/etc/mhad/clusters.d/app1.toml",
             "--subject=app1: MySQL Master failover db1(10.0.0.11:3306) to db2(10.0.0.12:3306) succeeded",
             "--body=line 1\nline \"2\" $(id)\n"});
  CHECK(report_script_argv(c, "db1", "db2", {}, "/c", "s", "b") ==
        Argv{"/etc/mha/send_report", "--orig_master_host=db1", "--new_master_host=db2", "--new_slave_hosts=",
             "--conf=/c", "--subject=s", "--body=b"});
  CHECK(report_script_argv(c, "db1", "", {"db3"}, "/c", "s", "b") ==
        Argv{"/etc/mha/send_report", "--orig_master_host=db1", "--conf=/c", "--subject=s", "--body=b"});
}

TEST_CASE("shutdown_script exit codes: 0 powered off, 10 killed and reachable, else failed", "[hooks]") {
  ScriptDir dir;
  auto c = cluster();
  auto db1 = server("db1", "db1", "10.0.0.11");
  db1.master_pid_file = "/run/my sql.pid";

  c.shutdown_script = dir.script("off", 0);
  auto r = run_shutdown_script(c, db1, true);
  CHECK(shutdown_outcome(r) == ShutdownOutcome::powered_off);
  CHECK(ScriptDir::args_of(c.shutdown_script) ==
        Argv{"--command=stopssh", "--ssh_user=root", "--host=db1", "--ip=10.0.0.11", "--port=3306",
             "--pid_file=/run/my sql.pid"});

  c.shutdown_script = dir.script("killed", 10);
  CHECK(shutdown_outcome(run_shutdown_script(c, db1, false)) == ShutdownOutcome::killed_host_reachable);
  CHECK(ScriptDir::args_of(c.shutdown_script) ==
        Argv{"--command=stop", "--host=db1", "--ip=10.0.0.11", "--port=3306", "--pid_file=/run/my sql.pid"});

  c.shutdown_script = dir.script("broken", 1);
  r = run_shutdown_script(c, db1, false);
  CHECK(shutdown_outcome(r) == ShutdownOutcome::failed);
  CHECK(script_status_text(r, kShutdownScriptTimeout) == "exited 1");

  c.shutdown_script = (dir.dir / "missing").string();
  r = run_shutdown_script(c, db1, false);
  CHECK(shutdown_outcome(r) == ShutdownOutcome::failed);
  CHECK_FALSE(r.started);
}

TEST_CASE("report_script gets subject and body verbatim, no shell in between", "[hooks]") {
  ScriptDir dir;
  auto c = cluster();
  c.report_script = dir.script("report", 0) + " --channel '#db ops'";
  const std::string body = "Master db1 is down!\n\nIt said \"bye\"; `rm -rf /` $(id) 'x'\n";
  auto r = run_report_script(c, "db1", "db2", {"db3"}, "/etc/mhad/clusters.d/app1.toml", "app1: failover \"db1\"",
                             body);
  CHECK(r.exit_code == 0);
  CHECK(ScriptDir::args_of(dir.dir / "report") ==
        Argv{"--channel", "#db ops", "--orig_master_host=db1", "--new_master_host=db2", "--new_slave_hosts=db3",
             "--conf=/etc/mhad/clusters.d/app1.toml", "--subject=app1: failover \"db1\"", "--body=" + body});
}

TEST_CASE("secrets are scrubbed from text and logged argv", "[hooks]") {
  Secret secret("pw");
  CHECK(scrub("a pw b pwpw", secret) == "a ******** b ****************");
  CHECK(scrub("nothing", Secret()) == "nothing");
  CHECK(argv_for_log({"/s", "--new_master_password=pw"}, secret) == "/s --new_master_password=********");
  ScriptResult timed_out;
  timed_out.started = true;
  timed_out.timed_out = true;
  CHECK(script_status_text(timed_out, 60s) == "did not finish within 60 s (killed)");
}

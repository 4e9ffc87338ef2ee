#include <catch2/catch.hpp>

#include "daemon/failover/vip.h"

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

using namespace mha;
using namespace std::chrono_literals;
using Argv = std::vector<std::string>;

namespace {

// Records every command per host; answers from a per-host queue (default:
// exit 0, no output).
struct FakeNet {
  struct Call {
    std::string server;
    std::string command;
    std::chrono::milliseconds timeout;
  };
  std::vector<Call> calls;
  std::map<std::string, std::deque<Result<CommandResult>>> replies;
  std::map<std::string, int> shells_made;
  int closes = 0;

  void reply(const std::string& server, int status, std::string out, std::string err = "") {
    replies[server].push_back(CommandResult{status, std::move(out), std::move(err)});
  }
  void fail(const std::string& server, Error error) { replies[server].push_back(std::move(error)); }
};

class FakeShell final : public RemoteShell {
 public:
  FakeShell(FakeNet& net, std::string server) : m_net(net), m_server(std::move(server)) {}
  Result<CommandResult> run(std::string_view command, std::chrono::milliseconds timeout) override {
    m_net.calls.push_back({m_server, std::string(command), timeout});
    auto& queue = m_net.replies[m_server];
    if (queue.empty()) return CommandResult{0, "", ""};
    auto reply = std::move(queue.front());
    queue.pop_front();
    return reply;
  }
  void close() override { ++m_net.closes; }

 private:
  FakeNet& m_net;
  std::string m_server;
};

ShellFactory fake_shells(FakeNet& net) {
  return [&net](const ServerConfig& server) -> std::unique_ptr<RemoteShell> {
    ++net.shells_made[server.name];
    return std::make_unique<FakeShell>(net, server.name);
  };
}

ServerConfig server(const std::string& name, const std::string& ip, const std::string& ssh_user = "root") {
  ServerConfig s;
  s.name = name;
  s.host = name;
  s.ip = ip;
  s.ssh_host = name;
  s.ssh_user = ssh_user;
  return s;
}

VipConfig vip_config(bool arping = true) {
  VipConfig v;
  v.address = "10.231.0.100/24";
  v.interface = "eth0";
  v.arping = arping;
  return v;
}

const std::string kRelease =
    "PATH=\"$PATH:/usr/sbin:/sbin\"; if ip addr del 10.231.0.100/24 dev eth0; then echo removed; "
    "elif [ -z \"$(ip -o addr show dev eth0 to 10.231.0.100)\" ]; then echo absent; else exit 1; fi";
const std::string kAcquire =
    "PATH=\"$PATH:/usr/sbin:/sbin\"; if ip addr add 10.231.0.100/24 dev eth0; then echo added; "
    "elif [ -n \"$(ip -o addr show dev eth0 to 10.231.0.100)\" ]; then echo present; else exit 1; fi; "
    "if command -v arping >/dev/null 2>&1; then "
    "(arping -q -U -c 2 -I eth0 -s 10.231.0.100 10.231.0.100 || arping -q -U -c 2 -i eth0 -S 10.231.0.100 "
    "10.231.0.100) >/dev/null 2>&1 </dev/null & echo arping; else echo no-arping; fi";

}  // namespace

TEST_CASE("ShellVip command texts", "[vip]") {
  auto db1 = server("db1", "10.231.0.11");
  CHECK(ShellVip::release_command(vip_config(), db1) == kRelease);
  CHECK(ShellVip::acquire_command(vip_config(), db1) == kAcquire);
  CHECK(ShellVip::acquire_command(vip_config(false), db1) ==
        "PATH=\"$PATH:/usr/sbin:/sbin\"; if ip addr add 10.231.0.100/24 dev eth0; then echo added; "
        "elif [ -n \"$(ip -o addr show dev eth0 to 10.231.0.100)\" ]; then echo present; else exit 1; fi");

  auto mha = server("db2", "10.231.0.12", "mha");
  CHECK(ShellVip::release_command(vip_config(), mha) ==
        "PATH=\"$PATH:/usr/sbin:/sbin\"; if sudo -n ip addr del 10.231.0.100/24 dev eth0; then echo removed; "
        "elif [ -z \"$(ip -o addr show dev eth0 to 10.231.0.100)\" ]; then echo absent; else exit 1; fi");
  CHECK(ShellVip::acquire_command(vip_config(), mha).find(
            "(sudo -n arping -q -U -c 2 -I eth0 -s 10.231.0.100 10.231.0.100 || sudo -n arping -q -U -c 2 -i eth0 "
            "-S 10.231.0.100 10.231.0.100)") != std::string::npos);

  VipConfig odd = vip_config();
  odd.interface = "eth0; reboot";
  CHECK(ShellVip::release_command(odd, db1).find("dev 'eth0; reboot';") != std::string::npos);

  db1.ssh_connection_timeout = 5000ms;
  CHECK(ShellVip::release_timeout(db1) == 3000ms);
  db1.ssh_connection_timeout = 1000ms;
  CHECK(ShellVip::release_timeout(db1) == 1000ms);
  CHECK(ShellVip::acquire_timeout(db1) == 6000ms);
}

TEST_CASE("ShellVip moves the VIP with one command per host, shells reused", "[vip]") {
  FakeNet net;
  ShellVip vip(vip_config(), fake_shells(net));
  auto db1 = server("db1", "10.231.0.11");
  auto db2 = server("db2", "10.231.0.12");
  net.reply("db1", 0, "removed\n");
  net.reply("db2", 0, "added\narping\n");

  auto released = vip.release(db1, true);
  CHECK(released.ok);
  CHECK_FALSE(released.warning);
  CHECK(released.detail == "VIP 10.231.0.100/24 removed from db1 (eth0)");
  auto acquired = vip.acquire(db1, db2);
  CHECK(acquired.ok);
  CHECK_FALSE(acquired.warning);
  CHECK(acquired.detail == "VIP 10.231.0.100/24 added on db2 (eth0); gratuitous ARP sent");

  REQUIRE(net.calls.size() == 2);
  CHECK(net.calls[0].server == "db1");
  CHECK(net.calls[0].command == kRelease);
  CHECK(net.calls[0].timeout == 3000ms);
  CHECK(net.calls[1].server == "db2");
  CHECK(net.calls[1].command == kAcquire);
  CHECK(net.calls[1].timeout == 10000ms);
  CHECK(vip.describe() == "VIP 10.231.0.100/24 on eth0 (built in: ip addr over SSH, gratuitous ARP); last placed on db2");

  // A second acquire (retry) on the same host reuses its shell.
  net.reply("db2", 0, "present\nno-arping\n");
  acquired = vip.acquire(db1, db2);
  CHECK(acquired.ok);
  CHECK(acquired.detail ==
        "VIP 10.231.0.100/24 was already on db2 (eth0); arping not installed on db2: clients' ARP caches update "
        "on their own");
  CHECK(net.shells_made["db2"] == 1);
}

TEST_CASE("ShellVip: an address that is not there counts as released", "[vip]") {
  FakeNet net;
  ShellVip vip(vip_config(), fake_shells(net));
  auto db1 = server("db1", "10.231.0.11");

  net.reply("db1", 0, "absent\n", "Error: ipv4: Address not found.\n");
  auto r = vip.release(db1, true);
  CHECK(r.ok);
  CHECK_FALSE(r.warning);
  CHECK(r.detail == "VIP 10.231.0.100/24 was not on db1 (eth0)");

  // Older iproute2, or a shell that only ran `ip addr del`.
  net.reply("db1", 2, "", "RTNETLINK answers: Cannot assign requested address\n");
  r = vip.release(db1, true);
  CHECK(r.ok);
  CHECK_FALSE(r.warning);
  CHECK(r.detail == "VIP 10.231.0.100/24 was not on db1 (eth0)");

  net.reply("db1", 1, "", "RTNETLINK answers: Operation not permitted\n");
  r = vip.release(db1, true);
  CHECK_FALSE(r.ok);
  CHECK(r.detail ==
        "could not remove VIP 10.231.0.100/24 from db1 (eth0): exit status 1: RTNETLINK answers: Operation not "
        "permitted");
}

TEST_CASE("ShellVip: an unreachable old master gives a warning and no SSH attempt", "[vip]") {
  FakeNet net;
  ShellVip vip(vip_config(), fake_shells(net));
  auto db1 = server("db1", "10.231.0.11");
  auto r = vip.release(db1, false);
  CHECK(r.ok);
  CHECK(r.warning);
  CHECK(r.detail == "VIP 10.231.0.100/24 may still be on db1 (eth0): host unreachable over SSH");
  CHECK(net.calls.empty());

  // Reachable a moment ago, but the command cannot get through now.
  net.fail("db1", make_error(Errc::timeout, "ssh db1: command did not finish within 3000 ms"));
  r = vip.release(db1, true);
  CHECK(r.ok);
  CHECK(r.warning);
  CHECK(r.detail == "VIP 10.231.0.100/24 may still be on db1 (eth0): ssh db1: command did not finish within 3000 ms");
  CHECK(net.closes == 1);
}

TEST_CASE("ShellVip: acquire failures stop the failover", "[vip]") {
  FakeNet net;
  ShellVip vip(vip_config(), fake_shells(net));
  auto db1 = server("db1", "10.231.0.11");
  auto db2 = server("db2", "10.231.0.12");

  net.reply("db2", 2, "", "RTNETLINK answers: File exists\n");
  auto r = vip.acquire(db1, db2);
  CHECK(r.ok);
  CHECK(r.detail == "VIP 10.231.0.100/24 was already on db2 (eth0)");

  net.reply("db2", 1, "", "Cannot find device \"eth0\"\n");
  r = vip.acquire(db1, db2);
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "could not add VIP 10.231.0.100/24 on db2 (eth0): exit status 1: Cannot find device \"eth0\"");

  net.fail("db2", make_error(Errc::network, "ssh db2: connection refused"));
  r = vip.acquire(db1, db2);
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "could not add VIP 10.231.0.100/24 on db2 (eth0): ssh db2: connection refused");
}

namespace {

struct ScriptDir {
  std::filesystem::path dir;
  ScriptDir() {
    std::string templ = "/tmp/mhad-vip-XXXXXX";
    char* made = ::mkdtemp(templ.data());
    REQUIRE(made != nullptr);
    dir = made;
  }
  ~ScriptDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  // Writes its argv NUL-separated to "<script>.args", echoes it all (the
  // password too: that must not reach a VipOutcome), exits with `code`.
  std::string script(const std::string& name, int code) const {
    auto path = dir / name;
    std::ofstream(path) << "#!/bin/sh\nprintf '%s\\0' \"$@\" > \"$0.args\"\necho \"args: $*\"\nexit " << code << "\n";
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

ClusterConfig script_cluster(const std::string& script) {
  ClusterConfig c;
  c.name = "app1";
  c.user = "mha";
  c.password = Secret("Pa55 w'rd");
  c.master_ip_failover_script = script;
  return c;
}

}  // namespace

TEST_CASE("ScriptVip: MHA's argv arrives exactly; exit 0 ok", "[vip]") {
  ScriptDir dir;
  auto script = dir.script("ok", 0);
  ScriptVip vip(script_cluster(script));
  auto db1 = server("db1", "10.231.0.11");
  auto db2 = server("db2", "10.231.0.12", "admin");
  db2.ssh_port = 2222;

  auto r = vip.release(db1, true);
  CHECK(r.ok);
  CHECK_FALSE(r.warning);
  CHECK(ScriptDir::args_of(script) == Argv{"--orig_master_host=db1", "--orig_master_ip=10.231.0.11",
                                            "--orig_master_port=3306", "--command=stopssh", "--ssh_user=root"});
  CHECK(r.detail.rfind("master_ip_failover_script --command=stopssh for db1: exited 0\nargs: ", 0) == 0);

  r = vip.release(db1, false);
  CHECK(r.ok);
  CHECK(ScriptDir::args_of(script) == Argv{"--orig_master_host=db1", "--orig_master_ip=10.231.0.11",
                                            "--orig_master_port=3306", "--command=stop"});

  r = vip.acquire(db1, db2);
  CHECK(r.ok);
  CHECK(ScriptDir::args_of(script) ==
        Argv{"--command=start", "--ssh_user=admin", "--orig_master_host=db1", "--orig_master_ip=10.231.0.11",
             "--orig_master_port=3306", "--new_master_host=db2", "--new_master_ip=10.231.0.12",
             "--new_master_port=3306", "--new_master_user=mha", "--new_master_ssh_port=2222",
             "--new_master_password=Pa55 w'rd"});
  CHECK(r.detail.find("Pa55") == std::string::npos);
  CHECK(r.detail.find("--new_master_password=********") != std::string::npos);
  CHECK(vip.describe() == "master_ip_failover_script " + script + "; last placed on db2");
}

TEST_CASE("ScriptVip: exit 10 proceeds with a warning, 1 fails with the output, password scrubbed", "[vip]") {
  ScriptDir dir;
  auto db1 = server("db1", "10.231.0.11");
  auto db2 = server("db2", "10.231.0.12");

  ScriptVip warn(script_cluster(dir.script("warn", 10)));
  auto r = warn.acquire(db1, db2);
  CHECK(r.ok);
  CHECK(r.warning);
  CHECK(r.detail.rfind("master_ip_failover_script --command=start for db2: exited 10 (proceeding with a warning)\n",
                       0) == 0);
  CHECK(r.detail.find("Pa55") == std::string::npos);

  ScriptVip fail(script_cluster(dir.script("fail", 1)));
  r = fail.acquire(db1, db2);
  CHECK_FALSE(r.ok);
  CHECK_FALSE(r.warning);
  CHECK(r.detail.rfind("master_ip_failover_script --command=start for db2: exited 1\nargs: --command=start", 0) == 0);
  CHECK(r.detail.find("Pa55") == std::string::npos);
  CHECK(r.detail.find("w'rd") == std::string::npos);
  r = fail.release(db1, true);
  CHECK_FALSE(r.ok);

  // status: only 0 is OK (MHA's startup check).
  CHECK_FALSE(warn.status(db1).ok);
  CHECK(ScriptDir::args_of(dir.dir / "warn") == Argv{"--command=status", "--ssh_user=root", "--orig_master_host=db1",
                                                      "--orig_master_ip=10.231.0.11", "--orig_master_port=3306"});

  ScriptVip missing(script_cluster((dir.dir / "nope").string()));
  r = missing.release(db1, true);
  CHECK_FALSE(r.ok);
  CHECK(r.detail.find("cannot run") != std::string::npos);
}

TEST_CASE("ScriptVip passes the ssh reachability of release on to start's --ssh_options", "[vip]") {
  ScriptDir dir;
  auto script = dir.script("ok", 0);
  ScriptVip vip(script_cluster(script));
  auto db1 = server("db1", "10.231.0.11");
  db1.ssh_options = "-o Port=22";
  auto db2 = server("db2", "10.231.0.12");
  CHECK(vip.release(db1, false).ok);
  CHECK(vip.acquire(db1, db2).ok);
  auto args = ScriptDir::args_of(script);
  REQUIRE(args.size() >= 2);
  CHECK(args[args.size() - 2].rfind("--ssh_options=-o StrictHostKeyChecking=no", 0) == 0);
}

TEST_CASE("make_vip: the script wins over [vip]; neither gives nullptr", "[vip]") {
  FakeNet net;
  ClusterConfig c;
  CHECK(make_vip(c, fake_shells(net)) == nullptr);
  c.vip = vip_config();
  auto shell = make_vip(c, fake_shells(net));
  REQUIRE(shell);
  CHECK(dynamic_cast<ShellVip*>(shell.get()) != nullptr);
  c.master_ip_failover_script = "/etc/mha/master_ip_failover";
  auto script = make_vip(c, fake_shells(net));
  REQUIRE(script);
  CHECK(dynamic_cast<ScriptVip*>(script.get()) != nullptr);
  CHECK(script->describe() ==
        "master_ip_failover_script /etc/mha/master_ip_failover ([vip] is configured too and ignored: the script "
        "wins)");
}

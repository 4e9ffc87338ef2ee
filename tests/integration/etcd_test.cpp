// Manager HA on etcd against the real loopback sandbox and a real 3-member
// etcd (sandbox.sh etcd-start): three mhad watch one cluster, one acts.
// ping_interval is 2 s, so a takeover must come within 4 s.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "integration/etcd_support.h"
#include "integration/failover_support.h"

using namespace mha;
using namespace mha::it;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const char* const k_names[] = {"mha1", "mha2", "mha3"};

struct Instances {
  std::map<std::string, std::unique_ptr<Mhad>> by_name;
  std::vector<Mhad*> all() const {
    std::vector<Mhad*> out;
    for (const auto& [name, m] : by_name) out.push_back(m.get());
    return out;
  }
  std::vector<Mhad*> all_but(const std::string& name) const {
    std::vector<Mhad*> out;
    for (const auto& [n, m] : by_name)
      if (n != name) out.push_back(m.get());
    return out;
  }
  std::string logs() const {
    std::string out;
    for (const auto& [name, m] : by_name) out += "---- " + name + "\n" + m->log();
    return out;
  }
  // How many instances logged the start of a failover.
  int failovers_started() const {
    int n = 0;
    for (const auto& [name, m] : by_name)
      for (auto at = m->log().find("failover of 'sandbox' starting"); at != std::string::npos;
           at = m->log().find("failover of 'sandbox' starting", at + 1))
        ++n;
    return n;
  }
};

Instances start_instances(const EtcdSandbox& etcd, int count) {
  Instances out;
  for (int i = 0; i < count; ++i) {
    auto m = std::make_unique<Mhad>(etcd_config_dir(k_names[i], etcd));
    REQUIRE(m->start());
    out.by_name[k_names[i]] = std::move(m);
  }
  return out;
}

// Exactly one active, and every instance names it.
std::string wait_for_one_active(const std::vector<Mhad*>& instances, std::chrono::milliseconds limit) {
  std::string active;
  wait_until(limit, [&] {
    active = single_active(instances);
    if (active.empty()) return false;
    for (const Mhad* m : instances)
      if (coordination_of(*m).value("active", "") != active) return false;
    return true;
  });
  return active;
}

// mha1 on its own config dir, active; then mha2 on the plain one, standby.
Instances mha1_active_then_mha2(const std::string& dir1, const EtcdSandbox& etcd) {
  Instances mhad;
  mhad.by_name["mha1"] = std::make_unique<Mhad>(dir1);
  REQUIRE(mhad.by_name["mha1"]->start());
  REQUIRE(wait_for_one_active(mhad.all(), 20s) == "mha1");
  mhad.by_name["mha2"] = std::make_unique<Mhad>(etcd_config_dir("mha2", etcd));
  REQUIRE(mhad.by_name["mha2"]->start());
  REQUIRE(wait_for_one_active(mhad.all(), 10s) == "mha1");
  return mhad;
}

}  // namespace

TEST_CASE("three mhad on etcd: one acts; kill -9 it and another takes over within 2 x ping_interval; then one "
          "failover, no acknowledged write lost",
          "[integration][etcd]") {
  FreshSandboxAfter rebuild;  // last out: after the instances and etcd
  EtcdSandbox etcd;
  Instances mhad = start_instances(etcd, 3);
  const std::string first = wait_for_one_active(mhad.all(), 20s);
  REQUIRE_FALSE(first.empty());
  auto c = coordination_of(*mhad.by_name[first]);
  CHECK(c["this_instance"] == first);
  CHECK_FALSE(c["since"].get<std::string>().empty());

  // A standby refuses a changing command and names the active instance.
  const std::string standby = first == "mha1" ? "mha2" : "mha1";
  auto refused = run(mhactl_path() + " --socket " + mhad.by_name[standby]->socket() + " maintenance on -c sandbox");
  CHECK(refused.exit_code != 0);
  CHECK(refused.out.find("the active instance is '" + first + "'") != std::string::npos);
  auto table = run(mhactl_path() + " --socket " + mhad.by_name[standby]->socket() + " status");
  CHECK(table.out.find("coordination: standby (this instance '" + standby + "'); active: '" + first + "'") !=
        std::string::npos);

  mhad.by_name[first]->signal(SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  std::string second;
  wait_until(10s, [&] { return !(second = single_active(mhad.all_but(first))).empty(); });
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed);
  REQUIRE_FALSE(second.empty());
  WARN("kill -9 of the active mhad '" << first << "' -> '" << second << "' active in " << took.count() << " ms");
  CHECK(took <= 4s);

  // The new active one fails the master over, once; the standby does not.
  std::this_thread::sleep_for(2s);
  auto acked = kill_master_under_load();
  Mhad& active = *mhad.by_name[second];
  json failover;
  if (!wait_until(45s, [&] { return !(failover = last_failover(active.status())).is_null(); })) FAIL(mhad.logs());
  CHECK(failover["result"] == "completed");
  check_outcome(acked, "slave1", active);
  std::this_thread::sleep_for(3s);  // a second failover, if any, would have started by now
  CHECK(mhad.failovers_started() == 1);
  for (Mhad* m : mhad.all_but(first))
    if (m != &active) CHECK(last_failover(m->status()).is_null());
}

TEST_CASE("etcd loses one member: nothing changes; loses quorum: nobody acts, status says why; quorum back: one "
          "instance fails over, once",
          "[integration][etcd]") {
  FreshSandboxAfter rebuild;
  EtcdSandbox etcd;
  Instances mhad = start_instances(etcd, 2);
  const std::string first = wait_for_one_active(mhad.all(), 20s);
  REQUIRE_FALSE(first.empty());

  REQUIRE(run(sandbox_script() + " etcd-kill 0").exit_code == 0);
  std::this_thread::sleep_for(4s);
  CHECK(wait_for_one_active(mhad.all(), 2s) == first);

  REQUIRE(run(sandbox_script() + " etcd-kill 1").exit_code == 0);  // 1 of 3 left: no quorum
  REQUIRE(wait_until(6s, [&] { return single_active(mhad.all()).empty(); }));
  for (Mhad* m : mhad.all()) {
    auto c = coordination_of(*m);
    CHECK(c["role"] == "standby");
    CHECK_FALSE(c.value("problem", "").empty());
  }
  // The master dies meanwhile: detected (monitoring goes on), not failed over.
  auto acked = kill_master_under_load();
  REQUIRE(wait_until(15s, [&] {
    auto s = mhad.by_name[first]->status();
    return s.is_object() && s["clusters"][0]["detection"].value("verdict", "").rfind("dead", 0) == 0;
  }));
  std::this_thread::sleep_for(2s);
  CHECK(mhad.failovers_started() == 0);

  REQUIRE(run(sandbox_script() + " etcd-start").exit_code == 0);
  std::string active;
  REQUIRE(wait_until(20s, [&] { return !(active = single_active(mhad.all())).empty(); }));
  json failover;
  const bool failed_over =
      wait_until(45s, [&] { return !(failover = last_failover(mhad.by_name[active]->status())).is_null(); });
  if (!failed_over) FAIL(mhad.logs());
  CHECK(failover["result"] == "completed");
  check_outcome(acked, "slave1", *mhad.by_name[active]);
  std::this_thread::sleep_for(3s);
  CHECK(mhad.failovers_started() == 1);
}

TEST_CASE("the active mhad dies in the middle of a failover: the new active one finishes it where that is safe, "
          "else parks it in needs_operator; never two failovers, never two writable masters",
          "[integration][etcd]") {
  // Every phase boundary: the failpoint fires right after the phase was
  // persisted (in etcd too) and before the phase starts.
  const std::string phase = GENERATE(as<std::string>(), "check", "fence", "recover_master", "recover_replicas", "finish");
  CAPTURE(phase);
  // Promotion happens in recover_master: before it nobody may be writable,
  // after it exactly the promoted replica.
  const bool promoted = phase == "recover_replicas" || phase == "finish";
  // The takeover rule (daemon/failover/failover_resume.h): before the fence
  // the new active one fails over by itself; after the promotion it finishes
  // the failover; in between it parks.
  const bool parks = phase == "fence" || phase == "recover_master";
  FreshSandboxAfter rebuild;
  EtcdSandbox etcd;
  // mha1 alone first, so that it is the active one; it exits right after
  // persisting `phase` (the test build's failpoint), as a crash would.
  Instances mhad;
  mhad.by_name["mha1"] = std::make_unique<Mhad>(etcd_config_dir("mha1", etcd));
  REQUIRE(mhad.by_name["mha1"]->start({{"MHAD_TEST_CRASH_AT_PHASE", phase}}));
  REQUIRE(wait_for_one_active(mhad.all(), 20s) == "mha1");
  mhad.by_name["mha2"] = std::make_unique<Mhad>(etcd_config_dir("mha2", etcd));
  REQUIRE(mhad.by_name["mha2"]->start());
  REQUIRE(wait_for_one_active(mhad.all(), 10s) == "mha1");

  auto acked = kill_master_under_load();
  REQUIRE(mhad.by_name["mha1"]->wait_exit(30s) != -1);
  const auto crashed = std::chrono::steady_clock::now();
  Mhad& second = *mhad.by_name["mha2"];
  Mhad& first = *mhad.by_name["mha1"];
  if (!wait_until(10s, [&] { return single_active({&second}) == "mha2"; })) FAIL(mhad.logs());
  INFO(mhad.logs());
  json status;
  if (parks) {
    REQUIRE(wait_until(5s, [&] {
      status = second.status();
      return status.is_object() && status["clusters"][0]["needs_operator"].is_string();
    }));
    CHECK(status["clusters"][0]["needs_operator"].get<std::string>().find("in phase '" + phase + "'") !=
          std::string::npos);
    CHECK(second.log().find("the last active instance left a failover in phase '" + phase + "'") !=
          std::string::npos);
    std::this_thread::sleep_for(3s);
    CHECK(last_failover(second.status()).is_null());
  } else {
    json failover;
    REQUIRE(wait_until(30s, [&] { return !(failover = last_failover(second.status())).is_null(); }));
    WARN("crash before '" << phase << "': mha2 finished the failover "
                          << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                                    crashed)
                                 .count()
                          << " ms after mha1 exited");
    CHECK(failover["result"] == "completed");
    CHECK(failover["new_master"] == "slave1");
    CHECK(second.status()["clusters"][0]["needs_operator"].is_null());
    check_outcome(acked, "slave1", second);
    std::this_thread::sleep_for(3s);  // a second failover, if any, would have started by now
  }
  // Never two failovers: mha1 started one; mha2 starts its own only when
  // mha1 had changed nothing (crash before check), and resumes, not starts,
  // after a promotion.
  const auto started = [](const Mhad& m) {
    int n = 0;
    for (auto at = m.log().find("failover of 'sandbox' starting"); at != std::string::npos;
         at = m.log().find("failover of 'sandbox' starting", at + 1))
      ++n;
    return n;
  };
  CHECK(started(first) == 1);
  CHECK(started(second) == (phase == "check" ? 1 : 0));
  CHECK((second.log().find("failover of 'sandbox' resuming in phase '" + phase + "'") != std::string::npos) ==
        promoted);
  // What an operator looks at: which live server takes writes.
  const bool slave1_writable = sandbox_sql(1, "SELECT @@read_only") == "0";
  const bool slave2_writable = sandbox_sql(2, "SELECT @@read_only") == "0";
  CHECK_FALSE(slave2_writable);
  CHECK(slave1_writable == (promoted || phase == "check"));
  // The old master stays in the fenced set once anyone may have been promoted.
  if (phase != "fence") {
    auto fenced = second.status()["clusters"][0]["awaiting_rejoin"];
    CHECK(fenced == json::array({"master"}));
  }
}

TEST_CASE("the active mhad is cut off from etcd (its one member frozen) while the master dies: it does not act; "
          "another does, once",
          "[integration][etcd]") {
  FreshSandboxAfter rebuild;
  EtcdSandbox etcd;
  // mha1 reaches etcd through member 0 only; mha2 through all three.
  const std::string dir1 = etcd_config_dir("mha1", etcd);
  run("sed -i 's|^etcd_endpoints = .*|etcd_endpoints = [\"http://127.0.0.1:23791\"]|' '" + dir1 + "/mhad.toml'");
  Instances mhad = mha1_active_then_mha2(dir1, etcd);

  // SIGSTOP: connections to the member hang, as across a partition; the
  // other two keep quorum.
  REQUIRE(run(sandbox_script() + " etcd-kill 0 STOP").exit_code == 0);
  struct Thaw {
    ~Thaw() { run(sandbox_script() + " etcd-kill 0 CONT"); }
  } thaw;
  Mhad& cut_off = *mhad.by_name["mha1"];
  Mhad& other = *mhad.by_name["mha2"];
  const auto frozen = std::chrono::steady_clock::now();
  REQUIRE(wait_until(5s, [&] { return coordination_of(cut_off).value("role", "") == "standby"; }));
  const auto stopped_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - frozen).count();
  WARN("the cut-off active mhad stopped acting " << stopped_ms << " ms after its etcd member froze");
  CHECK_FALSE(coordination_of(cut_off).value("problem", "").empty());
  if (!wait_until(10s, [&] { return single_active({&other}) == "mha2"; })) FAIL(mhad.logs());

  auto acked = kill_master_under_load();
  json failover;
  if (!wait_until(45s, [&] { return !(failover = last_failover(other.status())).is_null(); })) FAIL(mhad.logs());
  CHECK(failover["result"] == "completed");
  check_outcome(acked, "slave1", other);
  std::this_thread::sleep_for(3s);
  CHECK(mhad.failovers_started() == 1);
  CHECK(cut_off.log().find("failover of 'sandbox' starting") == std::string::npos);
  CHECK(last_failover(cut_off.status()).is_null());
}

TEST_CASE("ping_type = insert on etcd: a standby's checks only read; once active it writes the heartbeat row",
          "[integration][etcd]") {
  FreshSandboxAfter rebuild;
  EtcdSandbox etcd;
  // mha1 (SELECT ping) is the active one; mha2, the standby, has ping_type =
  // "insert": any heartbeat row written while mha1 is active is mha2's.
  Instances mhad;
  mhad.by_name["mha1"] = std::make_unique<Mhad>(etcd_config_dir("mha1", etcd));
  REQUIRE(mhad.by_name["mha1"]->start());
  REQUIRE(wait_for_one_active(mhad.all(), 20s) == "mha1");
  const std::string dir2 = etcd_config_dir("mha2", etcd);
  REQUIRE(run("sed -i 's/^ping_interval = .*/&\\nping_type = \"insert\"/' '" + dir2 + "/clusters.d/sandbox.toml'")
              .exit_code == 0);
  REQUIRE(run("grep -q '^ping_type = \"insert\"' '" + dir2 + "/clusters.d/sandbox.toml'").exit_code == 0);
  mhad.by_name["mha2"] = std::make_unique<Mhad>(dir2);
  Mhad& standby = *mhad.by_name["mha2"];
  REQUIRE(standby.start());
  REQUIRE(wait_for_one_active(mhad.all(), 10s) == "mha1");
  INFO(mhad.logs());
  // The row's time, "none" while there is no row (or no table: it is
  // created at the first write).
  auto beat = [] {
    if (sandbox_sql(0, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='mhad' AND "
                       "TABLE_NAME='heartbeat'") == "0")
      return std::string("none");
    return sandbox_sql(0, "SELECT IFNULL(MAX(ts), 'none') FROM mhad.heartbeat");
  };
  const std::string before = beat();
  // Three of the standby's check cycles (ping_interval 2 s), each one live.
  std::this_thread::sleep_for(6s);
  auto s = standby.status();
  REQUIRE(s.is_object());
  CHECK(s["clusters"][0]["master"] == "master");
  CHECK(coordination_of(standby).value("role", "") == "standby");
  CHECK(beat() == before);

  // Active now: its INSERT ping writes (a control: the standby really had
  // the insert ping configured).
  mhad.by_name["mha1"]->signal(SIGKILL);
  REQUIRE(wait_until(10s, [&] { return single_active({&standby}) == "mha2"; }));
  CHECK(wait_until(10s, [&] { return beat() != before; }));
}

namespace {

// TCP forwarders (socat), "LISTEN_ADDR:PORT" -> "TARGET_ADDR:PORT", all in
// one process group of their own. cut() kills the group by its id (the
// listeners and the children carrying open connections); the destructor
// cuts too, pass or fail.
struct TcpForwarders {
  pid_t group = 0;
  explicit TcpForwarders(const std::vector<std::pair<std::string, std::string>>& routes) {
    std::string script;
    for (const auto& [from, to] : routes) {
      const auto colon = from.rfind(':');
      script += fmt::format("socat TCP-LISTEN:{},bind={},fork,reuseaddr TCP:{} & ", from.substr(colon + 1),
                            from.substr(0, colon), to);
    }
    script += "wait";
    // Their complaints (a connection cut) go to a file, not the test's output.
    script = "exec >>'" + sandbox_dir() + "/socat.log' 2>&1; " + script;
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setpgid(0, 0);
      ::execl("/bin/bash", "bash", "-c", script.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    REQUIRE(pid > 0);
    ::setpgid(pid, pid);
    group = pid;
    REQUIRE(wait_until(5s, [&] {
      for (const auto& [from, to] : routes) {
        const auto colon = from.rfind(':');
        if (run(fmt::format("timeout 1 bash -c '</dev/tcp/{}/{}'", from.substr(0, colon), from.substr(colon + 1)))
                .exit_code != 0)
          return false;
      }
      return true;
    }));
  }
  void cut() {
    if (group <= 0) return;
    ::kill(-group, SIGKILL);
    ::waitpid(group, nullptr, 0);
    group = 0;
  }
  ~TcpForwarders() { cut(); }
};

// The three servers' SQL at 127.0.0.2X:3306.
std::vector<std::pair<std::string, std::string>> sql_routes() {
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 1; i <= 3; ++i) out.emplace_back(fmt::format("127.0.0.2{}:3306", i), fmt::format("127.0.0.1{}:3306", i));
  return out;
}

// iptables DROP of every packet to `addresses` (OUTPUT: loopback traffic
// passes it once), removed when the guard ends, pass or fail.
struct DropPackets {
  std::vector<std::string> addresses;
  bool applied = false;
  explicit DropPackets(std::vector<std::string> to) : addresses(std::move(to)) {}
  void apply() {
    applied = true;
    for (const auto& a : addresses) REQUIRE(run("iptables -w -I OUTPUT -d " + a + "/32 -j DROP").exit_code == 0);
  }
  ~DropPackets() {
    if (applied)
      for (const auto& a : addresses) run("iptables -w -D OUTPUT -d " + a + "/32 -j DROP");
  }
};

}  // namespace

TEST_CASE("an active mhad that reaches none of the cluster's servers releases the leader key; the other takes it "
          "and fails over, once",
          "[integration][etcd]") {
  FreshSandboxAfter rebuild;
  EtcdSandbox etcd;
  TcpForwarders forwarders(sql_routes());
  // mha1 reaches the servers' SQL through the forwarders only (ip = the
  // forwarder's address; host and SSH stay the real ones).
  const std::string dir1 = etcd_config_dir("mha1", etcd);
  REQUIRE(run("sed -i -E 's/^host = \"127\\.0\\.0\\.1([1-3])\"/&\\nip = \"127.0.0.2\\1\"/' '" + dir1 +
              "/clusters.d/sandbox.toml'")
              .exit_code == 0);
  REQUIRE(run("grep -c '^ip = \"127.0.0.2' '" + dir1 + "/clusters.d/sandbox.toml'").out.rfind("3", 0) == 0);
  Instances mhad = mha1_active_then_mha2(dir1, etcd);
  Mhad& blind = *mhad.by_name["mha1"];
  Mhad& other = *mhad.by_name["mha2"];
  INFO(mhad.logs());

  forwarders.cut();
  const auto cut = std::chrono::steady_clock::now();
  REQUIRE(wait_until(15s, [&] { return single_active(mhad.all()) == "mha2"; }));
  WARN("blind active mhad -> the other one active in "
       << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - cut).count()
       << " ms");
  CHECK(blind.log().find("leadership released") != std::string::npos);
  // At the release and at every poll after it while it stays blind.
  CHECK(coordination_of(blind).value("problem", "").find("none of the cluster's servers answers this instance") !=
        std::string::npos);
  // Blind, it neither acted nor campaigns again.
  std::this_thread::sleep_for(4s);
  CHECK(single_active(mhad.all()) == "mha2");
  CHECK(coordination_of(blind).value("active", "") == "mha2");
  CHECK(mhad.failovers_started() == 0);
  CHECK(sandbox_sql(0, "SELECT @@read_only") == "0");

  // The master dies: the instance that sees the servers fails over, once.
  auto acked = kill_master_under_load();
  json failover;
  if (!wait_until(45s, [&] { return !(failover = last_failover(other.status())).is_null(); })) FAIL(mhad.logs());
  CHECK(failover["result"] == "completed");
  check_outcome(acked, "slave1", other);
  std::this_thread::sleep_for(3s);
  CHECK(mhad.failovers_started() == 1);
  CHECK(blind.log().find("failover of 'sandbox' starting") == std::string::npos);
}

// No ": " far into a test name: Catch2 v2 indents the wrapped lines of a
// header to just after the first ": ", and loops forever printing it when
// that is past the console width (seen: 20 MB of output a second).
TEST_CASE("partitioned from etcd by iptables while the master dies, the active mhad does not act; another does, once",
          "[integration][etcd]") {
  FreshSandboxAfter rebuild;
  EtcdSandbox etcd;
  // mha1 reaches the three etcd members only through 127.0.0.3X (forwarders
  // to the members' 127.0.0.1:2379X), so that dropping the packets to those
  // addresses cuts it, and only it, from etcd; its databases stay reachable.
  std::vector<std::pair<std::string, std::string>> routes;
  std::vector<std::string> etcd_aliases;
  std::string endpoints;
  for (int i = 1; i <= 3; ++i) {
    routes.emplace_back(fmt::format("127.0.0.3{}:2379{}", i, i), fmt::format("127.0.0.1:2379{}", i));
    etcd_aliases.push_back(fmt::format("127.0.0.3{}", i));
    endpoints += fmt::format("{}\"http://127.0.0.3{}:2379{}\"", i == 1 ? "" : ", ", i, i);
  }
  TcpForwarders forwarders(routes);
  DropPackets partition(etcd_aliases);
  const std::string dir1 = etcd_config_dir("mha1", etcd);
  REQUIRE(run("sed -i 's|^etcd_endpoints = .*|etcd_endpoints = [" + endpoints + "]|' '" + dir1 + "/mhad.toml'")
              .exit_code == 0);
  Instances mhad = mha1_active_then_mha2(dir1, etcd);
  Mhad& cut_off = *mhad.by_name["mha1"];
  Mhad& other = *mhad.by_name["mha2"];
  INFO(mhad.logs());

  // The partition and the master's death at once: mha1's detector sees the
  // death (its databases are reachable), but it must not act on it.
  partition.apply();
  const auto cut = std::chrono::steady_clock::now();
  auto acked = kill_master_under_load();
  json failover;
  if (!wait_until(45s, [&] { return !(failover = last_failover(other.status())).is_null(); })) FAIL(mhad.logs());
  // What mha1 logged about a failover, for the record: at most 10 lines of
  // at most 200 characters, read from one copy of its log.
  std::string attempts;
  {
    std::istringstream lines(cut_off.log());
    int kept = 0;
    for (std::string line; kept < 10 && std::getline(lines, line);)
      if (line.find("failover") != std::string::npos) {
        attempts += line.substr(0, 200) + "\n";
        ++kept;
      }
  }
  WARN("partition + master killed -> mha2's failover reported after "
       << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - cut).count()
       << " ms; mha1 logged:\n" << attempts);
  CHECK(failover["result"] == "completed");
  check_outcome(acked, "slave1", other);
  std::this_thread::sleep_for(3s);
  CHECK(coordination_of(cut_off).value("role", "") == "standby");
  CHECK_FALSE(coordination_of(cut_off).value("problem", "").empty());
  // mha1 changed nothing: no phase of a failover started there (a failover
  // it began is stopped by the state write to etcd before its check).
  CHECK(cut_off.log().find("failover phase 'fence' started") == std::string::npos);
  CHECK(cut_off.log().find("failover phase 'check' started") == std::string::npos);
  int fences = 0;
  for (auto at = other.log().find("failover phase 'fence' started"); at != std::string::npos;
       at = other.log().find("failover phase 'fence' started", at + 1))
    ++fences;
  CHECK(fences == 1);
}

TEST_CASE("etcd over https with client certificates and authentication: mhad acts as its etcd user; with a wrong "
          "password it does not, and says why",
          "[integration][etcd][etcd_tls]") {
  FreshSandboxAfter rebuild;
  EtcdSandbox etcd("--tls --auth");
  REQUIRE(etcd.endpoints.rfind("https://", 0) == 0);
  REQUIRE_FALSE(etcd.password_file.empty());
  Mhad good(etcd_config_dir("mha1", etcd));
  // The same instance's config with another password for user mhad.
  const std::string bad_dir = etcd_config_dir("mha2", etcd);
  const std::string wrong = bad_dir + "/wrong-etcd.password";
  REQUIRE(run("umask 077; echo not-the-password > '" + wrong + "' && sed -i 's|^etcd_password_file = .*|"
              "etcd_password_file = \"" + wrong + "\"|' '" + bad_dir + "/mhad.toml'")
              .exit_code == 0);
  Mhad bad(bad_dir);
  REQUIRE(good.start());
  REQUIRE(bad.start());

  REQUIRE(wait_until(20s, [&] { return coordination_of(good).value("role", "") == "active"; }));
  CHECK(coordination_of(good).value("this_instance", "") == "mha1");
  // The leader key was written through TLS and auth, under the user's prefix.
  auto key = run(fmt::format("ETCDCTL_API=3 etcdctl --endpoints {} --cacert {} --cert {} --key {} --user "
                             "\"root:$(cat '{}/../root.password')\" get --print-value-only /mhad/sandbox/leader",
                             etcd.endpoints, etcd.ca, etcd.cert, etcd.key, etcd.ca.substr(0, etcd.ca.rfind('/'))));
  INFO(key.out);
  CHECK(key.exit_code == 0);
  CHECK(key.out.find("mha1") != std::string::npos);

  // The instance with the wrong password never acts; its status and its log
  // name the refusal, never the password.
  std::this_thread::sleep_for(4s);
  const json refused = coordination_of(bad);
  INFO(refused.dump());
  CHECK(refused.value("role", "") != "active");
  CHECK(refused.value("problem", "").find("refused user 'mhad'") != std::string::npos);
  CHECK(coordination_of(good).value("active", "") == "mha1");
  const std::string log = bad.log();
  INFO(log.substr(log.size() > 3000 ? log.size() - 3000 : 0));
  CHECK(log.find("refused user 'mhad'") != std::string::npos);
  CHECK(log.find("not-the-password") == std::string::npos);
  CHECK(good.log().find(run("cat '" + etcd.password_file + "'").out.substr(0, 12)) == std::string::npos);
}

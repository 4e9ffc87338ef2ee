// `mhactl check` against the real sandbox: a replica stopped by hand and an
// errant transaction written on another replica both FAIL with their fix
// (exit 2); repaired as the fixes say, the check passes (exit 0).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "integration/harness.h"

using namespace mha::it;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json row(const json& report, const std::string& check, const std::string& server) {
  for (const auto& r : report["clusters"][0]["rows"])
    if (r["check"] == check && r["server"] == server) return r;
  return nullptr;
}

}  // namespace

TEST_CASE("mhactl check: stopped replication and an errant transaction FAIL with fixes; repaired, all OK",
          "[integration][check]") {
  Mhad mhad(sandbox_dir() + "/mhad");
  REQUIRE(mhad.start());
  REQUIRE(wait_until(15s, [&] {
    auto s = mhad.status();
    return s.is_object() && s["clusters"][0]["health"] == "ok";
  }));
  std::string ctl = mhactl_path() + " --socket " + mhad.socket() + " check";
  auto clean = run(ctl);
  INFO(clean.out);
  REQUIRE(clean.exit_code == 0);

  sandbox_sql(2, "STOP SLAVE");
  sandbox_sql(1, "CREATE TABLE mha_test.errant_write (id INT PRIMARY KEY)");  // root may write on a read_only replica
  std::string errant = sandbox_sql(1, "SELECT @@gtid_binlog_pos");
  auto broken = run(ctl);
  auto report = json::parse(run(ctl + " --json").out, nullptr, false);
  INFO(broken.out);
  CHECK(broken.exit_code == 2);
  REQUIRE_FALSE(report.is_discarded());
  auto stopped = row(report, "replication_threads", "slave2");
  CHECK(stopped["result"] == "fail");
  CHECK(stopped["fix"].get<std::string>().find("START SLAVE") != std::string::npos);
  auto errant_row = row(report, "errant_gtids", "slave1");
  CHECK(errant_row["result"] == "fail");
  CHECK(errant_row["detail"].get<std::string>().find(errant) != std::string::npos);
  CHECK(broken.out.find("fix: ") != std::string::npos);

  // Repair, exactly as the fixes say.
  sandbox_sql(2, "START SLAVE");
  auto parts = errant;  // "0-2-N": domain-server-seq
  auto d1 = parts.find('-'), d2 = parts.find('-', d1 + 1);
  sandbox_sql(1, "STOP SLAVE; SET GLOBAL gtid_slave_pos=@@gtid_binlog_pos");
  sandbox_sql(0, "SET SESSION gtid_domain_id=" + parts.substr(0, d1) + ", server_id=" + parts.substr(d1 + 1, d2 - d1 - 1) +
                     ", gtid_seq_no=" + parts.substr(d2 + 1) + "; DROP TABLE IF EXISTS mysql.mhad_errant_placeholder");
  sandbox_sql(1, "START SLAVE");
  CommandOutput repaired;
  bool ok = wait_until(15s, [&] { return (repaired = run(ctl)).exit_code == 0; });
  INFO(repaired.out);
  CHECK(ok);
}

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t logins_on(int host) {
  const std::string log = slurp(sandbox_dir() + "/host" + std::to_string(host) + "/sshd.log");
  std::size_t n = 0;
  for (auto at = log.find("Accepted publickey"); at != std::string::npos; at = log.find("Accepted publickey", at + 1))
    ++n;
  return n;
}

}  // namespace

TEST_CASE("mhactl check: a changed host key on one host FAILs naming that server and the key it shows; nothing "
          "runs there; the right keys pass",
          "[integration][check][host_key]") {
  const std::string dir = sandbox_config("mhad-hostkey", false);
  const std::string known_hosts = dir + "/known_hosts";
  const std::string good = slurp(known_hosts);
  // slave2 (127.0.0.13) gets another machine's key in known_hosts.
  REQUIRE(run("rm -f " + dir + "/other_key " + dir + "/other_key.pub && ssh-keygen -q -t ed25519 -N '' -f " + dir +
              "/other_key")
              .exit_code == 0);
  const std::string other = slurp(dir + "/other_key.pub");
  std::string changed;
  {
    std::istringstream lines(good);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("[127.0.0.13]:", 0) == 0) line = line.substr(0, line.find(' ')) + " " + other.substr(0, other.rfind(' '));
      changed += line + "\n";
    }
  }
  REQUIRE(changed != good);
  std::ofstream(known_hosts) << changed;
  // The key the host really shows, as OpenSSH prints it.
  auto shown = run("ssh-keygen -lf " + sandbox_dir() + "/ssh/host_ed25519_key.pub");
  REQUIRE(shown.exit_code == 0);
  const std::string fingerprint = shown.out.substr(shown.out.find("SHA256:"), shown.out.find(' ', shown.out.find("SHA256:")) - shown.out.find("SHA256:"));

  const std::size_t slave2_logins = logins_on(2);
  const std::size_t slave1_logins = logins_on(1);
  Mhad mhad(dir);
  REQUIRE(mhad.start());
  REQUIRE(wait_until(15s, [&] {
    auto s = mhad.status();
    return s.is_object() && s["clusters"][0]["master"] == "master";
  }));
  const std::string ctl = mhactl_path() + " --socket " + mhad.socket() + " check";
  auto text = run(ctl);
  auto report = json::parse(run(ctl + " --json").out, nullptr, false);
  INFO(text.out);
  CHECK(text.exit_code == 2);
  REQUIRE_FALSE(report.is_discarded());
  auto refused = row(report, "ssh", "slave2");
  INFO(refused.dump(2));
  CHECK(refused["result"] == "fail");
  CHECK(refused["detail"].get<std::string>().find("the host key of 127.0.0.13:2222 (it shows ssh-ed25519 " +
                                                  fingerprint + ") is not the one in " + known_hosts) !=
        std::string::npos);
  CHECK(refused["fix"].get<std::string>().find("nothing was run on 'slave2'") != std::string::npos);
  CHECK(text.out.find(fingerprint) != std::string::npos);
  CHECK(row(report, "ssh", "master")["result"] == "ok");
  CHECK(row(report, "ssh", "slave1")["result"] == "ok");
  // Refused before the login: sshd on slave2's host accepted nobody, the
  // others did (the check logged in there).
  CHECK(logins_on(2) == slave2_logins);
  CHECK(logins_on(1) > slave1_logins);

  // The right keys back: the check passes.
  std::ofstream(known_hosts) << good;
  CommandOutput fixed;
  bool ok = wait_until(15s, [&] { return (fixed = run(ctl)).exit_code == 0; });
  INFO(fixed.out);
  CHECK(ok);
}

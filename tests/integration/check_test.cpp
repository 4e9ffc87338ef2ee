// `mhactl check` against the real sandbox: a replica stopped by hand and an
// errant transaction written on another replica both FAIL with their fix
// (exit 2); repaired as the fixes say, the check passes (exit 0).
#include <catch2/catch.hpp>

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

// Failure detection against the real sandbox: a killed master is declared
// dead within half a second, a frozen one is called dead ("frozen") within
// frozen_master_timeout, a master cut off from mhad only is never called
// dead, and verdicts survive a restart of mhad.
#include <catch2/catch.hpp>

#include <atomic>
#include <ctime>
#include <iomanip>
#include <sstream>
#include <thread>

#include "daemon/mariadb_session.h"
#include "integration/harness.h"

using namespace mha;
using namespace mha::it;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Detection only: a dead master must not be failed over here (the failover
// tests do that), so these tests run mhad on a config with auto_failover off.
// Its state dir is kept between these tests: the last one checks the history.
std::string config_dir() { return sandbox_config("mhad-detect", false); }

bool healthy(const json& status) {
  return status.is_object() && status["clusters"].size() == 1 && status["clusters"][0]["health"] == "ok";
}

// "2026-11-22T07:30:01.123Z" -> system_clock time point.
std::chrono::system_clock::time_point parse_iso(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  auto seconds = timegm(&tm);
  int ms = std::stoi(text.substr(20, 3));
  return std::chrono::system_clock::from_time_t(seconds) + std::chrono::milliseconds(ms);
}

// The newest verdict of that kind given at or after `since` (the history is
// persisted, so earlier tests' verdicts are in it too).
json newest_verdict(const json& status, const std::string& verdict, std::chrono::system_clock::time_point since) {
  if (!status.is_object()) return nullptr;
  for (const auto& v : status["clusters"][0]["history"])
    if (v["verdict"] == verdict && parse_iso(v["at"]) >= since - 5ms) return v;
  return nullptr;
}

// Inserts one row every ~20 ms through the app user until stopped; counts
// acknowledged writes. The load the detector must not be confused by.
class WriteLoad {
 public:
  explicit WriteLoad(std::string host) : m_host(std::move(host)) {
    m_thread = std::thread([this] {
      MariadbSession s;
      if (!s.connect(SqlEndpoint{m_host, 3306, "app", "apppass"})) return;
      (void)s.execute("CREATE TABLE IF NOT EXISTS mha_test.load_detect (id INT AUTO_INCREMENT PRIMARY KEY, at TIMESTAMP(3))");
      for (int i = 0; i < 3000 && !m_stop; ++i) {
        if (s.execute("INSERT INTO mha_test.load_detect (at) VALUES (NOW(3))")) ++acknowledged;
        else break;  // the master went away
        std::this_thread::sleep_for(20ms);
      }
    });
  }
  ~WriteLoad() { stop(); }
  void stop() {
    m_stop = true;
    if (m_thread.joinable()) m_thread.join();
  }
  std::atomic<int> acknowledged{0};

 private:
  std::string m_host;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

}  // namespace

TEST_CASE("a master killed with SIGKILL under a write load is declared dead within 0.5 s", "[integration][detection]") {
  Mhad mhad(config_dir());
  REQUIRE(mhad.start());
  REQUIRE(wait_until(15s, [&] { return healthy(mhad.status()); }));
  std::this_thread::sleep_for(6s);  // the kept SSH session to the master's host is open by now
  std::string master_host = mhad.status()["clusters"][0]["servers"][0]["host"];
  WriteLoad load(master_host);
  REQUIRE(wait_until(5s, [&] { return load.acknowledged > 20; }));

  auto killed_at = std::chrono::system_clock::now();
  REQUIRE(run(sandbox_script() + " kill 0 KILL").exit_code == 0);
  json dead;
  bool seen = wait_until(5s, [&] { return !(dead = newest_verdict(mhad.status(), "dead", killed_at)).is_null(); });
  load.stop();
  auto restarted = run(sandbox_script() + " start-server 0");
  INFO(mhad.log());
  REQUIRE(seen);
  auto detection = std::chrono::duration_cast<std::chrono::milliseconds>(parse_iso(dead["at"]) - killed_at);
  WARN("SIGKILL of the master -> verdict dead in " << detection.count() << " ms (" << load.acknowledged
                                                   << " writes acknowledged before)");
  CHECK(detection < 500ms);
  std::string evidence = dead["evidence"].dump();
  CHECK(evidence.find("nothing listens on the server's port") != std::string::npos);
  CHECK(evidence.find("slave1: lost the master") != std::string::npos);
  CHECK(evidence.find("slave2: lost the master") != std::string::npos);
  CHECK(mhad.log().find("VERDICT=dead") != std::string::npos);
  REQUIRE(restarted.exit_code == 0);
  CHECK(wait_until(60s, [&] { return healthy(mhad.status()); }));
  CHECK(!newest_verdict(mhad.status(), "alive", killed_at).is_null());
}

TEST_CASE("a master frozen with SIGSTOP is declared dead (frozen) within frozen_master_timeout", "[integration][detection]") {
  Mhad mhad(config_dir());
  REQUIRE(mhad.start());
  REQUIRE(wait_until(15s, [&] { return healthy(mhad.status()); }));
  std::this_thread::sleep_for(6s);
  auto stopped_at = std::chrono::system_clock::now();
  REQUIRE(run(sandbox_script() + " kill 0 STOP").exit_code == 0);
  json dead;
  bool seen = wait_until(15s, [&] { return !(dead = newest_verdict(mhad.status(), "dead", stopped_at)).is_null(); });
  run(sandbox_script() + " kill 0 CONT");
  INFO(mhad.log());
  REQUIRE(seen);
  auto detection = std::chrono::duration_cast<std::chrono::milliseconds>(parse_iso(dead["at"]) - stopped_at);
  WARN("SIGSTOP of the master -> verdict dead (frozen) in " << detection.count() << " ms");
  CHECK(detection < 10s);
  std::string evidence = dead["evidence"].dump();
  CHECK(evidence.find("frozen") != std::string::npos);
  CHECK(evidence.find("answers SSH") != std::string::npos);
  CHECK(wait_until(60s, [&] { return healthy(mhad.status()); }));
}

TEST_CASE("verdict history survives a restart of mhad", "[integration][detection]") {
  json before;
  {
    Mhad mhad(config_dir());
    REQUIRE(mhad.start());
    REQUIRE(wait_until(15s, [&] { return healthy(mhad.status()); }));
    before = mhad.status()["clusters"][0]["history"];
    REQUIRE(before.size() >= 2);  // the earlier tests' verdicts, from the state file
    mhad.stop();
  }
  Mhad again(config_dir());
  REQUIRE(again.start());
  auto after = again.status()["clusters"][0]["history"];
  CHECK(after == before);
  auto file = run("cat " + config_dir() + "/state/sandbox.json");
  CHECK(file.out.find("\"verdict\": \"dead\"") != std::string::npos);
}

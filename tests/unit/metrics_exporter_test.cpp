// The exporter with a real loop on a thread: a scrape asks the loop for the
// status, counts what DaemonApp reports, records checks from any thread;
// a port in use is an error that names the address and the reason.
#include "daemon/metrics/metrics_exporter.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "common/log.h"

#include "daemon/metrics/check_duration.h"

using namespace mha;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct LoopThread {
  EventLoop loop;
  std::thread thread;
  LoopThread() {
    REQUIRE(loop.init({}));
    thread = std::thread([this] { loop.run(); });
  }
  ~LoopThread() {
    loop.post([this] { loop.stop(); });
    thread.join();
  }
};

json one_cluster() {
  return json::array({json{{"name", "app1"},
                           {"master", "m"},
                           {"detection", {{"verdict", "healthy"}}},
                           {"failover_readiness", {{"would_proceed", true}}},
                           {"servers", json::array({json{{"name", "m"}, {"role", "master"}, {"reachable", true}}})}}});
}

// The value of the sample `series` ("name{labels}"), or -1 when absent.
double sample(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("metrics exporter: the scrape shows the loop's status and the counts reported", "[metrics]") {
  LoopThread lt;
  std::thread::id status_thread;
  MetricsExporter exporter(lt.loop, [&] {
    status_thread = std::this_thread::get_id();
    return one_cluster();
  });
  auto before = exporter.scrape();
  INFO(before);
  CHECK(status_thread == lt.thread.get_id());  // the status is read on the loop, nowhere else
  CHECK(sample(before, R"(mhad_server_up{cluster="app1",server="m",role="master"})") == 1);
  CHECK(sample(before, R"(mhad_failovers_total{cluster="app1",result="completed"})") == 0);
  const double checks_before = sample(before, "mhad_check_duration_seconds_count");

  lt.loop.post([&] {
    exporter.failover_done("app1", "completed", 2500ms);
    exporter.failover_done("app1", "refused", 1ms);
    exporter.switchover_done("app1", "rolled_back");
  });
  std::thread worker([] { record_check_duration(3ms); });
  worker.join();
  auto after = exporter.scrape();
  INFO(after);
  CHECK(sample(after, R"(mhad_failovers_total{cluster="app1",result="completed"})") == 1);
  CHECK(sample(after, R"(mhad_failovers_total{cluster="app1",result="refused"})") == 1);
  CHECK(sample(after, R"(mhad_switchovers_total{cluster="app1",result="rolled_back"})") == 1);
  // The refusal is counted but took no failover time.
  CHECK(sample(after, "mhad_failover_duration_seconds_count") == 1);
  CHECK(sample(after, "mhad_failover_duration_seconds_sum") == 2.5);
  CHECK(sample(after, R"(mhad_failover_duration_seconds_bucket{le="2"})") == 0);
  CHECK(sample(after, R"(mhad_failover_duration_seconds_bucket{le="5"})") == 1);
  CHECK(sample(after, "mhad_check_duration_seconds_count") == checks_before + 1);
}

TEST_CASE("metrics exporter: a loop that does not answer costs the scrape its gauges, not its counts", "[metrics]") {
  log_set_level(LogLevel::error);  // the "did not answer" warning is expected here
  LoopThread lt;
  MetricsExporter exporter(lt.loop, one_cluster, 100ms);
  std::atomic<bool> counted{false};
  lt.loop.post([&] {
    exporter.failover_done("app1", "failed", 1s);
    counted = true;
  });
  while (!counted) std::this_thread::sleep_for(1ms);
  std::atomic<bool> release{false};
  lt.loop.post([&] {
    while (!release) std::this_thread::sleep_for(5ms);  // a loop stuck on something
  });
  const auto started = std::chrono::steady_clock::now();
  auto text = exporter.scrape();
  const auto took = std::chrono::steady_clock::now() - started;
  release = true;
  INFO(text);
  CHECK(took < 1s);
  CHECK(sample(text, R"(mhad_failovers_total{cluster="app1",result="failed"})") == 1);
  CHECK(text.find("mhad_server_up{") == std::string::npos);
  CHECK(text.find("# TYPE mhad_server_up gauge") != std::string::npos);
  // Once the loop answers again, so do the gauges.
  CHECK(sample(exporter.scrape(), R"(mhad_server_up{cluster="app1",server="m",role="master"})") == 1);
}

TEST_CASE("metrics exporter: listens on the address given; a port in use is refused naming it", "[metrics]") {
  LoopThread lt;
  MetricsExporter first(lt.loop, [] { return json::array(); });
  REQUIRE(first.start("127.0.0.1:0"));
  const int port = first.port();
  REQUIRE(port > 0);
  MetricsExporter second(lt.loop, [] { return json::array(); });
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  auto taken = second.start(listen);
  REQUIRE_FALSE(taken);
  CHECK(taken.error().message ==
        "metrics_listen \"" + listen +
            "\": cannot serve /metrics there: Address already in use; choose a free port on an address of this host "
            "in [daemon] metrics_listen, or \"\" to turn metrics off");
  CHECK(second.port() == 0);
  auto foreign = second.start("192.0.2.1:9104");  // TEST-NET-1: on no interface here
  REQUIRE_FALSE(foreign);
  CHECK(foreign.error().message.find("Cannot assign requested address") != std::string::npos);
}

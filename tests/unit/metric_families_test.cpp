// The mapping from a status snapshot (what `mhactl status --json` shows) to
// the families /metrics serves, checked on the text Prometheus would read.
#include "daemon/metrics/metric_families.h"

#include <catch2/catch.hpp>

#include <prometheus/text_serializer.h>

#include <fmt/format.h>

#include <limits>
#include <sstream>

using namespace mha;
using nlohmann::json;

namespace {

// A cluster as DaemonApp::cluster_status() builds it, cut to what matters here.
json cluster(const std::string& name, const std::string& master, const std::string& verdict, bool ready) {
  return json{{"name", name},
              {"master", master.empty() ? json(nullptr) : json(master)},
              {"detection", {{"verdict", verdict}, {"failures", 0}}},
              {"failover_readiness", {{"would_proceed", ready}, {"candidate", "slave1"}, {"blockers", json::array()}}},
              {"servers", json::array()}};
}
json server(const std::string& name, const std::string& role, bool reachable, json seconds_behind) {
  return json{{"name", name}, {"role", role}, {"reachable", reachable}, {"seconds_behind", seconds_behind},
              {"host", "10.0.0.1"}, {"port", 3306}};
}

std::string text(const MetricsSnapshot& snapshot) {
  return prometheus::TextSerializer().Serialize(metric_families(snapshot));
}
bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

}  // namespace

TEST_CASE("metrics: every family is there even with no cluster", "[metrics]") {
  auto families = metric_families(MetricsSnapshot{});
  std::vector<std::string> names;
  for (const auto& f : families) names.push_back(f.name);
  CHECK(names == std::vector<std::string>{"mhad_server_up", "mhad_replication_lag_seconds", "mhad_master_verdict",
                                          "mhad_failover_ready", "mhad_failovers_total", "mhad_switchovers_total",
                                          "mhad_failover_duration_seconds", "mhad_check_duration_seconds"});
  auto t = text(MetricsSnapshot{});
  CHECK(has_line(t, "# TYPE mhad_failovers_total counter"));
  CHECK(has_line(t, "# TYPE mhad_failover_duration_seconds histogram"));
  CHECK(has_line(t, "# TYPE mhad_server_up gauge"));
}

TEST_CASE("metrics: a healthy cluster: each server up with its role, replica lag, verdict, readiness", "[metrics]") {
  MetricsSnapshot s;
  json c = cluster("app1", "master", "healthy", true);
  c["servers"] = {server("master", "master", true, nullptr), server("slave1", "replica", true, 0),
                  server("slave2", "replica", true, 7)};
  s.clusters.push_back(c);
  auto t = text(s);
  INFO(t);
  CHECK(has_line(t, R"(mhad_server_up{cluster="app1",server="master",role="master"} 1)"));
  CHECK(has_line(t, R"(mhad_server_up{cluster="app1",server="slave1",role="replica"} 1)"));
  CHECK(has_line(t, R"(mhad_server_up{cluster="app1",server="slave2",role="replica"} 1)"));
  CHECK(has_line(t, R"(mhad_replication_lag_seconds{cluster="app1",server="slave1"} 0)"));
  CHECK(has_line(t, R"(mhad_replication_lag_seconds{cluster="app1",server="slave2"} 7)"));
  CHECK(t.find(R"(mhad_replication_lag_seconds{cluster="app1",server="master"})") == std::string::npos);
  CHECK(has_line(t, R"(mhad_master_verdict{cluster="app1",verdict="healthy"} 1)"));
  for (const char* other : {"suspect", "alive", "unreachable_from_manager", "dead", "dead_host"})
    CHECK(has_line(t, fmt::format(R"(mhad_master_verdict{{cluster="app1",verdict="{}"}} 0)", other)));
  CHECK(has_line(t, R"(mhad_failover_ready{cluster="app1"} 1)"));
  // Counters start at 0 for every result, so that the first one is an increase.
  for (const char* result : {"completed", "completed_with_errors", "refused", "failed", "needs_operator"})
    CHECK(has_line(t, fmt::format(R"(mhad_failovers_total{{cluster="app1",result="{}"}} 0)", result)));
  for (const char* result : {"completed", "completed_with_errors", "refused", "rolled_back", "failed"})
    CHECK(has_line(t, fmt::format(R"(mhad_switchovers_total{{cluster="app1",result="{}"}} 0)", result)));
  // Nothing of the status beyond the labels: no host, no port.
  CHECK(t.find("10.0.0.1") == std::string::npos);
}

TEST_CASE("metrics: a dead master stays role=\"master\" with up 0; unknown lag is left out", "[metrics]") {
  MetricsSnapshot s;
  json c = cluster("app1", "master", "dead", false);
  // The dead server no longer says it is the master; the cluster still does.
  c["servers"] = {server("master", "unknown", false, nullptr), server("slave1", "replica", true, nullptr)};
  s.clusters.push_back(c);
  auto t = text(s);
  INFO(t);
  CHECK(has_line(t, R"(mhad_server_up{cluster="app1",server="master",role="master"} 0)"));
  CHECK(has_line(t, R"(mhad_server_up{cluster="app1",server="slave1",role="replica"} 1)"));
  CHECK(t.find("mhad_replication_lag_seconds{") == std::string::npos);
  CHECK(has_line(t, R"(mhad_master_verdict{cluster="app1",verdict="dead"} 1)"));
  CHECK(has_line(t, R"(mhad_master_verdict{cluster="app1",verdict="healthy"} 0)"));
  CHECK(has_line(t, R"(mhad_failover_ready{cluster="app1"} 0)"));
}

TEST_CASE("metrics: counts and histograms come from the snapshot; a removed cluster keeps its counts", "[metrics]") {
  MetricsSnapshot s;
  s.clusters.push_back(cluster("app1", "slave1", "healthy", true));
  s.failovers[{"app1", "completed"}] = 2;
  s.failovers[{"gone", "failed"}] = 1;
  s.switchovers[{"app1", "rolled_back"}] = 3;
  s.failover_durations.histogram.sample_count = 2;
  s.failover_durations.histogram.sample_sum = 3.5;
  s.failover_durations.histogram.bucket = {{1, 1.0}, {2, std::numeric_limits<double>::infinity()}};
  auto t = text(s);
  INFO(t);
  CHECK(has_line(t, R"(mhad_failovers_total{cluster="app1",result="completed"} 2)"));
  CHECK(has_line(t, R"(mhad_failovers_total{cluster="gone",result="failed"} 1)"));
  CHECK(t.find(R"(mhad_failovers_total{cluster="gone",result="completed"})") == std::string::npos);
  CHECK(has_line(t, R"(mhad_switchovers_total{cluster="app1",result="rolled_back"} 3)"));
  CHECK(has_line(t, "mhad_failover_duration_seconds_count 2"));
  CHECK(has_line(t, "mhad_failover_duration_seconds_sum 3.5"));
  CHECK(has_line(t, R"(mhad_failover_duration_seconds_bucket{le="+Inf"} 2)"));
}

// Status snapshot -> Prometheus families (see metric_families.h).
#include "daemon/metrics/metric_families.h"

#include <initializer_list>
#include <set>
#include <string_view>

#include "daemon/detection/failure_detector.h"
#include "daemon/failover/failover.h"
#include "daemon/operations/operation_report.h"

namespace mha {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using nlohmann::json;

ClientMetric gauge(std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  return m;
}

std::string text_of(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

// The role an alert means: the cluster's master stays "master" while it is
// down (the server itself no longer says so), or "master down" could never
// fire on server_up{role="master"} == 0.
std::string role_of(const json& server, const std::string& master) {
  if (!master.empty() && text_of(server, "name") == master) return "master";
  std::string role = text_of(server, "role");
  return role.empty() ? "unknown" : role;
}

MetricFamily counter_family(std::string name, std::string help,
                            const std::map<std::pair<std::string, std::string>, std::uint64_t>& counts,
                            const std::set<std::string>& clusters, std::initializer_list<std::string_view> results) {
  // Every (configured cluster, known result) at 0, plus whatever was counted
  // (a cluster removed by a reload keeps its counts until mhad restarts).
  std::map<std::pair<std::string, std::string>, std::uint64_t> all = counts;
  for (const auto& cluster : clusters)
    for (auto result : results) all.try_emplace({cluster, std::string(result)}, 0);
  MetricFamily family{std::move(name), std::move(help), MetricType::Counter, {}};
  for (const auto& [key, count] : all) {
    ClientMetric m;
    m.label = {{"cluster", key.first}, {"result", key.second}};
    m.counter.value = static_cast<double>(count);
    family.metric.push_back(std::move(m));
  }
  return family;
}

}  // namespace

std::vector<MetricFamily> metric_families(const MetricsSnapshot& snapshot) {
  MetricFamily up{"mhad_server_up", "1 when the server answered its last check, 0 when it did not", MetricType::Gauge,
                  {}};
  MetricFamily lag{"mhad_replication_lag_seconds",
                   "Seconds_Behind_Master of each replica (absent while its SQL thread is stopped)",
                   MetricType::Gauge, {}};
  MetricFamily verdict{"mhad_master_verdict", "1 for the failure detector's verdict on the master, 0 for the others",
                       MetricType::Gauge, {}};
  MetricFamily ready{"mhad_failover_ready",
                     "1 when a failover would proceed now (a candidate, nothing blocking; mhactl status shows why not)",
                     MetricType::Gauge, {}};
  std::set<std::string> names;
  const json& clusters = snapshot.clusters.is_array() ? snapshot.clusters : json::array();
  for (const json& cluster : clusters) {
    const std::string name = text_of(cluster, "name");
    if (name.empty()) continue;
    names.insert(name);
    const std::string master = text_of(cluster, "master");
    if (cluster.contains("servers") && cluster["servers"].is_array())
      for (const json& server : cluster["servers"]) {
        const std::string server_name = text_of(server, "name");
        const bool reachable = server.value("reachable", false);
        up.metric.push_back(
            gauge({{"cluster", name}, {"server", server_name}, {"role", role_of(server, master)}}, reachable ? 1 : 0));
        if (server.contains("seconds_behind") && server["seconds_behind"].is_number())
          lag.metric.push_back(
              gauge({{"cluster", name}, {"server", server_name}}, server["seconds_behind"].get<double>()));
      }
    const std::string current =
        cluster.contains("detection") ? text_of(cluster["detection"], "verdict") : std::string();
    for (Verdict v : {Verdict::healthy, Verdict::suspect, Verdict::alive, Verdict::unreachable_from_manager,
                      Verdict::dead, Verdict::dead_host})
      verdict.metric.push_back(
          gauge({{"cluster", name}, {"verdict", std::string(verdict_name(v))}}, verdict_name(v) == current ? 1 : 0));
    const json* readiness = cluster.contains("failover_readiness") ? &cluster["failover_readiness"] : nullptr;
    ready.metric.push_back(gauge({{"cluster", name}}, readiness && readiness->value("would_proceed", false) ? 1 : 0));
  }

  std::vector<MetricFamily> out{std::move(up), std::move(lag), std::move(verdict), std::move(ready)};
  out.push_back(counter_family(
      "mhad_failovers_total", "Failovers that ended, by result, since mhad started", snapshot.failovers, names,
      {failover_result_name(FailoverResult::completed), failover_result_name(FailoverResult::completed_with_errors),
       failover_result_name(FailoverResult::refused), failover_result_name(FailoverResult::failed),
       failover_result_name(FailoverResult::needs_operator)}));
  out.push_back(counter_family(
      "mhad_switchovers_total", "Switchovers that ended, by result, since mhad started", snapshot.switchovers, names,
      {operation_result_name(OperationResult::completed), operation_result_name(OperationResult::completed_with_errors),
       operation_result_name(OperationResult::refused), operation_result_name(OperationResult::rolled_back),
       operation_result_name(OperationResult::failed)}));
  out.push_back(MetricFamily{"mhad_failover_duration_seconds",
                             "How long each failover took, from its start to its report (refused ones left out)",
                             MetricType::Histogram, {snapshot.failover_durations}});
  out.push_back(MetricFamily{"mhad_check_duration_seconds", "How long each check of a server took",
                             MetricType::Histogram, {snapshot.check_durations}});
  return out;
}

}  // namespace mha

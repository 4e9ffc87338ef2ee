// What /metrics shows, as Prometheus metric families built from one
// snapshot of the daemon: the status `mhactl status --json` shows (its
// "clusters" array), the failover and switchover counts, and the two
// duration histograms. Pure: no I/O, no clock; any thread.
#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mha {

struct MetricsSnapshot {
  nlohmann::json clusters = nlohmann::json::array();  // status "clusters", as the control socket sends it
  // (cluster, result) -> count since mhad started
  std::map<std::pair<std::string, std::string>, std::uint64_t> failovers;
  std::map<std::pair<std::string, std::string>, std::uint64_t> switchovers;
  prometheus::ClientMetric failover_durations;  // a histogram sample
  prometheus::ClientMetric check_durations;     // a histogram sample
};

// Every family, always (an empty cluster list gives families without
// samples): mhad_server_up, mhad_replication_lag_seconds,
// mhad_master_verdict, mhad_failover_ready, mhad_failovers_total,
// mhad_switchovers_total, mhad_failover_duration_seconds,
// mhad_check_duration_seconds. Every configured cluster has a counter
// sample for each result, 0 until it happens, so that increase() sees the
// first one.
std::vector<prometheus::MetricFamily> metric_families(const MetricsSnapshot& snapshot);

// The check histogram as recorded so far (check_duration.h).
prometheus::ClientMetric check_durations_now();

}  // namespace mha

// `mhactl check` for one cluster, asynchronously: one job per server on the
// worker pool (a fresh SQL session and a fresh SSH shell each, never the
// monitor's, so a check cannot disturb monitoring or failure detection),
// every server probed in parallel, the results posted back to the loop, the
// rows evaluated there once all are in. Started and finished on the loop.
#pragma once

#include "common/config.h"
#include "daemon/seams.h"
#include "daemon/event_loop.h"
#include "daemon/worker_pool.h"

#include <nlohmann/json.hpp>

#include <functional>

namespace mha {

// Calls `done` on the loop, exactly once, with
//   {"cluster":NAME,"rows":[...],"summary":{"ok":N,"warn":N,"fail":N}}
// (see check_report_json). Each job is bounded by the seams' timeouts: SQL
// connect/read timeouts, SSH connect timeout, 5 s per SSH command; a job
// needs roughly connect + a few queries + a few SSH commands. `cluster` is
// copied: a reload meanwhile does not affect a running check.
void run_cluster_check(EventLoop& loop, WorkerPool& pool, const Seams& seams, const ClusterConfig& cluster,
                       std::function<void(nlohmann::json report)> done);

}  // namespace mha

// `[daemon] metrics_listen`: serves /metrics (Prometheus text format) with
// prometheus-cpp's pull exposer on threads of its own. A scrape asks the
// loop for one snapshot (the status `mhactl status --json` shows, plus the
// counts kept here) and waits for it at most 2 s, so a busy loop costs the
// scrape its gauges, never the monitor its time. Everything but the
// exposer's threads runs on the loop.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "daemon/event_loop.h"

namespace mha {

class MetricsExporter {
 public:
  // `clusters_status` runs on `loop`: the status "clusters" array. A scrape
  // waits `snapshot_wait` for it, then goes on without the status gauges.
  MetricsExporter(EventLoop& loop, std::function<nlohmann::json()> clusters_status,
                  std::chrono::milliseconds snapshot_wait = std::chrono::seconds(2));
  ~MetricsExporter();  // stops serving; a scrape waiting for the loop gives up at once
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  // Listens on `listen` ("IPv4:port"; port 0 picks a free one). An error names
  // the address and why (port in use, address not on this host).
  Result<void> start(const std::string& listen);
  // The port listened on, 0 when not serving.
  int port() const;

  // A failover or switchover report: counted, and its duration observed.
  void failover_done(const std::string& cluster, std::string_view result, std::chrono::milliseconds duration);
  void switchover_done(const std::string& cluster, std::string_view result);

  // What a scrape returns, from any thread but the loop's (it waits for the loop).
  std::string scrape() const;

 private:
  struct Shared;
  class Collector;
  std::shared_ptr<Shared> m_shared;
  std::shared_ptr<Collector> m_collector;
  struct Server;
  std::unique_ptr<Server> m_server;
};

}  // namespace mha

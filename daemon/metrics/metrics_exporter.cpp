// The /metrics exporter (see metrics_exporter.h).
#include "daemon/metrics/metrics_exporter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/histogram.h>
#include <prometheus/text_serializer.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>

#include "common/log.h"
#include "daemon/metrics/metric_families.h"

namespace mha {

using namespace std::chrono_literals;

namespace {

// Why `listen` cannot be bound, from a bind of our own: the exposer only
// says that it failed.
std::string bind_problem(const std::string& listen) {
  const auto colon = listen.rfind(':');
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(std::atoi(listen.c_str() + colon + 1)));
  if (colon == std::string::npos || ::inet_pton(AF_INET, listen.substr(0, colon).c_str(), &address.sin_addr) != 1)
    return "expected an IPv4 address and a port";
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  const int one = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  std::string problem =
      ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 ? "" : std::strerror(errno);
  ::close(fd);
  return problem;
}

}  // namespace

struct MetricsExporter::Shared {
  Shared(EventLoop& l, std::function<nlohmann::json()> status, std::chrono::milliseconds wait)
      : loop(l), clusters_status(std::move(status)), snapshot_wait(wait) {}
  EventLoop& loop;
  std::function<nlohmann::json()> clusters_status;  // loop only
  std::chrono::milliseconds snapshot_wait;  // 2 s: well inside Prometheus' default 10 s scrape timeout
  // Counts are kept under the mutex, not on the loop: a scrape whose
  // snapshot timed out still reports them (a counter that drops to 0
  // would read as a restart).
  mutable std::mutex mutex;
  std::condition_variable answered;
  bool closed = false;
  std::map<std::pair<std::string, std::string>, std::uint64_t> failovers;
  std::map<std::pair<std::string, std::string>, std::uint64_t> switchovers;
  prometheus::Histogram failover_durations{prometheus::Histogram::BucketBoundaries{1, 2, 5, 10, 20, 30, 60, 120, 300, 600}};
};

class MetricsExporter::Collector final : public prometheus::Collectable {
 public:
  explicit Collector(std::shared_ptr<Shared> shared) : m_shared(std::move(shared)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    auto clusters = std::make_shared<std::optional<nlohmann::json>>();
    std::shared_ptr<Shared> shared = m_shared;
    shared->loop.post([shared, clusters] {
      {
        std::lock_guard lock(shared->mutex);
        if (shared->closed) return;
      }
      nlohmann::json status = shared->clusters_status();
      std::lock_guard lock(shared->mutex);
      *clusters = std::move(status);
      shared->answered.notify_all();
    });
    MetricsSnapshot snapshot;
    std::unique_lock lock(shared->mutex);
    if (shared->answered.wait_for(lock, shared->snapshot_wait, [&] { return clusters->has_value() || shared->closed; }) &&
        clusters->has_value())
      snapshot.clusters = std::move(**clusters);
    else if (!shared->closed)
      log_warning({{"EVENT", "metrics_snapshot_late"}},
                  "the event loop did not answer a /metrics scrape within {} ms: this scrape has no status gauges, "
                  "ignoring",
                  shared->snapshot_wait.count());
    snapshot.failovers = shared->failovers;
    snapshot.switchovers = shared->switchovers;
    lock.unlock();
    snapshot.failover_durations = shared->failover_durations.Collect();
    snapshot.check_durations = check_durations_now();
    return metric_families(snapshot);
  }

 private:
  std::shared_ptr<Shared> m_shared;
};

struct MetricsExporter::Server {
  std::unique_ptr<prometheus::Exposer> exposer;
};

MetricsExporter::MetricsExporter(EventLoop& loop, std::function<nlohmann::json()> clusters_status,
                                 std::chrono::milliseconds snapshot_wait)
    : m_shared(std::make_shared<Shared>(loop, std::move(clusters_status), snapshot_wait)),
      m_collector(std::make_shared<Collector>(m_shared)) {}

MetricsExporter::~MetricsExporter() {
  {
    std::lock_guard lock(m_shared->mutex);
    m_shared->closed = true;
    m_shared->answered.notify_all();
  }
  m_server.reset();  // joins the exposer's threads
}

Result<void> MetricsExporter::start(const std::string& listen) {
  try {
    auto server = std::make_unique<Server>();
    server->exposer = std::make_unique<prometheus::Exposer>(listen, 2);
    server->exposer->RegisterCollectable(m_collector);
    m_server = std::move(server);
    return {};
  } catch (const std::exception& e) {
    std::string problem = bind_problem(listen);
    return make_error(Errc::io,
                      "metrics_listen \"{}\": cannot serve /metrics there: {}; choose a free port on an address of "
                      "this host in [daemon] metrics_listen, or \"\" to turn metrics off",
                      listen, problem.empty() ? std::string(e.what()) : problem);
  }
}

int MetricsExporter::port() const {
  if (!m_server) return 0;
  auto ports = m_server->exposer->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

void MetricsExporter::failover_done(const std::string& cluster, std::string_view result,
                                    std::chrono::milliseconds duration) {
  {
    std::lock_guard lock(m_shared->mutex);
    ++m_shared->failovers[{cluster, std::string(result)}];
  }
  // A refusal changed nothing and took no time worth a bucket.
  if (result != "refused") m_shared->failover_durations.Observe(std::chrono::duration<double>(duration).count());
}

void MetricsExporter::switchover_done(const std::string& cluster, std::string_view result) {
  std::lock_guard lock(m_shared->mutex);
  ++m_shared->switchovers[{cluster, std::string(result)}];
}

std::string MetricsExporter::scrape() const { return prometheus::TextSerializer().Serialize(m_collector->Collect()); }

}  // namespace mha

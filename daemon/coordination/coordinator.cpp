#include "daemon/coordination/coordinator.h"

#include "common/log.h"

namespace mha {

using nlohmann::json;

Coordinator::Coordinator(const DaemonConfig& daemon, LeadershipTiming timing,
                         std::function<std::unique_ptr<Etcd>()> make_etcd, std::function<void()> on_change)
    : m_round_etcd(make_etcd()),
      m_loop_etcd(make_etcd()),
      m_leadership(*m_round_etcd, daemon.etcd_prefix, daemon.instance_name, timing),
      m_on_change(std::move(on_change)) {}

Coordinator::~Coordinator() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

void Coordinator::start(const std::vector<std::string>& clusters) {
  m_leadership.set_clusters(clusters);
  m_thread = std::thread([this] { run(); });
}

void Coordinator::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
  m_leadership.resign();
}

void Coordinator::run() {
  // A thread of its own, like an operation's: the rounds block on etcd. It
  // waits on a condition variable between rounds so that stop() wakes it.
  std::uint64_t seen = m_leadership.generation();
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    lock.unlock();
    MonoTime next;
    try {
      next = m_leadership.tick(MonoClock::now(), std::chrono::system_clock::now());
    } catch (const std::exception& e) {
      // No exception leaves the thread; the lease guard stops acting by itself.
      log_error({{"EVENT", "coordination_error"}}, "etcd coordination round failed: {}, will retry in 1s", e.what());
      next = MonoClock::now() + std::chrono::seconds(1);
    }
    if (const auto now_gen = m_leadership.generation(); now_gen != seen) {
      seen = now_gen;
      if (m_on_change) m_on_change();
    }
    lock.lock();
    m_wake.wait_until(lock, next, [this] { return m_stopping; });
  }
}

json Coordinator::status_json(const std::string& cluster) const {
  const LeadershipView view = m_leadership.view(cluster);
  const bool acting = m_leadership.may_act(cluster, MonoClock::now());
  json out{{"active", view.active},
           {"this_instance", m_leadership.instance()},
           {"role", leader_role_name(acting ? LeaderRole::active : LeaderRole::standby)},
           {"since", view.since}};
  if (!view.problem.empty()) out["problem"] = view.problem;
  return out;
}

Error Coordinator::not_active_error(const std::string& cluster, const std::string& command) const {
  const LeadershipView view = m_leadership.view(cluster);
  if (!view.active.empty() && view.active != m_leadership.instance())
    return make_error(Errc::not_active,
                      "this mhad ('{}') is a standby for '{}': the active instance is '{}'; run {} there",
                      m_leadership.instance(), cluster, view.active, command);
  return make_error(Errc::not_active, "this mhad ('{}') is not acting for '{}' now{}; no {}", m_leadership.instance(),
                    cluster, view.problem.empty() ? "" : " (" + view.problem + ")", command);
}

Result<void> Coordinator::write_state(const std::string& cluster, const std::string& state, MonoTime now) {
  return m_leadership.write_state(*m_loop_etcd, cluster, state, now);
}

}  // namespace mha

// coordination = "etcd" in the daemon: runs Leadership's rounds on a thread
// of its own (its etcd calls block for up to a call timeout, which the loop
// must not), tells the loop when a view changed, and gives the loop what it
// asks on its turn: may this instance act for a cluster now, the
// coordination object of `status`, and writing a cluster's state to etcd
// under the fencing token (with the loop's own etcd client).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/config.h"
#include "daemon/coordination/etcd.h"
#include "daemon/coordination/leadership.h"

namespace mha {

class Coordinator {
 public:
  // make_etcd: one client for the rounds' thread, one for the loop.
  // on_change: called on the rounds' thread after a round that changed a
  // view (the daemon posts to its loop).
  Coordinator(const DaemonConfig& daemon, LeadershipTiming timing,
              std::function<std::unique_ptr<Etcd>()> make_etcd, std::function<void()> on_change);
  ~Coordinator();  // stops the thread; does not resign (see stop)

  void start(const std::vector<std::string>& clusters);
  // Resigns (our keys deleted, lease revoked) and joins the thread.
  void stop();
  void set_clusters(const std::vector<std::string>& clusters) { m_leadership.set_clusters(clusters); }

  Leadership& leadership() { return m_leadership; }
  const Leadership& leadership() const { return m_leadership; }
  const std::string& instance() const { return m_leadership.instance(); }
  bool may_act(const std::string& cluster, MonoTime now) const { return m_leadership.may_act(cluster, now); }
  // {"active", "this_instance", "role", "since"} and, when there is one,
  // "problem" (why not acting, or etcd trouble).
  nlohmann::json status_json(const std::string& cluster) const;
  // The refusal of a changing command on a standby, naming the active one.
  Error not_active_error(const std::string& cluster, const std::string& command) const;
  Result<void> write_state(const std::string& cluster, const std::string& state, MonoTime now);

 private:
  void run();

  std::unique_ptr<Etcd> m_round_etcd;
  std::unique_ptr<Etcd> m_loop_etcd;
  Leadership m_leadership;
  std::function<void()> m_on_change;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
  std::thread m_thread;
};

}  // namespace mha

// Which mhad acts for each cluster (coordination = "etcd"). One etcd lease
// per instance; per cluster a key PREFIX/CLUSTER/leader holding the
// instance_name of the active instance, attached to its lease, and
// PREFIX/CLUSTER/leader_since (same lease) with the wall time it won. The
// leader key's create_revision is the fencing token: state written under
// the leadership (write_state) is a txn that compares it, so a deposed
// holder's write fails.
//
// What must hold:
//  - Never act on a stale lease. The holder knows a time up to which its
//    lease is surely held: the send time of the last successful grant or
//    keepalive + the granted TTL − a margin (etcd counts the TTL from when
//    it received the call, later than we sent it). may_act() is false from
//    then on, whatever the renewals do, so an instance cut off from etcd
//    stops acting before etcd can expire the lease and another win.
//  - Campaign only when the key is free (txn: create_revision == 0 → put),
//    and only for a cluster this instance can see (set_eligible): an
//    instance blind to a cluster's servers gives its leadership up.
//  - A takeover learns what the last holder was doing: the state found in
//    etcd when it won is handed over once (LeadershipView::adopted_state).
//
// Threads: tick() runs on the coordinator's own thread and blocks on etcd;
// view(), may_act(), set_eligible() and write_state() are called from the
// loop. One mutex guards the per-cluster state; no etcd call holds it.
// Pure otherwise: time is passed in, etcd is the seam.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/config.h"
#include "daemon/coordination/etcd.h"

namespace mha {

// Lease TTL and renewal from ping_interval, so that a standby takes over
// within 2 × ping_interval of the holder's death (see leadership.cpp).
struct LeadershipTiming {
  std::chrono::seconds ttl{3};                 // asked for; etcd may grant more
  std::chrono::milliseconds renew{1000};       // keepalive and leader-key poll period
  std::chrono::milliseconds margin{750};       // known-held time = sent + TTL − margin
  std::chrono::milliseconds call_timeout{500}; // each etcd call (all endpoints)
};
LeadershipTiming leadership_timing(Duration ping_interval);
// The margin and renewal for the TTL etcd actually granted.
LeadershipTiming with_granted_ttl(LeadershipTiming timing, std::chrono::seconds granted);

enum class LeaderRole { standby, active };
std::string_view leader_role_name(LeaderRole role);

// One cluster, as `status` shows it.
struct LeadershipView {
  LeaderRole role = LeaderRole::standby;
  std::string active;        // the holder's instance_name; "" when none is known
  std::string since;         // wall time the holder won, as it wrote it
  std::int64_t token = 0;    // our leader key's create_revision while active
  std::string problem;       // why this instance is not acting or not sure ("" when fine)
  // Set once when this instance wins: the state the last holder left in
  // etcd ("" when none). The loop adopts it (take_adopted_state).
  std::optional<std::string> adopted_state;
};

class Leadership {
 public:
  Leadership(Etcd& etcd, std::string prefix, std::string instance, LeadershipTiming timing);

  const std::string& instance() const { return m_instance; }
  LeadershipTiming timing() const;
  std::string leader_key(const std::string& cluster) const { return m_prefix + "/" + cluster + "/leader"; }
  std::string since_key(const std::string& cluster) const { return m_prefix + "/" + cluster + "/leader_since"; }
  std::string state_key(const std::string& cluster) const { return m_prefix + "/" + cluster + "/state"; }

  // The clusters to lead; others are forgotten (their keys expire with the lease).
  void set_clusters(const std::vector<std::string>& clusters);
  // Whether this instance sees any of the cluster's servers. Until called,
  // a cluster is not eligible (nothing has been seen yet).
  void set_eligible(const std::string& cluster, bool can_see);

  // One round: get or renew the lease, then per cluster poll, campaign or
  // release. Blocks on etcd (each call ≤ call_timeout). Returns when the
  // next round is due. `wall` only for leader_since.
  MonoTime tick(MonoTime now, std::chrono::system_clock::time_point wall);
  // At a clean stop: delete our leader keys and revoke the lease, so a
  // standby takes over at its next poll instead of after the TTL.
  void resign();

  LeadershipView view(const std::string& cluster) const;
  // Active for `cluster`, and the lease surely held at `now`.
  bool may_act(const std::string& cluster, MonoTime now) const;
  // The time left on the lease for a changing step (0 when not acting).
  std::chrono::milliseconds held_for(const std::string& cluster, MonoTime now) const;
  // Up to when the lease is surely held for `cluster` under fencing token
  // `token` (the one an operation started with), or nullopt when it is not
  // at `now`: not active, deposed, another token, the lease lost or past
  // its known-held time. Any thread (an operation's: LeaseDeadline).
  std::optional<MonoTime> held_until(const std::string& cluster, std::int64_t token, MonoTime now) const;
  std::optional<std::string> take_adopted_state(const std::string& cluster);
  // Puts the cluster's state JSON in etcd if we still hold the leader key
  // (compare create_revision == token). On a failed compare this instance
  // is deposed: role → standby, and Errc::not_active. `etcd` is the
  // caller's own client (the loop's), not the one tick() uses.
  Result<void> write_state(Etcd& etcd, const std::string& cluster, const std::string& state, MonoTime now);
  // Changes any time tick() changes a view: the loop polls it.
  std::uint64_t generation() const;

 private:
  struct ClusterLead {
    LeadershipView view;
    bool eligible = false;
  };
  void lose_all(const std::string& why);  // under m_mutex
  void step_cluster(const std::string& cluster, bool eligible, std::chrono::system_clock::time_point wall);

  Etcd& m_etcd;
  const std::string m_prefix;
  const std::string m_instance;
  LeadershipTiming m_asked;  // from ping_interval
  mutable std::mutex m_mutex;
  LeadershipTiming m_timing;  // with the granted TTL
  EtcdLeaseId m_lease = 0;
  MonoTime m_held_until{};   // the lease is surely held before this
  MonoTime m_next_renew{};
  std::map<std::string, ClusterLead> m_clusters;
  std::uint64_t m_generation = 0;
};

}  // namespace mha

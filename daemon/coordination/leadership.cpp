#include "daemon/coordination/leadership.h"

#include <algorithm>

#include "common/log.h"
#include "daemon/state_store.h"

namespace mha {

using namespace std::chrono_literals;
using Ms = std::chrono::milliseconds;

// The arithmetic. The holder dies just after a successful keepalive at t0:
// etcd revokes the lease at t0 + TTL, its lessor looking for expired
// leases every 500 ms, so the key is gone by t0 + TTL + 0.5 s; a standby
// reads the key every `renew` = TTL / 3 and wins at its next poll, one
// txn later. Takeover ≤ TTL + 0.5 s + TTL / 3 + a call. With TTL =
// ping_interval in whole seconds (at least 1 s): ≤ 1.33 × ping_interval +
// 0.6 s, within 2 × ping_interval for ping_interval ≥ 2 s (ping 3 s: TTL 3 s,
// renew 1 s, takeover ≤ 4.6 s of the 6 s allowed). etcd raises a TTL below
// its minimum (1.5 × election timeout: 2 s with the default 1 s), so below
// ping_interval 2 s the bound does not hold; the daemon warns.
// The holder stops acting at sent + TTL − margin, margin = TTL / 4 (0.75 s
// at TTL 3 s): before etcd can revoke (it counts from receipt, after our
// send) by at least the margin, which covers the steady clocks' drift and a
// step already checked but not yet done; two renewals may fail in a row
// before it stops (TTL 3 s: renewals at +1 s, +2 s; stops at +2.25 s).
LeadershipTiming leadership_timing(Duration ping_interval) {
  LeadershipTiming t;
  t.ttl = std::max<std::chrono::seconds>(1s, std::chrono::duration_cast<std::chrono::seconds>(ping_interval));
  return with_granted_ttl(t, t.ttl);
}

LeadershipTiming with_granted_ttl(LeadershipTiming t, std::chrono::seconds granted) {
  t.ttl = granted;
  t.renew = std::chrono::duration_cast<Ms>(granted) / 3;
  t.margin = std::chrono::duration_cast<Ms>(granted) / 4;
  // A call may take at most what a renewal period leaves, so that one
  // stuck endpoint cannot eat the lease.
  t.call_timeout = std::max<Ms>(100ms, t.renew / 2);
  return t;
}

std::string_view leader_role_name(LeaderRole role) { return role == LeaderRole::active ? "active" : "standby"; }

Leadership::Leadership(Etcd& etcd, std::string prefix, std::string instance, LeadershipTiming timing)
    : m_etcd(etcd), m_prefix(std::move(prefix)), m_instance(std::move(instance)), m_asked(timing), m_timing(timing) {}

LeadershipTiming Leadership::timing() const {
  std::lock_guard lock(m_mutex);
  return m_timing;
}

void Leadership::set_clusters(const std::vector<std::string>& clusters) {
  std::lock_guard lock(m_mutex);
  std::map<std::string, ClusterLead> next;
  for (const auto& name : clusters) {
    auto it = m_clusters.find(name);
    next[name] = it != m_clusters.end() ? it->second : ClusterLead{};
  }
  m_clusters = std::move(next);
  ++m_generation;
}

void Leadership::set_eligible(const std::string& cluster, bool can_see) {
  std::lock_guard lock(m_mutex);
  if (auto it = m_clusters.find(cluster); it != m_clusters.end()) it->second.eligible = can_see;
}

void Leadership::lose_all(const std::string& why) {
  for (auto& [name, lead] : m_clusters) {
    if (lead.view.role == LeaderRole::active) ++m_generation;
    lead.view.role = LeaderRole::standby;
    lead.view.token = 0;
    if (lead.view.problem != why) ++m_generation;
    lead.view.problem = why;
  }
}

MonoTime Leadership::tick(MonoTime now, std::chrono::system_clock::time_point wall) {
  EtcdLeaseId lease;
  LeadershipTiming timing;
  bool renew;
  {
    std::lock_guard lock(m_mutex);
    lease = m_lease;
    timing = m_timing;
    renew = lease != 0 && now >= m_next_renew;
  }
  if (lease == 0) {
    auto granted = m_etcd.grant(m_asked.ttl, m_asked.call_timeout);
    std::lock_guard lock(m_mutex);
    if (!granted) {
      lose_all("no lease from etcd: " + granted.error().message);
      return now + m_asked.renew;
    }
    m_lease = lease = granted->id;
    m_timing = timing = with_granted_ttl(m_asked, granted->ttl);
    m_held_until = now + std::chrono::duration_cast<Ms>(granted->ttl) - timing.margin;
    m_next_renew = now + timing.renew;
  } else if (renew) {
    auto ttl = m_etcd.keepalive(lease, timing.call_timeout);
    std::lock_guard lock(m_mutex);
    if (!ttl) {
      // Not lost yet: may_act() stops at m_held_until by itself. Retry
      // sooner than a full period so one lost packet costs little.
      const bool stale = now >= m_held_until;
      const std::string why = fmt::format("cannot renew the etcd lease{}: {}",
                                          stale ? " (no longer acting)" : "", ttl.error().message);
      for (auto& [name, lead] : m_clusters) {
        if (lead.view.problem != why) ++m_generation;
        lead.view.problem = why;
      }
      m_next_renew = now + timing.renew / 2;
      return m_next_renew;
    }
    if (ttl->count() <= 0) {
      // Expired at etcd: our keys are gone with it. A new lease next round.
      m_lease = 0;
      lose_all("the etcd lease expired before it could be renewed");
      return now;
    }
    m_held_until = now + std::chrono::duration_cast<Ms>(*ttl) - timing.margin;
    m_next_renew = now + timing.renew;
  }
  std::vector<std::pair<std::string, bool>> clusters;
  {
    std::lock_guard lock(m_mutex);
    for (const auto& [name, lead] : m_clusters) clusters.emplace_back(name, lead.eligible);
  }
  for (const auto& [name, eligible] : clusters) step_cluster(name, eligible, wall);
  std::lock_guard lock(m_mutex);
  return std::min(m_next_renew, now + m_timing.renew);
}

void Leadership::step_cluster(const std::string& cluster, bool eligible, std::chrono::system_clock::time_point wall) {
  std::int64_t token;
  EtcdLeaseId lease;
  LeadershipTiming timing;
  {
    std::lock_guard lock(m_mutex);
    auto it = m_clusters.find(cluster);
    if (it == m_clusters.end()) return;
    token = it->second.view.role == LeaderRole::active ? it->second.view.token : 0;
    lease = m_lease;
    timing = m_timing;
  }
  const std::string key = leader_key(cluster);
  auto update = [&](auto&& change) {
    std::lock_guard lock(m_mutex);
    auto it = m_clusters.find(cluster);
    if (it == m_clusters.end()) return;
    const LeadershipView before = it->second.view;
    change(it->second.view);
    const LeadershipView& after = it->second.view;
    if (before.role != after.role || before.active != after.active || before.since != after.since ||
        before.problem != after.problem || before.token != after.token)
      ++m_generation;
  };

  if (token != 0 && !eligible) {
    // Blind: give the key up (only if it is still ours) so that an instance
    // that can see the servers takes over.
    EtcdTxn release;
    release.compare.push_back({key, EtcdCompare::Target::create_revision, token, {}});
    release.success.push_back({EtcdOp::Kind::remove, key, {}, 0});
    release.success.push_back({EtcdOp::Kind::remove, since_key(cluster), {}, 0});
    auto r = m_etcd.txn(release, timing.call_timeout);
    update([&](LeadershipView& v) {
      v.role = LeaderRole::standby;
      v.token = 0;
      v.active = "";
      v.since = "";
      v.problem = r ? "released the leadership: none of the cluster's servers answers this instance"
                    : "cannot see the cluster's servers; releasing the leadership failed: " + r.error().message;
    });
    if (r)
      log_warning({{"CLUSTER", cluster}, {"EVENT", "leadership_released"}},
                  "none of the servers of '{}' answers this instance: leadership released", cluster);
    return;
  }

  EtcdTxn round;
  if (token != 0) {
    // Still ours? (An operator may have deleted the key, or the lease was
    // lost and the key re-won elsewhere.)
    round.compare.push_back({key, EtcdCompare::Target::create_revision, token, {}});
    round.failure.push_back({EtcdOp::Kind::range, key, {}, 0});
    round.failure.push_back({EtcdOp::Kind::range, since_key(cluster), {}, 0});
  } else if (eligible) {
    round.compare.push_back({key, EtcdCompare::Target::create_revision, 0, {}});
    round.success.push_back({EtcdOp::Kind::put, key, m_instance, lease});
    round.success.push_back({EtcdOp::Kind::put, since_key(cluster), format_wall_time(wall), lease});
    round.success.push_back({EtcdOp::Kind::range, state_key(cluster), {}, 0});
    round.failure.push_back({EtcdOp::Kind::range, key, {}, 0});
    round.failure.push_back({EtcdOp::Kind::range, since_key(cluster), {}, 0});
  } else {
    // Not campaigning (cannot see the servers): only look who leads.
    round.success.push_back({EtcdOp::Kind::range, key, {}, 0});
    round.success.push_back({EtcdOp::Kind::range, since_key(cluster), {}, 0});
  }
  auto r = m_etcd.txn(round, timing.call_timeout);
  if (!r) {
    update([&](LeadershipView& v) { v.problem = "cannot read the leader key from etcd: " + r.error().message; });
    return;
  }
  auto first = [](const std::vector<EtcdKv>& kvs) -> const EtcdKv* { return kvs.empty() ? nullptr : &kvs.front(); };
  if (token != 0 && r->succeeded) {
    update([&](LeadershipView& v) { v.problem = ""; });
    return;
  }
  if (token == 0 && eligible && r->succeeded) {
    const EtcdKv* state = first(r->results[2]);
    const std::string since = format_wall_time(wall);
    update([&](LeadershipView& v) {
      v.role = LeaderRole::active;
      v.token = r->revision;  // the puts' revision: the key's create_revision
      v.active = m_instance;
      v.since = since;
      v.problem = "";
      v.adopted_state = state ? state->value : std::string();
    });
    log_notice({{"CLUSTER", cluster}, {"EVENT", "leadership_won"}},
               "this instance ('{}') is now the active one for '{}' (fencing token {})", m_instance, cluster,
               r->revision);
    return;
  }
  const EtcdKv* holder = first(r->results[0]);
  const EtcdKv* since = first(r->results[1]);
  update([&](LeadershipView& v) {
    const bool ours = holder && holder->lease == lease && holder->value == m_instance;
    if (token != 0 && !ours)
      log_warning({{"CLUSTER", cluster}, {"EVENT", "leadership_lost"}},
                  "the leader key of '{}' is no longer this instance's (now '{}'): standby", cluster,
                  holder ? holder->value : "");
    // Ours without our knowing (a lost reply to a won campaign): take it
    // back, since the key is attached to our live lease.
    v.role = ours ? LeaderRole::active : LeaderRole::standby;
    v.token = ours ? holder->create_revision : 0;
    v.active = holder ? holder->value : "";
    v.since = holder && since ? since->value : "";
    // A blind instance says so as long as it is blind, also once another
    // instance leads: status must tell why this one does not campaign.
    const std::string blind = "not campaigning: none of the cluster's servers answers this instance";
    v.problem = eligible ? (holder ? "" : "no active instance") : (holder ? blind : "no active instance; " + blind);
    if (ours && !v.adopted_state) v.adopted_state = std::string();
  });
}

void Leadership::resign() {
  std::vector<std::pair<std::string, std::int64_t>> held;
  EtcdLeaseId lease;
  LeadershipTiming timing;
  {
    std::lock_guard lock(m_mutex);
    for (const auto& [name, lead] : m_clusters)
      if (lead.view.role == LeaderRole::active) held.emplace_back(name, lead.view.token);
    lease = m_lease;
    timing = m_timing;
    lose_all("stopping");
    m_lease = 0;
  }
  for (const auto& [cluster, token] : held) {
    EtcdTxn release;
    release.compare.push_back({leader_key(cluster), EtcdCompare::Target::create_revision, token, {}});
    release.success.push_back({EtcdOp::Kind::remove, leader_key(cluster), {}, 0});
    release.success.push_back({EtcdOp::Kind::remove, since_key(cluster), {}, 0});
    (void)m_etcd.txn(release, timing.call_timeout);
  }
  if (lease != 0) (void)m_etcd.revoke(lease, timing.call_timeout);
}

LeadershipView Leadership::view(const std::string& cluster) const {
  std::lock_guard lock(m_mutex);
  auto it = m_clusters.find(cluster);
  return it == m_clusters.end() ? LeadershipView{} : it->second.view;
}

bool Leadership::may_act(const std::string& cluster, MonoTime now) const {
  std::lock_guard lock(m_mutex);
  auto it = m_clusters.find(cluster);
  return it != m_clusters.end() && it->second.view.role == LeaderRole::active && m_lease != 0 && now < m_held_until;
}

std::chrono::milliseconds Leadership::held_for(const std::string& cluster, MonoTime now) const {
  if (!may_act(cluster, now)) return 0ms;
  std::lock_guard lock(m_mutex);
  return std::chrono::duration_cast<Ms>(m_held_until - now);
}

std::optional<MonoTime> Leadership::held_until(const std::string& cluster, std::int64_t token, MonoTime now) const {
  std::lock_guard lock(m_mutex);
  auto it = m_clusters.find(cluster);
  if (it == m_clusters.end() || it->second.view.role != LeaderRole::active || token == 0 ||
      it->second.view.token != token || m_lease == 0 || now >= m_held_until)
    return std::nullopt;
  return m_held_until;
}

std::optional<std::string> Leadership::take_adopted_state(const std::string& cluster) {
  std::lock_guard lock(m_mutex);
  auto it = m_clusters.find(cluster);
  if (it == m_clusters.end() || !it->second.view.adopted_state) return std::nullopt;
  auto out = std::move(it->second.view.adopted_state);
  it->second.view.adopted_state.reset();
  return out;
}

Result<void> Leadership::write_state(Etcd& etcd, const std::string& cluster, const std::string& state, MonoTime now) {
  std::int64_t token = 0;
  Ms budget{0};
  {
    std::lock_guard lock(m_mutex);
    auto it = m_clusters.find(cluster);
    if (it != m_clusters.end() && it->second.view.role == LeaderRole::active && m_lease != 0 && now < m_held_until) {
      token = it->second.view.token;
      budget = std::chrono::duration_cast<Ms>(m_held_until - now);
    }
  }
  if (token == 0)
    return make_error(Errc::not_active, "this instance is not the active one for '{}' (or its lease is not surely held)",
                      cluster);
  // Not a byte longer than the lease is known to be ours.
  EtcdTxn put;
  put.compare.push_back({leader_key(cluster), EtcdCompare::Target::create_revision, token, {}});
  put.success.push_back({EtcdOp::Kind::put, state_key(cluster), state, 0});
  auto r = etcd.txn(put, std::min(budget, m_asked.call_timeout * 2));
  if (!r) return r.error().with_context("writing the state of '{}' to etcd", cluster);
  if (!r->succeeded) {
    std::lock_guard lock(m_mutex);
    if (auto it = m_clusters.find(cluster); it != m_clusters.end() && it->second.view.token == token) {
      it->second.view.role = LeaderRole::standby;
      it->second.view.token = 0;
      it->second.view.problem = "deposed: the leader key is no longer this instance's";
      ++m_generation;
    }
    return make_error(Errc::not_active, "deposed: the leader key of '{}' is no longer this instance's (fencing token {})",
                      cluster, token);
  }
  return {};
}

std::uint64_t Leadership::generation() const {
  std::lock_guard lock(m_mutex);
  return m_generation;
}

}  // namespace mha

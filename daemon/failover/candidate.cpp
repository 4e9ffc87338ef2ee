// Candidate selection and failover readiness: see candidate.h for the rules.
#include "daemon/failover/candidate.h"

#include "common/gtid.h"
#include "common/units.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <tuple>

namespace mha {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

bool same_endpoint(const ServerConfig& server, std::string_view host, std::uint16_t port) {
  return port == server.port && (host == server.host || host == server.ip);
}

bool is_replica(const ServerObservation& obs) { return obs.replica && !obs.replica->master_host.empty(); }

// A boolean server variable that is known to be off. Unknown (not read yet,
// or the server lacks it) is not off.
bool variable_off(const ServerObservation& obs, std::string_view name) {
  std::string value = obs.variable(name);
  std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::toupper(c); });
  return value == "OFF" || value == "0";
}

// "5s", "2m 5s", "2h", "2h 15m", "3d 2h": the two largest units, for "ago"
// and "in" texts (format_duration prints exact values: "7500s").
std::string human_duration(milliseconds value) {
  std::int64_t s = std::max<std::int64_t>(value.count(), 0) / 1000;
  auto two = [](std::int64_t big, const char* big_unit, std::int64_t small, const char* small_unit) {
    return small == 0 ? fmt::format("{}{}", big, big_unit) : fmt::format("{}{} {}{}", big, big_unit, small, small_unit);
  };
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return two(s / 60, "m", s % 60, "s");
  if (s < 86400) return two(s / 3600, "h", s % 3600 / 60, "m");
  return two(s / 86400, "d", s % 86400 / 3600, "h");
}

std::string transactions_text(std::uint64_t n) { return fmt::format("{} transaction{}", n, n == 1 ? "" : "s"); }

// Per domain, the higher of the two GTIDs (the first one on a tie or a
// divergence at equal seq).
GtidPosition merge_positions(const GtidPosition& a, const GtidPosition& b) {
  GtidPosition out = a;
  for (const MariadbGtid& gtid : b.gtids()) {
    auto mine = out.get(gtid.domain);
    if (!mine || gtid.seq > mine->seq) out.set(gtid);
  }
  return out;
}

// What one replica has received from the master, as GTIDs, when readable.
struct Received {
  enum class Kind { none, mariadb, mysql };
  Kind kind = Kind::none;
  GtidPosition position;  // MariaDB
  GtidSet set;            // MySQL: retrieved ∪ executed
  GtidSet retrieved;      // MySQL: Retrieved_Gtid_Set alone
  bool empty() const { return kind == Kind::mariadb ? position.empty() : set.empty(); }
  std::string text() const { return kind == Kind::mariadb ? position.to_string() : set.to_string(); }
};

Received received_gtids(const ServerObservation& obs) {
  const ReplicaStatus& r = *obs.replica;
  Received out;
  if (r.is_mariadb_row) {
    auto io = GtidPosition::parse(r.gtid_io_pos);
    auto slave = GtidPosition::parse(obs.gtid_slave_pos);
    if (!io || !slave) return out;
    out.kind = Received::Kind::mariadb;
    out.position = merge_positions(*io, *slave);
  } else {
    auto retrieved = GtidSet::parse(r.retrieved_gtid_set);
    auto executed = GtidSet::parse(r.executed_gtid_set.empty() ? obs.gtid_executed : r.executed_gtid_set);
    if (!retrieved || !executed) return out;
    out.kind = Received::Kind::mysql;
    out.set = retrieved->union_with(*executed);
    out.retrieved = *retrieved;
  }
  return out;
}

bool includes(const Received& a, const Received& b) {
  return a.kind == Received::Kind::mariadb ? a.position.includes(b.position) : a.set.contains(b.set);
}

// Binlog coordinates of the master, as a replica's threads see them. An
// empty file name means unknown and sorts first.
using Coordinates = std::tuple<std::string, std::uint64_t>;
Coordinates read_coordinates(const ReplicaStatus& r) { return {r.master_log_file, r.read_master_log_pos}; }
Coordinates exec_coordinates(const ReplicaStatus& r) { return {r.relay_master_log_file, r.exec_master_log_pos}; }

// The errant GTIDs of one alive replica as text, empty when none or when it
// cannot be told (see rule 5 in candidate.h). MySQL: also takes them out of
// `received`, so that they do not make the replica look most advanced.
std::string errant_gtids(const ServerObservation& replica, const ServerObservation& master, Received& received) {
  const bool master_known = master.reachable || !master.gtid_executed.empty();
  if (!master_known) return "";
  if (replica.replica->is_mariadb_row) {
    auto mine = GtidPosition::parse(replica.gtid_executed);
    auto theirs = GtidPosition::parse(master.gtid_executed);
    if (!mine || !theirs || received.kind != Received::Kind::mariadb) return "";
    // errant_against an empty position keeps everything, so an empty
    // received position filters nothing, as it should.
    return mine->errant_against(*theirs).errant_against(received.position).to_string();
  }
  auto mine = GtidSet::parse(replica.replica->executed_gtid_set.empty() ? replica.gtid_executed
                                                                        : replica.replica->executed_gtid_set);
  auto theirs = GtidSet::parse(master.gtid_executed);
  if (!mine || !theirs || received.kind != Received::Kind::mysql) return "";
  // Not minus received.set: that holds Executed_Gtid_Set, errant ones included.
  GtidSet errant = mine->subtract(*theirs).subtract(received.retrieved);
  received.set = received.set.subtract(errant);
  return errant.to_string();
}

struct Server {
  std::size_t index = 0;
  bool alive = false;  // an alive replica of the master (rules 1-4 passed)
  std::optional<Exclusion> exclusion;
  Received received;
  std::string errant;  // rule 5, as text
  bool most_advanced = false;
};

}  // namespace

Readiness assess_failover(const ClusterConfig& cluster, const std::vector<ServerObservation>& observations,
                          std::size_t master, const FailoverGuards& guards) {
  assert(observations.size() == cluster.servers.size());
  const std::size_t count = std::min(observations.size(), cluster.servers.size());
  const auto& servers = cluster.servers;
  auto name = [&](std::size_t i) { return servers[i].name; };
  Readiness out;

  if (master >= count) out.blockers.push_back("master not known");
  if (!cluster.auto_failover) out.blockers.push_back("auto_failover is off");
  if (guards.last_failover) {
    auto ago = duration_cast<milliseconds>(guards.now - *guards.last_failover);
    if (ago < milliseconds::zero()) ago = milliseconds::zero();  // clock stepped back
    if (ago < cluster.min_failover_interval)
      out.blockers.push_back(
          fmt::format("last failover {} ago, min_failover_interval {}: automatic failover allowed again in {} "
                      "(mhactl failover --force overrides)",
                      human_duration(ago), format_duration(cluster.min_failover_interval),
                      human_duration(cluster.min_failover_interval - ago)));
  }
  if (master >= count) {
    out.gtid_gap = "unknown: master not known";
    return out;
  }
  const ServerObservation& master_obs = observations[master];
  const ServerConfig& master_cfg = servers[master];

  // Rules 1-4: who takes part.
  std::vector<Server> all;
  std::vector<std::string> unrecoverable, elsewhere, writable;
  for (std::size_t i = 0; i < count; ++i) {
    if (i == master) continue;
    const ServerObservation& obs = observations[i];
    Server s;
    s.index = i;
    auto exclude = [&](ExclusionReason reason, std::string detail) {
      s.exclusion = Exclusion{i, reason, std::move(detail)};
    };
    auto must_be_ignorable = [&](std::string_view what) {
      if (!servers[i].ignore_fail)
        unrecoverable.push_back(
            fmt::format("'{}' is {} (set ignore_fail = true on it to fail over without it)", name(i), what));
    };
    if (!obs.checked || !obs.reachable) {
      exclude(ExclusionReason::unreachable, !obs.checked ? "not checked yet"
                             : obs.error  ? obs.error->message
                                          : "cannot connect");
      must_be_ignorable("unreachable");
    } else if (!is_replica(obs)) {
      if (obs.read_only == false) {
        exclude(ExclusionReason::not_replicating, "writable and replicates from nobody");
        writable.push_back(fmt::format("'{}' is writable and replicates from nobody", name(i)));
      } else {
        exclude(ExclusionReason::not_replicating, "replicates from nobody");
        must_be_ignorable("not replicating");
      }
    } else if (!same_endpoint(master_cfg, obs.replica->master_host, obs.replica->master_port)) {
      const ReplicaStatus& r = *obs.replica;
      std::optional<std::size_t> source;
      for (std::size_t j = 0; j < count; ++j)
        if (!source && same_endpoint(servers[j], r.master_host, r.master_port)) source = j;
      std::string from =
          source ? fmt::format("'{}'", name(*source)) : fmt::format("{}:{}", r.master_host, r.master_port);
      exclude(ExclusionReason::replicates_elsewhere, fmt::format("replicates from {}, not from '{}'", from, master_cfg.name));
      // multi_tier_slave: a replica of a replica of the master is MHA's
      // "unmanaged" slave, not an error.
      bool tiered = cluster.multi_tier_slave && source && *source != i && is_replica(observations[*source]) &&
                    same_endpoint(master_cfg, observations[*source].replica->master_host,
                                  observations[*source].replica->master_port);
      if (!tiered) elsewhere.push_back(fmt::format("'{}' from {}", name(i), from));
    } else if (!obs.replica->sql_running && obs.replica->last_sql_errno != 0) {
      exclude(ExclusionReason::sql_thread_error, fmt::format("SQL thread stopped: Last_SQL_Error {}: {}", obs.replica->last_sql_errno,
                                              obs.replica->last_sql_error));
      must_be_ignorable("stopped by a SQL error");
    } else {
      s.alive = true;
      s.received = received_gtids(obs);
      s.errant = errant_gtids(obs, master_obs, s.received);
    }
    all.push_back(std::move(s));
  }

  std::vector<Server*> alive;
  for (Server& s : all)
    if (s.alive) alive.push_back(&s);
  auto status = [&](const Server* s) -> const ReplicaStatus& { return *observations[s->index].replica; };

  // Most advanced.
  bool by_gtid = !alive.empty();
  for (const Server* s : alive)
    by_gtid = by_gtid && s->received.kind != Received::Kind::none && s->received.kind == alive.front()->received.kind;
  // No GTIDs anywhere: replication without GTIDs, where "all equal" means nothing.
  by_gtid = by_gtid && !std::all_of(alive.begin(), alive.end(), [](const Server* s) { return s->received.empty(); });
  if (by_gtid) {
    for (Server* s : alive)
      s->most_advanced = std::all_of(alive.begin(), alive.end(),
                                     [&](const Server* other) { return includes(s->received, other->received); });
    by_gtid = std::any_of(alive.begin(), alive.end(), [](const Server* s) { return s->most_advanced; });
  }
  if (!by_gtid && !alive.empty()) {
    Coordinates best;
    for (const Server* s : alive) best = std::max(best, read_coordinates(status(s)));
    for (Server* s : alive) s->most_advanced = !std::get<0>(best).empty() && read_coordinates(status(s)) == best;
  }
  const Server* latest = nullptr;  // MHA's latest base slave
  for (const Server* s : alive)
    if (s->most_advanced && (!latest || exec_coordinates(status(s)) > exec_coordinates(status(latest)))) latest = s;
  if (latest) out.most_advanced = latest->index;

  // Rule 9 needs the oldest major.minor among the alive replicas, of one flavor.
  // A pair and a flag rather than optional<pair>: GCC 12 -O2 warns (falsely)
  // that the optional's pair may be used uninitialized.
  std::pair<int, int> oldest{0, 0};
  bool have_oldest = false;
  std::size_t oldest_server = 0;
  std::optional<FlavorKind> kind;
  bool one_flavor = true;
  for (const Server* s : alive) {
    const auto& flavor = observations[s->index].flavor;
    if (!flavor) continue;
    if (kind && *kind != flavor->kind()) one_flavor = false;
    kind = flavor->kind();
    std::pair<int, int> version{flavor->version().major, flavor->version().minor};
    if (!have_oldest || version < oldest) {
      oldest = version;
      have_oldest = true;
      oldest_server = s->index;
    }
  }
  if (!one_flavor) have_oldest = false;

  // Rules 5-10.
  std::vector<std::string> errant_blockers;
  for (Server* s : alive) {
    const std::size_t i = s->index;
    const ServerObservation& obs = observations[i];
    const ReplicaStatus& r = *obs.replica;
    auto exclude = [&](ExclusionReason reason, std::string detail) {
      s->exclusion = Exclusion{i, reason, std::move(detail)};
    };
    if (!s->errant.empty()) {
      exclude(ExclusionReason::errant_gtids, fmt::format("has {} that the master never had", s->errant));
      errant_blockers.push_back(fmt::format("errant GTIDs on '{}': {}", name(i), s->errant));
      continue;
    }
    if (servers[i].no_master) {
      exclude(ExclusionReason::no_master, "no_master is set in the config");
      continue;
    }
    if (variable_off(obs, "log_bin")) {
      exclude(ExclusionReason::binlog_off, "log_bin is off: it could not serve as a master");
      continue;
    }
    if (alive.size() > 1 && (variable_off(obs, "log_slave_updates") || variable_off(obs, "log_replica_updates"))) {
      exclude(ExclusionReason::log_slave_updates_off,
              "log_slave_updates is off: its binlog lacks the replicated transactions the other replicas would need");
      continue;
    }
    if (const auto& flavor = obs.flavor;
        flavor && have_oldest && std::pair{flavor->version().major, flavor->version().minor} > oldest) {
      exclude(ExclusionReason::newer_version,
              fmt::format("{}.{} is newer than {}.{} on '{}': only the oldest major version may be promoted, so that "
                          "every replica can replicate from it",
                          flavor->version().major, flavor->version().minor, oldest.first, oldest.second,
                          name(oldest_server)));
      continue;
    }
    if (servers[i].check_repl_delay && latest) {
      const ReplicaStatus& l = status(latest);
      const std::string who = latest == s ? "its IO thread" : fmt::format("'{}'", name(latest->index));
      std::string why;
      if (!l.master_log_file.empty() && !r.relay_master_log_file.empty()) {
        if (l.master_log_file > r.relay_master_log_file)
          why = fmt::format("SQL thread at {}:{} is an older binlog than {} has received, up to {}:{}",
                            r.relay_master_log_file, r.exec_master_log_pos, who, l.master_log_file,
                            l.read_master_log_pos);
        else if (l.master_log_file == r.relay_master_log_file &&
                 l.read_master_log_pos > r.exec_master_log_pos + cluster.max_relay_lag_bytes)
          why = fmt::format("SQL thread is {} bytes behind what {} has received in {}, over max_relay_lag_bytes {}",
                            l.read_master_log_pos - r.exec_master_log_pos, who, l.master_log_file,
                            format_size(cluster.max_relay_lag_bytes));
      }
      if (!why.empty()) {
        if (r.seconds_behind && std::chrono::seconds(*r.seconds_behind) > cluster.seconds_behind_master)
          why += fmt::format("; {}s behind the master", *r.seconds_behind);
        exclude(ExclusionReason::lagging, why + "; check_repl_delay is on");
        continue;
      }
    }
  }

  for (const Server& s : all)
    if (s.exclusion) out.excluded.push_back(*s.exclusion);

  // Selection (a-d).
  auto eligible = [](const Server* s) { return !s->exclusion; };
  const Server* chosen = nullptr;
  std::string rule;
  auto pick = [&](auto&& pred) -> const Server* {
    for (const Server* s : alive)
      if (eligible(s) && pred(s)) return s;
    return nullptr;
  };
  auto candidate = [&](const Server* s) { return servers[s->index].candidate_master; };
  auto advanced = [](const Server* s) { return s->most_advanced; };
  auto caught_up = [&](const Server* s) {
    return s->most_advanced || !latest ? std::string()
                                       : fmt::format(", will be caught up from '{}'", name(latest->index));
  };
  if (cluster.latest_priority && (chosen = pick([&](const Server* s) { return candidate(s) && advanced(s); }))) {
    rule = "candidate_master and most advanced";
  } else if ((chosen = pick(candidate))) {
    rule = "candidate_master" + caught_up(chosen);
  } else if (cluster.latest_priority && (chosen = pick(advanced))) {
    auto tied = std::count_if(alive.begin(), alive.end(), [&](const Server* s) { return eligible(s) && advanced(s); });
    rule = tied > 1 ? "config order among equally advanced" : "most advanced";
  } else if ((chosen = pick([](const Server*) { return true; }))) {
    rule = "first in config order" + caught_up(chosen);
  }
  if (chosen) {
    out.candidate = chosen->index;
    out.rule = rule;
  }

  for (auto* list : {&errant_blockers, &elsewhere, &writable, &unrecoverable})
    for (auto& text : *list) {
      if (list == &elsewhere) text = "replicas replicate from different masters: " + text;
      out.blockers.push_back(std::move(text));
    }
  if (!chosen) out.blockers.push_back("no eligible candidate");

  // How much a failover right now would lose.
  if (!latest) {
    out.gtid_gap = "unknown: no replica to compare with the master";
  } else if (!by_gtid) {
    out.gtid_gap = "unknown: replicas compared by binlog position, not GTIDs";
  } else if (!master_obs.reachable) {
    out.gtid_gap = master_obs.gtid_executed.empty()
                       ? "unknown: master unreachable"
                       : "unknown: master unreachable, last known " + master_obs.gtid_executed;
  } else {
    const Received& got = latest->received;
    const std::string who = name(latest->index);
    std::optional<std::uint64_t> behind;
    std::string master_text;
    if (got.kind == Received::Kind::mariadb) {
      if (auto pos = GtidPosition::parse(master_obs.gtid_executed)) {
        behind = got.position.transactions_behind(*pos);
        master_text = pos->to_string();
      }
    } else if (auto set = GtidSet::parse(master_obs.gtid_executed)) {
      behind = set->subtract(got.set).count();
      master_text = set->to_string();
    }
    if (!behind) {
      out.gtid_gap = "unknown: cannot read the master's GTIDs '" + master_obs.gtid_executed + "'";
    } else {
      out.transactions_behind = static_cast<std::int64_t>(std::min<std::uint64_t>(*behind, INT64_MAX));
      out.gtid_gap = *behind == 0 ? transactions_text(0)
                                  : fmt::format("{} (master {}, '{}' received {})", transactions_text(*behind),
                                                master_text, who, got.text());
    }
  }
  return out;
}

nlohmann::json readiness_json(const ClusterConfig& cluster, const Readiness& readiness) {
  using nlohmann::json;
  auto server_name = [&](std::optional<std::size_t> i) {
    return i && *i < cluster.servers.size() ? json(cluster.servers[*i].name) : json(nullptr);
  };
  json excluded = json::array();
  for (const Exclusion& e : readiness.excluded)
    excluded.push_back({{"server", server_name(e.server)}, {"reason", exclusion_reason_name(e.reason)}, {"detail", e.detail}});
  return json{{"candidate", server_name(readiness.candidate)},
              {"rule", readiness.rule.empty() ? json(nullptr) : json(readiness.rule)},
              {"most_advanced", server_name(readiness.most_advanced)},
              {"excluded", std::move(excluded)},
              {"blockers", readiness.blockers},
              {"gtid_gap", readiness.gtid_gap},
              {"transactions_behind", readiness.transactions_behind},
              {"would_proceed", readiness.would_proceed()}};
}

}  // namespace mha

namespace mha {

std::string_view exclusion_reason_name(ExclusionReason reason) {
  switch (reason) {
    case ExclusionReason::unreachable: return "unreachable";
    case ExclusionReason::not_replicating: return "not_replicating";
    case ExclusionReason::replicates_elsewhere: return "replicates_elsewhere";
    case ExclusionReason::sql_thread_error: return "sql_thread_error";
    case ExclusionReason::errant_gtids: return "errant_gtids";
    case ExclusionReason::no_master: return "no_master";
    case ExclusionReason::binlog_off: return "binlog_off";
    case ExclusionReason::log_slave_updates_off: return "log_slave_updates_off";
    case ExclusionReason::newer_version: return "newer_version";
    case ExclusionReason::lagging: return "lagging";
  }
  return "unknown";
}

bool takes_part(ExclusionReason reason) {
  switch (reason) {
    case ExclusionReason::unreachable:
    case ExclusionReason::not_replicating:
    case ExclusionReason::replicates_elsewhere:
    case ExclusionReason::sql_thread_error: return false;
    default: return true;
  }
}

}  // namespace mha

// Rules about GTIDs: the errant transactions of each replica (computed first,
// the candidates rule uses them), gtid_mode, gtid_positioning, errant_gtids,
// gtid_strict_mode.

#include "daemon/checks/evaluation.h"

#include "common/gtid.h"

#include <fmt/format.h>

namespace mha::checks_detail {

void Evaluation::compute_errant() {
  const Server* m = master_server();
  if (!m || !m->reachable || !m->flavor) return;
  for (auto& s : m_servers) {
    if (&s == m || !s.replica || !s.flavor || s.flavor->kind() != m->flavor->kind()) continue;
    const auto& obs = s.obs();
    if (s.flavor->is_mariadb()) {
      auto mine = GtidPosition::parse(obs.gtid_executed);
      auto theirs = GtidPosition::parse(m->obs().gtid_executed);
      if (!mine || !theirs) continue;
      auto io_pos = GtidPosition::parse(obs.replica->gtid_io_pos);
      auto slave_pos = GtidPosition::parse(obs.gtid_slave_pos);
      // The master was read at about the same time, not at the same
      // instant: what this replica received through replication after
      // that is not errant. A GTID counts as received when the replica's
      // received or applied position holds exactly it, or has passed its
      // seq and it was not written here (local writes carry this server's
      // server_id).
      auto received = [&](const MariadbGtid& g) {
        for (const auto* pos : {io_pos ? &*io_pos : nullptr, slave_pos ? &*slave_pos : nullptr}) {
          if (!pos) continue;
          auto r = pos->get(g.domain);
          if (r && (*r == g || (r->seq >= g.seq && g.server_id != obs.server_id))) return true;
        }
        return false;
      };
      GtidPosition errant;
      for (const auto& g : mine->errant_against(*theirs).gtids())
        if (!received(g)) errant.set(g);
      s.errant_checked = true;
      for (const auto& g : errant.gtids()) s.errant.push_back(g.to_string());
      s.errant_text = errant.to_string();
    } else {
      auto mine = GtidSet::parse(obs.gtid_executed);
      auto theirs = GtidSet::parse(m->obs().gtid_executed);
      auto retrieved = GtidSet::parse(obs.replica->retrieved_gtid_set);
      if (!mine || !theirs || !retrieved) continue;
      GtidSet errant = mine->subtract(*theirs).subtract(*retrieved);
      s.errant_checked = true;
      s.errant_text = errant.to_string();
      if (!errant.empty()) s.errant.push_back(s.errant_text);
    }
  }
}

void Evaluation::gtid_mode() {
  for (const auto& s : m_servers) {
    if (!s.reachable || !s.flavor || !s.flavor->is_mysql() || !s.has_variables()) continue;
    std::string mode = s.obs().variable("gtid_mode");
    if (is_on(mode)) {
      ok("gtid_mode", &s, "gtid_mode ON");
    } else {
      add("gtid_mode", &s, CheckResult::fail,
          fmt::format("gtid_mode is {}: mhad fails over by GTID only", mode.empty() ? "unknown" : mode),
          "enable GTIDs on every server: enforce_gtid_consistency=ON, then gtid_mode OFF_PERMISSIVE, "
          "ON_PERMISSIVE, ON (one step at a time, and in my.cnf)");
    }
  }
}

void Evaluation::gtid_positioning() {
  for (const auto& s : m_servers) {
    if (!s.replica || !s.flavor) continue;
    const auto& r = *s.obs().replica;
    const Flavor& f = *s.flavor;
    if (r.auto_position) {
      ok("gtid_positioning", &s,
         f.is_mariadb() ? (r.using_gtid == ReplicaStatus::UsingGtid::current_pos ? "Using_Gtid=Current_Pos"
                                                                                   : "Using_Gtid=Slave_Pos")
                        : "Auto_Position=1");
      continue;
    }
    add("gtid_positioning", &s, CheckResult::fail,
        f.is_mariadb() ? "Using_Gtid=No: replicates by binlog file and position"
                       : "Auto_Position=0: replicates by binlog file and position",
        fmt::format("on '{}': {}; {}; {}", s.config->name, f.stop_replica_sql(),
                    f.change_source_sql(f.gtid_positioning_clause()), f.start_replica_sql()));
  }
}

void Evaluation::errant_gtids() {
  const Server* m = master_server();
  for (const auto& s : m_servers) {
    if (!s.errant_checked) continue;
    if (s.errant.empty()) {
      ok("errant_gtids", &s, "none");
      continue;
    }
    std::string fix;
    if (s.flavor->is_mariadb()) {
      // MariaDB does not binlog an empty transaction, and in strict mode the
      // replica must not receive its own GTID back: mark it as applied on
      // the replica first, then give the master a binlogged no-op with that
      // GTID (DROP TABLE IF EXISTS of a table that does not exist is
      // logged). Verified on MariaDB 10.11 in the sandbox.
      std::vector<std::string> statements;
      for (const auto& text : s.errant)
        if (auto g = MariadbGtid::parse(text))
          statements.push_back(fmt::format("SET SESSION gtid_domain_id={}, server_id={}, gtid_seq_no={}; "
                                           "DROP TABLE IF EXISTS mysql.mhad_errant_placeholder",
                                           g->domain, g->server_id, g->seq));
      fix = fmt::format("if those writes are harmless (or also done on the master): on '{0}' STOP SLAVE; SET GLOBAL "
                        "gtid_slave_pos=@@gtid_binlog_pos; then on '{1}' {2}; then on '{0}' START SLAVE; "
                        "otherwise rebuild '{0}' from the master",
                        s.config->name, m->config->name, join(statements, "; "));
    } else {
      fix = fmt::format("if those writes are harmless (or also done on the master), inject them on '{}' as empty "
                        "transactions: SET GTID_NEXT='<uuid:n>'; BEGIN; COMMIT; SET GTID_NEXT='AUTOMATIC' for each "
                        "of them; otherwise rebuild '{}' from the master",
                        m->config->name, s.config->name);
    }
    add("errant_gtids", &s, CheckResult::fail,
        fmt::format("transactions the master '{}' never had: {}", m->config->name, s.errant_text), fix);
  }
}

void Evaluation::gtid_strict_mode() {
  for (const auto& s : m_servers) {
    if (!s.reachable || !s.flavor || !s.flavor->is_mariadb() || !s.has_variables()) continue;
    if (is_on(s.obs().variable("gtid_strict_mode"))) {
      ok("gtid_strict_mode", &s, "gtid_strict_mode ON");
      continue;
    }
    add("gtid_strict_mode", &s, CheckResult::warn,
        "gtid_strict_mode is OFF: an out-of-order GTID (a write on a replica) is accepted silently and found only "
        "at failover",
        fmt::format("SET GLOBAL gtid_strict_mode=ON on '{}' (and gtid_strict_mode=ON in my.cnf)", s.config->name));
  }
}

}  // namespace mha::checks_detail

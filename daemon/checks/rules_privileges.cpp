// Rules about the accounts: repl_privilege (repl_user may replicate from a
// promoted candidate), admin_write_privilege (mhad's user may write to it
// while it is read_only).

#include "daemon/checks/evaluation.h"

#include <fmt/format.h>

namespace mha::checks_detail {

void Evaluation::repl_privilege() {
  const Server* m = master_server();
  for (const auto& s : m_servers) {
    if (!s.reachable || &s == m || !is_candidate(s)) continue;
    const auto& p = *s.probe;
    std::string user = p.repl_user.empty() ? m_repl_user : p.repl_user;
    if (p.repl_user_can_replicate == true) {
      ok("repl_privilege", &s, fmt::format("'{}' has REPLICATION SLAVE", user));
    } else if (p.repl_user_can_replicate == false) {
      add("repl_privilege", &s, CheckResult::fail,
          fmt::format("'{}' lacks REPLICATION SLAVE on '{}': once it is the master, the replicas cannot log in",
                      user, s.config->name),
          fmt::format("on the master: GRANT REPLICATION SLAVE ON *.* TO '{}'@'<replica hosts>' (CREATE USER first "
                      "if missing); the grant replicates to '{}'",
                      user, s.config->name));
    } else if (p.repl_user.empty()) {
      add("repl_privilege", &s, CheckResult::warn,
          fmt::format("could not check: {}",
                      p.repl_grants_detail.empty() ? "repl_user is not set and the server is not a replica"
                                                   : p.repl_grants_detail),
          "set repl_user in the cluster config");
    } else {
      add("repl_privilege", &s, CheckResult::warn, fmt::format("could not check '{}': {}", user, p.repl_grants_detail),
          fmt::format("let mhad's user read mysql.user (GRANT SELECT ON mysql.user TO it), or check by hand: SHOW "
                      "GRANTS FOR '{}'@'<host>' on '{}'",
                      user, s.config->name));
    }
  }
}

// mhad's user applies the events salvaged from a dead master's binlog to
// the new master while it is still read_only: without the privilege to
// write there, that failover stops (needs_operator) instead of finishing.
void Evaluation::admin_write_privilege() {
  const Server* m = master_server();
  for (const auto& s : m_servers) {
    if (!s.reachable || &s == m || !is_candidate(s) || !s.probe->obs.flavor) continue;
    const auto& p = *s.probe;
    const auto wanted = p.obs.flavor->write_while_read_only_privileges();
    if (!p.own_privileges) {
      add("admin_write_privilege", &s, CheckResult::warn,
          fmt::format("could not read mhad's own grants: {}", p.own_grants_error),
          fmt::format("check by hand on '{}': SHOW GRANTS FOR '{}'@'<mhad host>' must include one of {}",
                      s.config->name, m_cluster.user, join(wanted, " / ")));
      continue;
    }
    std::string held;
    for (const auto& w : wanted)
      if (p.own_privileges->count(w)) held = w;
    if (!held.empty()) {
      ok("admin_write_privilege", &s, fmt::format("mhad's user has {}: it can apply salvaged events while '{}' is "
                                                  "still read_only",
                                                  held, s.config->name));
      continue;
    }
    add("admin_write_privilege", &s, CheckResult::fail,
        fmt::format("mhad's user '{}' has none of {} on '{}': events salvaged from a dead master cannot be applied "
                    "to it before promotion, and such a failover stops for an operator",
                    m_cluster.user, join(wanted, " / "), s.config->name),
        fmt::format("on the master: GRANT {} ON *.* TO '{}'@'<mhad host>' (it replicates to '{}')", wanted.back(),
                    m_cluster.user, s.config->name));
  }
}

}  // namespace mha::checks_detail

// Rules about TLS: tls (mhad's own connection to each server, as the server
// saw the probe's session) and replication_tls (each replica's connection to
// its master, as SHOW SLAVE STATUS reports it).

#include <fmt/format.h>

#include "daemon/checks/evaluation.h"

namespace mha::checks_detail {

namespace {

std::string mode_text(SslMode mode) { return fmt::format("ssl_mode = \"{}\"", ssl_mode_name(mode)); }

std::string_view what_is_checked(SslMode mode) {
  switch (mode) {
    case SslMode::verify_identity:
      return "certificate and its name checked";
    case SslMode::verify_ca:
      return "certificate checked against ssl_ca, its name not";
    default:
      return "certificate not checked";
  }
}

}  // namespace

void Evaluation::tls() {
  for (const auto& s : m_servers) {
    if (!s.reachable || !s.probe->tls_cipher) continue;
    const SslMode mode = s.config->ssl_mode;
    const std::string& cipher = *s.probe->tls_cipher;
    if (!cipher.empty()) {
      ok("tls", &s,
         fmt::format("encrypted: {} {} ({}; {})", s.probe->tls_version, cipher, mode_text(mode),
                     what_is_checked(mode)));
    } else if (mode == SslMode::disabled) {
      ok("tls", &s, fmt::format("not encrypted ({})", mode_text(mode)));
    } else if (mode == SslMode::preferred) {
      add("tls", &s, CheckResult::warn,
          fmt::format("not encrypted: '{}' offers no TLS and {} fell back to plaintext (mhad's password and "
                      "the replication password in CHANGE MASTER cross the network in clear)",
                      s.config->name, mode_text(mode)),
          fmt::format("enable TLS on '{}' (ssl_cert and ssl_key in its [mysqld] settings), then set ssl_mode = "
                      "\"verify_identity\" with ssl_ca",
                      s.config->name));
    } else {
      // The session refuses plaintext in these modes; a row here means the
      // server reports a plaintext session anyway.
      add("tls", &s, CheckResult::fail, fmt::format("not encrypted although {} requires TLS", mode_text(mode)),
          fmt::format("enable TLS on '{}' (ssl_cert and ssl_key in its [mysqld] settings, require_secure_transport "
                      "= ON to refuse plaintext clients)",
                      s.config->name));
    }
  }
}

void Evaluation::replication_tls() {
  for (const auto& s : m_servers) {
    if (!s.replica || !s.flavor || !tls_required(s.config->ssl_mode)) continue;
    const auto& r = *s.obs().replica;
    if (r.ssl_allowed.empty()) continue;
    if (r.ssl_allowed == "Yes") {
      ok("replication_tls", &s, fmt::format("replicates over TLS (Master_SSL_Allowed: Yes)"));
      continue;
    }
    const Flavor& f = *s.flavor;
    add("replication_tls", &s, CheckResult::warn,
        fmt::format("replicates without TLS (Master_SSL_Allowed: {}) although its {} requires TLS; mhad sets "
                    "TLS up when it next repoints '{}' (failover, switchover, rejoin)",
                    r.ssl_allowed, mode_text(s.config->ssl_mode), s.config->name),
        fmt::format("on '{}': {}; {}; {}", s.config->name, f.stop_replica_sql(),
                    f.change_source_sql(f.tls_source_clauses(s.config->tls())), f.start_replica_sql()));
  }
}

}  // namespace mha::checks_detail

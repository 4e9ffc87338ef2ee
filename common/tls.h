// TLS to MySQL/MariaDB, in the MySQL client's words (--ssl-mode, --ssl-ca,
// --ssl-cert, --ssl-key): what the ssl_* config keys hold, what mhad's own
// sessions (daemon/mariadb_session) and CHANGE MASTER (common/flavor) are
// built from. Pure data, safe on any thread.
#pragma once

#include <string>
#include <string_view>

namespace mha {

// Each mode includes the ones before it:
//   disabled         no TLS (mhad's behaviour before the ssl_* keys existed)
//   preferred        TLS when the server offers it, else plaintext
//   required         TLS or no connection; the certificate is not checked
//   verify_ca        and the server's certificate chains to ssl_ca
//   verify_identity  and it names the address connected to (host name or IP)
enum class SslMode { disabled, preferred, required, verify_ca, verify_identity };

std::string_view ssl_mode_name(SslMode mode);  // "verify_ca", as in the config

// The connection must be encrypted: required, verify_ca, verify_identity.
constexpr bool tls_required(SslMode mode) { return mode >= SslMode::required; }
// The server's certificate is checked against `ca`: verify_ca, verify_identity.
constexpr bool tls_verifies(SslMode mode) { return mode >= SslMode::verify_ca; }

// One connection's TLS settings. Paths are on the host that makes the
// connection: mhad's host for mhad's sessions, the replica's host for its
// replication connection (MASTER_SSL_CA ... in CHANGE MASTER).
struct TlsSettings {
  SslMode mode = SslMode::disabled;
  std::string ca;    // CA certificate(s), PEM; used by verify_ca and verify_identity only
  std::string cert;  // client certificate, PEM (optional; with key)
  std::string key;   // its private key, PEM

  bool operator==(const TlsSettings&) const = default;
};

}  // namespace mha

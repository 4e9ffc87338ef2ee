// What a failed TLS setup on connect tells the operator: the address, the
// ssl_mode, what went wrong in words, and the fix, from Connector/C's text.
// Pure; any thread. MariadbSession is its one user.
#pragma once

#include <string_view>

#include "common/result.h"
#include "common/tls.h"

namespace mha {

enum class TlsFailure {
  not_offered,  // the server has no TLS (or would not start it)
  untrusted,    // its certificate does not chain to ssl_ca
  wrong_name,   // its certificate does not name the address connected to
  local_files,  // ssl_ca, ssl_cert or ssl_key unreadable or not PEM
  other,
};

TlsFailure classify_tls_failure(std::string_view client_text);

// Errc::tls, "cannot connect to HOST:PORT with ssl_mode = "MODE": TEXT
// (error CODE); FIX". `host` is what was connected to (the server's ip, else
// host): with verify_identity, the name the certificate must hold. Code 0:
// no "(error ...)" part.
Error tls_connect_error(const TlsSettings& tls, std::string_view host, unsigned port, std::string_view client_text,
                        unsigned code);

}  // namespace mha

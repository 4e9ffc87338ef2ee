#include "daemon/tls_error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <string>

namespace mha {

namespace {

bool contains_any(std::string_view text, std::initializer_list<std::string_view> needles) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view n) { return lower.find(n) != std::string::npos; });
}

std::string fix_for(TlsFailure failure, const TlsSettings& tls, std::string_view host) {
  switch (failure) {
    case TlsFailure::not_offered:
      return "enable TLS on the server (ssl_cert and ssl_key in its [mysqld] settings), or lower ssl_mode to "
             "\"preferred\" (encrypted only when the server offers it)";
    case TlsFailure::untrusted:
      return fmt::format("set ssl_ca to the CA certificate that signed the server's certificate (now '{}')", tls.ca);
    case TlsFailure::wrong_name:
      return fmt::format(
          "put '{}' in the server certificate's subjectAltName (DNS for a name, IP for an address), "
          "or connect by a name it holds (host/ip); ssl_mode = \"verify_ca\" skips the name check",
          host);
    case TlsFailure::local_files:
      return "check that ssl_ca, ssl_cert and ssl_key are readable PEM files on mhad's host and that the key "
             "belongs to the certificate";
    case TlsFailure::other:
      break;
  }
  return "check ssl_mode, ssl_ca, ssl_cert and ssl_key, and the server's TLS settings (its error log)";
}

}  // namespace

TlsFailure classify_tls_failure(std::string_view text) {
  if (contains_any(text, {"does not support", "doesn't support", "offers no tls"})) return TlsFailure::not_offered;
  if (contains_any(text, {"validation of ssl server certificate", "hostname", "host name", "name mismatch",
                          "ip address mismatch"}))
    return TlsFailure::wrong_name;
  if (contains_any(text, {"certificate verify failed", "unable to get local issuer", "unable to get issuer",
                          "self-signed", "self signed", "certificate has expired", "not yet valid", "unable to verify",
                          "signature failure", "certificate chain"}))
    return TlsFailure::untrusted;
  if (contains_any(text, {"no such file", "system library", "pem", "key values mismatch", "unable to load",
                          "permission denied", "ssl_ctx_use"}))
    return TlsFailure::local_files;
  return TlsFailure::other;
}

Error tls_connect_error(const TlsSettings& tls, std::string_view host, unsigned port, std::string_view client_text,
                        unsigned code) {
  const TlsFailure failure = classify_tls_failure(client_text);
  return make_error(Errc::tls, "cannot connect to {}:{} with ssl_mode = \"{}\": {}{}; {}", host, port,
                    ssl_mode_name(tls.mode), client_text, code != 0 ? fmt::format(" (error {})", code) : "",
                    fix_for(failure, tls, host));
}

}  // namespace mha

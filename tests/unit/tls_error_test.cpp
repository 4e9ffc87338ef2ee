// What a TLS failure on connect says (daemon/tls_error.h): the address, the
// ssl_mode and a fix that fits the failure, from Connector/C 3.3's texts.
#include "daemon/tls_error.h"

#include <catch2/catch.hpp>

using namespace mha;

TEST_CASE("TLS failures are told apart by Connector/C's text", "[tls]") {
  CHECK(classify_tls_failure("SSL connection error: SSL is required, but the "
                             "server does not support it") == TlsFailure::not_offered);
  CHECK(classify_tls_failure("the server does not support TLS: the connection "
                             "would be plaintext") == TlsFailure::not_offered);
  CHECK(classify_tls_failure("SSL connection error: unable to get local issuer certificate") == TlsFailure::untrusted);
  CHECK(classify_tls_failure("SSL connection error: self-signed certificate in "
                             "certificate chain") == TlsFailure::untrusted);
  CHECK(classify_tls_failure("SSL connection error: certificate has expired") == TlsFailure::untrusted);
  CHECK(classify_tls_failure("SSL connection error: Validation of SSL server "
                             "certificate failed") == TlsFailure::wrong_name);
  CHECK(classify_tls_failure("SSL connection error: error:80000002:system "
                             "library::No such file or directory") == TlsFailure::local_files);
  CHECK(classify_tls_failure("SSL connection error: unexpected eof while reading") == TlsFailure::other);
}

TEST_CASE("a TLS error names the address, the mode and the fix", "[tls]") {
  const TlsSettings tls{SslMode::verify_identity, "/etc/mhad/ca.pem", "", ""};
  SECTION("untrusted certificate") {
    Error e =
        tls_connect_error(tls, "10.0.0.5", 3306, "SSL connection error: unable to get local issuer certificate", 2026);
    CHECK(e.code == Errc::tls);
    CHECK(e.message ==
          "cannot connect to 10.0.0.5:3306 with ssl_mode = \"verify_identity\": SSL connection error: unable to get "
          "local issuer certificate (error 2026); set ssl_ca to the CA certificate that signed the server's "
          "certificate (now '/etc/mhad/ca.pem')");
  }
  SECTION("a name the certificate does not hold") {
    Error e = tls_connect_error(tls, "db1.example", 3306,
                                "SSL connection error: Validation of SSL server certificate failed", 2026);
    CHECK(e.message.find("put 'db1.example' in the server certificate's subjectAltName") != std::string::npos);
    CHECK(e.message.find("ssl_mode = \"verify_ca\" skips the name check") != std::string::npos);
  }
  SECTION("no TLS on the server; no error number when Connector/C gave none") {
    Error e = tls_connect_error(TlsSettings{SslMode::required, "", "", ""}, "10.0.0.5", 3307,
                                "the server does not support TLS: the connection would be plaintext", 0);
    CHECK(e.message ==
          "cannot connect to 10.0.0.5:3307 with ssl_mode = \"required\": the server does not support TLS: the "
          "connection would be plaintext; enable TLS on the server (ssl_cert and ssl_key in its [mysqld] settings), "
          "or lower ssl_mode to \"preferred\" (encrypted only when the server offers it)");
  }
}

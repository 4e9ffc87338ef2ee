// TLS to MySQL against a TLS-only sandbox (sandbox.sh start --tls:
// require_secure_transport=ON, one CA, mha and repl REQUIRE X509): mhad with
// ssl_mode = "verify_identity" monitors it and fails over a killed master
// under write load with the replicas replicating over TLS afterwards; a
// wrong CA is refused with the error that says so, and starts no failover;
// a certificate for another name passes verify_ca, not verify_identity.
// Each test rebuilds the plain sandbox when it ends.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "common/flavor.h"
#include "daemon/mariadb_session.h"
#include "integration/failover_support.h"

using namespace mha;
using namespace mha::it;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const auto& k_hosts = k_loopback_hosts;

// Replaces the running sandbox with a TLS-only one (FreshSandboxAfter, made
// before it, puts the plain one back).
void start_tls_sandbox() {
  run(sandbox_script() + " stop --purge");
  auto started = run(sandbox_script() + " start --tls");
  INFO(started.out);
  REQUIRE(started.exit_code == 0);
  REQUIRE(sandbox_client_tls().mode == SslMode::verify_identity);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// SHOW SLAVE STATUS on sandbox host i, read over TLS as mha.
std::map<std::string, SqlValue> slave_status(int host) {
  MariadbSession s;
  auto connected = s.connect(sandbox_endpoint(k_hosts[host], 3306, "mha", "mhapass"));
  INFO((connected ? std::string() : connected.error().message));
  REQUIRE(connected);
  auto rows = s.query("SHOW SLAVE STATUS");
  REQUIRE(rows);
  REQUIRE_FALSE(rows->empty());
  return rows->row_map(0);
}

json report_row(const json& report, const std::string& check, const std::string& server) {
  for (const auto& r : report["clusters"][0]["rows"])
    if (r["check"] == check && r["server"] == server) return r;
  return nullptr;
}

void check_no_password(const std::string& where, const std::string& text) {
  for (const char* secret : {"mhapass", "replpass"}) {
    INFO(where << " must not hold " << secret);
    CHECK(text.find(secret) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("TLS-only cluster, ssl_mode = verify_identity: monitored, failed over under load, replicating over TLS",
          "[integration][tls][failover]") {
  FreshSandboxAfter rebuild;
  start_tls_sandbox();

  // What a user checks first: the servers refuse plaintext, even from the
  // application, and the replicas replicate over TLS.
  // (MariaDB 10.11 answers a plaintext login with "Access denied".)
  for (const char* host : k_hosts) {
    MariadbSession plain, encrypted;
    auto refused = plain.connect(SqlEndpoint{host, 3306, "app", "apppass"});
    INFO(host << ": " << (refused ? std::string("connected") : refused.error().message));
    CHECK_FALSE(refused);
    CHECK(encrypted.connect(sandbox_endpoint(host, 3306, "app", "apppass")));
  }
  for (int replica : {1, 2}) CHECK(slave_status(replica)["Master_SSL_Allowed"] == "Yes");

  const std::string dir = sandbox_config("mhad-tls", true);
  const std::string cluster_file = read_file(dir + "/clusters.d/sandbox.toml");
  CHECK(cluster_file.find("ssl_mode = \"verify_identity\"") != std::string::npos);
  CHECK(cluster_file.find("ssl_ca = \"" + sandbox_dir() + "/tls/ca.pem\"") != std::string::npos);

  Mhad mhad(dir);
  start_ready(mhad);  // healthy: every server read over TLS

  auto checked = run(mhactl_path() + " --socket " + mhad.socket() + " check --json");
  auto report = json::parse(checked.out, nullptr, false);
  INFO(checked.out);
  REQUIRE_FALSE(report.is_discarded());
  for (const char* server : {"master", "slave1", "slave2"}) {
    auto tls = report_row(report, "tls", server);
    INFO(server);
    REQUIRE(tls.is_object());
    CHECK(tls["result"] == "ok");
    CHECK(tls["detail"].get<std::string>().find("encrypted: TLSv1.") == 0);
    CHECK(tls["detail"].get<std::string>().find("ssl_mode = \"verify_identity\"") != std::string::npos);
  }
  CHECK(report_row(report, "replication_tls", "slave1")["result"] == "ok");

  auto acked = kill_master_under_load();
  json failover;
  bool done = wait_until(30s, [&] { return !(failover = last_failover(mhad.status())).is_null(); });
  INFO(mhad.log());
  REQUIRE(done);
  CHECK(failover["result"] == "completed");
  check_outcome(acked, "slave1",
                mhad);  // 0 acknowledged writes lost, slave2 follows slave1

  // slave2 was repointed by mhad's CHANGE MASTER: TLS with the name check,
  // the sandbox's CA and client certificate (repl REQUIRE X509).
  auto repointed = slave_status(2);
  CHECK(repointed["Master_Host"] == std::string(k_hosts[1]));
  CHECK(repointed["Master_SSL_Allowed"] == "Yes");
  CHECK(repointed["Master_SSL_Verify_Server_Cert"] == "Yes");
  CHECK(repointed["Master_SSL_CA_File"] == sandbox_dir() + "/tls/ca.pem");
  CHECK(repointed["Master_SSL_Cert"] == sandbox_dir() + "/tls/client.pem");
  CHECK(repointed["Slave_IO_Running"] == "Yes");

  check_no_password("mhad's log", mhad.log());
  check_no_password("mhactl status", run(mhactl_path() + " --socket " + mhad.socket() + " status").out);
  check_no_password("status JSON", mhad.status().dump());
}

TEST_CASE(
    "TLS-only cluster: a wrong CA is refused with the fix and starts no failover; a wrong name is refused "
    "by verify_identity only",
    "[integration][tls]") {
  FreshSandboxAfter rebuild;
  start_tls_sandbox();
  const std::string wrong_ca = sandbox_dir() + "/other-ca.pem";
  auto made =
      run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
          "-subj '/CN=not the sandbox CA' -keyout " +
          sandbox_dir() + "/other-ca.key -out " + wrong_ca);
  INFO(made.out);
  REQUIRE(made.exit_code == 0);
  auto generated =
      run(sandbox_script() + " gen-config " + sandbox_dir() + "/mhad-wrong-ca --ping-interval 1s --ssl-ca " + wrong_ca);
  INFO(generated.out);
  REQUIRE(generated.exit_code == 0);

  Mhad mhad(sandbox_dir() + "/mhad-wrong-ca");
  REQUIRE(mhad.start());
  json status;
  bool refused = wait_until(15s, [&] {
    status = mhad.status();
    if (!status.is_object()) return false;
    for (const auto& server : status["clusters"][0]["servers"])
      if (!server["last_error"].is_string() ||
          server["last_error"].get<std::string>().find("ssl_mode = \"verify_identity\"") == std::string::npos)
        return false;
    return true;
  });
  INFO(status.dump(2) << "\n" << mhad.log());
  REQUIRE(refused);
  const std::string error = status["clusters"][0]["servers"][0]["last_error"];
  WARN("mhad on the wrong CA: " << error);
  CHECK(error.find("127.0.0.11:3306") != std::string::npos);
  CHECK(error.find("set ssl_ca to the CA certificate that signed the server's certificate (now '" + wrong_ca + "')") !=
        std::string::npos);
  CHECK(mhad.log().find("'master' is") != std::string::npos);

  auto checked = run(mhactl_path() + " --socket " + mhad.socket() + " check --json");
  auto report = json::parse(checked.out, nullptr, false);
  INFO(checked.out);
  REQUIRE_FALSE(report.is_discarded());
  auto reachable = report_row(report, "reachable", "master");
  CHECK(reachable["result"] == "fail");
  CHECK(reachable["fix"].get<std::string>().find("fix TLS to 'master'") == 0);

  // An untrusted certificate is not a dead master: nothing is failed over
  // (ping_interval 1s, 4 failures would have been enough).
  std::this_thread::sleep_for(6s);
  CHECK(last_failover(mhad.status()).is_null());
  CHECK(sandbox_sql(0, "SELECT @@read_only") == "0");
  CHECK(sandbox_sql(1, "SELECT @@read_only") == "1");
  check_no_password("mhad's log", mhad.log());

  // A certificate from the right CA that does not name the address:
  // verify_ca accepts it, verify_identity does not.
  const std::string tls = sandbox_dir() + "/tls/", host2 = sandbox_dir() + "/host2/";
  auto issued = run("cd " + tls +
                    " && printf 'subjectAltName=DNS:elsewhere.example\\n' > other.ext"
                    " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj '/CN=elsewhere'"
                    " -keyout other.key -out other.csr && openssl x509 -req -in other.csr -CA ca.pem -CAkey ca.key "
                    "-CAcreateserial -days 1 -extfile other.ext -out other.pem"
                    " && install -o mysql -m 600 other.key " +
                    host2 + "tls-server.key && install -o mysql -m 644 other.pem " + host2 + "tls-server.pem");
  INFO(issued.out);
  REQUIRE(issued.exit_code == 0);
  sandbox_sql(2, "FLUSH SSL");
  SqlEndpoint endpoint = sandbox_endpoint(k_hosts[2], 3306, "mha", "mhapass");
  MariadbSession by_name;
  auto wrong_name = by_name.connect(endpoint);
  INFO((wrong_name ? std::string("connected") : wrong_name.error().message));
  REQUIRE_FALSE(wrong_name);
  WARN("verify_identity, certificate for another name: " << wrong_name.error().message);
  CHECK(wrong_name.error().code == Errc::tls);
  CHECK(wrong_name.error().message.find("put '127.0.0.13' in the server certificate's subjectAltName") !=
        std::string::npos);
  endpoint.tls.mode = SslMode::verify_ca;
  MariadbSession by_ca;
  CHECK(by_ca.connect(endpoint));
}

TEST_CASE("ssl_mode against a plaintext server: required refuses it, preferred falls back", "[integration][tls]") {
  // The default (plain) sandbox: its servers offer no TLS.
  SqlEndpoint endpoint{k_hosts[0], 3306, "mha", "mhapass"};
  endpoint.tls.mode = SslMode::required;
  MariadbSession required;
  auto refused = required.connect(endpoint);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::tls);
  CHECK(refused.error().message.find("with ssl_mode = \"required\"") != std::string::npos);
  CHECK(refused.error().message.find("enable TLS on the server") != std::string::npos);

  endpoint.tls.mode = SslMode::preferred;
  MariadbSession preferred;
  REQUIRE(preferred.connect(endpoint));
  auto cipher = preferred.query(Flavor::tls_status_sql());
  REQUIRE(cipher);
  for (const auto& row : cipher->rows) CHECK(row[1].value_or("") == "");  // plaintext, as the mode allows
}

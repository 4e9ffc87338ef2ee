// The real etcd seam: etcd's v3 JSON gateway (HTTP POST /v3/..., etcd 3.4
// and later) through libcurl. Chosen over gRPC because Debian ships libcurl
// and etcd's gateway but no gRPC C++ stack, and four calls do not need one.
// Each call has one deadline across all endpoints, shared out so that each
// endpoint not yet tried gets an equal part of what is left: one that fails
// at transport level (refused, timed out, TLS) is skipped for the next one,
// which then becomes the first one tried; an answer from etcd, even an
// error, ends the call. Runs on the thread that owns it (not thread-safe).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "daemon/coordination/etcd.h"

namespace mha {

struct EtcdClientOptions {
  std::vector<std::string> endpoints;  // "http(s)://host:port"
  std::string ca, cert, key;           // PEM files; empty: the system's CAs / no client certificate
  std::string user;                    // empty: no authentication
  Secret password;
};

EtcdClientOptions etcd_client_options(const DaemonConfig& daemon);

class EtcdClient final : public Etcd {
 public:
  explicit EtcdClient(EtcdClientOptions options);
  ~EtcdClient() override;

  Result<EtcdLease> grant(std::chrono::seconds ttl, std::chrono::milliseconds timeout) override;
  Result<std::chrono::seconds> keepalive(EtcdLeaseId lease, std::chrono::milliseconds timeout) override;
  Result<void> revoke(EtcdLeaseId lease, std::chrono::milliseconds timeout) override;
  Result<EtcdTxnResult> txn(const EtcdTxn& txn, std::chrono::milliseconds timeout) override;
  Result<std::optional<EtcdKv>> get(const std::string& key, std::chrono::milliseconds timeout) override;
  Result<void> remove(const std::string& key, std::chrono::milliseconds timeout) override;

 private:
  struct Curl;
  // POSTs `body` to PATH on the endpoints in turn until one answers within
  // the deadline; the body of a 200 answer, else the error.
  Result<std::string> post(const std::string& path, const std::string& body, std::chrono::milliseconds timeout);
  Result<std::string> post_once(const std::string& url, const std::string& body, std::chrono::milliseconds timeout,
                                long& http_status);
  Result<void> authenticate(std::chrono::milliseconds timeout);

  EtcdClientOptions m_options;
  std::unique_ptr<Curl> m_curl;
  std::size_t m_first = 0;  // the endpoint that answered last
  std::string m_token;      // etcd auth token, when authenticated
};

}  // namespace mha

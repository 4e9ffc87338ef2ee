#include "daemon/coordination/etcd_client.h"

#include <curl/curl.h>

#include <mutex>

#include "common/log.h"
#include "daemon/coordination/etcd_json.h"

namespace mha {

using namespace std::chrono_literals;
using Ms = std::chrono::milliseconds;

namespace {

// curl_global_init is not thread-safe: once per process, before any handle.
void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t append(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

}  // namespace

struct EtcdClient::Curl {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle{nullptr, &curl_easy_cleanup};
};

EtcdClientOptions etcd_client_options(const DaemonConfig& daemon) {
  EtcdClientOptions options;
  options.endpoints = daemon.etcd_endpoints;
  options.ca = daemon.etcd_ca;
  options.cert = daemon.etcd_cert;
  options.key = daemon.etcd_key;
  options.user = daemon.etcd_user;
  options.password = daemon.etcd_password;
  return options;
}

EtcdClient::EtcdClient(EtcdClientOptions options) : m_options(std::move(options)), m_curl(std::make_unique<Curl>()) {
  global_init();
  m_curl->handle.reset(curl_easy_init());
}

EtcdClient::~EtcdClient() = default;

Result<std::string> EtcdClient::post_once(const std::string& url, const std::string& body, Ms timeout,
                                          long& http_status) {
  CURL* c = m_curl->handle.get();
  if (c == nullptr) return make_error(Errc::internal, "curl_easy_init failed");
  curl_easy_reset(c);
  std::string reply;
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
      curl_slist_append(nullptr, "Content-Type: application/json"), &curl_slist_free_all);
  if (!m_token.empty()) headers.reset(curl_slist_append(headers.release(), ("Authorization: " + m_token).c_str()));
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
  // The whole call, connect included, within what is left of the deadline;
  // no signals (the daemon's threads must not get SIGALRM).
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<Ms>(timeout, 1ms).count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  if (!m_options.ca.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, m_options.ca.c_str());
  if (!m_options.cert.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, m_options.cert.c_str());
  if (!m_options.key.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, m_options.key.c_str());
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    const Errc code = rc == CURLE_OPERATION_TIMEDOUT        ? Errc::timeout
                      : rc == CURLE_COULDNT_CONNECT         ? Errc::refused
                      : rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ? Errc::tls
                                                                                               : Errc::network;
    return make_error(code, "etcd '{}': {}", url, curl_easy_strerror(rc));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http_status);
  return reply;
}

Result<std::string> EtcdClient::post(const std::string& path, const std::string& body, Ms timeout) {
  if (m_options.endpoints.empty()) return make_error(Errc::config, "no etcd_endpoints configured");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<Error> last;
  bool reauthenticated = false;
  for (std::size_t tried = 0; tried < m_options.endpoints.size();) {
    const Ms left = std::chrono::duration_cast<Ms>(deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) break;
    if (!m_options.user.empty() && m_token.empty()) {
      if (auto auth = authenticate(left); !auth) return auth.error();
      continue;
    }
    const std::size_t index = (m_first + tried) % m_options.endpoints.size();
    const std::string url = m_options.endpoints[index] + path;
    long status = 0;
    // A member that hangs (frozen, partitioned) must not eat the whole
    // deadline: each endpoint not yet tried gets an equal share of what is
    // left (the last one all of it).
    const Ms share = std::max<Ms>(left / static_cast<long>(m_options.endpoints.size() - tried), 20ms);
    auto reply = post_once(url, body, std::min(share, left), status);
    if (!reply) {
      last = reply.error();
      ++tried;
      continue;
    }
    m_first = index;
    if (status == 200 && reply->find("\"error\"") == std::string::npos) return reply;
    const std::string text = etcd_json::error_text(*reply);
    // An expired token is renewed once (etcd's simple tokens time out).
    if (!m_options.user.empty() && !reauthenticated && text.find("invalid auth token") != std::string::npos) {
      m_token.clear();
      reauthenticated = true;
      continue;
    }
    const Errc code = status == 401 || text.find("permission denied") != std::string::npos ? Errc::auth
                      : status == 0 || status >= 500                                       ? Errc::network
                                                                                           : Errc::refused;
    return make_error(code, "etcd '{}' answered HTTP {}: {}{}", url, status, text,
                      etcd_json::gateway_tls_hint(text, !m_options.cert.empty()));
  }
  if (last) return *last;
  return make_error(Errc::timeout, "etcd: no endpoint answered within {} ms", timeout.count());
}

Result<void> EtcdClient::authenticate(Ms timeout) {
  const std::string body = etcd_json::authenticate_request(m_options.user, m_options.password.reveal()).dump();
  std::optional<Error> last;
  for (std::size_t tried = 0; tried < m_options.endpoints.size(); ++tried) {
    const std::size_t index = (m_first + tried) % m_options.endpoints.size();
    const std::string url = m_options.endpoints[index] + "/v3/auth/authenticate";
    long status = 0;
    auto reply = post_once(url, body, timeout, status);
    if (!reply) {
      last = reply.error();
      continue;
    }
    m_first = index;
    // The reply never echoes the password; etcd's message is safe to show.
    if (status != 200) {
      const std::string text = scrub(etcd_json::error_text(*reply), m_options.password);
      return make_error(Errc::auth, "etcd '{}' refused user '{}': {}{}", url, m_options.user, text,
                        etcd_json::gateway_tls_hint(text, !m_options.cert.empty()));
    }
    auto token = etcd_json::parse_authenticate(*reply);
    if (!token) return token.error();
    m_token = *token;
    return {};
  }
  if (last) return *last;
  return make_error(Errc::timeout, "etcd: no endpoint answered the authentication");
}

Result<EtcdLease> EtcdClient::grant(std::chrono::seconds ttl, Ms timeout) {
  auto reply = post("/v3/lease/grant", etcd_json::grant_request(ttl).dump(), timeout);
  if (!reply) return reply.error();
  return etcd_json::parse_grant(*reply);
}

Result<std::chrono::seconds> EtcdClient::keepalive(EtcdLeaseId lease, Ms timeout) {
  auto reply = post("/v3/lease/keepalive", etcd_json::keepalive_request(lease).dump(), timeout);
  if (!reply) return reply.error();
  return etcd_json::parse_keepalive(*reply);
}

Result<void> EtcdClient::revoke(EtcdLeaseId lease, Ms timeout) {
  auto reply = post("/v3/lease/revoke", etcd_json::revoke_request(lease).dump(), timeout);
  if (!reply) return reply.error();
  return {};
}

Result<EtcdTxnResult> EtcdClient::txn(const EtcdTxn& txn, Ms timeout) {
  auto reply = post("/v3/kv/txn", etcd_json::txn_request(txn).dump(), timeout);
  if (!reply) return reply.error();
  return etcd_json::parse_txn(*reply, txn);
}

Result<std::optional<EtcdKv>> EtcdClient::get(const std::string& key, Ms timeout) {
  auto reply = post("/v3/kv/range", etcd_json::range_request(key).dump(), timeout);
  if (!reply) return reply.error();
  return etcd_json::parse_range(*reply);
}

Result<void> EtcdClient::remove(const std::string& key, Ms timeout) {
  auto reply = post("/v3/kv/deleterange", etcd_json::delete_request(key).dump(), timeout);
  if (!reply) return reply.error();
  return {};
}

}  // namespace mha

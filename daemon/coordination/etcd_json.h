// The JSON shapes of etcd's v3 gRPC gateway (etcd 3.4: /v3/kv/range,
// /v3/kv/txn, /v3/lease/grant, ...): request bodies built from the etcd.h
// types, responses parsed back. Keys and values are base64 in the JSON;
// int64 fields come back as strings, and fields at their default (false,
// 0, empty) are left out. Pure: no I/O. nlohmann's exceptions stop here.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "daemon/coordination/etcd.h"

namespace mha::etcd_json {

std::string base64_encode(std::string_view bytes);
// nullopt for text that is not base64.
std::optional<std::string> base64_decode(std::string_view text);

nlohmann::json grant_request(std::chrono::seconds ttl);
nlohmann::json keepalive_request(EtcdLeaseId lease);
nlohmann::json revoke_request(EtcdLeaseId lease);
nlohmann::json txn_request(const EtcdTxn& txn);
nlohmann::json range_request(const std::string& key);
nlohmann::json delete_request(const std::string& key);
nlohmann::json authenticate_request(const std::string& user, const std::string& password);

// Each parses a 200 response's body; Errc::parse when it has another shape.
Result<EtcdLease> parse_grant(std::string_view body);
Result<std::chrono::seconds> parse_keepalive(std::string_view body);
Result<EtcdTxnResult> parse_txn(std::string_view body, const EtcdTxn& txn);
Result<std::optional<EtcdKv>> parse_range(std::string_view body);
Result<std::string> parse_authenticate(std::string_view body);
// The gateway's error reply ({"error": "...", "code": 14, "message": "..."}),
// as one line; the body itself (cut short) when it is not that shape.
std::string error_text(std::string_view body);
// What to do about two refusals of etcd 3.4's gateway to a client with a
// certificate (etcd_cert), or "": it refuses a certificate that has a
// CommonName (CN-based auth is off for the gateway since CVE-2018-16886),
// and with --client-cert-auth it presents the member's own server
// certificate to etcd's gRPC side, which then needs clientAuth usage ("connection
// closed").
std::string gateway_tls_hint(std::string_view error_text, bool client_certificate);

}  // namespace mha::etcd_json

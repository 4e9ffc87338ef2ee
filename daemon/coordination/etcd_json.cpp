#include "daemon/coordination/etcd_json.h"

#include <array>
#include <stdexcept>

namespace mha::etcd_json {

using nlohmann::json;

namespace {

constexpr std::string_view k_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
  const auto at = k_alphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

// int64 fields: proto3's JSON mapping writes them as strings; accept a
// number too. Absent: the default, 0.
std::int64_t int64_field(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return 0;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_string()) return std::stoll(it->get<std::string>());
  throw std::runtime_error(std::string(name) + " is not an integer");
}

std::string bytes_field(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return {};
  auto decoded = base64_decode(it->get<std::string>());
  if (!decoded) throw std::runtime_error(std::string(name) + " is not base64");
  return *decoded;
}

EtcdKv kv_of(const json& item) {
  EtcdKv kv;
  kv.key = bytes_field(item, "key");
  kv.value = bytes_field(item, "value");
  kv.create_revision = int64_field(item, "create_revision");
  kv.mod_revision = int64_field(item, "mod_revision");
  kv.lease = int64_field(item, "lease");
  return kv;
}

std::vector<EtcdKv> kvs_of(const json& range) {
  std::vector<EtcdKv> out;
  if (auto it = range.find("kvs"); it != range.end())
    for (const json& item : *it) out.push_back(kv_of(item));
  return out;
}

json op_json(const EtcdOp& op) {
  switch (op.kind) {
    case EtcdOp::Kind::put: {
      json put{{"key", base64_encode(op.key)}, {"value", base64_encode(op.value)}};
      if (op.lease != 0) put["lease"] = std::to_string(op.lease);
      return json{{"request_put", put}};
    }
    case EtcdOp::Kind::range: return json{{"request_range", range_request(op.key)}};
    case EtcdOp::Kind::remove: return json{{"request_delete_range", delete_request(op.key)}};
  }
  return json::object();
}

template <class T, class F>
Result<T> parsed(std::string_view body, std::string_view what, F&& read) {
  try {
    return read(json::parse(body));
  } catch (const std::exception& e) {
    return make_error(Errc::parse, "etcd's {} reply has an unexpected shape ({}): {}", what, e.what(),
                      std::string(body.substr(0, 200)));
  }
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += k_alphabet[(n >> shift) & 63];
  }
  if (const std::size_t left = bytes.size() - i; left > 0) {
    unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
    if (left == 2) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += left == 2 ? k_alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::array<int, 4> v{};
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && i + 4 == text.size() && j >= 2) {
        ++pad;
        v[j] = 0;
        continue;
      }
      if (pad > 0 || (v[j] = sextet(c)) < 0) return std::nullopt;
    }
    const unsigned n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

json grant_request(std::chrono::seconds ttl) { return json{{"TTL", std::to_string(ttl.count())}}; }
json keepalive_request(EtcdLeaseId lease) { return json{{"ID", std::to_string(lease)}}; }
json revoke_request(EtcdLeaseId lease) { return json{{"ID", std::to_string(lease)}}; }
json range_request(const std::string& key) { return json{{"key", base64_encode(key)}}; }
json delete_request(const std::string& key) { return json{{"key", base64_encode(key)}}; }
json authenticate_request(const std::string& user, const std::string& password) {
  return json{{"name", user}, {"password", password}};
}

json txn_request(const EtcdTxn& txn) {
  json compare = json::array();
  for (const EtcdCompare& c : txn.compare) {
    json item{{"result", "EQUAL"}, {"key", base64_encode(c.key)}};
    switch (c.target) {
      case EtcdCompare::Target::create_revision:
        item["target"] = "CREATE";
        item["create_revision"] = std::to_string(c.revision);
        break;
      case EtcdCompare::Target::mod_revision:
        item["target"] = "MOD";
        item["mod_revision"] = std::to_string(c.revision);
        break;
      case EtcdCompare::Target::value:
        item["target"] = "VALUE";
        item["value"] = base64_encode(c.value);
        break;
    }
    compare.push_back(std::move(item));
  }
  json success = json::array();
  for (const EtcdOp& op : txn.success) success.push_back(op_json(op));
  json failure = json::array();
  for (const EtcdOp& op : txn.failure) failure.push_back(op_json(op));
  return json{{"compare", compare}, {"success", success}, {"failure", failure}};
}

Result<EtcdLease> parse_grant(std::string_view body) {
  return parsed<EtcdLease>(body, "lease grant", [](const json& doc) {
    EtcdLease lease;
    lease.id = int64_field(doc, "ID");
    lease.ttl = std::chrono::seconds(int64_field(doc, "TTL"));
    if (lease.id == 0 || lease.ttl.count() <= 0) throw std::runtime_error("no ID or TTL");
    return lease;
  });
}

Result<std::chrono::seconds> parse_keepalive(std::string_view body) {
  // A stream of one message: {"result": {"ID": ..., "TTL": ...}}; an expired
  // lease comes back without TTL.
  return parsed<std::chrono::seconds>(body, "lease keepalive", [](const json& doc) {
    return std::chrono::seconds(int64_field(doc.at("result"), "TTL"));
  });
}

Result<EtcdTxnResult> parse_txn(std::string_view body, const EtcdTxn& txn) {
  return parsed<EtcdTxnResult>(body, "txn", [&txn](const json& doc) {
    EtcdTxnResult out;
    out.succeeded = doc.value("succeeded", false);
    out.revision = int64_field(doc.at("header"), "revision");
    const auto& ops = out.succeeded ? txn.success : txn.failure;
    const json responses = doc.value("responses", json::array());
    if (responses.size() != ops.size()) throw std::runtime_error("responses do not match the ops");
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].kind == EtcdOp::Kind::range)
        out.results.push_back(kvs_of(responses[i].at("response_range")));
      else
        out.results.emplace_back();
    }
    return out;
  });
}

Result<std::optional<EtcdKv>> parse_range(std::string_view body) {
  return parsed<std::optional<EtcdKv>>(body, "range", [](const json& doc) -> std::optional<EtcdKv> {
    auto kvs = kvs_of(doc);
    if (kvs.empty()) return std::nullopt;
    return kvs.front();
  });
}

Result<std::string> parse_authenticate(std::string_view body) {
  return parsed<std::string>(body, "authenticate", [](const json& doc) { return doc.at("token").get<std::string>(); });
}

std::string error_text(std::string_view body) {
  try {
    const json doc = json::parse(body);
    if (doc.is_object()) {
      if (auto it = doc.find("message"); it != doc.end() && it->is_string()) return it->get<std::string>();
      if (auto it = doc.find("error"); it != doc.end() && it->is_string()) return it->get<std::string>();
    }
  } catch (const std::exception&) {
  }
  std::string text(body.substr(0, 200));
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

std::string gateway_tls_hint(std::string_view error_text, bool client_certificate) {
  if (error_text.find("CommonName of client") != std::string_view::npos)
    return " (etcd's JSON gateway, which mhad talks to, refuses a client certificate that has a CommonName: "
           "give mhad one with an empty CN, e.g. subject \"/O=example/OU=mhad\", in etcd_cert)";
  if (client_certificate && error_text.find("connection closed") != std::string_view::npos)
    return " (with --client-cert-auth, etcd's JSON gateway presents the member's own server certificate to "
           "etcd: it needs extendedKeyUsage clientAuth as well as serverAuth, see the member's log)";
  return "";
}

}  // namespace mha::etcd_json

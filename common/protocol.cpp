#include "common/protocol.h"

namespace mha::protocol {

using nlohmann::json;

Result<Request> parse_request(std::string_view line) {
  if (line.size() > k_max_line_bytes)
    return make_error(Errc::bad_request, "request line is {} bytes, the limit is {}", line.size(),
                      k_max_line_bytes);
  json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded())
    return make_error(Errc::bad_request,
                      "request is not valid JSON; send one JSON object per line, e.g. "
                      "{{\"id\":1,\"cmd\":\"status\"}}");
  if (!doc.is_object())
    return make_error(Errc::bad_request, "request must be a JSON object, found {}", doc.type_name());
  Request request;
  if (auto it = doc.find("id"); it != doc.end()) {
    if (!it->is_number_integer() && !it->is_string() && !it->is_null())
      return make_error(Errc::bad_request, "'id' must be an integer or a string, found {}",
                        it->type_name());
    request.id = *it;
  }
  auto cmd = doc.find("cmd");
  if (cmd == doc.end())
    return make_error(Errc::bad_request, "request has no 'cmd'");
  if (!cmd->is_string())
    return make_error(Errc::bad_request, "'cmd' must be a string, found {}", cmd->type_name());
  request.cmd = cmd->get<std::string>();
  if (auto it = doc.find("cluster"); it != doc.end() && !it->is_null()) {
    if (!it->is_string())
      return make_error(Errc::bad_request, "'cluster' must be a string, found {}", it->type_name());
    request.cluster = it->get<std::string>();
  }
  request.args = std::move(doc);
  return request;
}

Result<std::string> Request::string_arg(std::string_view key, std::string fallback) const {
  if (!args.is_object()) return fallback;
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) return fallback;
  if (!it->is_string())
    return make_error(Errc::bad_request, "'{}' must be a string, found {}", key, it->type_name());
  return it->get<std::string>();
}

Result<bool> Request::bool_arg(std::string_view key, bool fallback) const {
  if (!args.is_object()) return fallback;
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) return fallback;
  if (!it->is_boolean())
    return make_error(Errc::bad_request, "'{}' must be true or false, found {}", key, it->type_name());
  return it->get<bool>();
}

std::string make_request(const json& id, std::string_view cmd, const json& extra) {
  json doc = extra.is_object() ? extra : json::object();
  doc["id"] = id;
  doc["cmd"] = cmd;
  return doc.dump() + "\n";
}

// dump() with replace: a server error text with invalid UTF-8 must not throw.
static std::string line_of(const json& doc) {
  return doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string ok_reply(const json& id, const json& result) {
  return line_of(json{{"id", id}, {"ok", true}, {"result", result}});
}

std::string error_reply(const json& id, const Error& error) {
  return line_of(json{{"id", id},
                      {"ok", false},
                      {"error", {{"code", errc_name(error.code)}, {"message", error.message}}}});
}

std::string event_reply(const json& id, std::string_view event, const json& body) {
  json doc = body.is_object() ? body : json::object();
  doc["id"] = id;
  doc["event"] = event;
  return line_of(doc);
}

Result<Reply> parse_reply(std::string_view line) {
  json doc = json::parse(line, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return make_error(Errc::parse, "mhad sent a reply that is not a JSON object");
  Reply reply;
  reply.id = doc.value("id", json());
  if (doc.contains("event")) {
    reply.kind = Reply::Kind::event;
    reply.body = doc;
    return reply;
  }
  auto ok = doc.find("ok");
  if (ok == doc.end() || !ok->is_boolean())
    return make_error(Errc::parse, "mhad sent a reply without a boolean 'ok'");
  if (ok->get<bool>()) {
    reply.kind = Reply::Kind::result;
    reply.body = doc.value("result", json::object());
  } else {
    reply.kind = Reply::Kind::error;
    reply.body = doc.value("error", json::object());
  }
  return reply;
}

}  // namespace mha::protocol

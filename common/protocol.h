// The control protocol between mhactl and mhad: newline-delimited JSON over a
// Unix socket, one request per line, one or more reply lines per request
// (progress events, then exactly one result line). Shared by both sides so
// that the message shapes are written down once.
//
//   -> {"id":7,"cmd":"status","cluster":"app1"}
//   <- {"id":7,"ok":true,"result":{...}}
//   <- {"id":7,"ok":false,"error":{"code":"unknown_cluster","message":"..."}}
//   <- {"id":7,"event":"phase","phase":"wait_catchup","detail":"..."}   (long operations)
#pragma once

#include "common/result.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace mha::protocol {

// Lines longer than this are refused with bad_request and the client dropped:
// nothing legitimate comes close, and it bounds what one client can make us buffer.
inline constexpr std::size_t k_max_line_bytes = 1024 * 1024;

struct Request {
  nlohmann::json id;        // echoed verbatim; null when absent
  std::string cmd;
  std::string cluster;      // empty = not given
  nlohmann::json args;      // the whole request object, for command-specific keys

  // Command-specific keys, typed. Absent or null: `fallback`. Present with
  // another type: Errc::bad_request naming the key and the type expected
  // (a handler returns it as the reply; nothing throws).
  Result<std::string> string_arg(std::string_view key, std::string fallback = "") const;
  Result<bool> bool_arg(std::string_view key, bool fallback = false) const;
};

// Parses one line. Errors (Errc::bad_request) say what is wrong in words an
// operator can act on: "not JSON: ...", "'cmd' must be a string", ...
Result<Request> parse_request(std::string_view line);

std::string make_request(const nlohmann::json& id, std::string_view cmd,
                         const nlohmann::json& extra = nlohmann::json::object());

std::string ok_reply(const nlohmann::json& id, const nlohmann::json& result);
std::string error_reply(const nlohmann::json& id, const Error& error);
std::string event_reply(const nlohmann::json& id, std::string_view event, const nlohmann::json& body);

// Client side: one reply line decoded. kind is result, error or event.
struct Reply {
  enum class Kind { result, error, event } kind = Kind::result;
  nlohmann::json id;
  nlohmann::json body;  // result object, error object {code,message}, or the event line
};
Result<Reply> parse_reply(std::string_view line);

}  // namespace mha::protocol

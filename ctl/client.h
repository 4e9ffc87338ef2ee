// mhactl's side of mhad's control socket: connect to the Unix socket, send one
// request line, read reply lines until the result or error line, handing
// progress events to a callback on the way. Blocking; one call per process.
//
// Failures come back as an Error whose code says which exit status it earns
// (exit_code_for), and whose message is the whole line to print after "mhactl: ":
//   Errc::refused  could not connect (any errno: ENOENT, ECONNREFUSED, EACCES, ...) -> 2
//   Errc::timeout  mhad did not accept, or sent nothing for `timeout`               -> 2
//   Errc::parse    a reply line was malformed, answered another id, was too long,
//                  or the connection closed before the result line                 -> 3
// An error *reply* from mhad is not a failure here: it is a Reply of kind error.
#pragma once

#include "common/protocol.h"
#include "common/result.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string_view>

namespace mha::ctl {

// Replies can be far longer than requests (status of a thousand clusters), so
// the client allows more than the server's request limit; still bounded, so a
// daemon gone mad cannot make mhactl eat all memory.
inline constexpr std::size_t k_max_reply_line_bytes = 64 * protocol::k_max_line_bytes;

using EventHandler = std::function<void(const nlohmann::json& event)>;

// request_line: from protocol::make_request(id, ...), ending in '\n'.
// timeout: the longest mhad may stay silent (connecting, or between lines).
Result<protocol::Reply> call(std::string_view socket_path, std::string_view request_line,
                             const nlohmann::json& id, std::chrono::milliseconds timeout,
                             const EventHandler& on_event);

// The exit status for a failed call(), as documented in `mhactl --help`.
int exit_code_for(const Error& error);

}  // namespace mha::ctl

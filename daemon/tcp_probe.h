// A bare TCP connect to a server's port, to tell apart what a failed MySQL
// connect hides: refused (nothing listens: the process is gone), timed out
// (host or path down), or accepted (something listens but does not answer:
// a frozen or hung server). Blocking with a deadline: worker threads only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace mha {

enum class TcpState { unknown, accepts, refused, timeout, unreachable };

std::string_view tcp_state_name(TcpState state);

TcpState tcp_probe(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace mha

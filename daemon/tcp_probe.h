// A bare TCP connect to a server's port, to tell apart what a failed MySQL
// connect hides: refused (nothing listens: the process is gone), timed out
// (host or path down), or accepted (something listens but does not answer:
// a frozen or hung server), or greets (it also sent its first bytes, the
// MySQL handshake: the server's threads run, whatever its queries wait on).
// Blocking with a deadline: worker threads only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace mha {

enum class TcpState { unknown, accepts, refused, timeout, unreachable, greets };

std::string_view tcp_state_name(TcpState state);

TcpState tcp_probe(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);
// As tcp_probe, and once connected waits (within the same timeout) for the
// server's first bytes: greets when they come, accepts when they do not. A
// SIGSTOPped mysqld only accepts (the kernel completes the handshake); one
// whose queries hang on a lock or a semi-sync wait still greets.
TcpState tcp_greeting_probe(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace mha

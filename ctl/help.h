// mhactl's help texts, its version line, and the exit codes the help
// documents (main.cpp returns exactly these). Pure text, no I/O.
#pragma once

#include "ctl/args.h"

#include <string>

namespace mha::ctl {

// Exit codes: shell scripts and monitoring branch on them, so they are part of
// mhactl's interface and listed in `mhactl --help`.
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int daemon_error = 1;  // mhad answered with an error
inline constexpr int unreachable = 2;   // cannot connect, or no answer within --timeout
inline constexpr int bad_reply = 3;     // malformed reply, or connection closed mid-reply
inline constexpr int usage = 64;        // EX_USAGE from sysexits.h
}  // namespace exit_code

// "mhactl 0.1.0"
std::string version_text();

// `mhactl --help`, `mhactl help`: commands, global options, exit codes.
std::string overview_help();

// `mhactl status --help`, `mhactl help status`. Command::version gets the overview.
std::string command_help(Command command);

}  // namespace mha::ctl

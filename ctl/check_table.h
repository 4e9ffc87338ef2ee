// Renders the result of mhad's `check` command as the text `mhactl check`
// prints, and computes its exit status. Pure: JSON in, text out; no colors.
//
//   cluster app1  25 ok, 1 warning, 1 failure
//     RESULT  SERVER  CHECK                DETAIL
//     ok      master  reachable            connected to 192.168.3.74:3306
//     FAIL    slave2  replication_threads  replication stopped: IO thread no, SQL thread no
//             fix: START SLAVE on 'slave2'
//     WARN    -       binlog_format        binlog_format differs: ...
//             fix: set binlog_format=ROW on every server ...
//
//   25 ok, 1 warning, 1 failure
//
// The result is {"clusters":[{"cluster":NAME,"rows":[{"check","server",
// "result","detail","fix"}],"summary":{...}}, ...]}. A cluster object with an
// "error" string instead of rows (mhad could not check it) prints that error.
// Like the status table, odd fields show as '?' rather than failing, so an
// older mhactl still prints a newer daemon's report; a result other than
// "ok" or "warn" counts as a failure.
#pragma once

#include "common/result.h"

#include <nlohmann/json.hpp>

#include <string>

namespace mha::ctl {

// `mhactl check` exit status (see `mhactl check --help`): the
// monitoring-plugin convention, not mhactl's usual one.
namespace check_exit {
inline constexpr int ok = 0;
inline constexpr int warnings = 1;  // warnings, no failure
inline constexpr int failures = 2;  // at least one failure
inline constexpr int unknown = 3;   // no verdict: mhad unreachable, error reply, malformed reply,
                                    // or a cluster mhad could not check
}  // namespace check_exit

// Errc::parse when `result` is not an object with a `clusters` list. The
// text ends with a newline.
Result<std::string> render_check(const nlohmann::json& result);

// check_exit::failures if any row failed, else unknown if a cluster could not
// be checked, else warnings if any row warned, else ok. Errc::parse as above.
Result<int> check_exit_status(const nlohmann::json& result);

}  // namespace mha::ctl

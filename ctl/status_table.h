// Renders the result of mhad's `status` command as the text `mhactl status`
// prints: a line about the daemon, then one block per cluster (a header with
// health, master and VIP; aligned SERVER/ADDRESS/ROLE/STATE/LAG/GTID columns;
// under each server that is not ok, '!' lines saying why). Pure: JSON in, text
// out; no colors, so it reads the same in a terminal, a pipe and a ticket.
//
// It only shows what mhad decided (health, state); it never judges a server
// itself. Missing or mistyped fields show as '?' or '-' rather than failing,
// so that an older mhactl still prints a newer daemon's status.
#pragma once

#include "common/result.h"

#include <nlohmann/json.hpp>

#include <string>

namespace mha::ctl {

// result: the `result` object of the reply. Errc::parse when it is not an
// object with a `clusters` list; the text ends with a newline.
Result<std::string> render_status(const nlohmann::json& result);

}  // namespace mha::ctl

#include "ctl/status_table.h"

#include "common/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

namespace mha::ctl {

namespace {

using nlohmann::json;

// A GTID value longer than this goes one set element per line, so that no part
// of it is cut off and elements line up between servers for comparison.
constexpr std::size_t k_gtid_one_line_max = 60;

const json* field(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::optional<std::string> text(const json& object, const char* key) {
  const json* value = field(object, key);
  if (!value || !value->is_string()) return std::nullopt;
  return one_line(value->get_ref<const std::string&>());
}

std::optional<std::int64_t> integer(const json& object, const char* key) {
  const json* value = field(object, key);
  if (!value || !value->is_number()) return std::nullopt;
  if (value->is_number_integer() && !value->is_number_unsigned()) return value->get<std::int64_t>();
  if (value->is_number_unsigned())
    return static_cast<std::int64_t>(std::min<std::uint64_t>(value->get<std::uint64_t>(), INT64_MAX));
  double number = value->get<double>();
  if (!std::isfinite(number)) return std::nullopt;
  return std::llround(std::clamp(number, -9e18, 9e18));
}

// "replication_stopped" -> "replication stopped": the daemon's words, readable.
std::string words(std::string_view identifier) {
  std::string out = one_line(identifier);
  std::replace(out.begin(), out.end(), '_', ' ');
  return out;
}

std::string text_or(const json& object, const char* key, std::string_view fallback) {
  auto value = text(object, key);
  return value ? *value : std::string(fallback);
}

// 5s, 2m 5s, 3h 2m, 4d 3h: enough precision to tell "just restarted" from "up for weeks".
std::string uptime_text(std::int64_t ms) {
  std::int64_t s = std::max<std::int64_t>(ms, 0) / 1000;
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m {}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h {}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d {}h", s / 86400, s % 86400 / 3600);
}

std::string daemon_line(const json& daemon) {
  std::string line = "mhad " + text_or(daemon, "version", "?");
  if (auto pid = integer(daemon, "pid")) line += fmt::format("  pid {}", *pid);
  if (auto uptime = integer(daemon, "uptime_ms")) line += "  up " + uptime_text(*uptime);
  if (auto config = text(daemon, "config")) line += "  config " + *config;
  return line;
}

std::string vip_text(const json* vip) {
  if (!vip || !vip->is_object()) return "VIP not configured";
  const std::string state = text_or(*vip, "state", "unknown");
  if (state == "not_configured") return "VIP not configured";
  auto address = text(*vip, "address");
  auto detail = text(*vip, "detail");
  std::string out = address ? "VIP " + *address : std::string("VIP");
  if (state == "held")
    return out + " on " + text_or(*vip, "holder", "?");
  if (state == "not_held")
    out += " not held";
  else
    out += " " + words(state);
  if (detail && !detail->empty()) out += " (" + *detail + ")";
  return out;
}

std::string address_text(const json& server) {
  std::string host = text_or(server, "host", "?");
  if (host.find(':') != std::string::npos) host = "[" + host + "]";  // IPv6
  auto port = integer(server, "port");
  return port ? fmt::format("{}:{}", host, *port) : host;
}

std::string lag_text(const json& server) {
  auto lag = integer(server, "seconds_behind");
  return lag ? fmt::format("{}s", *lag) : "-";
}

// One element per line when long; each line but the last keeps its comma, so
// the lines pasted together are the server's value again.
std::vector<std::string> gtid_lines(const json& server) {
  const json* value = field(server, "gtid_executed");
  if (!value || !value->is_string()) return {"-"};
  std::vector<std::string> elements;
  std::string_view rest = value->get_ref<const std::string&>();
  while (true) {
    auto comma = rest.find(',');
    std::string element = one_line(rest.substr(0, comma));  // MySQL puts "\n" after commas
    auto first = element.find_first_not_of(' ');
    auto last = element.find_last_not_of(' ');
    element = first == std::string::npos ? std::string() : element.substr(first, last - first + 1);
    if (!element.empty()) elements.push_back(std::move(element));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (elements.empty()) return {"(empty)"};
  std::string joined = fmt::format("{}", fmt::join(elements, ","));
  if (joined.size() <= k_gtid_one_line_max) return {joined};
  for (std::size_t i = 0; i + 1 < elements.size(); ++i) elements[i] += ',';
  return elements;
}

// Why a server is not ok, one reason a line. Always at least one line, so a
// bad STATE never stands there unexplained.
std::vector<std::string> problems(const json& server, const std::string& state) {
  std::vector<std::string> out;
  auto last_error = text(server, "last_error");
  auto io_error = text(server, "last_io_error");
  auto sql_error = text(server, "last_sql_error");
  auto source = text(server, "source");

  // The daemon's last_error is already the whole explanation (it quotes
  // Last_IO_Error/Last_SQL_Error and says how to resume): print it alone.
  if (last_error && !last_error->empty()) {
    out.push_back(*last_error);
    return out;
  }
  if (state == "unreachable") {
    out.push_back("cannot connect");
  } else if (state == "replication_stopped") {
    out.push_back(fmt::format("IO thread {}, SQL thread {}", text_or(server, "io_thread", "?"),
                              text_or(server, "sql_thread", "?")));
  } else if (state == "io_connecting") {
    out.push_back(source ? "IO thread connecting to " + *source : "IO thread connecting");
  } else if (state == "lagging") {
    out.push_back(fmt::format("{} behind {}", lag_text(server), source ? *source : "its source"));
  } else if (state == "not_replicating") {
    out.push_back("not replicating from any source");
  } else if (state == "unknown" && !integer(server, "checked_ms_ago")) {
    out.push_back("not checked yet");
  }
  if (io_error && !io_error->empty()) out.push_back("Last_IO_Error: " + *io_error);
  if (sql_error && !sql_error->empty()) out.push_back("Last_SQL_Error: " + *sql_error);
  if (out.empty()) out.push_back(words(state));
  return out;
}

constexpr std::array<std::string_view, 6> k_columns = {"SERVER", "ADDRESS", "ROLE",
                                                       "STATE",  "LAG",     "GTID"};
constexpr std::string_view k_indent = "  ";
constexpr std::string_view k_gap = "  ";

struct Row {
  std::array<std::string, 6> cells;           // GTID cell: its first line
  std::vector<std::string> gtid_continuation;  // further GTID lines, under the GTID column
  std::vector<std::string> problems;           // "!" lines
};

// The daemon's "failover_readiness": what a failover would do right now.
// Absent (an older mhad) or not an object: nothing.
std::string failover_section(const json* readiness) {
  if (!readiness || !readiness->is_object()) return "";
  const json& r = *readiness;
  auto candidate = text(r, "candidate");
  auto rule = text(r, "rule");
  const json* blockers = field(r, "blockers");
  const bool blocked = blockers && blockers->is_array() && !blockers->empty();
  const json* proceed = field(r, "would_proceed");
  const bool would_proceed = proceed && proceed->is_boolean() ? proceed->get<bool>() : candidate && !blocked;

  std::string line = fmt::format("{}failover now: ", k_indent);
  if (!candidate) {
    line += "blocked; no candidate";
  } else {
    line += would_proceed ? "promote " + *candidate : "blocked; candidate " + *candidate;
    if (rule && !rule->empty()) line += " (" + *rule + ")";
    auto gap = text(r, "gtid_gap");
    auto behind = integer(r, "transactions_behind");
    if (gap && gap->starts_with("unknown: "))
      line += "; would lose an unknown number of transactions (" + gap->substr(9) + ")";
    else if (gap && !gap->empty())
      line += "; would lose " + *gap;
    else if (behind && *behind >= 0)
      line += fmt::format("; would lose {} transaction{}", *behind, *behind == 1 ? "" : "s");
  }
  std::string out = line + "\n";

  if (const json* excluded = field(r, "excluded"); excluded && excluded->is_array())
    for (const json& e : *excluded) {
      std::string reason = text_or(e, "reason", "?");
      auto detail = text(e, "detail");
      if (detail && !detail->empty()) reason += ": " + *detail;
      out += fmt::format("{}excluded: {} ({})\n", k_indent, text_or(e, "server", "?"), reason);
    }
  if (blocked)
    for (const json& b : *blockers)
      out += fmt::format("{}BLOCKED: {}\n", k_indent, b.is_string() ? one_line(b.get_ref<const std::string&>()) : "?");
  return out;
}

void rstrip(std::string& line) {
  line.erase(line.find_last_not_of(' ') + 1);
}

// Detection verdict, topology differences and recent verdicts: what an
// operator needs beyond the per-server rows. Problems already explained on a
// server's own "!" line ('name': ...) are not repeated.
std::string cluster_notes(const json& cluster) {
  std::string out;
  // Only with coordination = "etcd" (absent otherwise): who acts for the cluster.
  if (const json* c = field(cluster, "coordination"); c && c->is_object()) {
    const std::string active = text_or(*c, "active", "");
    const std::string since = text_or(*c, "since", "");
    out += fmt::format("{}coordination: {} (this instance '{}'); active: {}{}\n", k_indent,
                       text_or(*c, "role", "?"), text_or(*c, "this_instance", "?"),
                       active.empty() ? "none" : "'" + active + "'", since.empty() ? "" : " since " + since);
    if (auto problem = text(*c, "problem"); problem && !problem->empty())
      out += fmt::format("{}  coordination problem: {}\n", k_indent, one_line(*problem));
  }
  if (const json* running = field(cluster, "failover_running"); running && running->is_boolean() && running->get<bool>())
    out += fmt::format("{}FAILOVER RUNNING\n", k_indent);
  if (const json* parked = field(cluster, "needs_operator"); parked && parked->is_string())
    out += fmt::format("{}NEEDS OPERATOR: {}\n", k_indent, parked->get<std::string>());
  if (const json* last = field(cluster, "last_failover"); last && last->is_object()) {
    out += fmt::format("{}last failover: {} {} -> {}, {}", k_indent, text_or(*last, "finished_at", "?"),
                       text_or(*last, "old_master", "?"), text_or(*last, "new_master", "?"),
                       words(text_or(*last, "result", "?")));
    if (auto ms = integer(*last, "duration_ms")) out += fmt::format(" in {} ms", *ms);
    out += "\n";
    const std::string risk = text_or(*last, "lost_writes_risk", "");
    if (!risk.empty() && risk != "none known") out += fmt::format("{}  lost writes risk: {}\n", k_indent, risk);
    if (const json* failed = field(*last, "failed_replicas"); failed && failed->is_array())
      for (const json& f : *failed)
        if (f.is_string()) out += fmt::format("{}  not recovered: {}\n", k_indent, f.get<std::string>());
  }
  if (const json* rejoin = field(cluster, "awaiting_rejoin"); rejoin) {
    // A list since servers can wait together; a lone string from older mhad.
    std::vector<std::string> names;
    if (rejoin->is_string()) names.push_back(rejoin->get<std::string>());
    if (rejoin->is_array())
      for (const json& n : *rejoin)
        if (n.is_string()) names.push_back(n.get<std::string>());
    for (const auto& n : names)
      out += fmt::format("{}awaiting rejoin: {} (fenced if it comes back writable; mhactl rejoin {})\n", k_indent, n,
                         n);
  }
  if (const json* m = field(cluster, "maintenance"); m && m->is_object()) {
    const std::string reason = text_or(*m, "reason", "");
    out += fmt::format("{}maintenance since {} by {}{}: automatic failover paused (mhactl maintenance off)\n",
                       k_indent, text_or(*m, "since", "?"), text_or(*m, "by", "?"),
                       reason.empty() ? "" : " (" + reason + ")");
  }
  if (const json* op = field(cluster, "operation_running"); op && op->is_string() && op->get<std::string>() != "failover")
    out += fmt::format("{}{} running\n", k_indent, op->get<std::string>());
  if (const json* last = field(cluster, "last_operation"); last && last->is_object())
    out += fmt::format("{}last {}: {} -> {}, {} at {} ({} ms)\n", k_indent, text_or(*last, "operation", "operation"),
                       text_or(*last, "old_master", "?"), text_or(*last, "new_master", "?"),
                       text_or(*last, "result", "?"), text_or(*last, "finished_at", "?"),
                       last->contains("duration_ms") ? last->at("duration_ms").dump() : "?");
  if (const json* detection = field(cluster, "detection"); detection && detection->is_object()) {
    auto verdict = text_or(*detection, "verdict", "healthy");
    if (verdict != "healthy" && verdict != "alive") {
      out += fmt::format("{}master verdict: {}\n", k_indent, words(verdict));
      if (const json* evidence = field(*detection, "evidence"); evidence && evidence->is_array())
        for (const json& e : *evidence)
          if (e.is_string()) out += fmt::format("{}  - {}\n", k_indent, e.get<std::string>());
    }
  }
  if (const json* problems = field(cluster, "topology_problems"); problems && problems->is_array())
    for (const json& p : *problems)
      if (p.is_string() && p.get<std::string>().rfind("'", 0) != 0)
        out += fmt::format("{}! topology: {}\n", k_indent, p.get<std::string>());
  if (const json* history = field(cluster, "history"); history && history->is_array() && !history->empty()) {
    std::size_t shown = 0;
    for (const json& h : *history) {
      if (!h.is_object() || shown++ == 3) break;
      out += fmt::format("{}{} {} {} {}\n", k_indent, shown == 1 ? "verdicts:" : "         ", text_or(h, "at", "?"),
                         text_or(h, "server", "?"), words(text_or(h, "verdict", "?")));
    }
  }
  return out;
}

std::string render_cluster(const json& cluster) {
  const std::string name = text_or(cluster, "name", "?");
  std::string out = fmt::format("cluster {}  health {}  master {}  {}\n", name,
                                words(text_or(cluster, "health", "unknown")),
                                text_or(cluster, "master", "none"), vip_text(field(cluster, "vip")));

  const std::string failover = failover_section(field(cluster, "failover_readiness"));
  const json* servers = field(cluster, "servers");
  if (!servers || !servers->is_array() || servers->empty()) return out + "  (no servers)\n" + failover;

  std::vector<Row> rows;
  for (const json& server : *servers) {
    Row row;
    const std::string state = text_or(server, "state", "unknown");
    auto gtid = gtid_lines(server);
    row.cells = {text_or(server, "name", "?"), address_text(server), text_or(server, "role", "?"),
                 words(state), lag_text(server), gtid.front()};
    row.gtid_continuation.assign(gtid.begin() + 1, gtid.end());
    if (state != "ok") row.problems = problems(server, state);
    rows.push_back(std::move(row));
  }

  std::array<std::size_t, 6> widths{};
  for (std::size_t c = 0; c < widths.size(); ++c) {
    widths[c] = k_columns[c].size();
    for (const Row& row : rows) widths[c] = std::max(widths[c], row.cells[c].size());
  }
  auto line_of = [&](const auto& cells) {
    std::string line(k_indent);
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) line += k_gap;
      line += fmt::format("{:<{}}", cells[c], c + 1 < cells.size() ? widths[c] : 0);
    }
    rstrip(line);
    return line + "\n";
  };
  std::size_t gtid_column = k_indent.size();
  for (std::size_t c = 0; c + 1 < widths.size(); ++c) gtid_column += widths[c] + k_gap.size();

  out += line_of(k_columns);
  for (const Row& row : rows) {
    out += line_of(row.cells);
    for (const auto& more : row.gtid_continuation) out += std::string(gtid_column, ' ') + more + "\n";
    for (const auto& problem : row.problems)
      out += fmt::format("{}! {}: {}\n", k_indent, row.cells[0], problem);
  }
  return out + cluster_notes(cluster) + failover;
}

}  // namespace

Result<std::string> render_status(const json& result) {
  if (!result.is_object())
    return make_error(Errc::parse, "the status result is not a JSON object but {}", result.type_name());
  const json* clusters = field(result, "clusters");
  if (!clusters || !clusters->is_array())
    return make_error(Errc::parse, "the status result has no 'clusters' list");

  // Shapes are checked here, fields where they are used (leniently).
  for (const json& cluster : *clusters) {
    if (!cluster.is_object())
      return make_error(Errc::parse, "the status result lists a cluster that is not an object but {}",
                        cluster.type_name());
    if (const json* servers = field(cluster, "servers"); servers && servers->is_array())
      for (const json& server : *servers)
        if (!server.is_object())
          return make_error(Errc::parse, "cluster '{}' lists a server that is not an object but {}",
                            text_or(cluster, "name", "?"), server.type_name());
  }

  std::vector<std::string> blocks;
  if (const json* daemon = field(result, "daemon"); daemon && daemon->is_object())
    blocks.push_back(daemon_line(*daemon) + "\n");
  if (clusters->empty()) blocks.push_back("no clusters configured\n");
  for (const json& cluster : *clusters) blocks.push_back(render_cluster(cluster));
  return fmt::format("{}", fmt::join(blocks, "\n"));
}

}  // namespace mha::ctl

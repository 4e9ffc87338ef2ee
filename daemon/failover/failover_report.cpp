// Names and renderings of a failover's phases, results and report (failover.h).
#include "daemon/failover/failover.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mha {

std::string_view phase_name(FailoverPhase phase) {
  switch (phase) {
    case FailoverPhase::check: return "check";
    case FailoverPhase::fence: return "fence";
    case FailoverPhase::recover_master: return "recover_master";
    case FailoverPhase::recover_replicas: return "recover_replicas";
    case FailoverPhase::finish: return "finish";
  }
  return "unknown";
}

std::string_view failover_result_name(FailoverResult result) {
  switch (result) {
    case FailoverResult::completed: return "completed";
    case FailoverResult::completed_with_errors: return "completed_with_errors";
    case FailoverResult::refused: return "refused";
    case FailoverResult::failed: return "failed";
    case FailoverResult::needs_operator: return "needs_operator";
  }
  return "unknown";
}

nlohmann::json FailoverReport::to_json() const {
  nlohmann::json phases_json = nlohmann::json::array();
  for (const auto& p : phases)
    phases_json.push_back(
        {{"phase", phase_name(p.phase)}, {"duration_ms", p.duration_ms}, {"ok", p.ok}, {"detail", p.detail}});
  auto or_null = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
  return {{"cluster", cluster},
          {"result", failover_result_name(result)},
          {"old_master", or_null(old_master)},
          {"new_master", or_null(new_master)},
          {"refusal", or_null(refusal)},
          {"promoted", promoted},
          {"phases", phases_json},
          {"steps", steps},
          {"recovered_replicas", recovered_replicas},
          {"failed_replicas", failed_replicas},
          {"notes", notes},
          {"lost_writes_risk", lost_writes_risk},
          {"last_master_gtid", or_null(last_master_gtid)},
          {"salvaged_transactions", salvaged_transactions},
          {"promoted_at_gtids", or_null(promoted_at_gtids)},
          {"duration_ms", duration_ms}};
}

std::string FailoverReport::text() const {
  std::string out = "----- Failover Report -----\n\n";
  const bool done = result == FailoverResult::completed || result == FailoverResult::completed_with_errors;
  out += fmt::format("{}: Master failover {}{} {}\n\n", cluster, old_master.empty() ? "(unknown)" : old_master,
                     new_master.empty() ? "" : " to " + new_master,
                     done ? "succeeded" : std::string(failover_result_name(result)));
  for (const auto& s : steps) out += s + "\n";
  if (!phases.empty()) {
    out += "\nPhases:";
    for (const auto& p : phases)
      out += fmt::format(" {} {}ms{}", phase_name(p.phase), p.duration_ms, p.ok ? "" : " (stopped)");
    out += fmt::format(", total {}ms\n", duration_ms);
  }
  if (!lost_writes_risk.empty()) out += "Lost writes risk: " + lost_writes_risk + "\n";
  if (salvaged_transactions)
    out += fmt::format("Salvaged transactions: {} (last {})\n", salvaged_transactions, last_master_gtid);
  else if (!last_master_gtid.empty())
    out += fmt::format("Last GTID known on the old master: {}\n", last_master_gtid);
  if (!recovered_replicas.empty()) out += fmt::format("Recovered replicas: {}\n", fmt::join(recovered_replicas, ", "));
  for (const auto& f : failed_replicas) out += "Failed replica: " + f + "\n";
  for (const auto& n : notes) out += "Note: " + n + "\n";
  switch (result) {
    case FailoverResult::completed:
      out += fmt::format("Master failover to {} completed successfully.\n", new_master);
      break;
    case FailoverResult::completed_with_errors:
      out += fmt::format("Master failover to {} done with errors (see the failed replicas and notes above).\n",
                         new_master);
      break;
    case FailoverResult::refused: out += "Failover refused: " + refusal + "\n"; break;
    case FailoverResult::failed: out += "Failover failed: " + refusal + "\n"; break;
    case FailoverResult::needs_operator: out += "Failover needs an operator: " + refusal + "\n"; break;
  }
  return out;
}

}  // namespace mha

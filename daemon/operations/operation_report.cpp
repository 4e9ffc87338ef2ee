#include "daemon/operations/operation_report.h"

#include "common/log.h"
#include "daemon/operations/operation_clock.h"

#include <fmt/format.h>

namespace mha {

std::string_view operation_result_name(OperationResult result) {
  switch (result) {
    case OperationResult::completed: return "completed";
    case OperationResult::completed_with_errors: return "completed_with_errors";
    case OperationResult::refused: return "refused";
    case OperationResult::rolled_back: return "rolled_back";
    case OperationResult::failed: return "failed";
  }
  return "unknown";
}

nlohmann::json OperationReport::to_json() const {
  nlohmann::json phases_json = nlohmann::json::array();
  for (const auto& p : phases)
    phases_json.push_back({{"phase", p.name}, {"duration_ms", p.duration_ms}, {"ok", p.ok}, {"detail", p.detail}});
  auto or_null = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
  return {{"operation", operation},   {"cluster", cluster},
          {"result", operation_result_name(result)},
          {"old_master", or_null(old_master)},
          {"new_master", or_null(new_master)},
          {"server", or_null(server)},
          {"refusal", or_null(refusal)},
          {"promoted", promoted},     {"forced", forced},
          {"phases", phases_json},    {"steps", steps},
          {"notes", notes},           {"duration_ms", duration_ms},
          {"text", text()}};
}

std::string OperationReport::text() const {
  std::string title = operation.empty() ? "Operation" : operation;
  title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
  std::string out = fmt::format("----- {} Report -----\n\n", title);
  if (operation == "switchover")
    out += fmt::format("{}: Master switch {} to {}: {}\n\n", cluster, old_master.empty() ? "(unknown)" : old_master,
                       new_master.empty() ? "(none)" : new_master, operation_result_name(result));
  else
    out += fmt::format("{}: {} of {}{}: {}\n\n", cluster, operation, server.empty() ? "(unknown)" : server,
                       new_master.empty() ? "" : " to master " + new_master, operation_result_name(result));
  for (const auto& s : steps) out += s + "\n";
  if (!phases.empty()) {
    out += "\nPhases:";
    for (const auto& p : phases) out += fmt::format(" {} {}ms{}", p.name, p.duration_ms, p.ok ? "" : " (stopped)");
    out += fmt::format(", total {}ms\n", duration_ms);
  }
  for (const auto& n : notes) out += "Note: " + n + "\n";
  if (forced) out += "Forced (--force): the checks it overrides were accepted by the operator.\n";
  if (!refusal.empty()) out += fmt::format("{} {}: {}\n", title, operation_result_name(result), refusal);
  return out;
}

void run_phases(OperationRecorder& recorder, OperationReport& report, OperationClock& clock,
                std::initializer_list<OperationStep> phases) {
  const auto started = clock.now();
  for (const auto& p : phases)
    if (!recorder.phase(p.phase, p.body)) break;
  report.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock.now() - started).count();
}

OperationRecorder::OperationRecorder(const ClusterConfig& cluster, OperationReport& report, Progress progress,
                                     BeforePhase before)
    : m_cluster(cluster), m_report(report), m_progress(std::move(progress)), m_before(std::move(before)) {
  m_report.cluster = cluster.name;
}

std::string OperationRecorder::clean(std::string text) const {
  return scrub_secrets(std::move(text), m_cluster);
}

bool OperationRecorder::phase(const std::string& name, const std::function<bool()>& body) {
  m_phase = name;
  if (m_before && !m_before(name)) {
    m_report.phases.push_back(OperationPhase{name, 0, false, "not started: the phase could not be persisted"});
    return stop(OperationResult::failed, Errc::io,
                fmt::format("stopped before phase {}: its state could not be saved", name));
  }
  if (m_progress) m_progress(name, "started", nlohmann::json::object());
  m_detail.clear();
  const auto started = MonoClock::now();
  const bool ok = body();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(MonoClock::now() - started).count();
  m_report.phases.push_back(OperationPhase{name, ms, ok, m_detail});
  if (m_progress) m_progress(name, "finished", {{"duration_ms", ms}, {"ok", ok}, {"detail", m_detail}});
  return ok;
}

std::optional<std::chrono::milliseconds> OperationRecorder::lease_budget(const LeaseDeadline& lease, MonoTime now,
                                                                         std::string_view step,
                                                                         std::chrono::milliseconds wanted) {
  auto budget = lease.budget(wanted, now, step);
  if (budget) return *budget;
  stop(OperationResult::failed, Errc::not_active,
       fmt::format("{}; this instance stops acting here and does not undo what it did (undoing is acting too): the "
                   "instance that holds the lease next finds the {} in phase '{}' in etcd and leaves it for an "
                   "operator",
                   budget.error().message, m_report.operation, m_phase));
  return std::nullopt;
}

void OperationRecorder::step(std::string text) {
  text = clean(std::move(text));
  log_notice({{"CLUSTER", m_cluster.name}, {"PHASE", m_phase}}, "{}: {}", m_report.operation, text);
  if (m_progress) m_progress(m_phase, "note", {{"text", text}});
  m_report.steps.push_back(std::move(text));
}

void OperationRecorder::note(std::string text) {
  text = clean(std::move(text));
  log_warning({{"CLUSTER", m_cluster.name}, {"PHASE", m_phase}}, "{}: {}", m_report.operation, text);
  if (m_progress) m_progress(m_phase, "note", {{"text", text}, {"warning", true}});
  m_report.notes.push_back(std::move(text));
}

bool OperationRecorder::stop(OperationResult result, Errc code, std::string why) {
  why = clean(std::move(why));
  m_report.result = result;
  m_report.error_code = code;
  m_report.refusal = why;
  m_detail = why;
  log_warning({{"CLUSTER", m_cluster.name}, {"PHASE", m_phase}}, "{}: {}", m_report.operation, why);
  return false;
}

}  // namespace mha

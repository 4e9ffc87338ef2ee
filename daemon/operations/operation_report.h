// What an operation (switchover, rejoin) did, phase by phase, and how it
// ended: the reply to mhactl, the journal report, the state file's history.
// OperationRecorder is what the operation writes it through as it goes: each
// line is logged at once with CLUSTER and PHASE fields, streamed to the
// requester as a progress event, and kept for the report, with the cluster's
// passwords scrubbed (server errors can quote a CHANGE MASTER statement).
// The failover keeps its own FailoverReport (daemon/failover/failover.h),
// older and with more fields (salvage, lost-writes risk).
#pragma once

#include "common/config.h"
#include "common/result.h"
#include "daemon/operations/lease_deadline.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mha {

enum class OperationResult {
  completed,              // everything done
  completed_with_errors,  // the new topology stands; something is left (notes)
  refused,                // nothing was changed
  rolled_back,            // changes were undone; the cluster is as before
  failed,                 // stopped after changing something; see the notes
};
std::string_view operation_result_name(OperationResult result);

struct OperationPhase {
  std::string name;
  std::int64_t duration_ms = 0;
  bool ok = false;
  std::string detail;
};

struct OperationReport {
  std::string operation;  // "switchover", "rejoin"
  std::string cluster;
  OperationResult result = OperationResult::failed;
  Errc error_code = Errc::internal;  // for refused/rolled_back/failed: the reply's error.code
  std::string old_master, new_master, server;  // server: the one rejoined
  std::string refusal;                         // why not, and the fix
  std::vector<OperationPhase> phases;
  std::vector<std::string> steps, notes;
  bool promoted = false;  // switchover: new_master was made writable
  bool forced = false;    // --force: the report says what was accepted
  std::int64_t duration_ms = 0;

  bool succeeded() const {
    return result == OperationResult::completed || result == OperationResult::completed_with_errors;
  }
  nlohmann::json to_json() const;
  std::string text() const;  // "----- Switchover Report -----" ...
};

class OperationRecorder;
class OperationClock;

struct OperationStep {
  const char* phase;
  std::function<bool()> body;
};
// An operation's whole run, as its phase list: each phase in order until one
// stops (OperationRecorder::phase), the total duration set on the report.
void run_phases(OperationRecorder& recorder, OperationReport& report, OperationClock& clock,
                std::initializer_list<OperationStep> phases);

class OperationRecorder {
 public:
  // (phase, event, detail): event "started", "finished" (detail duration_ms,
  // ok, detail) or "note" (detail text, warning).
  using Progress = std::function<void(const std::string& phase, const std::string& event, const nlohmann::json&)>;
  // Persists the phase before it starts; false stops the operation there.
  using BeforePhase = std::function<bool(const std::string& phase)>;

  OperationRecorder(const ClusterConfig& cluster, OperationReport& report, Progress progress, BeforePhase before);

  // Runs body() as phase `name`: persisted first, timed, reported. False when
  // it could not start or body() returned false.
  bool phase(const std::string& name, const std::function<bool()>& body);
  void step(std::string text);
  void note(std::string text);
  // Ends the operation with `result` and why; returns false (for `return stop(...)`).
  bool stop(OperationResult result, Errc code, std::string why);
  // Coordination = "etcd": true when `step` may start, the lease being
  // surely held at `now`. Otherwise the operation stops here (failed,
  // Errc::not_active) and does not undo what it did, since undoing is acting too: the
  // instance that holds the lease next finds the phase in etcd and parks it
  // for an operator. Always true without coordination.
  bool under_lease(const LeaseDeadline& lease, MonoTime now, std::string_view step) {
    return lease_budget(lease, now, step, std::chrono::milliseconds(0)).has_value();
  }
  // The same for a step with a timeout of its own: `wanted` capped at what
  // the lease has left, or nullopt (and the operation stopped).
  std::optional<std::chrono::milliseconds> lease_budget(const LeaseDeadline& lease, MonoTime now,
                                                        std::string_view step, std::chrono::milliseconds wanted);
  void set_detail(std::string detail) { m_detail = clean(std::move(detail)); }
  std::string clean(std::string text) const;
  const std::string& current_phase() const { return m_phase; }

 private:
  const ClusterConfig& m_cluster;
  OperationReport& m_report;
  Progress m_progress;
  BeforePhase m_before;
  std::string m_phase, m_detail;
};

}  // namespace mha

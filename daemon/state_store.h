// Persisted per-cluster state: one JSON file per cluster under the state
// directory (/var/lib/mhad, systemd's StateDirectory), holding the last known
// master, recent verdicts, the failover history and the operation in progress
// with its phase. The file is versioned; this mhad reads and writes version 1.
//
// What must hold:
//  - A save is atomic: readers (and a restarted mhad) see the old file or the
//    new one, never a mix. tmp file (0600) -> fsync -> rename -> fsync(dir).
//  - A file that cannot be used (unreadable, not JSON, wrong shape, another
//    cluster's, a newer version) is never deleted and never silently replaced:
//    load() moves it aside to CLUSTER.json.corrupt-YYYYmmddTHHMMSSZ and says so
//    in its Error. The caller logs that once and goes on with an empty state.
//  - No logging above debug here: callers decide what a failure means.
//
// Threads: a StateStore holds only its directory, so one instance may be used
// from worker threads, and calls for different clusters may run concurrently.
// All calls (load and save) for ONE cluster must be serialized by the caller:
// two saves of the same cluster share a temp file name and would clobber each
// other's half-written file.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mha {

// Wall time as stored in state files: ISO 8601 UTC with milliseconds,
// e.g. "2026-11-22T07:30:01.123Z". For reports and the state file only.
std::string format_wall_time(std::chrono::system_clock::time_point time);
// The reverse; nullopt for text not in that form.
std::optional<std::chrono::system_clock::time_point> parse_wall_time(std::string_view text);

// One health verdict on one server, as the monitor reached it.
struct VerdictRecord {
  std::string at;  // wall time, format_wall_time()
  std::string server;
  std::string verdict;  // alive | unreachable_from_manager | dead | dead_host | recovered
  std::vector<std::string> evidence;
  std::int64_t detection_ms = -1;  // -1: not measured

  bool operator==(const VerdictRecord&) const = default;
};

// One finished (or abandoned) failover or switchover.
struct FailoverRecord {
  std::string started_at;
  std::string finished_at;
  std::string old_master;
  std::string new_master;
  std::string result;
  std::int64_t duration_ms = 0;
  nlohmann::json detail;  // free-form, owned by the failover module

  bool operator==(const FailoverRecord&) const = default;
};

// Automatic failover paused by an operator (mhactl maintenance on).
struct MaintenanceRecord {
  std::string since;   // wall time
  std::string by;      // "uid 0 pid 1234 (mhactl maintenance on ...)"
  std::string reason;  // --reason, may be empty

  bool operator==(const MaintenanceRecord&) const = default;
};

struct ClusterState {
  static constexpr int k_version = 1;  // the newest version this mhad understands
  static constexpr std::size_t k_max_verdicts = 200;
  static constexpr std::size_t k_max_failovers = 50;

  int version = k_version;
  std::string cluster;
  std::string master;  // last known master's server name, "" if never seen
  std::deque<VerdictRecord> verdicts;    // oldest first, at most k_max_verdicts
  std::deque<FailoverRecord> failovers;  // oldest first, at most k_max_failovers
  // Switchovers and rejoins (detail.operation says which), oldest first, at
  // most k_max_failovers. Kept apart: they do not count for min_failover_interval.
  std::deque<FailoverRecord> operations;
  std::string operation;                 // "" or "failover", "switchover" ...
  std::string phase;                     // the operation's phase, persisted before it starts
  // The server the running failover made writable: persisted with the
  // phases after promotion (recover_replicas, finish), "" before. A
  // takeover resumes from it (daemon/failover/failover_resume.h).
  std::string operation_new_master;
  std::string updated_at;                // set by StateStore::save()
  // Old masters that must stay read-only until they rejoin: a failover adds
  // its old master before the new one takes writes; rejoin removes it.
  std::set<std::string> awaiting_rejoin;
  std::optional<MaintenanceRecord> maintenance;
  nlohmann::json extra = nlohmann::json::object();  // always an object

  // Append, dropping the oldest entries beyond the bound.
  void add_verdict(VerdictRecord record);
  void add_failover(FailoverRecord record);
  void add_operation(FailoverRecord record);

  nlohmann::json to_json() const;
  // Strict about types (Errc::parse naming the key, e.g. "verdicts[3].evidence:
  // expected an array, got string"), lenient about absence: only "version" and
  // "cluster" are required, other missing keys take their defaults, unknown
  // keys are ignored. A version newer than k_version is refused. Histories
  // longer than their bound are trimmed, oldest first.
  static Result<ClusterState> from_json(const nlohmann::json& doc);
};

// The reader's pure half: a state file's text to a ClusterState, or
// Errc::parse saying what is wrong in words that follow "state file 'PATH' "
// ("is empty", "is not valid JSON (line 3)", "cannot be used: ..."). load()
// adds the file, the cluster's name and moving a bad file aside; the fuzz
// target (tests/fuzz/) calls this directly.
Result<ClusterState> parse_state_text(std::string_view text);

class StateStore {
 public:
  explicit StateStore(std::filesystem::path dir);

  const std::filesystem::path& dir() const { return m_dir; }

  // Creates the directory (mode 0700, parents as needed) if it is missing.
  // An existing directory is left as it is: systemd owns its mode.
  Result<void> ensure_dir();

  // DIR/CLUSTER.json
  std::filesystem::path path_for(std::string_view cluster) const;

  // The cluster's state; a fresh one (cluster set, nothing else) if there is
  // no file. Any other problem moves the file aside (see top of file) and
  // returns Errc::io (unreadable, or could not be moved) or Errc::parse.
  Result<ClusterState> load(std::string_view cluster);

  // Writes the state atomically with updated_at set to now (in the file; the
  // argument is const and keeps its own updated_at). On failure the previous
  // file is intact and the Error names the path and the system error. Does
  // not create the directory: that is ensure_dir()'s job at startup.
  Result<void> save(const ClusterState& state);

 private:
  std::filesystem::path m_dir;
};

}  // namespace mha

// Per-cluster state files: JSON <-> ClusterState, and the atomic
// write / careful read of DIR/CLUSTER.json. nlohmann/json exceptions stop
// here. Runs on the loop or on workers; see the threading note in the header.

#include "daemon/state_store.h"

#include <cstdio>
#include <ctime>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <limits>
#include <utility>

#include "common/log.h"

namespace mha {

std::optional<std::chrono::system_clock::time_point> parse_wall_time(std::string_view text) {
  // 2026-11-22T07:30:01.123Z
  int y, mo, d, h, mi, sec, ms;
  char z = 0;
  std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &sec, &ms, &z) != 8 || z != 'Z')
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(ms);
}
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// strerror() is not thread-safe and saves may run on workers.
std::string errno_text(int err) {
  char buf[256];
  return strerror_r(err, buf, sizeof buf);  // GNU variant: returns the text
}

std::tm utc_tm(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return tm;
}

// Suffix of a moved-aside file: YYYYmmddTHHMMSSZ.
std::string compact_stamp(std::chrono::system_clock::time_point time) {
  const std::tm tm = utc_tm(time);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &tm);
  return text;
}

// Cluster names become file names: refuse anything that could leave the
// directory or collide with our dot-prefixed temp files. The config loader
// should have refused these already; this is the last line of defence.
Result<void> check_cluster_name(std::string_view cluster) {
  const bool bad = cluster.empty() || cluster.front() == '.' ||
                   cluster.find('/') != std::string_view::npos ||
                   cluster.find('\0') != std::string_view::npos;
  if (bad)
    return make_error(Errc::config, "cluster name '{}' cannot be used as a state file name", cluster);
  return {};
}

// ---------------------------------------------------------------------------
// JSON -> struct, strict about types. `path` is the key as shown in messages:
// "verdicts[3].evidence[0]".

std::string describe(const json& value) {
  if (value.is_number()) return fmt::format("number {}", value.dump());
  return value.type_name();
}

Error type_error(std::string_view path, std::string_view expected, const json& got) {
  return make_error(Errc::parse, "{}: expected {}, got {}", path, expected, describe(got));
}

std::string member_path(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

Result<void> read_value(const json& value, std::string_view path, std::string& out) {
  if (!value.is_string()) return type_error(path, "a string", value);
  out = value.get<std::string>();
  return {};
}

Result<void> read_value(const json& value, std::string_view path, std::int64_t& out) {
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return make_error(Errc::parse, "{}: {} is out of range", path, number);
    out = static_cast<std::int64_t>(number);
    return {};
  }
  if (!value.is_number_integer()) return type_error(path, "an integer", value);
  out = value.get<std::int64_t>();
  return {};
}

Result<void> read_value(const json& value, std::string_view path, std::vector<std::string>& out) {
  if (!value.is_array()) return type_error(path, "an array of strings", value);
  out.clear();
  for (std::size_t i = 0; i < value.size(); ++i) {
    std::string item;
    if (auto ok = read_value(value[i], fmt::format("{}[{}]", path, i), item); !ok) return ok;
    out.push_back(std::move(item));
  }
  return {};
}

Result<void> read_value(const json& value, std::string_view /*path*/, json& out) {
  out = value;  // free-form
  return {};
}

// Reads obj[key] into out if present; absent keys keep out's default.
template <typename T>
Result<void> read_member(const json& obj, std::string_view parent, std::string_view key, T& out) {
  const auto it = obj.find(key);
  if (it == obj.end()) return {};
  return read_value(*it, member_path(parent, key), out);
}

Result<VerdictRecord> verdict_from_json(const json& value, const std::string& path) {
  if (!value.is_object()) return type_error(path, "an object", value);
  VerdictRecord record;
  for (auto ok : {read_member(value, path, "at", record.at),
                  read_member(value, path, "server", record.server),
                  read_member(value, path, "verdict", record.verdict),
                  read_member(value, path, "evidence", record.evidence),
                  read_member(value, path, "detection_ms", record.detection_ms)})
    if (!ok) return ok.error();
  return record;
}

Result<FailoverRecord> failover_from_json(const json& value, const std::string& path) {
  if (!value.is_object()) return type_error(path, "an object", value);
  FailoverRecord record;
  for (auto ok : {read_member(value, path, "started_at", record.started_at),
                  read_member(value, path, "finished_at", record.finished_at),
                  read_member(value, path, "old_master", record.old_master),
                  read_member(value, path, "new_master", record.new_master),
                  read_member(value, path, "result", record.result),
                  read_member(value, path, "duration_ms", record.duration_ms),
                  read_member(value, path, "detail", record.detail)})
    if (!ok) return ok.error();
  return record;
}

// ---------------------------------------------------------------------------
// File helpers

// Reads the whole file. Returns 0 or the errno of the failing call
// (ENOENT: there is no file).
int read_whole_file(const fs::path& path, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  out.clear();
  char buf[65536];
  int err = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      err = errno;
      break;
    }
  }
  ::close(fd);
  return err;
}

int write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

// Returns 0 or errno.
int fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int err = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

bool entry_exists(const fs::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// 1-based line of the byte at `offset` (nlohmann's parse_error::byte is the
// 1-based position just past the last byte read).
std::size_t line_at(std::string_view text, std::size_t byte) {
  const std::size_t end = std::min(byte > 0 ? byte - 1 : 0, text.size());
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + end, '\n'));
}

}  // namespace

std::string format_wall_time(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto whole = floor<seconds>(time);  // floor, not to_time_t's truncation: right before 1970 too
  const auto ms = duration_cast<milliseconds>(time - whole).count();
  const std::tm tm = utc_tm(whole);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", text, ms);
}

// ---------------------------------------------------------------------------
// ClusterState

void ClusterState::add_verdict(VerdictRecord record) {
  verdicts.push_back(std::move(record));
  while (verdicts.size() > k_max_verdicts) verdicts.pop_front();
}

void ClusterState::add_operation(FailoverRecord record) {
  operations.push_back(std::move(record));
  while (operations.size() > k_max_failovers) operations.pop_front();
}

void ClusterState::add_failover(FailoverRecord record) {
  failovers.push_back(std::move(record));
  while (failovers.size() > k_max_failovers) failovers.pop_front();
}

namespace {

json records_json(const std::deque<FailoverRecord>& records) {
  json list = json::array();
  for (const auto& f : records)
    list.push_back(json{{"started_at", f.started_at},
                        {"finished_at", f.finished_at},
                        {"old_master", f.old_master},
                        {"new_master", f.new_master},
                        {"result", f.result},
                        {"duration_ms", f.duration_ms},
                        {"detail", f.detail}});
  return list;
}

// The records under `key` (absent: none), each handed to `add`.
template <typename Add>
Result<void> read_records(const json& doc, const char* key, Add add) {
  const auto it = doc.find(key);
  if (it == doc.end()) return {};
  if (!it->is_array()) return type_error(key, "an array", *it);
  for (std::size_t i = 0; i < it->size(); ++i) {
    auto record = failover_from_json((*it)[i], fmt::format("{}[{}]", key, i));
    if (!record) return record.error();
    add(std::move(record).value());
  }
  return {};
}

}  // namespace

json ClusterState::to_json() const {
  json verdict_list = json::array();
  for (const auto& v : verdicts)
    verdict_list.push_back(json{{"at", v.at},
                                {"server", v.server},
                                {"verdict", v.verdict},
                                {"evidence", v.evidence},
                                {"detection_ms", v.detection_ms}});
  return json{{"version", version},       {"cluster", cluster},     {"master", master},
              {"operations", records_json(operations)},
              {"verdicts", verdict_list}, {"failovers", records_json(failovers)},
              {"operation", operation},   {"phase", phase},         {"updated_at", updated_at},
              {"operation_new_master", operation_new_master},
              {"extra", extra.is_object() ? extra : json::object()},
              {"awaiting_rejoin", awaiting_rejoin},
              {"maintenance", maintenance ? json{{"since", maintenance->since}, {"by", maintenance->by},
                                                  {"reason", maintenance->reason}}
                                          : json(nullptr)}};
}

Result<ClusterState> ClusterState::from_json(const json& doc) {
  if (!doc.is_object()) return type_error("top level", "an object", doc);
  ClusterState state;

  // Version first: a newer file may have any shape at all.
  const auto version_it = doc.find("version");
  if (version_it == doc.end()) return make_error(Errc::parse, "version: missing");
  std::int64_t version = 0;
  if (auto ok = read_value(*version_it, "version", version); !ok) return ok.error();
  if (version > k_version)
    return make_error(Errc::parse,
                      "version: state version {} is newer than this mhad understands (version {})",
                      version, k_version);
  if (version < 1) return make_error(Errc::parse, "version: {} is not a valid state version", version);
  state.version = static_cast<int>(version);

  if (!doc.contains("cluster")) return make_error(Errc::parse, "cluster: missing");
  for (auto ok : {read_member(doc, "", "cluster", state.cluster),
                  read_member(doc, "", "master", state.master),
                  read_member(doc, "", "operation", state.operation),
                  read_member(doc, "", "phase", state.phase),
                  read_member(doc, "", "operation_new_master", state.operation_new_master),
                  read_member(doc, "", "updated_at", state.updated_at)})
    if (!ok) return ok.error();

  if (const auto it = doc.find("verdicts"); it != doc.end()) {
    if (!it->is_array()) return type_error("verdicts", "an array", *it);
    for (std::size_t i = 0; i < it->size(); ++i) {
      auto record = verdict_from_json((*it)[i], fmt::format("verdicts[{}]", i));
      if (!record) return record.error();
      state.add_verdict(std::move(record).value());
    }
  }
  if (auto ok = read_records(doc, "failovers", [&](FailoverRecord r) { state.add_failover(std::move(r)); }); !ok)
    return ok.error();
  if (auto ok = read_records(doc, "operations", [&](FailoverRecord r) { state.add_operation(std::move(r)); }); !ok)
    return ok.error();
  if (const auto it = doc.find("extra"); it != doc.end()) {
    if (!it->is_object()) return type_error("extra", "an object", *it);
    state.extra = *it;
    // Written by mhad before awaiting_rejoin had a key of its own: one name.
    if (auto old = state.extra.find("awaiting_rejoin"); old != state.extra.end()) {
      if (old->is_string()) state.awaiting_rejoin.insert(old->get<std::string>());
      state.extra.erase(old);
    }
  }
  if (const auto it = doc.find("awaiting_rejoin"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return type_error("awaiting_rejoin", "an array", *it);
    for (std::size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) return type_error(fmt::format("awaiting_rejoin[{}]", i), "a string", (*it)[i]);
      state.awaiting_rejoin.insert((*it)[i].get<std::string>());
    }
  }
  if (const auto it = doc.find("maintenance"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) return type_error("maintenance", "an object", *it);
    MaintenanceRecord m;
    for (auto ok : {read_member(*it, "maintenance", "since", m.since), read_member(*it, "maintenance", "by", m.by),
                    read_member(*it, "maintenance", "reason", m.reason)})
      if (!ok) return ok.error();
    state.maintenance = std::move(m);
  }
  return state;
}

// ---------------------------------------------------------------------------
// StateStore

StateStore::StateStore(fs::path dir) : m_dir(std::move(dir)) {}

fs::path StateStore::path_for(std::string_view cluster) const {
  return m_dir / (std::string(cluster) + ".json");
}

Result<void> StateStore::ensure_dir() {
  struct stat st {};
  if (::stat(m_dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return make_error(Errc::io, "state directory '{}' exists but is not a directory", m_dir.string());
    return {};
  }
  if (errno != ENOENT)
    return make_error(Errc::io, "cannot use state directory '{}': {}", m_dir.string(), errno_text(errno));
  if (const fs::path parent = m_dir.parent_path(); !parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec)
      return make_error(Errc::io, "cannot create state directory '{}': {}", parent.string(), ec.message());
  }
  // 0700: the files hold topology and history, nothing for other users.
  if (::mkdir(m_dir.c_str(), 0700) != 0 && errno != EEXIST)
    return make_error(Errc::io, "cannot create state directory '{}': {}", m_dir.string(), errno_text(errno));
  return {};
}

Result<ClusterState> parse_state_text(std::string_view text) {
  if (text.empty()) return make_error(Errc::parse, "is empty");
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    return make_error(Errc::parse, "is not valid JSON (line {})", line_at(text, e.byte));
  } catch (const json::exception& e) {
    return make_error(Errc::parse, "is not valid JSON ({})", e.what());
  }
  auto state = ClusterState::from_json(doc);
  if (!state) return make_error(Errc::parse, "cannot be used: {}", state.error().message);
  return state;
}

Result<ClusterState> StateStore::load(std::string_view cluster) {
  if (auto ok = check_cluster_name(cluster); !ok) return ok.error();
  const fs::path path = path_for(cluster);

  // Keeps the bad file under a new name and builds the one message the
  // caller logs. Never deletes, never overwrites an earlier .corrupt- file.
  auto move_aside = [&](Errc code, const std::string& what) -> Error {
    const std::string base = path.string() + ".corrupt-" + compact_stamp(std::chrono::system_clock::now());
    std::string aside = base;
    for (int n = 2; entry_exists(aside); ++n) aside = fmt::format("{}-{}", base, n);
    if (::rename(path.c_str(), aside.c_str()) != 0) {
      // Left in place, so a later save() would replace it -- but save()'s own
      // rename needs the same write permission on the directory, so in
      // practice it fails too and the file survives for the operator.
      const int err = errno;
      return make_error(Errc::io,
                        "state file '{}' {}; could not move it aside to '{}': {}; "
                        "starting with empty state for '{}'",
                        path.string(), what, aside, errno_text(err), cluster);
    }
    (void)fsync_dir(m_dir);  // best effort: if lost in a crash, the file is still under its old name
    return make_error(code, "state file '{}' {}; moved aside to '{}'; starting with empty state for '{}'",
                      path.string(), what, aside, cluster);
  };

  std::string text;
  if (const int err = read_whole_file(path, text); err == ENOENT) {
    log_debug({{"CLUSTER", std::string(cluster)}}, "no state file '{}', starting empty", path.string());
    ClusterState fresh;
    fresh.cluster = std::string(cluster);
    return fresh;
  } else if (err != 0) {
    return move_aside(Errc::io, fmt::format("cannot be read: {}", errno_text(err)));
  }

  auto state = parse_state_text(text);
  if (!state) return move_aside(Errc::parse, state.error().message);
  if (state->cluster != cluster)
    return move_aside(Errc::parse,
                      fmt::format("belongs to cluster '{}', not '{}'", state->cluster, cluster));
  log_debug({{"CLUSTER", std::string(cluster)}}, "loaded state file '{}'", path.string());
  return state;
}

Result<void> StateStore::save(const ClusterState& state) {
  if (auto ok = check_cluster_name(state.cluster); !ok) return ok.error();
  const fs::path path = path_for(state.cluster);
  const fs::path tmp = m_dir / fmt::format(".{}.json.tmp-{}", state.cluster, ::getpid());

  json doc = state.to_json();
  doc["updated_at"] = format_wall_time(std::chrono::system_clock::now());
  std::string text;
  try {
    // replace: evidence may quote server error messages that are not UTF-8.
    text = doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  } catch (const json::exception& e) {
    return make_error(Errc::internal, "cannot save state file '{}': {}", path.string(), e.what());
  }

  auto failed = [&](std::string_view step, const fs::path& what, int err) -> Error {
    ::unlink(tmp.c_str());  // may not exist; the old file is untouched either way
    return make_error(Errc::io, "cannot save state file '{}': {} '{}': {}; the previous file is intact",
                      path.string(), step, what.string(), errno_text(err));
  };

  // O_NOFOLLOW: never write through a planted link. fchmod: a stale temp file
  // from an earlier process with our PID keeps its old mode under O_TRUNC.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return failed("creating", tmp, errno);
  int err = ::fchmod(fd, 0600) == 0 ? 0 : errno;
  const char* step = "setting the mode of";
  if (err == 0) {
    err = write_all(fd, text);
    step = "writing";
  }
  if (err == 0) {
    err = ::fsync(fd) == 0 ? 0 : errno;
    step = "syncing";
  }
  if (::close(fd) != 0 && err == 0) {
    err = errno;
    step = "closing";
  }
  if (err != 0) return failed(step, tmp, err);

  if (::rename(tmp.c_str(), path.c_str()) != 0) return failed("renaming", tmp, errno);

  if (const int dir_err = fsync_dir(m_dir); dir_err != 0)
    return make_error(Errc::io,
                      "saved state file '{}' but could not sync directory '{}': {}; "
                      "the new state may not survive a crash",
                      path.string(), m_dir.string(), errno_text(dir_err));
  log_debug({{"CLUSTER", state.cluster}}, "saved state file '{}'", path.string());
  return {};
}

}  // namespace mha

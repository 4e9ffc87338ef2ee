// StateStore and ClusterState against real temporary directories.

#include "daemon/state_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;
using mha::ClusterState;
using mha::Errc;
using mha::FailoverRecord;
using mha::StateStore;
using mha::VerdictRecord;
using nlohmann::json;

namespace {

// A fresh directory under /tmp, removed (modes restored first) at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "mhad-state-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    m_path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    for (const auto& entry : fs::recursive_directory_iterator(m_path, ec))
      if (entry.is_directory(ec)) fs::permissions(entry.path(), fs::perms::owner_all, ec);
    fs::permissions(m_path, fs::perms::owner_all, ec);
    fs::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The one moved-aside file for `cluster`; checks its name's shape.
fs::path corrupt_file(const fs::path& dir, const std::string& cluster) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().rfind(cluster + ".json.corrupt-", 0) == 0) found.push_back(entry.path());
  REQUIRE(found.size() == 1);
  const std::regex shape(cluster + R"(\.json\.corrupt-\d{8}T\d{6}Z)");
  CHECK(std::regex_match(found[0].filename().string(), shape));
  return found[0];
}

std::string expected_aside_message(const fs::path& dir, const std::string& cluster, std::string_view what) {
  return fmt::format("state file '{}' {}; moved aside to '{}'; starting with empty state for '{}'",
                     (dir / (cluster + ".json")).string(), what, corrupt_file(dir, cluster).string(), cluster);
}

ClusterState full_state() {
  ClusterState state;
  state.cluster = "app1";
  state.master = "db1";
  state.operation = "failover";
  state.phase = "recover_master";
  state.updated_at = "2026-11-22T07:30:00.000Z";
  state.extra = json{{"note", "from a test"}, {"n", 3}};
  state.add_verdict(VerdictRecord{"2026-11-22T07:30:01.123Z", "db1", "dead",
                                  {"connect: refused", "ssh: no route to host"}, 3120});
  state.add_verdict(VerdictRecord{"2026-11-22T07:31:01.000Z", "db2", "alive", {}, -1});
  state.add_failover(FailoverRecord{"2026-11-22T07:30:02.000Z", "2026-11-22T07:30:09.500Z", "db1", "db2",
                                    "success", 7500, json{{"steps", json::array({"fence", "promote"})}}});
  return state;
}

void check_same_except_updated_at(const ClusterState& got, const ClusterState& want) {
  CHECK(got.version == want.version);
  CHECK(got.cluster == want.cluster);
  CHECK(got.master == want.master);
  CHECK(got.verdicts == want.verdicts);
  CHECK(got.failovers == want.failovers);
  CHECK(got.operation == want.operation);
  CHECK(got.phase == want.phase);
  CHECK(got.extra == want.extra);
}

bool running_as_root() { return ::geteuid() == 0; }

}  // namespace

TEST_CASE("format_wall_time is ISO 8601 UTC with milliseconds", "[state]") {
  using namespace std::chrono;
  const sys_time<milliseconds> time = sys_days{2026y / 11 / 22} + 7h + 30min + 1s + 123ms;
  CHECK(mha::format_wall_time(time) == "2026-11-22T07:30:01.123Z");
  CHECK(mha::format_wall_time(sys_days{1970y / 1 / 1} - 1ms) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("ClusterState round-trips through JSON", "[state]") {
  const ClusterState state = full_state();
  auto back = ClusterState::from_json(state.to_json());
  REQUIRE(back);
  check_same_except_updated_at(*back, state);
  CHECK(back->updated_at == state.updated_at);
}

TEST_CASE("histories keep the newest entries", "[state]") {
  ClusterState state;
  state.cluster = "app1";
  for (int i = 0; i < 201; ++i) state.add_verdict(VerdictRecord{"", fmt::format("s{}", i), "alive", {}, i});
  for (int i = 0; i < 51; ++i) state.add_failover(FailoverRecord{"", "", "", "", fmt::format("f{}", i), i, {}});
  REQUIRE(state.verdicts.size() == 200);
  CHECK(state.verdicts.front().server == "s1");
  CHECK(state.verdicts.back().server == "s200");
  REQUIRE(state.failovers.size() == 50);
  CHECK(state.failovers.front().result == "f1");
  CHECK(state.failovers.back().result == "f50");

  SECTION("a longer history in a file is trimmed on reading") {
    json doc = state.to_json();
    doc["verdicts"].push_back(json{{"server", "s201"}});
    auto back = ClusterState::from_json(doc);
    REQUIRE(back);
    REQUIRE(back->verdicts.size() == 200);
    CHECK(back->verdicts.front().server == "s2");
    CHECK(back->verdicts.back().server == "s201");
  }
}

TEST_CASE("ClusterState::from_json is strict about types", "[state]") {
  json doc = full_state().to_json();
  std::string message;
  SECTION("top level") {
    doc = json::array();
    message = "top level: expected an object, got array";
  }
  SECTION("missing version") {
    doc.erase("version");
    message = "version: missing";
  }
  SECTION("version of the wrong type") {
    doc["version"] = "1";
    message = "version: expected an integer, got string";
  }
  SECTION("version 0") {
    doc["version"] = 0;
    message = "version: 0 is not a valid state version";
  }
  SECTION("missing cluster") {
    doc.erase("cluster");
    message = "cluster: missing";
  }
  SECTION("master") {
    doc["master"] = nullptr;
    message = "master: expected a string, got null";
  }
  SECTION("verdicts") {
    doc["verdicts"] = json::object();
    message = "verdicts: expected an array, got object";
  }
  SECTION("a verdict") {
    doc["verdicts"][1] = "db2 alive";
    message = "verdicts[1]: expected an object, got string";
  }
  SECTION("evidence item") {
    doc["verdicts"][0]["evidence"][1] = 42;
    message = "verdicts[0].evidence[1]: expected a string, got number 42";
  }
  SECTION("detection_ms") {
    doc["verdicts"][0]["detection_ms"] = 1.5;
    message = "verdicts[0].detection_ms: expected an integer, got number 1.5";
  }
  SECTION("duration_ms out of range") {
    doc["failovers"][0]["duration_ms"] = std::uint64_t{1} << 63;
    message = "failovers[0].duration_ms: 9223372036854775808 is out of range";
  }
  SECTION("failovers") {
    doc["failovers"] = "none";
    message = "failovers: expected an array, got string";
  }
  SECTION("extra") {
    doc["extra"] = json::array();
    message = "extra: expected an object, got array";
  }
  auto state = ClusterState::from_json(doc);
  REQUIRE_FALSE(state);
  CHECK(state.error().code == Errc::parse);
  CHECK(state.error().message == message);
}

TEST_CASE("ClusterState::from_json takes defaults for absent keys and ignores unknown ones", "[state]") {
  auto state = ClusterState::from_json(json{{"version", 1}, {"cluster", "app1"}, {"from_the_future", true}});
  REQUIRE(state);
  CHECK(state->cluster == "app1");
  CHECK(state->master.empty());
  CHECK(state->verdicts.empty());
  CHECK(state->extra == json::object());
}

TEST_CASE("ClusterState::from_json refuses a newer version", "[state]") {
  auto state = ClusterState::from_json(json{{"version", 2}, {"cluster", "app1"}, {"verdicts", "changed shape"}});
  REQUIRE_FALSE(state);
  CHECK(state.error().code == Errc::parse);
  CHECK(state.error().message == "version: state version 2 is newer than this mhad understands (version 1)");
}

TEST_CASE("StateStore::ensure_dir creates the directory 0700", "[state]") {
  TempDir tmp;
  StateStore store(tmp.path() / "lib" / "mhad");
  REQUIRE(store.ensure_dir());
  struct stat st {};
  REQUIRE(::stat(store.dir().c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK((st.st_mode & 07777) == 0700);
  CHECK(store.ensure_dir());  // again: fine

  SECTION("a file in the way") {
    write_file(tmp.path() / "file", "x");
    StateStore blocked(tmp.path() / "file");
    auto ok = blocked.ensure_dir();
    REQUIRE_FALSE(ok);
    CHECK(ok.error().code == Errc::io);
    CHECK(ok.error().message ==
          fmt::format("state directory '{}' exists but is not a directory", (tmp.path() / "file").string()));
  }
}

TEST_CASE("StateStore saves and loads every field", "[state]") {
  TempDir tmp;
  StateStore store(tmp.path());
  CHECK(store.path_for("app1") == tmp.path() / "app1.json");
  const ClusterState state = full_state();
  REQUIRE(store.save(state));

  auto back = store.load("app1");
  REQUIRE(back);
  check_same_except_updated_at(*back, state);
  CHECK(std::regex_match(back->updated_at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  CHECK(back->updated_at != state.updated_at);

  SECTION("pretty, 2-space indent, newline at the end") {
    const std::string text = read_file(store.path_for("app1"));
    CHECK(text.rfind("{\n  \"", 0) == 0);  // keys sorted: awaiting_rejoin comes first
    CHECK(text.find("\n  \"cluster\": \"app1\",\n") != std::string::npos);
    CHECK(text.back() == '\n');
  }
  SECTION("the file is 0600 and no temp file is left") {
    struct stat st {};
    REQUIRE(::stat(store.path_for("app1").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(entries(tmp.path()) == std::vector<std::string>{"app1.json"});
  }
  SECTION("saving again replaces the file") {
    ClusterState next = *back;
    next.phase = "finish";
    REQUIRE(store.save(next));
    auto again = store.load("app1");
    REQUIRE(again);
    CHECK(again->phase == "finish");
    CHECK(entries(tmp.path()) == std::vector<std::string>{"app1.json"});
  }
  SECTION("other clusters are separate files") {
    ClusterState other;
    other.cluster = "app2";
    other.master = "x1";
    REQUIRE(store.save(other));
    CHECK(store.load("app2")->master == "x1");
    CHECK(store.load("app1")->master == "db1");
  }
}

TEST_CASE("StateStore::load of a missing file is an empty state", "[state]") {
  TempDir tmp;
  StateStore store(tmp.path());
  auto state = store.load("app1");
  REQUIRE(state);
  CHECK(state->cluster == "app1");
  CHECK(state->version == 1);
  CHECK(state->master.empty());
  CHECK(state->verdicts.empty());
  CHECK(state->failovers.empty());
  CHECK(state->operation.empty());
  CHECK(entries(tmp.path()).empty());  // nothing created by a load
}

TEST_CASE("StateStore::load moves an unusable file aside", "[state]") {
  TempDir tmp;
  StateStore store(tmp.path());
  const fs::path path = store.path_for("app1");
  std::string original;
  std::string what;
  Errc code = Errc::parse;

  SECTION("not JSON") {
    original = "{\n  \"version\": 1,\n  \"cluster\": \"app1\",,\n}\n";
    what = "is not valid JSON (line 3)";
  }
  SECTION("empty") {
    original = "";
    what = "is empty";
  }
  SECTION("wrong shape") {
    json doc = full_state().to_json();
    doc["verdicts"] = json::object();
    original = doc.dump(2);
    what = "cannot be used: verdicts: expected an array, got object";
  }
  SECTION("another cluster's state") {
    ClusterState other;
    other.cluster = "app2";
    original = other.to_json().dump(2);
    what = "belongs to cluster 'app2', not 'app1'";
  }
  SECTION("a newer version") {
    original = R"({"version": 2, "cluster": "app1"})";
    what = "cannot be used: version: state version 2 is newer than this mhad understands (version 1)";
  }
  write_file(path, original);

  auto state = store.load("app1");
  REQUIRE_FALSE(state);
  CHECK(state.error().code == code);
  CHECK(state.error().message == expected_aside_message(tmp.path(), "app1", what));
  CHECK_FALSE(fs::exists(path));
  CHECK(read_file(corrupt_file(tmp.path(), "app1")) == original);

  // The caller goes on with an empty state; the next load finds no file.
  auto fresh = store.load("app1");
  REQUIRE(fresh);
  CHECK(fresh->cluster == "app1");
  CHECK(fresh->verdicts.empty());
}

TEST_CASE("StateStore::load moves an unreadable entry aside", "[state]") {
  // A directory where the file should be: read() fails with EISDIR, even
  // for root (chmod 000 would not stop root, and the tests may run as root).
  TempDir tmp;
  StateStore store(tmp.path());
  fs::create_directory(store.path_for("app1"));
  auto state = store.load("app1");
  REQUIRE_FALSE(state);
  CHECK(state.error().code == Errc::io);
  CHECK(state.error().message == expected_aside_message(tmp.path(), "app1", "cannot be read: Is a directory"));
  CHECK_FALSE(fs::exists(store.path_for("app1")));
  CHECK(fs::is_directory(corrupt_file(tmp.path(), "app1")));
}

TEST_CASE("StateStore::load never overwrites an earlier moved-aside file", "[state]") {
  TempDir tmp;
  StateStore store(tmp.path());
  // Occupy the names for this second and the next two, so the move cannot
  // take a plain stamp whatever the clock does meanwhile.
  const auto now = std::chrono::system_clock::now();
  std::vector<fs::path> taken;
  for (int i = 0; i < 3; ++i) {
    const std::time_t t = std::chrono::system_clock::to_time_t(now + std::chrono::seconds(i));
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    taken.push_back(tmp.path() / fmt::format("app1.json.corrupt-{}", stamp));
    write_file(taken.back(), fmt::format("earlier {}", i));
  }
  write_file(store.path_for("app1"), "garbage");

  auto state = store.load("app1");
  REQUIRE_FALSE(state);
  for (int i = 0; i < 3; ++i) CHECK(read_file(taken[static_cast<std::size_t>(i)]) == fmt::format("earlier {}", i));
  bool found = false;
  for (const auto& path : taken) {
    const fs::path second = path.string() + "-2";
    if (fs::exists(second)) {
      found = true;
      CHECK(read_file(second) == "garbage");
      CHECK(state.error().message.find("moved aside to '" + second.string() + "'") != std::string::npos);
    }
  }
  CHECK(found);
}

TEST_CASE("StateStore::save failures leave the old file intact", "[state]") {
  TempDir tmp;
  StateStore store(tmp.path());
  ClusterState state = full_state();
  REQUIRE(store.save(state));
  const std::string before = read_file(store.path_for("app1"));
  state.phase = "finish";

  SECTION("the temp file's name is taken by a directory") {
    // Fails for root too: open(O_WRONLY) on a directory is EISDIR.
    const fs::path blocker = tmp.path() / fmt::format(".app1.json.tmp-{}", ::getpid());
    fs::create_directory(blocker);
    auto ok = store.save(state);
    REQUIRE_FALSE(ok);
    CHECK(ok.error().code == Errc::io);
    CHECK(ok.error().message == fmt::format("cannot save state file '{}': creating '{}': Is a directory; "
                                            "the previous file is intact",
                                            store.path_for("app1").string(), blocker.string()));
    CHECK(read_file(store.path_for("app1")) == before);
    CHECK(fs::is_directory(blocker));  // not ours to remove
  }
  SECTION("a read-only directory") {
    // root ignores directory modes, so this only asserts as a normal user;
    // the missing-directory test below covers the same path for root.
    if (!running_as_root()) {
      fs::permissions(tmp.path(), fs::perms::owner_read | fs::perms::owner_exec);
      auto ok = store.save(state);
      fs::permissions(tmp.path(), fs::perms::owner_all);
      REQUIRE_FALSE(ok);
      CHECK(ok.error().code == Errc::io);
      CHECK(ok.error().message.find("Permission denied") != std::string::npos);
      CHECK(read_file(store.path_for("app1")) == before);
      CHECK(entries(tmp.path()) == std::vector<std::string>{"app1.json"});
    }
  }
}

TEST_CASE("StateStore::save into a missing directory fails and creates nothing", "[state]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "missing";
  StateStore store(dir);
  auto ok = store.save(full_state());
  REQUIRE_FALSE(ok);
  CHECK(ok.error().code == Errc::io);
  CHECK(ok.error().message == fmt::format("cannot save state file '{}': creating '{}': No such file or directory; "
                                          "the previous file is intact",
                                          (dir / "app1.json").string(),
                                          (dir / fmt::format(".app1.json.tmp-{}", ::getpid())).string()));
  CHECK_FALSE(fs::exists(dir));
}

TEST_CASE("StateStore refuses cluster names that are not plain file names", "[state]") {
  TempDir tmp;
  StateStore store(tmp.path());
  for (std::string name : {"", "../etc", "a/b", ".hidden"}) {
    auto loaded = store.load(name);
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().code == Errc::config);
    CHECK(loaded.error().message == fmt::format("cluster name '{}' cannot be used as a state file name", name));
    ClusterState state;
    state.cluster = name;
    auto saved = store.save(state);
    REQUIRE_FALSE(saved);
    CHECK(saved.error().code == Errc::config);
  }
  CHECK(entries(tmp.path()).empty());
}

TEST_CASE("wall time text parses back to the same instant", "[state]") {
  auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  auto parsed = mha::parse_wall_time(mha::format_wall_time(now));
  REQUIRE(parsed);
  CHECK(*parsed == now);
  CHECK_FALSE(mha::parse_wall_time("yesterday"));
  CHECK_FALSE(mha::parse_wall_time("2026-11-22 07:30:01"));
}

// Binlog salvage (daemon/failover/binlog_salvage.h): the command run on the
// dead master's host, reading the binlog tool's output (a real MariaDB 10.11
// sample), salvage_binlog's outcomes through a fake RemoteShell, the command
// itself run by a local /bin/sh against fake binlog directories and a fake
// tool, and apply_salvaged with a fake client.
#include "daemon/failover/binlog_salvage.h"

#include "common/text.h"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace mha;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

#ifdef MHA_FIXTURE_DIR
const fs::path k_fixtures = MHA_FIXTURE_DIR;
#else
const fs::path k_fixtures = fs::path(__FILE__).parent_path().parent_path() / "fixtures";
#endif

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  INFO("reading " << path);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& path, std::string_view text, fs::perms perms = fs::perms::owner_read | fs::perms::owner_write) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  fs::permissions(path, perms);
}

Flavor mariadb(std::string_view version = "10.11.6-MariaDB") { return Flavor::from_version(version).value(); }
Flavor mysql() { return Flavor::from_version("8.0.36").value(); }

SalvageRequest request(Flavor flavor, std::string start, std::string basename = "",
                       std::vector<std::string> dirs = {}) {
  SalvageRequest r{flavor, std::move(dirs), std::move(basename), std::move(start), ""};
  return r;
}

// Answers every command with one canned result (or error), recording it.
class FakeShell final : public RemoteShell {
 public:
  Result<CommandResult> answer = CommandResult{0, "", ""};
  std::vector<std::string> commands;
  Result<CommandResult> run(std::string_view command, std::chrono::milliseconds) override {
    commands.emplace_back(command);
    return answer;
  }
  void close() override {}
};

// Runs the command with the local /bin/sh, stdout and stderr apart.
class LocalShell final : public RemoteShell {
 public:
  explicit LocalShell(fs::path scratch) : m_err(std::move(scratch) / "stderr.txt") {}
  Result<CommandResult> run(std::string_view command, std::chrono::milliseconds) override {
    std::string wrapped = "{ " + std::string(command) + "\n} 2>'" + m_err.string() + "'";
    FILE* pipe = ::popen(wrapped.c_str(), "r");
    if (pipe == nullptr) return make_error(Errc::internal, "popen failed");
    CommandResult result;
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
    int status = ::pclose(pipe);
    result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.err = read_file(m_err);
    return result;
  }
  void close() override {}

 private:
  fs::path m_err;
};

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "salvage-test.XXXXXX").string();
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

constexpr std::string_view k_find_in_dirs_tail =
    "; do for i in \"$d\"/*.index; do case ${i##*/} in *relay*) continue ;; esac; [ -f \"$i\" ] || continue; "
    "for f in \"${i%.index}\".[0-9]*; do [ -f \"$f\" ] && set -- \"$@\" \"$f\"; done; [ $# -gt 0 ] && break; done; "
    "if [ $# -eq 0 ]; then for f in \"$d\"/*-bin.[0-9]*; do case ${f##*/} in *relay*) ;; *) [ -f \"$f\" ] && "
    "set -- \"$@\" \"$f\" ;; esac; done; fi; [ $# -gt 0 ] && break; done; ";

}  // namespace

TEST_CASE("the MariaDB salvage command: files from the basename, GTID start position", "[salvage]") {
  auto command = build_salvage_command(request(mariadb(), "0-1-100,1-2-5", "/var/lib/mysql/mariadb-bin"));
  REQUIRE(command);
  CHECK(*command ==
        "set --; for f in '/var/lib/mysql/mariadb-bin'.[0-9]*; do [ -f \"$f\" ] && set -- \"$@\" \"$f\"; done; "
        "[ $# -gt 0 ] || { printf '%s\\n' 'mhad-salvage: no binlog files in '\\''/var/lib/mysql/mariadb-bin'\\''.[0-9]*' >&2; exit 4; }; "
        "command -v 'mariadb-binlog' >/dev/null 2>&1 || { printf '%s\\n' 'mhad-salvage: '\\''mariadb-binlog'\\'' not found' >&2; exit 5; }; "
        "{ r=$( { { 'mariadb-binlog' --start-position='0-1-100,1-2-5' \"$@\"; echo $? >&3; } | head -c 1073741825 >&4; } 3>&1 ); } 4>&1; "
        "[ \"$r\" = 0 ] || { echo \"mhad-salvage: mariadb-binlog exited with status $r\" >&2; exit 6; }");
}

TEST_CASE("the MySQL salvage command: files from the binlog dirs, --exclude-gtids", "[salvage]") {
  auto r = request(mysql(), "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77", "", {"/var/lib/mysql/", "/var/log/mysql"});
  r.client_bindir = "/usr/local/mysql/bin/";
  r.max_output_bytes = 1000;
  auto command = build_salvage_command(r);
  REQUIRE(command);
  CHECK(*command ==
        "set --; for d in '/var/lib/mysql' '/var/log/mysql'" + std::string(k_find_in_dirs_tail) +
            "[ $# -gt 0 ] || { printf '%s\\n' 'mhad-salvage: no binlog files in '\\''/var/lib/mysql'\\'' '\\''/var/log/mysql'\\''' >&2; exit 4; }; "
            "command -v '/usr/local/mysql/bin/mysqlbinlog' >/dev/null 2>&1 || "
            "{ printf '%s\\n' 'mhad-salvage: '\\''/usr/local/mysql/bin/mysqlbinlog'\\'' not found' >&2; exit 5; }; "
            "{ r=$( { { '/usr/local/mysql/bin/mysqlbinlog' --exclude-gtids='3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77' "
            "\"$@\"; echo $? >&3; } | head -c 1001 >&4; } 3>&1 ); } 4>&1; "
            "[ \"$r\" = 0 ] || { echo \"mhad-salvage: mysqlbinlog exited with status $r\" >&2; exit 6; }");
}

TEST_CASE("odd paths stay one shell word; newlines are refused", "[salvage]") {
  auto command = build_salvage_command(request(mariadb(), "0-1-1", "/data/it's $(reboot) `x`/bin log"));
  REQUIRE(command);
  CHECK(command->find("for f in '/data/it'\\''s $(reboot) `x`/bin log'.[0-9]*;") != std::string::npos);
  CHECK(!build_salvage_command(request(mariadb(), "0-1-1", "/data/a\nb")));
  CHECK(!build_salvage_command(request(mariadb(), "0-1-1", "", {"/data/a\nb"})));
  CHECK(build_salvage_command(request(mariadb(), "0-1-1")).error().code == Errc::bad_request);
}

TEST_CASE("MariaDB before 10.8 has no GTID start position: not supported", "[salvage]") {
  auto command = build_salvage_command(request(mariadb("10.6.16-MariaDB"), "0-1-1", "/var/lib/mysql/mariadb-bin"));
  REQUIRE(!command);
  CHECK(command.error().code == Errc::not_supported);
  FakeShell shell;
  auto result = salvage_binlog(shell, request(mariadb("10.6.16-MariaDB"), "0-1-1", "/var/lib/mysql/mariadb-bin"));
  CHECK(!result.ok);
  CHECK(result.error.find("MariaDB >= 10.8") != std::string::npos);
  CHECK(shell.commands.empty());
}

TEST_CASE("GTID events are counted in real mariadb-binlog output", "[salvage]") {
  std::string sample = read_file(k_fixtures / "mariadb1011_binlog_salvage.sql");
  auto scan = scan_salvage_output(FlavorKind::mariadb, sample);
  CHECK(scan.transactions == 4);  // 0-1-8 (ddl), 0-1-9, 0-1-10, 0-1-11
  CHECK(scan.last_gtid == "0-1-11");

  // Query text is printed raw (and after "#Q> "): it never counts.
  std::string tricky =
      "#Q> insert into t values ('\tGTID 0-1-99')\n"
      "# \tGTID 0-1-98\n"
      "#261122  8:11:49 server id 1  end_log_pos 1684 CRC32 0x54ee45b6 \tGTID 0-1-9 trans\n"
      "#261122 18:11:49 server id 7  end_log_pos 1684 \tGTID 3-7-12 cid=55 trans\n"
      "#261122  8:11:49 server id 1  end_log_pos 1684 CRC32 0x54ee45b6 \tGTID x-1-9 trans\n";
  scan = scan_salvage_output(FlavorKind::mariadb, tricky);
  CHECK(scan.transactions == 2);
  CHECK(scan.last_gtid == "3-7-12");
}

TEST_CASE("GTID_NEXT statements are counted in mysqlbinlog output", "[salvage]") {
  std::string out =
      "# at 235\n"
      "#240101 10:00:00 server id 1  end_log_pos 314 CRC32 0x1 \tGTID\tlast_committed=0\tsequence_number=1\n"
      "SET @@SESSION.GTID_NEXT= '3e11fa47-71ca-11e1-9e33-c80aa9429562:78'/*!*/;\n"
      "BEGIN\n/*!*/;\nCOMMIT/*!*/;\n"
      "SET @@SESSION.GTID_NEXT= '3e11fa47-71ca-11e1-9e33-c80aa9429562:79'/*!*/;\n"
      "SET @@SESSION.GTID_NEXT= 'AUTOMATIC' /* added by mysqlbinlog */ /*!*/;\n";
  auto scan = scan_salvage_output(FlavorKind::mysql, out);
  CHECK(scan.transactions == 2);
  CHECK(scan.last_gtid == "3e11fa47-71ca-11e1-9e33-c80aa9429562:79");
}

TEST_CASE("salvage_binlog returns the events and what ran", "[salvage]") {
  std::string sample = read_file(k_fixtures / "mariadb1011_binlog_salvage.sql");
  FakeShell shell;
  shell.answer = CommandResult{0, sample, ""};
  auto req = request(mariadb(), "0-1-7", "/var/lib/mysql/mariadb-bin");
  auto result = salvage_binlog(shell, req);
  CHECK(result.ok);
  CHECK(result.error.empty());
  CHECK(result.sql == sample);
  CHECK(result.transactions == 4);
  CHECK(result.last_gtid == "0-1-11");
  REQUIRE(shell.commands.size() == 1);
  CHECK(result.command == shell.commands[0]);
  CHECK(result.command == build_salvage_command(req).value());
}

TEST_CASE("salvage_binlog: nothing to salvage", "[salvage]") {
  FakeShell shell;
  SECTION("empty start position: nothing runs") {
    auto result = salvage_binlog(shell, request(mariadb(), " ", "/var/lib/mysql/mariadb-bin"));
    CHECK(result.ok);
    CHECK(result.transactions == 0);
    CHECK(shell.commands.empty());
  }
  SECTION("header-only output counts as nothing") {
    std::string sample = read_file(k_fixtures / "mariadb1011_binlog_salvage.sql");
    std::string header = sample.substr(0, sample.find("# at 1455"));
    shell.answer = CommandResult{0, header, ""};
    auto result = salvage_binlog(shell, request(mariadb(), "0-1-11", "/b/mariadb-bin"));
    CHECK(result.ok);
    CHECK(result.transactions == 0);
    CHECK(result.sql.empty());
  }
  SECTION("mariadb-binlog's 'never reached' for the last GTID is no error") {
    shell.answer = CommandResult{6, "/*!50530 SET @@SESSION.PSEUDO_SLAVE_MODE=1*/;\n",
                                 "ERROR: Binary logs never reached expected GTID state of 0-1-11\n"
                                 "mhad-salvage: mariadb-binlog exited with status 1\n"};
    auto result = salvage_binlog(shell, request(mariadb(), "0-1-11", "/b/mariadb-bin"));
    CHECK(result.ok);
    CHECK(result.transactions == 0);
    CHECK(result.sql.empty());
    CHECK(result.warnings == std::vector<std::string>{"nothing after 0-1-11 in the binlogs"});
  }
}

TEST_CASE("salvage_binlog failures carry the host's error text", "[salvage]") {
  FakeShell shell;
  auto req = request(mariadb(), "0-1-9", "/b/mariadb-bin");
  SECTION("tool error, even next to 'never reached'") {
    shell.answer = CommandResult{6, "",
                                 "ERROR: Binary logs never reached expected GTID state of 1-1-1\n"
                                 "ERROR: Binary logs are missing data for domain 0. Expected data to start from "
                                 "state 0-1-9; however, the initial GTID state of the logs was 0-1-11.\n"
                                 "mhad-salvage: mariadb-binlog exited with status 1\n"};
    auto result = salvage_binlog(shell, req);
    CHECK(!result.ok);
    CHECK(result.error.find("missing data for domain 0") != std::string::npos);
    CHECK(result.exit_status == 6);
  }
  SECTION("no binlog files") {
    shell.answer = CommandResult{4, "", "mhad-salvage: no binlog files in '/b/mariadb-bin'.[0-9]*\n"};
    auto result = salvage_binlog(shell, req);
    CHECK(!result.ok);
    CHECK(result.error == "binlog salvage: no binlog files found: mhad-salvage: no binlog files in '/b/mariadb-bin'.[0-9]*");
  }
  SECTION("tool missing") {
    shell.answer = CommandResult{5, "", "mhad-salvage: 'mariadb-binlog' not found\n"};
    auto result = salvage_binlog(shell, req);
    CHECK(!result.ok);
    CHECK(result.error.find("binlog tool missing") != std::string::npos);
  }
  SECTION("output above the cap") {
    req.max_output_bytes = 100;
    shell.answer = CommandResult{6, std::string(101, 'x'), "mhad-salvage: mariadb-binlog exited with status 141\n"};
    auto result = salvage_binlog(shell, req);
    CHECK(!result.ok);
    CHECK(result.error.find("exceeds 100 bytes") != std::string::npos);
    CHECK(result.sql.empty());
  }
  SECTION("ssh failure") {
    shell.answer = make_error(Errc::network, "ssh db1: connect: No route to host");
    auto result = salvage_binlog(shell, req);
    CHECK(!result.ok);
    CHECK(result.error == "binlog salvage: ssh db1: connect: No route to host");
  }
}

TEST_CASE("the salvage command finds binlogs and runs the tool (local sh, fake tool)", "[salvage]") {
  TempDir tmp;
  fs::path bin = tmp.path / "bin dir";
  fs::path empty = tmp.path / "empty";
  fs::path data = tmp.path / "it's data";
  for (const auto& d : {bin, empty, data}) fs::create_directories(d);
  // The fake tool prints its arguments, one a line; FAIL makes it fail.
  write_file(bin / "mariadb-binlog",
             "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n"
             "[ -e \"$(dirname \"$0\")/FAIL\" ] && { echo 'ERROR: broken' >&2; exit 1; }\nexit 0\n",
             fs::perms::owner_all);
  for (const char* f : {"mariadb-bin.000002", "mariadb-bin.000001", "mariadb-bin.index", "mariadb-bin.state",
                        "relay-bin.000001", "relay-bin.index"})
    write_file(data / f, "");
  LocalShell shell(tmp.path);
  auto req = request(mariadb(), "0-1-5", "", {empty.string(), data.string()});
  req.client_bindir = bin.string();

  auto result = salvage_binlog(shell, req);
  INFO(result.error);
  CHECK(result.ok);
  std::string expected = "--start-position=0-1-5\n" + (data / "mariadb-bin.000001").string() + "\n" +
                         (data / "mariadb-bin.000002").string() + "\n";
  // No GTID events: the fake's output is not kept; read it from the tool directly.
  CHECK(shell.run(result.command, 1s)->out == expected);

  SECTION("by basename") {
    req.binlog_dirs.clear();
    req.binlog_basename = (data / "mariadb-bin").string();
    CHECK(shell.run(build_salvage_command(req).value(), 1s)->out == expected);
  }
  SECTION("*-bin.NNNNNN without an index; relay logs never") {
    fs::remove(data / "mariadb-bin.index");
    CHECK(shell.run(result.command, 1s)->out == expected);
  }
  SECTION("no binlogs: exit 4") {
    req.binlog_dirs = {empty.string(), (tmp.path / "missing").string()};
    auto r = salvage_binlog(shell, req);
    CHECK(!r.ok);
    CHECK(r.exit_status == k_salvage_exit_no_binlogs);
  }
  SECTION("tool missing: exit 5") {
    req.client_bindir = empty.string();
    auto r = salvage_binlog(shell, req);
    CHECK(!r.ok);
    CHECK(r.exit_status == k_salvage_exit_no_tool);
  }
  SECTION("tool error: exit 6 with its stderr") {
    write_file(bin / "FAIL", "");
    auto r = salvage_binlog(shell, req);
    CHECK(!r.ok);
    CHECK(r.exit_status == k_salvage_exit_tool_failed);
    CHECK(r.error.find("ERROR: broken") != std::string::npos);
    CHECK(r.error.find("exited with status 1") != std::string::npos);
  }
  SECTION("output cap: at most cap + 1 bytes leave the host") {
    req.max_output_bytes = 10;
    auto out = shell.run(build_salvage_command(req).value(), 1s);
    CHECK(out->out.size() == 11);
    auto r = salvage_binlog(shell, req);
    CHECK(!r.ok);
    CHECK(r.error.find("exceeds 10 bytes") != std::string::npos);
  }
}

TEST_CASE("apply_salvaged: credentials in a private defaults file, SQL on stdin, files removed", "[salvage]") {
  TempDir tmp;
  fs::path bin = tmp.path / "bin";
  fs::create_directories(bin);
  fs::path record = tmp.path / "record";
  // A fake client: records argv, the defaults file (content and mode) and stdin.
  write_file(bin / "mariadb",
             "#!/bin/sh\nr='" + record.string() + "'\n"
             "for a in \"$@\"; do echo \"arg:$a\"; done > \"$r.args\"\n"
             "f=${1#--defaults-extra-file=}\ncp \"$f\" \"$r.cnf\"\nstat -c %a \"$f\" > \"$r.mode\"\n"
             "stat -c %a \"$(dirname \"$f\")\" > \"$r.dirmode\"\necho \"$f\" > \"$r.path\"\n"
             "cat > \"$r.stdin\"\n"
             "[ -e \"$r.fail\" ] && { echo 'ERROR 1045 (28000): Access denied' >&2; exit 1; }\nexit 0\n",
             fs::perms::owner_all);
  const char* old_path = std::getenv("PATH");
  std::string saved = old_path != nullptr ? old_path : "";
  ::setenv("PATH", (bin.string() + ":" + saved).c_str(), 1);
  const std::string password = "s3cret \"quoted\" #not-a-comment \\";

  auto applied = apply_salvaged("insert into t values (1);\n", "db2", 3307, "mha", password, 10s);
  CHECK(applied);
  std::string args = read_file(record.string() + ".args");
  CHECK(args.rfind("arg:--defaults-extra-file=", 0) == 0);
  CHECK(args.find("arg:--binary-mode\n") != std::string::npos);
  CHECK(args.find("arg:--batch\n") != std::string::npos);
  CHECK(args.find("s3cret") == std::string::npos);
  CHECK(read_file(record.string() + ".cnf") ==
        "[client]\nuser=\"mha\"\npassword=\"s3cret \\\"quoted\\\" #not-a-comment \\\\\"\nhost=\"db2\"\nport=3307\n");
  CHECK(read_file(record.string() + ".mode") == "600\n");
  CHECK(read_file(record.string() + ".dirmode") == "700\n");
  CHECK(read_file(record.string() + ".stdin") == "insert into t values (1);\n");
  std::string defaults = read_file(record.string() + ".path");
  defaults.pop_back();
  CHECK(!fs::exists(defaults));
  CHECK(!fs::exists(fs::path(defaults).parent_path()));

  write_file(record.string() + ".fail", "");
  auto failed = apply_salvaged("select 1;\n", "db2", 3307, "mha", password, 10s);
  REQUIRE(!failed);
  CHECK(failed.error().code == Errc::sql);
  CHECK(failed.error().message.find("Access denied") != std::string::npos);
  CHECK(failed.error().message.find("s3cret") == std::string::npos);
  defaults = read_file(record.string() + ".path");
  defaults.pop_back();
  CHECK(!fs::exists(fs::path(defaults).parent_path()));

  CHECK(apply_salvaged("", "db2", 3307, "mha", password, 10s));  // nothing to apply: the client is not run
  ::setenv("PATH", saved.c_str(), 1);
}

// Issue 10: the "no binlog files" and "tool not found" messages pasted
// single-quoted paths inside double-quoted echo strings, where $(...) ran.
TEST_CASE("regression: $(...) in a binlog path or client_bindir never runs (issue 10)", "[salvage]") {
  TempDir tmp;
  const fs::path marker = tmp.path / "ran";
  const std::string injection = "$(touch '" + marker.string() + "')";
  LocalShell shell(tmp.path);

  SECTION("in the binlog basename, with no binlog files") {
    auto req = request(mariadb(), "0-1-5", (tmp.path / ("x" + injection + "-bin")).string());
    auto ran = shell.run(build_salvage_command(req).value(), 1s);
    REQUIRE(ran);
    CHECK(ran->exit_status == k_salvage_exit_no_binlogs);
    CHECK(ran->err == "mhad-salvage: no binlog files in " + shell_quote(req.binlog_basename) + ".[0-9]*\n");
    CHECK_FALSE(fs::exists(marker));
  }
  SECTION("in the binlog dirs, with no binlog files") {
    auto req = request(mariadb(), "0-1-5", "", {(tmp.path / injection).string()});
    auto ran = shell.run(build_salvage_command(req).value(), 1s);
    REQUIRE(ran);
    CHECK(ran->exit_status == k_salvage_exit_no_binlogs);
    CHECK(ran->err == "mhad-salvage: no binlog files in " + shell_quote(req.binlog_dirs[0]) + "\n");
    CHECK_FALSE(fs::exists(marker));
  }
  SECTION("in client_bindir, with the tool missing") {
    write_file(tmp.path / "mariadb-bin.000001", "");
    auto req = request(mariadb(), "0-1-5", (tmp.path / "mariadb-bin").string());
    req.client_bindir = (tmp.path / injection).string();
    auto ran = shell.run(build_salvage_command(req).value(), 1s);
    REQUIRE(ran);
    CHECK(ran->exit_status == k_salvage_exit_no_tool);
    CHECK(ran->err == "mhad-salvage: " + shell_quote(req.client_bindir + "/mariadb-binlog") + " not found\n");
    CHECK_FALSE(fs::exists(marker));
  }
}

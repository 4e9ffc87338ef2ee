// Flavor detection and the exact SQL text per flavor/version (common/flavor.h).
#include "common/flavor.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace mha;
using namespace std::chrono_literals;

namespace {

Flavor detect(std::string_view version) {
  auto flavor = Flavor::from_version(version);
  INFO("version '" << version << "'");
  REQUIRE(flavor);
  return *flavor;
}

Flavor mariadb(int ma, int mi, int pa) { return Flavor(FlavorKind::mariadb, {ma, mi, pa}); }
Flavor mysql(int ma, int mi, int pa) { return Flavor(FlavorKind::mysql, {ma, mi, pa}); }

const ReplicationSource k_source{"192.168.3.74", 3306, "myslave", "123456", false};

}  // namespace

TEST_CASE("flavor detection from SELECT VERSION()", "[flavor]") {
  struct Case {
    const char* text;
    FlavorKind kind;
    ServerVersion version;
  };
  const Case cases[] = {
      {"10.11.19-MariaDB-0+deb12u1-log", FlavorKind::mariadb, {10, 11, 19}},
      {"5.5.5-10.11.6-MariaDB", FlavorKind::mariadb, {10, 11, 6}},
      {"5.5.5-10.3.39-MariaDB-0+deb10u1", FlavorKind::mariadb, {10, 3, 39}},
      {"11.4.2-MariaDB", FlavorKind::mariadb, {11, 4, 2}},
      {"10.6.16-MariaDB-log", FlavorKind::mariadb, {10, 6, 16}},
      {"10.0.9-mariadb", FlavorKind::mariadb, {10, 0, 9}},
      {"5.7.42-log", FlavorKind::mysql, {5, 7, 42}},
      {"5.7.44", FlavorKind::mysql, {5, 7, 44}},
      {"8.0.36", FlavorKind::mysql, {8, 0, 36}},
      {"8.0.36-0ubuntu0.22.04.1", FlavorKind::mysql, {8, 0, 36}},
      {"8.0.36-28", FlavorKind::mysql, {8, 0, 36}},  // Percona Server
      {"8.4.0", FlavorKind::mysql, {8, 4, 0}},
      {"9.1.0", FlavorKind::mysql, {9, 1, 0}},
      {"  8.0.36\n", FlavorKind::mysql, {8, 0, 36}},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const auto flavor = detect(c.text);
    CHECK(flavor.kind() == c.kind);
    CHECK(flavor.version() == c.version);
    CHECK(flavor.is_mariadb() == (c.kind == FlavorKind::mariadb));
    CHECK(flavor.is_mysql() == (c.kind == FlavorKind::mysql));
  }
  CHECK(detect("10.11.19-MariaDB-0+deb12u1-log").to_string() == "MariaDB 10.11.19");
  CHECK(detect("8.0.36").to_string() == "MySQL 8.0.36");
  CHECK(detect("8.0.36") == mysql(8, 0, 36));
}

TEST_CASE("flavor detection rejects nonsense", "[flavor]") {
  const auto error = [](std::string_view text) {
    auto flavor = Flavor::from_version(text);
    INFO("version '" << text << "'");
    REQUIRE_FALSE(flavor);
    return flavor.error();
  };
  for (const auto* text : {"", "   ", "MariaDB", "hello", "10", "10.11", "10.11.", "8.0.x", "8..0", "v8.0.36",
                           "8.0.36.1", "8.0.36abc", "12345.0.1", "-8.0.36", "5.5.5-MariaDB"}) {
    const auto e = error(text);
    CHECK(e.code == Errc::parse);
    CHECK(e.message == fmt::format("unrecognized server version '{}': expected MAJOR.MINOR.PATCH[-suffix]", text));
  }
  SECTION("too old") {
    auto e = error("5.6.51-log");
    CHECK(e.code == Errc::not_supported);
    CHECK(e.message == "MySQL 5.6.51 is not supported: mhad needs MySQL 5.7 or newer");
    e = error("5.5.5-10.0.8-MariaDB");
    CHECK(e.code == Errc::not_supported);
    CHECK(e.message == "MariaDB 10.0.8 is not supported: GTID failover needs MariaDB 10.0.9 or newer");
    e = error("5.5.68-MariaDB");
    CHECK(e.code == Errc::not_supported);
    CHECK(e.message == "MariaDB 5.5.68 is not supported: GTID failover needs MariaDB 10.0.9 or newer");
  }
}

TEST_CASE("ServerVersion ordering", "[flavor]") {
  CHECK(ServerVersion{8, 0, 22} < ServerVersion{8, 0, 23});
  CHECK(ServerVersion{8, 0, 99} < ServerVersion{8, 1, 0});
  CHECK(ServerVersion{10, 11, 0} > ServerVersion{10, 5, 30});
  CHECK(ServerVersion{8, 0, 22}.at_least(8, 0, 22));
  CHECK_FALSE(ServerVersion{8, 0, 21}.at_least(8, 0, 22));
  CHECK(ServerVersion{10, 11, 6}.to_string() == "10.11.6");
}

TEST_CASE("replica status statement", "[flavor]") {
  // MariaDB keeps SHOW SLAVE STATUS everywhere, see flavor.cpp.
  CHECK(mariadb(10, 3, 39).replica_status_sql() == "SHOW SLAVE STATUS");
  CHECK(mariadb(10, 5, 1).replica_status_sql() == "SHOW SLAVE STATUS");
  CHECK(mariadb(11, 4, 2).replica_status_sql() == "SHOW SLAVE STATUS");
  CHECK(mysql(5, 7, 42).replica_status_sql() == "SHOW SLAVE STATUS");
  CHECK(mysql(8, 0, 21).replica_status_sql() == "SHOW SLAVE STATUS");
  CHECK(mysql(8, 0, 22).replica_status_sql() == "SHOW REPLICA STATUS");
  CHECK(mysql(8, 4, 0).replica_status_sql() == "SHOW REPLICA STATUS");
  CHECK(mysql(9, 1, 0).replica_status_sql() == "SHOW REPLICA STATUS");
  // The monitor's: MariaDB's lists every connection, with heartbeat counts.
  CHECK(mariadb(10, 11, 6).monitor_replica_status_sql() == "SHOW ALL SLAVES STATUS");
  CHECK(mysql(8, 0, 36).monitor_replica_status_sql() == "SHOW REPLICA STATUS");
}

TEST_CASE("GTID columns and queries", "[flavor]") {
  CHECK(mariadb(10, 11, 6).gtid_executed_sql() == "SELECT @@gtid_binlog_pos, @@gtid_slave_pos, @@gtid_current_pos");
  CHECK(mysql(5, 7, 42).gtid_executed_sql() == "SELECT @@GLOBAL.gtid_executed");
  CHECK(mysql(8, 4, 0).gtid_executed_sql() == "SELECT @@GLOBAL.gtid_executed");
  // The monitor's per-check read: read_only first, then the same GTID columns.
  CHECK(mariadb(10, 11, 6).read_only_and_gtids_sql() ==
        "SELECT @@GLOBAL.read_only, @@gtid_binlog_pos, @@gtid_slave_pos, @@gtid_current_pos");
  CHECK(mysql(8, 0, 36).read_only_and_gtids_sql() == "SELECT @@GLOBAL.read_only, @@GLOBAL.gtid_executed");
  CHECK(mariadb(10, 11, 6).received_gtids_column() == "Gtid_IO_Pos");
  CHECK(mysql(8, 0, 36).received_gtids_column() == "Retrieved_Gtid_Set");
  CHECK(mysql(5, 7, 42).received_gtids_column() == "Retrieved_Gtid_Set");
  CHECK(mariadb(10, 11, 6).executed_gtids_column() == "");
  CHECK(mysql(8, 0, 36).executed_gtids_column() == "Executed_Gtid_Set");
}

TEST_CASE("master status statement", "[flavor]") {
  CHECK(mariadb(10, 5, 1).master_status_sql() == "SHOW MASTER STATUS");
  CHECK(mariadb(10, 5, 2).master_status_sql() == "SHOW BINLOG STATUS");
  CHECK(mariadb(10, 11, 6).master_status_sql() == "SHOW BINLOG STATUS");
  CHECK(mariadb(10, 4, 30).master_status_sql() == "SHOW MASTER STATUS");
  CHECK(mysql(5, 7, 42).master_status_sql() == "SHOW MASTER STATUS");
  CHECK(mysql(8, 0, 36).master_status_sql() == "SHOW MASTER STATUS");
  CHECK(mysql(8, 1, 0).master_status_sql() == "SHOW MASTER STATUS");
  CHECK(mysql(8, 2, 0).master_status_sql() == "SHOW BINARY LOG STATUS");
  CHECK(mysql(8, 4, 0).master_status_sql() == "SHOW BINARY LOG STATUS");
  CHECK(mysql(9, 1, 0).master_status_sql() == "SHOW BINARY LOG STATUS");
}

TEST_CASE("start, stop and reset replica", "[flavor]") {
  SECTION("MariaDB keeps SLAVE") {
    const auto f = mariadb(10, 11, 6);
    CHECK(f.start_replica_sql() == "START SLAVE");
    CHECK(f.stop_replica_sql() == "STOP SLAVE");
    CHECK(f.start_io_thread_sql() == "START SLAVE IO_THREAD");
    CHECK(f.stop_io_thread_sql() == "STOP SLAVE IO_THREAD");
    CHECK(f.start_sql_thread_sql() == "START SLAVE SQL_THREAD");
    CHECK(f.stop_sql_thread_sql() == "STOP SLAVE SQL_THREAD");
    CHECK(f.reset_replica_all_sql() == "RESET SLAVE ALL");
  }
  SECTION("MySQL before 8.0.22") {
    for (const auto& f : {mysql(5, 7, 42), mysql(8, 0, 21)}) {
      CHECK(f.start_replica_sql() == "START SLAVE");
      CHECK(f.stop_replica_sql() == "STOP SLAVE");
      CHECK(f.start_io_thread_sql() == "START SLAVE IO_THREAD");
      CHECK(f.stop_io_thread_sql() == "STOP SLAVE IO_THREAD");
      CHECK(f.start_sql_thread_sql() == "START SLAVE SQL_THREAD");
      CHECK(f.stop_sql_thread_sql() == "STOP SLAVE SQL_THREAD");
      CHECK(f.reset_replica_all_sql() == "RESET SLAVE ALL");
    }
  }
  SECTION("MySQL 8.0.22 and later") {
    for (const auto& f : {mysql(8, 0, 22), mysql(8, 4, 0), mysql(9, 1, 0)}) {
      CHECK(f.start_replica_sql() == "START REPLICA");
      CHECK(f.stop_replica_sql() == "STOP REPLICA");
      CHECK(f.start_io_thread_sql() == "START REPLICA IO_THREAD");
      CHECK(f.stop_io_thread_sql() == "STOP REPLICA IO_THREAD");
      CHECK(f.start_sql_thread_sql() == "START REPLICA SQL_THREAD");
      CHECK(f.stop_sql_thread_sql() == "STOP REPLICA SQL_THREAD");
      CHECK(f.reset_replica_all_sql() == "RESET REPLICA ALL");
    }
  }
}

TEST_CASE("change master with GTID auto position", "[flavor]") {
  SECTION("MariaDB") {
    CHECK(mariadb(10, 11, 6).change_master_sql(k_source) ==
          "CHANGE MASTER TO MASTER_HOST='192.168.3.74', MASTER_PORT=3306, MASTER_USER='myslave', "
          "MASTER_PASSWORD='123456', MASTER_USE_GTID=slave_pos");
  }
  SECTION("MySQL 5.7 as in the seed") {
    CHECK(mysql(5, 7, 42).change_master_sql(k_source) ==
          "CHANGE MASTER TO MASTER_HOST='192.168.3.74', MASTER_PORT=3306, MASTER_USER='myslave', "
          "MASTER_PASSWORD='123456', MASTER_AUTO_POSITION=1");
  }
  SECTION("MySQL 8.0.22 still uses CHANGE MASTER") {
    CHECK(mysql(8, 0, 22).change_master_sql(k_source) ==
          "CHANGE MASTER TO MASTER_HOST='192.168.3.74', MASTER_PORT=3306, MASTER_USER='myslave', "
          "MASTER_PASSWORD='123456', MASTER_AUTO_POSITION=1");
  }
  SECTION("MySQL 8.0.23 and later") {
    for (const auto& f : {mysql(8, 0, 23), mysql(8, 4, 0), mysql(9, 1, 0)}) {
      CHECK(f.change_master_sql(k_source) ==
            "CHANGE REPLICATION SOURCE TO SOURCE_HOST='192.168.3.74', SOURCE_PORT=3306, SOURCE_USER='myslave', "
            "SOURCE_PASSWORD='123456', SOURCE_AUTO_POSITION=1");
    }
  }
  SECTION("other port") {
    auto source = k_source;
    source.port = 3307;
    CHECK(mysql(8, 4, 0).change_master_sql(source) ==
          "CHANGE REPLICATION SOURCE TO SOURCE_HOST='192.168.3.74', SOURCE_PORT=3307, SOURCE_USER='myslave', "
          "SOURCE_PASSWORD='123456', SOURCE_AUTO_POSITION=1");
  }
  SECTION("public key request, MySQL 8 only") {
    auto source = k_source;
    source.get_public_key = true;
    CHECK(mysql(8, 4, 0).change_master_sql(source) ==
          "CHANGE REPLICATION SOURCE TO SOURCE_HOST='192.168.3.74', SOURCE_PORT=3306, SOURCE_USER='myslave', "
          "SOURCE_PASSWORD='123456', SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1");
    CHECK(mysql(8, 0, 20).change_master_sql(source) ==
          "CHANGE MASTER TO MASTER_HOST='192.168.3.74', MASTER_PORT=3306, MASTER_USER='myslave', "
          "MASTER_PASSWORD='123456', MASTER_AUTO_POSITION=1, GET_MASTER_PUBLIC_KEY=1");
    CHECK(mysql(5, 7, 42).change_master_sql(source) == mysql(5, 7, 42).change_master_sql(k_source));
    CHECK(mariadb(10, 11, 6).change_master_sql(source) == mariadb(10, 11, 6).change_master_sql(k_source));
  }
}

TEST_CASE("change master with TLS, every ssl_mode, both flavors", "[flavor][tls]") {
  auto with = [](SslMode mode, std::string cert = "", std::string key = "") {
    ReplicationSource s = k_source;
    s.tls = TlsSettings{mode, "/etc/mhad/ca.pem", std::move(cert), std::move(key)};
    return s;
  };
  SECTION("disabled and preferred leave the replica's own TLS setup alone") {
    for (SslMode mode : {SslMode::disabled, SslMode::preferred})
      for (const auto& f : {mariadb(10, 11, 6), mysql(5, 7, 42), mysql(8, 0, 22), mysql(8, 0, 36), mysql(8, 4, 0)}) {
        INFO(f.to_string() << " " << ssl_mode_name(mode));
        CHECK(f.change_master_sql(with(mode)) == f.change_master_sql(k_source));
        CHECK(f.change_master_sql(with(mode)).find("SSL") == std::string::npos);
      }
  }
  SECTION("MariaDB 10.11") {
    const Flavor f = mariadb(10, 11, 6);
    const std::string head =
        "CHANGE MASTER TO MASTER_HOST='192.168.3.74', MASTER_PORT=3306, MASTER_USER='myslave', "
        "MASTER_PASSWORD='123456', ";
    CHECK(f.change_master_sql(with(SslMode::required)) ==
          head + "MASTER_SSL=1, MASTER_SSL_VERIFY_SERVER_CERT=0, MASTER_USE_GTID=slave_pos");
    CHECK(f.change_master_sql(with(SslMode::verify_ca)) ==
          head + "MASTER_SSL=1, MASTER_SSL_CA='/etc/mhad/ca.pem', MASTER_SSL_VERIFY_SERVER_CERT=0, "
                 "MASTER_USE_GTID=slave_pos");
    CHECK(f.change_master_sql(with(SslMode::verify_identity)) ==
          head + "MASTER_SSL=1, MASTER_SSL_CA='/etc/mhad/ca.pem', MASTER_SSL_VERIFY_SERVER_CERT=1, "
                 "MASTER_USE_GTID=slave_pos");
    CHECK(f.change_master_sql(with(SslMode::verify_identity, "/etc/mhad/client.pem", "/etc/mhad/client.key")) ==
          head + "MASTER_SSL=1, MASTER_SSL_CA='/etc/mhad/ca.pem', MASTER_SSL_CERT='/etc/mhad/client.pem', "
                 "MASTER_SSL_KEY='/etc/mhad/client.key', MASTER_SSL_VERIFY_SERVER_CERT=1, MASTER_USE_GTID=slave_pos");
    CHECK(f.change_master_sql(with(SslMode::required, "/c.pem", "/c.key")) ==
          head + "MASTER_SSL=1, MASTER_SSL_CERT='/c.pem', MASTER_SSL_KEY='/c.key', MASTER_SSL_VERIFY_SERVER_CERT=0, "
                 "MASTER_USE_GTID=slave_pos");
  }
  SECTION("MySQL 5.7 and 8.0 before 8.0.23: MASTER_SSL...") {
    for (const auto& f : {mysql(5, 7, 42), mysql(8, 0, 22)}) {
      const std::string head =
          "CHANGE MASTER TO MASTER_HOST='192.168.3.74', MASTER_PORT=3306, MASTER_USER='myslave', "
          "MASTER_PASSWORD='123456', ";
      CHECK(f.change_master_sql(with(SslMode::required)) ==
            head + "MASTER_SSL=1, MASTER_SSL_VERIFY_SERVER_CERT=0, MASTER_AUTO_POSITION=1");
      CHECK(f.change_master_sql(with(SslMode::verify_ca)) ==
            head + "MASTER_SSL=1, MASTER_SSL_CA='/etc/mhad/ca.pem', MASTER_SSL_VERIFY_SERVER_CERT=0, "
                   "MASTER_AUTO_POSITION=1");
      CHECK(f.change_master_sql(with(SslMode::verify_identity, "/c.pem", "/c.key")) ==
            head + "MASTER_SSL=1, MASTER_SSL_CA='/etc/mhad/ca.pem', MASTER_SSL_CERT='/c.pem', MASTER_SSL_KEY='/c.key', "
                   "MASTER_SSL_VERIFY_SERVER_CERT=1, MASTER_AUTO_POSITION=1");
    }
  }
  SECTION("MySQL 8.0.23+ and 8.4: CHANGE REPLICATION SOURCE TO ... SOURCE_SSL...") {
    for (const auto& f : {mysql(8, 0, 23), mysql(8, 0, 36), mysql(8, 4, 0)}) {
      const std::string head =
          "CHANGE REPLICATION SOURCE TO SOURCE_HOST='192.168.3.74', SOURCE_PORT=3306, SOURCE_USER='myslave', "
          "SOURCE_PASSWORD='123456', ";
      CHECK(f.change_master_sql(with(SslMode::required)) ==
            head + "SOURCE_SSL=1, SOURCE_SSL_VERIFY_SERVER_CERT=0, SOURCE_AUTO_POSITION=1");
      CHECK(f.change_master_sql(with(SslMode::verify_ca)) ==
            head + "SOURCE_SSL=1, SOURCE_SSL_CA='/etc/mhad/ca.pem', SOURCE_SSL_VERIFY_SERVER_CERT=0, "
                   "SOURCE_AUTO_POSITION=1");
      auto source = with(SslMode::verify_identity, "/c.pem", "/c.key");
      source.get_public_key = true;
      CHECK(f.change_master_sql(source) ==
            head + "SOURCE_SSL=1, SOURCE_SSL_CA='/etc/mhad/ca.pem', SOURCE_SSL_CERT='/c.pem', SOURCE_SSL_KEY='/c.key', "
                   "SOURCE_SSL_VERIFY_SERVER_CERT=1, SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1");
    }
  }
  SECTION("paths are quoted") {
    auto source = with(SslMode::verify_ca);
    source.tls.ca = "/etc/it's/ca.pem";
    CHECK(mariadb(10, 11, 6).change_master_sql(source).find(R"(MASTER_SSL_CA='/etc/it''s/ca.pem')") !=
          std::string::npos);
  }
  SECTION("tls_source_clauses, for hints") {
    CHECK(mysql(8, 4, 0).tls_source_clauses(with(SslMode::verify_identity).tls) ==
          "SOURCE_SSL=1, SOURCE_SSL_CA='/etc/mhad/ca.pem', SOURCE_SSL_VERIFY_SERVER_CERT=1");
    CHECK(mariadb(10, 11, 6).tls_source_clauses(with(SslMode::preferred).tls).empty());
  }
}

namespace {

// How the server's lexer reads the single-quoted literal at the start of
// `sql`, with or without NO_BACKSLASH_ESCAPES: the value, and the text after
// the closing quote (where an injection would show).
struct Literal {
  std::string value;
  std::string rest;
};
Literal read_literal(std::string_view sql, bool no_backslash_escapes) {
  REQUIRE(!sql.empty());
  REQUIRE(sql[0] == '\'');
  Literal out;
  std::size_t i = 1;
  for (; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\\' && !no_backslash_escapes && i + 1 < sql.size()) {
      const char e = sql[++i];
      out.value += e == 'n' ? '\n' : e == 'r' ? '\r' : e == '0' ? '\0' : e == 'Z' ? '\x1a' : e;
    } else if (c == '\'' && i + 1 < sql.size() && sql[i + 1] == '\'') {
      out.value += '\'';
      ++i;
    } else if (c == '\'') {
      break;
    } else {
      out.value += c;
    }
  }
  REQUIRE(i < sql.size());  // closed
  out.rest = std::string(sql.substr(i + 1));
  return out;
}

}  // namespace

TEST_CASE("sql_quote: one literal in both sql_modes, the value exact where the mode allows", "[flavor]") {
  const std::vector<std::string> hostile = {"it's", "'; DROP TABLE x; -- ", "''", "'", "a''b", R"(say "hi")",
                                            "pässwörd", "line\nbreak\r", std::string("a\0b", 3), "ctrl\x1az"};
  const std::vector<std::string> with_backslash = {R"(\)", R"(\')", R"(a\'; DROP TABLE x; -- )", R"(\\'')",
                                                   R"(p'a\ss)", "\\\n"};
  SECTION("without a backslash: the same value in both modes, nothing after the literal") {
    for (const auto& v : hostile) {
      const std::string sql = sql_quote(v) + " END";
      INFO(sql);
      CHECK(read_literal(sql, false).value == v);
      CHECK(read_literal(sql, false).rest == " END");
      if (v.find_first_of(std::string_view("\n\r\0\x1a", 4)) == std::string::npos) {
        CHECK(read_literal(sql, true).value == v);
      }
      CHECK(read_literal(sql, true).rest == " END");
    }
  }
  SECTION("with a backslash: exact with backslash escapes (every mhad session), never an injection without") {
    for (const auto& v : with_backslash) {
      const std::string sql = sql_quote(v) + " END";
      INFO(sql);
      CHECK(read_literal(sql, false).value == v);
      CHECK(read_literal(sql, false).rest == " END");
      CHECK(read_literal(sql, true).rest == " END");
    }
  }
  SECTION("every session takes NO_BACKSLASH_ESCAPES out of its sql_mode, keeping the rest") {
    CHECK(k_session_sql_mode_sql ==
          "SET SESSION sql_mode = REPLACE(REPLACE(REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES,', ''), "
          "',NO_BACKSLASH_ESCAPES', ''), 'NO_BACKSLASH_ESCAPES', '')");
  }
}

TEST_CASE("string literals are quoted in CHANGE MASTER", "[flavor]") {
  SECTION("sql_quote") {
    CHECK(sql_quote("") == "''");
    CHECK(sql_quote("plain") == "'plain'");
    CHECK(sql_quote("it's") == R"('it''s')");
    CHECK(sql_quote(R"(back\slash)") == R"('back\\slash')");
    CHECK(sql_quote(R"(\')") == R"('\\''')");
    CHECK(sql_quote(std::string_view("a\0b", 3)) == R"('a\0b')");
    CHECK(sql_quote("line\nbreak\r") == R"('line\nbreak\r')");
    CHECK(sql_quote("ctrl\x1az") == R"('ctrl\Zz')");
    CHECK(sql_quote(R"(say "hi")") == R"('say "hi"')");
    CHECK(sql_quote("pässwörd") == "'pässwörd'");
  }
  SECTION("in every field of every flavor") {
    const ReplicationSource nasty{"db'1", 3306, R"(re\pl)", R"(p'a\ss'; DROP TABLE x; -- )", false};
    CHECK(mariadb(10, 11, 6).change_master_sql(nasty) ==
          R"(CHANGE MASTER TO MASTER_HOST='db''1', MASTER_PORT=3306, MASTER_USER='re\\pl', )"
          R"(MASTER_PASSWORD='p''a\\ss''; DROP TABLE x; -- ', MASTER_USE_GTID=slave_pos)");
    CHECK(mysql(5, 7, 42).change_master_sql(nasty) ==
          R"(CHANGE MASTER TO MASTER_HOST='db''1', MASTER_PORT=3306, MASTER_USER='re\\pl', )"
          R"(MASTER_PASSWORD='p''a\\ss''; DROP TABLE x; -- ', MASTER_AUTO_POSITION=1)");
    CHECK(mysql(8, 4, 0).change_master_sql(nasty) ==
          R"(CHANGE REPLICATION SOURCE TO SOURCE_HOST='db''1', SOURCE_PORT=3306, SOURCE_USER='re\\pl', )"
          R"(SOURCE_PASSWORD='p''a\\ss''; DROP TABLE x; -- ', SOURCE_AUTO_POSITION=1)");
  }
}

TEST_CASE("wait for GTIDs", "[flavor]") {
  CHECK(mariadb(10, 11, 6).wait_for_gtids_sql("0-1-100,1-2-55", 30s) ==
        "SELECT MASTER_GTID_WAIT('0-1-100,1-2-55', 30)");
  CHECK(mysql(8, 0, 36).wait_for_gtids_sql("bbd4275f-1af0-11ee-911e-0800278b8ad6:1-12", 5s) ==
        "SELECT WAIT_FOR_EXECUTED_GTID_SET('bbd4275f-1af0-11ee-911e-0800278b8ad6:1-12', 5)");
  CHECK(mysql(5, 7, 42).wait_for_gtids_sql("x", 2min) == "SELECT WAIT_FOR_EXECUTED_GTID_SET('x', 120)");
  SECTION("timeout raised to one second") {
    CHECK(mariadb(10, 11, 6).wait_for_gtids_sql("0-1-1", 0s) == "SELECT MASTER_GTID_WAIT('0-1-1', 1)");
    CHECK(mysql(8, 0, 36).wait_for_gtids_sql("", -5s) == "SELECT WAIT_FOR_EXECUTED_GTID_SET('', 1)");
  }
  SECTION("the text is quoted") {
    CHECK(mariadb(10, 11, 6).wait_for_gtids_sql("0-1-1'", 3s) == R"(SELECT MASTER_GTID_WAIT('0-1-1''', 3))");
  }
  SECTION("result codes") {
    CHECK(mariadb(10, 11, 6).wait_timed_out(-1));
    CHECK_FALSE(mariadb(10, 11, 6).wait_timed_out(0));
    CHECK_FALSE(mariadb(10, 11, 6).wait_timed_out(1));
    CHECK(mysql(8, 0, 36).wait_timed_out(1));
    CHECK_FALSE(mysql(8, 0, 36).wait_timed_out(0));
    CHECK_FALSE(mysql(8, 0, 36).wait_timed_out(-1));
  }
}

TEST_CASE("fencing and read-only", "[flavor]") {
  CHECK(mariadb(10, 11, 6).fence_writes_sql() == "SET GLOBAL read_only=1");
  CHECK(mysql(5, 7, 42).fence_writes_sql() == "SET GLOBAL super_read_only=1");
  CHECK(mysql(8, 4, 0).fence_writes_sql() == "SET GLOBAL super_read_only=1");
  // read_only=0 also clears super_read_only on MySQL.
  CHECK(mariadb(10, 11, 6).unfence_writes_sql() == "SET GLOBAL read_only=0");
  CHECK(mysql(8, 4, 0).unfence_writes_sql() == "SET GLOBAL read_only=0");
  // The admin user applies salvaged events on a still read-only server.
  CHECK(mariadb(10, 11, 6).admin_writes_sql().empty());
  CHECK(mysql(8, 0, 36).admin_writes_sql() == "SET GLOBAL super_read_only=0");
  CHECK(mariadb(10, 11, 6).read_only_sql() == "SELECT @@read_only");
  CHECK(mysql(5, 7, 42).read_only_sql() == "SELECT @@read_only, @@super_read_only");
  CHECK(mysql(9, 1, 0).read_only_sql() == "SELECT @@read_only, @@super_read_only");
}

TEST_CASE("binlog tool", "[flavor]") {
  CHECK(mariadb(10, 11, 6).binlog_tool() == "mariadb-binlog");
  CHECK(mariadb(10, 4, 6).binlog_tool() == "mariadb-binlog");
  CHECK(mariadb(10, 4, 5).binlog_tool() == "mysqlbinlog");
  CHECK(mariadb(10, 3, 39).binlog_tool() == "mysqlbinlog");
  CHECK(mysql(8, 0, 36).binlog_tool() == "mysqlbinlog");
  CHECK(mysql(5, 7, 42).binlog_tool() == "mysqlbinlog");

  CHECK(mariadb(10, 8, 0).binlog_tool_accepts_gtid_start());
  CHECK(mariadb(10, 11, 6).binlog_tool_accepts_gtid_start());
  CHECK(mariadb(11, 4, 2).binlog_tool_accepts_gtid_start());
  CHECK_FALSE(mariadb(10, 7, 8).binlog_tool_accepts_gtid_start());
  CHECK_FALSE(mariadb(10, 6, 16).binlog_tool_accepts_gtid_start());
  CHECK_FALSE(mysql(8, 4, 0).binlog_tool_accepts_gtid_start());
  CHECK_FALSE(mysql(9, 1, 0).binlog_tool_accepts_gtid_start());
}

TEST_CASE("flavor: hint statements for `mhactl check` fixes", "[flavor]") {
  SECTION("MariaDB keeps MASTER and SLAVE") {
    const Flavor f = mariadb(10, 11, 6);
    CHECK(f.change_source_sql("MASTER_USE_GTID=slave_pos") == "CHANGE MASTER TO MASTER_USE_GTID=slave_pos");
    CHECK(f.gtid_positioning_clause() == "MASTER_USE_GTID=slave_pos");
    CHECK(f.repoint_hint_sql("192.168.3.74", 3306, "repl") ==
          "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='192.168.3.74', MASTER_PORT=3306, MASTER_USER='repl', "
          "MASTER_PASSWORD='...', MASTER_USE_GTID=slave_pos; START SLAVE");
    CHECK(f.heartbeat_period_sql(2) == "CHANGE MASTER TO MASTER_HEARTBEAT_PERIOD=2");
    CHECK(f.restart_io_thread_sql() == "STOP SLAVE IO_THREAD; START SLAVE IO_THREAD");
  }
  SECTION("MySQL 8.0.22: REPLICA, but still CHANGE MASTER") {
    const Flavor f = mysql(8, 0, 22);
    CHECK(f.gtid_positioning_clause() == "MASTER_AUTO_POSITION=1");
    CHECK(f.repoint_hint_sql("db1", 3307, "r") ==
          "STOP REPLICA; CHANGE MASTER TO MASTER_HOST='db1', MASTER_PORT=3307, MASTER_USER='r', "
          "MASTER_PASSWORD='...', MASTER_AUTO_POSITION=1; START REPLICA");
    CHECK(f.heartbeat_period_sql(2) == "CHANGE MASTER TO MASTER_HEARTBEAT_PERIOD=2");
    CHECK(f.restart_io_thread_sql() == "STOP REPLICA IO_THREAD; START REPLICA IO_THREAD");
  }
  SECTION("MySQL 8.0.23+: CHANGE REPLICATION SOURCE, SOURCE_*") {
    const Flavor f = mysql(8, 0, 23);
    CHECK(f.change_source_sql("SOURCE_AUTO_POSITION=1") == "CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION=1");
    CHECK(f.gtid_positioning_clause() == "SOURCE_AUTO_POSITION=1");
    CHECK(f.repoint_hint_sql("db1", 3306, "r") ==
          "STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_HOST='db1', SOURCE_PORT=3306, SOURCE_USER='r', "
          "SOURCE_PASSWORD='...', SOURCE_AUTO_POSITION=1; START REPLICA");
    CHECK(f.heartbeat_period_sql(2) == "CHANGE REPLICATION SOURCE TO SOURCE_HEARTBEAT_PERIOD=2");
  }
  SECTION("MySQL 5.7") {
    const Flavor f = mysql(5, 7, 42);
    CHECK(f.change_source_sql(f.gtid_positioning_clause()) == "CHANGE MASTER TO MASTER_AUTO_POSITION=1");
    CHECK(f.restart_io_thread_sql() == "STOP SLAVE IO_THREAD; START SLAVE IO_THREAD");
  }
}

TEST_CASE("flavor: statements the same on every flavor", "[flavor]") {
  CHECK(Flavor::version_sql() == "SELECT VERSION()");
  CHECK(Flavor::server_id_sql() == "SELECT @@server_id");
  CHECK(Flavor::show_grants_sql() == "SHOW GRANTS");
  CHECK(Flavor::repl_privilege_sql("my'slave") ==
        "SELECT COUNT(*) FROM mysql.user WHERE User = 'my''slave' AND Repl_slave_priv = 'Y'");
  CHECK(Flavor::heartbeat_write_sql() ==
        "INSERT INTO mhad.heartbeat (id, ts) VALUES (1, NOW(3)) ON DUPLICATE KEY UPDATE ts = NOW(3)");
  CHECK(Flavor::heartbeat_database_sql() == "CREATE DATABASE IF NOT EXISTS mhad");
  CHECK(Flavor::heartbeat_table_sql() == "CREATE TABLE IF NOT EXISTS mhad.heartbeat (id TINYINT PRIMARY KEY, ts TIMESTAMP(3))");
}

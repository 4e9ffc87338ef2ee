// `mhactl check` output: the table rendered from mhad's check result, and the
// exit status computed from it.
#include "ctl/check_table.h"

#include <catch2/catch.hpp>

using namespace mha::ctl;
using nlohmann::json;

namespace {

json row(std::string check, std::string server, std::string result, std::string detail, std::string fix = "") {
  return json{{"check", check}, {"server", server}, {"result", result}, {"detail", detail}, {"fix", fix}};
}

json cluster(std::string name, json rows) {
  return json{{"cluster", name}, {"rows", rows}, {"summary", json::object()}};
}

json healthy_app1() {
  return cluster("app1", json::array({row("reachable", "master", "ok", "connected to 192.168.3.74:3306"),
                                      row("reachable", "slave1", "ok", "connected to 192.168.3.71:3306"),
                                      row("single_writer", "", "ok", "only 'master' is writable")}));
}

json broken_app2() {
  return cluster(
      "app2",
      json::array({row("reachable", "db1", "ok", "connected to 10.0.0.1:3306"),
                   row("replication_threads", "db2", "fail", "replication stopped: IO thread no, SQL thread no",
                       "START SLAVE on 'db2'"),
                   row("binlog_format", "", "warn", "binlog_format differs: ROW on 'db1'; STATEMENT on 'db2'",
                       "set binlog_format=ROW on every server (in my.cnf; SET GLOBAL affects new sessions only)")}));
}

std::string render(const json& result) {
  auto text = render_check(result);
  REQUIRE(text);
  return *text;
}

int exit_status(const json& result) {
  auto status = check_exit_status(result);
  REQUIRE(status);
  return *status;
}

}  // namespace

TEST_CASE("check table of a healthy cluster", "[mhactl]") {
  json result{{"clusters", json::array({healthy_app1()})}};
  CHECK(render(result) ==
        "cluster app1  3 ok, 0 warnings, 0 failures\n"
        "  RESULT  SERVER  CHECK          DETAIL\n"
        "  ok      master  reachable      connected to 192.168.3.74:3306\n"
        "  ok      slave1  reachable      connected to 192.168.3.71:3306\n"
        "  ok      -       single_writer  only 'master' is writable\n"
        "\n"
        "3 ok, 0 warnings, 0 failures\n");
  CHECK(exit_status(result) == check_exit::ok);
}

TEST_CASE("check table: a fix line under each warning and failure, totals over all clusters", "[mhactl]") {
  json result{{"clusters", json::array({healthy_app1(), broken_app2()})}};
  CHECK(render(result) ==
        "cluster app1  3 ok, 0 warnings, 0 failures\n"
        "  RESULT  SERVER  CHECK          DETAIL\n"
        "  ok      master  reachable      connected to 192.168.3.74:3306\n"
        "  ok      slave1  reachable      connected to 192.168.3.71:3306\n"
        "  ok      -       single_writer  only 'master' is writable\n"
        "\n"
        "cluster app2  1 ok, 1 warning, 1 failure\n"
        "  RESULT  SERVER  CHECK                DETAIL\n"
        "  ok      db1     reachable            connected to 10.0.0.1:3306\n"
        "  FAIL    db2     replication_threads  replication stopped: IO thread no, SQL thread no\n"
        "          fix: START SLAVE on 'db2'\n"
        "  WARN    -       binlog_format        binlog_format differs: ROW on 'db1'; STATEMENT on 'db2'\n"
        "          fix: set binlog_format=ROW on every server (in my.cnf; SET GLOBAL affects new sessions only)\n"
        "\n"
        "4 ok, 1 warning, 1 failure\n");
  CHECK(exit_status(result) == check_exit::failures);
}

TEST_CASE("check exit status: 0 ok, 1 warnings, 2 failures, 3 not checked", "[mhactl]") {
  auto with_rows = [](json rows) { return json{{"clusters", json::array({cluster("app1", rows)})}}; };
  CHECK(exit_status(with_rows(json::array())) == check_exit::ok);
  CHECK(exit_status(with_rows(json::array({row("a", "", "ok", "")}))) == 0);
  CHECK(exit_status(with_rows(json::array({row("a", "", "ok", ""), row("b", "x", "warn", "", "f")}))) == 1);
  CHECK(exit_status(with_rows(json::array({row("a", "", "warn", "", "f"), row("b", "x", "fail", "", "f")}))) == 2);
  SECTION("an unknown result counts as a failure") {
    CHECK(exit_status(with_rows(json::array({row("a", "", "broken", "")}))) == 2);
  }
  SECTION("no clusters: nothing wrong") { CHECK(exit_status(json{{"clusters", json::array()}}) == 0); }
  SECTION("a cluster mhad could not check: no verdict, unless another one failed") {
    json unchecked{{"cluster", "app3"}, {"error", "check already running"}};
    CHECK(exit_status(json{{"clusters", json::array({healthy_app1(), unchecked})}}) == check_exit::unknown);
    CHECK(exit_status(json{{"clusters", json::array({broken_app2(), unchecked})}}) == check_exit::failures);
    CHECK(render(json{{"clusters", json::array({unchecked})}}) ==
          "cluster app3  not checked: check already running\n"
          "\n"
          "0 ok, 0 warnings, 0 failures\n");
  }
}

TEST_CASE("check table of odd replies", "[mhactl]") {
  SECTION("not an object, or no clusters list: a parse error") {
    CHECK_FALSE(render_check(json::array()));
    CHECK_FALSE(render_check(json{{"rows", json::array()}}));
    CHECK_FALSE(check_exit_status(json("x")));
    CHECK(render_check(json::array()).error().message == "check result is not an object");
  }
  SECTION("no clusters") {
    CHECK(render(json{{"clusters", json::array()}}) == "no clusters configured\n\n0 ok, 0 warnings, 0 failures\n");
  }
  SECTION("missing fields show as '?', control characters are cleaned") {
    json result{{"clusters", json::array({cluster("app1", json::array({json{{"result", "fail"},
                                                                            {"detail", "a\nb\x1b[31m"}}}))})}};
    CHECK(render(result) ==
          "cluster app1  0 ok, 0 warnings, 1 failure\n"
          "  RESULT  SERVER  CHECK  DETAIL\n"
          "  FAIL    ?       ?      a b?[31m\n"
          "\n"
          "0 ok, 0 warnings, 1 failure\n");
  }
}

#include <catch2/catch.hpp>

#include "common/protocol.h"

using namespace mha;
using nlohmann::json;

TEST_CASE("a well-formed request parses", "[protocol]") {
  auto r = protocol::parse_request(R"({"id":7,"cmd":"switchover","cluster":"app1","to":"slave1"})");
  REQUIRE(r);
  CHECK(r->id == 7);
  CHECK(r->cmd == "switchover");
  CHECK(r->cluster == "app1");
  CHECK(r->args["to"] == "slave1");
}

TEST_CASE("malformed requests are refused with a message saying what is wrong", "[protocol]") {
  auto check = [](std::string_view line, std::string_view message) {
    auto r = protocol::parse_request(line);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::bad_request);
    CHECK(r.error().message == message);
  };
  check("{not json", "request is not valid JSON; send one JSON object per line, e.g. {\"id\":1,\"cmd\":\"status\"}");
  check("[1,2]", "request must be a JSON object, found array");
  check(R"({"id":1})", "request has no 'cmd'");
  check(R"({"cmd":5})", "'cmd' must be a string, found number");
  check(R"({"cmd":"status","cluster":3})", "'cluster' must be a string, found number");
  check(R"({"cmd":"status","id":{"a":1}})", "'id' must be an integer or a string, found object");
}

TEST_CASE("an oversized line is refused before parsing", "[protocol]") {
  std::string line = R"({"cmd":"status","pad":")" + std::string(protocol::k_max_line_bytes, 'x') + "\"}";
  auto r = protocol::parse_request(line);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::bad_request);
}

TEST_CASE("replies round-trip through parse_reply", "[protocol]") {
  auto ok = protocol::parse_reply(protocol::ok_reply(3, json{{"clusters", 2}}));
  REQUIRE(ok);
  CHECK(ok->kind == protocol::Reply::Kind::result);
  CHECK(ok->id == 3);
  CHECK(ok->body["clusters"] == 2);

  auto err = protocol::parse_reply(protocol::error_reply("x", make_error(Errc::unknown_cluster, "no cluster 'b'")));
  REQUIRE(err);
  CHECK(err->kind == protocol::Reply::Kind::error);
  CHECK(err->body["code"] == "unknown_cluster");
  CHECK(err->body["message"] == "no cluster 'b'");

  auto ev = protocol::parse_reply(protocol::event_reply(1, "phase", json{{"phase", "fence"}}));
  REQUIRE(ev);
  CHECK(ev->kind == protocol::Reply::Kind::event);
  CHECK(ev->body["phase"] == "fence");

  CHECK_FALSE(protocol::parse_reply("garbage"));
  CHECK_FALSE(protocol::parse_reply(R"({"id":1})"));
}

TEST_CASE("replies are one line even with newlines and invalid UTF-8 in messages", "[protocol]") {
  std::string text = protocol::error_reply(1, make_error(Errc::sql, "line1\nline2 \xff"));
  CHECK(text.back() == '\n');
  CHECK(text.find('\n') == text.size() - 1);
}

TEST_CASE("typed request arguments: wrong types are bad_request naming the key, absent or null take the default",
          "[protocol]") {
  auto rq = protocol::parse_request(R"({"cmd":"failover","force":"yes","to":5,"reason":null,"cluster":"app1"})");
  REQUIRE(rq);
  auto force = rq->bool_arg("force");
  REQUIRE_FALSE(force);
  CHECK(force.error().code == Errc::bad_request);
  CHECK(force.error().message == "'force' must be true or false, found string");
  auto to = rq->string_arg("to");
  REQUIRE_FALSE(to);
  CHECK(to.error().message == "'to' must be a string, found number");
  CHECK(*rq->string_arg("reason", "none") == "none");
  CHECK(*rq->string_arg("absent") == "");
  CHECK(*rq->bool_arg("absent", true) == true);
  auto ok = protocol::parse_request(R"({"cmd":"switchover","to":"slave1","force":true})");
  REQUIRE(ok);
  CHECK(*ok->string_arg("to") == "slave1");
  CHECK(*ok->bool_arg("force") == true);
}

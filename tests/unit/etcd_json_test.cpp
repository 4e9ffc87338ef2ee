#include "daemon/coordination/etcd_json.h"

#include <catch2/catch.hpp>

using namespace mha;
using namespace mha::etcd_json;
using nlohmann::json;

TEST_CASE("etcd_json: base64 both ways", "[etcd]") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("/mhad/app1/leader") == "L21oYWQvYXBwMS9sZWFkZXI=");
  for (const std::string& text : std::vector<std::string>{"", "f", "fo", "foo", "foob", std::string("\0\xff\x10", 3)})
    CHECK(base64_decode(base64_encode(text)) == text);
  CHECK_FALSE(base64_decode("Zm9"));
  CHECK_FALSE(base64_decode("Zm!v"));
  CHECK_FALSE(base64_decode("Z=9v"));
}

TEST_CASE("etcd_json: the campaign txn as the gateway wants it", "[etcd]") {
  EtcdTxn txn;
  txn.compare.push_back({"/k", EtcdCompare::Target::create_revision, 0, {}});
  txn.success.push_back({EtcdOp::Kind::put, "/k", "mha1", 7587899283844830216});
  txn.failure.push_back({EtcdOp::Kind::range, "/k", {}, 0});
  CHECK(txn_request(txn) ==
        json::parse(R"({"compare":[{"result":"EQUAL","target":"CREATE","key":"L2s=","create_revision":"0"}],
                        "success":[{"request_put":{"key":"L2s=","value":"bWhhMQ==","lease":"7587899283844830216"}}],
                        "failure":[{"request_range":{"key":"L2s="}}]})"));
}

TEST_CASE("etcd_json: replies of etcd 3.4's gateway", "[etcd]") {
  // As etcd 3.4.23 answers (recorded with curl against the sandbox's etcd).
  auto lease = parse_grant(R"({"header":{"cluster_id":"1","member_id":"2","revision":"1","raft_term":"2"},)"
                           R"("ID":"7587899283844830213","TTL":"2"})");
  REQUIRE(lease);
  CHECK(lease->id == 7587899283844830213);
  CHECK(lease->ttl == std::chrono::seconds(2));
  CHECK(*parse_keepalive(R"({"result":{"header":{"revision":"1"},"ID":"75","TTL":"5"}})") == std::chrono::seconds(5));
  CHECK(*parse_keepalive(R"({"result":{"header":{"revision":"1"},"ID":"12345"}})") == std::chrono::seconds(0));

  EtcdTxn txn;
  txn.compare.push_back({"/mhad/app1/leader", EtcdCompare::Target::create_revision, 0, {}});
  txn.success.push_back({EtcdOp::Kind::put, "/mhad/app1/leader", "mha1", 1});
  txn.failure.push_back({EtcdOp::Kind::range, "/mhad/app1/leader", {}, 0});
  auto won = parse_txn(R"({"header":{"revision":"2"},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"2"}}}]})",
                       txn);
  REQUIRE(won);
  CHECK(won->succeeded);
  CHECK(won->revision == 2);
  auto lost = parse_txn(
      R"({"header":{"revision":"2"},"responses":[{"response_range":{"header":{"revision":"2"},"kvs":[{"key":"L21oYWQvYXBwMS9sZWFkZXI=","create_revision":"2","mod_revision":"2","version":"1","value":"bWhhMQ==","lease":"7587899283844830216"}],"count":"1"}}]})",
      txn);
  REQUIRE(lost);
  CHECK_FALSE(lost->succeeded);
  REQUIRE(lost->results.size() == 1);
  REQUIRE(lost->results[0].size() == 1);
  CHECK(lost->results[0][0].key == "/mhad/app1/leader");
  CHECK(lost->results[0][0].value == "mha1");
  CHECK(lost->results[0][0].create_revision == 2);
  CHECK(lost->results[0][0].lease == 7587899283844830216);
  auto empty = parse_range(R"({"header":{"revision":"3"}})");
  REQUIRE(empty);
  CHECK_FALSE(*empty);
  auto bad = parse_txn("<html>", txn);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::parse);
  CHECK(error_text(R"({"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5})") ==
        "etcdserver: requested lease not found");
}

TEST_CASE("etcd's gateway refusals of a client certificate come with what to do", "[etcd]") {
  // etcd 3.4's plain-text 400 for a client certificate with a CommonName.
  const std::string cn = error_text("CommonName of client sending a request against gateway will be ignored and not used as expected\n");
  CHECK_THAT(gateway_tls_hint(cn, true), Catch::Matchers::Contains("empty CN"));
  // The gateway's own connection to etcd refused (the server certificate lacks clientAuth).
  const std::string closed = error_text(R"({"error":"connection closed","message":"connection closed","code":14})");
  CHECK_THAT(gateway_tls_hint(closed, true), Catch::Matchers::Contains("clientAuth"));
  CHECK(gateway_tls_hint(closed, false).empty());  // without a client certificate: another cause
  CHECK(gateway_tls_hint("etcdserver: requested lease not found", true).empty());
}

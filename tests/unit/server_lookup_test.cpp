// Which cluster and server an operator means (daemon/server_lookup.h): by
// name, host, host:port or IP; --cluster left out when the server is in one
// cluster only; errors that list what is valid.
#include "daemon/server_lookup.h"

#include <catch2/catch.hpp>

using namespace mha;
using Catch::Matchers::Contains;

namespace {

ClusterConfig cluster(const std::string& name, const std::string& prefix) {
  ClusterConfig c;
  c.name = name;
  for (int i = 0; i < 3; ++i) {
    ServerConfig s;
    s.name = i == 0 ? "master" : "slave" + std::to_string(i);
    s.host = prefix + std::to_string(74 - i);
    s.ip = s.host;
    s.port = 3306;
    c.servers.push_back(s);
  }
  return c;
}

}  // namespace

TEST_CASE("find_server by name, host, host:port and IP", "[server_lookup]") {
  std::vector<ClusterConfig> one{cluster("app1", "192.168.3.")};
  for (const char* text : {"slave1", "192.168.3.73", "192.168.3.73:3306"}) {
    auto r = find_server(one, "", text);
    REQUIRE(r);
    CHECK(r->cluster->name == "app1");
    CHECK(r->server == 1);
  }
  auto unknown = find_server(one, "", "slave9");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == Errc::unknown_server);
  CHECK_THAT(unknown.error().message, Contains("app1/slave1 (192.168.3.73:3306)"));
  auto wrong_port = find_server(one, "app1", "192.168.3.73:3307");
  REQUIRE_FALSE(wrong_port);
  CHECK_THAT(wrong_port.error().message, Contains("no server '192.168.3.73:3307' in cluster 'app1'; its servers:"));
}

TEST_CASE("find_server across clusters: a name in two clusters needs --cluster, an address in one does not",
          "[server_lookup]") {
  std::vector<ClusterConfig> two{cluster("app1", "192.168.3."), cluster("app2", "10.0.0.")};
  auto ambiguous = find_server(two, "", "slave1");
  REQUIRE_FALSE(ambiguous);
  CHECK(ambiguous.error().code == Errc::bad_request);
  CHECK(ambiguous.error().message == "'slave1' is a server of several clusters (app1, app2): choose one with --cluster");
  auto by_ip = find_server(two, "", "10.0.0.72");
  REQUIRE(by_ip);
  CHECK(by_ip->cluster->name == "app2");
  CHECK(by_ip->server == 2);
  auto chosen = find_server(two, "app2", "slave1");
  REQUIRE(chosen);
  CHECK(chosen->cluster->name == "app2");
  auto no_cluster = find_server(two, "app3", "slave1");
  REQUIRE_FALSE(no_cluster);
  CHECK(no_cluster.error().code == Errc::unknown_cluster);
}

TEST_CASE("find_cluster: the only one, or the one named", "[server_lookup]") {
  std::vector<ClusterConfig> two{cluster("app1", "192.168.3."), cluster("app2", "10.0.0.")};
  CHECK_FALSE(find_cluster(two, ""));
  CHECK(find_cluster(two, "").error().message == "more than one cluster: choose one with --cluster (app1, app2)");
  CHECK((*find_cluster(two, "app2"))->name == "app2");
  std::vector<ClusterConfig> one{cluster("app1", "192.168.3.")};
  CHECK((*find_cluster(one, ""))->name == "app1");
}

// common/config/scrub.cpp: a secret is masked in the plain form and in every
// escaped form it takes on its way into SQL, shell words, URLs and JSON.
#include <catch2/catch.hpp>

#include "common/config/scrub.h"

using namespace mha;
using nlohmann::json;

namespace {

ClusterConfig cluster_with(std::string password, std::string repl_password) {
  ClusterConfig cluster;
  cluster.password = Secret(std::move(password));
  cluster.repl_password = Secret(std::move(repl_password));
  return cluster;
}

}  // namespace

TEST_CASE("scrub masks the plain secret, every occurrence", "[scrub]") {
  const Secret secret("pw");
  CHECK(scrub("a pw b pwpw", secret) == "a ******** b ****************");
  CHECK(scrub("nothing", Secret()) == "nothing");
  CHECK(scrub("", secret) == "");
}

TEST_CASE("scrub masks a secret in its escaped forms", "[scrub]") {
  // Every character that some quoting changes.
  const Secret secret("p'a\"s\\s w/o$r`d%");
  const std::string mask = "********";

  SECTION("SQL with backslash escapes, as mysql_real_escape_string writes it") {
    CHECK(scrub(R"(MASTER_PASSWORD='p\'a\"s\\s w/o$r`d%')", secret) == "MASTER_PASSWORD='" + mask + "'");
  }
  SECTION("SQL with doubled quotes (NO_BACKSLASH_ESCAPES)") {
    CHECK(scrub(R"(IDENTIFIED BY 'p''a"s\s w/o$r`d%')", secret) == "IDENTIFIED BY '" + mask + "'");
  }
  SECTION("JSON string, with and without an escaped slash") {
    CHECK(scrub(R"({"password":"p'a\"s\\s w/o$r`d%"})", secret) == R"({"password":")" + mask + R"("})");
    CHECK(scrub(R"({"password":"p'a\"s\\s w\/o$r`d%"})", secret) == R"({"password":")" + mask + R"("})");
  }
  SECTION("shell: single-quoted, double-quoted, backslashed") {
    CHECK(scrub(R"(--password='p'\''a"s\s w/o$r`d%')", secret) == "--password='" + mask + "'");
    CHECK(scrub(R"(--password="p'a\"s\\s w/o\$r\`d%")", secret) == "--password=\"" + mask + "\"");
    CHECK(scrub(R"(--password=p\'a\"s\\s\ w/o\$r\`d%)", secret) == "--password=" + mask);
  }
  SECTION("URL-encoded, upper and lower case hex, + for space") {
    CHECK(scrub("mysql://mha:p%27a%22s%5Cs%20w%2Fo%24r%60d%25@db1/", secret) == "mysql://mha:" + mask + "@db1/");
    CHECK(scrub("mysql://mha:p%27a%22s%5cs%20w%2fo%24r%60d%25@db1/", secret) == "mysql://mha:" + mask + "@db1/");
    CHECK(scrub("password=p%27a%22s%5Cs+w%2Fo%24r%60d%25&x=1", secret) == "password=" + mask + "&x=1");
  }
  SECTION("a SQL-quoted secret inside a JSON string (a stored report quoting a statement)") {
    CHECK(scrub(R"({"error":"near 'p\\'a\\\"s\\\\s w/o$r`d%'"})", secret) == R"({"error":"near ')" + mask + R"('"})");
  }
  SECTION("a control character in the secret, JSON-escaped") {
    const Secret tab("a\tb");
    CHECK(scrub(R"("a\tb")", tab) == "\"" + mask + "\"");
    CHECK(scrub("x a\tb y", tab) == "x " + mask + " y");
  }
}

TEST_CASE("scrub_secrets masks both passwords, the longer first when one contains the other", "[scrub]") {
  auto cluster = cluster_with("abc", "xabcx");
  CHECK(scrub_secrets("repl xabcx admin abc", cluster) == "repl ******** admin ********");
  CHECK(scrub_secrets("nothing secret", cluster_with("", "")) == "nothing secret");
}

TEST_CASE("scrub_secrets_json masks every string, nested, and leaves the rest", "[scrub]") {
  auto cluster = cluster_with("s3cr'et", "r3pl");
  json report = {{"failed_replicas", {"slave2: near 's3cr\\'et' at line 1", "slave3: ok"}},
                 {"notes", json::array({json{{"detail", "CHANGE MASTER ... MASTER_PASSWORD='r3pl'"}}})},
                 {"duration_ms", 12},
                 {"promoted", true}};
  auto clean = scrub_secrets_json(report, cluster);
  CHECK(clean["failed_replicas"][0] == "slave2: near '********' at line 1");
  CHECK(clean["failed_replicas"][1] == "slave3: ok");
  CHECK(clean["notes"][0]["detail"] == "CHANGE MASTER ... MASTER_PASSWORD='********'");
  CHECK(clean["duration_ms"] == 12);
  CHECK(clean["promoted"] == true);
  CHECK(clean.dump().find("s3cr") == std::string::npos);
  CHECK(clean.dump().find("r3pl") == std::string::npos);
}

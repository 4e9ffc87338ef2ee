// SSH host key trust (daemon/host_key_policy.h): what each
// ssh_host_key_checking setting does with each known_hosts answer.
#include "daemon/host_key_policy.h"

#include <catch2/catch.hpp>

using namespace mha;
using Catch::Matchers::Contains;

TEST_CASE("yes: only a key in known_hosts is trusted; the refusal says how to add it", "[ssh][host_key]") {
  CHECK(decide_host_key("yes", KnownHostState::ok, "192.168.3.74", 22, "/etc/mhad/known_hosts").accept);
  auto unknown = decide_host_key("yes", KnownHostState::unknown, "192.168.3.74", 22, "/etc/mhad/known_hosts");
  CHECK_FALSE(unknown.accept);
  CHECK_THAT(unknown.why, Contains("192.168.3.74:22 is not in /etc/mhad/known_hosts"));
  CHECK_THAT(unknown.why, Contains("ssh-keyscan 192.168.3.74 >> /etc/mhad/known_hosts"));
  auto no_file = decide_host_key("yes", KnownHostState::no_file, "db1", 2222, "");
  CHECK_FALSE(no_file.accept);
  CHECK_THAT(no_file.why, Contains("ssh-keyscan -p 2222 db1 >> ~/.ssh/known_hosts"));
}

TEST_CASE("a changed key is refused unless checking is off, and the fix names ssh-keygen -R", "[ssh][host_key]") {
  for (const char* mode : {"yes", "accept-new"}) {
    INFO(mode);
    auto changed = decide_host_key(mode, KnownHostState::changed, "192.168.3.74", 22, "/etc/mhad/known_hosts");
    CHECK_FALSE(changed.accept);
    CHECK_THAT(changed.why, Contains("another machine may answer on its address"));
    CHECK_THAT(changed.why, Contains("ssh-keygen -R '192.168.3.74' -f /etc/mhad/known_hosts"));
    CHECK_FALSE(decide_host_key(mode, KnownHostState::other_type, "db1", 2222, "").accept);
    CHECK_THAT(decide_host_key(mode, KnownHostState::other_type, "db1", 2222, "").why, Contains("'[db1]:2222'"));
    CHECK_FALSE(decide_host_key(mode, KnownHostState::error, "db1", 22, "").accept);
  }
  CHECK(decide_host_key("no", KnownHostState::changed, "db1", 22, "").accept);
}

TEST_CASE("accept-new records an unknown host, never replaces a known one", "[ssh][host_key]") {
  auto first = decide_host_key("accept-new", KnownHostState::unknown, "db1", 22, "");
  CHECK(first.accept);
  CHECK(first.add);
  auto known = decide_host_key("accept-new", KnownHostState::ok, "db1", 22, "");
  CHECK(known.accept);
  CHECK_FALSE(known.add);
}

TEST_CASE("a refusal names the key the host showed", "[ssh][host_key]") {
  const std::string key = "ssh-ed25519 SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
  auto changed = decide_host_key("yes", KnownHostState::changed, "127.0.0.13", 2222, "/etc/mhad/known_hosts", key);
  CHECK_THAT(changed.why, Contains("the host key of 127.0.0.13:2222 (it shows " + key +
                                   ") is not the one in /etc/mhad/known_hosts (it changed)"));
  auto unknown = decide_host_key("yes", KnownHostState::unknown, "db1", 22, "/etc/mhad/known_hosts", key);
  CHECK_THAT(unknown.why, Contains("db1:22 (it shows " + key + ") is not in /etc/mhad/known_hosts"));
}

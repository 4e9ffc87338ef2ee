#include "daemon/coordination/leadership.h"

#include <catch2/catch.hpp>

#include "tests/fakes/fake_etcd.h"

using namespace mha;
using namespace std::chrono_literals;
using mha::testing::FakeEtcd;
using mha::testing::FakeEtcdStore;

namespace {

// Instances ticking against one fake etcd; time moves in 50 ms steps and
// each instance runs its round when due, as the coordinator thread would.
struct Instance {
  Instance(std::shared_ptr<FakeEtcdStore> store, std::string name, LeadershipTiming timing)
      : etcd(store), writer(store), lead(etcd, "/mhad", std::move(name), timing) {
    lead.set_clusters({"app1"});
    lead.set_eligible("app1", true);
  }
  FakeEtcd etcd;
  FakeEtcd writer;  // the loop's own client
  Leadership lead;
  MonoTime next{};
  bool alive = true;
};

struct Fixture {
  std::shared_ptr<FakeEtcdStore> store = std::make_shared<FakeEtcdStore>();
  LeadershipTiming timing = leadership_timing(3s);
  std::vector<std::unique_ptr<Instance>> instances;

  Instance& add(std::string name) {
    instances.push_back(std::make_unique<Instance>(store, std::move(name), timing));
    return *instances.back();
  }
  void run(std::chrono::milliseconds for_how_long) {
    for (auto t = 0ms; t < for_how_long; t += 50ms) {
      for (auto& i : instances)
        if (i->alive && store->now >= i->next) i->next = i->lead.tick(store->now, std::chrono::system_clock::now());
      store->advance(50ms);
    }
  }
  int active_count() const {
    int n = 0;
    for (const auto& i : instances)
      if (i->lead.may_act("app1", store->now)) ++n;
    return n;
  }
};

}  // namespace

TEST_CASE("leadership timing from ping_interval", "[leadership]") {
  auto t3 = leadership_timing(3s);
  CHECK(t3.ttl == 3s);
  CHECK(t3.renew == 1000ms);
  CHECK(t3.margin == 750ms);
  CHECK(t3.call_timeout == 500ms);
  auto t2 = leadership_timing(2s);
  CHECK(t2.ttl == 2s);
  CHECK(t2.renew == 666ms);
  CHECK(leadership_timing(500ms).ttl == 1s);
  CHECK(leadership_timing(3500ms).ttl == 3s);
  // etcd granted more than asked: renewal and margin follow the granted TTL.
  auto raised = with_granted_ttl(leadership_timing(1s), 2s);
  CHECK(raised.renew == 666ms);
  CHECK(raised.margin == 500ms);
}

TEST_CASE("leadership: exactly one instance is active, the others name it", "[leadership]") {
  Fixture fx;
  auto& a = fx.add("mha1");
  auto& b = fx.add("mha2");
  auto& c = fx.add("mha3");
  fx.run(3s);
  CHECK(fx.active_count() == 1);
  CHECK(a.lead.view("app1").role == LeaderRole::active);  // the first to campaign
  CHECK(a.lead.view("app1").active == "mha1");
  CHECK(b.lead.view("app1").role == LeaderRole::standby);
  CHECK(b.lead.view("app1").active == "mha1");
  CHECK(c.lead.view("app1").active == "mha1");
  CHECK(c.lead.view("app1").since == a.lead.view("app1").since);
  CHECK_FALSE(a.lead.view("app1").since.empty());
  CHECK(fx.store->value_of("/mhad/app1/leader") == "mha1");
  CHECK(a.lead.view("app1").token == fx.store->keys["/mhad/app1/leader"].create_revision);
}

TEST_CASE("leadership: a standby takes over within 2 x ping_interval of the active one's death", "[leadership]") {
  Fixture fx;
  auto& a = fx.add("mha1");
  auto& b = fx.add("mha2");
  fx.run(2s);
  REQUIRE(a.lead.may_act("app1", fx.store->now));
  a.alive = false;  // kill -9: no more renewals, no resign
  const auto died = fx.store->now;
  while (!b.lead.may_act("app1", fx.store->now) && fx.store->now - died < 10s) fx.run(50ms);
  CHECK(b.lead.may_act("app1", fx.store->now));
  CHECK(fx.store->now - died <= 6s);
  CHECK(b.lead.view("app1").active == "mha2");
}

TEST_CASE("leadership: cut off from etcd, the holder stops acting before its lease can expire", "[leadership]") {
  Fixture fx;
  auto& a = fx.add("mha1");
  auto& b = fx.add("mha2");
  fx.run(2s);
  REQUIRE(a.lead.may_act("app1", fx.store->now));
  a.etcd.unreachable = true;
  a.writer.unreachable = true;
  std::optional<MonoTime> stopped;
  std::optional<MonoTime> other_active;
  for (int i = 0; i < 200 && !other_active; ++i) {
    fx.run(50ms);
    if (!stopped && !a.lead.may_act("app1", fx.store->now)) stopped = fx.store->now;
    if (b.lead.may_act("app1", fx.store->now)) other_active = fx.store->now;
    CHECK(fx.active_count() <= 1);  // never two, at any step
  }
  REQUIRE(stopped);
  REQUIRE(other_active);
  CHECK(*stopped < *other_active);
  CHECK(a.lead.view("app1").problem.find("cannot renew the etcd lease") == 0);
  // Back in touch: the lease is gone, so is the key; the old holder learns it.
  a.etcd.unreachable = false;
  a.writer.unreachable = false;
  fx.run(3s);
  CHECK(a.lead.view("app1").role == LeaderRole::standby);
  CHECK(a.lead.view("app1").active == "mha2");
  CHECK(fx.active_count() == 1);
}

TEST_CASE("leadership: state is written under the fencing token; a deposed holder's write fails", "[leadership]") {
  Fixture fx;
  auto& a = fx.add("mha1");
  auto& b = fx.add("mha2");
  fx.run(2s);
  REQUIRE(a.lead.write_state(a.writer, "app1", R"({"phase":"fence"})", fx.store->now));
  CHECK(fx.store->value_of("/mhad/app1/state") == R"({"phase":"fence"})");
  auto standby = b.lead.write_state(b.writer, "app1", "{}", fx.store->now);
  REQUIRE_FALSE(standby);
  CHECK(standby.error().code == Errc::not_active);
  // An operator deletes the leader key: mha1 is deposed at its next write.
  const auto token = a.lead.view("app1").token;
  fx.store->keys.erase("/mhad/app1/leader");
  auto deposed = a.lead.write_state(a.writer, "app1", R"({"phase":"recover_master"})", fx.store->now);
  REQUIRE_FALSE(deposed);
  CHECK(deposed.error().code == Errc::not_active);
  CHECK(deposed.error().message ==
        fmt::format("deposed: the leader key of 'app1' is no longer this instance's (fencing token {})", token));
  CHECK_FALSE(a.lead.may_act("app1", fx.store->now));
  CHECK(fx.store->value_of("/mhad/app1/state") == R"({"phase":"fence"})");
}

TEST_CASE("leadership: the new holder is handed the state the last one left", "[leadership]") {
  Fixture fx;
  auto& a = fx.add("mha1");
  auto& b = fx.add("mha2");
  fx.run(2s);
  REQUIRE(a.lead.write_state(a.writer, "app1", R"({"operation":"failover","phase":"fence"})", fx.store->now));
  CHECK(a.lead.take_adopted_state("app1") == std::string());  // won with nothing in etcd
  CHECK_FALSE(a.lead.take_adopted_state("app1"));             // handed over once
  a.alive = false;
  fx.run(7s);
  REQUIRE(b.lead.may_act("app1", fx.store->now));
  CHECK(b.lead.take_adopted_state("app1") == R"({"operation":"failover","phase":"fence"})");
}

TEST_CASE("leadership: an instance that cannot see the servers releases and does not campaign", "[leadership]") {
  Fixture fx;
  auto& a = fx.add("mha1");
  auto& b = fx.add("mha2");
  b.lead.set_eligible("app1", false);
  fx.run(2s);
  REQUIRE(a.lead.may_act("app1", fx.store->now));
  CHECK(b.lead.view("app1").active == "mha1");
  // Blind while another leads: status still says why it does not campaign.
  CHECK(b.lead.view("app1").problem == "not campaigning: none of the cluster's servers answers this instance");
  a.lead.set_eligible("app1", false);
  fx.run(2s);
  CHECK_FALSE(a.lead.may_act("app1", fx.store->now));
  CHECK(a.lead.view("app1").problem ==
        "no active instance; not campaigning: none of the cluster's servers answers this instance");
  CHECK(fx.active_count() == 0);  // b is blind too: nobody acts
  b.lead.set_eligible("app1", true);
  fx.run(2s);
  CHECK(b.lead.may_act("app1", fx.store->now));
  CHECK(a.lead.view("app1").active == "mha2");
}

TEST_CASE("leadership: resign hands over at the standby's next poll", "[leadership]") {
  Fixture fx;
  auto& a = fx.add("mha1");
  auto& b = fx.add("mha2");
  fx.run(2s);
  a.lead.resign();
  a.alive = false;
  fx.run(1100ms);  // one renew period (1 s) and a step
  CHECK(b.lead.may_act("app1", fx.store->now));
  CHECK(fx.store->leases.size() == 1);
}

TEST_CASE("leadership: no quorum (etcd unreachable for everyone): nobody acts, and the views say why", "[leadership]") {
  Fixture fx;
  auto& a = fx.add("mha1");
  auto& b = fx.add("mha2");
  fx.run(2s);
  a.etcd.unreachable = b.etcd.unreachable = true;
  fx.run(3s);
  CHECK(fx.active_count() == 0);
  CHECK(a.lead.view("app1").problem.find("cannot renew the etcd lease (no longer acting): etcd: no endpoint") == 0);
  a.etcd.unreachable = b.etcd.unreachable = false;
  fx.run(5s);
  CHECK(fx.active_count() == 1);
}

TEST_CASE("leadership: held_until, the lease deadline of an operation's steps, ends with the lease and the token",
          "[leadership][lease]") {
  Fixture fx;
  auto& a = fx.add("mha1");
  auto& b = fx.add("mha2");
  fx.run(2s);
  REQUIRE(a.lead.may_act("app1", fx.store->now));
  const std::int64_t token = a.lead.view("app1").token;
  auto until = a.lead.held_until("app1", token, fx.store->now);
  REQUIRE(until);
  // Never more than TTL − margin ahead, and renewed with the lease.
  CHECK(*until > fx.store->now);
  CHECK(*until - fx.store->now <= fx.timing.ttl - fx.timing.margin);
  CHECK_FALSE(b.lead.held_until("app1", b.lead.view("app1").token, fx.store->now));  // the standby
  CHECK_FALSE(a.lead.held_until("app1", token + 1, fx.store->now));                 // another token
  CHECK_FALSE(a.lead.held_until("app1", token, *until));                            // at the deadline itself
  // Cut off from etcd: the deadline stops moving, and passes before b can win.
  a.etcd.unreachable = true;
  a.writer.unreachable = true;
  const MonoTime last = *a.lead.held_until("app1", token, fx.store->now);
  std::optional<MonoTime> b_active;
  for (int i = 0; i < 200 && !b_active; ++i) {
    fx.run(50ms);
    if (auto u = a.lead.held_until("app1", token, fx.store->now)) CHECK(*u == last);
    if (b.lead.may_act("app1", fx.store->now)) b_active = fx.store->now;
  }
  REQUIRE(b_active);
  CHECK(last < *b_active);
  CHECK_FALSE(a.lead.held_until("app1", token, fx.store->now));
}

// An in-memory etcd for unit tests of the leadership: one store shared by
// every FakeEtcd client made from it (one per simulated instance), leases
// that expire at the store's own clock (advance() it), revisions as etcd
// counts them, and a switch per client that makes its calls fail as if etcd
// could not be reached.
#pragma once

#include <map>
#include <memory>

#include "daemon/coordination/etcd.h"

namespace mha::testing {

class FakeEtcdStore {
 public:
  using Clock = std::chrono::steady_clock;
  struct Lease {
    std::chrono::seconds ttl;
    Clock::time_point expires;
  };

  Clock::time_point now{Clock::time_point{} + std::chrono::hours(1)};
  std::chrono::seconds min_ttl{2};  // etcd raises shorter TTLs (1.5 × election timeout)
  std::int64_t revision = 1;
  std::map<std::string, EtcdKv> keys;
  std::map<EtcdLeaseId, Lease> leases;
  EtcdLeaseId next_lease = 100;

  void advance(std::chrono::milliseconds d) {
    now += d;
    expire();
  }
  // Leases past their time are revoked with their keys, as etcd's lessor does.
  void expire() {
    for (auto it = leases.begin(); it != leases.end();) {
      if (it->second.expires <= now) {
        drop_keys_of(it->first);
        it = leases.erase(it);
      } else {
        ++it;
      }
    }
  }
  void drop_keys_of(EtcdLeaseId lease) {
    bool any = false;
    for (auto it = keys.begin(); it != keys.end();)
      if (it->second.lease == lease) {
        it = keys.erase(it);
        any = true;
      } else {
        ++it;
      }
    if (any) ++revision;
  }
  std::string value_of(const std::string& key) const {
    auto it = keys.find(key);
    return it == keys.end() ? "" : it->second.value;
  }
};

class FakeEtcd final : public Etcd {
 public:
  explicit FakeEtcd(std::shared_ptr<FakeEtcdStore> store) : m_store(std::move(store)) {}
  bool unreachable = false;  // every call fails with Errc::timeout
  int calls = 0;

  Result<EtcdLease> grant(std::chrono::seconds ttl, std::chrono::milliseconds) override {
    if (auto e = down()) return *e;
    const auto granted = std::max(ttl, m_store->min_ttl);
    const EtcdLeaseId id = m_store->next_lease++;
    m_store->leases[id] = {granted, m_store->now + granted};
    return EtcdLease{id, granted};
  }
  Result<std::chrono::seconds> keepalive(EtcdLeaseId lease, std::chrono::milliseconds) override {
    if (auto e = down()) return *e;
    auto it = m_store->leases.find(lease);
    if (it == m_store->leases.end()) return std::chrono::seconds(0);
    it->second.expires = m_store->now + it->second.ttl;
    return it->second.ttl;
  }
  Result<void> revoke(EtcdLeaseId lease, std::chrono::milliseconds) override {
    if (auto e = down()) return *e;
    m_store->drop_keys_of(lease);
    m_store->leases.erase(lease);
    return {};
  }
  Result<EtcdTxnResult> txn(const EtcdTxn& txn, std::chrono::milliseconds) override {
    if (auto e = down()) return *e;
    bool ok = true;
    for (const auto& c : txn.compare) {
      auto it = m_store->keys.find(c.key);
      switch (c.target) {
        case EtcdCompare::Target::create_revision:
          ok = ok && (it == m_store->keys.end() ? 0 : it->second.create_revision) == c.revision;
          break;
        case EtcdCompare::Target::mod_revision:
          ok = ok && (it == m_store->keys.end() ? 0 : it->second.mod_revision) == c.revision;
          break;
        case EtcdCompare::Target::value: ok = ok && it != m_store->keys.end() && it->second.value == c.value; break;
      }
    }
    EtcdTxnResult out;
    out.succeeded = ok;
    const auto& ops = ok ? txn.success : txn.failure;
    bool writes = false;
    for (const auto& op : ops) writes = writes || op.kind != EtcdOp::Kind::range;
    if (writes) ++m_store->revision;
    for (const auto& op : ops) {
      out.results.emplace_back();
      switch (op.kind) {
        case EtcdOp::Kind::put: {
          if (op.lease != 0 && !m_store->leases.count(op.lease))
            return make_error(Errc::refused, "etcdserver: requested lease not found");
          auto& kv = m_store->keys[op.key];
          if (kv.create_revision == 0) kv.create_revision = m_store->revision;
          kv.key = op.key;
          kv.value = op.value;
          kv.mod_revision = m_store->revision;
          kv.lease = op.lease;
          break;
        }
        case EtcdOp::Kind::range:
          if (auto it = m_store->keys.find(op.key); it != m_store->keys.end()) out.results.back().push_back(it->second);
          break;
        case EtcdOp::Kind::remove: m_store->keys.erase(op.key); break;
      }
    }
    out.revision = m_store->revision;
    return out;
  }
  Result<std::optional<EtcdKv>> get(const std::string& key, std::chrono::milliseconds) override {
    if (auto e = down()) return *e;
    auto it = m_store->keys.find(key);
    if (it == m_store->keys.end()) return std::optional<EtcdKv>();
    return std::optional<EtcdKv>(it->second);
  }
  Result<void> remove(const std::string& key, std::chrono::milliseconds) override {
    if (auto e = down()) return *e;
    if (m_store->keys.erase(key)) ++m_store->revision;
    return {};
  }

 private:
  std::optional<Error> down() {
    ++calls;
    m_store->expire();
    if (unreachable) return make_error(Errc::timeout, "etcd: no endpoint answered within 500 ms");
    return std::nullopt;
  }
  std::shared_ptr<FakeEtcdStore> m_store;
};

}  // namespace mha::testing

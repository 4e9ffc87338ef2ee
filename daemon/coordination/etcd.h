// The etcd seam: the few etcd v3 calls mhad's leadership needs (leases, one
// transaction shape, reads), as a C++ interface so that the leadership logic
// runs against an in-memory fake in unit tests (tests/fakes/fake_etcd.h) and
// against etcd's JSON gateway in production (etcd_client.h). Every call has
// its own timeout; none retries beyond trying the next endpoint. Not
// thread-safe: one instance per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace mha {

using EtcdLeaseId = std::int64_t;

struct EtcdKv {
  std::string key;
  std::string value;
  std::int64_t create_revision = 0;  // the leader key's: the fencing token
  std::int64_t mod_revision = 0;
  EtcdLeaseId lease = 0;  // 0: not attached to a lease
};

// One comparison of a transaction, always "equal".
struct EtcdCompare {
  enum class Target { create_revision, mod_revision, value };
  std::string key;
  Target target = Target::create_revision;
  std::int64_t revision = 0;  // create_revision 0: the key does not exist
  std::string value;
};

struct EtcdOp {
  enum class Kind { put, range, remove };
  Kind kind = Kind::range;
  std::string key;
  std::string value;      // put
  EtcdLeaseId lease = 0;  // put: attach to this lease (0: none)
};

struct EtcdTxn {
  std::vector<EtcdCompare> compare;
  std::vector<EtcdOp> success;
  std::vector<EtcdOp> failure;
};

struct EtcdTxnResult {
  bool succeeded = false;
  std::int64_t revision = 0;  // the store's revision after the txn (header.revision)
  // One entry per op of the branch taken; the keys found for a range op
  // (empty for put and remove, and for a range that found nothing).
  std::vector<std::vector<EtcdKv>> results;
};

struct EtcdLease {
  EtcdLeaseId id = 0;
  std::chrono::seconds ttl{0};  // as granted: etcd may raise a short TTL to its minimum
};

class Etcd {
 public:
  virtual ~Etcd() = default;
  virtual Result<EtcdLease> grant(std::chrono::seconds ttl, std::chrono::milliseconds timeout) = 0;
  // The lease's TTL after the renewal; 0s: the lease has expired (or never was).
  virtual Result<std::chrono::seconds> keepalive(EtcdLeaseId lease, std::chrono::milliseconds timeout) = 0;
  virtual Result<void> revoke(EtcdLeaseId lease, std::chrono::milliseconds timeout) = 0;
  virtual Result<EtcdTxnResult> txn(const EtcdTxn& txn, std::chrono::milliseconds timeout) = 0;
  virtual Result<std::optional<EtcdKv>> get(const std::string& key, std::chrono::milliseconds timeout) = 0;
  virtual Result<void> remove(const std::string& key, std::chrono::milliseconds timeout) = 0;
};

}  // namespace mha

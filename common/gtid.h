// GTID algebra for both flavors, and nothing else: MySQL GTID sets
// (`uuid:1-5:7-9,uuid2:1-3`) and MariaDB GTID positions (`0-1-100,1-2-55`).
// Parsing, canonical printing, set operations and comparisons. Pure values:
// no I/O, no server access; safe on any thread.
//
// The two flavors are deliberately separate types: a MySQL set names every
// transaction ever executed, a MariaDB position only the last one per
// replication domain, so "contains" and "errant" mean different things.
#pragma once

#include "common/result.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mha {

// ---------------------------------------------------------------------------
// MySQL
// ---------------------------------------------------------------------------

// A set of MySQL GTIDs, as @@gtid_executed, Retrieved_Gtid_Set and
// Executed_Gtid_Set print it.
//
// Text form accepted by parse():
//   ""                                     empty set
//   "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7"
//   "uuid1:1-5,\nuuid2:1-3"                whitespace/newlines around tokens
//   "uuid:1-5:tag_a:1-3:tag_b:7"           MySQL 8.4 tagged GTIDs
// UUIDs and tags are case-insensitive and normalized to lowercase. Tagged
// GTIDs are supported rather than rejected because MySQL 8.4 is a first-class
// target and a replica that received one tagged transaction would otherwise
// become unreadable to us. A tag is [a-z_][a-z0-9_]{0,31}; it applies to the
// intervals that follow it until the next tag or the next uuid.
//
// to_string() is canonical: uuids sorted, untagged intervals first then tags
// sorted (the order MySQL 8.4 prints), intervals merged, no spaces:
//   "uuid1:1-5:7-9:tag_a:1-3,uuid2:1-3"
// so two equal sets always print the same text.
class GtidSet {
 public:
  // An inclusive range of transaction numbers, first <= last, first >= 1.
  struct Interval {
    uint64_t first = 0;
    uint64_t last = 0;
    bool operator==(const Interval&) const = default;
  };

  // Largest transaction number MySQL allows (gno is a signed 64-bit value).
  static constexpr uint64_t k_max_gno = 0x7fffffffffffffffULL;

  GtidSet() = default;

  // Errors (Errc::parse) quote the offending token, e.g.
  //   GTID set: bad uuid 'zz4275f-...' in 'zz4275f-...:1-5'
  //   GTID set: bad interval '5-3' in 'uuid:5-3': end before start
  static Result<GtidSet> parse(std::string_view text);

  // Adds one transaction / one interval (first <= last, within 1..k_max_gno).
  // uuid and tag must already be lowercase and valid: for building sets in
  // code and tests, not for untrusted input (use parse for that).
  void add(std::string_view uuid, uint64_t gno, std::string_view tag = {});
  void add(std::string_view uuid, Interval interval, std::string_view tag = {});

  GtidSet union_with(const GtidSet& other) const;
  // Everything in *this that is not in `other` (MySQL's GTID_SUBTRACT).
  GtidSet subtract(const GtidSet& other) const;
  // Everything in both.
  GtidSet intersect(const GtidSet& other) const;
  // True when every GTID of `other` is in *this (GTID_SUBSET(other, this)).
  bool contains(const GtidSet& other) const;
  bool contains(std::string_view uuid, uint64_t gno, std::string_view tag = {}) const;

  bool empty() const { return m_intervals.empty(); }
  // Number of transactions. Saturates at UINT64_MAX (only reachable with
  // absurd sets spanning the whole gno range for several uuids).
  uint64_t count() const;

  // Distinct source uuids, sorted.
  std::vector<std::string> uuids() const;
  // Merged intervals of one uuid/tag; empty when absent.
  std::vector<Interval> intervals(std::string_view uuid, std::string_view tag = {}) const;

  std::string to_string() const;

  bool operator==(const GtidSet&) const = default;

 private:
  // (uuid, tag); the untagged part of a uuid has an empty tag and so sorts
  // before its tags, which is exactly the print order.
  using Key = std::pair<std::string, std::string>;
  // Invariant: every vector is non-empty, sorted, with no two intervals that
  // overlap or touch. Keeping it canonical makes == and to_string trivial.
  std::map<Key, std::vector<Interval>> m_intervals;
};

// ---------------------------------------------------------------------------
// MariaDB
// ---------------------------------------------------------------------------

// One MariaDB GTID: domain-server_id-seq, e.g. 0-1-100.
struct MariadbGtid {
  uint32_t domain = 0;
  uint32_t server_id = 0;
  uint64_t seq = 0;

  static Result<MariadbGtid> parse(std::string_view text);
  std::string to_string() const;
  bool operator==(const MariadbGtid&) const = default;
};

// A MariaDB GTID position: at most one GTID per replication domain, as
// @@gtid_binlog_pos, @@gtid_slave_pos, @@gtid_current_pos and the Gtid_IO_Pos
// column print it ("0-1-100,1-2-55"; empty is valid).
//
// A position only carries the LAST seq per domain, not the history: MariaDB
// relies on seq numbers growing monotonically within a domain. So "includes"
// means "at or beyond in every domain", and "errant" (see errant_against)
// means "ahead of the master in some domain, in a domain the master does not
// know, or at the master's seq but written by another server". We cannot see
// a missing transaction in the middle of a domain; nothing can from a position.
class GtidPosition {
 public:
  // Who is further in one domain. `diverged`: both at the same seq but with
  // different server_ids, i.e. two different transactions carry the same
  // number; the histories split and neither includes the other.
  enum class Ahead { equal, this_ahead, other_ahead, diverged };

  struct DomainComparison {
    uint32_t domain = 0;
    std::optional<MariadbGtid> mine;    // nullopt: domain absent here
    std::optional<MariadbGtid> theirs;  // nullopt: domain absent in other
    Ahead ahead = Ahead::equal;         // an absent domain counts as seq 0
    bool operator==(const DomainComparison&) const = default;
  };

  GtidPosition() = default;

  // Comma-separated GTIDs, whitespace tolerated around each. Errors
  // (Errc::parse) name the bad element, or the domain given twice.
  static Result<GtidPosition> parse(std::string_view text);

  // Sets the GTID of gtid.domain, replacing any previous one.
  void set(const MariadbGtid& gtid);
  std::optional<MariadbGtid> get(uint32_t domain) const;
  std::vector<MariadbGtid> gtids() const;  // sorted by domain
  bool empty() const { return m_by_domain.empty(); }
  size_t size() const { return m_by_domain.size(); }

  // One entry per domain present on either side, sorted by domain.
  std::vector<DomainComparison> compare(const GtidPosition& other) const;

  // True when *this has everything `other` has: every domain of `other` is
  // here with seq >= other's, and with the same server_id when seq is equal
  // (same seq from another server is a different transaction).
  bool includes(const GtidPosition& other) const;

  // Strictly more advanced: includes(other) and ahead in at least one domain
  // (a higher seq, or a domain other lacks). The candidate-selection order.
  bool is_ahead_of(const GtidPosition& other) const;

  // The GTIDs of this replica that `master` does not have: for each domain,
  // the replica's GTID when the master lacks the domain, is at a lower seq,
  // or is at the same seq from a different server_id. Empty = no errant
  // transactions.
  GtidPosition errant_against(const GtidPosition& master) const;

  // How many transactions *this lacks compared with `ahead`: the sum over the
  // domains of `ahead` of (ahead.seq - this.seq) where positive, a domain
  // missing here counting as seq 0. An estimate for reporting lag: correct
  // when seq numbers have no gaps, which holds unless gtid_seq_no was set by
  // hand. Saturates at UINT64_MAX.
  uint64_t transactions_behind(const GtidPosition& ahead) const;

  // "0-1-100,1-2-55": sorted by domain, no spaces. Empty position -> "".
  std::string to_string() const;

  bool operator==(const GtidPosition&) const = default;

 private:
  std::map<uint32_t, MariadbGtid> m_by_domain;
};

}  // namespace mha

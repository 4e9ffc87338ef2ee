// GTID algebra: see gtid.h for the text formats and what each operation means.
#include "common/gtid.h"

#include "common/text.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace mha {

namespace {

// Splits on `sep` without dropping empty pieces: "a,,b" -> {"a", "", "b"},
// so callers can report a stray separator instead of silently skipping it.
std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const auto pos = text.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, pos - start));
    start = pos + 1;
  }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = to_lower(c);
  return out;
}

// Decimal digits only (no sign, no spaces); nullopt on anything else or on
// overflow of T.
template <typename T>
std::optional<T> parse_unsigned(std::string_view text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), is_digit)) return std::nullopt;
  T value{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// The canonical 8-4-4-4-12 form; MySQL prints nothing else.
bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash_here = (i == 8 || i == 13 || i == 18 || i == 23);
    if (dash_here ? text[i] != '-' : !is_hex(text[i])) return false;
  }
  return true;
}

// MySQL 8.4: a letter or underscore, then letters, digits, underscores; at
// most 32 characters.
bool is_tag(std::string_view text) {
  if (text.empty() || text.size() > 32) return false;
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(text[0])) return false;
  return std::all_of(text.begin(), text.end(), [&](char c) { return alpha(c) || is_digit(c); });
}

using Interval = GtidSet::Interval;

// Sorts and merges overlapping or touching intervals (1-5 + 6-9 = 1-9).
void normalize(std::vector<Interval>& intervals) {
  std::sort(intervals.begin(), intervals.end(),
            [](const Interval& a, const Interval& b) { return a.first < b.first; });
  std::vector<Interval> merged;
  merged.reserve(intervals.size());
  for (const auto& iv : intervals) {
    // last + 1 cannot overflow: last <= k_max_gno < UINT64_MAX.
    if (!merged.empty() && iv.first <= merged.back().last + 1)
      merged.back().last = std::max(merged.back().last, iv.last);
    else
      merged.push_back(iv);
  }
  intervals = std::move(merged);
}

// a minus b, both canonical; result canonical.
std::vector<Interval> subtract_intervals(const std::vector<Interval>& a, const std::vector<Interval>& b) {
  std::vector<Interval> out;
  size_t j = 0;
  for (const auto& iv : a) {
    uint64_t from = iv.first;
    while (j < b.size() && b[j].last < from) ++j;
    bool consumed = false;
    for (size_t k = j; k < b.size() && b[k].first <= iv.last; ++k) {
      if (b[k].first > from) out.push_back({from, b[k].first - 1});
      if (b[k].last >= iv.last) {
        consumed = true;
        break;
      }
      from = b[k].last + 1;
    }
    if (!consumed && from <= iv.last) out.push_back({from, iv.last});
  }
  return out;
}

std::vector<Interval> intersect_intervals(const std::vector<Interval>& a, const std::vector<Interval>& b) {
  std::vector<Interval> out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const uint64_t lo = std::max(a[i].first, b[j].first);
    const uint64_t hi = std::min(a[i].last, b[j].last);
    if (lo <= hi) out.push_back({lo, hi});
    if (a[i].last < b[j].last)
      ++i;
    else
      ++j;
  }
  return out;
}

uint64_t saturating_add(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max() : a + b;
}

// One "n" or "n-m" token. `element` is only for the error message.
Result<Interval> parse_interval(std::string_view token, std::string_view element) {
  const auto dash = token.find('-');
  const auto first_text = trim(token.substr(0, dash));
  const auto last_text = dash == std::string_view::npos ? first_text : trim(token.substr(dash + 1));
  const auto first = parse_unsigned<uint64_t>(first_text);
  const auto last = parse_unsigned<uint64_t>(last_text);
  if (!first || !last) {
    // Tell "too large" apart from "not a number": both come back as nullopt.
    const bool digits = !first_text.empty() && !last_text.empty() &&
                        std::all_of(first_text.begin(), first_text.end(), is_digit) &&
                        std::all_of(last_text.begin(), last_text.end(), is_digit);
    return make_error(Errc::parse, "GTID set: bad interval '{}' in '{}': {}", token, element,
                      digits ? "number too large" : "expected N or N-M");
  }
  if (*first == 0 || *last == 0)
    return make_error(Errc::parse, "GTID set: bad interval '{}' in '{}': transaction numbers start at 1",
                      token, element);
  if (*first > GtidSet::k_max_gno || *last > GtidSet::k_max_gno)
    return make_error(Errc::parse, "GTID set: bad interval '{}' in '{}': number too large", token, element);
  if (*last < *first)
    return make_error(Errc::parse, "GTID set: bad interval '{}' in '{}': end before start", token, element);
  return Interval{*first, *last};
}

}  // namespace

// ---------------------------------------------------------------------------
// GtidSet
// ---------------------------------------------------------------------------

Result<GtidSet> GtidSet::parse(std::string_view text) {
  GtidSet set;
  const auto whole = trim(text);
  if (whole.empty()) return set;

  for (const auto raw_element : split(whole, ',')) {
    const auto element = trim(raw_element);
    if (element.empty())
      return make_error(Errc::parse, "GTID set: empty element (stray comma) in '{}'", whole);

    const auto parts = split(element, ':');
    const auto uuid_text = trim(parts[0]);
    if (!is_uuid(uuid_text))
      return make_error(Errc::parse, "GTID set: bad uuid '{}' in '{}'", uuid_text, element);
    if (parts.size() == 1)
      return make_error(Errc::parse, "GTID set: no transaction numbers after uuid in '{}'", element);
    const std::string uuid = lowercase(uuid_text);

    std::string tag;
    bool tag_has_intervals = true;
    for (size_t i = 1; i < parts.size(); ++i) {
      const auto token = trim(parts[i]);
      if (token.empty()) return make_error(Errc::parse, "GTID set: empty interval in '{}'", element);
      if (!is_digit(token[0]) && is_tag(token)) {
        if (!tag_has_intervals)
          return make_error(Errc::parse, "GTID set: tag '{}' without transaction numbers in '{}'", tag, element);
        tag = lowercase(token);
        tag_has_intervals = false;
        continue;
      }
      if (!is_digit(token[0])) {
        // Looks like neither a number nor a tag: say which rule it broke.
        return make_error(Errc::parse, "GTID set: bad interval or tag '{}' in '{}'", token, element);
      }
      auto interval = parse_interval(token, element);
      if (!interval) return interval.error();
      set.m_intervals[{uuid, tag}].push_back(*interval);
      tag_has_intervals = true;
    }
    if (!tag_has_intervals)
      return make_error(Errc::parse, "GTID set: tag '{}' without transaction numbers in '{}'", tag, element);
  }
  for (auto& [key, intervals] : set.m_intervals) normalize(intervals);
  return set;
}

void GtidSet::add(std::string_view uuid, uint64_t gno, std::string_view tag) { add(uuid, Interval{gno, gno}, tag); }

void GtidSet::add(std::string_view uuid, Interval interval, std::string_view tag) {
  assert(is_uuid(uuid) && lowercase(uuid) == uuid);
  assert(tag.empty() || (is_tag(tag) && lowercase(tag) == tag));
  assert(interval.first >= 1 && interval.first <= interval.last && interval.last <= k_max_gno);
  auto& intervals = m_intervals[{std::string(uuid), std::string(tag)}];
  intervals.push_back(interval);
  normalize(intervals);
}

GtidSet GtidSet::union_with(const GtidSet& other) const {
  GtidSet out = *this;
  for (const auto& [key, intervals] : other.m_intervals) {
    auto& mine = out.m_intervals[key];
    mine.insert(mine.end(), intervals.begin(), intervals.end());
    normalize(mine);
  }
  return out;
}

GtidSet GtidSet::subtract(const GtidSet& other) const {
  GtidSet out;
  for (const auto& [key, intervals] : m_intervals) {
    const auto it = other.m_intervals.find(key);
    auto rest = it == other.m_intervals.end() ? intervals : subtract_intervals(intervals, it->second);
    if (!rest.empty()) out.m_intervals.emplace(key, std::move(rest));
  }
  return out;
}

GtidSet GtidSet::intersect(const GtidSet& other) const {
  GtidSet out;
  for (const auto& [key, intervals] : m_intervals) {
    const auto it = other.m_intervals.find(key);
    if (it == other.m_intervals.end()) continue;
    auto both = intersect_intervals(intervals, it->second);
    if (!both.empty()) out.m_intervals.emplace(key, std::move(both));
  }
  return out;
}

bool GtidSet::contains(const GtidSet& other) const { return other.subtract(*this).empty(); }

bool GtidSet::contains(std::string_view uuid, uint64_t gno, std::string_view tag) const {
  const auto it = m_intervals.find({lowercase(uuid), lowercase(tag)});
  if (it == m_intervals.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(),
                     [&](const Interval& iv) { return iv.first <= gno && gno <= iv.last; });
}

uint64_t GtidSet::count() const {
  uint64_t total = 0;
  for (const auto& [key, intervals] : m_intervals)
    for (const auto& iv : intervals) total = saturating_add(total, iv.last - iv.first + 1);
  return total;
}

std::vector<std::string> GtidSet::uuids() const {
  std::vector<std::string> out;
  for (const auto& [key, intervals] : m_intervals)
    if (out.empty() || out.back() != key.first) out.push_back(key.first);
  return out;
}

std::vector<GtidSet::Interval> GtidSet::intervals(std::string_view uuid, std::string_view tag) const {
  const auto it = m_intervals.find({lowercase(uuid), lowercase(tag)});
  return it == m_intervals.end() ? std::vector<Interval>{} : it->second;
}

std::string GtidSet::to_string() const {
  std::string out;
  const std::string* current_uuid = nullptr;
  for (const auto& [key, intervals] : m_intervals) {
    if (current_uuid == nullptr || *current_uuid != key.first) {
      if (current_uuid != nullptr) out += ',';
      out += key.first;
      current_uuid = &key.first;
    }
    if (!key.second.empty()) {
      out += ':';
      out += key.second;
    }
    for (const auto& iv : intervals) {
      if (iv.first == iv.last)
        out += fmt::format(":{}", iv.first);
      else
        out += fmt::format(":{}-{}", iv.first, iv.last);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// MariadbGtid / GtidPosition
// ---------------------------------------------------------------------------

Result<MariadbGtid> MariadbGtid::parse(std::string_view text) {
  const auto token = trim(text);
  const auto parts = split(token, '-');
  if (parts.size() != 3)
    return make_error(Errc::parse, "bad MariaDB GTID '{}': expected domain-server_id-seq", token);
  const auto domain = parse_unsigned<uint32_t>(parts[0]);
  const auto server_id = parse_unsigned<uint32_t>(parts[1]);
  const auto seq = parse_unsigned<uint64_t>(parts[2]);
  if (!domain)
    return make_error(Errc::parse, "bad MariaDB GTID '{}': domain '{}' is not a number up to 4294967295",
                      token, parts[0]);
  if (!server_id)
    return make_error(Errc::parse, "bad MariaDB GTID '{}': server_id '{}' is not a number up to 4294967295",
                      token, parts[1]);
  if (!seq)
    return make_error(Errc::parse, "bad MariaDB GTID '{}': seq '{}' is not a 64-bit unsigned number", token,
                      parts[2]);
  return MariadbGtid{*domain, *server_id, *seq};
}

std::string MariadbGtid::to_string() const { return fmt::format("{}-{}-{}", domain, server_id, seq); }

Result<GtidPosition> GtidPosition::parse(std::string_view text) {
  GtidPosition position;
  const auto whole = trim(text);
  if (whole.empty()) return position;
  for (const auto raw : split(whole, ',')) {
    const auto element = trim(raw);
    if (element.empty())
      return make_error(Errc::parse, "GTID position '{}': empty element (stray comma)", whole);
    auto gtid = MariadbGtid::parse(element);
    if (!gtid) return gtid.error().with_context("GTID position '{}'", whole);
    // MariaDB itself never prints two GTIDs of one domain; if we see it, the
    // text was assembled wrongly and "which one wins" would be a guess.
    const auto [it, inserted] = position.m_by_domain.emplace(gtid->domain, *gtid);
    if (!inserted)
      return make_error(Errc::parse, "GTID position '{}': domain {} appears twice ('{}' and '{}')", whole,
                        gtid->domain, it->second.to_string(), gtid->to_string());
  }
  return position;
}

void GtidPosition::set(const MariadbGtid& gtid) { m_by_domain[gtid.domain] = gtid; }

std::optional<MariadbGtid> GtidPosition::get(uint32_t domain) const {
  const auto it = m_by_domain.find(domain);
  if (it == m_by_domain.end()) return std::nullopt;
  return it->second;
}

std::vector<MariadbGtid> GtidPosition::gtids() const {
  std::vector<MariadbGtid> out;
  out.reserve(m_by_domain.size());
  for (const auto& [domain, gtid] : m_by_domain) out.push_back(gtid);
  return out;
}

std::vector<GtidPosition::DomainComparison> GtidPosition::compare(const GtidPosition& other) const {
  std::vector<DomainComparison> out;
  auto mine = m_by_domain.begin();
  auto theirs = other.m_by_domain.begin();
  while (mine != m_by_domain.end() || theirs != other.m_by_domain.end()) {
    DomainComparison c;
    if (theirs == other.m_by_domain.end() || (mine != m_by_domain.end() && mine->first < theirs->first)) {
      c = {mine->first, mine->second, std::nullopt, Ahead::this_ahead};
      ++mine;
    } else if (mine == m_by_domain.end() || theirs->first < mine->first) {
      c = {theirs->first, std::nullopt, theirs->second, Ahead::other_ahead};
      ++theirs;
    } else {
      const auto& a = mine->second;
      const auto& b = theirs->second;
      Ahead ahead = Ahead::equal;
      if (a.seq > b.seq)
        ahead = Ahead::this_ahead;
      else if (a.seq < b.seq)
        ahead = Ahead::other_ahead;
      else if (a.server_id != b.server_id)
        ahead = Ahead::diverged;
      c = {mine->first, a, b, ahead};
      ++mine;
      ++theirs;
    }
    out.push_back(c);
  }
  return out;
}

bool GtidPosition::includes(const GtidPosition& other) const {
  for (const auto& c : compare(other))
    if (c.ahead == Ahead::other_ahead || c.ahead == Ahead::diverged) return false;
  return true;
}

bool GtidPosition::is_ahead_of(const GtidPosition& other) const {
  bool strictly = false;
  for (const auto& c : compare(other)) {
    if (c.ahead == Ahead::other_ahead || c.ahead == Ahead::diverged) return false;
    if (c.ahead == Ahead::this_ahead) strictly = true;
  }
  return strictly;
}

GtidPosition GtidPosition::errant_against(const GtidPosition& master) const {
  // Anything where this replica is ahead or diverged. Note for callers: read
  // the master's position AFTER the replica's, or a write landing between
  // the two reads makes a healthy replica look ahead of a stale master read.
  GtidPosition errant;
  for (const auto& c : compare(master))
    if (c.ahead == Ahead::this_ahead || c.ahead == Ahead::diverged) errant.set(*c.mine);
  return errant;
}

uint64_t GtidPosition::transactions_behind(const GtidPosition& ahead) const {
  uint64_t total = 0;
  for (const auto& [domain, theirs] : ahead.m_by_domain) {
    const auto it = m_by_domain.find(domain);
    const uint64_t mine = it == m_by_domain.end() ? 0 : it->second.seq;
    if (theirs.seq > mine) total = saturating_add(total, theirs.seq - mine);
  }
  return total;
}

std::string GtidPosition::to_string() const {
  std::string out;
  for (const auto& [domain, gtid] : m_by_domain) {
    if (!out.empty()) out += ',';
    out += gtid.to_string();
  }
  return out;
}

}  // namespace mha

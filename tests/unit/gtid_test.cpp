// GTID algebra: MySQL GTID sets and MariaDB GTID positions (common/gtid.h).
#include "common/gtid.h"

#include <catch2/catch.hpp>

using namespace mha;

namespace {

constexpr const char* k_a = "28c4b399-1af4-11ee-9051-080027745082";
constexpr const char* k_b = "36689b3d-1af9-11ee-b57a-08002765ff81";
constexpr const char* k_c = "bbd4275f-1af0-11ee-911e-0800278b8ad6";

GtidSet set(std::string_view text) {
  auto parsed = GtidSet::parse(text);
  INFO("parsing '" << text << "'");
  REQUIRE(parsed);
  return *parsed;
}

std::string parse_error(std::string_view text) {
  auto parsed = GtidSet::parse(text);
  INFO("parsing '" << text << "'");
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().code == Errc::parse);
  return parsed.error().message;
}

std::string canon(std::string_view text) { return set(text).to_string(); }

GtidPosition pos(std::string_view text) {
  auto parsed = GtidPosition::parse(text);
  INFO("parsing '" << text << "'");
  REQUIRE(parsed);
  return *parsed;
}

std::string pos_error(std::string_view text) {
  auto parsed = GtidPosition::parse(text);
  INFO("parsing '" << text << "'");
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().code == Errc::parse);
  return parsed.error().message;
}

}  // namespace

// ---------------------------------------------------------------------------
// MySQL GtidSet: parse / print
// ---------------------------------------------------------------------------

TEST_CASE("empty GTID set text is the empty set", "[gtid]") {
  for (const auto* text : {"", "   ", "\n", " \t\r\n "}) {
    const auto s = set(text);
    CHECK(s.empty());
    CHECK(s.count() == 0);
    CHECK(s.to_string() == "");
    CHECK(s == GtidSet{});
  }
}

TEST_CASE("GTID set round trips through canonical text", "[gtid]") {
  const std::string one = fmt::format("{}:1-5", k_a);
  const std::string gaps = fmt::format("{}:1-5:7-9:11", k_a);
  const std::string multi = fmt::format("{}:1-25,{}:1-24,{}:1-12", k_a, k_b, k_c);
  for (const auto& text : {one, gaps, multi}) {
    CHECK(canon(text) == text);
    CHECK(canon(canon(text)) == text);
  }
}

TEST_CASE("GTID set single numbers and ranges", "[gtid]") {
  CHECK(canon(fmt::format("{}:5", k_a)) == fmt::format("{}:5", k_a));
  CHECK(canon(fmt::format("{}:5-5", k_a)) == fmt::format("{}:5", k_a));
  CHECK(set(fmt::format("{}:5", k_a)).count() == 1);
  CHECK(set(fmt::format("{}:1-5:7-9", k_a)).count() == 8);
  CHECK(set(fmt::format("{}:9223372036854775807", k_a)).count() == 1);
}

TEST_CASE("GTID set parses the server's multi-line output", "[gtid]") {
  // Executed_Gtid_Set / @@gtid_executed put a newline after each comma.
  const std::string text = fmt::format("{}:1-25,\n{}:1-24,\n{}:1-12", k_a, k_b, k_c);
  const auto s = set(text);
  CHECK(s.to_string() == fmt::format("{}:1-25,{}:1-24,{}:1-12", k_a, k_b, k_c));
  CHECK(s.count() == 25 + 24 + 12);
  CHECK(s.uuids() == std::vector<std::string>{k_a, k_b, k_c});

  SECTION("and whitespace around every token") {
    const std::string spaced = fmt::format("  {} : 1-25 : 27 ,\r\n\t{}:1-24 \n", k_a, k_b);
    CHECK(canon(spaced) == fmt::format("{}:1-25:27,{}:1-24", k_a, k_b));
  }
}

TEST_CASE("GTID set normalizes uuid case and sorts uuids", "[gtid]") {
  const std::string upper = "BBD4275F-1AF0-11EE-911E-0800278B8AD6:1-3";
  CHECK(canon(upper) == fmt::format("{}:1-3", k_c));
  CHECK(set(upper) == set(fmt::format("{}:1-3", k_c)));
  CHECK(canon(fmt::format("{}:1,{}:2,{}:3", k_c, k_a, k_b)) == fmt::format("{}:2,{}:3,{}:1", k_a, k_b, k_c));
}

TEST_CASE("GTID set merges touching and overlapping intervals", "[gtid]") {
  SECTION("touching") { CHECK(canon(fmt::format("{}:1-5:6-9", k_a)) == fmt::format("{}:1-9", k_a)); }
  SECTION("overlapping") { CHECK(canon(fmt::format("{}:1-5:3-9", k_a)) == fmt::format("{}:1-9", k_a)); }
  SECTION("contained") { CHECK(canon(fmt::format("{}:1-10:3-4", k_a)) == fmt::format("{}:1-10", k_a)); }
  SECTION("unsorted") { CHECK(canon(fmt::format("{}:7-9:1-5", k_a)) == fmt::format("{}:1-5:7-9", k_a)); }
  SECTION("single numbers joining") { CHECK(canon(fmt::format("{}:3:1:2", k_a)) == fmt::format("{}:1-3", k_a)); }
  SECTION("same uuid in two elements") {
    CHECK(canon(fmt::format("{}:1-5,{}:1-2,{}:6-8", k_a, k_b, k_a)) == fmt::format("{}:1-8,{}:1-2", k_a, k_b));
  }
  SECTION("a gap of one stays") { CHECK(canon(fmt::format("{}:1-5:7-9", k_a)) == fmt::format("{}:1-5:7-9", k_a)); }
  SECTION("duplicates") { CHECK(set(fmt::format("{}:1-5:1-5:5", k_a)).count() == 5); }
}

TEST_CASE("GTID set with MySQL 8.4 tags", "[gtid]") {
  const auto s = set(fmt::format("{}:1-5:Tag_B:3:tag_a:1-2:4,{}:9", k_a, k_b));
  // Untagged first, then tags sorted, tags lowercased.
  CHECK(s.to_string() == fmt::format("{}:1-5:tag_a:1-2:4:tag_b:3,{}:9", k_a, k_b));
  CHECK(s.count() == 5 + 3 + 1 + 1);
  CHECK(s.contains(k_a, 3));
  CHECK(s.contains(k_a, 3, "tag_b"));
  CHECK(s.contains(k_a, 3, "TAG_B"));
  CHECK_FALSE(s.contains(k_a, 5, "tag_a"));
  CHECK(s.intervals(k_a, "tag_a") == std::vector<GtidSet::Interval>{{1, 2}, {4, 4}});
  CHECK(canon(s.to_string()) == s.to_string());

  SECTION("tagged and untagged transactions are different transactions") {
    const auto untagged = set(fmt::format("{}:3", k_a));
    const auto tagged = set(fmt::format("{}:tag_b:3", k_a));
    CHECK_FALSE(untagged == tagged);
    CHECK(untagged.union_with(tagged).count() == 2);
    CHECK(tagged.subtract(untagged) == tagged);
  }
  SECTION("a uuid with only tagged intervals") {
    CHECK(canon(fmt::format("{}:x:1-3", k_a)) == fmt::format("{}:x:1-3", k_a));
  }
  SECTION("a tag of 32 characters is allowed") {
    const std::string tag(32, 't');
    CHECK(canon(fmt::format("{}:{}:1", k_a, tag)) == fmt::format("{}:{}:1", k_a, tag));
  }
}

TEST_CASE("malformed GTID sets name the bad token", "[gtid]") {
  SECTION("bad uuid") {
    CHECK(parse_error("zzd4275f-1af0-11ee-911e-0800278b8ad6:1-5") ==
          "GTID set: bad uuid 'zzd4275f-1af0-11ee-911e-0800278b8ad6' in "
          "'zzd4275f-1af0-11ee-911e-0800278b8ad6:1-5'");
    CHECK(parse_error("bbd4275f1af011ee911e0800278b8ad6:1") ==
          "GTID set: bad uuid 'bbd4275f1af011ee911e0800278b8ad6' in 'bbd4275f1af011ee911e0800278b8ad6:1'");
    CHECK(parse_error("bbd4275f-1af0-11ee-911e-0800278b8ad:1") ==
          "GTID set: bad uuid 'bbd4275f-1af0-11ee-911e-0800278b8ad' in 'bbd4275f-1af0-11ee-911e-0800278b8ad:1'");
    CHECK(parse_error("1-5") == "GTID set: bad uuid '1-5' in '1-5'");
  }
  SECTION("uuid without numbers") {
    CHECK(parse_error(k_a) == fmt::format("GTID set: no transaction numbers after uuid in '{}'", k_a));
  }
  SECTION("empty interval") {
    CHECK(parse_error(fmt::format("{}:", k_a)) == fmt::format("GTID set: empty interval in '{}:'", k_a));
    CHECK(parse_error(fmt::format("{}:1::3", k_a)) == fmt::format("GTID set: empty interval in '{}:1::3'", k_a));
  }
  SECTION("end before start") {
    CHECK(parse_error(fmt::format("{}:5-3", k_a)) ==
          fmt::format("GTID set: bad interval '5-3' in '{}:5-3': end before start", k_a));
  }
  SECTION("zero") {
    CHECK(parse_error(fmt::format("{}:0-3", k_a)) ==
          fmt::format("GTID set: bad interval '0-3' in '{}:0-3': transaction numbers start at 1", k_a));
    CHECK(parse_error(fmt::format("{}:0", k_a)) ==
          fmt::format("GTID set: bad interval '0' in '{}:0': transaction numbers start at 1", k_a));
  }
  SECTION("not a number") {
    CHECK(parse_error(fmt::format("{}:1-x", k_a)) ==
          fmt::format("GTID set: bad interval '1-x' in '{}:1-x': expected N or N-M", k_a));
    CHECK(parse_error(fmt::format("{}:1-2-3", k_a)) ==
          fmt::format("GTID set: bad interval '1-2-3' in '{}:1-2-3': expected N or N-M", k_a));
    CHECK(parse_error(fmt::format("{}:1-", k_a)) ==
          fmt::format("GTID set: bad interval '1-' in '{}:1-': expected N or N-M", k_a));
    CHECK(parse_error(fmt::format("{}:-5", k_a)) ==
          fmt::format("GTID set: bad interval or tag '-5' in '{}:-5'", k_a));
    CHECK(parse_error(fmt::format("{}:1 5", k_a)) ==
          fmt::format("GTID set: bad interval '1 5' in '{}:1 5': expected N or N-M", k_a));
  }
  SECTION("number too large") {
    // 2^63 is one past MySQL's largest gno; 2^64 does not even fit uint64.
    CHECK(parse_error(fmt::format("{}:9223372036854775808", k_a)) ==
          fmt::format("GTID set: bad interval '9223372036854775808' in '{}:9223372036854775808': number too large",
                      k_a));
    CHECK(parse_error(fmt::format("{}:1-18446744073709551616", k_a)) ==
          fmt::format("GTID set: bad interval '1-18446744073709551616' in '{}:1-18446744073709551616': "
                      "number too large",
                      k_a));
  }
  SECTION("stray commas") {
    CHECK(parse_error(fmt::format("{}:1,,{}:2", k_a, k_b)) ==
          fmt::format("GTID set: empty element (stray comma) in '{}:1,,{}:2'", k_a, k_b));
    CHECK(parse_error(fmt::format("{}:1,", k_a)) ==
          fmt::format("GTID set: empty element (stray comma) in '{}:1,'", k_a));
    CHECK(parse_error(",") == "GTID set: empty element (stray comma) in ','");
  }
  SECTION("bad tags") {
    CHECK(parse_error(fmt::format("{}:tag", k_a)) ==
          fmt::format("GTID set: tag 'tag' without transaction numbers in '{}:tag'", k_a));
    CHECK(parse_error(fmt::format("{}:a:b:1", k_a)) ==
          fmt::format("GTID set: tag 'a' without transaction numbers in '{}:a:b:1'", k_a));
    CHECK(parse_error(fmt::format("{}:ta-g:1", k_a)) ==
          fmt::format("GTID set: bad interval or tag 'ta-g' in '{}:ta-g:1'", k_a));
    const std::string long_tag(33, 't');
    CHECK(parse_error(fmt::format("{}:{}:1", k_a, long_tag)) ==
          fmt::format("GTID set: bad interval or tag '{}' in '{}:{}:1'", long_tag, k_a, long_tag));
  }
  SECTION("MariaDB text is not a MySQL set") { CHECK(parse_error("0-1-100") == "GTID set: bad uuid '0-1-100' in '0-1-100'"); }
}

// ---------------------------------------------------------------------------
// MySQL GtidSet: algebra
// ---------------------------------------------------------------------------

TEST_CASE("GTID set union", "[gtid]") {
  const auto a = set(fmt::format("{}:1-5", k_a));
  const auto b = set(fmt::format("{}:6-9:20,{}:1-3", k_a, k_b));
  const auto u = a.union_with(b);
  CHECK(u.to_string() == fmt::format("{}:1-9:20,{}:1-3", k_a, k_b));
  CHECK(u == b.union_with(a));
  CHECK(u.count() == 13);
  CHECK(a.union_with(GtidSet{}) == a);
  CHECK(GtidSet{}.union_with(a) == a);
  CHECK(a.union_with(a) == a);
  // Inputs untouched.
  CHECK(a.to_string() == fmt::format("{}:1-5", k_a));
}

TEST_CASE("GTID set subtract", "[gtid]") {
  const auto base = set(fmt::format("{}:1-20,{}:1-5", k_a, k_b));
  SECTION("middle hole") {
    CHECK(base.subtract(set(fmt::format("{}:5-9", k_a))).to_string() == fmt::format("{}:1-4:10-20,{}:1-5", k_a, k_b));
  }
  SECTION("prefix and suffix") {
    CHECK(base.subtract(set(fmt::format("{}:1-3:18-25", k_a))).to_string() ==
          fmt::format("{}:4-17,{}:1-5", k_a, k_b));
  }
  SECTION("several holes in one interval") {
    CHECK(base.subtract(set(fmt::format("{}:2:4:6-7:19", k_a))).to_string() ==
          fmt::format("{}:1:3:5:8-18:20,{}:1-5", k_a, k_b));
  }
  SECTION("one subtrahend spanning several intervals") {
    const auto gappy = set(fmt::format("{}:1-3:5-7:9-11", k_a));
    CHECK(gappy.subtract(set(fmt::format("{}:2-10", k_a))).to_string() == fmt::format("{}:1:11", k_a));
  }
  SECTION("whole uuid removed disappears from the text") {
    CHECK(base.subtract(set(fmt::format("{}:1-5", k_b))).to_string() == fmt::format("{}:1-20", k_a));
  }
  SECTION("everything") {
    CHECK(base.subtract(base).empty());
    CHECK(base.subtract(set(fmt::format("{}:1-100,{}:1-100", k_a, k_b))).empty());
  }
  SECTION("nothing in common") {
    CHECK(base.subtract(set(fmt::format("{}:1-100,{}:21-30", k_c, k_a))) == base);
    CHECK(base.subtract(GtidSet{}) == base);
    CHECK(GtidSet{}.subtract(base).empty());
  }
  SECTION("the seed's replica against its master") {
    // slave2 has everything; the master lacks what slave1 wrote while it was
    // briefly master: those transactions are the errant set.
    const auto replica = set(fmt::format("{}:1-25,\n{}:1-24,\n{}:1-12", k_a, k_b, k_c));
    const auto master = set(fmt::format("{}:1-25,{}:1-12", k_a, k_c));
    const auto errant = replica.subtract(master);
    CHECK(errant.to_string() == fmt::format("{}:1-24", k_b));
    CHECK(errant.count() == 24);
  }
}

TEST_CASE("GTID set intersect", "[gtid]") {
  const auto a = set(fmt::format("{}:1-10:20-30,{}:1-5", k_a, k_b));
  const auto b = set(fmt::format("{}:5-25,{}:1-5", k_a, k_c));
  CHECK(a.intersect(b).to_string() == fmt::format("{}:5-10:20-25", k_a));
  CHECK(a.intersect(b) == b.intersect(a));
  CHECK(a.intersect(GtidSet{}).empty());
  CHECK(a.intersect(a) == a);
}

TEST_CASE("GTID set contains", "[gtid]") {
  const auto big = set(fmt::format("{}:1-25,{}:1-24", k_a, k_b));
  CHECK(big.contains(set(fmt::format("{}:3-7", k_a))));
  CHECK(big.contains(set(fmt::format("{}:1-25", k_a))));
  CHECK(big.contains(big));
  CHECK(big.contains(GtidSet{}));
  CHECK(GtidSet{}.contains(GtidSet{}));
  CHECK_FALSE(GtidSet{}.contains(big));
  CHECK_FALSE(big.contains(set(fmt::format("{}:25-26", k_a))));
  CHECK_FALSE(big.contains(set(fmt::format("{}:1", k_c))));
  CHECK_FALSE(set(fmt::format("{}:1-5:7-9", k_a)).contains(set(fmt::format("{}:1-9", k_a))));

  SECTION("single transactions") {
    CHECK(big.contains(k_a, 1));
    CHECK(big.contains(k_a, 25));
    CHECK_FALSE(big.contains(k_a, 26));
    CHECK_FALSE(big.contains(k_c, 1));
    CHECK(big.contains("28C4B399-1AF4-11EE-9051-080027745082", 3));
  }
}

TEST_CASE("GTID set add, count and equality", "[gtid]") {
  GtidSet s;
  s.add(k_b, 3);
  s.add(k_b, GtidSet::Interval{4, 10});
  s.add(k_a, 1);
  CHECK(s.to_string() == fmt::format("{}:1,{}:3-10", k_a, k_b));
  CHECK(s.count() == 9);
  CHECK(s == set(fmt::format("{}:3-10,{}:1", k_b, k_a)));
  CHECK_FALSE(s == set(fmt::format("{}:3-11,{}:1", k_b, k_a)));
  CHECK_FALSE(s.empty());

  SECTION("count saturates instead of wrapping") {
    GtidSet huge;
    huge.add(k_a, GtidSet::Interval{1, GtidSet::k_max_gno});
    huge.add(k_b, GtidSet::Interval{1, GtidSet::k_max_gno});
    huge.add(k_c, GtidSet::Interval{1, GtidSet::k_max_gno});
    CHECK(huge.count() == std::numeric_limits<uint64_t>::max());
  }
}

// ---------------------------------------------------------------------------
// MariaDB
// ---------------------------------------------------------------------------

TEST_CASE("MariaDB GTID parse and print", "[gtid]") {
  auto g = MariadbGtid::parse("0-1-100");
  REQUIRE(g);
  CHECK(*g == MariadbGtid{0, 1, 100});
  CHECK(g->to_string() == "0-1-100");
  auto max = MariadbGtid::parse("4294967295-4294967295-18446744073709551615");
  REQUIRE(max);
  CHECK(max->to_string() == "4294967295-4294967295-18446744073709551615");

  const auto error = [](std::string_view text) {
    auto r = MariadbGtid::parse(text);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::parse);
    return r.error().message;
  };
  CHECK(error("0-1") == "bad MariaDB GTID '0-1': expected domain-server_id-seq");
  CHECK(error("0-1-2-3") == "bad MariaDB GTID '0-1-2-3': expected domain-server_id-seq");
  CHECK(error("") == "bad MariaDB GTID '': expected domain-server_id-seq");
  CHECK(error("x-1-2") == "bad MariaDB GTID 'x-1-2': domain 'x' is not a number up to 4294967295");
  CHECK(error("4294967296-1-2") ==
        "bad MariaDB GTID '4294967296-1-2': domain '4294967296' is not a number up to 4294967295");
  CHECK(error("0--2") == "bad MariaDB GTID '0--2': server_id '' is not a number up to 4294967295");
  CHECK(error("0-1-18446744073709551616") ==
        "bad MariaDB GTID '0-1-18446744073709551616': seq '18446744073709551616' is not a 64-bit unsigned number");
  CHECK(error("0-1-+5") == "bad MariaDB GTID '0-1-+5': seq '+5' is not a 64-bit unsigned number");
}

TEST_CASE("MariaDB GTID position parse and print", "[gtid]") {
  SECTION("empty") {
    for (const auto* text : {"", "  ", "\n"}) {
      const auto p = pos(text);
      CHECK(p.empty());
      CHECK(p.size() == 0);
      CHECK(p.to_string() == "");
    }
  }
  SECTION("sorted by domain, whitespace tolerated") {
    const auto p = pos(" 2-3-7 ,\n0-1-100, 1-2-55 ");
    CHECK(p.to_string() == "0-1-100,1-2-55,2-3-7");
    CHECK(p.size() == 3);
    CHECK(p.get(1) == MariadbGtid{1, 2, 55});
    CHECK_FALSE(p.get(9));
    CHECK(p.gtids() == std::vector<MariadbGtid>{{0, 1, 100}, {1, 2, 55}, {2, 3, 7}});
    CHECK(pos(p.to_string()) == p);
  }
  SECTION("duplicate domains are rejected") {
    CHECK(pos_error("0-1-100,0-2-101") == "GTID position '0-1-100,0-2-101': domain 0 appears twice ('0-1-100' and '0-2-101')");
    CHECK(pos_error("0-1-100,1-1-5,0-1-100") ==
          "GTID position '0-1-100,1-1-5,0-1-100': domain 0 appears twice ('0-1-100' and '0-1-100')");
  }
  SECTION("malformed elements are named") {
    CHECK(pos_error("0-1-100,abc") == "GTID position '0-1-100,abc': bad MariaDB GTID 'abc': expected domain-server_id-seq");
    CHECK(pos_error("0-1-100,,1-2-3") == "GTID position '0-1-100,,1-2-3': empty element (stray comma)");
    CHECK(pos_error("0-1-100,") == "GTID position '0-1-100,': empty element (stray comma)");
    CHECK(pos_error(fmt::format("{}:1-5", k_a)) ==
          fmt::format("GTID position '{}:1-5': bad MariaDB GTID '{}:1-5': expected domain-server_id-seq", k_a, k_a));
  }
  SECTION("set replaces the domain's GTID") {
    auto p = pos("0-1-100");
    p.set({0, 2, 101});
    p.set({5, 2, 1});
    CHECK(p.to_string() == "0-2-101,5-2-1");
  }
}

TEST_CASE("MariaDB per-domain comparison", "[gtid]") {
  using Ahead = GtidPosition::Ahead;
  const auto replica = pos("0-1-100,1-2-50,3-1-7,4-9-9");
  const auto master = pos("0-1-90,1-2-60,2-2-1,4-8-9");
  const auto cmp = replica.compare(master);
  REQUIRE(cmp.size() == 5);
  CHECK(cmp[0] == GtidPosition::DomainComparison{0, MariadbGtid{0, 1, 100}, MariadbGtid{0, 1, 90}, Ahead::this_ahead});
  CHECK(cmp[1] == GtidPosition::DomainComparison{1, MariadbGtid{1, 2, 50}, MariadbGtid{1, 2, 60}, Ahead::other_ahead});
  CHECK(cmp[2] == GtidPosition::DomainComparison{2, std::nullopt, MariadbGtid{2, 2, 1}, Ahead::other_ahead});
  CHECK(cmp[3] == GtidPosition::DomainComparison{3, MariadbGtid{3, 1, 7}, std::nullopt, Ahead::this_ahead});
  CHECK(cmp[4] == GtidPosition::DomainComparison{4, MariadbGtid{4, 9, 9}, MariadbGtid{4, 8, 9}, Ahead::diverged});

  CHECK(pos("0-1-5").compare(pos("0-1-5")) ==
        std::vector<GtidPosition::DomainComparison>{{0, MariadbGtid{0, 1, 5}, MariadbGtid{0, 1, 5}, Ahead::equal}});
  CHECK(GtidPosition{}.compare(GtidPosition{}).empty());
}

TEST_CASE("MariaDB ahead, behind and includes", "[gtid]") {
  const auto behind = pos("0-1-100");
  const auto ahead = pos("0-1-105");
  CHECK(ahead.is_ahead_of(behind));
  CHECK_FALSE(behind.is_ahead_of(ahead));
  CHECK(ahead.includes(behind));
  CHECK_FALSE(behind.includes(ahead));

  SECTION("equal is included but not ahead") {
    CHECK(ahead.includes(ahead));
    CHECK_FALSE(ahead.is_ahead_of(ahead));
  }
  SECTION("an extra domain is ahead") {
    const auto more = pos("0-1-100,1-3-1");
    CHECK(more.is_ahead_of(behind));
    CHECK(more.includes(behind));
    CHECK_FALSE(behind.includes(more));
  }
  SECTION("ahead in one domain, behind in another: neither") {
    const auto x = pos("0-1-105,1-2-10");
    const auto y = pos("0-1-100,1-2-20");
    CHECK_FALSE(x.is_ahead_of(y));
    CHECK_FALSE(y.is_ahead_of(x));
    CHECK_FALSE(x.includes(y));
    CHECK_FALSE(y.includes(x));
  }
  SECTION("same seq from another server is not included") {
    const auto x = pos("0-1-100");
    const auto y = pos("0-2-100");
    CHECK_FALSE(x.includes(y));
    CHECK_FALSE(y.includes(x));
    CHECK_FALSE(x.is_ahead_of(y));
  }
  SECTION("a higher seq from another server still counts as ahead") {
    // After a failover the new master continues the domain's numbering.
    CHECK(pos("0-2-101").is_ahead_of(pos("0-1-100")));
  }
  SECTION("the empty position") {
    CHECK(ahead.includes(GtidPosition{}));
    CHECK(ahead.is_ahead_of(GtidPosition{}));
    CHECK(GtidPosition{}.includes(GtidPosition{}));
    CHECK_FALSE(GtidPosition{}.is_ahead_of(GtidPosition{}));
    CHECK_FALSE(GtidPosition{}.includes(ahead));
  }
}

TEST_CASE("MariaDB transactions behind", "[gtid]") {
  CHECK(pos("0-1-100").transactions_behind(pos("0-1-105")) == 5);
  CHECK(pos("0-1-105").transactions_behind(pos("0-1-100")) == 0);
  CHECK(pos("0-1-100,1-2-10").transactions_behind(pos("0-1-103,1-2-14")) == 7);
  // Ahead in one domain does not offset behind in another.
  CHECK(pos("0-1-200,1-2-10").transactions_behind(pos("0-1-103,1-2-14")) == 4);
  // A domain missing here counts from 0; a domain only here is ignored.
  CHECK(pos("0-1-100").transactions_behind(pos("0-1-100,2-5-8")) == 8);
  CHECK(pos("0-1-100,7-7-7").transactions_behind(pos("0-1-100")) == 0);
  CHECK(GtidPosition{}.transactions_behind(GtidPosition{}) == 0);
  CHECK(pos("0-1-0,1-1-0").transactions_behind(pos("0-1-18446744073709551615,1-1-18446744073709551615")) ==
        std::numeric_limits<uint64_t>::max());
}

TEST_CASE("MariaDB errant detection", "[gtid]") {
  const auto master = pos("0-1-100,1-2-50");
  SECTION("none: replica behind or equal") {
    CHECK(pos("0-1-100,1-2-50").errant_against(master).empty());
    CHECK(pos("0-1-90").errant_against(master).empty());
    CHECK(GtidPosition{}.errant_against(master).empty());
  }
  SECTION("higher seq in a domain") {
    CHECK(pos("0-3-101,1-2-50").errant_against(master).to_string() == "0-3-101");
  }
  SECTION("domain unknown to the master") {
    CHECK(pos("0-1-100,1-2-50,5-3-1").errant_against(master).to_string() == "5-3-1");
    CHECK(pos("5-3-1").errant_against(GtidPosition{}).to_string() == "5-3-1");
  }
  SECTION("same seq written by another server") {
    CHECK(pos("0-3-100").errant_against(master).to_string() == "0-3-100");
  }
  SECTION("several at once, sorted by domain") {
    CHECK(pos("9-3-1,0-1-120,1-2-40").errant_against(master).to_string() == "0-1-120,9-3-1");
  }
}

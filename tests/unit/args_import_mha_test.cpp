// mhactl import-mha's command line (ctl/args.cpp), in a file of its own so
// that it stays next to the import's tests.
#include <catch2/catch.hpp>
#include <vector>

#include "ctl/args.h"
#include "ctl/help.h"

using namespace mha::ctl;

namespace {

ParseOutcome parse(std::vector<std::string_view> words) { return parse_args(words, std::nullopt); }

std::string usage_error(std::vector<std::string_view> words) {
  auto outcome = parse(std::move(words));
  if (std::holds_alternative<Args>(outcome)) FAIL("parsed without a usage error");
  const auto& error = std::get<UsageError>(outcome);
  return error.message + " / " + error.hint;
}

}  // namespace

TEST_CASE("mhactl import-mha FILE [--default PATH]", "[mhactl][import_mha]") {
  auto outcome = parse({"import-mha", "/etc/masterha/app1.cnf"});
  REQUIRE(std::holds_alternative<Args>(outcome));
  const Args& plain = std::get<Args>(outcome);
  CHECK(plain.command == Command::import_mha);
  CHECK(plain.mha_file == "/etc/masterha/app1.cnf");
  CHECK_FALSE(plain.mha_default.has_value());

  for (auto words : {std::vector<std::string_view>{"import-mha", "app1.cnf", "--default", "/etc/mha/default.cnf"},
                     std::vector<std::string_view>{"import-mha", "--default=/etc/mha/default.cnf", "app1.cnf"}}) {
    auto parsed = parse(words);
    REQUIRE(std::holds_alternative<Args>(parsed));
    CHECK(std::get<Args>(parsed).mha_file == "app1.cnf");
    CHECK(std::get<Args>(parsed).mha_default == std::optional<std::string>("/etc/mha/default.cnf"));
  }
  CHECK(command_name(Command::import_mha) == "import-mha");

  CHECK(usage_error({"import-mha"}) == "'import-mha' needs MHA's config file: mhactl import-mha /etc/masterha/app1.cnf "
                                       "/ run 'mhactl import-mha --help' for its options");
  CHECK(usage_error({"import-mha", "a.cnf", "b.cnf"}) ==
        "'import-mha' takes one argument, found 'b.cnf' too / run 'mhactl import-mha --help' for its options");
  CHECK(usage_error({"status", "--default", "x"}) ==
        "option '--default' applies to 'import-mha' only / run 'mhactl status --help' for its options");
  CHECK(usage_error({"import-mha", "a.cnf", "--json"}) ==
        "option '--json' does not apply to 'import-mha' / run 'mhactl import-mha --help' for its options");
  CHECK(usage_error({"import-mha", "a.cnf", "-c", "app1"}) ==
        "option '-c' does not apply to 'import-mha' / run 'mhactl import-mha --help' for its options");

  auto help = parse({"import-mha", "--help"});
  REQUIRE(std::holds_alternative<Args>(help));
  CHECK(std::get<Args>(help).help_topic == Command::import_mha);
  CHECK(command_help(Command::import_mha).starts_with("Usage: mhactl import-mha FILE [--default PATH]\n"));
  CHECK_THAT(overview_help(), Catch::Contains("\n  import-mha  FILE: "));
}

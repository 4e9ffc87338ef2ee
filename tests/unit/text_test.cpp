// common/text.h: trimming, one-line display, shell quoting.
#include "common/text.h"

#include <catch2/catch.hpp>

using namespace mha;

TEST_CASE("shell_quote makes one shell word", "[text]") {
  CHECK(shell_quote("/var/lib/mysql") == "'/var/lib/mysql'");
  CHECK(shell_quote("a b;rm -rf /") == "'a b;rm -rf /'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("") == "''");
}

TEST_CASE("shell_word leaves plain words alone and quotes the rest", "[text]") {
  CHECK(shell_word("192.168.3.100/24") == "192.168.3.100/24");
  CHECK(shell_word("enp0s3") == "enp0s3");
  CHECK(shell_word("") == "''");
  CHECK(shell_word("a b") == "'a b'");
  CHECK(shell_word("$(reboot)") == "'$(reboot)'");
}

TEST_CASE("trim, trim_slash and one_line", "[text]") {
  CHECK(trim(" \t 0-1-5\r\n") == "0-1-5");
  CHECK(trim(" \n").empty());
  CHECK(trim_slash("/var/lib/mysql//") == "/var/lib/mysql");
  CHECK(trim_slash("/") == "/");
  CHECK(one_line("a\nb\tc\x1b[31m\x7f") == "a b c?[31m?");
}

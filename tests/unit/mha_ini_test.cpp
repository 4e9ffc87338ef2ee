#include "ctl/import_mha/mha_ini.h"

#include <catch2/catch.hpp>

using namespace mha::ctl::import_mha;

namespace {

std::vector<std::string> texts(const Problems& problems) {
  std::vector<std::string> out;
  for (const Problem& p : problems.sorted()) out.push_back(Problems::format(p));
  return out;
}

}  // namespace

TEST_CASE("MHA ini: blocks, keys and values as MHA reads them", "[import_mha]") {
  Problems problems;
  const IniFile file = parse_mha_ini("# comment\n"
                                     "; also a comment\n"
                                     "[server default]\n"
                                     "  user = mha  \n"
                                     "shutdown_script=\"\"\n"
                                     "report_script='/usr/local/send_report'\r\n"
                                     "\n"
                                     "[ server1 ]\n"
                                     "hostname=192.168.3.74\n",
                                     "app1.cnf", problems);
  REQUIRE(texts(problems).empty());
  REQUIRE(file.sections.size() == 2);
  CHECK(file.sections[0].name == "server default");
  CHECK(file.sections[0].line == 3);
  REQUIRE(file.sections[0].entries.size() == 3);
  CHECK(file.sections[0].entries[0].key == "user");
  CHECK(file.sections[0].entries[0].value == "mha");
  CHECK(file.sections[0].entries[0].line == 4);
  CHECK(file.sections[0].entries[1].value.empty());
  CHECK(file.sections[0].entries[2].value == "/usr/local/send_report");
  CHECK(file.sections[1].name == "server1");
  CHECK(file.sections[1].entries[0].value == "192.168.3.74");
}

TEST_CASE("MHA ini: a comment after a value, behind tabs or full-width spaces, is not part of it",
          "[import_mha]") {
  Problems problems;
  const IniFile file = parse_mha_ini("[server default]\n"
                                     "password=manager\t\t\t#the password\n"
                                     "manager_log=/var/log/masterha/app1/manager.log\xE3\x80\x80\xE3\x80\x80#manager\n"
                                     "secondary_check_script=/usr/local/bin/masterha_secondary_check -s 192.168.3.70 "
                                     "-s 192.168.3.71\t#routes\n"
                                     "repl_password=ab#c\n"
                                     "ping_interval=1 ; Config::Tiny's own inline comment\n"
                                     "ssh_user= #nothing before the comment\n",
                                     "app1.cnf", problems);
  REQUIRE(texts(problems).empty());
  const auto& e = file.sections.at(0).entries;
  REQUIRE(e.size() == 6);
  CHECK(e[0].value == "manager");
  CHECK(e[1].value == "/var/log/masterha/app1/manager.log");
  CHECK(e[2].value == "/usr/local/bin/masterha_secondary_check -s 192.168.3.70 -s 192.168.3.71");
  CHECK(e[3].value == "ab#c");  // a '#' inside a word stays: passwords may hold one
  CHECK(e[4].value == "1");
  CHECK(e[5].value.empty());
}

TEST_CASE("MHA ini: keys before any block form a nameless section", "[import_mha]") {
  Problems problems;
  const IniFile file = parse_mha_ini("    ping_interval=1\n    [server1]\n    hostname=h1\n", "x.cnf", problems);
  REQUIRE(file.sections.size() == 2);
  CHECK(file.sections[0].name.empty());
  CHECK(file.sections[0].line == 1);
  CHECK(file.sections[1].name == "server1");
}

TEST_CASE("MHA ini: a key set twice and a block written twice are warnings, the later value wins", "[import_mha]") {
  Problems problems;
  const IniFile file =
      parse_mha_ini("[server1]\nport=3306\n[server2]\nport=1\n[server1]\nport=3307\n", "app1.cnf", problems);
  CHECK(texts(problems) == std::vector<std::string>{
                               "app1.cnf:5: warning: [server1] again (first at line 1): read as one block, later "
                               "values win, as in MHA",
                               "app1.cnf:6: warning: port: set again (first at line 2): this value wins, as in MHA"});
  REQUIRE(file.sections.size() == 2);
  REQUIRE(file.sections[0].entries.size() == 1);
  CHECK(file.sections[0].entries[0].value == "3307");
  CHECK(file.sections[0].entries[0].line == 6);
}

TEST_CASE("MHA ini: a line that is no KEY=VALUE is an error naming it and the fix", "[import_mha]") {
  Problems problems;
  parse_mha_ini("[server default]\n"
                "ping_interval 3\n"
                "ping_interval\xEF\xBC\x9D" "3\n"
                "password manager\n"
                "=3\n"
                "[server1\n"
                "hostname\xEF\xBC\x9A" "h1\n"
                "hostname: h1\n",
                "app1.cnf", problems);
  CHECK(texts(problems) ==
        std::vector<std::string>{
            "app1.cnf:2: expected KEY=VALUE, found \"ping_interval 3\"; write KEY=VALUE, a [section] header, or start "
            "the line with '#'",
            "app1.cnf:3: expected KEY=VALUE, found \"ping_interval\xEF\xBC\x9D" "3\"; the line has a full-width "
            "'\xEF\xBC\x9D' (U+FF1D) where MHA needs '=': replace it with '='",
            "app1.cnf:4: expected KEY=VALUE, found (a line with a password, not shown); write KEY=VALUE, a [section] "
            "header, or start the line with '#'",
            "app1.cnf:5: expected KEY=VALUE, found no key before '='; write KEY=VALUE, a [section] header, or start "
            "the line with '#'",
            "app1.cnf:6: expected a section header like [server1], found \"[server1\"; close it with ']'",
            "app1.cnf:7: expected KEY=VALUE, found \"hostname\xEF\xBC\x9A" "h1\"; the line has a full-width "
            "'\xEF\xBC\x9A' (U+FF1A) where MHA needs '=': replace it with '='",
            "app1.cnf:8: expected KEY=VALUE, found \"hostname: h1\"; MHA needs '=' between key and value, not ':'"});
  CHECK(problems.has_errors());
}

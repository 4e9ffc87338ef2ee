#include <catch2/catch.hpp>

#include "daemon/script_runner.h"

using namespace mha;
using namespace std::chrono_literals;

TEST_CASE("a configured command splits into argv, quotes kept together", "[script]") {
  CHECK(split_command("/usr/bin/masterha_secondary_check -s host1 -s 'host two'") ==
        std::vector<std::string>{"/usr/bin/masterha_secondary_check", "-s", "host1", "-s", "host two"});
  CHECK(split_command("  a   \"b c\"d  ") == std::vector<std::string>{"a", "b cd"});
  CHECK(split_command("").empty());
}

TEST_CASE("scripts report exit code and output; no shell interprets arguments", "[script]") {
  auto r = run_script({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, 5s);
  CHECK(r.started);
  CHECK(r.exit_code == 3);
  CHECK(r.output.find("out") != std::string::npos);
  CHECK(r.output.find("err") != std::string::npos);

  auto literal = run_script({"/bin/echo", "$(id)", ";", "rm -rf /"}, 5s);
  CHECK(literal.exit_code == 0);
  CHECK(literal.output == "$(id) ; rm -rf /\n");
}

TEST_CASE("a script that runs too long is killed with its children", "[script]") {
  auto start = std::chrono::steady_clock::now();
  auto r = run_script({"/bin/sh", "-c", "sleep 30 & sleep 30"}, 300ms);
  CHECK(r.timed_out);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("a missing script is reported, not run", "[script]") {
  auto r = run_script({"/nonexistent/check"}, 1s);
  CHECK_FALSE(r.started);
  CHECK(r.error == "cannot run '/nonexistent/check': No such file or directory");
}

TEST_CASE("a password passed as --*password=VALUE never comes back in the script's output", "[script]") {
  // As a secondary_check_script that echoes its arguments would, and one
  // that quotes it URL-encoded in an error.
  auto r = run_script({"/bin/sh", "-c", "echo \"args: $*\"; echo 'url: mysql://u:s%40cret@h' >&2", "sh",
                       "--master_host=db1", "--master_password=s@cret"},
                      5s);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("s@cret") == std::string::npos);
  CHECK(r.output.find("s%40cret") == std::string::npos);
  CHECK(r.output.find("--master_password=********") != std::string::npos);
  CHECK(r.output.find("mysql://u:********@h") != std::string::npos);
  CHECK(r.output.find("--master_host=db1") != std::string::npos);
}

TEST_CASE("a hook script's output is scrubbed of every secret of its cluster, not only those it was given",
          "[script]") {
  // As a report_script that reads the config (--conf) and prints it, or a
  // secondary_check_script quoting a server error with a CHANGE MASTER in it.
  ClusterConfig cluster;
  cluster.password = Secret("adm'in-pw");
  cluster.repl_password = Secret("repl\"pw\\x");
  auto r = run_script({"/bin/sh", "-c",
                       "echo \"args: $*\"; printf 'repl_password = %s\\n' 'repl\"pw\\x'; "
                       "echo \"MASTER_PASSWORD='repl\\\"pw\\\\\\\\x'\" >&2; echo \"{\\\"p\\\":\\\"adm'in-pw\\\"}\"",
                       "sh", "--master_password=adm'in-pw"},
                      5s, cluster);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("adm'in-pw") == std::string::npos);
  CHECK(r.output.find("repl\"pw") == std::string::npos);
  CHECK(r.output.find("pw\\x") == std::string::npos);
  CHECK(r.output.find("--master_password=********") != std::string::npos);
  CHECK(r.output.find("repl_password = ********\n") != std::string::npos);
  CHECK(r.output.find("MASTER_PASSWORD='********'") != std::string::npos);
  CHECK(r.output.find("{\"p\":\"********\"}") != std::string::npos);
  SECTION("the error text too") {
    ClusterConfig named;
    named.password = Secret("/nonexistent/s3cret-path");
    auto missing = run_script({"/nonexistent/s3cret-path"}, 1s, named);
    CHECK_FALSE(missing.started);
    CHECK(missing.error == "cannot run '********': No such file or directory");
  }
}

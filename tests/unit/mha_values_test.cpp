#include "ctl/import_mha/mha_values.h"

#include <catch2/catch.hpp>

using namespace mha::ctl::import_mha;

TEST_CASE("MHA values: hostnames and IPv4 addresses", "[import_mha]") {
  for (const char* good : {"192.168.3.74", "0.0.0.0", "255.255.255.255", "db1", "db-1.example.com", "db1.example.com.",
                           "mysql_server1", "::1", "fe80::1", "10.0.0.1a"})
    CHECK(convert_host(good).ok());
  CHECK(convert_host("192.168.3.74").toml == "\"192.168.3.74\"");

  CHECK(convert_host("192.1683.74").error ==
        "expected a hostname or an IPv4 address (four numbers 0-255), found \"192.1683.74\" (3 numbers where an IPv4 "
        "address has four); fix the address");
  CHECK(convert_host("192.168.3.256").error ==
        "expected a hostname or an IPv4 address (four numbers 0-255), found \"192.168.3.256\" ('256' is over 255); fix "
        "the address");
  CHECK(convert_host("192.168.03.74").error ==
        "expected a hostname or an IPv4 address (four numbers 0-255), found \"192.168.03.74\" ('03' has a leading zero "
        "(read as octal by some resolvers)); fix the address");
  CHECK(convert_host("192.168..74").error.find("an empty number between two dots") != std::string::npos);
  CHECK(convert_host("192.168.3.74.5").error.find("5 numbers where an IPv4 address has four") != std::string::npos);
  CHECK(convert_host("").error == "expected a hostname or an IPv4 address (four numbers 0-255), found none");
  CHECK(convert_host("db 1").error ==
        "expected a hostname or an IPv4 address (four numbers 0-255), found \"db 1\": a hostname is dot-separated "
        "labels of letters, digits and '-'; fix it");
  CHECK(!convert_host("-db").ok());
  CHECK(!convert_host("db..example").ok());
  CHECK(!convert_host("fe80::zz").ok());
  CHECK(convert_host("192.168.3.\xEF\xBC\x97\xEF\xBC\x94").error ==
        "expected a hostname or an IPv4 address (four numbers 0-255), found \"192.168.3.\xEF\xBC\x97\xEF\xBC\x94\" "
        "with full-width '\xEF\xBC\x97' (U+FF17); write the ASCII '7' instead");
}

TEST_CASE("MHA values: ports, seconds and flags", "[import_mha]") {
  CHECK(convert_port("3306").toml == "3306");
  CHECK(convert_port("65535").ok());
  CHECK(convert_port("0").error == "expected a port number from 1 to 65535, found \"0\"; write e.g. port=3306");
  CHECK(!convert_port("65536").ok());
  CHECK(!convert_port("33o6").ok());
  CHECK(convert_port("\xEF\xBC\x93\xEF\xBC\x93\xEF\xBC\x90\xEF\xBC\x96").error ==
        "expected a port number from 1 to 65535, found full-width '\xEF\xBC\x93' (U+FF13); write the ASCII '3' "
        "instead");

  CHECK(convert_seconds("1", 1).toml == "\"1s\"");
  CHECK(convert_seconds("30", 1).toml == "\"30s\"");
  CHECK(convert_seconds("0", 1).error ==
        "expected whole seconds of at least 1, like 3 (MHA's unit), found \"0\"; write a number without a unit");
  CHECK(!convert_seconds("3s", 1).ok());
  CHECK(!convert_seconds("1.5", 1).ok());

  CHECK(convert_flag("1").toml == "true");
  CHECK(convert_flag("0").toml == "false");
  CHECK(convert_flag("yes").error ==
        "expected 0 or 1, found \"yes\"; MHA reads any other text as 1, write 1 if that was meant, else 0");
}

TEST_CASE("MHA values: lists, names and enums", "[import_mha]") {
  CHECK(convert_dir_list(" /data/mysql/3109/log/,/data/mysql/3110/log/").toml ==
        "[\"/data/mysql/3109/log/\", \"/data/mysql/3110/log/\"]");
  CHECK(convert_dir_list("/var/lib/mysql/").toml == "[\"/var/lib/mysql/\"]");
  CHECK(!convert_dir_list(" , ").ok());
  CHECK(convert_ping_type("SELECT").toml == "\"select\"");
  CHECK(convert_ping_type("insert").toml == "\"insert\"");
  CHECK(convert_ping_type("PING").error == "expected SELECT, CONNECT or INSERT, found \"PING\"");
  CHECK(convert_log_level("DEBUG").toml == "\"debug\"");
  CHECK(!convert_log_level("critical").ok());
  CHECK(convert_text("root", true).toml == "\"root\"");
  CHECK(convert_text("\xEF\xBD\x92oot", true).error ==
        "expected an ASCII name, found \"\xEF\xBD\x92oot\" with full-width '\xEF\xBD\x92' (U+FF52); write the ASCII "
        "'r' instead");
  CHECK(convert_text("/opt/脚本/report", false).ok());  // a path may hold other characters
  CHECK(convert_text("/opt/\xBD\xC5/report", false).error ==  // GBK, not UTF-8
        "expected a path or command, found \"/opt/\xBD\xC5/report\" with the byte 0xBD, which is not UTF-8; convert "
        "the file, e.g. iconv -f GBK -t UTF-8");
  CHECK(convert_text("/usr/local/send_report\xE3\x80\x80-x", false).error ==
        "expected a path or command, found \"/usr/local/send_report\xE3\x80\x80-x\" with a full-width space (U+3000); "
        "use an ASCII space, or start a comment after the value with ' #'");
}

// Typed readers of config values: each takes a TOML node and the key's path
// for messages, reports a problem itself ("expected ..., found ...") and
// returns nullopt, or returns the value. Internal to common/config/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/config/report.h"

namespace mha::config_detail {

// Names that go on an mhactl command line: letters, digits, '-', '_', '.';
// not starting with '-' (it would read as an option).
bool is_valid_name(std::string_view name);
constexpr std::string_view k_name_expected = "a name of letters, digits, '-', '_' and '.', not starting with '-'";

// "a.b.c.d/nn" with every octet 0-255 (no leading zeros) and nn 1-32.
bool is_ipv4_cidr(std::string_view text);

// What a node holds, for "found ...". Secrets show the type only.
std::string describe(const toml::node& node, bool secret = false);
void type_error(FileReport& r, const toml::node& node, std::string_view key, std::string_view expected,
                bool secret = false);

std::optional<std::string> read_string(FileReport& r, const toml::node& node, std::string_view key);
std::optional<std::string> read_nonempty(FileReport& r, const toml::node& node, std::string_view key,
                                         std::string_view expected);
std::optional<std::string> read_path(FileReport& r, const toml::node& node, std::string_view key);
std::optional<bool> read_bool(FileReport& r, const toml::node& node, std::string_view key);
// An integer from min to max; a max of INT_MAX or more reads as "no upper bound".
std::optional<int64_t> read_int(FileReport& r, const toml::node& node, std::string_view key, int64_t min,
                                int64_t max, std::string_view what = "an integer");
std::optional<uint16_t> read_port(FileReport& r, const toml::node& node, std::string_view key);
// A duration string. A bare integer is what an MHA user writes
// (ping_interval=3, in seconds): refused, with the string to write instead.
std::optional<Duration> read_duration(FileReport& r, const toml::node& node, std::string_view key,
                                      bool positive);
// A size string, or an integer number of bytes.
std::optional<uint64_t> read_size(FileReport& r, const toml::node& node, std::string_view key);
// An array of strings, or MHA's comma-separated single string.
std::optional<std::vector<std::string>> read_dir_list(FileReport& r, const toml::node& node,
                                                      std::string_view key);
std::optional<PingType> read_ping_type(FileReport& r, const toml::node& node, std::string_view key);
std::optional<HostKeyChecking> read_host_key_checking(FileReport& r, const toml::node& node, std::string_view key);
// ssl_ca, ssl_cert, ssl_key: an absolute path, since the same path is opened
// on mhad's host and, in CHANGE MASTER, on the replica's host.
std::optional<std::string> read_tls_file(FileReport& r, const toml::node& node, std::string_view key);
// One of the MySQL client's --ssl-mode words, in any case.
std::optional<SslMode> read_ssl_mode(FileReport& r, const toml::node& node, std::string_view key);
std::optional<DataLossPolicy> read_data_loss_policy(FileReport& r, const toml::node& node, std::string_view key);
std::optional<LogLevel> read_log_level(FileReport& r, const toml::node& node, std::string_view key);
std::optional<std::string> read_name(FileReport& r, const toml::node& node, std::string_view key);
std::optional<std::string> read_host(FileReport& r, const toml::node& node, std::string_view key);
// "IPv4:port" for a listening socket ("127.0.0.1:9104"), or "" (off).
std::optional<std::string> read_listen_address(FileReport& r, const toml::node& node, std::string_view key);

// [daemon] coordination: "none" or "etcd", in any case.
std::optional<Coordination> read_coordination(FileReport& r, const toml::node& node, std::string_view key);
// [daemon] etcd_endpoints: an array of "http(s)://HOST:PORT".
std::optional<std::vector<std::string>> read_etcd_endpoints(FileReport& r, const toml::node& node,
                                                            std::string_view key);
std::optional<std::string> read_etcd_prefix(FileReport& r, const toml::node& node, std::string_view key);

}  // namespace mha::config_detail

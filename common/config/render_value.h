// How one config value is written back as TOML by --check-config: strings
// quoted, durations as format_duration, sizes as format_size, secrets masked.
// `shown<&ServerConfig::port>` renders one member; the key tables hold such
// functions so that the render walks the tables. Internal to common/config/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/config.h"

namespace mha::config_detail {

std::string toml_value(const std::string& text);
std::string toml_value(bool value);
std::string toml_value(int value);
std::string toml_value(uint16_t value);
std::string toml_value(Duration value);
std::string toml_value(const Secret& secret);  // "********", or "" when empty
std::string toml_value(PingType type);
std::string toml_value(DataLossPolicy policy);
std::string toml_value(HostKeyChecking mode);
std::string toml_value(SslMode mode);
std::string toml_value(LogLevel level);
std::string toml_value(Coordination mode);
std::string toml_value(const std::vector<std::string>& items);
std::string toml_size(uint64_t bytes);  // no overload: a uint64_t may be a count

template <class>
struct MemberOf;
template <class Owner, class Value>
struct MemberOf<Value Owner::*> {
  using type = Owner;
};

// Member's value as TOML, from the struct that holds it.
template <auto Member>
std::string shown(const typename MemberOf<decltype(Member)>::type& owner) {
  return toml_value(owner.*Member);
}

template <auto Member>
std::string shown_size(const typename MemberOf<decltype(Member)>::type& owner) {
  return toml_size(owner.*Member);
}

}  // namespace mha::config_detail

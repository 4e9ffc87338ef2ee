// journald MESSAGE_IDs, one fixed id per kind of event, so that operators
// can filter (`journalctl MESSAGE_ID=2670fc9aec694ea48f9aba22f586f68a`) and
// alerting can match without parsing text. Never change a published id.
#pragma once

#include <string_view>

namespace mha {

inline constexpr std::string_view k_message_master_seen = "f55a4567764d40c5b90164a0ba2265e2";
inline constexpr std::string_view k_message_master_suspect = "ef4870aa3cbf49e5b3fe479c90dfb864";
inline constexpr std::string_view k_message_server_state = "7876980f4df0470e935117eb241d4735";
inline constexpr std::string_view k_message_verdict_alive = "23ffa920be804de58bfbc82073cc114c";
inline constexpr std::string_view k_message_verdict_unreachable = "0fa8f66a3e4e423b8dbfce61695eaefd";
inline constexpr std::string_view k_message_verdict_dead = "2670fc9aec694ea48f9aba22f586f68a";
inline constexpr std::string_view k_message_verdict_dead_host = "7bc50d5f0dd74ac5afb51651d427a4cb";
inline constexpr std::string_view k_message_config_reloaded = "61b06391525149b39480cbea8d7b8bb8";
inline constexpr std::string_view k_message_config_refused = "6584b67f9c854abc96a0e301dbdbf319";
inline constexpr std::string_view k_message_topology = "5d0b4bd1c1a44b6f8f0e6e2b3c9a7d41";
inline constexpr std::string_view k_message_failover_start = "a1c4e7d05b3f4e0c9b8d6f2a7e5c3b19";
inline constexpr std::string_view k_message_failover_report = "3f9e2d7c1b8a4c6e95d0f4b2a6c8e1d7";
inline constexpr std::string_view k_message_switchover_report = "8c3d5e1f2a6b4d7e9f0a1b2c3d4e5f60";
inline constexpr std::string_view k_message_rejoin_report = "b7e2a4c6d8f04a1b9c3e5d7f9a1b3c5d";
inline constexpr std::string_view k_message_maintenance = "4d6f8a0b2c4e4f6a8b0c2d4e6f8a0b2c";
inline constexpr std::string_view k_message_state_corrupt = "e4abc6c3cc954260a283722dee64b07b";

}  // namespace mha

// Text in and out, for the config loader and --check-config: reading a
// file, quoting TOML strings and keys, case folding, "did you mean"
// suggestions, comment-safe text. Internal to common/config/.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mha::config_detail {

// A TOML basic string: also how values are quoted in messages.
std::string toml_string(std::string_view text);

// A bare key when it can be one, else a quoted key.
std::string toml_key(std::string_view key);

// ASCII lower case (TOML keys and enum values are ASCII).
std::string lowercase(std::string_view text);

// The closest of `candidates` to `key` if it is close enough to be a typo:
// distance <= 2 (<= 1 for keys of three letters or fewer), ignoring case.
// On a tie the candidate listed first wins.
std::optional<std::string_view> closest_key(std::string_view key, const std::vector<std::string_view>& candidates);

// The whole content of a file, or nullopt with `error` set to strerror().
std::optional<std::string> read_text(const std::filesystem::path& path, std::string& error);

// Text for a `#` comment: a control character would end the comment early.
std::string comment_text(std::string_view text);

}  // namespace mha::config_detail

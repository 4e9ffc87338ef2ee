// Passwords in the config (see secrets.h).

#include "common/config/secrets.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/config/readers.h"
#include "common/config/toml_text.h"

namespace mha::config_detail {

std::optional<Secret> read_secret(FileReport& r, const toml::node& node, std::string_view key) {
  if (auto value = node.value_exact<std::string>()) return Secret(std::move(*value));
  type_error(r, node, key, "a string", /*secret=*/true);
  return std::nullopt;
}

std::optional<SecretFile> read_secret_file(FileReport& r, const toml::node& node, std::string_view key) {
  auto written = read_path(r, node, key);
  if (!written) return std::nullopt;
  std::filesystem::path path(*written);
  if (path.is_relative() && !r.dir().empty()) path = r.dir() / path;
  const std::string shown = path.string();
  auto fail = [&](std::string_view expected, std::string_view found) {
    r.error(node.source(), key, fmt::format("expected {}, found {}", expected, found));
    return std::nullopt;
  };
  struct stat st {};
  if (::stat(shown.c_str(), &st) != 0)
    return fail("a readable password file", fmt::format("{}: {}", shown, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) return fail("a readable password file", fmt::format("{}: not a regular file", shown));
  if ((st.st_mode & 077) != 0) {
    const std::string_view access = (st.st_mode & 044) != 0   ? "readable"
                                    : (st.st_mode & 022) != 0 ? "writable"
                                                              : "accessible";
    return fail("a password file only its owner can access",
                fmt::format("{}: mode {:04o} is {} by group/other; run: chmod 600 {}", shown, st.st_mode & 07777,
                            access, shown));
  }
  std::string error;
  std::optional<std::string> text = read_text(shown, error);
  if (!text) return fail("a readable password file", fmt::format("{}: {}", shown, error));
  std::string content = std::move(*text);
  if (!content.empty() && content.back() == '\n') {
    content.pop_back();
    if (!content.empty() && content.back() == '\r') content.pop_back();
  }
  return SecretFile{shown, Secret(std::move(content))};
}

}  // namespace mha::config_detail

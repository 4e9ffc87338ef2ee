// Passwords in the config (see secrets.h).

#include "common/config/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/config/readers.h"
#include "common/config/toml_text.h"

namespace mha::config_detail {

namespace {

// The whole content of an open file; nullopt with errno set on a read error.
std::optional<std::string> read_fd_text(int fd) {
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::nullopt;
    if (got == 0) return text;
    text.append(buffer, static_cast<std::size_t>(got));
  }
}

}  // namespace

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
  // Checked by the descriptor that is then read, so the file cannot be
  // swapped between the check and the read; O_NOFOLLOW refuses a symlink
  // (its target could change under us), O_NONBLOCK a FIFO that would hang.
  const int fd = ::open(shown.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno == ELOOP)
      return fail("a readable password file",
                  fmt::format("{}: a symbolic link; point {} at the file itself", shown, key));
    return fail("a readable password file", fmt::format("{}: {}", shown, std::strerror(errno)));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return fail("a readable password file", fmt::format("{}: {}", shown, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) return fail("a readable password file", fmt::format("{}: not a regular file", shown));
  // Its owner can rewrite it: that must be us or root, never another user.
  const uid_t self = ::geteuid();
  if (st.st_uid != self && st.st_uid != 0)
    return fail("a password file owned by mhad's user or root",
                fmt::format("{}: owned by uid {}, mhad runs as uid {}; run: chown {} {}", shown, st.st_uid, self,
                            self, shown));
  if ((st.st_mode & 077) != 0) {
    const std::string_view access = (st.st_mode & 044) != 0   ? "readable"
                                    : (st.st_mode & 022) != 0 ? "writable"
                                                              : "accessible";
    return fail("a password file only its owner can access",
                fmt::format("{}: mode {:04o} is {} by group/other; run: chmod 600 {}", shown, st.st_mode & 07777,
                            access, shown));
  }
  std::optional<std::string> text = read_fd_text(fd);
  if (!text) return fail("a readable password file", fmt::format("{}: {}", shown, std::strerror(errno)));
  std::string content = std::move(*text);
  if (!content.empty() && content.back() == '\n') {
    content.pop_back();
    if (!content.empty() && content.back() == '\r') content.pop_back();
  }
  return SecretFile{shown, Secret(std::move(content))};
}

}  // namespace mha::config_detail

// Logging for mhad: one line per event, with structured fields (CLUSTER,
// SERVER, EVENT, MESSAGE_ID ...). Under systemd (stderr connected to the
// journal) entries go through sd-journal with their fields; otherwise they
// are readable lines on stderr. Thread-safe: workers may log at debug level.
// Secrets never go through here: callers pass names and addresses only.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mha {

enum class LogLevel { debug, info, notice, warning, error };

using LogFields = std::vector<std::pair<std::string, std::string>>;

void log_set_level(LogLevel level);
LogLevel log_level();
// true when stderr is the journal's stream (JOURNAL_STREAM matches), so that
// structured fields reach journald instead of being flattened into text.
bool log_detect_journal();
void log_write(LogLevel level, const LogFields& fields, std::string_view message);

template <typename... Args>
void log_at(LogLevel level, const LogFields& fields, fmt::format_string<Args...> format,
            Args&&... args) {
  if (level < log_level()) return;
  log_write(level, fields, fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
void log_debug(const LogFields& f, fmt::format_string<Args...> fmt_, Args&&... a) {
  log_at(LogLevel::debug, f, fmt_, std::forward<Args>(a)...);
}
template <typename... Args>
void log_info(const LogFields& f, fmt::format_string<Args...> fmt_, Args&&... a) {
  log_at(LogLevel::info, f, fmt_, std::forward<Args>(a)...);
}
template <typename... Args>
void log_notice(const LogFields& f, fmt::format_string<Args...> fmt_, Args&&... a) {
  log_at(LogLevel::notice, f, fmt_, std::forward<Args>(a)...);
}
template <typename... Args>
void log_warning(const LogFields& f, fmt::format_string<Args...> fmt_, Args&&... a) {
  log_at(LogLevel::warning, f, fmt_, std::forward<Args>(a)...);
}
template <typename... Args>
void log_error(const LogFields& f, fmt::format_string<Args...> fmt_, Args&&... a) {
  log_at(LogLevel::error, f, fmt_, std::forward<Args>(a)...);
}

std::string_view log_level_name(LogLevel level);

}  // namespace mha

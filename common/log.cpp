#include "common/log.h"

#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

namespace mha {
namespace {

std::atomic<LogLevel> g_level{LogLevel::info};
std::atomic<bool> g_journal{false};
std::mutex g_mutex;

int syslog_priority(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return 7;
    case LogLevel::info: return 6;
    case LogLevel::notice: return 5;
    case LogLevel::warning: return 4;
    case LogLevel::error: return 3;
  }
  return 6;
}

std::string timestamp_now() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t seconds = ms / 1000;
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return fmt::format("{}.{:03d}", text, static_cast<int>(ms % 1000));
}

void write_journal(LogLevel level, const LogFields& fields, std::string_view message) {
  std::vector<std::string> storage;
  storage.reserve(fields.size() + 2);
  storage.push_back(fmt::format("MESSAGE={}", message));
  storage.push_back(fmt::format("PRIORITY={}", syslog_priority(level)));
  for (const auto& [key, value] : fields) storage.push_back(fmt::format("{}={}", key, value));
  std::vector<iovec> iov;
  iov.reserve(storage.size());
  for (auto& item : storage) iov.push_back({item.data(), item.size()});
  sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

void write_stderr(LogLevel level, const LogFields& fields, std::string_view message) {
  // "2026-11-22 07:30:01.123 notice [app1 master] message (EVENT=verdict)"
  std::string where;
  std::string extra;
  for (const auto& [key, value] : fields) {
    if (key == "CLUSTER" || key == "SERVER")
      where += (where.empty() ? "" : " ") + value;
    else if (key != "MESSAGE_ID")
      extra += fmt::format("{}{}={}", extra.empty() ? "" : " ", key, value);
  }
  std::string line = fmt::format("{} {}{}{} {}{}\n", timestamp_now(), log_level_name(level),
                                 where.empty() ? "" : " [" + where, where.empty() ? "" : "]",
                                 message, extra.empty() ? "" : " (" + extra + ")");
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

void log_set_level(LogLevel level) { g_level = level; }
LogLevel log_level() { return g_level; }

bool log_detect_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  bool journal = false;
  struct stat st{};
  if (stream != nullptr && fstat(STDERR_FILENO, &st) == 0) {
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(stream, "%llu:%llu", &dev, &ino) == 2)
      journal = dev == static_cast<unsigned long long>(st.st_dev) &&
                ino == static_cast<unsigned long long>(st.st_ino);
  }
  g_journal = journal;
  return journal;
}

void log_write(LogLevel level, const LogFields& fields, std::string_view message) {
  std::lock_guard lock(g_mutex);
  if (g_journal)
    write_journal(level, fields, message);
  else
    write_stderr(level, fields, message);
}

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::notice: return "notice";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "info";
}

}  // namespace mha

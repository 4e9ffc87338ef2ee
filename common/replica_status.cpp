// Typed SHOW SLAVE/REPLICA STATUS rows: see replica_status.h.
#include "common/replica_status.h"

#include "common/text.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <limits>
#include <type_traits>

namespace mha {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

// A column looked up under its old and new names. `name` is the name found
// in the row (for error messages), or the first candidate when missing.
struct Column {
  std::string_view name;
  const std::optional<std::string>* value = nullptr;  // nullptr: missing
};

Column find_column(const StatusRow& row, std::initializer_list<std::string_view> names) {
  for (const auto name : names) {
    if (const auto it = row.find(std::string(name)); it != row.end()) return {name, &it->second};
  }
  // SQL column names are case-insensitive; servers have printed some of
  // these with varying case across versions.
  for (const auto name : names)
    for (const auto& [key, value] : row)
      if (iequals(key, name)) return {name, &value};
  return {*names.begin(), nullptr};
}

Error missing(std::initializer_list<std::string_view> names) {
  std::string alternatives;
  for (auto it = names.begin() + 1; it != names.end(); ++it)
    alternatives += fmt::format(" (or '{}')", *it);
  return make_error(Errc::parse, "replica status: missing column '{}'{}", *names.begin(), alternatives);
}

std::string shown(const std::optional<std::string>& value) { return value ? *value : std::string("NULL"); }

// Collects the first error so the field list below reads as a plain list.
class RowReader {
 public:
  explicit RowReader(const StatusRow& row) : m_row(row) {}

  const std::optional<Error>& error() const { return m_error; }

  // nullptr when missing; the error is recorded unless `optional`.
  const std::optional<std::string>* get(std::initializer_list<std::string_view> names, bool optional,
                                        std::string_view* found_name) {
    const auto column = find_column(m_row, names);
    if (!column.value && !optional) fail(missing(names));
    if (found_name) *found_name = column.name;
    return column.value;
  }

  void text(std::string& out, std::initializer_list<std::string_view> names, bool optional = false) {
    if (const auto* value = get(names, optional, nullptr); value && *value) out = **value;
  }

  template <typename T>
  void number(T& out, std::initializer_list<std::string_view> names, bool optional = false) {
    std::string_view name;
    const auto* value = get(names, optional, &name);
    if (!value) return;
    const auto parsed = value->has_value() ? to_number<T>(trim(**value)) : std::nullopt;
    if (!parsed) {
      fail(make_error(Errc::parse, "replica status: column '{}': expected {} number, found '{}'", name,
                      std::is_signed_v<T> ? "a" : "an unsigned", shown(*value)));
      return;
    }
    out = *parsed;
  }

  // Seconds_Behind_*: NULL is meaningful (SQL thread not running, or IO
  // thread not connected), so it maps to nullopt instead of an error.
  void nullable_number(std::optional<int64_t>& out, std::initializer_list<std::string_view> names) {
    std::string_view name;
    const auto* value = get(names, false, &name);
    if (!value) return;
    if (!value->has_value()) {
      out.reset();
      return;
    }
    const auto parsed = to_number<int64_t>(trim(**value));
    if (!parsed) {
      fail(make_error(Errc::parse, "replica status: column '{}': expected a number or NULL, found '{}'", name,
                      **value));
      return;
    }
    out = *parsed;
  }

  // A value out of a fixed set, matched case-insensitively.
  template <typename E>
  void choice(E& out, std::initializer_list<std::string_view> names,
              std::initializer_list<std::pair<std::string_view, E>> choices, std::string_view expected) {
    std::string_view name;
    const auto* value = get(names, false, &name);
    if (!value) return;
    if (value->has_value()) {
      const auto text = trim(**value);
      for (const auto& [label, e] : choices)
        if (iequals(text, label)) {
          out = e;
          return;
        }
    }
    fail(make_error(Errc::parse, "replica status: column '{}': expected {}, found '{}'", name, expected,
                    shown(*value)));
  }

  void list(std::vector<std::string>& out, std::initializer_list<std::string_view> names) {
    std::string joined;
    text(joined, names);
    out.clear();
    size_t start = 0;
    while (start <= joined.size()) {
      auto end = joined.find(',', start);
      if (end == std::string::npos) end = joined.size();
      const auto item = trim(std::string_view(joined).substr(start, end - start));
      if (!item.empty()) out.emplace_back(item);
      start = end + 1;
    }
  }

  bool has(std::initializer_list<std::string_view> names) const { return find_column(m_row, names).value; }

 private:
  template <typename T>
  static std::optional<T> to_number(std::string_view text) {
    if (text.empty()) return std::nullopt;
    // from_chars accepts a leading '-' for signed types only, never '+' or
    // spaces, which is exactly the strictness wanted.
    T value{};
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
    return value;
  }

  void fail(Error error) {
    if (!m_error) m_error = std::move(error);
  }

  const StatusRow& m_row;
  std::optional<Error> m_error;
};

}  // namespace

bool ReplicationFilters::empty() const {
  return do_db.empty() && ignore_db.empty() && do_table.empty() && ignore_table.empty() &&
         wild_do_table.empty() && wild_ignore_table.empty();
}

Result<ReplicaStatus> parse_replica_status(const StatusRow& row) {
  using ThreadState = ReplicaStatus::ThreadState;
  using UsingGtid = ReplicaStatus::UsingGtid;

  ReplicaStatus s;
  RowReader r(row);
  r.text(s.io_state, {"Slave_IO_State", "Replica_IO_State"});
  r.text(s.master_host, {"Master_Host", "Source_Host"});
  r.text(s.master_user, {"Master_User", "Source_User"});
  r.number(s.master_port, {"Master_Port", "Source_Port"});
  r.text(s.master_log_file, {"Master_Log_File", "Source_Log_File"});
  r.number(s.read_master_log_pos, {"Read_Master_Log_Pos", "Read_Source_Log_Pos"});
  r.text(s.relay_master_log_file, {"Relay_Master_Log_File", "Relay_Source_Log_File"});
  r.choice(s.io_running, {"Slave_IO_Running", "Replica_IO_Running"},
           {{"Yes", ThreadState::yes},
            {"No", ThreadState::no},
            {"Connecting", ThreadState::connecting},
            {"Preparing", ThreadState::connecting}},
           "Yes, No or Connecting");
  r.choice(s.sql_running, {"Slave_SQL_Running", "Replica_SQL_Running"}, {{"Yes", true}, {"No", false}},
           "Yes or No");
  r.list(s.filters.do_db, {"Replicate_Do_DB"});
  r.list(s.filters.ignore_db, {"Replicate_Ignore_DB"});
  r.list(s.filters.do_table, {"Replicate_Do_Table"});
  r.list(s.filters.ignore_table, {"Replicate_Ignore_Table"});
  r.list(s.filters.wild_do_table, {"Replicate_Wild_Do_Table"});
  r.list(s.filters.wild_ignore_table, {"Replicate_Wild_Ignore_Table"});
  r.number(s.exec_master_log_pos, {"Exec_Master_Log_Pos", "Exec_Source_Log_Pos"});
  r.number(s.relay_log_space, {"Relay_Log_Space"});
  r.nullable_number(s.seconds_behind, {"Seconds_Behind_Master", "Seconds_Behind_Source"});
  r.number(s.last_io_errno, {"Last_IO_Errno"});
  r.text(s.last_io_error, {"Last_IO_Error"});
  r.number(s.last_sql_errno, {"Last_SQL_Errno"});
  r.text(s.last_sql_error, {"Last_SQL_Error"});
  r.number(s.master_server_id, {"Master_Server_Id", "Source_Server_Id"});
  r.number(s.sql_delay, {"SQL_Delay"}, /*optional=*/true);
  r.text(s.sql_running_state, {"Slave_SQL_Running_State", "Replica_SQL_Running_State"}, /*optional=*/true);
  r.text(s.ssl_allowed, {"Master_SSL_Allowed", "Source_SSL_Allowed"}, /*optional=*/true);

  // Which GTID columns a row has tells the flavor: MariaDB never had
  // Auto_Position, MySQL never had Using_Gtid.
  if (r.has({"Using_Gtid"})) {
    s.is_mariadb_row = true;
    r.choice(s.using_gtid, {"Using_Gtid"},
             {{"No", UsingGtid::no}, {"Slave_Pos", UsingGtid::slave_pos}, {"Current_Pos", UsingGtid::current_pos}},
             "No, Slave_Pos or Current_Pos");
    s.auto_position = s.using_gtid != UsingGtid::no;
    r.text(s.gtid_io_pos, {"Gtid_IO_Pos"});
  } else if (r.has({"Auto_Position"})) {
    r.choice(s.auto_position, {"Auto_Position"}, {{"1", true}, {"0", false}}, "0 or 1");
    r.text(s.retrieved_gtid_set, {"Retrieved_Gtid_Set"});
    r.text(s.executed_gtid_set, {"Executed_Gtid_Set"});
  } else {
    // Record it behind any earlier error so the first problem is reported.
    if (!r.error())
      return make_error(Errc::parse, "replica status: missing column 'Auto_Position' (MySQL) or 'Using_Gtid' (MariaDB)");
  }
  if (r.error()) return *r.error();
  return s;
}

// ---------------------------------------------------------------------------
// Vertical (\G) text
// ---------------------------------------------------------------------------

namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// "Name: value" or "Name:" with Name made of [A-Za-z0-9_] starting with a
// letter. A continuation such as "36689b3d-...:1-24," fails on the dashes.
bool split_column_line(std::string_view line, std::string_view& name, std::string_view& value) {
  const auto text = trim(line);
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const auto candidate = text.substr(0, colon);
  const bool letter_first = (candidate[0] >= 'a' && candidate[0] <= 'z') || (candidate[0] >= 'A' && candidate[0] <= 'Z');
  if (!letter_first || !std::all_of(candidate.begin(), candidate.end(), is_name_char)) return false;
  if (colon + 1 < text.size() && text[colon + 1] != ' ' && text[colon + 1] != '\t') return false;
  name = candidate;
  value = trim(text.substr(colon + 1));
  return true;
}

bool is_row_banner(std::string_view line) {
  return line.starts_with("***") && line.find(". row ") != std::string_view::npos;
}

// "1 row in set (0.01 sec)", "2 rows in set", "Empty set (0.00 sec)".
bool is_footer(std::string_view line) {
  if (line.starts_with("Empty set")) return true;
  size_t i = 0;
  while (i < line.size() && line[i] >= '0' && line[i] <= '9') ++i;
  if (i == 0) return false;
  const auto rest = line.substr(i);
  return rest.starts_with(" row in set") || rest.starts_with(" rows in set");
}

}  // namespace

Result<StatusRow> parse_vertical_output(std::string_view text) {
  StatusRow row;
  std::string current;  // column the next continuation line belongs to
  int banners = 0;
  size_t line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const auto raw = text.substr(start, end - start);
    start = end + 1;
    ++line_number;

    const auto line = trim(raw);
    if (line.empty() || line.starts_with('#') || line.starts_with("mysql>") || line.starts_with("MariaDB [") ||
        is_footer(line))
      continue;
    if (is_row_banner(line)) {
      if (++banners > 1)
        return make_error(Errc::parse, "vertical output, line {}: a second row; only one row is supported",
                          line_number);
      continue;
    }
    std::string_view name, value;
    if (split_column_line(line, name, value)) {
      current = std::string(name);
      const bool is_null = value == "NULL";
      const auto [it, inserted] =
          row.emplace(current, is_null ? std::nullopt : std::optional<std::string>(std::string(value)));
      if (!inserted)
        return make_error(Errc::parse, "vertical output, line {}: column '{}' appears twice", line_number, name);
      continue;
    }
    if (current.empty())
      return make_error(Errc::parse, "vertical output, line {}: expected 'Name: value', found '{}'", line_number,
                        line);
    // A value printed over several lines (Executed_Gtid_Set has a newline
    // after each comma): keep the newline, as the server's value does.
    auto& previous = row[current];
    previous = (previous ? *previous : std::string()) + "\n" + std::string(line);
  }
  return row;
}

}  // namespace mha

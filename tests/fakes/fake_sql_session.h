// A scripted SqlSession for unit tests: answers queries from a table of
// canned results, and can be told to refuse connections or fail a query.
#pragma once

#include "daemon/sql_session.h"

#include <map>
#include <string>
#include <vector>

namespace mha::test {

class FakeSqlSession final : public SqlSession {
 public:
  std::map<std::string, Rows> answers;         // exact SQL -> result
  std::map<std::string, Error> query_errors;   // exact SQL -> error
  std::optional<Error> connect_error;
  std::vector<std::string> log;                // every statement received, in order
  int connects = 0;

  Result<void> connect(const SqlEndpoint&) override {
    ++connects;
    if (connect_error) return *connect_error;
    m_connected = true;
    return {};
  }
  bool connected() const override { return m_connected; }
  void close() override { m_connected = false; }
  Result<Rows> query(std::string_view sql) override {
    log.emplace_back(sql);
    if (!m_connected) return make_error(Errc::network, "not connected");
    if (auto it = query_errors.find(std::string(sql)); it != query_errors.end()) return it->second;
    if (auto it = answers.find(std::string(sql)); it != answers.end()) return it->second;
    return make_error(Errc::sql, "fake: no answer scripted for '{}'", sql);
  }
  Result<void> execute(std::string_view sql) override {
    auto r = query(sql);
    if (!r) return r.error();
    return {};
  }
  int socket_fd() const override { return -1; }

  // One row with the given columns.
  static Rows row(std::vector<std::string> columns, std::vector<SqlValue> values) {
    Rows rows;
    rows.columns = std::move(columns);
    rows.rows.push_back(std::move(values));
    return rows;
  }

 private:
  bool m_connected = false;
};

}  // namespace mha::test

#include "daemon/sql_session.h"

namespace mha {

std::map<std::string, SqlValue> Rows::row_map(std::size_t i) const {
  std::map<std::string, SqlValue> out;
  if (i >= rows.size()) return out;
  for (std::size_t c = 0; c < columns.size() && c < rows[i].size(); ++c)
    out[columns[c]] = rows[i][c];
  return out;
}

SqlValue Rows::scalar() const {
  if (rows.empty() || rows[0].empty()) return std::nullopt;
  return rows[0][0];
}

}  // namespace mha

// check_report_json and the names of check results (cluster_checks.h).

#include "daemon/checks/cluster_checks.h"

namespace mha {

std::string_view check_result_name(CheckResult result) {
  switch (result) {
    case CheckResult::ok: return "ok";
    case CheckResult::warn: return "warn";
    case CheckResult::fail: return "fail";
  }
  return "fail";
}

nlohmann::json check_report_json(const std::vector<CheckRow>& rows) {
  using nlohmann::json;
  json list = json::array();
  int counts[3] = {0, 0, 0};
  for (const auto& row : rows) {
    ++counts[static_cast<int>(row.result)];
    list.push_back(json{{"check", row.check},
                        {"server", row.server},
                        {"result", check_result_name(row.result)},
                        {"detail", row.detail},
                        {"fix", row.fix}});
  }
  return json{{"rows", list}, {"summary", {{"ok", counts[0]}, {"warn", counts[1]}, {"fail", counts[2]}}}};
}

}  // namespace mha

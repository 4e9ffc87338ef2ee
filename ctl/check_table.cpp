#include "ctl/check_table.h"

#include "common/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

namespace mha::ctl {

namespace {

using nlohmann::json;

constexpr std::string_view k_indent = "  ";
constexpr std::string_view k_gap = "  ";

std::string text_or(const json& object, const char* key, std::string_view fallback) {
  if (object.is_object())
    if (auto it = object.find(key); it != object.end() && it->is_string()) return one_line(it->get_ref<const std::string&>());
  return std::string(fallback);
}

enum class Kind { ok, warn, fail };

Kind kind_of(const json& row) {
  std::string result = text_or(row, "result", "");
  if (result == "ok") return Kind::ok;
  if (result == "warn") return Kind::warn;
  return Kind::fail;  // "fail", or anything this mhactl does not know
}

std::string result_cell(const json& row) {
  std::string result = text_or(row, "result", "?");
  if (result == "warn") return "WARN";
  if (result == "fail") return "FAIL";
  return result;
}

struct Counts {
  int ok = 0, warn = 0, fail = 0;
  void add(Kind k) { ++(k == Kind::ok ? ok : k == Kind::warn ? warn : fail); }
  void add(const Counts& c) {
    ok += c.ok;
    warn += c.warn;
    fail += c.fail;
  }
  std::string text() const {
    return fmt::format("{} ok, {} warning{}, {} failure{}", ok, warn, warn == 1 ? "" : "s", fail,
                       fail == 1 ? "" : "s");
  }
};

const json* rows_of(const json& cluster) {
  if (!cluster.is_object()) return nullptr;
  auto it = cluster.find("rows");
  return it != cluster.end() && it->is_array() ? &*it : nullptr;
}

bool unchecked(const json& cluster) { return !rows_of(cluster); }

Counts count(const json& cluster) {
  Counts c;
  if (const json* rows = rows_of(cluster))
    for (const auto& row : *rows) c.add(kind_of(row));
  return c;
}

Result<const json*> clusters_of(const json& result) {
  if (!result.is_object()) return make_error(Errc::parse, "check result is not an object");
  auto it = result.find("clusters");
  if (it == result.end() || !it->is_array()) return make_error(Errc::parse, "check result has no 'clusters' list");
  return &*it;
}

std::string render_cluster(const json& cluster, const Counts& counts) {
  std::string name = text_or(cluster, "cluster", "?");
  const json* rows = rows_of(cluster);
  if (!rows)
    return fmt::format("cluster {}  not checked: {}\n", name, text_or(cluster, "error", "mhad gave no reason"));
  std::string out = fmt::format("cluster {}  {}\n", name, counts.text());
  if (rows->empty()) return out;

  std::vector<std::array<std::string, 4>> cells;
  std::vector<std::string> fixes;
  for (const auto& row : *rows) {
    std::string server = text_or(row, "server", "?");
    cells.push_back({result_cell(row), server.empty() ? "-" : server, text_or(row, "check", "?"),
                     text_or(row, "detail", "")});
    fixes.push_back(kind_of(row) == Kind::ok ? "" : text_or(row, "fix", ""));
  }
  std::array<std::size_t, 3> width = {std::string_view("RESULT").size(), std::string_view("SERVER").size(),
                                      std::string_view("CHECK").size()};
  for (const auto& c : cells)
    for (std::size_t i = 0; i < width.size(); ++i) width[i] = std::max(width[i], c[i].size());

  auto line = [&](const std::array<std::string, 4>& c) {
    std::string text(k_indent);
    for (std::size_t i = 0; i < width.size(); ++i) text += fmt::format("{:<{}}{}", c[i], width[i], k_gap);
    text += c[3];
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text + "\n";
  };
  out += line({"RESULT", "SERVER", "CHECK", "DETAIL"});
  // The fix goes under the row's SERVER column: nested under what it fixes.
  std::string fix_indent = std::string(k_indent) + std::string(width[0] + k_gap.size(), ' ');
  for (std::size_t i = 0; i < cells.size(); ++i) {
    out += line(cells[i]);
    if (!fixes[i].empty()) out += fmt::format("{}fix: {}\n", fix_indent, fixes[i]);
  }
  return out;
}

}  // namespace

Result<std::string> render_check(const json& result) {
  auto clusters = clusters_of(result);
  if (!clusters) return clusters.error();
  std::string out;
  Counts total;
  for (const auto& cluster : **clusters) {
    Counts counts = count(cluster);
    total.add(counts);
    out += render_cluster(cluster, counts) + "\n";
  }
  if ((*clusters)->empty()) out += "no clusters configured\n\n";
  out += total.text() + "\n";
  return out;
}

Result<int> check_exit_status(const json& result) {
  auto clusters = clusters_of(result);
  if (!clusters) return clusters.error();
  Counts total;
  bool any_unchecked = false;
  for (const auto& cluster : **clusters) {
    total.add(count(cluster));
    any_unchecked = any_unchecked || unchecked(cluster);
  }
  if (total.fail > 0) return check_exit::failures;
  if (any_unchecked) return check_exit::unknown;
  if (total.warn > 0) return check_exit::warnings;
  return check_exit::ok;
}

}  // namespace mha::ctl

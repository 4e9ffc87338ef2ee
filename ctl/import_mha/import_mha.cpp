// The import-mha command (see import_mha.h).

#include "ctl/import_mha/import_mha.h"

#include <fmt/format.h>

#include <filesystem>

#include "common/config/toml_text.h"
#include "ctl/import_mha/mha_ini.h"
#include "ctl/import_mha/mha_mapping.h"
#include "ctl/import_mha/mha_toml.h"

namespace mha::ctl::import_mha {

ImportResult import_mha_text(const std::string& app_path, std::string_view app_text, const std::string* global_path,
                             std::string_view global_text) {
  Problems problems;
  std::optional<IniFile> global;
  if (global_path != nullptr) global = parse_mha_ini(global_text, *global_path, problems);
  const IniFile app = parse_mha_ini(app_text, app_path, problems);
  const std::string name = std::filesystem::path(app_path).stem().string();
  auto cluster = map_mha_config(global ? &*global : nullptr, app, name, problems);

  ImportResult result;
  size_t errors = 0;
  for (const Problem& problem : problems.sorted()) {
    result.messages.push_back(Problems::format(problem));
    if (problem.error) ++errors;
  }
  if (errors > 0 || !cluster) {
    result.messages.push_back(fmt::format("mhactl: import-mha: {} error{} in MHA's configuration, nothing written; "
                                          "fix them and run it again",
                                          errors, errors == 1 ? "" : "s"));
    result.exit_status = 1;
    return result;
  }
  result.toml = render_toml(*cluster);
  return result;
}

ImportResult import_mha_files(const std::string& app_path, const std::optional<std::string>& default_file) {
  auto unreadable = [](const std::string& path, const std::string& error, std::string_view fix) {
    ImportResult result;
    result.messages.push_back(fmt::format("mhactl: import-mha: cannot read '{}': {}; {}", path, error, fix));
    result.exit_status = 1;
    return result;
  };
  std::string error;
  const auto app_text = config_detail::read_text(app_path, error);
  if (!app_text) return unreadable(app_path, error, "name MHA's app file, e.g. /etc/masterha/app1.cnf");

  std::optional<std::string> global_path = default_file;
  std::string note;
  if (!global_path) {
    std::error_code ec;
    if (std::filesystem::exists(k_mha_default_file, ec))
      global_path = std::string(k_mha_default_file);
    else
      note = fmt::format("mhactl: import-mha: note: {} not found: reading '{}' alone, as MHA does", k_mha_default_file,
                         app_path);
  }
  std::optional<std::string> global_text;
  if (global_path) {
    global_text = config_detail::read_text(*global_path, error);
    if (!global_text)
      return unreadable(*global_path, error, "name the global default file with --default PATH (/dev/null for none)");
  }
  ImportResult result = import_mha_text(app_path, *app_text, global_path ? &*global_path : nullptr,
                                        global_text ? std::string_view(*global_text) : std::string_view());
  if (!note.empty()) result.messages.insert(result.messages.begin(), note);
  return result;
}

}  // namespace mha::ctl::import_mha

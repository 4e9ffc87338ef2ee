// Fuzz target: the config loader (load_config_from_strings, the whole of
// load_config but reading the files) and --check-config's rendering of what
// it loaded. The input is mhad.toml, then each clusters.d file after a form
// feed ('\f', which TOML text cannot contain unescaped):
//   MHAD.TOML \f APP1.TOML \f APP2.TOML ...
// The loader reads only password files. They resolve against a private
// temporary directory holding app1.password and app1.repl (mode 0600);
// inputs naming a path outside it (absolute, or with "..") are skipped, so
// the target never reads a file of the machine it runs on.

#include <toml++/toml.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "common/config.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace fs = std::filesystem;

fs::path g_dir;  // the private config directory, made once

void write_secret(const fs::path& path, const char* text) {
  std::ofstream(path) << text;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
}

void remove_dir() {
  std::error_code ec;
  fs::remove_all(g_dir, ec);
}

// True when some *_file key anywhere holds a path that leaves g_dir.
bool names_outside_path(const toml::node& node) {
  if (const toml::table* table = node.as_table()) {
    for (auto&& [key, value] : *table) {
      if (key.str().ends_with("_file")) {
        if (auto text = value.value_exact<std::string>()) {
          const fs::path path(*text);
          if (path.is_absolute()) return true;
          for (const fs::path& part : path)
            if (part == "..") return true;
        }
      }
      if (names_outside_path(value)) return true;
    }
  } else if (const toml::array* array = node.as_array()) {
    for (const toml::node& element : *array)
      if (names_outside_path(element)) return true;
  }
  return false;
}

bool is_safe(const std::string& text) {
  try {
    return !names_outside_path(toml::parse(text));
  } catch (const toml::parse_error&) {
    return true;  // the loader's own parse fails the same way: nothing is read
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string dir = (fs::temp_directory_path() / "mha-fuzz-config-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) std::abort();
  g_dir = dir;
  fs::create_directory(g_dir / "clusters.d");
  for (const fs::path& base : {g_dir, g_dir / "clusters.d"}) {
    write_secret(base / "app1.password", "mha-fuzz-secret\n");
    write_secret(base / "app1.repl", "repl-fuzz-secret\n");
  }
  std::atexit(remove_dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = mha::fuzz::as_text(data, size);
  std::string main_text;
  std::map<std::string, std::string> cluster_files;
  std::size_t start = 0;
  for (int part = 0; start <= input.size(); ++part) {
    std::size_t end = input.find('\f', start);
    if (end == std::string_view::npos) end = input.size();
    std::string text(input.substr(start, end - start));
    if (!is_safe(text)) return -1;  // -1: libFuzzer keeps it out of the corpus
    if (part == 0)
      main_text = std::move(text);
    else
      cluster_files["app" + std::to_string(part) + ".toml"] = std::move(text);
    start = end + 1;
  }

  const mha::ConfigLoad load = mha::load_config_from_strings(main_text, cluster_files, g_dir);
  MHA_FUZZ_CHECK(load.config.has_value() == load.errors.empty());
  for (const std::string& error : load.errors) MHA_FUZZ_CHECK(!error.empty());
  if (!load.config) return 0;
  const std::string rendered = mha::render_effective_config(*load.config);
  // --check-config never shows the password files' content (unless the input
  // itself wrote that text somewhere, as a user name, say).
  if (input.find("fuzz-secret") == std::string_view::npos)
    MHA_FUZZ_CHECK(rendered.find("fuzz-secret") == std::string::npos);
  return 0;
}

// Keeping secrets out of what mhad writes: logs, reports, replies, state.
// A password reaches text in other shapes than its own: quoted into SQL
// (CHANGE MASTER ... MASTER_PASSWORD='...'), into a shell word, a URL, or a
// JSON string (a script's output, a stored report). Each of those forms is
// masked too, longest first, so that no escaped copy survives beside the
// masked plain one.
#include "common/config/scrub.h"

#include "common/flavor.h"

#include <algorithm>
#include <cstdio>

namespace mha {

namespace {

constexpr std::string_view k_mask = "********";

std::string json_escaped(std::string_view v, bool escape_slash) {
  std::string out;
  for (unsigned char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '/':
        out += escape_slash ? "\\/" : "/";
        break;
      default:
        if (c < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          out += buffer;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

// The inside of sql_quote()'s literal: how mhad itself writes a password
// into CHANGE MASTER.
std::string sql_quoted_inside(std::string_view v) {
  const std::string quoted = sql_quote(v);
  return quoted.substr(1, quoted.size() - 2);
}

// mysql_real_escape_string()'s form: a backslash before \ ' " and the
// control characters, as other clients (and mhad before) write it; with
// double_quote false, '"' stays as it is (harmless inside single quotes).
std::string sql_backslash_escaped(std::string_view v, bool double_quote) {
  std::string out;
  for (const char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      case '"': out += double_quote ? "\\\"" : "\""; break;
      case '\0': out += "\\0"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\x1a': out += "\\Z"; break;
      default: out += c;
    }
  }
  return out;
}

std::string replaced_each(std::string_view v, char from, std::string_view to) {
  std::string out;
  for (char c : v) {
    if (c == from)
      out += to;
    else
      out += c;
  }
  return out;
}

// Inside "...": \ " $ ` get a backslash.
std::string shell_double_quoted(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"' || c == '$' || c == '`') out += '\\';
    out += c;
  }
  return out;
}

// bash's printf %q and the like: a backslash before each special character.
std::string shell_backslashed(std::string_view v) {
  static constexpr std::string_view k_plain = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-,:@%+=";
  std::string out;
  for (char c : v) {
    if (k_plain.find(c) == std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string url_encoded(std::string_view v, bool upper, bool plus_for_space) {
  static constexpr std::string_view k_unreserved =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
  std::string out;
  for (unsigned char c : v) {
    if (k_unreserved.find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else if (c == ' ' && plus_for_space) {
      out += '+';
    } else {
      char buffer[4];
      std::snprintf(buffer, sizeof buffer, upper ? "%%%02X" : "%%%02x", c);
      out += buffer;
    }
  }
  return out;
}

// Every form of the value worth masking, distinct, longest first.
std::vector<std::string> forms_of(const std::string& value) {
  std::vector<std::string> base = {
      value,
      sql_quoted_inside(value),
      sql_backslash_escaped(value, true),
      sql_backslash_escaped(value, false),
      replaced_each(value, '\'', "''"),      // SQL standard quoting (NO_BACKSLASH_ESCAPES)
      replaced_each(value, '\'', "'\\''"),   // inside a single-quoted shell word
      replaced_each(value, '\'', "'\"'\"'"),
      shell_double_quoted(value),
      shell_backslashed(value),
      url_encoded(value, true, false),
      url_encoded(value, false, false),
      url_encoded(value, true, true),
  };
  std::vector<std::string> forms = base;
  // Any of them stored in, or printed as, a JSON string.
  for (const auto& form : base) {
    forms.push_back(json_escaped(form, false));
    forms.push_back(json_escaped(form, true));
  }
  std::sort(forms.begin(), forms.end(),
            [](const std::string& a, const std::string& b) { return a.size() != b.size() ? a.size() > b.size() : a < b; });
  forms.erase(std::unique(forms.begin(), forms.end()), forms.end());
  return forms;
}

void mask_all(std::string& text, const std::string& form) {
  if (form.empty()) return;
  for (auto at = text.find(form); at != std::string::npos; at = text.find(form, at + k_mask.size()))
    text.replace(at, form.size(), k_mask);
}

void scrub_strings(nlohmann::json& value, const ClusterConfig& cluster) {
  if (value.is_string()) {
    value = scrub_secrets(value.get<std::string>(), cluster);
  } else if (value.is_array() || value.is_object()) {
    for (auto& item : value) scrub_strings(item, cluster);
  }
}

}  // namespace

std::string scrub(std::string text, const Secret& secret) {
  if (secret.empty()) return text;
  for (const auto& form : forms_of(secret.reveal())) mask_all(text, form);
  return text;
}

std::string scrub_secrets(std::string text, const ClusterConfig& cluster) {
  // The longer password first: one may contain the other.
  const Secret* first = &cluster.repl_password;
  const Secret* second = &cluster.password;
  if (second->reveal().size() > first->reveal().size()) std::swap(first, second);
  return scrub(scrub(std::move(text), *first), *second);
}

nlohmann::json scrub_secrets_json(nlohmann::json value, const ClusterConfig& cluster) {
  if (cluster.password.empty() && cluster.repl_password.empty()) return value;
  scrub_strings(value, cluster);
  return value;
}

}  // namespace mha

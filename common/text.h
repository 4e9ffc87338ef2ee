// Small text helpers shared by common/, daemon/ and ctl/: trimming, one-line
// display of foreign text, and quoting for /bin/sh. Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace mha {

// Without leading and trailing spaces, tabs, CRs and LFs.
std::string_view trim(std::string_view text);

// Without trailing '/' (but "/" stays "/").
std::string trim_slash(std::string path);

// Servers' error texts may hold newlines or terminal escape sequences: one
// line (\n \r \t become spaces), other control characters as '?'.
std::string one_line(std::string_view raw);

// One shell word: single quotes, each ' written as '\''. Never paste the
// result inside double quotes: there $(...) and `...` would run.
std::string shell_quote(std::string_view text);

// As is when it has only harmless characters (letters, digits, _./:@%+=,-),
// else shell_quote(): for commands that people read in logs.
std::string shell_word(std::string_view text);

}  // namespace mha

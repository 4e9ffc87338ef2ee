// Keeping secrets out of what mhad writes: logs, reports, replies.
#include "common/config.h"

namespace mha {

std::string scrub(std::string text, const Secret& secret) {
  if (secret.empty()) return text;
  const std::string& value = secret.reveal();
  static constexpr std::string_view k_mask = "********";
  for (auto at = text.find(value); at != std::string::npos; at = text.find(value, at + k_mask.size()))
    text.replace(at, value.size(), k_mask);
  return text;
}

std::string scrub_secrets(std::string text, const ClusterConfig& cluster) {
  return scrub(scrub(std::move(text), cluster.repl_password), cluster.password);
}

}  // namespace mha

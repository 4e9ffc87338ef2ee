#include "daemon/server_lookup.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mha {

namespace {

bool names(const ServerConfig& s, const std::string& text) {
  if (text == s.name || text == s.host || (!s.ip.empty() && text == s.ip)) return true;
  for (const std::string& h : {s.host, s.ip})
    if (!h.empty() && text == fmt::format("{}:{}", h, s.port)) return true;
  return false;
}

std::string cluster_names(const std::vector<ClusterConfig>& clusters) {
  std::vector<std::string> out;
  for (const auto& c : clusters) out.push_back(c.name);
  return out.empty() ? "(none)" : fmt::format("{}", fmt::join(out, ", "));
}

}  // namespace

Result<const ClusterConfig*> find_cluster(const std::vector<ClusterConfig>& clusters, const std::string& cluster) {
  if (cluster.empty()) {
    if (clusters.size() == 1) return &clusters.front();
    return make_error(clusters.empty() ? Errc::unknown_cluster : Errc::bad_request,
                      "more than one cluster: choose one with --cluster ({})", cluster_names(clusters));
  }
  for (const auto& c : clusters)
    if (c.name == cluster) return &c;
  return make_error(Errc::unknown_cluster, "no cluster named '{}'; configured clusters: {}", cluster,
                    cluster_names(clusters));
}

Result<ServerRef> find_server(const std::vector<ClusterConfig>& clusters, const std::string& cluster,
                              const std::string& text) {
  std::vector<ServerRef> found;
  for (const auto& c : clusters) {
    if (!cluster.empty() && c.name != cluster) continue;
    for (std::size_t i = 0; i < c.servers.size(); ++i)
      if (names(c.servers[i], text)) {
        found.push_back(ServerRef{&c, i});
        break;
      }
  }
  if (found.size() == 1) return found.front();
  if (found.size() > 1) {
    std::vector<std::string> in;
    for (const auto& f : found) in.push_back(f.cluster->name);
    return make_error(Errc::bad_request, "'{}' is a server of several clusters ({}): choose one with --cluster", text,
                      fmt::join(in, ", "));
  }
  if (!cluster.empty()) {
    auto c = find_cluster(clusters, cluster);
    if (!c) return c.error();
    std::vector<std::string> valid;
    for (const auto& s : (*c)->servers) valid.push_back(fmt::format("{} ({}:{})", s.name, s.host, s.port));
    return make_error(Errc::unknown_server, "no server '{}' in cluster '{}'; its servers: {}", text, cluster,
                      fmt::join(valid, ", "));
  }
  std::vector<std::string> valid;
  for (const auto& c : clusters)
    for (const auto& s : c.servers) valid.push_back(fmt::format("{}/{} ({}:{})", c.name, s.name, s.host, s.port));
  return make_error(Errc::unknown_server, "no server '{}' in any cluster; servers: {}", text,
                    valid.empty() ? "(none)" : fmt::format("{}", fmt::join(valid, ", ")));
}

}  // namespace mha

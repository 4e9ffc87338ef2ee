#include "daemon/operations/read_servers.h"

#include "daemon/operations/parallel.h"
#include "daemon/server_read.h"

namespace mha {

std::vector<ServerObservation> read_servers(const ClusterConfig& config, ServerSessions& sessions,
                                            const std::vector<ServerObservation>& previous) {
  std::vector<ServerObservation> out(config.servers.size());
  run_parallel(out.size(), [&](std::size_t i) {
    const ServerObservation before = i < previous.size() ? previous[i] : ServerObservation{};
    auto session = sessions.session(i);
    if (!session) {
      out[i] = before;
      out[i].checked = true;
      out[i].reachable = false;
      out[i].error = session.error();
      return;
    }
    out[i] = check_server(**session, endpoint_of(config, config.servers[i], config.read_timeout), MonoClock::now(),
                          before, true);
  });
  return out;
}

}  // namespace mha

// Keeping a failed-over old master fenced when it comes back (DESIGN.md:
// "each is fenced whenever it comes back writable"): read_only on (MySQL:
// super_read_only), and the built-in VIP removed from its host if it still
// holds it (a host that was cut off keeps it, and the address then answers
// twice). A script's VIP is the script's business. The monitor notices
// (ClusterMonitor::on_fence_needed); the daemon runs this on the worker pool
// with sessions of its own. Blocking.
#pragma once

#include "common/config.h"
#include "daemon/operations/lease_deadline.h"
#include "daemon/seams.h"

#include <string>

namespace mha {

struct FenceResult {
  bool read_only_set = false;
  bool vip_removed = false;
  std::string error;  // "" when everything asked for was done
};

// Each change starts only while `lease` is surely held (coordination =
// "etcd"); a change not started is in `error`.
FenceResult fence_returning(const ClusterConfig& cluster, const ServerConfig& server, bool writes, bool vip,
                            const Seams& seams, const LeaseDeadline& lease = {});

}  // namespace mha

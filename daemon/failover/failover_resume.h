// Resuming a failover another mhad left after its promotion (coordination =
// "etcd", on takeover). The rule, also in docs/operations.md §13:
//
// A takeover finishes an interrupted failover only where repeating what is
// left cannot make a second writable master or a second failover:
//   - persisted phase check: nothing was changed yet (the fence is the first
//     change, and a deposed holder cannot persist it: its write compares the
//     fencing token). The new active instance starts its own failover when
//     its detector says the master is dead.
//   - persisted phase recover_replicas or finish, with the new master named
//     in the state and the old master in the fenced set: the promotion is
//     done (those phases are persisted only after it). What is left, CHANGE
//     MASTER of the other replicas to the new master by GTID and the report,
//     can be repeated. It runs only if a fresh look at every server right
//     before it (resume_blocker) shows what the promotion left: the named
//     new master answers, is writable and replicates from nobody; every other
//     server that answers is read-only.
//   - anything else (fence, recover_master, a state without the new master,
//     an unknown operation, a resume_blocker): park in needs_operator. In
//     recover_master the new master may be half caught up, the salvaged
//     binlog events lived only in the dead instance's memory, and whether
//     the promotion ran is not in the state.
// Pure: observations in, the reason not to resume out.
#pragma once

#include "common/config.h"
#include "common/topology.h"

#include <cstddef>
#include <string>
#include <vector>

namespace mha {

// "" when resuming after a promotion of `new_master` is safe by the
// observations, else why not (names the server and what was seen).
std::string resume_blocker(const ClusterConfig& config, const std::vector<ServerObservation>& observations,
                           std::size_t dead_master, std::size_t new_master);

}  // namespace mha

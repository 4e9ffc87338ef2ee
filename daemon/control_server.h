// The control socket: a Unix stream socket speaking newline-delimited JSON
// (common/protocol.h). Each client is non-blocking and buffered on the event
// loop; a bad client (malformed JSON, an oversized line, silence, a line
// dribbled byte by byte, a pipelined flood, a peer that never reads) gets an
// error and/or is dropped, and never affects another client or the monitors.
// Commands are dispatched from one table, and the table says who may run
// each: members of the socket's group may read, changing a cluster needs root
// or admin_group. Main loop only.
#pragma once

#include "common/protocol.h"
#include "daemon/event_loop.h"

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mha {

struct Peer {
  pid_t pid = 0;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  std::vector<gid_t> groups;  // supplementary groups at connect time (SO_PEERGROUPS)

  bool in_group(gid_t group) const;
};

// Who may run a command: read (status, check, version, stats) is open to the
// socket's group; change (failover, switchover, rejoin, maintenance, reload)
// needs root or admin_group.
enum class Access { read, change };

// The groups as configured, and their gids when they exist (resolved once,
// at start and on reload: no NSS lookup per request).
struct AccessGroups {
  std::string socket_group;
  std::optional<gid_t> socket_gid;
  std::string admin_group;
  std::optional<gid_t> admin_gid;
};

// Pure: nullopt when `peer` may run `command`, else the permission_denied
// error naming the uid, the command and the group it needs.
std::optional<Error> check_access(const Peer& peer, std::string_view command, Access access,
                                  const AccessGroups& groups);

// Handed to a command handler: who asked, and how to answer. reply() may be
// called later (after worker results come back); the client may be gone by
// then, which is harmless. ok() or fail() ends the request: the first one
// counts, later calls are ignored.
class Responder {
 public:
  virtual ~Responder() = default;
  virtual void event(std::string_view event, const nlohmann::json& body) = 0;
  virtual void ok(const nlohmann::json& result) = 0;
  virtual void fail(const Error& error) = 0;
};

using CommandHandler =
    std::function<void(const protocol::Request&, const Peer&, std::shared_ptr<Responder>)>;

struct CommandSpec {
  Access access = Access::read;
  // Requests of this command running at once, over all clients (0: no limit).
  // `check` logs in to every server: a pipelined flood must not become N
  // fan-outs of SSH and SQL logins.
  std::size_t max_running = 0;
};

struct ControlServerOptions {
  std::string path;
  std::string group;        // socket group (may connect and read); empty: root only
  std::string admin_group;  // may also change clusters; empty: root only
  // A client with nothing running that sends no request for this long is
  // dropped. A client waiting for its answer (a switchover's 60 s catch-up
  // wait) is never idle.
  std::chrono::milliseconds idle_timeout{30000};
  // A line must be complete this long after its first byte, however the
  // bytes trickle in: one byte every 29 s does not hold a slot forever.
  std::chrono::milliseconds line_timeout{10000};
  // At most this many clients; a new one then evicts the one idle longest,
  // or is turned away with `busy` when every client is waiting for an answer.
  std::size_t max_clients = 256;
  std::size_t max_in_flight = 8;       // requests of one client not yet answered
  std::size_t read_per_event = 65536;  // bytes read per readiness event and client
  std::size_t max_output_bytes = 16 * 1024 * 1024;  // a client that does not read is dropped
};

class ControlServer {
 public:
  ControlServer(EventLoop& loop, ControlServerOptions options);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds the socket. Refuses when another mhad answers on the path; removes
  // a stale socket file left by a crashed one.
  Result<void> start();
  void add_command(std::string name, CommandHandler handler, CommandSpec spec = {});
  // After a reload: resolves both groups again and gives the socket to the
  // new socket group. Problems are logged (error, with the fix) and returned.
  Result<void> set_groups(std::string group, std::string admin_group);
  const AccessGroups& groups() const { return m_groups; }
  std::size_t client_count() const { return m_clients.size(); }
  // The most request bytes ever buffered for one client: what the line limit
  // and read_per_event bound (at most k_max_line_bytes + read_per_event).
  std::size_t peak_input_bytes() const { return m_peak_input; }

 private:
  struct Client;
  struct Command;
  class ClientResponder;

  void accept_clients();
  bool make_room();
  void on_client_event(int fd, std::uint32_t events);
  bool read_input(Client& client, bool& eof);
  void handle_line(Client& client, std::string_view line);
  void finished(int fd, std::uint64_t client_id, const std::string& command);
  void send(int fd, std::string text);
  void flush(Client& client);
  void drop(int fd, std::string_view why);
  void arm_idle(Client& client);
  void arm_line_deadline(Client& client);
  Result<void> apply_socket_group();

  EventLoop& m_loop;
  ControlServerOptions m_options;
  AccessGroups m_groups;
  int m_listen_fd = -1;
  std::uint64_t m_next_client_id = 1;
  std::map<int, std::unique_ptr<Client>> m_clients;
  std::map<std::string, Command, std::less<>> m_commands;
  // Responders may outlive the server (a pool job still holds one at
  // shutdown): they reach it through this, cleared by the destructor.
  // Atomic: a responder's last owner may be a worker thread.
  std::shared_ptr<std::atomic<ControlServer*>> m_self;
  MonoTime m_last_full_warning{};
  std::size_t m_turned_away = 0;
  std::size_t m_peak_input = 0;
};

}  // namespace mha

// The control socket: a Unix stream socket speaking newline-delimited JSON
// (common/protocol.h). Each client is non-blocking and buffered on the event
// loop; a bad client (malformed JSON, an oversized line, silence, a peer that
// never reads) gets an error and/or is dropped, and never affects another
// client or the monitors. Commands are dispatched from one table.
#pragma once

#include "common/protocol.h"
#include "daemon/event_loop.h"

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace mha {

struct Peer {
  pid_t pid = 0;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
};

// Handed to a command handler: who asked, and how to answer. reply() may be
// called later (after worker results come back); the client may be gone by
// then, which is harmless.
class Responder {
 public:
  virtual ~Responder() = default;
  virtual void event(std::string_view event, const nlohmann::json& body) = 0;
  virtual void ok(const nlohmann::json& result) = 0;
  virtual void fail(const Error& error) = 0;
};

using CommandHandler =
    std::function<void(const protocol::Request&, const Peer&, std::shared_ptr<Responder>)>;

struct ControlServerOptions {
  std::string path;
  std::string group;  // socket group (status/check open to it); empty: keep root's
  std::chrono::milliseconds idle_timeout{30000};  // a client that says nothing is dropped
  std::size_t max_clients = 256;
  std::size_t max_output_bytes = 16 * 1024 * 1024;  // a client that does not read is dropped
};

class ControlServer {
 public:
  ControlServer(EventLoop& loop, ControlServerOptions options);
  ~ControlServer();

  // Binds the socket. Refuses when another mhad answers on the path; removes
  // a stale socket file left by a crashed one.
  Result<void> start();
  void add_command(std::string name, CommandHandler handler);
  std::size_t client_count() const { return m_clients.size(); }

 private:
  struct Client;
  class ClientResponder;

  void accept_clients();
  void on_client_event(int fd, std::uint32_t events);
  void handle_line(Client& client, std::string_view line);
  void send(int fd, std::string text);
  void flush(Client& client);
  void drop(int fd, std::string_view why);
  void touch(Client& client);

  EventLoop& m_loop;
  ControlServerOptions m_options;
  int m_listen_fd = -1;
  std::uint64_t m_next_client_id = 1;
  std::map<int, std::unique_ptr<Client>> m_clients;
  std::map<std::string, CommandHandler> m_commands;
};

}  // namespace mha

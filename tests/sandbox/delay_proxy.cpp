// The relay of delay_proxy.h: one child process, one poll loop.
#include "tests/sandbox/delay_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netfilter_ipv4.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <deque>
#include <list>
#include <thread>

namespace mha::sandbox {

namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_slow = 0;
volatile std::sig_atomic_t g_stop = 0;

// Bytes read from one side, to be written to the other at `due`.
struct Chunk {
  Clock::time_point due;
  std::string data;
  std::size_t written = 0;
};

// One direction of one connection.
struct Direction {
  int from = -1, to = -1;
  bool delayed = false;  // upstream -> client: what the host sends
  bool first = true;     // the first bytes (a greeting) come 2 x delay late
  bool eof = false;      // `from` is done; shut `to` down once drained
  std::deque<Chunk> queue;
  std::size_t queued = 0;
};

struct Relay {
  int client = -1, upstream = -1;
  Direction up, down;
  bool dead = false;
};

constexpr std::size_t k_max_queued = 4 << 20;  // stop reading a side past this

void nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Reads what `d.from` has into the queue; false on an error.
bool read_side(Direction& d, std::chrono::milliseconds delay) {
  char buf[65536];
  const ssize_t n = ::read(d.from, buf, sizeof buf);
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  if (n == 0) {
    d.eof = true;
    if (d.queue.empty()) ::shutdown(d.to, SHUT_WR);
    return true;
  }
  auto due = Clock::now();
  if (d.delayed && g_slow) due += d.first ? 2 * delay : delay;
  d.first = false;
  // FIFO: never ahead of what is queued already.
  if (!d.queue.empty() && d.queue.back().due > due) due = d.queue.back().due;
  d.queue.push_back(Chunk{due, std::string(buf, static_cast<std::size_t>(n)), 0});
  d.queued += static_cast<std::size_t>(n);
  return true;
}

// Writes the due head of the queue; false on an error.
bool write_side(Direction& d) {
  while (!d.queue.empty() && d.queue.front().due <= Clock::now()) {
    Chunk& c = d.queue.front();
    const ssize_t n = ::send(d.to, c.data.data() + c.written, c.data.size() - c.written, MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    c.written += static_cast<std::size_t>(n);
    d.queued -= static_cast<std::size_t>(n);
    if (c.written < c.data.size()) return true;
    d.queue.pop_front();
  }
  if (d.eof && d.queue.empty()) ::shutdown(d.to, SHUT_WR);
  return true;
}

// The connection REDIRECTed to us, connected to where it was going.
bool open_relay(int listener, std::list<Relay>& relays) {
  const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (client < 0) return false;
  sockaddr_in original{};
  socklen_t length = sizeof original;
  if (::getsockopt(client, SOL_IP, SO_ORIGINAL_DST, &original, &length) != 0) {
    ::close(client);
    return false;
  }
  const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  // Local (the same namespace): a blocking connect returns at once.
  if (upstream < 0 || ::connect(upstream, reinterpret_cast<sockaddr*>(&original), sizeof original) != 0) {
    if (upstream >= 0) ::close(upstream);
    ::close(client);
    return false;
  }
  nonblocking(client);
  nonblocking(upstream);
  Relay& r = relays.emplace_back();
  r.client = client;
  r.upstream = upstream;
  r.up.from = client;
  r.up.to = upstream;
  r.down.from = upstream;
  r.down.to = client;
  r.down.delayed = true;
  return true;
}

[[noreturn]] void relay_loop(const std::string& ns, int port, std::chrono::milliseconds delay) {
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  const int ns_fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0 || ::setns(ns_fd, CLONE_NEWNET) != 0) {
    std::perror("delay_proxy: setns");
    ::_exit(2);
  }
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int yes = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_port = htons(static_cast<std::uint16_t>(port));
  any.sin_addr.s_addr = htonl(INADDR_ANY);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0 || ::listen(listener, 128) != 0) {
    std::perror("delay_proxy: listen");
    ::_exit(2);
  }
  nonblocking(listener);
  std::list<Relay> relays;
  // Bounded like every load loop here: an hour at most.
  const auto end = Clock::now() + std::chrono::hours(1);
  while (!g_stop && Clock::now() < end) {
    std::vector<pollfd> fds{{listener, POLLIN, 0}};
    std::vector<std::pair<Relay*, Direction*>> owners{{nullptr, nullptr}};
    auto timeout = std::chrono::milliseconds(200);
    for (auto& r : relays)
      for (Direction* d : {&r.up, &r.down}) {
        short events = 0;
        if (!d->eof && d->queued < k_max_queued) events |= POLLIN;
        if (!d->queue.empty()) {
          const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(d->queue.front().due - Clock::now());
          if (wait.count() <= 0) events |= POLLOUT;
          else timeout = std::min(timeout, wait + std::chrono::milliseconds(1));
        }
        // Reads on `from`, writes on `to`: two entries, each left out (-1)
        // when not wanted, so that a hung-up socket does not spin the loop.
        fds.push_back({(events & POLLIN) ? d->from : -1, POLLIN, 0});
        owners.push_back({&r, d});
        fds.push_back({(events & POLLOUT) ? d->to : -1, POLLOUT, 0});
        owners.push_back({&r, d});
      }
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
    if (ready < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN)
      while (open_relay(listener, relays)) {
      }
    for (std::size_t i = 1; i < fds.size(); ++i) {
      auto [r, d] = owners[i];
      if (r->dead) continue;
      const bool reading = (i % 2) == 1;
      if (reading && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) && !read_side(*d, delay)) r->dead = true;
      if (!reading && fds[i].revents && !write_side(*d)) r->dead = true;
    }
    for (auto it = relays.begin(); it != relays.end();) {
      const bool done = it->up.eof && it->down.eof && it->up.queue.empty() && it->down.queue.empty();
      if (it->dead || done) {
        ::close(it->client);
        ::close(it->upstream);
        it = relays.erase(it);
      } else {
        ++it;
      }
    }
  }
  ::_exit(0);
}

}  // namespace

bool DelayProxy::start(const std::string& ns, int port, std::chrono::milliseconds delay) {
  stop();
  m_pid = ::fork();
  if (m_pid < 0) return false;
  if (m_pid == 0) {
    ::signal(SIGUSR1, [](int) { g_slow = 1; });
    ::signal(SIGUSR2, [](int) { g_slow = 0; });
    ::signal(SIGTERM, [](int) { g_stop = 1; });
    ::signal(SIGINT, SIG_IGN);
    relay_loop(ns, port, delay);
  }
  // Listening within a second, or it failed.
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
      m_pid = -1;
      return false;
    }
  }
  return true;
}

bool DelayProxy::slow(bool on) const { return m_pid > 0 && ::kill(m_pid, on ? SIGUSR1 : SIGUSR2) == 0; }

void DelayProxy::stop() {
  if (m_pid <= 0) return;
  ::kill(m_pid, SIGTERM);
  for (int i = 0; i < 250; ++i) {
    if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
      m_pid = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(m_pid, SIGKILL);
  ::waitpid(m_pid, nullptr, 0);
  m_pid = -1;
}

}  // namespace mha::sandbox

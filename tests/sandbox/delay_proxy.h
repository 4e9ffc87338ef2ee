// A slow link without tc netem (this kernel has no netem qdisc): a TCP
// relay in a host's network namespace that iptables REDIRECTs the host's
// incoming connections to (ports 3306 and 22), which holds back everything
// the host sends by a delay, as netem on its egress would. Only new
// connections are redirected, so it is set up before anything connects and
// started with no delay; the delay is switched on and off by signal.
//
// Against netem delay D on the host's link: a reply comes D late (the
// same); a new connection's greeting 2 x D late (netem: SYN-ACK D plus the
// greeting D; here the first bytes get 2 x D); the TCP handshake itself
// completes at once here (the relay's kernel answers it), later under netem.
#pragma once

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace mha::sandbox {

class DelayProxy {
 public:
  DelayProxy() = default;
  ~DelayProxy() { stop(); }
  DelayProxy(const DelayProxy&) = delete;
  DelayProxy& operator=(const DelayProxy&) = delete;

  // A child process in network namespace `ns` (/run/netns/NS) relaying
  // connections REDIRECTed to `port` to their original destination, with
  // `delay` once slow(true).
  bool start(const std::string& ns, int port, std::chrono::milliseconds delay);
  // Delay on (SIGUSR1) or off (SIGUSR2).
  bool slow(bool on) const;
  // SIGTERM by PID, then SIGKILL after 5 s.
  void stop();

 private:
  pid_t m_pid = -1;
};

}  // namespace mha::sandbox

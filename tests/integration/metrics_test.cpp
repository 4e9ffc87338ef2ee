// /metrics of a real mhad against the loopback sandbox, scraped over plain
// HTTP before, during and after the failover of a SIGKILLed master.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "integration/failover_support.h"

using namespace mha;
using namespace mha::it;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// A port nothing listens on right now (the kernel's choice for port 0).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof a;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// GET /metrics over HTTP/1.0 (the server closes after the reply): the
// whole reply, headers included, or "" when nothing answered within 5 s.
std::string scrape(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n <= 0) break;
      reply.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return reply;
}

// The value of sample `series` ("name{labels}"), or -1 when it is absent.
double sample(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

double failovers(const std::string& text) {
  double total = 0;
  for (const char* result : {"completed", "completed_with_errors", "refused", "failed", "needs_operator"})
    total += std::max(0.0, sample(text, fmt::format(R"(mhad_failovers_total{{cluster="sandbox",result="{}"}})", result)));
  return total;
}

std::string up(const std::string& server, const std::string& role) {
  return fmt::format(R"(mhad_server_up{{cluster="sandbox",server="{}",role="{}"}})", server, role);
}

void check_families_and_secrets(const std::string& reply) {
  CHECK(reply.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(reply.find("\r\nContent-Type: text/plain") != std::string::npos);  // the text exposition format
  for (const char* family : {"mhad_server_up gauge", "mhad_replication_lag_seconds gauge", "mhad_master_verdict gauge",
                             "mhad_failovers_total counter", "mhad_switchovers_total counter",
                             "mhad_failover_duration_seconds histogram", "mhad_check_duration_seconds histogram",
                             "mhad_failover_ready gauge"})
    CHECK(reply.find(std::string("\n# TYPE ") + family + "\n") != std::string::npos);
  // The sandbox's passwords (sandbox.sh gen-config, the app user's).
  for (const char* secret : {"mhapass", "replpass", "apppass"}) CHECK(reply.find(secret) == std::string::npos);
}

}  // namespace

TEST_CASE("/metrics before, during and after the failover of a killed master", "[integration][metrics]") {
  FreshSandboxAfter rebuild;
  const std::string dir = failover_config_dir();
  const int port = free_port();
  {
    std::ofstream main(dir + "/mhad.toml", std::ios::app);  // gen-config ends in [daemon]
    main << "metrics_listen = \"127.0.0.1:" << port << "\"\n";
  }
  Mhad mhad(dir);
  // Held 3 s before recover_master: the dead verdict can be scraped while it stands.
  start_ready(mhad, {{"MHAD_TEST_PAUSE_AT_PHASE", "recover_master:3000"}});

  const auto scrape_started = std::chrono::steady_clock::now();
  const std::string before = scrape(port);
  WARN("one scrape of /metrics (3 servers): "
       << std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - scrape_started).count()
       << " us");
  INFO(before << "\n" << mhad.log());
  check_families_and_secrets(before);
  CHECK(sample(before, up("master", "master")) == 1);
  CHECK(sample(before, up("slave1", "replica")) == 1);
  CHECK(sample(before, up("slave2", "replica")) == 1);
  CHECK(sample(before, R"(mhad_replication_lag_seconds{cluster="sandbox",server="slave1"})") >= 0);
  CHECK(sample(before, R"(mhad_master_verdict{cluster="sandbox",verdict="healthy"})") == 1);
  CHECK(sample(before, R"(mhad_failover_ready{cluster="sandbox"})") == 1);
  CHECK(failovers(before) == 0);
  CHECK(sample(before, "mhad_check_duration_seconds_count") > 0);

  REQUIRE(run(sandbox_script() + " kill 0 KILL").exit_code == 0);
  wait_for_test_pause(mhad);
  const std::string during = scrape(port);
  const std::string verdict = mhad.status()["clusters"][0]["detection"]["verdict"];
  INFO(during);
  CHECK((verdict == "dead" || verdict == "dead_host"));
  CHECK(sample(during, fmt::format(R"(mhad_master_verdict{{cluster="sandbox",verdict="{}"}})", verdict)) == 1);
  CHECK(sample(during, R"(mhad_master_verdict{cluster="sandbox",verdict="healthy"})") == 0);
  CHECK(sample(during, up("master", "master")) == 0);  // the dead master keeps its role label

  json failover;
  REQUIRE(wait_until(30s, [&] { return !(failover = last_failover(mhad.status())).is_null(); }));
  REQUIRE(failover["result"] == "completed");
  const std::string after = scrape(port);
  INFO(after);
  check_families_and_secrets(after);
  CHECK(failovers(after) == failovers(before) + 1);
  CHECK(sample(after, R"(mhad_failovers_total{cluster="sandbox",result="completed"})") == 1);
  CHECK(sample(after, "mhad_failover_duration_seconds_count") == 1);
  CHECK(sample(after, up("slave1", "master")) == 1);  // candidate_master in the sandbox config
  CHECK(sample(after, up("slave2", "replica")) == 1);
  CHECK(sample(after, R"(mhad_server_up{cluster="sandbox",server="master",role="unknown"})") == 0);
}

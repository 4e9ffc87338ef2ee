#include "bench/netns_bench.h"

#include "bench/bench_support.h"
#include "common/text.h"
#include "daemon/mariadb_session.h"

#include <cstdio>
#include <cctype>
#include <cstdlib>
#include <sstream>

namespace mha::bench {

using namespace std::chrono_literals;

bool NetnsSandbox::start() {
  run(m_script + " stop --purge --dir " + m_dir, 180);
  auto r = run(m_script + " start --mode netns --dir " + m_dir, 300);
  if (r.exit_code != 0) {
    std::fprintf(stderr, "%s: sandbox start failed:\n%s\n", g_program, tail(r.out, 20).c_str());
    return false;
  }
  m_started = true;
  std::istringstream in(run(m_script + " env --dir " + m_dir, 30).out);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (line.rfind("export ", 0) != 0 || eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '\'') value = value.substr(1, value.size() - 2);
    m_env[line.substr(7, eq - 7)] = value;
  }
  return m_env.count("MHA_SANDBOX_NETNS") && m_env.count("MHA_SANDBOX_VIP");
}

void NetnsSandbox::stop() {
  if (!m_started) return;
  run(m_script + " stop --purge --dir " + m_dir, 120);
  m_started = false;
}

std::string NetnsSandbox::ns(int host) const {
  std::istringstream in(env("MHA_SANDBOX_NETNS"));
  std::string name;
  for (int i = 0; i <= host; ++i) in >> name;
  return name;
}

std::string NetnsSandbox::vip() const {
  const std::string cidr = vip_cidr();
  return cidr.substr(0, cidr.find('/'));
}

bool NetnsSandbox::sql(int host, const std::string& statement) const {
  return run(m_script + " sql " + std::to_string(host) + " " + shell_quote(statement) + " --dir " + m_dir, 30)
             .exit_code == 0;
}

std::optional<std::set<long long>> NetnsSandbox::row_ids(int host) const {
  auto r = run(m_script + " sql " + std::to_string(host) + " 'SELECT id FROM mha_test.bench' --dir " + m_dir, 60);
  if (r.exit_code != 0) return std::nullopt;
  std::set<long long> ids;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0]))) ids.insert(std::atoll(line.c_str()));
  return ids;
}

bool NetnsSandbox::in_host(int host, const std::string& command, int timeout_seconds) const {
  return run("ip netns exec " + ns(host) + " " + command, timeout_seconds).exit_code == 0;
}

VipWriter::VipWriter(std::string vip) : m_vip(std::move(vip)) {
  m_thread = std::thread([this] { loop(); });
}

void VipWriter::stop() {
  m_stop = true;
  if (m_thread.joinable()) m_thread.join();
}

std::vector<VipWriter::Ack> VipWriter::acks() {
  std::lock_guard lock(m_mutex);
  return m_acks;
}

int VipWriter::errors() {
  std::lock_guard lock(m_mutex);
  return m_errors;
}

void VipWriter::loop() {
  const auto give_up = Steady::now() + 20min;
  MariadbSession session;
  SqlEndpoint e{m_vip, 3306, "app", "apppass"};
  e.connect_timeout = 1s;
  e.read_timeout = 2s;
  while (!m_stop && !g_interrupted && Steady::now() < give_up) {
    bool ok = (session.connected() || session.connect(e)) &&
              session.execute("INSERT INTO mha_test.bench (at) VALUES (NOW(6))");
    const auto at = Steady::now();  // acknowledged: autocommit returned OK
    long long id = -1;
    if (ok)
      if (auto rows = session.query("SELECT LAST_INSERT_ID()"); rows && !rows->rows.empty() && rows->rows[0][0])
        id = std::atoll(rows->rows[0][0]->c_str());
    {
      std::lock_guard lock(m_mutex);
      if (ok) m_acks.push_back(Ack{at, id});
      else ++m_errors;
    }
    if (!ok) session.close();
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace mha::bench

// Moving the VIP: ShellVip (built in, over SSH) and ScriptVip (MHA's
// master_ip_failover_script). See vip.h.
#include "daemon/failover/vip.h"

#include "common/text.h"

#include "daemon/failover/hook_scripts.h"
#include "daemon/script_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

namespace mha {

namespace {

using std::chrono::milliseconds;

constexpr std::size_t kDetailOutputLimit = 4096;

// "10.1.2.3/24" -> "10.1.2.3".
std::string address_ip(const std::string& address) { return address.substr(0, address.find('/')); }
bool is_ipv6(const std::string& address) { return address.find(':') != std::string::npos; }

std::string sudo_prefix(const ServerConfig& host) {
  return host.ssh_user.empty() || host.ssh_user == "root" ? "" : "sudo -n ";
}

constexpr std::string_view kPath = "PATH=\"$PATH:/usr/sbin:/sbin\"; ";

bool has_line(const std::string& text, std::string_view line) {
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view current(text.data() + start, end - start);
    while (!current.empty() && (current.back() == '\r' || current.back() == ' ')) current.remove_suffix(1);
    if (current == line) return true;
    start = end + 1;
  }
  return false;
}

bool contains_any(const std::string& text, std::initializer_list<std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view needle) { return text.find(needle) != std::string::npos; });
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  std::size_t start = 0;
  while (start < text.size() && (text[start] == '\n' || text[start] == ' ')) ++start;
  return text.substr(start);
}

// The last part of a script's/command's output, for a report line.
std::string output_tail(const std::string& output) {
  std::string text = trimmed(output);
  if (text.size() > kDetailOutputLimit) text = "..." + text.substr(text.size() - kDetailOutputLimit);
  return text;
}

std::string command_error_text(const CommandResult& result) {
  std::string text = trimmed(result.err);
  std::string out = trimmed(result.out);
  if (text.empty()) text = out;
  if (text.empty()) text = "no output";
  return fmt::format("exit status {}: {}", result.exit_status, output_tail(text));
}

}  // namespace

// ---- ShellVip ---------------------------------------------------------------

ShellVip::ShellVip(VipConfig config, ShellFactory shells)
    : m_config(std::move(config)), m_shells(std::move(shells)) {}

std::string ShellVip::release_command(const VipConfig& config, const ServerConfig& host) {
  const std::string sudo = sudo_prefix(host);
  const std::string address = shell_word(config.address);
  const std::string interface = shell_word(config.interface);
  const std::string ip = shell_word(address_ip(config.address));
  return fmt::format(
      "{}if {}ip addr del {} dev {}; then echo removed; "
      "elif [ -z \"$(ip -o addr show dev {} to {})\" ]; then echo absent; else exit 1; fi",
      kPath, sudo, address, interface, interface, ip);
}

std::string ShellVip::acquire_command(const VipConfig& config, const ServerConfig& host) {
  const std::string sudo = sudo_prefix(host);
  const std::string address = shell_word(config.address);
  const std::string interface = shell_word(config.interface);
  const std::string ip = shell_word(address_ip(config.address));
  std::string command = fmt::format(
      "{}if {}ip addr add {} dev {}; then echo added; "
      "elif [ -n \"$(ip -o addr show dev {} to {})\" ]; then echo present; else exit 1; fi",
      kPath, sudo, address, interface, interface, ip);
  if (config.arping && !is_ipv6(config.address)) command += "; " + announce_command(config, host);
  return command;
}

std::string ShellVip::announce_command(const VipConfig& config, const ServerConfig& host) {
  // Sent in the background with every descriptor off the SSH channel, so
  // the command returns at once (arping -c 2 takes about a second).
  return fmt::format(
      "if command -v arping >/dev/null 2>&1; then "
      "({0}arping -q -U -c 2 -I {1} -s {2} {2} || {0}arping -q -U -c 2 -i {1} -S {2} {2}) "
      ">/dev/null 2>&1 </dev/null & echo arping; else echo no-arping; fi",
      sudo_prefix(host), shell_word(config.interface), shell_word(address_ip(config.address)));
}

std::string announce_vip(const ClusterConfig& cluster, const ServerConfig& host, const ShellFactory& shells) {
  if (!cluster.vip || !cluster.vip->arping || cluster.vip->interface.empty() || is_ipv6(cluster.vip->address) ||
      !shells)
    return "";
  auto shell = shells(host);
  if (!shell) return "";
  auto r = shell->run(std::string(kPath) + ShellVip::announce_command(*cluster.vip, host), ShellVip::acquire_timeout(host));
  if (!r) return fmt::format("; gratuitous ARP from '{}' not sent: {}", host.name, r.error().message);
  if (has_line(r->out, "no-arping"))
    return fmt::format("; arping not installed on {}: clients' ARP caches update on their own", host.name);
  return fmt::format("; mhad sent a gratuitous ARP for {} from '{}' ([vip] interface {})",
                     address_ip(cluster.vip->address), host.name, cluster.vip->interface);
}

milliseconds ShellVip::release_timeout(const ServerConfig& host) {
  milliseconds configured = host.ssh_connection_timeout;
  if (configured <= milliseconds::zero()) configured = milliseconds(3000);
  return std::min(configured, milliseconds(3000));
}

milliseconds ShellVip::acquire_timeout(const ServerConfig& host) {
  milliseconds configured = std::max(host.ssh_connection_timeout, milliseconds::zero());
  return configured + milliseconds(5000);
}

RemoteShell* ShellVip::shell_for(const ServerConfig& server) {
  std::lock_guard lock(m_mutex);
  auto& slot = m_shell_cache[server.name];
  if (!slot && m_shells) slot = m_shells(server);
  return slot.get();
}

void ShellVip::prepare(const ServerConfig& server) {
  if (RemoteShell* shell = shell_for(server))
    if (!shell->run("true", acquire_timeout(server))) shell->close();
}

VipOutcome ShellVip::do_release(const ServerConfig& old_master, bool ssh_reachable, milliseconds limit) {
  VipOutcome outcome;
  const std::string where = fmt::format("{} ({})", old_master.name, m_config.interface);
  if (!ssh_reachable) {
    outcome.ok = true;
    outcome.warning = true;
    outcome.detail = fmt::format("VIP {} may still be on {}: host unreachable over SSH", m_config.address, where);
    return outcome;
  }
  RemoteShell* shell = shell_for(old_master);
  if (!shell) {
    outcome.ok = true;
    outcome.warning = true;
    outcome.detail = fmt::format("VIP {} may still be on {}: no SSH access configured", m_config.address, where);
    return outcome;
  }
  auto result = shell->run(release_command(m_config, old_master), std::min(release_timeout(old_master), limit));
  if (!result) {
    // Dead or cut off after all: nobody can take it away now; proceed.
    shell->close();
    outcome.ok = true;
    outcome.warning = true;
    outcome.detail = fmt::format("VIP {} may still be on {}: {}", m_config.address, where, result.error().message);
    return outcome;
  }
  const CommandResult& r = *result;
  const std::string all = r.out + "\n" + r.err;
  if (r.exit_status == 0 && has_line(r.out, "absent")) {
    outcome.ok = true;
    outcome.detail = fmt::format("VIP {} was not on {}", m_config.address, where);
  } else if (r.exit_status == 0) {
    outcome.ok = true;
    outcome.detail = fmt::format("VIP {} removed from {}", m_config.address, where);
  } else if (contains_any(all, {"Cannot assign requested address", "Address not found"})) {
    outcome.ok = true;
    outcome.detail = fmt::format("VIP {} was not on {}", m_config.address, where);
  } else {
    outcome.ok = false;
    outcome.detail = fmt::format("could not remove VIP {} from {}: {}", m_config.address, where,
                                 command_error_text(r));
    return outcome;
  }
  std::lock_guard lock(m_mutex);
  if (m_holder == old_master.name) m_holder.clear();
  return outcome;
}

VipOutcome ShellVip::do_acquire(const ServerConfig& /*old_master*/, const ServerConfig& new_master, milliseconds limit) {
  VipOutcome outcome;
  const std::string where = fmt::format("{} ({})", new_master.name, m_config.interface);
  RemoteShell* shell = shell_for(new_master);
  if (!shell) {
    outcome.detail = fmt::format("could not add VIP {} on {}: no SSH access configured", m_config.address, where);
    return outcome;
  }
  auto result = shell->run(acquire_command(m_config, new_master), std::min(acquire_timeout(new_master), limit));
  if (!result) {
    shell->close();
    outcome.detail = fmt::format("could not add VIP {} on {}: {}", m_config.address, where, result.error().message);
    return outcome;
  }
  const CommandResult& r = *result;
  const std::string all = r.out + "\n" + r.err;
  if (r.exit_status == 0) {
    outcome.detail = has_line(r.out, "present") ? fmt::format("VIP {} was already on {}", m_config.address, where)
                                                : fmt::format("VIP {} added on {}", m_config.address, where);
  } else if (contains_any(all, {"File exists", "Address already assigned"})) {
    outcome.detail = fmt::format("VIP {} was already on {}", m_config.address, where);
  } else {
    outcome.detail = fmt::format("could not add VIP {} on {}: {}", m_config.address, where, command_error_text(r));
    return outcome;
  }
  outcome.ok = true;
  if (!m_config.arping) {
    outcome.detail += "; gratuitous ARP disabled ([vip] arping = false)";
  } else if (is_ipv6(m_config.address)) {
    outcome.detail += "; no gratuitous ARP for IPv6";
  } else if (has_line(r.out, "no-arping")) {
    outcome.detail += fmt::format("; arping not installed on {}: clients' ARP caches update on their own",
                                  new_master.name);
  } else if (has_line(r.out, "arping")) {
    outcome.detail += "; gratuitous ARP sent";
  }
  std::lock_guard lock(m_mutex);
  m_holder = new_master.name;
  return outcome;
}

std::string ShellVip::describe() const {
  std::string text = fmt::format("VIP {} on {} (built in: ip addr over SSH{})", m_config.address,
                                 m_config.interface, m_config.arping ? ", gratuitous ARP" : "");
  std::lock_guard lock(m_mutex);
  if (!m_holder.empty()) text += fmt::format("; last placed on {}", m_holder);
  return text;
}

// ---- ScriptVip --------------------------------------------------------------

ScriptVip::ScriptVip(ClusterConfig cluster, bool ignored_vip, ShellFactory shells)
    : m_cluster(std::move(cluster)), m_ignored_vip(ignored_vip), m_shells(std::move(shells)) {}

VipOutcome ScriptVip::run(const std::string& what, const std::vector<std::string>& argv, milliseconds limit,
                          bool ten_is_warning) {
  const milliseconds timeout = std::min(kVipScriptTimeout, limit);
  ScriptResult r = run_script(argv, timeout, m_cluster);
  VipOutcome outcome;
  const bool exited = r.started && !r.timed_out && r.signal == 0;
  outcome.ok = exited && (r.exit_code == 0 || (ten_is_warning && r.exit_code == 10));
  outcome.warning = outcome.ok && r.exit_code == 10;
  std::string status = script_status_text(r, timeout);
  if (outcome.warning) status += " (proceeding with a warning)";
  outcome.detail = fmt::format("master_ip_failover_script {}: {}", what, status);
  std::string output = output_tail(r.output);
  if (!output.empty()) outcome.detail += "\n" + output;
  outcome.detail = scrub_secrets(std::move(outcome.detail), m_cluster);
  return outcome;
}

VipOutcome ScriptVip::do_release(const ServerConfig& old_master, bool ssh_reachable, milliseconds limit) {
  {
    std::lock_guard lock(m_mutex);
    m_orig_reachable = ssh_reachable;
  }
  auto command = ssh_reachable ? VipCommand::stopssh : VipCommand::stop;
  auto outcome = run(fmt::format("--command={} for {}", ssh_reachable ? "stopssh" : "stop", old_master.name),
                     vip_script_argv(m_cluster, command, old_master), limit);
  if (outcome.ok) {
    std::lock_guard lock(m_mutex);
    if (m_holder == old_master.name) m_holder.clear();
  }
  return outcome;
}

VipOutcome ScriptVip::do_acquire(const ServerConfig& old_master, const ServerConfig& new_master,
                                 milliseconds limit) {
  bool orig_reachable;
  {
    std::lock_guard lock(m_mutex);
    orig_reachable = m_orig_reachable;
  }
  auto outcome = run(fmt::format("--command=start for {}", new_master.name),
                     vip_script_argv(m_cluster, VipCommand::start, old_master, &new_master, orig_reachable), limit);
  if (outcome.ok) {
    outcome.detail += announce_vip(m_cluster, new_master, m_shells);
    std::lock_guard lock(m_mutex);
    m_holder = new_master.name;
  }
  return outcome;
}

VipOutcome ScriptVip::status(const ServerConfig& master) {
  // MHA: only 0 is OK at startup.
  return run(fmt::format("--command=status for {}", master.name),
             vip_script_argv(m_cluster, VipCommand::status, master), k_vip_no_limit, false);
}

std::string ScriptVip::describe() const {
  std::string text = fmt::format("master_ip_failover_script {}", m_cluster.master_ip_failover_script);
  if (m_ignored_vip) text += " ([vip] is configured too and ignored: the script wins)";
  std::lock_guard lock(m_mutex);
  if (!m_holder.empty()) text += fmt::format("; last placed on {}", m_holder);
  return text;
}

std::unique_ptr<Vip> make_vip(const ClusterConfig& cluster, ShellFactory shells) {
  if (!cluster.master_ip_failover_script.empty())
    return std::make_unique<ScriptVip>(cluster, cluster.vip.has_value(), std::move(shells));
  if (cluster.vip) return std::make_unique<ShellVip>(*cluster.vip, std::move(shells));
  return nullptr;
}

}  // namespace mha

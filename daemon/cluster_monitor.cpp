#include "daemon/cluster_monitor.h"

#include "common/log.h"

namespace mha {

using namespace std::chrono_literals;

namespace {

// VIP holders change only on failover, and an SSH command costs a few ms on
// a kept session; checking every few cycles is plenty for `status`.
constexpr unsigned k_vip_check_every_cycles = 5;
// Settings (log_bin, semi-sync enabled, ...) change rarely; read them on each
// new connection and then every 30 cycles.
constexpr unsigned k_inventory_every_cycles = 30;

Result<std::string> scalar_text(SqlSession& session, std::string_view sql) {
  auto rows = session.query(sql);
  if (!rows) return rows.error();
  return rows->scalar().value_or("");
}

}  // namespace

// Name/value rows (SHOW VARIABLES / SHOW STATUS) into a map.
static Result<std::map<std::string, std::string>> name_value_rows(SqlSession& session, std::string_view sql,
                                                                  bool lower_names) {
  auto rows = session.query(sql);
  if (!rows) return rows.error();
  std::map<std::string, std::string> out;
  for (const auto& row : rows->rows) {
    if (row.size() < 2 || !row[0]) continue;
    std::string name = *row[0];
    if (lower_names)
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out[name] = row[1].value_or("");
  }
  return out;
}

ServerObservation check_server(SqlSession& session, const SqlEndpoint& endpoint, MonoTime now,
                               const ServerObservation& previous, bool refresh_inventory) {
  ServerObservation obs;
  obs.checked = true;
  obs.checked_at = now;
  auto fail = [&](Error error) {
    obs.reachable = false;
    obs.error = std::move(error);
    // Keep what we knew about the server: the failover needs its last GTIDs.
    obs.version = previous.version;
    obs.flavor = previous.flavor;
    obs.variables = previous.variables;
    session.close();  // next check reconnects
    return obs;
  };
  bool fresh = !session.connected();
  if (fresh)
    if (auto r = session.connect(endpoint); !r) return fail(r.error());

  // Version and settings: on a new connection (the server may have been
  // upgraded or restarted) and every few cycles; otherwise carried over.
  if (fresh || refresh_inventory || !previous.flavor) {
    auto version = scalar_text(session, "SELECT VERSION()");
    if (!version) return fail(version.error().with_context("reading the version"));
    auto flavor = Flavor::from_version(*version);
    if (!flavor) return fail(flavor.error());
    obs.version = *version;
    obs.flavor = *flavor;
    auto vars = name_value_rows(session, Flavor::inventory_variables_sql(), true);
    if (!vars) return fail(vars.error().with_context("reading server variables"));
    obs.variables = std::move(*vars);
    obs.inventory_at = now;
  } else {
    obs.version = previous.version;
    obs.flavor = previous.flavor;
    obs.variables = previous.variables;
    obs.inventory_at = previous.inventory_at;
  }
  obs.server_id = static_cast<std::uint32_t>(std::strtoul(obs.variable("server_id").c_str(), nullptr, 10));
  obs.hostname = obs.variable("hostname");

  // read_only changes at a switchover: read it every cycle, with the GTIDs.
  auto read_only = scalar_text(session, "SELECT @@GLOBAL.read_only");
  if (!read_only) return fail(read_only.error().with_context("reading read_only"));
  obs.read_only = *read_only != "0";

  auto gtids = session.query(obs.flavor->gtid_executed_sql());
  if (!gtids) return fail(gtids.error().with_context("reading GTID positions"));
  if (!gtids->rows.empty()) {
    obs.gtid_executed = gtids->rows[0][0].value_or("");
    if (obs.flavor->kind() == FlavorKind::mariadb && gtids->rows[0].size() > 1)
      obs.gtid_slave_pos = gtids->rows[0][1].value_or("");
  }

  auto status = session.query(obs.flavor->replica_status_sql());
  if (!status) return fail(status.error().with_context("reading replica status"));
  if (!status->rows.empty()) {
    auto parsed = parse_replica_status(status->row_map(0));
    if (!parsed) return fail(parsed.error().with_context("parsing replica status"));
    obs.replica = std::move(*parsed);
  }

  auto counters = name_value_rows(session, Flavor::health_status_sql(), false);
  if (!counters) return fail(counters.error().with_context("reading status counters"));
  obs.status = std::move(*counters);
  obs.reachable = true;
  return obs;
}

bool ip_output_has_address(std::string_view ip_output, std::string_view cidr_or_address) {
  std::string_view address = cidr_or_address.substr(0, cidr_or_address.find('/'));
  // `ip -o addr show` lines: "2: eth0    inet 10.0.0.5/24 brd ... scope global eth0"
  std::size_t pos = 0;
  while ((pos = ip_output.find("inet ", pos)) != std::string_view::npos) {
    pos += 5;
    std::size_t end = ip_output.find_first_of("/ ", pos);
    if (ip_output.substr(pos, end - pos) == address) return true;
  }
  return false;
}

ClusterMonitor::ClusterMonitor(EventLoop& loop, WorkerPool& pool, Seams seams, ClusterConfig config)
    : m_loop(loop), m_pool(pool), m_seams(std::move(seams)), m_config(std::move(config)) {
  m_slots.resize(m_config.servers.size());
  for (auto& slot : m_slots) slot.session = m_seams.make_sql();
  if (m_config.vip)
    for (std::size_t i = 0; i < m_slots.size(); ++i) {
      const auto& server = m_config.servers[i];
      SshEndpoint endpoint{server.ssh_host, server.ssh_port, server.ssh_user, server.ssh_key,
                           server.ssh_connection_timeout};
      m_slots[i].shell = m_seams.make_shell(endpoint);
    }
}

ClusterMonitor::~ClusterMonitor() { stop(); }

void ClusterMonitor::start() {
  m_running = true;
  auto n = m_slots.size();
  for (std::size_t i = 0; i < n; ++i)
    schedule(i, std::chrono::duration_cast<std::chrono::milliseconds>(m_config.ping_interval * i / n));
}

void ClusterMonitor::stop() {
  m_running = false;
  for (auto& slot : m_slots) {
    m_loop.cancel(slot.timer);
    slot.timer = 0;
  }
}

void ClusterMonitor::schedule(std::size_t index, std::chrono::milliseconds delay) {
  std::weak_ptr<ClusterMonitor> weak = weak_from_this();
  m_slots[index].timer = m_loop.after(delay, [weak, index] {
    if (auto self = weak.lock()) {
      self->m_slots[index].timer = 0;
      self->run_check(index);
    }
  });
}

void ClusterMonitor::run_check(std::size_t index) {
  if (!m_running) return;
  schedule(index, m_config.ping_interval);  // fixed rate, independent of how long a check takes
  if (index == 0) ++m_cycle;
  ServerSlot& slot = m_slots[index];
  if (m_config.vip && !slot.ssh_busy && (m_cycle % k_vip_check_every_cycles) == 1) run_vip_check(index);
  if (slot.sql_busy) {
    // The previous check is still waiting on a timeout; don't pile up.
    log_debug({{"CLUSTER", m_config.name}, {"SERVER", m_config.servers[index].name}},
              "previous check still running, skipping this one");
    return;
  }
  slot.sql_busy = true;
  const auto& server = m_config.servers[index];
  SqlEndpoint endpoint{server.ip.empty() ? server.host : server.ip, server.port, m_config.user,
                       m_config.password.reveal(), m_config.connect_timeout, m_config.read_timeout};
  std::weak_ptr<ClusterMonitor> weak = weak_from_this();
  EventLoop& loop = m_loop;
  auto previous = std::make_shared<ServerObservation>(slot.observation);
  bool refresh_inventory = ++slot.cycles_since_inventory >= k_inventory_every_cycles;
  if (refresh_inventory) slot.cycles_since_inventory = 0;
  m_pool.submit([weak, index, endpoint = std::move(endpoint), session = std::move(slot.session), previous,
                 refresh_inventory, &loop] {
    auto obs = std::make_shared<ServerObservation>(
        check_server(*session, endpoint, MonoClock::now(), *previous, refresh_inventory));
    loop.post([weak, index, session, obs] {
      if (auto self = weak.lock()) self->on_observation(index, session, std::move(*obs));
    });
  });
}

void ClusterMonitor::on_observation(std::size_t index, std::shared_ptr<SqlSession> session,
                                    ServerObservation obs) {
  ServerSlot& slot = m_slots[index];
  slot.session = std::move(session);
  slot.sql_busy = false;
  ServerObservation before = std::move(slot.observation);
  slot.observation = std::move(obs);
  note_changes(index, before, slot.observation);
  std::vector<ServerObservation> all;
  all.reserve(m_slots.size());
  for (const auto& s : m_slots) all.push_back(s.observation);
  auto master = find_master(m_config, all, m_master);
  if (master != m_master && master) {
    log_notice({{"CLUSTER", m_config.name}, {"SERVER", m_config.servers[*master].name}, {"EVENT", "master_seen"}},
               "'{}' is the master", m_config.servers[*master].name);
  }
  m_master = master;
}

void ClusterMonitor::note_changes(std::size_t index, const ServerObservation& before,
                                  const ServerObservation& after) {
  // Log state changes once, not every cycle.
  auto old_state = derive_state(before, m_config.seconds_behind_master);
  auto new_state = derive_state(after, m_config.seconds_behind_master);
  if (old_state == new_state) return;
  const auto& server = m_config.servers[index];
  LogFields fields{{"CLUSTER", m_config.name}, {"SERVER", server.name}, {"EVENT", "server_state"},
                   {"STATE", std::string(server_state_name(new_state))}};
  std::string detail = state_detail(after);
  if (new_state == ServerState::ok)
    log_info(fields, "'{}' is {}", server.name, server_state_name(new_state));
  else
    log_warning(fields, "'{}' is {}{}{}", server.name, server_state_name(new_state),
                detail.empty() ? "" : ": ", detail);
}

void ClusterMonitor::run_vip_check(std::size_t index) {
  ServerSlot& slot = m_slots[index];
  if (!slot.shell) return;
  slot.ssh_busy = true;
  std::weak_ptr<ClusterMonitor> weak = weak_from_this();
  EventLoop& loop = m_loop;
  std::string address = m_config.vip->address;
  m_pool.submit([weak, index, address, shell = std::move(slot.shell), &loop] {
    Result<bool> held = make_error(Errc::internal, "not run");
    auto out = shell->run("ip -o addr show", 5s);
    if (!out)
      held = out.error();
    else if (out->exit_status != 0)
      held = make_error(Errc::io, "'ip -o addr show' exited with {}: {}", out->exit_status, out->err);
    else
      held = ip_output_has_address(out->out, address);
    loop.post([weak, index, shell, held] {
      if (auto self = weak.lock()) self->on_vip_result(index, shell, held);
    });
  });
}

void ClusterMonitor::on_vip_result(std::size_t index, std::shared_ptr<RemoteShell> shell, Result<bool> held) {
  ServerSlot& slot = m_slots[index];
  slot.shell = std::move(shell);
  slot.ssh_busy = false;
  if (held) {
    slot.holds_vip = *held;
    slot.vip_error.clear();
  } else {
    slot.holds_vip.reset();
    slot.vip_error = held.error().message;
  }
}

nlohmann::json ClusterMonitor::vip_status() const {
  using nlohmann::json;
  if (!m_config.vip)
    return json{{"address", nullptr}, {"holder", nullptr}, {"state", "not_configured"}, {"detail", ""}};
  std::vector<std::string> holders;
  std::string unknown;
  for (std::size_t i = 0; i < m_slots.size(); ++i) {
    const auto& slot = m_slots[i];
    if (slot.holds_vip.value_or(false)) holders.push_back(m_config.servers[i].name);
    if (!slot.holds_vip)
      unknown += fmt::format("{}{}: {}", unknown.empty() ? "" : "; ", m_config.servers[i].name,
                             slot.vip_error.empty() ? "not checked yet" : slot.vip_error);
  }
  json vip{{"address", m_config.vip->address}, {"interface", m_config.vip->interface}};
  if (holders.size() > 1) {
    std::string all;
    for (const auto& h : holders) all += (all.empty() ? "" : ", ") + h;
    vip["holder"] = holders[0];
    vip["state"] = "conflict";
    vip["detail"] = "held by more than one host: " + all;
  } else if (holders.size() == 1) {
    vip["holder"] = holders[0];
    vip["state"] = "held";
    vip["detail"] = unknown;
  } else {
    vip["holder"] = nullptr;
    vip["state"] = unknown.empty() ? "not_held" : "unknown";
    vip["detail"] = unknown;
  }
  return vip;
}

ClusterHealth ClusterMonitor::health() const {
  std::vector<ServerObservation> all;
  for (const auto& s : m_slots) all.push_back(s.observation);
  return derive_health(m_config, all, m_master);
}

nlohmann::json ClusterMonitor::status(MonoTime now) const {
  using nlohmann::json;
  json servers = json::array();
  for (std::size_t i = 0; i < m_slots.size(); ++i)
    servers.push_back(server_status_json(m_config.servers[i], m_slots[i].observation, m_config, now));
  return json{{"name", m_config.name},
              {"master", m_master ? json(m_config.servers[*m_master].name) : json(nullptr)},
              {"health", cluster_health_name(health())},
              {"ping_interval_ms", m_config.ping_interval.count()},
              {"vip", vip_status()},
              {"servers", servers}};
}

std::string ClusterMonitor::summary() const {
  return fmt::format("{} {}", m_config.name, cluster_health_name(health()));
}

}  // namespace mha

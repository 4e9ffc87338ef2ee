// The table of MHA parameters (see mha_params.h).

#include "ctl/import_mha/mha_params.h"

namespace mha::ctl::import_mha {

const std::vector<MhaParam>& mha_params() {
  static const std::vector<MhaParam> params = {
      {"user", "user", Kind::ascii_text, Place::cluster, {}},
      {"password", "password_file", Kind::secret, Place::cluster, {}},
      {"repl_user", "repl_user", Kind::ascii_text, Place::cluster, {}},
      {"repl_password", "repl_password_file", Kind::secret, Place::cluster, {}},
      {"ping_interval", "ping_interval", Kind::seconds, Place::cluster, {}},
      {"ping_type", "ping_type", Kind::ping_type, Place::cluster, {}},
      {"check_repl_filter", "check_repl_filter", Kind::flag, Place::cluster, {}},
      {"latest_priority", "latest_priority", Kind::flag, Place::cluster, {}},
      {"multi_tier_slave", "multi_tier_slave", Kind::flag, Place::cluster, {}},
      {"use_gtid_auto_pos", "use_gtid_auto_pos", Kind::flag, Place::cluster, {}},
      {"log_level", "log_level", Kind::log_level, Place::cluster, {}},

      {"hostname", "host", Kind::host, Place::server_only, {}},
      {"port", "port", Kind::port, Place::inherit, {}},
      {"ip", "ip", Kind::host, Place::server_only, {}},
      {"ssh_host", "ssh_host", Kind::host, Place::server_only, {}},
      {"ssh_port", "ssh_port", Kind::port, Place::inherit, {}},
      {"ssh_user", "ssh_user", Kind::ascii_text, Place::inherit, {}},
      {"ssh_options", "ssh_options", Kind::text, Place::inherit, {}},
      {"ssh_connection_timeout", "ssh_connection_timeout", Kind::seconds, Place::inherit, {}},
      {"candidate_master", "candidate_master", Kind::flag, Place::server_flag, {}},
      {"no_master", "no_master", Kind::flag, Place::server_flag, {}},
      {"ignore_fail", "ignore_fail", Kind::flag, Place::server_flag, {}},
      {"skip_init_ssh_check", "skip_init_ssh_check", Kind::flag, Place::server_flag, {}},
      {"skip_reset_slave", "skip_reset_slave", Kind::flag, Place::inherit, {}},
      {"check_repl_delay", "check_repl_delay", Kind::flag, Place::inherit, {}},
      {"master_binlog_dir", "master_binlog_dir", Kind::dir_list, Place::inherit, {}},
      {"remote_workdir", "remote_workdir", Kind::text, Place::inherit, {}},
      {"master_pid_file", "master_pid_file", Kind::text, Place::inherit, {}},
      {"client_bindir", "client_bindir", Kind::text, Place::inherit, {}},
      {"client_libdir", "client_libdir", Kind::text, Place::inherit, {}},
      {"disable_log_bin", "disable_log_bin", Kind::flag, Place::inherit, {}},
      {"node_label", "node_label", Kind::text, Place::server_only, {}},

      // mhad calls these with MHA's arguments and exit codes: carried over as they are.
      {"secondary_check_script", "secondary_check_script", Kind::text, Place::cluster, {}},
      {"master_ip_failover_script", "master_ip_failover_script", Kind::text, Place::cluster, {}},
      {"master_ip_online_change_script", "master_ip_online_change_script", Kind::text, Place::cluster, {}},
      {"shutdown_script", "shutdown_script", Kind::text, Place::cluster, {}},
      {"report_script", "report_script", Kind::text, Place::cluster, {}},

      {"manager_workdir", {}, Kind::ignored, Place::none,
       "mhad keeps its state in [daemon] state_dir of mhad.toml (default /var/lib/mhad)"},
      {"manager_log", {}, Kind::ignored, Place::none, "mhad logs to the journal: journalctl -u mhad CLUSTER=<name>"},
      {"handle_raw_binlog", {}, Kind::ignored, Place::none,
       "mhad always saves the dead master's binlog events as they are (MHA's default, 1)"},
      {"init_conf_load_script", {}, Kind::ignored, Place::none,
       "mhad reads every setting from its config files: put what the script prints (often passwords) into the TOML "
       "or the password files by hand"},
      {"ssh_ip", {}, Kind::ignored, Place::none, "MHA never read it from the config either; mhad connects to ssh_host"},
  };
  return params;
}

const MhaParam* find_mha_param(std::string_view name) {
  for (const MhaParam& param : mha_params())
    if (param.name == name) return &param;
  return nullptr;
}

}  // namespace mha::ctl::import_mha

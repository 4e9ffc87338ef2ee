// What the log gets from a master that keeps failing a check and answering
// again: a slow one (every check overruns ping_interval and the late answer
// clears it) or a flapping link. Each such round is a warning ("failed a
// check") and a notice ("answers again"): about every 3 s for a master
// 800 ms slow, 2400 lines an hour. The digest keeps the first round in
// full, has the rounds after it logged at debug and summed up in one
// warning a window (60 s), and gives one notice once the master has gone a
// whole window without failing a check. Only those two lines are held
// back: a verdict (dead, dead_host, unreachable_from_manager) is never.
// Pure: the monitor passes the time in.
#pragma once

#include "common/clock.h"

#include <chrono>
#include <optional>

namespace mha {

class SuspectDigest {
 public:
  struct Figures {
    int rounds = 0;                        // failed checks that were answered again
    int late = 0;                          // of them, answers that came over ping_interval
    std::chrono::milliseconds longest{0};  // the longest late answer's check
    std::chrono::milliseconds span{0};     // first to last of them
  };
  struct Answer {
    bool in_full = true;             // log "answers again" as a notice
    std::optional<Figures> summary;  // a window's rounds to log as one warning
  };

  explicit SuspectDigest(std::chrono::milliseconds window = std::chrono::seconds(60));

  // The master failed the first check of a round. True: log it in full.
  bool on_suspect(MonoTime now);
  // The master answered again; `took` is that check's duration, `late`
  // whether it was over ping_interval.
  Answer on_answer(MonoTime now, std::chrono::milliseconds took, bool late);
  // A check passed while not suspect. Once the master has gone a window
  // without failing one after rounds were held back: the whole streak's
  // figures, once.
  std::optional<Figures> on_check_passed(MonoTime now);
  // A new master or a verdict: the next round is logged in full.
  void reset();

  bool holding_back() const { return m_active && !m_first_round; }
  std::chrono::milliseconds window() const { return m_window; }

 private:
  static void count(Figures& f, std::chrono::milliseconds took, bool late);

  std::chrono::milliseconds m_window;
  bool m_active = false;       // a streak started: its first round was logged in full
  bool m_first_round = false;  // that first round has not been answered yet
  MonoTime m_started{};
  MonoTime m_last_suspect{};
  MonoTime m_summed_at{};  // the first round's answer or the last summary
  MonoTime m_window_first{};
  Figures m_window_figures;  // held back since m_summed_at
  Figures m_total;           // held back in the whole streak
};

}  // namespace mha

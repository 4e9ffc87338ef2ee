#include "daemon/detection/suspect_digest.h"

#include <algorithm>

namespace mha {

SuspectDigest::SuspectDigest(std::chrono::milliseconds window) : m_window(window) {}

bool SuspectDigest::on_suspect(MonoTime now) {
  // A round a window or more after the last one starts a new streak: an
  // operator who saw nothing for a minute gets the whole line again.
  if (!m_active || now - m_last_suspect >= m_window) {
    m_active = true;
    m_first_round = true;
    m_started = m_last_suspect = m_summed_at = now;
    m_window_figures = m_total = Figures{};
    return true;
  }
  m_last_suspect = now;
  return m_first_round;  // a second failure before the first answer: still the first round
}

SuspectDigest::Answer SuspectDigest::on_answer(MonoTime now, std::chrono::milliseconds took, bool late) {
  if (!m_active || m_first_round) {
    m_first_round = false;
    m_summed_at = now;
    return {};
  }
  if (m_window_figures.rounds == 0) m_window_first = m_last_suspect;
  count(m_window_figures, took, late);
  count(m_total, took, late);
  m_window_figures.span = std::chrono::duration_cast<std::chrono::milliseconds>(now - m_window_first);
  Answer answer{false, std::nullopt};
  if (now - m_summed_at >= m_window) {
    answer.summary = m_window_figures;
    m_window_figures = Figures{};
    m_summed_at = now;
  }
  return answer;
}

std::optional<SuspectDigest::Figures> SuspectDigest::on_check_passed(MonoTime now) {
  if (!m_active || m_first_round || now - m_last_suspect < m_window) return std::nullopt;
  m_active = false;
  if (m_total.rounds == 0) return std::nullopt;  // one round only: its two lines said it all
  Figures total = m_total;
  total.span = std::chrono::duration_cast<std::chrono::milliseconds>(m_last_suspect - m_started);
  return total;
}

void SuspectDigest::reset() {
  m_active = false;
  m_first_round = false;
  m_window_figures = m_total = Figures{};
}

void SuspectDigest::count(Figures& f, std::chrono::milliseconds took, bool late) {
  ++f.rounds;
  if (!late) return;
  ++f.late;
  f.longest = std::max(f.longest, took);
}

}  // namespace mha

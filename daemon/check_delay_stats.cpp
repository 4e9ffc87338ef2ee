#include "daemon/check_delay_stats.h"

#include <algorithm>

namespace mha {

void CheckDelayStats::add(std::chrono::microseconds delay) {
  ++m_total;
  if (m_samples_us.size() < m_capacity) {
    m_samples_us.push_back(delay.count());
    return;
  }
  m_samples_us[m_next] = delay.count();
  m_next = (m_next + 1) % m_capacity;
}

void CheckDelayStats::clear() {
  m_samples_us.clear();
  m_next = 0;
  m_total = 0;
}

nlohmann::json CheckDelayStats::summary() const {
  if (m_samples_us.empty()) return {{"samples", 0}, {"p50_ms", nullptr}, {"p99_ms", nullptr}, {"max_ms", nullptr}};
  std::vector<std::int64_t> sorted = m_samples_us;
  std::sort(sorted.begin(), sorted.end());
  auto at = [&](double q) {
    auto i = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1));
    return static_cast<double>(sorted[i]) / 1000.0;
  };
  return {{"samples", sorted.size()}, {"p50_ms", at(0.50)}, {"p99_ms", at(0.99)},
          {"max_ms", static_cast<double>(sorted.back()) / 1000.0}};
}

}  // namespace mha

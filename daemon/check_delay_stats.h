// How late checks start: the delay between a check's due time (its timer)
// and the moment a worker begins it. Kept for `mhactl` stats and
// bench/monitor_scale; a bounded ring of recent samples. Main loop only.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace mha {

class CheckDelayStats {
 public:
  explicit CheckDelayStats(std::size_t capacity = 200000) : m_capacity(capacity) {}
  void add(std::chrono::microseconds delay);
  void clear();
  std::uint64_t count() const { return m_total; }
  // {"samples":N,"p50_ms":..,"p99_ms":..,"max_ms":..} over the kept samples.
  nlohmann::json summary() const;

 private:
  std::size_t m_capacity;
  std::vector<std::int64_t> m_samples_us;
  std::size_t m_next = 0;
  std::uint64_t m_total = 0;
};

}  // namespace mha

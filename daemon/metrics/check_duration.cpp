// The process-wide check histogram (check_duration.h).
#include "daemon/metrics/check_duration.h"

#include <prometheus/histogram.h>

#include "daemon/metrics/metric_families.h"

namespace mha {
namespace {

prometheus::Histogram& check_histogram() {
  // Never destroyed: a worker abandoned at shutdown may still record into it.
  static auto* histogram = new prometheus::Histogram(
      prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  return *histogram;
}

}  // namespace

void record_check_duration(std::chrono::steady_clock::duration took) {
  check_histogram().Observe(std::chrono::duration<double>(took).count());
}

prometheus::ClientMetric check_durations_now() { return check_histogram().Collect(); }

}  // namespace mha

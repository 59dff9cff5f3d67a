//===- PeakMemory.cpp ----------------------------------------------------------------===//
#include "fxir/backends/runtime/PeakMemory.h"

#include <atomic>

#include <c10/core/Allocator.h>
#include <c10/util/ThreadLocalDebugInfo.h>

namespace fxir::runtime {
namespace {

std::atomic<bool> gActive{false};
std::atomic<int64_t> gLive{0}, gPeak{0};

void add(int64_t delta) {
  int64_t now = gLive.fetch_add(delta, std::memory_order_relaxed) + delta;
  int64_t peak = gPeak.load(std::memory_order_relaxed);
  while (now > peak && !gPeak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

/// What c10's default CPU allocator reports to while the scope's guard is installed.
struct Reporter final : c10::MemoryReportingInfoBase {
  void reportMemoryUsage(void *, int64_t allocSize, size_t, size_t, c10::Device device) override {
    if (device.is_cpu())
      add(allocSize);
  }
  bool memoryProfilingEnabled() const override { return true; }
};

} // namespace

struct PeakMemory::Guard {
  c10::DebugInfoGuard guard{c10::DebugInfoKind::PROFILER_STATE, std::make_shared<Reporter>()};
};

PeakMemory::PeakMemory() {
  gLive = 0;
  gPeak = 0;
  guard_ = std::make_unique<Guard>();
  gActive = true;
}

PeakMemory::~PeakMemory() { gActive = false; }

int64_t PeakMemory::peakBytes() const { return gPeak.load(); }
int64_t PeakMemory::liveBytes() const { return gLive.load(); }

void PeakMemory::noteBufferPool(int64_t delta) {
  if (gActive.load(std::memory_order_relaxed))
    add(delta);
}

} // namespace fxir::runtime

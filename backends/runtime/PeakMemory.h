//===- PeakMemory.h - the most memory a run had allocated at once -------------------===//
//
// `fxir-run --report` prints `peak memory: N MiB` for a run, next to the interp
// backend's for the same program (issue 18). A PeakMemory scope counts, from its start:
//  - ATen's CPU allocations made on the scope's thread (c10's memory-reporting hook, the
//    one torch.profiler's profile_memory uses: allocations and frees of the default CPU
//    allocator are reported to the thread's MemoryReportingInfoBase);
//  - fxir's BufferPool blocks handed out and given back, on any thread.
// Peak = the most bytes live at once above the scope's start (inputs and weights that
// existed before are not counted; outputs alive at the end are).
//
// Does not: see memory allocated by other means (malloc in a library, OpenMP workers'
// ATen allocations on other threads), or nest: one scope at a time per process.
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <memory>

namespace fxir::runtime {

class PeakMemory {
public:
  PeakMemory();
  ~PeakMemory();
  PeakMemory(const PeakMemory &) = delete;
  PeakMemory &operator=(const PeakMemory &) = delete;

  /// The most bytes live at once since the scope began.
  int64_t peakBytes() const;
  /// Bytes live now above the scope's start.
  int64_t liveBytes() const;

  /// BufferPool's hook: `delta` bytes handed out (> 0) or given back (< 0).
  static void noteBufferPool(int64_t delta);

private:
  struct Guard;
  std::unique_ptr<Guard> guard_;
};

} // namespace fxir::runtime

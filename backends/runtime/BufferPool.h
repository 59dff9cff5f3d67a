//===- BufferPool.h - the caching allocator of compiled programs' tensors ----------===//
//
// A c10::Allocator whose freed blocks are kept for the next request of the same size
// class, so a steady-state call touches no fresh pages (each page of a fresh mapping
// costs a fault: ~16k faults for a 64 MB result). One pool per process; it outlives
// every compiled program (a returned tensor may outlive its program), is thread-safe
// (the deleter returns a block from any thread), keeps at most `limit` bytes of free
// blocks (the oldest beyond it are freed) and can be released.
//
// Tensors made with it are ordinary CPU tensors: exact nbytes, resizable storage.
//
// Does not: pool for other devices, defragment, or serve ATen's own allocations (extern
// ops allocate through ATen's default allocator).
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstddef>

#include <ATen/core/Tensor.h>
#include <c10/core/Allocator.h>

#include "llvm/ADT/ArrayRef.h"

namespace fxir::runtime {

class BufferPool final : public c10::Allocator {
public:
  /// The process's pool.
  static BufferPool &get();

  c10::DataPtr allocate(size_t n) override;
  void copy_data(void *dest, const void *src, size_t count) const override;

  /// A new contiguous CPU tensor from the pool.
  at::Tensor empty(llvm::ArrayRef<int64_t> sizes, c10::ScalarType dtype);
  /// The same with these strides (a dense, non-overlapping layout: the caller checks).
  at::Tensor emptyStrided(llvm::ArrayRef<int64_t> sizes, llvm::ArrayRef<int64_t> strides,
                          c10::ScalarType dtype);

  /// Frees every cached free block (tensors in use are untouched).
  void release();
  /// Bytes of free blocks kept at most (default 1 GiB, FXIR_POOL_LIMIT_MB).
  void setLimit(size_t bytes);
  size_t cachedBytes() const;

  struct Impl;
  struct Block;

private:
  BufferPool();
  static void giveBack(void *ctx);
  Impl *impl_; // never destroyed: blocks may come back during exit
};

/// Whether `strides` lay `sizes` out densely without overlap (a permutation of a
/// contiguous layout; size-1 dims take any stride).
bool isDenseLayout(llvm::ArrayRef<int64_t> sizes, llvm::ArrayRef<int64_t> strides);

} // namespace fxir::runtime

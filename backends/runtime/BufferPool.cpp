//===- BufferPool.cpp ----------------------------------------------------------------===//
#include "fxir/backends/runtime/BufferPool.h"
#include "fxir/backends/runtime/PeakMemory.h"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <list>
#include <map>
#include <mutex>

#include <ATen/EmptyTensor.h>

namespace fxir::runtime {

namespace {

/// Size classes: 64-byte multiples up to 64 KiB, then 64 KiB multiples (a result
/// whose size varies a little with a symbolic dim still finds its block).
size_t sizeClass(size_t n) {
  if (n == 0)
    n = 1;
  size_t g = n <= 65536 ? 64 : 65536;
  return (n + g - 1) / g * g;
}

} // namespace

struct BufferPool::Block {
  void *ptr;
  size_t bytes; // its size class
};

struct BufferPool::Impl {
  mutable std::mutex mutex;
  // Free blocks in the order they came back (the oldest is freed first past the
  // limit), and by size class, each class oldest first, so both ends are O(1).
  std::list<BufferPool::Block> order;
  std::map<size_t, std::deque<std::list<BufferPool::Block>::iterator>> free;
  size_t cached = 0;
  size_t limit = 1ull << 30;

  void trim() {
    while (cached > limit && !order.empty()) {
      BufferPool::Block b = order.front();
      free[b.bytes].pop_front(); // the oldest of its class is the oldest overall
      order.pop_front();
      cached -= b.bytes;
      std::free(b.ptr);
    }
  }
};

BufferPool::BufferPool() : impl_(new Impl()) {
  if (const char *env = std::getenv("FXIR_POOL_LIMIT_MB"))
    impl_->limit = static_cast<size_t>(std::strtoull(env, nullptr, 10)) << 20;
}

BufferPool &BufferPool::get() {
  static BufferPool *pool = new BufferPool(); // never destroyed
  return *pool;
}

void BufferPool::giveBack(void *ctx) {
  auto *b = static_cast<Block *>(ctx);
  // (One pool per process: every block is this pool's.)
  Impl *impl = get().impl_;
  std::lock_guard<std::mutex> lock(impl->mutex);
  impl->order.push_back(*b);
  impl->free[b->bytes].push_back(std::prev(impl->order.end()));
  impl->cached += b->bytes;
  PeakMemory::noteBufferPool(-static_cast<int64_t>(b->bytes));
  delete b;
  impl->trim();
}

c10::DataPtr BufferPool::allocate(size_t n) {
  size_t bytes = sizeClass(n);
  void *ptr = nullptr;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    auto it = impl_->free.find(bytes);
    if (it != impl_->free.end() && !it->second.empty()) {
      auto block = it->second.back(); // the most recent: its pages are the warmest
      it->second.pop_back();
      ptr = block->ptr;
      impl_->order.erase(block);
      impl_->cached -= bytes;
    }
  }
  if (!ptr) {
    if (posix_memalign(&ptr, 64, bytes) != 0)
      throw std::bad_alloc();
  }
  auto *block = new Block{ptr, bytes};
  PeakMemory::noteBufferPool(static_cast<int64_t>(bytes));
  return c10::DataPtr(ptr, block, &giveBack, c10::Device(c10::DeviceType::CPU));
}

void BufferPool::copy_data(void *dest, const void *src, size_t count) const {
  default_copy_data(dest, src, count);
}

at::Tensor BufferPool::empty(llvm::ArrayRef<int64_t> sizes, c10::ScalarType dtype) {
  return at::detail::empty_generic(c10::IntArrayRef(sizes.data(), sizes.size()), this,
                                   c10::DispatchKeySet(c10::DispatchKey::CPU), dtype,
                                   std::nullopt);
}

at::Tensor BufferPool::emptyStrided(llvm::ArrayRef<int64_t> sizes,
                                    llvm::ArrayRef<int64_t> strides, c10::ScalarType dtype) {
  return at::detail::empty_strided_generic(
      c10::IntArrayRef(sizes.data(), sizes.size()), c10::IntArrayRef(strides.data(), strides.size()),
      this, c10::DispatchKeySet(c10::DispatchKey::CPU), dtype);
}

bool isDenseLayout(llvm::ArrayRef<int64_t> sizes, llvm::ArrayRef<int64_t> strides) {
  if (sizes.size() != strides.size())
    return false;
  std::vector<size_t> dims;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 0)
      return true; // no elements: any layout
    if (sizes[d] != 1)
      dims.push_back(d);
  }
  std::sort(dims.begin(), dims.end(), [&](size_t a, size_t b) {
    return strides[a] != strides[b] ? strides[a] < strides[b] : a > b;
  });
  int64_t expect = 1;
  for (size_t d : dims) {
    if (strides[d] != expect)
      return false;
    expect *= sizes[d];
  }
  return true;
}

void BufferPool::release() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  for (Block &b : impl_->order)
    std::free(b.ptr);
  impl_->order.clear();
  impl_->free.clear();
  impl_->cached = 0;
}

void BufferPool::setLimit(size_t bytes) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->limit = bytes;
  impl_->trim();
}

size_t BufferPool::cachedBytes() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->cached;
}

} // namespace fxir::runtime

//===- AllocCounter.cpp - counts the process's heap allocations (tests only) ---------===//
//
// fxir-torch-tests defines malloc and its relatives, forwarding to glibc's own
// (__libc_malloc, ...): the executable's definitions interpose on every shared
// library's calls (LibTorch's allocator, libstdc++'s operator new), so
// fxir_test_allocations() counts every heap allocation of the process. The native-loop
// test reads it to show a loop allocates nothing per step. No LibTorch here.
//===----------------------------------------------------------------------------===//
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>

extern "C" {
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);
void __libc_free(void *);
}

namespace {
std::atomic<uint64_t> g_allocations{0};
inline void count() { g_allocations.fetch_add(1, std::memory_order_relaxed); }
} // namespace

extern "C" {
uint64_t fxir_test_allocations() { return g_allocations.load(std::memory_order_relaxed); }

void *malloc(size_t n) {
  count();
  return __libc_malloc(n);
}
void *calloc(size_t a, size_t b) {
  count();
  return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n) {
  count();
  return __libc_realloc(p, n);
}
void free(void *p) { __libc_free(p); }
void *memalign(size_t align, size_t n) {
  count();
  return __libc_memalign(align, n);
}
void *aligned_alloc(size_t align, size_t n) {
  count();
  return __libc_memalign(align, n);
}
int posix_memalign(void **out, size_t align, size_t n) {
  count();
  void *p = __libc_memalign(align, n);
  if (!p)
    return ENOMEM;
  *out = p;
  return 0;
}
}

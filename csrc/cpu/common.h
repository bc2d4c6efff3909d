// Shared pieces of the CPU extension front_kernels._cpu (see module_cpu.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace fk_cpu {

template <typename T> T* ptr(uintptr_t p) { return reinterpret_cast<T*>(p); }

// Makhoul's order of one axis of length n: even samples first, then the odd ones reversed.
inline int64_t makhoul(int64_t i, int64_t n) { return i < (n + 1) / 2 ? 2 * i : 2 * (n - 1 - i) + 1; }

// Below this many elements a parallel region costs more than it saves (and stalls under load).
inline bool parallel_worth(int64_t b, int64_t n1, int64_t n2) { return b * n1 * n2 >= (int64_t{1} << 15); }

// One row in Makhoul's order: dst[j] = f(src[r(j)]), r = makhoul(., n2).
template <typename T, typename F>
inline void gather_row(const T* __restrict src, T* __restrict dst, int64_t n2, F f) {
  const int64_t odd = n2 / 2;
  T* tail = dst + n2 - 1;
  for (int64_t j = 0; j < odd; ++j) {
    dst[j] = f(src[2 * j]);
    tail[-j] = f(src[2 * j + 1]);
  }
  if (n2 % 2) dst[odd] = f(src[2 * odd]);
}

// Sums in double over n values, with independent partial sums so that the loop vectorises.
template <typename T, typename F> inline double sum_double(const T* __restrict p, int64_t n, F f) {
  constexpr int kLanes = 8;
  double part[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int u = 0; u < kLanes; ++u) part[u] += f(static_cast<double>(p[j + u]));
  double s = 0;
  for (; j < n; ++j) s += f(static_cast<double>(p[j]));
  for (int u = 0; u < kLanes; ++u) s += part[u];
  return s;
}

template <typename T> inline double sum_of(const T* p, int64_t n) {
  return sum_double(p, n, [](double a) { return a; });
}

template <typename T> inline double sum_of_squares(const T* p, int64_t n) {
  return sum_double(p, n, [](double a) { return a * a; });
}

inline void check_sizes(int64_t b, int64_t n1, int64_t n2) {
  if (b < 1 || n1 < 1 || n2 < 1) throw std::invalid_argument("batch and both sizes must be positive");
}

// Ask for transparent huge pages on an untouched output of at least 8 MiB: a fresh 64 MiB tensor
// otherwise costs 16384 page faults, about as long as a pass over it.
inline void advise_huge(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t{1} << 21;
  if (bytes < 4 * kHuge) return;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)p, (void)bytes;
#endif
}

}  // namespace fk_cpu

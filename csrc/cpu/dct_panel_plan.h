// Tables of the panel DCT (dct_panel.h): one plan per (length N, dtype), built in double and cached by
// dct_panel_cpu.cpp. Only plain arrays cross into the per-ISA kernels (dct_panel_avx512.cpp, ...).
//
// For an even N = 2L the DCT-II of one signal x is computed from one complex DFT of length L:
//   v[j] = x[r(j)] (Makhoul's order r of common.h),  z[m] = v[2m] + i v[2m+1],  Z = DFT_L(z),
//   u_k = a_k (Z[k] + conj Z[L-k]) + b_k (Z[k] - conj Z[L-k]) / i,   k = 0..L (Z periodic in L),
//   a_k = exp(-i pi k / 2N),  b_k = a_k exp(-2 pi i k / N),
//   X[k] = Re u_k,  X[N-k] = -Im u_k  (1 <= k < L):  scipy's un-normalised DCT-II, X = M2 x.
// The DCT-III X -> y = M3 X (= 2N M2^{-1} X) runs the same steps backwards:
//   V[k] = g_k (X[k] - i X[N-k])  (X[N] := 0),  g_k = exp(i pi k / 2N),  k = 0..L,
//   Zc[k] = V[k] + conj V[L-k] + h_k (V[k] - conj V[L-k]),  h_k = i exp(2 pi i k / N),  k < L,
//   z = sum_k Zc[k] exp(2 pi i k n / L)  (un-normalised inverse DFT),  y[r(2n)] = Re z[n], y[r(2n+1)] = Im z[n].
// The DFT is a Stockham autosort FFT over the factors of L (radix 4 first, then 2, 3, 5, 7, 11, 13).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common.h"

namespace fk_cpu {

constexpr int kMaxRadix = 13;

// Factors of n in the order the stages use them; empty when a prime factor exceeds kMaxRadix.
inline std::vector<int> fft_radices(int64_t n) {
  std::vector<int> r;
  while (n % 4 == 0) r.push_back(4), n /= 4;
  for (int p : {2, 3, 5, 7, 11, 13})
    while (n % p == 0) r.push_back(p), n /= p;
  if (n != 1) r.clear();
  return r;
}

// True when the panel DCT handles length n (even, and n/2 has no prime factor above kMaxRadix).
inline bool panel_dct_supported(int64_t n) { return n >= 2 && n % 2 == 0 && (n == 2 || !fft_radices(n / 2).empty()); }

template <typename T> struct FftStage {
  int radix;
  int64_t m;               // sub-transform length after this stage: n_stage / radix
  std::vector<T> twiddle;  // (re, im) of exp(sign 2 pi i p u / n_stage), p < m, 1 <= u < radix: [(p (radix-1) + u-1)]
  std::vector<T> roots;    // (re, im) of exp(sign 2 pi i j / radix), j < radix
};

template <typename T> std::vector<FftStage<T>> fft_stages(int64_t n, double sign) {
  std::vector<FftStage<T>> stages;
  int64_t len = n;
  for (int r : fft_radices(n)) {
    FftStage<T> st{r, len / r, {}, {}};
    st.twiddle.resize(2 * st.m * (r - 1));
    for (int64_t p = 0; p < st.m; ++p)
      for (int u = 1; u < r; ++u) {
        const double a = sign * 2.0 * M_PI * static_cast<double>(p * u) / static_cast<double>(len);
        st.twiddle[2 * (p * (r - 1) + u - 1)] = static_cast<T>(std::cos(a));
        st.twiddle[2 * (p * (r - 1) + u - 1) + 1] = static_cast<T>(std::sin(a));
      }
    for (int j = 0; j < r; ++j) {
      const double a = sign * 2.0 * M_PI * j / r;
      st.roots.push_back(static_cast<T>(std::cos(a)));
      st.roots.push_back(static_cast<T>(std::sin(a)));
    }
    stages.push_back(std::move(st));
    len /= r;
  }
  return stages;
}

template <typename T> struct PanelDctPlan {
  int64_t n, l;
  std::vector<FftStage<T>> forward, inverse;  // sign -1 (DFT) and +1 (un-normalised inverse DFT)
  std::vector<int64_t> even, odd;             // r(2m), r(2m+1) for m < L
  std::vector<T> a, b;                        // a_k, b_k for k <= L, interleaved (re, im)
  std::vector<T> g, h;                        // g_k for k <= L, h_k for k < L, interleaved (re, im)

  explicit PanelDctPlan(int64_t n_) : n(n_), l(n_ / 2) {
    forward = fft_stages<T>(l, -1.0);
    inverse = fft_stages<T>(l, 1.0);
    for (int64_t m = 0; m < l; ++m) even.push_back(makhoul(2 * m, n)), odd.push_back(makhoul(2 * m + 1, n));
    const double N = static_cast<double>(n);
    auto put = [](std::vector<T>& t, double angle) {
      t.push_back(static_cast<T>(std::cos(angle)));
      t.push_back(static_cast<T>(std::sin(angle)));
    };
    for (int64_t k = 0; k <= l; ++k) {
      put(a, -M_PI * k / (2 * N));
      put(b, -M_PI * k / (2 * N) - 2 * M_PI * k / N);
      put(g, M_PI * k / (2 * N));
      if (k < l) put(h, M_PI / 2 + 2 * M_PI * k / N);
    }
  }
};

// Plain-pointer view of a plan's stages for the kernels.
template <typename T> struct StageView {
  int radix;
  int64_t m;
  const T* twiddle;
  const T* roots;
};

// Panel width (signals per panel) of each dtype: 64 bytes of lanes.
template <typename T> struct Lanes;
template <> struct Lanes<float> {
  static constexpr int64_t value = 16;
};
template <> struct Lanes<double> {
  static constexpr int64_t value = 8;
};

template <typename T> struct PanelArgs {
  int64_t n, l;
  int stages;
  const StageView<T>* forward;
  const StageView<T>* inverse;
  const int64_t* even;
  const int64_t* odd;
  const T *a, *b, *g, *h;
};

// The stored part of a (batch, n1, n2) transform: the input holds the leading r_in x c_in corner of each
// image (the rest is zero), the output keeps the leading r_out x c_out corner of the result. The rows pass
// writes (r_in, c_out) per image into `mid`, whose images are mid_rows (>= r_in) rows apart; mid may be
// the output when r_in <= r_out (then mid_rows = r_out).
struct Window {
  int64_t r_in, c_in, r_out, c_out, mid_rows;
};

// Per-thread scratch of dct_panel_cpu.cpp: at least `bytes`, 64-byte aligned, kept between calls
// (panel_scratch_prepare sizes the pool before a parallel region; panel_scratch_clear releases it).
void* panel_scratch(int thread, size_t bytes);

// The kernels of dct_panel.h compiled for one instruction set each (dct_panel_<isa>.cpp).
#define FK_PANEL_ENTRY(isa)                                                                                      \
  void dct2d_##isa(const PanelArgs<float>& rows, const PanelArgs<float>* cols, const float* x, float* mid,       \
                   float* out, int64_t batch, int64_t n1, int64_t n2, const Window& win, int type, double a1,   \
                   double b1, double a2, double b2);                                                           \
  void dct2d_##isa(const PanelArgs<double>& rows, const PanelArgs<double>* cols, const double* x, double* mid,   \
                   double* out, int64_t batch, int64_t n1, int64_t n2, const Window& win, int type, double a1,  \
                   double b1, double a2, double b2);
FK_PANEL_ENTRY(avx512)
FK_PANEL_ENTRY(avx2)
FK_PANEL_ENTRY(base)
#undef FK_PANEL_ENTRY

// Defines the entry points of one instruction set from the kernels of dct_panel.h in namespace `isa`.
#define FK_PANEL_DEFINE(isa)                                                                                     \
  void dct2d_##isa(const PanelArgs<float>& rows, const PanelArgs<float>* cols, const float* x, float* mid,       \
                   float* out, int64_t batch, int64_t n1, int64_t n2, const Window& win, int type, double a1,   \
                   double b1, double a2, double b2) {                                                          \
    isa::dct2d(rows, cols, x, mid, out, batch, n1, n2, win, type, a1, b1, a2, b2);                               \
  }                                                                                                              \
  void dct2d_##isa(const PanelArgs<double>& rows, const PanelArgs<double>* cols, const double* x, double* mid,   \
                   double* out, int64_t batch, int64_t n1, int64_t n2, const Window& win, int type, double a1,  \
                   double b1, double a2, double b2) {                                                          \
    isa::dct2d(rows, cols, x, mid, out, batch, n1, n2, win, type, a1, b1, a2, b2);                               \
  }

}  // namespace fk_cpu

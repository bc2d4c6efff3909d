// pybind11 module front_kernels._cpu: fused CPU passes around torch.fft for the
// two-axis DCT-II / DCT-III of front_kernels/_backends/reference/dct2d.py.
//
// Every array is C-contiguous with shape (B, N1, N2) (real) or (B, N1, H) (complex,
// interleaved re/im); pointers arrive as integers, so this module needs neither
// torch nor its headers. `dbl` selects float64, else float32. Axis scales follow
// the form s[0] = first, s[k > 0] = rest, which covers every scipy normalisation.
//
//   gather     x -> v        v[i, j] = x[r1(i), r2(j)], Makhoul's order r(i): even samples, then odd reversed
//   scatter    v -> x        the inverse permutation
//   dct2_post  V -> X        V = rfft2(v); X = s1 (x) s2 * scipy's un-normalised 2-D DCT-II of x
//   dct3_pre   X -> Y        Y such that irfft2(Y, norm='forward') (packed = false, Y of width N2/2+1)
//                            or the complex-as-real view of ifft2(Y, norm='forward') (packed = true,
//                            N2 even, Y of width N2/2) is v for scipy's un-normalised 2-D DCT-III of s1 (x) s2 * X
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace py = pybind11;

namespace {

template <typename T> T* ptr(uintptr_t p) { return reinterpret_cast<T*>(p); }

template <typename T> struct C {
  T re, im;
};
template <typename T> inline C<T> mul(C<T> a, C<T> b) { return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re}; }
template <typename T> inline C<T> conj(C<T> a) { return {a.re, -a.im}; }

// exp(i * sign * pi * k / (2n)) for k < count, computed in double.
template <typename T> std::vector<C<T>> quarter_twiddle(int64_t n, int64_t count, double sign) {
  std::vector<C<T>> w(count);
  const double step = sign * M_PI / (2.0 * static_cast<double>(n));
  for (int64_t k = 0; k < count; ++k) w[k] = {static_cast<T>(std::cos(step * k)), static_cast<T>(std::sin(step * k))};
  return w;
}

template <typename T> std::vector<T> axis_scale(int64_t n, double first, double rest) {
  std::vector<T> s(n, static_cast<T>(rest));
  s[0] = static_cast<T>(first);
  return s;
}

inline int64_t makhoul(int64_t i, int64_t n) { return i < (n + 1) / 2 ? 2 * i : 2 * (n - 1 - i) + 1; }

// Below this many elements a parallel region costs more than it saves (and stalls under load).
inline bool parallel_worth(int64_t b, int64_t n1, int64_t n2) { return b * n1 * n2 >= (int64_t{1} << 15); }

void check_sizes(int64_t b, int64_t n1, int64_t n2) {
  if (b < 1 || n1 < 1 || n2 < 1) throw std::invalid_argument("batch and both sizes must be positive");
}

template <typename T> void gather(const T* x, T* v, int64_t b, int64_t n1, int64_t n2) {
  const int64_t even = (n2 + 1) / 2, odd = n2 / 2;
#pragma omp parallel for schedule(static) if (parallel_worth(b, n1, n2))
  for (int64_t row = 0; row < b * n1; ++row) {
    const int64_t bi = row / n1, i = row % n1;
    const T* src = x + (bi * n1 + makhoul(i, n1)) * n2;
    T* dst = v + row * n2;
    for (int64_t j = 0; j < even; ++j) dst[j] = src[2 * j];
    T* tail = dst + n2 - 1;
    for (int64_t j = 0; j < odd; ++j) tail[-j] = src[2 * j + 1];
  }
}

template <typename T> void scatter(const T* v, T* x, int64_t b, int64_t n1, int64_t n2) {
  const int64_t even = (n2 + 1) / 2, odd = n2 / 2;
#pragma omp parallel for schedule(static) if (parallel_worth(b, n1, n2))
  for (int64_t row = 0; row < b * n1; ++row) {
    const int64_t bi = row / n1, i = row % n1;
    const T* src = v + row * n2;
    T* dst = x + (bi * n1 + makhoul(i, n1)) * n2;
    for (int64_t j = 0; j < even; ++j) dst[2 * j] = src[j];
    const T* tail = src + n2 - 1;
    for (int64_t j = 0; j < odd; ++j) dst[2 * j + 1] = tail[-j];
  }
}

// With Q = 2 V W1(k1) W2(k2), W(k) = exp(-i pi k / 2N), and Qbar the row reflection
// (k1 -> N1 - k1; row 0: -i Q0):  X[k1, k2] = Re Q - Im Qbar,  X[k1, N2 - k2] = -(Im Q + Re Qbar).
// Rows k1 and N1 - k1 are each other's reflection, so one task handles both.
template <typename T>
void dct2_post(const T* vin, T* out, int64_t b, int64_t n1, int64_t n2, double a1, double b1, double a2, double b2) {
  const int64_t h = n2 / 2 + 1, tail = (n2 - 1) / 2, pairs = n1 / 2 + 1;
  const auto w1 = quarter_twiddle<T>(n1, n1, -1.0);
  auto w2 = quarter_twiddle<T>(n2, h, -1.0);
  for (auto& w : w2) w = {2 * w.re, 2 * w.im};
  const auto s1 = axis_scale<T>(n1, a1, b1);
  const auto s2 = axis_scale<T>(n2, a2, b2);
  const C<T>* V = reinterpret_cast<const C<T>*>(vin);
#pragma omp parallel for schedule(static) if (parallel_worth(b, n1, n2))
  for (int64_t task = 0; task < b * pairs; ++task) {
    const int64_t bi = task / pairs, r = task % pairs, rm = (n1 - r) % n1;
    const C<T>* vr = V + (bi * n1 + r) * h;
    const C<T>* vm = V + (bi * n1 + rm) * h;
    T* xr = out + (bi * n1 + r) * n2;
    T* xm = out + (bi * n1 + rm) * n2;
    const C<T> wr = w1[r], wm = w1[rm];
    const T sr = s1[r], sm = s1[rm];
    if (r == 0) {  // Qbar = -i Q:  X[0, k2] = 2 Re Q,  X[0, N2 - k2] = -2 Im Q
      for (int64_t k = 0; k < h; ++k) {
        const C<T> q = mul(vr[k], mul(wr, w2[k]));
        xr[k] = 2 * sr * s2[k] * q.re;
        if (k >= 1 && k <= tail) xr[n2 - k] = -2 * sr * s2[n2 - k] * q.im;
      }
      continue;
    }
    if (rm == r) {  // N1 even, middle row: its own reflection
      for (int64_t k = 0; k < h; ++k) {
        const C<T> q = mul(vr[k], mul(wr, w2[k]));
        xr[k] = sr * s2[k] * (q.re - q.im);
        if (k >= 1 && k <= tail) xr[n2 - k] = -sr * s2[n2 - k] * (q.im + q.re);
      }
      continue;
    }
    for (int64_t k = 0; k < h; ++k) {
      const C<T> q = mul(vr[k], mul(wr, w2[k]));
      const C<T> p = mul(vm[k], mul(wm, w2[k]));
      xr[k] = sr * s2[k] * (q.re - p.im);
      xm[k] = sm * s2[k] * (p.re - q.im);
      if (k >= 1 && k <= tail) {
        xr[n2 - k] = -sr * s2[n2 - k] * (q.im + p.re);
        xm[n2 - k] = -sm * s2[n2 - k] * (p.im + q.re);
      }
    }
  }
}

// Half spectrum of v for the DCT-III (X already scaled by s1 (x) s2; R = row reflection with row 0 -> 0):
//   Q[k1, k2] = conj(W1 W2) * ((X[k1, k2] - R(Xc)[k1, k2]) - i (Xc[k1, k2] + R(X)[k1, k2])),
// Xc[k1, k2] = X[k1, N2 - k2] (0 for k2 = 0). irfft2(Q, norm='forward') is v.
// Packed (N2 = 2M): with Qup = Q[k1, M] for k2 = 0, else conj(Q[-k1, M - k2]),
//   Z[k1, k2] = (Q + Qup) + i exp(2 pi i k2 / N2) (Q - Qup),  k2 < M,
// and ifft2(Z, norm='forward') = v[:, 0::2] + i v[:, 1::2].
template <typename T> struct Dct3Spectrum {
  const T* x;
  int64_t n1, n2;
  std::vector<C<T>> w1, w2;
  std::vector<T> s1, s2;

  C<T> q(int64_t bi, int64_t r, int64_t k) const {
    const int64_t rm = (n1 - r) % n1, kc = (n2 - k) % n2;
    const T* xr = x + (bi * n1 + r) * n2;
    const T* xm = x + (bi * n1 + rm) * n2;
    const T left = s1[r] * s2[k] * xr[k];
    const T mir = k == 0 ? T(0) : s1[r] * s2[kc] * xr[kc];
    const T left_m = r == 0 ? T(0) : s1[rm] * s2[k] * xm[k];
    const T mir_m = (r == 0 || k == 0) ? T(0) : s1[rm] * s2[kc] * xm[kc];
    return mul(C<T>{left - mir_m, -(mir + left_m)}, conj(mul(w1[r], w2[k])));
  }
};

template <typename T>
void dct3_pre(const T* x, T* yout, int64_t b, int64_t n1, int64_t n2, double a1, double b1, double a2, double b2,
              bool packed) {
  const int64_t h = n2 / 2 + 1, m = n2 / 2;
  Dct3Spectrum<T> sp{x, n1, n2, quarter_twiddle<T>(n1, n1, -1.0), quarter_twiddle<T>(n2, h, -1.0),
                     axis_scale<T>(n1, a1, b1), axis_scale<T>(n2, a2, b2)};
  C<T>* Y = reinterpret_cast<C<T>*>(yout);
  if (!packed) {
#pragma omp parallel for schedule(static) if (parallel_worth(b, n1, n2))
    for (int64_t row = 0; row < b * n1; ++row) {
      const int64_t bi = row / n1, r = row % n1;
      for (int64_t k = 0; k < h; ++k) Y[row * h + k] = sp.q(bi, r, k);
    }
    return;
  }
  std::vector<C<T>> half(m);
  const double step = 2.0 * M_PI / static_cast<double>(n2);
  for (int64_t k = 0; k < m; ++k) half[k] = {static_cast<T>(-std::sin(step * k)), static_cast<T>(std::cos(step * k))};
#pragma omp parallel for schedule(static) if (parallel_worth(b, n1, n2))
  for (int64_t row = 0; row < b * n1; ++row) {
    const int64_t bi = row / n1, r = row % n1, rm = (n1 - r) % n1;
    C<T>* z = Y + row * m;
    for (int64_t k = 0; k < m; ++k) {
      const C<T> q = sp.q(bi, r, k);
      const C<T> up = k == 0 ? sp.q(bi, r, m) : conj(sp.q(bi, rm, m - k));
      const C<T> d = mul(half[k], C<T>{q.re - up.re, q.im - up.im});  // i exp(2 pi i k / N2) (Q - Qup)
      z[k] = {q.re + up.re + d.re, q.im + up.im + d.im};
    }
  }
}

}  // namespace

PYBIND11_MODULE(_cpu, m) {
  m.doc() = "Fused CPU passes of the two-axis DCT-II / DCT-III around torch.fft (raw pointers, C-contiguous).";
  m.def(
      "gather",
      [](uintptr_t x, uintptr_t v, int64_t b, int64_t n1, int64_t n2, bool dbl) {
        check_sizes(b, n1, n2);
        py::gil_scoped_release nogil;
        if (dbl) gather(ptr<const double>(x), ptr<double>(v), b, n1, n2);
        else gather(ptr<const float>(x), ptr<float>(v), b, n1, n2);
      },
      "v[b, i, j] = x[b, r1(i), r2(j)] (Makhoul's order on both axes)", py::arg("x"), py::arg("v"), py::arg("b"),
      py::arg("n1"), py::arg("n2"), py::arg("dbl"));
  m.def(
      "scatter",
      [](uintptr_t v, uintptr_t x, int64_t b, int64_t n1, int64_t n2, bool dbl) {
        check_sizes(b, n1, n2);
        py::gil_scoped_release nogil;
        if (dbl) scatter(ptr<const double>(v), ptr<double>(x), b, n1, n2);
        else scatter(ptr<const float>(v), ptr<float>(x), b, n1, n2);
      },
      "x[b, r1(i), r2(j)] = v[b, i, j] (inverse of gather)", py::arg("v"), py::arg("x"), py::arg("b"), py::arg("n1"),
      py::arg("n2"), py::arg("dbl"));
  m.def(
      "dct2_post",
      [](uintptr_t spec, uintptr_t out, int64_t b, int64_t n1, int64_t n2, double a1, double b1, double a2, double b2,
         bool dbl) {
        check_sizes(b, n1, n2);
        py::gil_scoped_release nogil;
        if (dbl) dct2_post(ptr<const double>(spec), ptr<double>(out), b, n1, n2, a1, b1, a2, b2);
        else dct2_post(ptr<const float>(spec), ptr<float>(out), b, n1, n2, a1, b1, a2, b2);
      },
      "rfft2 of the gathered input (B, N1, N2//2+1) -> scaled 2-D DCT-II (B, N1, N2)", py::arg("spec"),
      py::arg("out"), py::arg("b"), py::arg("n1"), py::arg("n2"), py::arg("a1"), py::arg("b1"), py::arg("a2"),
      py::arg("b2"), py::arg("dbl"));
  m.def(
      "dct3_pre",
      [](uintptr_t x, uintptr_t spec, int64_t b, int64_t n1, int64_t n2, double a1, double b1, double a2, double b2,
         bool packed, bool dbl) {
        check_sizes(b, n1, n2);
        if (packed && n2 % 2) throw std::invalid_argument("packed spectrum needs an even last size");
        py::gil_scoped_release nogil;
        if (dbl) dct3_pre(ptr<const double>(x), ptr<double>(spec), b, n1, n2, a1, b1, a2, b2, packed);
        else dct3_pre(ptr<const float>(x), ptr<float>(spec), b, n1, n2, a1, b1, a2, b2, packed);
      },
      "scaled input (B, N1, N2) -> spectrum for irfft2 (B, N1, N2//2+1) or, packed, for ifft2 (B, N1, N2//2)",
      py::arg("x"), py::arg("spec"), py::arg("b"), py::arg("n1"), py::arg("n2"), py::arg("a1"), py::arg("b1"),
      py::arg("a2"), py::arg("b2"), py::arg("packed"), py::arg("dbl"));
}

// Passes around torch.fft for the two-axis DCT-II / DCT-III of front_kernels/_backends/reference/dct2d.py
// (bound by dct2d_cpu.cpp; the regulariser's passes in bands_cpu.cpp use them too).
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
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "common.h"

namespace fk_cpu {

// No-op row-pair hook of dct2_post / dct3_pre.
struct NoHook {
  void operator()(int64_t, int64_t, int64_t) const {}
};

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

template <typename T> void gather(const T* __restrict x, T* __restrict v, int64_t b, int64_t n1, int64_t n2) {
#pragma omp parallel for schedule(dynamic, 16) if (parallel_worth(b, n1, n2))
  for (int64_t row = 0; row < b * n1; ++row) {
    const int64_t bi = row / n1, i = row % n1;
    fk_cpu::gather_row(x + (bi * n1 + makhoul(i, n1)) * n2, v + row * n2, n2, [](T a) { return a; });
  }
}

template <typename T> void scatter(const T* __restrict v, T* __restrict x, int64_t b, int64_t n1, int64_t n2) {
  const int64_t even = (n2 + 1) / 2, odd = n2 / 2;
#pragma omp parallel for schedule(dynamic, 16) if (parallel_worth(b, n1, n2))
  for (int64_t row = 0; row < b * n1; ++row) {
    const int64_t bi = row / n1, i = row % n1;
    const T* src = v + row * n2;
    T* dst = x + (bi * n1 + makhoul(i, n1)) * n2;
    const T* tail = src + n2 - 1;
    for (int64_t j = 0; j < odd; ++j) {
      dst[2 * j] = src[j];
      dst[2 * j + 1] = tail[-j];
    }
    if (even > odd) dst[2 * odd] = src[odd];
  }
}

// Interleaved (re, im) table exp(i * sign * pi * k / (2n)) * factor for k < count.
template <typename T> std::vector<T> twiddle_table(int64_t n, int64_t count, double sign, double factor) {
  std::vector<T> w(2 * count);
  const double step = sign * M_PI / (2.0 * static_cast<double>(n));
  for (int64_t k = 0; k < count; ++k) {
    w[2 * k] = static_cast<T>(factor * std::cos(step * k));
    w[2 * k + 1] = static_cast<T>(factor * std::sin(step * k));
  }
  return w;
}

// Rows r != 0 and rm = N1 - r of the DCT-II output from rows r, rm of the spectrum, columns
// 1 <= k <= tail (those with a mirror N2 - k); every scale there is the row's constant times b2.
// u = V W2(k) (W2 with the factor 2), q = u W1(r), p = u' W1(rm).
template <typename T>
void dct2_post_pair(const T* __restrict vr, const T* __restrict vm, const T* __restrict w2, T* xr,
                    T* xm, int64_t n2, int64_t tail, C<T> wr, C<T> wm, T cr, T cm) {
  for (int64_t k = 1; k <= tail; ++k) {
    const T wre = w2[2 * k], wim = w2[2 * k + 1];
    const T ure = vr[2 * k] * wre - vr[2 * k + 1] * wim, uim = vr[2 * k] * wim + vr[2 * k + 1] * wre;
    const T vre = vm[2 * k] * wre - vm[2 * k + 1] * wim, vim = vm[2 * k] * wim + vm[2 * k + 1] * wre;
    const T qre = ure * wr.re - uim * wr.im, qim = ure * wr.im + uim * wr.re;
    const T pre = vre * wm.re - vim * wm.im, pim = vre * wm.im + vim * wm.re;
    xr[k] = cr * (qre - pim);
    xm[k] = cm * (pre - qim);
    xr[n2 - k] = -cr * (qim + pre);
    xm[n2 - k] = -cm * (pim + qre);
  }
}

// Row 0 (its reflection is -i Q), columns 1 <= k <= tail: X[0, k] = c Re Q, X[0, N2 - k] = -c Im Q.
// Every row of a one-axis transform (N1 = 1) takes this path.
template <typename T>
void dct2_post_row0(const T* __restrict vr, const T* __restrict w2, T* __restrict xr, int64_t n2, int64_t tail,
                    C<T> wr, T c) {
  for (int64_t k = 1; k <= tail; ++k) {
    const T wre = w2[2 * k], wim = w2[2 * k + 1];
    const T ure = vr[2 * k] * wre - vr[2 * k + 1] * wim, uim = vr[2 * k] * wim + vr[2 * k + 1] * wre;
    xr[k] = c * (ure * wr.re - uim * wr.im);
    xr[n2 - k] = -c * (ure * wr.im + uim * wr.re);
  }
}

// With Q = 2 V W1(k1) W2(k2), W(k) = exp(-i pi k / 2N), and Qbar the row reflection
// (k1 -> N1 - k1; row 0: -i Q0):  X[k1, k2] = Re Q - Im Qbar,  X[k1, N2 - k2] = -(Im Q + Re Qbar).
// Rows k1 and N1 - k1 are each other's reflection, so one task handles both (the middle row
// of an even N1 is its own pair: both writes agree). after(bi, r, rm) runs once the task has
// written both rows (they are still in cache).
template <typename T, typename Hook = NoHook>
void dct2_post(const T* vin, T* out, int64_t b, int64_t n1, int64_t n2, double a1, double b1, double a2, double b2,
               Hook after = {}) {
  const int64_t h = n2 / 2 + 1, tail = (n2 - 1) / 2, pairs = n1 / 2 + 1;
  const auto w1 = quarter_twiddle<T>(n1, n1, -1.0);
  const auto w2 = twiddle_table<T>(n2, h, -1.0, 2.0);
  const auto s1 = axis_scale<T>(n1, a1, b1);
  const auto s2 = axis_scale<T>(n2, a2, b2);
  const T rest2 = static_cast<T>(b2);
#pragma omp parallel for schedule(dynamic, 16) if (parallel_worth(b, n1, n2))
  for (int64_t task = 0; task < b * pairs; ++task) {
    const int64_t bi = task / pairs, r = task % pairs, rm = (n1 - r) % n1;
    const T* vr = vin + 2 * (bi * n1 + r) * h;
    const T* vm = vin + 2 * (bi * n1 + rm) * h;
    T* xr = out + (bi * n1 + r) * n2;
    T* xm = out + (bi * n1 + rm) * n2;
    const C<T> wr = w1[r], wm = w1[rm];
    auto q_at = [&](const T* v, C<T> w, int64_t k) {
      return mul(mul(C<T>{v[2 * k], v[2 * k + 1]}, C<T>{w2[2 * k], w2[2 * k + 1]}), w);
    };
    if (r == 0) {  // Qbar = -i Q:  X[0, k2] = 2 Re Q,  X[0, N2 - k2] = -2 Im Q
      for (int64_t k = 0; k < h; k += (tail >= 1 ? tail + 1 : 1)) xr[k] = 2 * s1[0] * s2[k] * q_at(vr, wr, k).re;
      dct2_post_row0(vr, w2.data(), xr, n2, tail, wr, 2 * s1[0] * rest2);
      after(bi, r, rm);
      continue;
    }
    // columns without a mirror: 0, and N2/2 for even N2
    for (int64_t k = 0; k < h; k += (tail >= 1 ? tail + 1 : 1)) {
      const C<T> q = q_at(vr, wr, k), p = q_at(vm, wm, k);
      xr[k] = s1[r] * s2[k] * (q.re - p.im);
      xm[k] = s1[rm] * s2[k] * (p.re - q.im);
    }
    dct2_post_pair(vr, vm, w2.data(), xr, xm, n2, tail, wr, wm, s1[r] * rest2, s1[rm] * rest2);
    after(bi, r, rm);
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

  // q(r, k) and q(rm, k) for rm = (N1 - r) % N1: the same four samples feed both.
  void pair(int64_t bi, int64_t r, int64_t k, C<T>& qr, C<T>& qm) const {
    const int64_t rm = (n1 - r) % n1, kc = (n2 - k) % n2;
    const T* xr = x + (bi * n1 + r) * n2;
    const T* xm = x + (bi * n1 + rm) * n2;
    const T a = s1[r] * s2[k] * xr[k];
    const T c = k == 0 ? T(0) : s1[r] * s2[kc] * xr[kc];
    if (r == 0) {  // row 0 is its own reflection, which is zero
      qr = qm = mul(C<T>{a, -c}, conj(mul(w1[0], w2[k])));
      return;
    }
    const T am = s1[rm] * s2[k] * xm[k];
    const T cm = k == 0 ? T(0) : s1[rm] * s2[kc] * xm[kc];
    qr = mul(C<T>{a - cm, -(c + am)}, conj(mul(w1[r], w2[k])));
    qm = mul(C<T>{am - c, -(cm + a)}, conj(mul(w1[rm], w2[k])));
  }
};

// i exp(2 pi i k / N2) (q - up) + q + up: one packed output from Q and its partner Qup.
template <typename T> inline void pack(T* z, C<T> q, C<T> up, T hre, T him) {
  const T dre = q.re - up.re, dim = q.im - up.im;
  z[0] = q.re + up.re + (hre * dre - him * dim);
  z[1] = q.im + up.im + (hre * dim + him * dre);
}

// Q of rows r and rm = N1 - r, columns 1..M, into split re/im scratch (qr*, qm*). Every column
// read (k, N2 - k) is >= 1, so the scales are the row constants sr, sm times b2; sm = 0 for r = 0,
// whose reflection is zero (then only qr* is meaningful). cw2: conj(W2) interleaved.
template <typename T>
void dct3_rows(const T* __restrict xr, const T* __restrict xm, const T* __restrict cw2, T* __restrict qrre,
               T* __restrict qrim, T* __restrict qmre, T* __restrict qmim, int64_t n2, int64_t m, C<T> cwr,
               C<T> cwm, T sr, T sm) {
  for (int64_t k = 1; k <= m; ++k) {
    const C<T> t{cw2[2 * k], cw2[2 * k + 1]};
    const T a = sr * xr[k], c = sr * xr[n2 - k], am = sm * xm[k], cm = sm * xm[n2 - k];
    const C<T> qr = mul(mul(C<T>{a - cm, -(c + am)}, t), cwr);
    const C<T> qm = mul(mul(C<T>{am - c, -(cm + a)}, t), cwm);
    qrre[k] = qr.re, qrim[k] = qr.im, qmre[k] = qm.re, qmim[k] = qm.im;
  }
}

// Z[k] = (Q[k] + Qup[k]) + i exp(2 pi i k / N2) (Q[k] - Qup[k]) for 1 <= k < M, Qup[k] = conj(P[M - k]).
template <typename T>
void dct3_pack_row(const T* __restrict qre, const T* __restrict qim, const T* __restrict pre,
                   const T* __restrict pim, const T* __restrict half, T* __restrict z, int64_t m) {
  for (int64_t k = 1; k < m; ++k) {
    const T ure = pre[m - k], uim = -pim[m - k];
    const T dre = qre[k] - ure, dim = qim[k] - uim;
    const T hre = half[2 * k], him = half[2 * k + 1];
    z[2 * k] = qre[k] + ure + (hre * dre - him * dim);
    z[2 * k + 1] = qim[k] + uim + (hre * dim + him * dre);
  }
}

// before(bi, r, rm) runs for the row pair (r, rm = (N1 - r) % N1) before either row is read, and
// may rewrite both rows of x in place (x is then not const: the caller owns it).
template <typename T, typename Hook = NoHook>
void dct3_pre(const T* x, T* yout, int64_t b, int64_t n1, int64_t n2, double a1, double b1, double a2, double b2,
              bool packed, Hook before = {}) {
  const int64_t h = n2 / 2 + 1, m = n2 / 2;
  const int64_t pairs = n1 / 2 + 1;
  Dct3Spectrum<T> sp{x, n1, n2, quarter_twiddle<T>(n1, n1, -1.0), quarter_twiddle<T>(n2, h, -1.0),
                     axis_scale<T>(n1, a1, b1), axis_scale<T>(n2, a2, b2)};
  if (!packed) {
    // rows are transformed one by one here, each reading its reflection: the hook runs first, for all pairs
    if constexpr (!std::is_same_v<Hook, NoHook>) {
#pragma omp parallel for schedule(static) if (parallel_worth(b, n1, n2))
      for (int64_t task = 0; task < b * pairs; ++task) before(task / pairs, task % pairs, (n1 - task % pairs) % n1);
    }
    C<T>* Y = reinterpret_cast<C<T>*>(yout);
#pragma omp parallel for schedule(dynamic, 16) if (parallel_worth(b, n1, n2))
    for (int64_t row = 0; row < b * n1; ++row) {
      const int64_t bi = row / n1, r = row % n1;
      for (int64_t k = 0; k < h; ++k) Y[row * h + k] = sp.q(bi, r, k);
    }
    return;
  }
  std::vector<T> half(2 * m);
  const double step = 2.0 * M_PI / static_cast<double>(n2);
  for (int64_t k = 0; k < m; ++k) {
    half[2 * k] = static_cast<T>(-std::sin(step * k));
    half[2 * k + 1] = static_cast<T>(std::cos(step * k));
  }
  const auto cw2 = twiddle_table<T>(n2, h, 1.0, 1.0);
  const T rest2 = static_cast<T>(b2);
  // Rows r and N1 - r together: Q of both rows into scratch, then each packed row reads the other.
#pragma omp parallel if (parallel_worth(b, n1, n2))
  {
    std::vector<T> scratch(4 * (m + 1));
    T *qrre = scratch.data(), *qrim = qrre + m + 1, *qmre = qrim + m + 1, *qmim = qmre + m + 1;
#pragma omp for schedule(dynamic, 16) nowait
    for (int64_t task = 0; task < b * pairs; ++task) {
      const int64_t bi = task / pairs, r = task % pairs, rm = (n1 - r) % n1;
      before(bi, r, rm);
      T* zr = yout + 2 * (bi * n1 + r) * m;
      T* zm = yout + 2 * (bi * n1 + rm) * m;
      C<T> ar, am, br, bm;
      sp.pair(bi, r, 0, ar, am);
      sp.pair(bi, r, m, br, bm);
      pack(zr, ar, br, half[0], half[1]);
      pack(zm, am, bm, half[0], half[1]);
      dct3_rows(x + (bi * n1 + r) * n2, x + (bi * n1 + rm) * n2, cw2.data(), qrre, qrim, qmre, qmim, n2, m,
                conj(sp.w1[r]), conj(sp.w1[rm]), sp.s1[r] * rest2, r == 0 ? T(0) : sp.s1[rm] * rest2);
      if (r == 0) {
        dct3_pack_row(qrre, qrim, qrre, qrim, half.data(), zr, m);
        continue;
      }
      dct3_pack_row(qrre, qrim, qmre, qmim, half.data(), zr, m);
      if (rm != r) dct3_pack_row(qmre, qmim, qrre, qrim, half.data(), zm, m);
    }
  }
}

}  // namespace fk_cpu

// One level of the 2-D discrete wavelet transform over the two trailing dims of a C-contiguous stack of
// b images (h, w), analysis and synthesis, in one pass over memory each; bound into front_kernels._cpu
// by module_cpu.cpp and used by front_kernels/_backends/reference/dwt.py (its module doc has the math).
//
// Analysis, filter length F = 2K, taps a_c[m] = h_c[F-1-m] (c = 0 low, 1 high):
//   e_j = s_j * x[r_j] along each axis (the boundary extension as an index map r and a weight s in
//   {1, -1, 0}; interior j maps to j - left with weight 1), and for every output row o
//     v_c[o][:] = sum_m a_c[m] e_H[2o+m][:]                    (vertical, over whole rows)
//     band[iw][ih][o][q] = sum_m a_iw[m] e_W(v_ih[o])[2q+m]    (horizontal, polyphase form)
//   so each input row is read F/2 times while it is in cache and each band is written once.
// Synthesis, taps g_c and polyphase p_c[m][r] = g_c[2(K-1-m)+r]:
//   coefficients extended by an index map (identity, or periodic for 'periodization'), and for every
//   output row y = 2p + r in the kept window
//     A[:] = sum_m sum_ih c[ih][a][p+m][:] p_ih[m][r],  D[:] = the same with the 'd' bands along w
//     out[y][2q+s] = sum_m (A[q+m] p_0[m][s] + D[q+m] p_1[m][s])  over the kept columns.
//   Rows y = 2p and 2p + 1 read the same K rows of each band, so they are made together (each band
//   row read once per pair), the sums over m run in registers for a block of columns, and each
//   output row is written once, interleaved.
// The same passes along one of the two dims alone give the 1-D levels. A missing band (null
// pointer) counts as zeros. Threads split (image, row range) tiles; the results do
// not depend on the number of threads.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

// No fused multiply-adds: with them h0 e + h1 e is not exactly 0 for h0 = -h1, and the details of a
// constant signal (haar, symmetric extensions) would not be the exact zeros pywt gives.
#pragma GCC optimize("fp-contract=off")

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "common.h"

namespace py = pybind11;

namespace {

using fk_cpu::ptr;

constexpr int64_t kMaxTaps = 128;  // pywt's longest filters (coif17) have 102
constexpr int kBoth = 0, kLast = 1, kMiddle = 2;  // which axes of (b, h, w) a level transforms

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define FK_CLONES_V4 __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FK_CLONES_V4
#endif
#define FK_INLINE inline __attribute__((always_inline))

// Columns per register block: four accumulators of this many fit in eight AVX-512 registers.
template <typename T> constexpr int64_t kBlock = 128 / sizeof(T);

// One axis of an analysis level: n samples in, n_out per band, extended length 2 n_out + F - 2.
struct AxisMap {
  int64_t n, n_out, left;
  std::vector<int64_t> src;  // per extended position: source sample
  std::vector<double> sign;  // per extended position: 1, -1 or 0 (zero extension)
};

AxisMap axis_map(int64_t n, int64_t n_out, int64_t left, const std::vector<int64_t>& src,
                 const std::vector<double>& sign, int64_t f, const char* name) {
  const int64_t len = 2 * n_out + f - 2;
  if (static_cast<int64_t>(src.size()) != len || static_cast<int64_t>(sign.size()) != len)
    throw std::invalid_argument(std::string(name) + ": index map of the wrong length");
  for (int64_t s : src)
    if (s < 0 || s >= n) throw std::invalid_argument(std::string(name) + ": index map out of range");
  return {n, n_out, left, src, sign};
}

template <typename T> struct AnalysisArgs {
  const T* x;
  T* out;
  int64_t b, f;
  AxisMap ah, aw;
  T taps[2][kMaxTaps];
};

// e (length 2 n_out + F - 2) holds the interior at [left, left + n); fill its boundary from the map.
template <typename T> FK_INLINE void fill_boundary(T* e, const AxisMap& a, int64_t len) {
  for (int64_t j = 0; j < a.left; ++j) e[j] = static_cast<T>(a.sign[j]) * e[a.left + a.src[j]];
  for (int64_t j = a.left + a.n; j < len; ++j) e[j] = static_cast<T>(a.sign[j]) * e[a.left + a.src[j]];
}

// out_c[q] = sum_m taps[c][m] e[2q + m], q < n_out, through the even / odd halves E, O of e.
template <typename T>
FK_INLINE void analysis_row(const T* e, T* ev, T* od, int64_t n_out, int64_t k, const T (*taps)[kMaxTaps], T* lo,
                            T* hi) {
  constexpr int64_t N = kBlock<T>;
  const int64_t half = n_out + k - 1;
  for (int64_t q = 0; q < half; ++q) ev[q] = e[2 * q], od[q] = e[2 * q + 1];
  int64_t q0 = 0;
  for (; q0 + N <= n_out; q0 += N) {  // the k tap sums of a block of q in registers
    T a[N], b[N];
#pragma omp simd
    for (int64_t j = 0; j < N; ++j) a[j] = b[j] = T(0);
    for (int64_t m = 0; m < k; ++m) {
      const T l0 = taps[0][2 * m], l1 = taps[0][2 * m + 1], h0 = taps[1][2 * m], h1 = taps[1][2 * m + 1];
      const T* __restrict pe = ev + q0 + m;
      const T* __restrict po = od + q0 + m;
#pragma omp simd
      for (int64_t j = 0; j < N; ++j) {
        a[j] += l0 * pe[j] + l1 * po[j];
        b[j] += h0 * pe[j] + h1 * po[j];
      }
    }
#pragma omp simd
    for (int64_t j = 0; j < N; ++j) lo[q0 + j] = a[j], hi[q0 + j] = b[j];
  }
  for (int64_t q = q0; q < n_out; ++q) {
    T a = T(0), b = T(0);
    for (int64_t m = 0; m < k; ++m) {
      a += taps[0][2 * m] * ev[q + m] + taps[0][2 * m + 1] * od[q + m];
      b += taps[1][2 * m] * ev[q + m] + taps[1][2 * m + 1] * od[q + m];
    }
    lo[q] = a, hi[q] = b;
  }
}

// The vertical step of one output row over columns [0, w): v0[c] = sum_t l[t] rows[t][c] and
// v1[c] = sum_t h[t] rows[t][c] over the n taps that reach the row (zeros when there are none), in
// strips of columns short enough for the two sums to stay in L1 while every tap row streams by
// (v0 and v1 are not __restrict: with it GCC vectorises the float32 loop nest about 2x slower).
template <typename T>
FK_INLINE void vertical_taps(const T* const* rows, const T* l, const T* h, int64_t n, int64_t w, T* v0, T* v1) {
  constexpr int64_t kCols = 512;
  for (int64_t c0 = 0; c0 < w; c0 += kCols) {
    const int64_t c1 = std::min(w, c0 + kCols);
    for (int64_t c = c0; c < c1; ++c) v0[c] = v1[c] = T(0);
    for (int64_t t = 0; t < n; ++t) {
      const T* __restrict row = rows[t];
      const T lt = l[t], ht = h[t];
      for (int64_t c = c0; c < c1; ++c) {
        v0[c] += lt * row[c];
        v1[c] += ht * row[c];
      }
    }
  }
}

// The input rows (and their signed taps) that reach output row o of the vertical pass; returns their count.
template <typename T>
FK_INLINE int64_t row_taps(const AnalysisArgs<T>& A, const T* x, int64_t w, int64_t o, const T** rows, T* l, T* h) {
  const AxisMap& ah = A.ah;
  int64_t n = 0;
  for (int64_t m = 0; m < A.f; ++m) {
    const int64_t j = 2 * o + m, r = j - ah.left;
    const bool inside = r >= 0 && r < ah.n;
    const T s = inside ? T(1) : static_cast<T>(ah.sign[j]);
    if (s == T(0)) continue;
    rows[n] = x + (inside ? r : ah.src[j]) * w;
    l[n] = s * A.taps[0][m];
    h[n] = s * A.taps[1][m];
    ++n;
  }
  return n;
}

template <typename T> FK_INLINE void analysis_tile(const AnalysisArgs<T>& A, int64_t bi, int64_t o0, int64_t o1) {
  const AxisMap &ah = A.ah, &aw = A.aw;
  const int64_t f = A.f, k = f / 2, w = aw.n, nw = aw.n_out, lenw = 2 * nw + f - 2;
  const int64_t plane = ah.n_out * nw, band = A.b * plane;
  std::vector<T> buf(2 * lenw + 2 * (nw + k));
  T* e0 = buf.data();
  T* e1 = e0 + lenw;
  T* ev = e1 + lenw;
  T* od = ev + nw + k;
  const T* x = A.x + bi * ah.n * w;
  const T* rows[kMaxTaps];
  T l[kMaxTaps], h[kMaxTaps];
  for (int64_t o = o0; o < o1; ++o) {
    vertical_taps(rows, l, h, row_taps(A, x, w, o, rows, l, h), w, e0 + aw.left, e1 + aw.left);
    fill_boundary(e0, aw, lenw);
    fill_boundary(e1, aw, lenw);
    T* out = A.out + bi * plane + o * nw;
    // band index [iw][ih]: iw along w (the horizontal filter), ih along h (the vertical one)
    analysis_row(e0, ev, od, nw, k, A.taps, out, out + 2 * band);
    analysis_row(e1, ev, od, nw, k, A.taps, out + band, out + 3 * band);
  }
}

// A 1-D level along the last dim: every one of the b * h rows on its own (the h axis map is unused).
template <typename T> FK_INLINE void analysis_rows(const AnalysisArgs<T>& A, int64_t r0, int64_t r1) {
  const AxisMap& aw = A.aw;
  const int64_t k = A.f / 2, w = aw.n, nw = aw.n_out, lenw = 2 * nw + A.f - 2, band = A.b * A.ah.n * nw;
  std::vector<T> buf(lenw + 2 * (nw + k));
  T* e = buf.data();
  T* ev = e + lenw;
  T* od = ev + nw + k;
  for (int64_t r = r0; r < r1; ++r) {
    std::memcpy(e + aw.left, A.x + r * w, w * sizeof(T));
    fill_boundary(e, aw, lenw);
    analysis_row(e, ev, od, nw, k, A.taps, A.out + r * nw, A.out + band + r * nw);
  }
}

// A 1-D level along the middle dim of (b, h, w): the vertical pass alone, w columns per row.
template <typename T> FK_INLINE void analysis_cols(const AnalysisArgs<T>& A, int64_t bi, int64_t o0, int64_t o1) {
  const AxisMap& ah = A.ah;
  const int64_t w = A.aw.n, band = A.b * ah.n_out * w;
  const T* x = A.x + bi * ah.n * w;
  const T* rows[kMaxTaps];
  T l[kMaxTaps], h[kMaxTaps];
  for (int64_t o = o0; o < o1; ++o) {
    T* v0 = A.out + (bi * ah.n_out + o) * w;
    vertical_taps(rows, l, h, row_taps(A, x, w, o, rows, l, h), w, v0, v0 + band);
  }
}

FK_CLONES_V4 void analysis_cols_k(const AnalysisArgs<float>& A, int64_t bi, int64_t o0, int64_t o1) {
  analysis_cols(A, bi, o0, o1);
}
FK_CLONES_V4 void analysis_cols_k(const AnalysisArgs<double>& A, int64_t bi, int64_t o0, int64_t o1) {
  analysis_cols(A, bi, o0, o1);
}

FK_CLONES_V4 void analysis_rows_k(const AnalysisArgs<float>& A, int64_t r0, int64_t r1) { analysis_rows(A, r0, r1); }
FK_CLONES_V4 void analysis_rows_k(const AnalysisArgs<double>& A, int64_t r0, int64_t r1) { analysis_rows(A, r0, r1); }

FK_CLONES_V4 void analysis_tile_k(const AnalysisArgs<float>& A, int64_t bi, int64_t o0, int64_t o1) {
  analysis_tile(A, bi, o0, o1);
}
FK_CLONES_V4 void analysis_tile_k(const AnalysisArgs<double>& A, int64_t bi, int64_t o0, int64_t o1) {
  analysis_tile(A, bi, o0, o1);
}

// Tiles of rows: enough per image for the threads, at least 16 rows each so a tile amortises its buffers.
template <typename F> void for_tiles(int64_t b, int64_t rows, int64_t work_per_row, F run) {
  const int64_t per = std::max<int64_t>(16, rows / 8);
  const int64_t tiles = (rows + per - 1) / per;
  const bool par = b * rows * work_per_row >= (int64_t{1} << 15);
#pragma omp parallel for schedule(dynamic) if (par)
  for (int64_t t = 0; t < b * tiles; ++t) {
    const int64_t bi = t / tiles, r0 = (t % tiles) * per;
    run(bi, r0, std::min(rows, r0 + per));
  }
}

template <typename T>
void analysis(uintptr_t x, uintptr_t out, int64_t b, int64_t h, int64_t w, const std::vector<double>& dec_lo,
              const std::vector<double>& dec_hi, int64_t nh, int64_t left_h, const std::vector<int64_t>& src_h,
              const std::vector<double>& sign_h, int64_t nw, int64_t left_w, const std::vector<int64_t>& src_w,
              const std::vector<double>& sign_w, int kind) {
  const int64_t f = static_cast<int64_t>(dec_lo.size());
  if (f < 2 || f % 2 || f > kMaxTaps || dec_hi.size() != dec_lo.size())
    throw std::invalid_argument("filters: an even length from 2 to 128, the same for both");
  fk_cpu::check_sizes(b, h, w);
  AnalysisArgs<T> A{ptr<const T>(x), ptr<T>(out), b, f,
                    kind != kLast ? axis_map(h, nh, left_h, src_h, sign_h, f, "h") : AxisMap{h, h, 0, {}, {}},
                    kind != kMiddle ? axis_map(w, nw, left_w, src_w, sign_w, f, "w") : AxisMap{w, w, 0, {}, {}}, {}};
  for (int64_t m = 0; m < f; ++m) {
    A.taps[0][m] = static_cast<T>(dec_lo[f - 1 - m]);
    A.taps[1][m] = static_cast<T>(dec_hi[f - 1 - m]);
  }
  const int64_t out_h = kind == kLast ? h : nh, out_w = kind == kMiddle ? w : nw;
  fk_cpu::advise_huge(A.out, static_cast<size_t>((kind == kBoth ? 4 : 2) * b * out_h * out_w) * sizeof(T));
  py::gil_scoped_release nogil;
  if (kind == kLast)
    for_tiles(1, b * h, w * f, [&](int64_t, int64_t r0, int64_t r1) { analysis_rows_k(A, r0, r1); });
  else if (kind == kMiddle)
    for_tiles(b, nh, 2 * w * f, [&](int64_t bi, int64_t o0, int64_t o1) { analysis_cols_k(A, bi, o0, o1); });
  else
    for_tiles(b, nh, 2 * w * f, [&](int64_t bi, int64_t o0, int64_t o1) { analysis_tile_k(A, bi, o0, o1); });
}

// One axis of a synthesis level: l coefficients, extended to le = pairs + K - 1 by src; the outputs
// [shift, shift + keep) of the 2 * pairs that the extended coefficients give are kept.
struct Run {
  int64_t dst, src, len;
};

struct SynAxis {
  int64_t l, pairs, shift, keep;
  std::vector<int64_t> src;
  std::vector<Run> runs;  // src as runs of consecutive indices: dst[j .. j + len) = from[src .. src + len)
};

std::vector<Run> runs_of(const std::vector<int64_t>& src) {
  std::vector<Run> runs;
  for (int64_t j = 0; j < static_cast<int64_t>(src.size()); ++j)
    if (!runs.empty() && runs.back().src + runs.back().len == src[j]) ++runs.back().len;
    else runs.push_back({j, src[j], 1});
  return runs;
}

template <typename T> FK_INLINE void gather_runs(const std::vector<Run>& runs, const T* from, T* to) {
  for (const Run& r : runs) std::memcpy(to + r.dst, from + r.src, r.len * sizeof(T));
}

template <typename T> struct SynthesisArgs {
  const T* band[2][2];  // [ih][iw], null: zeros
  T* out;
  int64_t b, k;
  SynAxis sh, sw;
  T poly[2][kMaxTaps / 2][2];  // poly[c][m][r] = g_c[2(K-1-m)+r]
};

// Horizontal synthesis of one row (a, d: extended to pairs + K - 1 coefficients) into the kept
// columns of o: full[2q + s] = sum_m a[q+m] p_0[m][s] + d[q+m] p_1[m][s], summed in registers for a
// block of q and stored interleaved once; full is o itself when every column is kept, else scratch.
template <typename T>
FK_INLINE void synthesis_line(const SynthesisArgs<T>& S, const T* __restrict pa, const T* __restrict pd,
                              T* __restrict scratch, T* __restrict o) {
  constexpr int64_t N = kBlock<T>;
  const SynAxis& sw = S.sw;
  const int64_t pairs = sw.pairs, k = S.k;
  T* __restrict full = sw.shift == 0 && sw.keep == 2 * pairs ? o : scratch;
  int64_t q0 = 0;
  for (; q0 + N <= pairs; q0 += N) {
    T ev[N], od[N];
#pragma omp simd
    for (int64_t j = 0; j < N; ++j) {
      ev[j] = S.poly[0][0][0] * pa[q0 + j] + S.poly[1][0][0] * pd[q0 + j];
      od[j] = S.poly[0][0][1] * pa[q0 + j] + S.poly[1][0][1] * pd[q0 + j];
    }
    for (int64_t m = 1; m < k; ++m) {
      const T a0 = S.poly[0][m][0], a1 = S.poly[0][m][1], d0 = S.poly[1][m][0], d1 = S.poly[1][m][1];
      const T* __restrict qa = pa + q0 + m;
      const T* __restrict qd = pd + q0 + m;
#pragma omp simd
      for (int64_t j = 0; j < N; ++j) {
        ev[j] += a0 * qa[j] + d0 * qd[j];
        od[j] += a1 * qa[j] + d1 * qd[j];
      }
    }
#pragma omp simd
    for (int64_t j = 0; j < N; ++j) full[2 * (q0 + j)] = ev[j], full[2 * (q0 + j) + 1] = od[j];
  }
  for (int64_t q = q0; q < pairs; ++q) {
    T ev = S.poly[0][0][0] * pa[q] + S.poly[1][0][0] * pd[q];
    T od = S.poly[0][0][1] * pa[q] + S.poly[1][0][1] * pd[q];
    for (int64_t m = 1; m < k; ++m) {
      ev += S.poly[0][m][0] * pa[q + m] + S.poly[1][m][0] * pd[q + m];
      od += S.poly[0][m][1] * pa[q + m] + S.poly[1][m][1] * pd[q + m];
    }
    full[2 * q] = ev, full[2 * q + 1] = od;
  }
  if (full != o) std::memcpy(o, full + sw.shift, sw.keep * sizeof(T));
}

// The vertical step of one output row pair over columns [c0, c0 + n): acc[r][iw][c] =
// sum_m sum_ih p_ih[m][r] band[ih][iw][row_m][c], in registers when n is the block width N.
template <typename T, int64_t N>
FK_INLINE void vertical_pair(const SynthesisArgs<T>& S, const T* const* rows, int64_t c0, int64_t n,
                             T* const (*acc)[2]) {
  const int64_t k = S.k;
  for (int iw = 0; iw < 2; ++iw) {
    T b0[N ? N : 1], b1[N ? N : 1];
    T* __restrict s0 = N ? b0 : acc[0][iw] + c0;
    T* __restrict s1 = N ? b1 : acc[1][iw] + c0;
    const int64_t len = N ? N : n;
    bool first = true;
    for (int64_t m = 0; m < k; ++m)
      for (int ih = 0; ih < 2; ++ih) {
        const T* cb = rows[(m * 2 + ih) * 2 + iw];
        if (!cb) continue;
        const T g0 = S.poly[ih][m][0], g1 = S.poly[ih][m][1];
        const T* __restrict src = cb + c0;
        if (first) {
#pragma omp simd
          for (int64_t c = 0; c < len; ++c) s0[c] = g0 * src[c], s1[c] = g1 * src[c];
          first = false;
        } else {
#pragma omp simd
          for (int64_t c = 0; c < len; ++c) s0[c] += g0 * src[c], s1[c] += g1 * src[c];
        }
      }
    if (first)
      for (int64_t c = 0; c < len; ++c) s0[c] = s1[c] = T(0);
    if (N) {
      std::memcpy(acc[0][iw] + c0, s0, len * sizeof(T));
      std::memcpy(acc[1][iw] + c0, s1, len * sizeof(T));
    }
  }
}

// Output rows y in [y0, y1) of the kept window, two at a time: rows 2p and 2p + 1 of the extended
// output read the same K coefficient rows of each band, so each is read once per pair.
template <typename T> FK_INLINE void synthesis_tile(const SynthesisArgs<T>& S, int64_t bi, int64_t y0, int64_t y1) {
  constexpr int64_t N = kBlock<T>;
  const SynAxis &sh = S.sh, &sw = S.sw;
  const int64_t k = S.k, l2 = sw.l, le2 = sw.pairs + k - 1;
  const bool ext_w = sw.shift != 0 || le2 != l2;
  std::vector<T> buf(4 * l2 + 2 * le2 + 2 * sw.pairs + N, T(0));
  T* const acc[2][2] = {{buf.data(), buf.data() + l2}, {buf.data() + 2 * l2, buf.data() + 3 * l2}};  // [r][a or d]
  T* ae = buf.data() + 4 * l2;
  T* de = ae + le2;
  T* scratch = de + le2;
  std::vector<const T*> rows(4 * k);  // [m][ih][iw]
  const int64_t cplane = sh.l * l2;
  for (int64_t p = (y0 + sh.shift) / 2; 2 * p - sh.shift < y1; ++p) {
    for (int64_t m = 0; m < k; ++m)
      for (int ih = 0; ih < 2; ++ih)
        for (int iw = 0; iw < 2; ++iw) {
          const T* band = S.band[ih][iw];
          rows[(m * 2 + ih) * 2 + iw] = band ? band + bi * cplane + sh.src[p + m] * l2 : nullptr;
        }
    int64_t c0 = 0;
    if (k > 1)
      for (; c0 + N <= l2; c0 += N) vertical_pair<T, N>(S, rows.data(), c0, N, acc);
    if (c0 < l2) vertical_pair<T, 0>(S, rows.data(), c0, l2 - c0, acc);
    for (int r = 0; r < 2; ++r) {
      const int64_t y = 2 * p + r - sh.shift;
      if (y < y0 || y >= y1) continue;
      const T* pa = acc[r][0];
      const T* pd = acc[r][1];
      if (ext_w) {
        gather_runs(sw.runs, pa, ae);
        gather_runs(sw.runs, pd, de);
        pa = ae, pd = de;
      }
      synthesis_line(S, pa, pd, scratch, S.out + (bi * sh.keep + y) * sw.keep);
    }
  }
}

// A 1-D level along the last dim: band[0][0] (approximation) and band[0][1] (detail), b * l1 rows.
template <typename T> FK_INLINE void synthesis_rows(const SynthesisArgs<T>& S, int64_t r0, int64_t r1) {
  const SynAxis& sw = S.sw;
  const int64_t l2 = sw.l, le2 = sw.pairs + S.k - 1;
  std::vector<T> buf(2 * le2 + 2 * sw.pairs, T(0));
  T* ae = buf.data();
  T* de = ae + le2;
  T* scratch = de + le2;
  const T* ca = S.band[0][0];
  const T* cd = S.band[0][1];
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t j = 0; j < le2; ++j) {
      ae[j] = ca ? ca[r * l2 + sw.src[j]] : T(0);
      de[j] = cd ? cd[r * l2 + sw.src[j]] : T(0);
    }
    synthesis_line(S, ae, de, scratch, S.out + r * sw.keep);
  }
}

FK_CLONES_V4 void synthesis_rows_k(const SynthesisArgs<float>& S, int64_t r0, int64_t r1) { synthesis_rows(S, r0, r1); }
FK_CLONES_V4 void synthesis_rows_k(const SynthesisArgs<double>& S, int64_t r0, int64_t r1) { synthesis_rows(S, r0, r1); }

// A 1-D level along the middle dim of (b, l1, w): bands [a, d] (b, l1, w), the vertical pass alone into
// the kept rows of out (b, keep_h, w).
template <typename T> FK_INLINE void synthesis_cols(const SynthesisArgs<T>& S, int64_t bi, int64_t y0, int64_t y1) {
  const SynAxis& sh = S.sh;
  const int64_t k = S.k, w = S.sw.l, cplane = sh.l * w;
  for (int64_t y = y0; y < y1; ++y) {
    const int64_t yy = y + sh.shift, p = yy / 2, r = yy % 2;
    T* __restrict o = S.out + (bi * sh.keep + y) * w;
    for (int64_t c = 0; c < w; ++c) o[c] = T(0);
    for (int64_t m = 0; m < k; ++m) {
      const int64_t row = sh.src[p + m];
      for (int ih = 0; ih < 2; ++ih) {
        if (!S.band[0][ih]) continue;
        const T g = S.poly[ih][m][r];
        const T* __restrict cb = S.band[0][ih] + bi * cplane + row * w;
        for (int64_t c = 0; c < w; ++c) o[c] += g * cb[c];
      }
    }
  }
}

FK_CLONES_V4 void synthesis_cols_k(const SynthesisArgs<float>& S, int64_t bi, int64_t y0, int64_t y1) {
  synthesis_cols(S, bi, y0, y1);
}
FK_CLONES_V4 void synthesis_cols_k(const SynthesisArgs<double>& S, int64_t bi, int64_t y0, int64_t y1) {
  synthesis_cols(S, bi, y0, y1);
}

FK_CLONES_V4 void synthesis_tile_k(const SynthesisArgs<float>& S, int64_t bi, int64_t y0, int64_t y1) {
  synthesis_tile(S, bi, y0, y1);
}
FK_CLONES_V4 void synthesis_tile_k(const SynthesisArgs<double>& S, int64_t bi, int64_t y0, int64_t y1) {
  synthesis_tile(S, bi, y0, y1);
}

SynAxis syn_axis(int64_t l, int64_t pairs, int64_t shift, int64_t keep, const std::vector<int64_t>& src, int64_t k,
                 const char* name) {
  if (static_cast<int64_t>(src.size()) != pairs + k - 1 || shift < 0 || keep < 0 || shift + keep > 2 * pairs)
    throw std::invalid_argument(std::string(name) + ": inconsistent synthesis geometry");
  for (int64_t s : src)
    if (s < 0 || s >= l) throw std::invalid_argument(std::string(name) + ": index map out of range");
  return {l, pairs, shift, keep, src, runs_of(src)};
}

template <typename T>
void synthesis(const std::vector<uintptr_t>& bands, uintptr_t out, int64_t b, int64_t l1, int64_t l2,
               const std::vector<double>& rec_lo, const std::vector<double>& rec_hi, int64_t pairs_h, int64_t shift_h,
               int64_t keep_h, const std::vector<int64_t>& src_h, int64_t pairs_w, int64_t shift_w, int64_t keep_w,
               const std::vector<int64_t>& src_w, int kind) {
  const int64_t f = static_cast<int64_t>(rec_lo.size()), k = f / 2;
  if (f < 2 || f % 2 || f > kMaxTaps || rec_hi.size() != rec_lo.size())
    throw std::invalid_argument("filters: an even length from 2 to 128, the same for both");
  if (bands.size() != 4) throw std::invalid_argument("bands: four pointers [aa, ad, da, dd] (0 for a zero band)");
  fk_cpu::check_sizes(b, l1, l2);
  SynthesisArgs<T> S{{{ptr<const T>(bands[0]), ptr<const T>(bands[1])}, {ptr<const T>(bands[2]), ptr<const T>(bands[3])}},
                     ptr<T>(out), b, k,
                     kind != kLast ? syn_axis(l1, pairs_h, shift_h, keep_h, src_h, k, "h") : SynAxis{l1, l1, 0, l1, {}, {}},
                     kind != kMiddle ? syn_axis(l2, pairs_w, shift_w, keep_w, src_w, k, "w") : SynAxis{l2, l2, 0, l2, {}, {}},
                     {}};
  for (int64_t m = 0; m < k; ++m)
    for (int r = 0; r < 2; ++r) {
      S.poly[0][m][r] = static_cast<T>(rec_lo[2 * (k - 1 - m) + r]);
      S.poly[1][m][r] = static_cast<T>(rec_hi[2 * (k - 1 - m) + r]);
    }
  fk_cpu::advise_huge(S.out, static_cast<size_t>(b * S.sh.keep * S.sw.keep) * sizeof(T));
  py::gil_scoped_release nogil;
  if (kind == kLast)
    for_tiles(1, b * l1, 2 * l2 * k, [&](int64_t, int64_t r0, int64_t r1) { synthesis_rows_k(S, r0, r1); });
  else if (kind == kMiddle)
    for_tiles(b, keep_h, 2 * l2 * k, [&](int64_t bi, int64_t y0, int64_t y1) { synthesis_cols_k(S, bi, y0, y1); });
  else
    for_tiles(b, keep_h, 4 * l2 * k, [&](int64_t bi, int64_t y0, int64_t y1) { synthesis_tile_k(S, bi, y0, y1); });
}

}  // namespace

void bind_dwt2(py::module_& m) {
  m.def(
      "dwt2_analysis",
      [](uintptr_t x, uintptr_t out, int64_t b, int64_t h, int64_t w, const std::vector<double>& dec_lo,
         const std::vector<double>& dec_hi, int64_t nh, int64_t left_h, const std::vector<int64_t>& src_h,
         const std::vector<double>& sign_h, int64_t nw, int64_t left_w, const std::vector<int64_t>& src_w,
         const std::vector<double>& sign_w, bool dbl, int kind) {
        if (kind != kBoth && kind != kLast && kind != kMiddle) throw std::invalid_argument("kind: 0, 1 or 2");
        (dbl ? analysis<double> : analysis<float>)(x, out, b, h, w, dec_lo, dec_hi, nh, left_h, src_h, sign_h, nw,
                                                   left_w, src_w, sign_w, kind);
      },
      "One analysis level of x (b, h, w): kind 0 over h and w -> out (2_w, 2_h, b, nh, nw); kind 1 along w "
      "-> (2, b, h, nw); kind 2 along h -> (2, b, nh, w).");
  m.def(
      "dwt2_synthesis",
      [](const std::vector<uintptr_t>& bands, uintptr_t out, int64_t b, int64_t l1, int64_t l2,
         const std::vector<double>& rec_lo, const std::vector<double>& rec_hi, int64_t pairs_h, int64_t shift_h,
         int64_t keep_h, const std::vector<int64_t>& src_h, int64_t pairs_w, int64_t shift_w, int64_t keep_w,
         const std::vector<int64_t>& src_w, bool dbl, int kind) {
        if (kind != kBoth && kind != kLast && kind != kMiddle) throw std::invalid_argument("kind: 0, 1 or 2");
        (dbl ? synthesis<double> : synthesis<float>)(bands, out, b, l1, l2, rec_lo, rec_hi, pairs_h, shift_h, keep_h,
                                                     src_h, pairs_w, shift_w, keep_w, src_w, kind);
      },
      "One synthesis level: kind 0, bands [aa, ad, da, dd] (b, l1, l2) -> out (b, keep_h, keep_w); kind 1 "
      "along l2, bands [a, d, 0, 0] -> (b, l1, keep_w); kind 2 along l1, bands [a, d, 0, 0] -> (b, keep_h, l2).");
}

// Kernels of the panel DCT-II / DCT-III (tables and math in dct_panel_plan.h). Included once per
// instruction set by dct_panel_avx512.cpp / dct_panel_avx2.cpp / dct_panel_base.cpp, after their
// standard headers and target pragma, inside namespace fk_cpu::FK_PANEL_NS; it includes nothing itself
// and uses no standard containers, so no inline function is compiled for two instruction sets.
//
// A panel is P signals side by side: element j of lane p at [j * P + p], so every step of the FFT and
// of the pre/post passes is a loop over contiguous lanes that the compiler vectorises. Complex panels
// keep the real parts in [0, L P) and the imaginary parts in [L P, 2 L P) of a buffer of N P values.
// One pass transforms every row of a (rows, N) array (rows are loaded transposed into panels of P rows)
// or every column of a stack of (N, W) images (panels of P adjacent columns); panels are independent
// tasks for the threads, each with its own two buffers (A, B) of N P values.

// A row of a P x P tile as one 64-byte vector (GCC vector extensions; aligned(sizeof(T)) allows unaligned
// loads and stores through it), and the shuffle masks of its element type.
template <typename T> struct Tile;
template <> struct Tile<float> {
  typedef float row __attribute__((vector_size(64), aligned(4)));
  typedef int32_t mask __attribute__((vector_size(64)));
};
template <> struct Tile<double> {
  typedef double row __attribute__((vector_size(64), aligned(8)));
  typedef int64_t mask __attribute__((vector_size(64)));
};

// r[i][j] <- r[j][i] for the P rows of a tile: for h = P/2, ..., 1 the off-diagonal h x h blocks of
// every 2h x 2h block trade places (rows i and i + h exchange their elements j with j & h set).
template <typename T> inline void transpose_tile(typename Tile<T>::row* r) {
  using Row = typename Tile<T>::row;
  using Mask = typename Tile<T>::mask;
  constexpr int n = static_cast<int>(Lanes<T>::value);
#pragma GCC unroll 8
  for (int h = n / 2; h >= 1; h /= 2) {
    Mask lo, hi;
#pragma GCC unroll 16
    for (int j = 0; j < n; ++j) {
      lo[j] = (j & h) ? n + j - h : j;
      hi[j] = (j & h) ? n + j : j + h;
    }
#pragma GCC unroll 16
    for (int i = 0; i < n; ++i) {
      if (i & h) continue;
      const Row a = r[i], b = r[i + h];
      r[i] = __builtin_shuffle(a, b, lo);
      r[i + h] = __builtin_shuffle(a, b, hi);
    }
  }
}

// One Stockham stage: for p < m and every q-lane i < sp = s P,
//   y[(radix p + u) sp + i] = exp(sign 2 pi i p u / n_stage) sum_t x[(p + t m) sp + i] w^{t u}.
template <typename T>
void fft_stage(const StageView<T>& st, const T* __restrict xr, const T* __restrict xi, T* __restrict yr,
               T* __restrict yi, int64_t sp, T sign) {
  const int64_t m = st.m;
  const int r = st.radix;
  for (int64_t p = 0; p < m; ++p) {
    const T* tw = st.twiddle + 2 * p * (r - 1);
    if (r == 4) {
      const T* __restrict a0r = xr + p * sp;
      const T* __restrict a1r = xr + (p + m) * sp;
      const T* __restrict a2r = xr + (p + 2 * m) * sp;
      const T* __restrict a3r = xr + (p + 3 * m) * sp;
      const T* __restrict a0i = xi + p * sp;
      const T* __restrict a1i = xi + (p + m) * sp;
      const T* __restrict a2i = xi + (p + 2 * m) * sp;
      const T* __restrict a3i = xi + (p + 3 * m) * sp;
      T* __restrict y0r = yr + 4 * p * sp;
      T* __restrict y1r = y0r + sp;
      T* __restrict y2r = y1r + sp;
      T* __restrict y3r = y2r + sp;
      T* __restrict y0i = yi + 4 * p * sp;
      T* __restrict y1i = y0i + sp;
      T* __restrict y2i = y1i + sp;
      T* __restrict y3i = y2i + sp;
      const T w1r = tw[0], w1i = tw[1], w2r = tw[2], w2i = tw[3], w3r = tw[4], w3i = tw[5];
      #pragma omp simd
      for (int64_t i = 0; i < sp; ++i) {
        const T t0r = a0r[i] + a2r[i], t0i = a0i[i] + a2i[i];
        const T t1r = a0r[i] - a2r[i], t1i = a0i[i] - a2i[i];
        const T t2r = a1r[i] + a3r[i], t2i = a1i[i] + a3i[i];
        const T t3r = -sign * (a1i[i] - a3i[i]), t3i = sign * (a1r[i] - a3r[i]);  // sign i (a1 - a3)
        const T b1r = t1r + t3r, b1i = t1i + t3i, b2r = t0r - t2r, b2i = t0i - t2i;
        const T b3r = t1r - t3r, b3i = t1i - t3i;
        y0r[i] = t0r + t2r, y0i[i] = t0i + t2i;
        y1r[i] = b1r * w1r - b1i * w1i, y1i[i] = b1r * w1i + b1i * w1r;
        y2r[i] = b2r * w2r - b2i * w2i, y2i[i] = b2r * w2i + b2i * w2r;
        y3r[i] = b3r * w3r - b3i * w3i, y3i[i] = b3r * w3i + b3i * w3r;
      }
    } else if (r == 2) {
      const T* __restrict a0r = xr + p * sp;
      const T* __restrict a1r = xr + (p + m) * sp;
      const T* __restrict a0i = xi + p * sp;
      const T* __restrict a1i = xi + (p + m) * sp;
      T* __restrict y0r = yr + 2 * p * sp;
      T* __restrict y1r = y0r + sp;
      T* __restrict y0i = yi + 2 * p * sp;
      T* __restrict y1i = y0i + sp;
      const T wr = tw[0], wi = tw[1];
      #pragma omp simd
      for (int64_t i = 0; i < sp; ++i) {
        const T dr = a0r[i] - a1r[i], di = a0i[i] - a1i[i];
        y0r[i] = a0r[i] + a1r[i], y0i[i] = a0i[i] + a1i[i];
        y1r[i] = dr * wr - di * wi, y1i[i] = dr * wi + di * wr;
      }
    } else if (r == 3) {
      const T* __restrict a0r = xr + p * sp;
      const T* __restrict a1r = xr + (p + m) * sp;
      const T* __restrict a2r = xr + (p + 2 * m) * sp;
      const T* __restrict a0i = xi + p * sp;
      const T* __restrict a1i = xi + (p + m) * sp;
      const T* __restrict a2i = xi + (p + 2 * m) * sp;
      T* __restrict y0r = yr + 3 * p * sp;
      T* __restrict y1r = y0r + sp;
      T* __restrict y2r = y1r + sp;
      T* __restrict y0i = yi + 3 * p * sp;
      T* __restrict y1i = y0i + sp;
      T* __restrict y2i = y1i + sp;
      const T w1r = tw[0], w1i = tw[1], w2r = tw[2], w2i = tw[3];
      const T c = st.roots[2], s = st.roots[3];  // w = c + i s
      #pragma omp simd
      for (int64_t i = 0; i < sp; ++i) {
        const T sr = a1r[i] + a2r[i], si = a1i[i] + a2i[i];
        const T dr = a1r[i] - a2r[i], di = a1i[i] - a2i[i];
        const T mr = a0r[i] + c * sr, mi = a0i[i] + c * si;
        const T b1r = mr - s * di, b1i = mi + s * dr;  // a0 + c (a1 + a2) + i s (a1 - a2)
        const T b2r = mr + s * di, b2i = mi - s * dr;
        y0r[i] = a0r[i] + sr, y0i[i] = a0i[i] + si;
        y1r[i] = b1r * w1r - b1i * w1i, y1i[i] = b1r * w1i + b1i * w1r;
        y2r[i] = b2r * w2r - b2i * w2i, y2i[i] = b2r * w2i + b2i * w2r;
      }
    } else {  // any other prime radix: the direct sum
      for (int u = 0; u < r; ++u) {
        T* __restrict yur = yr + (r * p + u) * sp;
        T* __restrict yui = yi + (r * p + u) * sp;
        #pragma omp simd
        for (int64_t i = 0; i < sp; ++i) yur[i] = xr[p * sp + i], yui[i] = xi[p * sp + i];
        for (int t = 1; t < r; ++t) {
          const T cr = st.roots[2 * ((t * u) % r)], ci = st.roots[2 * ((t * u) % r) + 1];
          const T* __restrict atr = xr + (p + t * m) * sp;
          const T* __restrict ati = xi + (p + t * m) * sp;
          #pragma omp simd
          for (int64_t i = 0; i < sp; ++i) {
            yur[i] += atr[i] * cr - ati[i] * ci;
            yui[i] += atr[i] * ci + ati[i] * cr;
          }
        }
        if (u > 0) {
          const T wr = tw[2 * (u - 1)], wi = tw[2 * (u - 1) + 1];
          #pragma omp simd
          for (int64_t i = 0; i < sp; ++i) {
            const T vr = yur[i], vi = yui[i];
            yur[i] = vr * wr - vi * wi, yui[i] = vr * wi + vi * wr;
          }
        }
      }
    }
  }
}

// FFT of the complex panel in `a` (length L), using `b` as the other buffer; returns the one holding the result.
template <typename T>
T* fft_panel(const StageView<T>* stages, int count, int64_t l, T* a, T* b, T sign) {
  constexpr int64_t P = Lanes<T>::value;
  int64_t s = 1;
  for (int i = 0; i < count; ++i) {
    fft_stage(stages[i], a, a + l * P, b, b + l * P, s * P, sign);
    s *= stages[i].radix;
    T* t = a;
    a = b;
    b = t;
  }
  return a;
}

// DCT-II of the real panel in `b` (already loaded); returns the buffer with X, scaled by (first, rest, rest, ...).
template <typename T> T* dct2_panel(const PanelArgs<T>& pa, T* a, T* b, T first, T rest) {
  constexpr int64_t P = Lanes<T>::value;
  const int64_t n = pa.n, l = pa.l;
  T* __restrict zr = a;
  T* __restrict zi = a + l * P;
  for (int64_t m = 0; m < l; ++m) {
    const T* __restrict ev = b + pa.even[m] * P;
    const T* __restrict od = b + pa.odd[m] * P;
    #pragma omp simd
    for (int64_t p = 0; p < P; ++p) zr[m * P + p] = ev[p], zi[m * P + p] = od[p];
  }
  T* f = fft_panel(pa.forward, pa.stages, l, a, b, T(-1));
  T* __restrict out = f == a ? b : a;
  const T* __restrict fr = f;
  const T* __restrict fi = f + l * P;
  for (int64_t k = 0; k <= l; ++k) {
    const int64_t k1 = k % l, k2 = (l - k) % l;
    const T ar = pa.a[2 * k], ai = pa.a[2 * k + 1], br = pa.b[2 * k], bi = pa.b[2 * k + 1];
    const T s = k == 0 ? first : rest;
    T* __restrict xk = out + k * P;
    if (k == 0 || k == l) {
#pragma omp simd
      for (int64_t p = 0; p < P; ++p) {
        const T zr1 = fr[k1 * P + p], zi1 = fi[k1 * P + p], zr2 = fr[k2 * P + p], zi2 = fi[k2 * P + p];
        const T er = zr1 + zr2, ei = zi1 - zi2, orr = zi1 + zi2, oi = zr2 - zr1;
        xk[p] = s * (ar * er - ai * ei + br * orr - bi * oi);
      }
      continue;
    }
    T* __restrict xm = out + (n - k) * P;
#pragma omp simd
    for (int64_t p = 0; p < P; ++p) {
      const T zr1 = fr[k1 * P + p], zi1 = fi[k1 * P + p], zr2 = fr[k2 * P + p], zi2 = fi[k2 * P + p];
      const T er = zr1 + zr2, ei = zi1 - zi2;  // Z[k] + conj Z[L-k]
      const T orr = zi1 + zi2, oi = zr2 - zr1;  // (Z[k] - conj Z[L-k]) / i
      xk[p] = s * (ar * er - ai * ei + br * orr - bi * oi);
      xm[p] = -rest * (ar * ei + ai * er + br * oi + bi * orr);
    }
  }
  return out;
}

// DCT-III of the real panel in `b` (loaded and already scaled); returns the buffer with y.
template <typename T> T* dct3_panel(const PanelArgs<T>& pa, T* a, T* b) {
  constexpr int64_t P = Lanes<T>::value;
  const int64_t n = pa.n, l = pa.l;
  T* __restrict zr = a;
  T* __restrict zi = a + l * P;
  const T* __restrict x = b;
  for (int64_t k = 0; k < l; ++k) {
    const int64_t km = l - k;  // 1..L
    const T gr = pa.g[2 * k], gi = pa.g[2 * k + 1], gmr = pa.g[2 * km], gmi = pa.g[2 * km + 1];
    const T hr = pa.h[2 * k], hi = pa.h[2 * k + 1];
    const T* __restrict xk = x + k * P;
    const T* __restrict xkm = x + km * P;
    const T* __restrict xnkm = x + (n - km) * P;
    if (k == 0) {
      #pragma omp simd
      for (int64_t p = 0; p < P; ++p) {
        const T vr = gr * xk[p], vi = gi * xk[p];  // X[N] = 0
        const T wr = gmr * xkm[p] + gmi * xnkm[p], wi = -(gmi * xkm[p] - gmr * xnkm[p]);  // conj V[L]
        const T pr = vr + wr, pi = vi + wi, qr = vr - wr, qi = vi - wi;
        zr[p] = pr + hr * qr - hi * qi, zi[p] = pi + hr * qi + hi * qr;
      }
      continue;
    }
    const T* __restrict xnk = x + (n - k) * P;
    #pragma omp simd
    for (int64_t p = 0; p < P; ++p) {
      const T vr = gr * xk[p] + gi * xnk[p], vi = gi * xk[p] - gr * xnk[p];
      const T wr = gmr * xkm[p] + gmi * xnkm[p], wi = -(gmi * xkm[p] - gmr * xnkm[p]);
      const T pr = vr + wr, pi = vi + wi, qr = vr - wr, qi = vi - wi;
      zr[k * P + p] = pr + hr * qr - hi * qi, zi[k * P + p] = pi + hr * qi + hi * qr;
    }
  }
  T* f = fft_panel(pa.inverse, pa.stages, l, a, b, T(1));
  T* __restrict out = f == a ? b : a;
  const T* __restrict fr = f;
  const T* __restrict fi = f + l * P;
  for (int64_t m = 0; m < l; ++m) {
    T* __restrict ev = out + pa.even[m] * P;
    T* __restrict od = out + pa.odd[m] * P;
    #pragma omp simd
    for (int64_t p = 0; p < P; ++p) ev[p] = fr[m * P + p], od[p] = fi[m * P + p];
  }
  return out;
}

template <typename T> T* transform_panel(const PanelArgs<T>& pa, int type, T* a, T* b, T first, T rest) {
  return type == 2 ? dct2_panel(pa, a, b, first, rest) : dct3_panel(pa, a, b);
}

// Every row of src -> dst: row q of src is its first src_len values (src_ld apart; zero beyond), and the
// first dst_len values of its transform go to row (q / per_image) dst_image + q % per_image of dst
// (dst_ld apart). Type 2 scales the output, type 3 the input, by (first, rest, ...).
template <typename T>
void rows_pass(const PanelArgs<T>& pa, const T* src, int64_t src_ld, int64_t src_len, T* dst, int64_t dst_ld,
               int64_t dst_len, int64_t rows, int64_t per_image, int64_t dst_image, int type, T first, T rest,
               bool parallel) {
  constexpr int64_t P = Lanes<T>::value;
  const int64_t n = pa.n, tasks = (rows + P - 1) / P;
  const T in_first = type == 3 ? first : T(1), in_rest = type == 3 ? rest : T(1);
#pragma omp parallel for schedule(dynamic, 1) if (parallel)
  for (int64_t task = 0; task < tasks; ++task) {
    T* a = static_cast<T*>(panel_scratch(omp_get_thread_num(), 2 * n * P * sizeof(T)));
    T* b = a + n * P;
    const int64_t r0 = task * P, np = rows - r0 < P ? rows - r0 : P;
    T* drow[P];
    for (int64_t p = 0; p < np; ++p) {
      const int64_t q = r0 + p;
      drow[p] = dst + ((q / per_image) * dst_image + q % per_image) * dst_ld;
    }
    using Row = typename Tile<T>::row;
    // transposed in P x P tiles (whole tiles through vector shuffles)
    for (int64_t j0 = 0; j0 < n; j0 += P) {
      const int64_t jn = n - j0 < P ? n - j0 : P;
      const int64_t js = src_len - j0 < 0 ? 0 : src_len - j0 < jn ? src_len - j0 : jn;  // lanes read from src
      T* __restrict blk = b + j0 * P;
      if (np == P && js == P) {
        Row r[P];
        for (int64_t p = 0; p < P; ++p) r[p] = *reinterpret_cast<const Row*>(src + (r0 + p) * src_ld + j0) * in_rest;
        transpose_tile<T>(r);
        for (int64_t j = 0; j < P; ++j) *reinterpret_cast<Row*>(blk + j * P) = r[j];
        continue;
      }
      for (int64_t p = 0; p < np; ++p) {
        const T* __restrict s = src + (r0 + p) * src_ld + j0;
        for (int64_t j = 0; j < js; ++j) blk[j * P + p] = in_rest * s[j];
        for (int64_t j = js; j < jn; ++j) blk[j * P + p] = T(0);
      }
      for (int64_t p = np; p < P; ++p)
        for (int64_t j = 0; j < jn; ++j) blk[j * P + p] = T(0);
    }
    for (int64_t p = 0; p < np; ++p) b[p] = in_first * src[(r0 + p) * src_ld];
    const T* res = transform_panel(pa, type, a, b, first, rest);
    for (int64_t j0 = 0; j0 < dst_len; j0 += P) {
      const int64_t jn = dst_len - j0 < P ? dst_len - j0 : P;
      const T* __restrict blk = res + j0 * P;
      if (np == P && jn == P) {
        Row r[P];
        for (int64_t j = 0; j < P; ++j) r[j] = *reinterpret_cast<const Row*>(blk + j * P);
        transpose_tile<T>(r);
        for (int64_t p = 0; p < P; ++p) *reinterpret_cast<Row*>(drow[p] + j0) = r[p];
        continue;
      }
      for (int64_t p = 0; p < np; ++p) {
        T* __restrict d = drow[p] + j0;
        for (int64_t j = 0; j < jn; ++j) d[j] = blk[j * P + p];
      }
    }
  }
}

// Rows ahead of the current one whose panel chunk cols_pass prefetches.
constexpr int64_t kAhead = 16;

// Every column of each of the `images` arrays of width w: image i of src starts src_image rows into src
// and holds the first src_rows values of its columns (zero beyond); the first dst_rows values of each
// transformed column go to image i of dst, dst_rows rows apart. dst may be src when src_rows <= dst_rows
// (a panel is read whole before it is written).
template <typename T>
void cols_pass(const PanelArgs<T>& pa, const T* src, int64_t src_image, int64_t src_rows, T* dst, int64_t dst_rows,
               int64_t images, int64_t w, int type, T first, T rest, bool parallel) {
  constexpr int64_t P = Lanes<T>::value;
  const int64_t n = pa.n, per_image = (w + P - 1) / P, tasks = images * per_image;
  const T in_first = type == 3 ? first : T(1), in_rest = type == 3 ? rest : T(1);
#pragma omp parallel for schedule(dynamic, 1) if (parallel)
  for (int64_t task = 0; task < tasks; ++task) {
    T* a = static_cast<T*>(panel_scratch(omp_get_thread_num(), 2 * n * P * sizeof(T)));
    T* b = a + n * P;
    const int64_t img = task / per_image, c0 = (task % per_image) * P, np = w - c0 < P ? w - c0 : P;
    const T* s = src + img * src_image * w + c0;
    for (int64_t j = 0; j < n; ++j) {
      T* __restrict bj = b + j * P;
      if (j >= src_rows) {
        #pragma omp simd
        for (int64_t p = 0; p < P; ++p) bj[p] = T(0);
        continue;
      }
      const T f = j == 0 ? in_first : in_rest;
      const T* __restrict sj = s + j * w;
      // rows are w apart: the hardware prefetchers do not follow such strides across pages
      if (j + kAhead < src_rows) __builtin_prefetch(sj + kAhead * w, 0, 0);
      if (np == P) {
        #pragma omp simd
        for (int64_t p = 0; p < P; ++p) bj[p] = f * sj[p];
      } else {
        #pragma omp simd
        for (int64_t p = 0; p < np; ++p) bj[p] = f * sj[p];
        for (int64_t p = np; p < P; ++p) bj[p] = T(0);
      }
    }
    const T* res = transform_panel(pa, type, a, b, first, rest);
    T* d = dst + img * dst_rows * w + c0;
    for (int64_t j = 0; j < dst_rows; ++j) {
      const T* __restrict rj = res + j * P;
      T* __restrict dj = d + j * w;
      if (j + kAhead < dst_rows) __builtin_prefetch(dj + kAhead * w, 1, 0);
      #pragma omp simd
      for (int64_t p = 0; p < np; ++p) dj[p] = rj[p];
    }
  }
}

// Scaled 2-D DCT-II / DCT-III over the two trailing dims of (batch, n1, n2) (see native.py's dct23), of the
// stored window `win` only: rows (length n2) first, into mid, then the columns (length n1) of mid into out.
// With n1 = 1 only the rows are transformed, straight into out; that axis' factor (2 a1 for type 2, a1 for
// type 3) goes into the row scale.
template <typename T>
void dct2d(const PanelArgs<T>& rows, const PanelArgs<T>* cols, const T* x, T* mid, T* out, int64_t batch, int64_t n1,
           int64_t n2, const Window& win, int type, double a1, double b1, double a2, double b2) {
  const bool parallel = parallel_worth(batch, n1, n2);
  const double c1 = n1 == 1 ? (type == 2 ? 2 * a1 : a1) : 1.0;
  const T f2 = static_cast<T>(c1 * a2), r2 = static_cast<T>(c1 * b2);
  if (n1 == 1) {
    rows_pass(rows, x, win.c_in, win.c_in, out, win.c_out, win.c_out, batch, 1, 1, type, f2, r2, parallel);
    return;
  }
  rows_pass(rows, x, win.c_in, win.c_in, mid, win.c_out, win.c_out, batch * win.r_in, win.r_in, win.mid_rows, type,
            f2, r2, parallel);
  cols_pass(*cols, mid, win.mid_rows, win.r_in, out, win.r_out, batch, win.c_out, type, static_cast<T>(a1),
            static_cast<T>(b1), parallel);
}

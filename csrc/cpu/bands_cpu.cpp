// Passes of the spectral regulariser's CPU path (front_kernels/_backends/reference/spectral_cpu.py),
// on C-contiguous stacks of b matrices of shape (N1, N2); bound into front_kernels._cpu by module_cpu.cpp.
// The kept corner is [0, k1) x [0, k2); per-matrix results are summed in a fixed order (no dependence
// on the number of threads).
//
//   gather_centred   x -> v      v = Makhoul's gather of x - mean(x) (or of x), per matrix; stats[b][2] gets
//                                (mean, ||x - mean||^2), both accumulated in double
//   dct2_post_bands  V -> X, e   dct2_post (dct2d.h), and e[b][2] = (sum of X^2 on the kept corner,
//                                sum of X^2 elsewhere), taken from each row pair while it is in cache
//   dct3_pre_bands   X -> Y      X *= beta[b] on the kept corner and alpha[b] elsewhere, in place, then
//                                dct3_pre (dct2d.h) of the scaled X
#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "dct2d.h"

namespace py = pybind11;

namespace {

using fk_cpu::check_sizes;
using fk_cpu::parallel_worth;
using fk_cpu::ptr;

std::vector<double> per_matrix(const std::vector<double>& rows, int64_t b, int64_t n1) {
  std::vector<double> out(b, 0.0);
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t i = 0; i < n1; ++i) out[bi] += rows[bi * n1 + i];
  return out;
}

template <typename T>
void gather_centred(const T* x, T* v, int64_t b, int64_t n1, int64_t n2, bool centre, double* stats) {
  const int64_t rows = b * n1;
  const bool par = parallel_worth(b, n1, n2);
  std::vector<double> acc(rows, 0.0);
  std::vector<double> mean(b, 0.0);
  if (centre) {
#pragma omp parallel for schedule(static) if (par)
    for (int64_t row = 0; row < rows; ++row) acc[row] = fk_cpu::sum_of(x + row * n2, n2);
    mean = per_matrix(acc, b, n1);
    for (double& m : mean) m /= static_cast<double>(n1 * n2);
  }
#pragma omp parallel for schedule(static) if (par)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t bi = row / n1, i = row % n1;
    const double mu = mean[bi];
    T* dst = v + row * n2;
    fk_cpu::gather_row(x + (bi * n1 + fk_cpu::makhoul(i, n1)) * n2, dst, n2,
                       [mu](T a) { return static_cast<T>(static_cast<double>(a) - mu); });
    acc[row] = fk_cpu::sum_of_squares(dst, n2);
  }
  const auto sq = per_matrix(acc, b, n1);
  for (int64_t bi = 0; bi < b; ++bi) stats[2 * bi] = mean[bi], stats[2 * bi + 1] = sq[bi];
}

// The kept corner [0, k1) x [0, k2) of every (N1, N2) matrix; rows are indexed bi * N1 + i.
struct Band {
  int64_t n1, n2, k1, k2;

  int64_t kept_columns(int64_t row) const { return row % n1 < k1 ? k2 : 0; }

  template <typename T> void energy(const T* X, int64_t row, double* low, double* high) const {
    const T* x = X + row * n2;
    const int64_t split = kept_columns(row);
    low[row] = fk_cpu::sum_of_squares(x, split);
    high[row] = fk_cpu::sum_of_squares(x + split, n2 - split);
  }

  template <typename T> void scale(T* X, int64_t row, const double* alpha, const double* beta) const {
    T* x = X + row * n2;
    const T a = static_cast<T>(alpha[row / n1]), c = static_cast<T>(beta[row / n1]);
    const int64_t split = kept_columns(row);
    for (int64_t j = 0; j < split; ++j) x[j] *= c;
    for (int64_t j = split; j < n2; ++j) x[j] *= a;
  }
};

template <typename T>
void dct2_post_bands(const T* spec, T* out, int64_t b, int64_t n1, int64_t n2, double a1, double b1, double a2,
                     double b2, const Band& band, double* energy) {
  std::vector<double> low(b * n1), high(b * n1);
  fk_cpu::dct2_post(spec, out, b, n1, n2, a1, b1, a2, b2, [&](int64_t bi, int64_t r, int64_t rm) {
    band.energy(out, bi * n1 + r, low.data(), high.data());
    if (rm != r) band.energy(out, bi * n1 + rm, low.data(), high.data());
  });
  const auto lo = per_matrix(low, b, n1), hi = per_matrix(high, b, n1);
  for (int64_t bi = 0; bi < b; ++bi) energy[2 * bi] = lo[bi], energy[2 * bi + 1] = hi[bi];
}

template <typename T>
void dct3_pre_bands(T* x, T* spec, int64_t b, int64_t n1, int64_t n2, double a1, double b1, double a2, double b2,
                    bool packed, const Band& band, const double* alpha, const double* beta) {
  fk_cpu::dct3_pre(x, spec, b, n1, n2, a1, b1, a2, b2, packed, [&](int64_t bi, int64_t r, int64_t rm) {
    band.scale(x, bi * n1 + r, alpha, beta);
    if (rm != r) band.scale(x, bi * n1 + rm, alpha, beta);
  });
}

Band checked_band(int64_t b, int64_t n1, int64_t n2, int64_t k1, int64_t k2) {
  check_sizes(b, n1, n2);
  if (k1 < 0 || k1 > n1 || k2 < 0 || k2 > n2) throw std::invalid_argument("the kept corner must fit in the matrix");
  return Band{n1, n2, k1, k2};
}

}  // namespace

void bind_bands(py::module_& m) {
  m.def(
      "gather_centred",
      [](uintptr_t x, uintptr_t v, int64_t b, int64_t n1, int64_t n2, bool centre, uintptr_t stats, bool dbl) {
        check_sizes(b, n1, n2);
        py::gil_scoped_release nogil;
        if (dbl) gather_centred(ptr<const double>(x), ptr<double>(v), b, n1, n2, centre, ptr<double>(stats));
        else gather_centred(ptr<const float>(x), ptr<float>(v), b, n1, n2, centre, ptr<double>(stats));
      },
      "v = Makhoul's gather of x - mean (centre) or x; stats (b, 2) float64 = (mean, sum of squares of x - mean)",
      py::arg("x"), py::arg("v"), py::arg("b"), py::arg("n1"), py::arg("n2"), py::arg("centre"), py::arg("stats"),
      py::arg("dbl"));
  m.def(
      "dct2_post_bands",
      [](uintptr_t spec, uintptr_t out, int64_t b, int64_t n1, int64_t n2, double a1, double b1, double a2, double b2,
         int64_t k1, int64_t k2, uintptr_t energy, bool dbl) {
        const Band band = checked_band(b, n1, n2, k1, k2);
        py::gil_scoped_release nogil;
        if (dbl) dct2_post_bands(ptr<const double>(spec), ptr<double>(out), b, n1, n2, a1, b1, a2, b2, band,
                                 ptr<double>(energy));
        else dct2_post_bands(ptr<const float>(spec), ptr<float>(out), b, n1, n2, a1, b1, a2, b2, band,
                             ptr<double>(energy));
      },
      "dct2_post, and energy (b, 2) float64 = (sum of out^2 on [0, k1) x [0, k2), sum elsewhere)", py::arg("spec"),
      py::arg("out"), py::arg("b"), py::arg("n1"), py::arg("n2"), py::arg("a1"), py::arg("b1"), py::arg("a2"),
      py::arg("b2"), py::arg("k1"), py::arg("k2"), py::arg("energy"), py::arg("dbl"));
  m.def(
      "dct3_pre_bands",
      [](uintptr_t x, uintptr_t spec, int64_t b, int64_t n1, int64_t n2, double a1, double b1, double a2, double b2,
         bool packed, int64_t k1, int64_t k2, uintptr_t alpha, uintptr_t beta, bool dbl) {
        const Band band = checked_band(b, n1, n2, k1, k2);
        if (packed && n2 % 2) throw std::invalid_argument("packed spectrum needs an even last size");
        py::gil_scoped_release nogil;
        if (dbl) dct3_pre_bands(ptr<double>(x), ptr<double>(spec), b, n1, n2, a1, b1, a2, b2, packed, band,
                                ptr<const double>(alpha), ptr<const double>(beta));
        else dct3_pre_bands(ptr<float>(x), ptr<float>(spec), b, n1, n2, a1, b1, a2, b2, packed, band,
                            ptr<const double>(alpha), ptr<const double>(beta));
      },
      "x *= beta[b] on [0, k1) x [0, k2) and alpha[b] elsewhere (in place, float64 factors), then dct3_pre",
      py::arg("x"), py::arg("spec"), py::arg("b"), py::arg("n1"), py::arg("n2"), py::arg("a1"), py::arg("b1"),
      py::arg("a2"), py::arg("b2"), py::arg("packed"), py::arg("k1"), py::arg("k2"), py::arg("alpha"),
      py::arg("beta"), py::arg("dbl"));
}

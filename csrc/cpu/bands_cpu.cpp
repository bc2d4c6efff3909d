// Passes of the spectral regulariser's CPU path (front_kernels/_backends/reference/spectral_cpu.py),
// on C-contiguous stacks of b matrices of shape (N1, N2); bound into front_kernels._cpu by module_cpu.cpp.
//
//   gather_centred  x -> v      v = Makhoul's gather of x - mean(x) (or of x), per matrix; stats[b][2] gets
//                               (mean, ||x - mean||^2), both accumulated in double
//   band_energy     X -> e      e[b][2] = (sum of X^2 over the kept corner [0, k1) x [0, k2), sum over the rest)
//   scale_bands     X -> X      X *= beta[b] on the kept corner, alpha[b] elsewhere
#include <pybind11/pybind11.h>

#include <cstdint>
#include <vector>

#include "common.h"

namespace py = pybind11;

namespace {

using fk_cpu::check_sizes;
using fk_cpu::makhoul;
using fk_cpu::parallel_worth;
using fk_cpu::ptr;

// Per-row partial results summed per matrix in a fixed order, so the result does not depend on threads.
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
    fk_cpu::gather_row(x + (bi * n1 + makhoul(i, n1)) * n2, dst, n2,
                       [mu](T a) { return static_cast<T>(static_cast<double>(a) - mu); });
    acc[row] = fk_cpu::sum_of_squares(dst, n2);
  }
  const auto sq = per_matrix(acc, b, n1);
  for (int64_t bi = 0; bi < b; ++bi) stats[2 * bi] = mean[bi], stats[2 * bi + 1] = sq[bi];
}

template <typename T> void band_energy(const T* X, int64_t b, int64_t n1, int64_t n2, int64_t k1, int64_t k2,
                                       double* energy) {
  const int64_t rows = b * n1;
  std::vector<double> low(rows), high(rows);
#pragma omp parallel for schedule(static) if (parallel_worth(b, n1, n2))
  for (int64_t row = 0; row < rows; ++row) {
    const T* x = X + row * n2;
    const double head = fk_cpu::sum_of_squares(x, k2), rest = fk_cpu::sum_of_squares(x + k2, n2 - k2);
    const bool kept_row = row % n1 < k1;
    low[row] = kept_row ? head : 0.0;
    high[row] = kept_row ? rest : head + rest;
  }
  const auto lo = per_matrix(low, b, n1), hi = per_matrix(high, b, n1);
  for (int64_t bi = 0; bi < b; ++bi) energy[2 * bi] = lo[bi], energy[2 * bi + 1] = hi[bi];
}

template <typename T> void scale_bands(T* X, int64_t b, int64_t n1, int64_t n2, int64_t k1, int64_t k2,
                                       const double* alpha, const double* beta) {
#pragma omp parallel for schedule(static) if (parallel_worth(b, n1, n2))
  for (int64_t row = 0; row < b * n1; ++row) {
    T* x = X + row * n2;
    const T a = static_cast<T>(alpha[row / n1]), c = static_cast<T>(beta[row / n1]);
    const int64_t split = row % n1 < k1 ? k2 : 0;
    for (int64_t j = 0; j < split; ++j) x[j] *= c;
    for (int64_t j = split; j < n2; ++j) x[j] *= a;
  }
}

void check_band(int64_t n1, int64_t n2, int64_t k1, int64_t k2) {
  if (k1 < 0 || k1 > n1 || k2 < 0 || k2 > n2) throw std::invalid_argument("the kept corner must fit in the matrix");
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
      "band_energy",
      [](uintptr_t X, int64_t b, int64_t n1, int64_t n2, int64_t k1, int64_t k2, uintptr_t energy, bool dbl) {
        check_sizes(b, n1, n2);
        check_band(n1, n2, k1, k2);
        py::gil_scoped_release nogil;
        if (dbl) band_energy(ptr<const double>(X), b, n1, n2, k1, k2, ptr<double>(energy));
        else band_energy(ptr<const float>(X), b, n1, n2, k1, k2, ptr<double>(energy));
      },
      "energy (b, 2) float64 = (sum of X^2 on [0, k1) x [0, k2), sum of X^2 elsewhere)", py::arg("X"), py::arg("b"),
      py::arg("n1"), py::arg("n2"), py::arg("k1"), py::arg("k2"), py::arg("energy"), py::arg("dbl"));
  m.def(
      "scale_bands",
      [](uintptr_t X, int64_t b, int64_t n1, int64_t n2, int64_t k1, int64_t k2, uintptr_t alpha, uintptr_t beta,
         bool dbl) {
        check_sizes(b, n1, n2);
        check_band(n1, n2, k1, k2);
        py::gil_scoped_release nogil;
        if (dbl) scale_bands(ptr<double>(X), b, n1, n2, k1, k2, ptr<const double>(alpha), ptr<const double>(beta));
        else scale_bands(ptr<float>(X), b, n1, n2, k1, k2, ptr<const double>(alpha), ptr<const double>(beta));
      },
      "in place: X *= beta[b] on [0, k1) x [0, k2), alpha[b] elsewhere (alpha, beta float64)", py::arg("X"),
      py::arg("b"), py::arg("n1"), py::arg("n2"), py::arg("k1"), py::arg("k2"), py::arg("alpha"), py::arg("beta"),
      py::arg("dbl"));
}

// Bindings of the two-axis DCT-II / DCT-III passes (dct2d.h) into front_kernels._cpu (module_cpu.cpp).
// Every array is C-contiguous; `dbl` selects float64, else float32.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>

#include "dct2d.h"

namespace py = pybind11;

using fk_cpu::check_sizes;
using fk_cpu::ptr;

void bind_dct2d(py::module_& m) {
  m.def(
      "gather",
      [](uintptr_t x, uintptr_t v, int64_t b, int64_t n1, int64_t n2, bool dbl) {
        check_sizes(b, n1, n2);
        py::gil_scoped_release nogil;
        if (dbl) fk_cpu::gather(ptr<const double>(x), ptr<double>(v), b, n1, n2);
        else fk_cpu::gather(ptr<const float>(x), ptr<float>(v), b, n1, n2);
      },
      "v[b, i, j] = x[b, r1(i), r2(j)] (Makhoul's order on both axes)", py::arg("x"), py::arg("v"), py::arg("b"),
      py::arg("n1"), py::arg("n2"), py::arg("dbl"));
  m.def(
      "scatter",
      [](uintptr_t v, uintptr_t x, int64_t b, int64_t n1, int64_t n2, bool dbl) {
        check_sizes(b, n1, n2);
        py::gil_scoped_release nogil;
        if (dbl) fk_cpu::scatter(ptr<const double>(v), ptr<double>(x), b, n1, n2);
        else fk_cpu::scatter(ptr<const float>(v), ptr<float>(x), b, n1, n2);
      },
      "x[b, r1(i), r2(j)] = v[b, i, j] (inverse of gather)", py::arg("v"), py::arg("x"), py::arg("b"), py::arg("n1"),
      py::arg("n2"), py::arg("dbl"));
  m.def(
      "dct2_post",
      [](uintptr_t spec, uintptr_t out, int64_t b, int64_t n1, int64_t n2, double a1, double b1, double a2, double b2,
         bool dbl) {
        check_sizes(b, n1, n2);
        py::gil_scoped_release nogil;
        if (dbl) fk_cpu::dct2_post(ptr<const double>(spec), ptr<double>(out), b, n1, n2, a1, b1, a2, b2);
        else fk_cpu::dct2_post(ptr<const float>(spec), ptr<float>(out), b, n1, n2, a1, b1, a2, b2);
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
        if (dbl) fk_cpu::dct3_pre(ptr<const double>(x), ptr<double>(spec), b, n1, n2, a1, b1, a2, b2, packed);
        else fk_cpu::dct3_pre(ptr<const float>(x), ptr<float>(spec), b, n1, n2, a1, b1, a2, b2, packed);
      },
      "scaled input (B, N1, N2) -> spectrum for irfft2 (B, N1, N2//2+1) or, packed, for ifft2 (B, N1, N2//2)",
      py::arg("x"), py::arg("spec"), py::arg("b"), py::arg("n1"), py::arg("n2"), py::arg("a1"), py::arg("b1"),
      py::arg("a2"), py::arg("b2"), py::arg("packed"), py::arg("dbl"));
}

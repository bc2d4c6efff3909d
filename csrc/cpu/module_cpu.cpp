// pybind11 module front_kernels._cpu: fused CPU passes around torch.fft. Pointers arrive as integers
// (C-contiguous arrays), so the module needs neither torch nor its headers.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void bind_dct2d(py::module_& m);
void bind_bands(py::module_& m);
void bind_dwt2(py::module_& m);
void bind_dct_panel(py::module_& m);

PYBIND11_MODULE(_cpu, m) {
  m.doc() = "Fused CPU passes of the 2-D DCT-II / DCT-III and of the spectral regulariser, one level of the 2-D DWT, the panel DCT (raw pointers).";
  bind_dct2d(m);
  bind_bands(m);
  bind_dwt2(m);
  bind_dct_panel(m);
}

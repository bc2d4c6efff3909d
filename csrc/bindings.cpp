// pybind11 module front_kernels._cuda: raw device pointers (ints), sizes,
// strides (elements) and a CUDA stream handle (int) in, nothing out; a CUDA
// error becomes a RuntimeError carrying the CUDA error string.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "kernels.h"

namespace py = pybind11;
using namespace front_kernels;

namespace {

template <typename T> T* ptr(uintptr_t p) { return reinterpret_cast<T*>(p); }
cudaStream_t stream_of(uintptr_t s) { return reinterpret_cast<cudaStream_t>(s); }

View3 view(uintptr_t p, const std::vector<int64_t>& strides) {
  if (strides.size() != 3) throw std::invalid_argument("strides must have 3 entries (outer, length, inner)");
  return View3{ptr<void>(p), strides[0], strides[1], strides[2]};
}

// "" when the CUDA runtime initialises, else its error (e.g. a driver older than the runtime).
std::string device_status() {
  int n = 0;
  const cudaError_t err = cudaGetDeviceCount(&n);
  if (err == cudaSuccess) return "";
  cudaGetLastError();
  return std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
}

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;  // no driver or no device: nothing to run on
  }
  return n;
}

// plan rows: [in_h, in_w, kr, kc, taps_r, taps_c, tab_r, tab_c, band_off] per level.
Dwt2Plan make_plan(const std::vector<std::vector<int64_t>>& levels, int64_t buf0, int64_t buf1,
                   int64_t approx_off, int64_t packed_len) {
  if (levels.empty() || levels.size() > static_cast<size_t>(kMaxDwtLevels))
    throw std::invalid_argument("dwt2 plan: between 1 and " + std::to_string(kMaxDwtLevels) + " levels");
  Dwt2Plan plan{};
  plan.levels = static_cast<int>(levels.size());
  plan.buf0 = static_cast<int>(buf0);
  plan.buf1 = static_cast<int>(buf1);
  plan.approx_off = approx_off;
  plan.packed_len = packed_len;
  for (size_t l = 0; l < levels.size(); ++l) {
    const auto& r = levels[l];
    if (r.size() != 9) throw std::invalid_argument("dwt2 plan: each level has 9 entries");
    plan.lv[l] = Dwt2Level{static_cast<int>(r[0]), static_cast<int>(r[1]), static_cast<int>(r[2]),
                           static_cast<int>(r[3]), static_cast<int>(r[4]), static_cast<int>(r[5]),
                           r[6], r[7], r[8]};
  }
  return plan;
}

}  // namespace

PYBIND11_MODULE(_cuda, m) {
  m.doc() = "front_kernels CUDA kernels on raw device pointers (see csrc/kernels.h)";
  m.def("device_count", &device_count, "Number of CUDA devices; 0 without a driver or device");
  m.def("device_status", &device_status, "Empty string, or why the CUDA runtime sees no device");
  m.def("max_shared_bytes", &max_shared_bytes, py::arg("device"));
  m.def("cuda_runtime_version", []() { return CUDART_VERSION; });

  m.def("dct_matrix_axis",
        [](uintptr_t A, int64_t mm, int64_t n, uintptr_t x, std::vector<int64_t> xs, int in_type, uintptr_t y,
           std::vector<int64_t> ys, int out_type, int64_t outer, int64_t inner, int device, uintptr_t stream) {
          py::gil_scoped_release release;
          matrix_axis(ptr<const float>(A), mm, n, view(x, xs), in_type, view(y, ys), out_type, outer, inner, device,
                      stream_of(stream));
        },
        "y[o, p, i] = sum_k A[p, k] x[o, k, i] (A: float32 m x n row-major); DCT along an axis and resize factors");

  m.def("dwt_sparse_axis",
        [](uintptr_t idx, uintptr_t w, int64_t rows, int taps, uintptr_t x0, std::vector<int64_t> x0s, uintptr_t x1,
           std::vector<int64_t> x1s, int64_t in_split, int in_type, uintptr_t y0, std::vector<int64_t> y0s,
           uintptr_t y1, std::vector<int64_t> y1s, int64_t out_split, int out_type, int64_t outer, int64_t inner,
           int device, uintptr_t stream) {
          py::gil_scoped_release release;
          sparse_axis(ptr<const int32_t>(idx), ptr<const float>(w), rows, taps, view(x0, x0s), view(x1, x1s),
                      in_split, in_type, view(y0, y0s), view(y1, y1s), out_split, out_type, outer, inner, device,
                      stream_of(stream));
        },
        "Banded (ELL) map along an axis: one wavelet analysis or synthesis level");

  m.def("blocked_dct2",
        [](uintptr_t A, int block, uintptr_t x, std::vector<int64_t> xs, int in_type, uintptr_t y,
           std::vector<int64_t> ys, int out_type, int64_t batch, int64_t h, int64_t w, int device, uintptr_t stream) {
          py::gil_scoped_release release;
          blocked_dct2(ptr<const float>(A), block, view(x, xs), in_type, view(y, ys), out_type, batch, h, w, device,
                       stream_of(stream));
        },
        "Y_t = A X_t A^T for every block x block tile of the last two dims");

  m.def("dwt2_analysis",
        [](uintptr_t idx, uintptr_t w, std::vector<std::vector<int64_t>> levels, int64_t buf0, int64_t buf1,
           int64_t approx_off, int64_t packed_len, uintptr_t x, std::vector<int64_t> xs, int in_type, uintptr_t out,
           int out_type, int64_t batch, int device, uintptr_t stream) {
          const Dwt2Plan plan = make_plan(levels, buf0, buf1, approx_off, packed_len);
          py::gil_scoped_release release;
          dwt2_analysis(ptr<const int32_t>(idx), ptr<const float>(w), plan, view(x, xs), in_type, ptr<void>(out),
                        out_type, batch, device, stream_of(stream));
        },
        "Multi-level 2-D wavelet analysis, levels fused in shared memory, packed output");

  m.def("dwt2_synthesis",
        [](uintptr_t idx, uintptr_t w, std::vector<std::vector<int64_t>> levels, int64_t buf0, int64_t buf1,
           int64_t approx_off, int64_t packed_len, uintptr_t coeffs, int in_type, uintptr_t y,
           std::vector<int64_t> ys, int out_type, int64_t batch, int device, uintptr_t stream) {
          const Dwt2Plan plan = make_plan(levels, buf0, buf1, approx_off, packed_len);
          py::gil_scoped_release release;
          dwt2_synthesis(ptr<const int32_t>(idx), ptr<const float>(w), plan, ptr<const void>(coeffs), in_type,
                         view(y, ys), out_type, batch, device, stream_of(stream));
        },
        "Multi-level 2-D wavelet synthesis, levels fused in shared memory, packed input");

  m.def("resize_restandardize",
        [](uintptr_t x, int in_type, int64_t x_len, uintptr_t y, int64_t y_len, int64_t rows, uintptr_t stats,
           float eps, uintptr_t out, int out_type, int device, uintptr_t stream) {
          py::gil_scoped_release release;
          restandardize(ptr<const void>(x), in_type, x_len, ptr<const float>(y), y_len, rows, ptr<float>(stats), eps,
                        ptr<void>(out), out_type, device, stream_of(stream));
        },
        "out_b = (y_b - mean y_b) / (std y_b + eps) * std x_b + mean x_b over contiguous rows");
}

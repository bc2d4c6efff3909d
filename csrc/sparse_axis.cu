// Banded (ELL-format) linear map along one axis, the building block of the
// wavelet transforms on any axis and at any level:
//   y[o, r, i] = sum_t W[r, t] * x[o, I[r, t], i]          (I[r, t] < 0: no term)
// The input axis may be split over two tensors (rows < in_split from x0, the
// rest from x1: a synthesis reads approximation and detail), and so may the
// output (rows < out_split to y0: an analysis writes approximation and detail).
// The tables come from the filter taps and the boundary mode, built in Python.
#include "kernels.h"

namespace front_kernels {
namespace {

template <typename Tin, typename Tout>
__global__ void sparse_axis_kernel(const int32_t* __restrict__ I, const float* __restrict__ W, int taps,
                                   View3 x0, View3 x1, int64_t in_split, View3 y0, View3 y1,
                                   int64_t out_split, int64_t outer, int64_t rows, int64_t inner) {
  const int64_t total = outer * rows * inner;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const Tin* p0 = static_cast<const Tin*>(x0.ptr);
  const Tin* p1 = static_cast<const Tin*>(x1.ptr);
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const int64_t i = e % inner, r = (e / inner) % rows, o = e / (inner * rows);
    float acc = 0.f;
    for (int t = 0; t < taps; ++t) {
      const int64_t k = I[r * taps + t];
      if (k < 0) continue;
      const float v = k < in_split
                          ? to_float(p0[o * x0.s_outer + k * x0.s_len + i * x0.s_inner])
                          : to_float(p1[o * x1.s_outer + (k - in_split) * x1.s_len + i * x1.s_inner]);
      acc = fmaf(W[r * taps + t], v, acc);
    }
    if (r < out_split)
      static_cast<Tout*>(y0.ptr)[o * y0.s_outer + r * y0.s_len + i * y0.s_inner] = from_float<Tout>(acc);
    else
      static_cast<Tout*>(y1.ptr)[o * y1.s_outer + (r - out_split) * y1.s_len + i * y1.s_inner] =
          from_float<Tout>(acc);
  }
}

}  // namespace

void sparse_axis(const int32_t* idx, const float* weights, int64_t rows, int taps, View3 x0, View3 x1,
                 int64_t in_split, int in_type, View3 y0, View3 y1, int64_t out_split, int out_type,
                 int64_t outer, int64_t inner, int device, cudaStream_t stream) {
  DeviceGuard guard(device, "sparse_axis");
  const int64_t total = outer * rows * inner;
  if (total <= 0) return;
  constexpr int threads = 256;
  dispatch_types(in_type, out_type, [&](auto tin, auto tout) {
    using Tin = decltype(tin);
    using Tout = decltype(tout);
    sparse_axis_kernel<Tin, Tout><<<blocks_for(total, threads), threads, 0, stream>>>(
        idx, weights, taps, x0, x1, in_split, y0, y1, out_split, outer, rows, inner);
  }, "sparse_axis");
  check_launch("sparse_axis");
}

}  // namespace front_kernels

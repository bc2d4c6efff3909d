// Dense linear map along one axis: y[o, p, i] = sum_k A[p, k] * x[o, k, i].
// One tiled GEMM per launch; it carries the DCT of any type and norm along an
// axis (A is that DCT's matrix) and every factor of the separable resize.
#include "kernels.h"

namespace front_kernels {
namespace {

constexpr int TP = 64, TQ = 64, TK = 16, THREADS = 256;

// out[b, p, q] = sum_k A[p, k] x[b, k, q]; A is row-major (P x K) float32.
template <typename Tin, typename Tout>
__global__ void __launch_bounds__(THREADS)
matrix_axis_kernel(const float* __restrict__ A, const Tin* __restrict__ x, Tout* __restrict__ y,
                   int64_t batch, int64_t P, int64_t K, int64_t Q,
                   int64_t xb, int64_t xk, int64_t xq, int64_t yb, int64_t yp, int64_t yq) {
  __shared__ float As[TK][TP];
  __shared__ float Xs[TK][TQ + 1];
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  const int64_t p0 = static_cast<int64_t>(blockIdx.y) * TP, q0 = static_cast<int64_t>(blockIdx.x) * TQ;
  const bool q_fastest = (xq == 1);
  for (int64_t b = blockIdx.z; b < batch; b += gridDim.z) {
    const Tin* xbp = x + b * xb;
    float acc[4][4] = {};
    for (int64_t k0 = 0; k0 < K; k0 += TK) {
#pragma unroll
      for (int r = 0; r < (TP * TK) / THREADS; ++r) {
        const int idx = tid + r * THREADS;
        const int k = idx % TK, p = idx / TK;
        const int64_t gp = p0 + p, gk = k0 + k;
        As[k][p] = (gp < P && gk < K) ? A[gp * K + gk] : 0.f;
      }
#pragma unroll
      for (int r = 0; r < (TQ * TK) / THREADS; ++r) {
        const int idx = tid + r * THREADS;
        const int k = q_fastest ? idx / TQ : idx % TK;
        const int q = q_fastest ? idx % TQ : idx / TK;
        const int64_t gk = k0 + k, gq = q0 + q;
        Xs[k][q] = (gk < K && gq < Q) ? to_float(xbp[gk * xk + gq * xq]) : 0.f;
      }
      __syncthreads();
#pragma unroll
      for (int k = 0; k < TK; ++k) {
        float a[4], v[4];
#pragma unroll
        for (int i = 0; i < 4; ++i) a[i] = As[k][ty + 16 * i];
#pragma unroll
        for (int j = 0; j < 4; ++j) v[j] = Xs[k][tx + 16 * j];
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
          for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(a[i], v[j], acc[i][j]);
      }
      __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int64_t gp = p0 + ty + 16 * i;
      if (gp >= P) continue;
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int64_t gq = q0 + tx + 16 * j;
        if (gq < Q) y[b * yb + gp * yp + gq * yq] = from_float<Tout>(acc[i][j]);
      }
    }
  }
}

}  // namespace

void matrix_axis(const float* A, int64_t m, int64_t n, View3 x, int in_type, View3 y, int out_type,
                 int64_t outer, int64_t inner, int device, cudaStream_t stream) {
  DeviceGuard guard(device, "matrix_axis");
  if (outer <= 0 || inner <= 0 || m <= 0 || n <= 0) return;
  // A last-axis map is one GEMM over all rows (q runs over `outer`); otherwise one per outer index.
  const bool fold = (inner == 1);
  const int64_t batch = fold ? 1 : outer, Q = fold ? outer : inner;
  const int64_t xb = fold ? 0 : x.s_outer, xq = fold ? x.s_outer : x.s_inner;
  const int64_t yb = fold ? 0 : y.s_outer, yq = fold ? y.s_outer : y.s_inner;
  const int64_t gx = (Q + TQ - 1) / TQ, gy = (m + TP - 1) / TP;
  if (gx > 0x7fffffffLL || gy > 65535)
    throw std::invalid_argument("matrix_axis: problem too large for one launch");
  dim3 grid(static_cast<unsigned>(gx), static_cast<unsigned>(gy),
            static_cast<unsigned>(batch < 65535 ? batch : 65535));
  dispatch_types(in_type, out_type, [&](auto tin, auto tout) {
    using Tin = decltype(tin);
    using Tout = decltype(tout);
    matrix_axis_kernel<Tin, Tout><<<grid, THREADS, 0, stream>>>(
        A, static_cast<const Tin*>(x.ptr), static_cast<Tout*>(y.ptr), batch, m, n, Q, xb, x.s_len, xq, yb,
        y.s_len, yq);
  }, "matrix_axis");
  check_launch("matrix_axis");
}

}  // namespace front_kernels

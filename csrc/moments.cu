// Per-slice re-standardisation for the spectral resize:
//   out_b = (y_b - mean(y_b)) / (std(y_b) + eps) * std(x_b) + mean(x_b),
// std with Bessel's correction, moments accumulated in float64, two passes.
#include "kernels.h"

namespace front_kernels {
namespace {

constexpr int THREADS = 256;

__device__ double block_sum(double v, double* scratch) {
  for (int off = 16; off > 0; off /= 2) v += __shfl_down_sync(0xffffffffu, v, off);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  double total = 0.0;
  for (int w = 0; w < THREADS / 32; ++w) total += scratch[w];
  return total;
}

// mean and std of row b of a (rows, len) tensor with row stride `stride`.
template <typename T>
__global__ void __launch_bounds__(THREADS)
moments_kernel(const T* __restrict__ x, int64_t stride, int64_t len, float* mean, float* std) {
  __shared__ double scratch[THREADS / 32];
  const T* row = x + static_cast<int64_t>(blockIdx.x) * stride;
  double s = 0.0;
  for (int64_t e = threadIdx.x; e < len; e += THREADS) s += to_float(row[e]);
  const double mu = block_sum(s, scratch) / static_cast<double>(len);
  double q = 0.0;
  for (int64_t e = threadIdx.x; e < len; e += THREADS) {
    const double d = to_float(row[e]) - mu;
    q += d * d;
  }
  const double m2 = block_sum(q, scratch);
  if (threadIdx.x == 0) {
    mean[blockIdx.x] = static_cast<float>(mu);
    std[blockIdx.x] = static_cast<float>(sqrt(m2 / static_cast<double>(len - 1)));
  }
}

template <typename Tout>
__global__ void restandardize_kernel(const float* __restrict__ y, int64_t len, int64_t rows,
                                     const float* __restrict__ stats, float eps, Tout* __restrict__ out) {
  // stats: [mean_x, std_x, mean_y, std_y], each `rows` long.
  const int64_t total = rows * len, step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const int64_t b = e / len;
    const float scale = stats[rows + b] / (stats[3 * rows + b] + eps);
    out[e] = from_float<Tout>((y[e] - stats[2 * rows + b]) * scale + stats[b]);
  }
}

}  // namespace

void restandardize(const void* x, int in_type, int64_t x_len, const float* y, int64_t y_len, int64_t rows,
                   float* stats, float eps, void* out, int out_type, int device, cudaStream_t stream) {
  DeviceGuard guard(device, "restandardize");
  if (rows <= 0) return;
  if (rows > 0x7fffffffLL) throw std::invalid_argument("restandardize: too many slices");
  const unsigned grid = static_cast<unsigned>(rows);
  dispatch_same_type(in_type, out_type, [&](auto tin, auto tout) {
    using Tin = decltype(tin);
    using Tout = decltype(tout);
    moments_kernel<Tin><<<grid, THREADS, 0, stream>>>(static_cast<const Tin*>(x), x_len, x_len, stats,
                                                      stats + rows);
    moments_kernel<float><<<grid, THREADS, 0, stream>>>(y, y_len, y_len, stats + 2 * rows, stats + 3 * rows);
    restandardize_kernel<Tout><<<blocks_for(rows * y_len, THREADS), THREADS, 0, stream>>>(
        y, y_len, rows, stats, eps, static_cast<Tout*>(out));
  }, "restandardize");
  check_launch("restandardize");
}

}  // namespace front_kernels

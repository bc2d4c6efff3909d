// Tile-local 2-D transform Y_t = A X_t A^T of every (b x b) tile of the last
// two dims (the blocked DCT with A = C_b, its inverse with A = C_b^T), one
// thread block per tile, the tile and A held in shared memory.
#include "kernels.h"

namespace front_kernels {
namespace {

constexpr int THREADS = 256;

template <typename Tin, typename Tout>
__global__ void __launch_bounds__(THREADS)
blocked_dct2_kernel(const float* __restrict__ A, int b, const Tin* __restrict__ x, Tout* __restrict__ y,
                    int64_t batch, int64_t xb, int64_t xr, int64_t xc, int64_t yb, int64_t yr, int64_t yc) {
  extern __shared__ float smem[];
  float* As = smem;                // b x b
  float* Xs = As + b * b;          // b x (b + 1)
  float* Ts = Xs + b * (b + 1);    // b x (b + 1)
  const int ld = b + 1, n = b * b;
  for (int e = threadIdx.x; e < n; e += blockDim.x) As[e] = A[e];
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * b, c0 = static_cast<int64_t>(blockIdx.x) * b;
  for (int64_t t = blockIdx.z; t < batch; t += gridDim.z) {
    __syncthreads();
    for (int e = threadIdx.x; e < n; e += blockDim.x) {
      const int r = e / b, c = e % b;
      Xs[r * ld + c] = to_float(x[t * xb + (r0 + r) * xr + (c0 + c) * xc]);
    }
    __syncthreads();
    for (int e = threadIdx.x; e < n; e += blockDim.x) {  // T = A X
      const int r = e / b, c = e % b;
      float acc = 0.f;
      for (int k = 0; k < b; ++k) acc = fmaf(As[r * b + k], Xs[k * ld + c], acc);
      Ts[r * ld + c] = acc;
    }
    __syncthreads();
    for (int e = threadIdx.x; e < n; e += blockDim.x) {  // Y = T A^T
      const int r = e / b, c = e % b;
      float acc = 0.f;
      for (int k = 0; k < b; ++k) acc = fmaf(Ts[r * ld + k], As[c * b + k], acc);
      y[t * yb + (r0 + r) * yr + (c0 + c) * yc] = from_float<Tout>(acc);
    }
  }
}

}  // namespace

void blocked_dct2(const float* A, int block, View3 x, int in_type, View3 y, int out_type, int64_t batch,
                  int64_t h, int64_t w, int device, cudaStream_t stream) {
  DeviceGuard guard(device, "blocked_dct2");
  if (block < 1 || block > 64 || h % block || w % block)
    throw std::invalid_argument("blocked_dct2: block must be in [1, 64] and divide both tile dims");
  if (batch <= 0 || h <= 0 || w <= 0) return;
  const int64_t th = h / block, tw = w / block;
  if (th > 65535 || tw > 0x7fffffffLL) throw std::invalid_argument("blocked_dct2: too many tiles");
  const size_t shmem = sizeof(float) * (block * block + 2 * block * (block + 1));
  dim3 grid(static_cast<unsigned>(tw), static_cast<unsigned>(th),
            static_cast<unsigned>(batch < 65535 ? batch : 65535));
  dispatch_same_type(in_type, out_type, [&](auto tin, auto tout) {
    using Tin = decltype(tin);
    using Tout = decltype(tout);
    auto kernel = blocked_dct2_kernel<Tin, Tout>;
    throw_on_error(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(shmem)), "blocked_dct2");
    kernel<<<grid, THREADS, shmem, stream>>>(A, block, static_cast<const Tin*>(x.ptr), static_cast<Tout*>(y.ptr),
                                             batch, x.s_outer, x.s_len, x.s_inner, y.s_outer, y.s_len, y.s_inner);
  }, "blocked_dct2");
  check_launch("blocked_dct2");
}

}  // namespace front_kernels

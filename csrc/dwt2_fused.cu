// Multi-level 2-D wavelet analysis and synthesis with every level fused in one
// launch: one thread block per 2-D slice, the running approximation kept in
// shared memory between levels, each level a pass along the last axis and a
// pass along the second-to-last axis through banded (ELL) tables built in
// Python from the filter taps and the boundary mode (see sparse_axis.cu).
//
// Packed coefficient layout of one slice (float offsets, set by Python):
//   level l (0 = finest) at lv[l].band_off: cH ('da'), cV ('ad'), cD ('dd'),
//   each kr x kc row-major; the coarsest approximation at approx_off.
#include "kernels.h"

namespace front_kernels {
namespace {

constexpr int THREADS = 512;

__device__ __forceinline__ int64_t band_index(const Dwt2Level& L, int r, int c) {
  // r in [0, 2kr), c in [0, 2kc), not both low: offset of that coefficient in its band.
  const bool low_r = r < L.kr, low_c = c < L.kc;
  const int band = low_r ? 1 : (low_c ? 0 : 2);
  const int rr = low_r ? r : r - L.kr, cc = low_c ? c : c - L.kc;
  return L.band_off + static_cast<int64_t>(band) * L.kr * L.kc + static_cast<int64_t>(rr) * L.kc + cc;
}

template <typename Tin, typename Tout>
__global__ void __launch_bounds__(THREADS)
dwt2_analysis_kernel(const int32_t* __restrict__ I, const float* __restrict__ W, Dwt2Plan plan,
                     const Tin* __restrict__ x, View3 xv, Tout* __restrict__ out, int64_t batch) {
  extern __shared__ float smem[];
  float* cur = smem;
  float* tmp = smem + plan.buf0;
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    Tout* ob = out + b * plan.packed_len;
    const Dwt2Level& L0 = plan.lv[0];
    __syncthreads();
    for (int e = threadIdx.x; e < L0.in_h * L0.in_w; e += blockDim.x) {
      const int r = e / L0.in_w, c = e % L0.in_w;
      cur[e] = to_float(x[b * xv.s_outer + r * xv.s_len + c * xv.s_inner]);
    }
    for (int l = 0; l < plan.levels; ++l) {
      const Dwt2Level& L = plan.lv[l];
      const int wc = 2 * L.kc, hr = 2 * L.kr;
      __syncthreads();
      for (int e = threadIdx.x; e < L.in_h * wc; e += blockDim.x) {  // along the last axis
        const int r = e / wc, o = e % wc;
        const int32_t* ic = I + L.tab_c + static_cast<int64_t>(o) * L.taps_c;
        const float* wt = W + L.tab_c + static_cast<int64_t>(o) * L.taps_c;
        float acc = 0.f;
        for (int t = 0; t < L.taps_c; ++t)
          if (ic[t] >= 0) acc = fmaf(wt[t], cur[r * L.in_w + ic[t]], acc);
        tmp[e] = acc;
      }
      __syncthreads();
      const bool last = (l + 1 == plan.levels);
      for (int e = threadIdx.x; e < hr * wc; e += blockDim.x) {  // along the second-to-last axis
        const int o = e / wc, c = e % wc;
        const int32_t* ir = I + L.tab_r + static_cast<int64_t>(o) * L.taps_r;
        const float* wt = W + L.tab_r + static_cast<int64_t>(o) * L.taps_r;
        float acc = 0.f;
        for (int t = 0; t < L.taps_r; ++t)
          if (ir[t] >= 0) acc = fmaf(wt[t], tmp[ir[t] * wc + c], acc);
        if (o < L.kr && c < L.kc) {
          cur[o * L.kc + c] = acc;
          if (last) ob[plan.approx_off + static_cast<int64_t>(o) * L.kc + c] = from_float<Tout>(acc);
        } else {
          ob[band_index(L, o, c)] = from_float<Tout>(acc);
        }
      }
    }
  }
}

template <typename Tin, typename Tout>
__global__ void __launch_bounds__(THREADS)
dwt2_synthesis_kernel(const int32_t* __restrict__ I, const float* __restrict__ W, Dwt2Plan plan,
                      const Tin* __restrict__ coeffs, Tout* __restrict__ y, View3 yv, int64_t batch) {
  extern __shared__ float smem[];
  float* cur = smem;
  float* tmp = smem + plan.buf0;
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    const Tin* cb = coeffs + b * plan.packed_len;
    const Dwt2Level& Lj = plan.lv[plan.levels - 1];
    __syncthreads();
    for (int e = threadIdx.x; e < Lj.kr * Lj.kc; e += blockDim.x) cur[e] = to_float(cb[plan.approx_off + e]);
    for (int l = plan.levels - 1; l >= 0; --l) {
      const Dwt2Level& L = plan.lv[l];
      const int wc = 2 * L.kc;
      __syncthreads();
      for (int e = threadIdx.x; e < L.in_h * wc; e += blockDim.x) {  // along the second-to-last axis
        const int n = e / wc, c = e % wc;
        const int32_t* ir = I + L.tab_r + static_cast<int64_t>(n) * L.taps_r;
        const float* wt = W + L.tab_r + static_cast<int64_t>(n) * L.taps_r;
        float acc = 0.f;
        for (int t = 0; t < L.taps_r; ++t) {
          const int r = ir[t];
          if (r < 0) continue;
          const float v = (r < L.kr && c < L.kc) ? cur[r * L.kc + c] : to_float(cb[band_index(L, r, c)]);
          acc = fmaf(wt[t], v, acc);
        }
        tmp[e] = acc;
      }
      __syncthreads();
      for (int e = threadIdx.x; e < L.in_h * L.in_w; e += blockDim.x) {  // along the last axis
        const int n = e / L.in_w, m = e % L.in_w;
        const int32_t* ic = I + L.tab_c + static_cast<int64_t>(m) * L.taps_c;
        const float* wt = W + L.tab_c + static_cast<int64_t>(m) * L.taps_c;
        float acc = 0.f;
        for (int t = 0; t < L.taps_c; ++t)
          if (ic[t] >= 0) acc = fmaf(wt[t], tmp[n * wc + ic[t]], acc);
        if (l > 0)
          cur[e] = acc;
        else
          y[b * yv.s_outer + n * yv.s_len + m * yv.s_inner] = from_float<Tout>(acc);
      }
    }
  }
}

size_t plan_shared_bytes(const Dwt2Plan& plan) {
  return sizeof(float) * (static_cast<size_t>(plan.buf0) + static_cast<size_t>(plan.buf1));
}

void check_plan(const Dwt2Plan& plan, const char* what) {
  if (plan.levels < 1 || plan.levels > kMaxDwtLevels)
    throw std::invalid_argument(std::string(what) + ": levels must be in [1, " + std::to_string(kMaxDwtLevels) +
                                "], got " + std::to_string(plan.levels));
  int max_shared = 0;
  int dev = 0;
  throw_on_error(cudaGetDevice(&dev), what);
  throw_on_error(cudaDeviceGetAttribute(&max_shared, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev), what);
  if (plan_shared_bytes(plan) > static_cast<size_t>(max_shared))
    throw std::invalid_argument(std::string(what) + ": the slice needs " + std::to_string(plan_shared_bytes(plan)) +
                                " bytes of shared memory, the device offers " + std::to_string(max_shared));
}

unsigned grid_for(int64_t batch) { return static_cast<unsigned>(batch < 65535 * 8 ? batch : 65535 * 8); }

}  // namespace

void dwt2_analysis(const int32_t* idx, const float* weights, const Dwt2Plan& plan, View3 x, int in_type,
                   void* out, int out_type, int64_t batch, int device, cudaStream_t stream) {
  DeviceGuard guard(device, "dwt2_analysis");
  check_plan(plan, "dwt2_analysis");
  if (batch <= 0) return;
  const size_t shmem = plan_shared_bytes(plan);
  dispatch_same_type(in_type, out_type, [&](auto tin, auto tout) {
    using Tin = decltype(tin);
    using Tout = decltype(tout);
    auto kernel = dwt2_analysis_kernel<Tin, Tout>;
    throw_on_error(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(shmem)), "dwt2_analysis");
    kernel<<<grid_for(batch), THREADS, shmem, stream>>>(idx, weights, plan, static_cast<const Tin*>(x.ptr), x,
                                                        static_cast<Tout*>(out), batch);
  }, "dwt2_analysis");
  check_launch("dwt2_analysis");
}

void dwt2_synthesis(const int32_t* idx, const float* weights, const Dwt2Plan& plan, const void* coeffs,
                    int in_type, View3 y, int out_type, int64_t batch, int device, cudaStream_t stream) {
  DeviceGuard guard(device, "dwt2_synthesis");
  check_plan(plan, "dwt2_synthesis");
  if (batch <= 0) return;
  const size_t shmem = plan_shared_bytes(plan);
  dispatch_same_type(in_type, out_type, [&](auto tin, auto tout) {
    using Tin = decltype(tin);
    using Tout = decltype(tout);
    auto kernel = dwt2_synthesis_kernel<Tin, Tout>;
    throw_on_error(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(shmem)), "dwt2_synthesis");
    kernel<<<grid_for(batch), THREADS, shmem, stream>>>(idx, weights, plan, static_cast<const Tin*>(coeffs),
                                                        static_cast<Tout*>(y.ptr), y, batch);
  }, "dwt2_synthesis");
  check_launch("dwt2_synthesis");
}

int max_shared_bytes(int device) {
  int value = 0;
  throw_on_error(cudaDeviceGetAttribute(&value, cudaDevAttrMaxSharedMemoryPerBlockOptin, device),
                 "max_shared_bytes");
  return value;
}

}  // namespace front_kernels

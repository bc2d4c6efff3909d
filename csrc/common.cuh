// Shared helpers of the front_kernels CUDA kernels: element types, loads and
// stores with float32 accumulation, error reporting, launch geometry.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace front_kernels {

// Element type codes shared with the Python wrappers (front_kernels/_backends/cuda/_launch.py).
enum DType : int { kFloat32 = 0, kFloat16 = 1, kBFloat16 = 2 };

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename T> __device__ __forceinline__ T from_float(float v);
template <> __device__ __forceinline__ float from_float<float>(float v) { return v; }
template <> __device__ __forceinline__ __half from_float<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

// A strided 3-D view (outer, length, inner) of a tensor; strides in elements.
struct View3 {
  void* ptr;
  int64_t s_outer, s_len, s_inner;
};

inline void throw_on_error(cudaError_t err, const char* what) {
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error so later calls start clean
    throw std::runtime_error(std::string("front_kernels._cuda.") + what + ": " + cudaGetErrorName(err) +
                             ": " + cudaGetErrorString(err));
  }
}

inline void check_launch(const char* what) { throw_on_error(cudaGetLastError(), what); }

// Makes `device` current for one launcher and restores the caller's device afterwards, so the
// current device seen by other CUDA runtimes in the process (PyTorch's) does not change.
class DeviceGuard {
 public:
  DeviceGuard(int device, const char* what) {
    throw_on_error(cudaGetDevice(&previous_), what);
    if (previous_ == device) {
      previous_ = -1;
    } else {
      throw_on_error(cudaSetDevice(device), what);
    }
  }
  ~DeviceGuard() {
    if (previous_ >= 0) cudaSetDevice(previous_);
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = -1;
};

inline unsigned int blocks_for(int64_t n, int threads) {
  int64_t b = (n + threads - 1) / threads;
  const int64_t cap = 65535LL * 32;  // grid-stride loops cover the rest
  return static_cast<unsigned int>(b < 1 ? 1 : (b > cap ? cap : b));
}

// Calls f(Tin{}, Tout{}) for the runtime type codes (f: a generic lambda).
template <typename F> void dispatch_types(int in_type, int out_type, F&& f, const char* what) {
  auto with_out = [&](auto in_tag) {
    using Tin = decltype(in_tag);
    switch (out_type) {
      case kFloat32: f(Tin{}, float{}); return;
      case kFloat16: f(Tin{}, __half{}); return;
      case kBFloat16: f(Tin{}, __nv_bfloat16{}); return;
    }
    throw std::invalid_argument(std::string(what) + ": unknown output dtype code " + std::to_string(out_type));
  };
  switch (in_type) {
    case kFloat32: with_out(float{}); return;
    case kFloat16: with_out(__half{}); return;
    case kBFloat16: with_out(__nv_bfloat16{}); return;
  }
  throw std::invalid_argument(std::string(what) + ": unknown input dtype code " + std::to_string(in_type));
}

// Calls f(T{}, T{}) when both codes name the same type T; kernels that read and write one
// dtype are instantiated only for those three combinations.
template <typename F> void dispatch_same_type(int in_type, int out_type, F&& f, const char* what) {
  if (in_type != out_type)
    throw std::invalid_argument(std::string(what) + ": input and output dtype codes must agree, got " +
                                std::to_string(in_type) + " and " + std::to_string(out_type));
  switch (in_type) {
    case kFloat32: f(float{}, float{}); return;
    case kFloat16: f(__half{}, __half{}); return;
    case kBFloat16: f(__nv_bfloat16{}, __nv_bfloat16{}); return;
  }
  throw std::invalid_argument(std::string(what) + ": unknown dtype code " + std::to_string(in_type));
}

}  // namespace front_kernels

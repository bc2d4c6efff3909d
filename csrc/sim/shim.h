// CPU simulation of the CUDA execution model, enough for the kernels in csrc/:
// a block runs as blockDim.x std::threads (one per CUDA thread) sharing its
// static/dynamic shared memory, __syncthreads() is a std::barrier, warp
// shuffles go through a block-wide buffer, blocks run one after another.
// simulate.py rewrites each .cu file (launch syntax, __shared__) to use it.
#pragma once
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <math.h>

#include <barrier>
#include <thread>
#include <vector>

template <class T> cudaError_t cudaFuncSetAttribute(T*, cudaFuncAttribute, int) { return cudaSuccess; }

struct SimCtx {
  uint3 tid, bid;
  dim3 bdim, gdim;
  std::barrier<>* bar;
};
inline thread_local SimCtx sim_ctx;
inline float sim_smem_buf[1 << 20];
inline double sim_shfl_buf[4096];

#define threadIdx (sim_ctx.tid)
#define blockIdx (sim_ctx.bid)
#define blockDim (sim_ctx.bdim)
#define gridDim (sim_ctx.gdim)

inline void sim_syncthreads() { sim_ctx.bar->arrive_and_wait(); }
#define __syncthreads() sim_syncthreads()

inline double sim_shfl_down(double v, int off) {
  const unsigned t = sim_ctx.tid.x;
  sim_shfl_buf[t] = v;
  sim_syncthreads();
  const double r = (t % 32 + off < 32 && t + off < sim_ctx.bdim.x) ? sim_shfl_buf[t + off] : v;
  sim_syncthreads();
  return r;
}
#define __shfl_down_sync(mask, v, off) sim_shfl_down(v, off)

template <typename K> auto cpu_launch(K kernel, dim3 g, dim3 b, size_t, cudaStream_t) {
  return [=](auto... args) {
    for (unsigned z = 0; z < g.z; ++z)
      for (unsigned y = 0; y < g.y; ++y)
        for (unsigned x = 0; x < g.x; ++x) {
          const unsigned n = b.x * b.y * b.z;
          std::barrier<> bar(n);
          std::vector<std::thread> threads;
          for (unsigned t = 0; t < n; ++t)
            threads.emplace_back([&, t] {
              sim_ctx = SimCtx{uint3{t, 0, 0}, uint3{x, y, z}, b, g, &bar};
              kernel(args...);
            });
          for (auto& th : threads) th.join();
        }
  };
}

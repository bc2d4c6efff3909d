// Host entry points of the front_kernels CUDA kernels. Every pointer is a raw
// device pointer, every stride counts elements, and every launch goes on the
// given stream; the Python wrappers check devices, dtypes and sizes first.
#pragma once

#include "common.cuh"

namespace front_kernels {

constexpr int kMaxDwtLevels = 16;

// One level of the fused 2-D wavelet plan (see dwt2_fused.cu).
struct Dwt2Level {
  int in_h, in_w;        // analysis: this level's input size; synthesis: its output size
  int kr, kc;            // size of each band of this level
  int taps_r, taps_c;    // ELL widths of the two tables
  int64_t tab_r, tab_c;  // entry offsets of the second-to-last-axis and last-axis tables
  int64_t band_off;      // offset of (cH, cV, cD) in a packed slice
};

struct Dwt2Plan {
  int levels;
  int buf0, buf1;  // floats of shared memory in the two buffers
  int64_t approx_off, packed_len;
  Dwt2Level lv[kMaxDwtLevels];
};

void matrix_axis(const float* A, int64_t m, int64_t n, View3 x, int in_type, View3 y, int out_type,
                 int64_t outer, int64_t inner, int device, cudaStream_t stream);

void sparse_axis(const int32_t* idx, const float* weights, int64_t rows, int taps, View3 x0, View3 x1,
                 int64_t in_split, int in_type, View3 y0, View3 y1, int64_t out_split, int out_type,
                 int64_t outer, int64_t inner, int device, cudaStream_t stream);

void blocked_dct2(const float* A, int block, View3 x, int in_type, View3 y, int out_type, int64_t batch,
                  int64_t h, int64_t w, int device, cudaStream_t stream);

void dwt2_analysis(const int32_t* idx, const float* weights, const Dwt2Plan& plan, View3 x, int in_type,
                   void* out, int out_type, int64_t batch, int device, cudaStream_t stream);

void dwt2_synthesis(const int32_t* idx, const float* weights, const Dwt2Plan& plan, const void* coeffs,
                    int in_type, View3 y, int out_type, int64_t batch, int device, cudaStream_t stream);

int max_shared_bytes(int device);

void restandardize(const void* x, int in_type, int64_t x_len, const float* y, int64_t y_len, int64_t rows,
                   float* stats, float eps, void* out, int out_type, int device, cudaStream_t stream);

}  // namespace front_kernels

// The panel DCT kernels (dct_panel.h) compiled for x86-64-v4 (AVX-512), 512-bit vectors; dct_panel_cpu.cpp picks one at run time.
#include <omp.h>

#include <cstddef>
#include <cstdint>

#include "common.h"
#include "dct_panel_plan.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#pragma GCC target("arch=x86-64-v4,prefer-vector-width=512")
#endif

namespace fk_cpu {
namespace avx512 {
#include "dct_panel.h"
}  // namespace avx512

void dct2d_avx512(const PanelArgs<float>& rows, const PanelArgs<float>* cols, const float* x, float* out, int64_t batch,
                 int64_t n1, int64_t n2, int type, double a1, double b1, double a2, double b2) {
  avx512::dct2d(rows, cols, x, out, batch, n1, n2, type, a1, b1, a2, b2);
}
void dct2d_avx512(const PanelArgs<double>& rows, const PanelArgs<double>* cols, const double* x, double* out, int64_t batch,
                 int64_t n1, int64_t n2, int type, double a1, double b1, double a2, double b2) {
  avx512::dct2d(rows, cols, x, out, batch, n1, n2, type, a1, b1, a2, b2);
}

}  // namespace fk_cpu

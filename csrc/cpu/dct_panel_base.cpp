// The panel DCT kernels (dct_panel.h) compiled for the baseline instruction set of the build; dct_panel_cpu.cpp picks one at run time.
#include <omp.h>

#include <cstddef>
#include <cstdint>

#include "common.h"
#include "dct_panel_plan.h"

namespace fk_cpu {
namespace base {
#include "dct_panel.h"
}  // namespace base

void dct2d_base(const PanelArgs<float>& rows, const PanelArgs<float>* cols, const float* x, float* out, int64_t batch,
                 int64_t n1, int64_t n2, int type, double a1, double b1, double a2, double b2) {
  base::dct2d(rows, cols, x, out, batch, n1, n2, type, a1, b1, a2, b2);
}
void dct2d_base(const PanelArgs<double>& rows, const PanelArgs<double>* cols, const double* x, double* out, int64_t batch,
                 int64_t n1, int64_t n2, int type, double a1, double b1, double a2, double b2) {
  base::dct2d(rows, cols, x, out, batch, n1, n2, type, a1, b1, a2, b2);
}

}  // namespace fk_cpu

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

FK_PANEL_DEFINE(base)

}  // namespace fk_cpu

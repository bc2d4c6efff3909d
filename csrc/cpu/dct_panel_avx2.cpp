// The panel DCT kernels (dct_panel.h) compiled for x86-64-v3 (AVX2, FMA); dct_panel_cpu.cpp picks one at run time.
#include <omp.h>

#include <cstddef>
#include <cstdint>

#include "common.h"
#include "dct_panel_plan.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#pragma GCC target("arch=x86-64-v3")
#endif

namespace fk_cpu {
namespace avx2 {
#include "dct_panel.h"
}  // namespace avx2

FK_PANEL_DEFINE(avx2)

}  // namespace fk_cpu

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

FK_PANEL_DEFINE(avx512)

}  // namespace fk_cpu

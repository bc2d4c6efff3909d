// Bindings of the panel DCT (dct_panel.h, tables in dct_panel_plan.h) into front_kernels._cpu: the plan
// cache, the per-thread scratch, and the choice of instruction set (AVX-512, AVX2, baseline) at run time.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.h"
#include "dct_panel_plan.h"

namespace py = pybind11;

namespace fk_cpu {

namespace {

// A call holds `calls` shared while it runs; panel_clear takes it exclusively.
std::shared_mutex calls;
std::mutex registry_lock;

struct Slot;
std::set<Slot*>& registry() {
  static std::set<Slot*> r;
  return r;
}

struct Slot {
  void* p = nullptr;
  size_t bytes = 0;
  Slot() {
    std::lock_guard<std::mutex> g(registry_lock);
    registry().insert(this);
  }
  ~Slot() {
    std::lock_guard<std::mutex> g(registry_lock);
    registry().erase(this);
    std::free(p);
  }
  void release() {
    std::free(p);
    p = nullptr;
    bytes = 0;
  }
};

thread_local Slot slot;

template <typename T> struct PlanEntry {
  PanelDctPlan<T> plan;
  std::vector<StageView<T>> forward, inverse;
  PanelArgs<T> args;

  explicit PlanEntry(int64_t n) : plan(n) {
    for (const auto& s : plan.forward) forward.push_back({s.radix, s.m, s.twiddle.data(), s.roots.data()});
    for (const auto& s : plan.inverse) inverse.push_back({s.radix, s.m, s.twiddle.data(), s.roots.data()});
    args = {plan.n,          plan.l,          static_cast<int>(forward.size()), forward.data(), inverse.data(),
            plan.even.data(), plan.odd.data(), plan.a.data(), plan.b.data(), plan.g.data(), plan.h.data()};
  }
};

std::mutex plans_lock;
template <typename T> std::map<int64_t, std::shared_ptr<PlanEntry<T>>>& plans() {
  static std::map<int64_t, std::shared_ptr<PlanEntry<T>>> m;
  return m;
}

template <typename T> std::shared_ptr<PlanEntry<T>> plan_for(int64_t n) {
  std::lock_guard<std::mutex> g(plans_lock);
  auto& m = plans<T>();
  auto it = m.find(n);
  if (it != m.end()) return it->second;
  auto e = std::make_shared<PlanEntry<T>>(n);
  m.emplace(n, e);
  return e;
}

enum class Isa { avx512, avx2, base };

// The widest instruction set this CPU has, capped by FRONT_KERNELS_CPU_ISA=base|avx2 (tests run each one).
Isa pick_isa() {
  const char* cap = std::getenv("FRONT_KERNELS_CPU_ISA");
  const std::string limit = cap ? cap : "";
  if (limit == "base") return Isa::base;
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
  __builtin_cpu_init();
  if (limit != "avx2" && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx2") &&
      __builtin_cpu_supports("fma"))
    return Isa::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2"))
    return Isa::avx2;
#endif
  return Isa::base;
}

const Isa isa = pick_isa();

const char* isa_name() { return isa == Isa::avx512 ? "avx512" : isa == Isa::avx2 ? "avx2" : "base"; }

// The window of (batch, n1, n2) that x holds and out keeps, checked (see Window in dct_panel_plan.h).
Window window_of(int64_t n1, int64_t n2, int64_t r_in, int64_t c_in, int64_t r_out, int64_t c_out, bool own_mid) {
  if (r_in < 1 || r_in > n1 || r_out < 1 || r_out > n1 || c_in < 1 || c_in > n2 || c_out < 1 || c_out > n2)
    throw std::invalid_argument("window: rows must lie in [1, n1] and columns in [1, n2]");
  if (!own_mid && r_in > r_out) throw std::invalid_argument("window: a window with r_in > r_out needs its own mid");
  return {r_in, c_in, r_out, c_out, own_mid ? r_in : r_out};
}

template <typename T>
void run(uintptr_t x, uintptr_t mid, uintptr_t out, int64_t batch, int64_t n1, int64_t n2, const Window& win,
         int type, double a1, double b1, double a2, double b2) {
  check_sizes(batch, n1, n2);
  if (type != 2 && type != 3) throw std::invalid_argument("type must be 2 or 3");
  if (!panel_dct_supported(n2) || (n1 > 1 && !panel_dct_supported(n1)))
    throw std::invalid_argument("panel DCT needs even lengths whose halves have prime factors <= 13");
  py::gil_scoped_release nogil;
  std::shared_lock<std::shared_mutex> running(calls);
  const auto rows = plan_for<T>(n2);
  const auto cols = n1 > 1 ? plan_for<T>(n1) : nullptr;
  const PanelArgs<T>* col_args = cols ? &cols->args : nullptr;
  const T* src = ptr<const T>(x);
  T* dst = ptr<T>(out);
  T* m = ptr<T>(mid);
  if (x != out) fk_cpu::advise_huge(dst, static_cast<size_t>(batch * win.r_out * win.c_out) * sizeof(T));
  switch (isa) {
    case Isa::avx512: dct2d_avx512(rows->args, col_args, src, m, dst, batch, n1, n2, win, type, a1, b1, a2, b2); break;
    case Isa::avx2: dct2d_avx2(rows->args, col_args, src, m, dst, batch, n1, n2, win, type, a1, b1, a2, b2); break;
    default: dct2d_base(rows->args, col_args, src, m, dst, batch, n1, n2, win, type, a1, b1, a2, b2);
  }
}

}  // namespace

void* panel_scratch(int, size_t bytes) {
  if (slot.bytes < bytes) {
    slot.release();
    const size_t rounded = (bytes + 63) / 64 * 64;
    slot.p = std::aligned_alloc(64, rounded);
    if (!slot.p) throw std::bad_alloc();
    slot.bytes = rounded;
  }
  return slot.p;
}

void panel_clear() {
  std::unique_lock<std::shared_mutex> idle(calls);
  {
    std::lock_guard<std::mutex> g(registry_lock);
    for (Slot* s : registry()) s->release();
  }
  std::lock_guard<std::mutex> g(plans_lock);
  plans<float>().clear();
  plans<double>().clear();
}

}  // namespace fk_cpu

void bind_dct_panel(py::module_& m) {
  m.def("panel_dct_supported", &fk_cpu::panel_dct_supported,
        "True when the panel DCT handles length n (even, n/2 without prime factors above 13)", py::arg("n"));
  m.def("panel_dct_isa", &fk_cpu::isa_name, "instruction set the panel DCT kernels run with");
  m.def(
      "panel_dct2d",
      [](uintptr_t x, uintptr_t out, int64_t b, int64_t n1, int64_t n2, int type, double a1, double b1, double a2,
         double b2, bool dbl) {
        const fk_cpu::Window win = fk_cpu::window_of(n1, n2, n1, n2, n1, n2, false);
        if (dbl) fk_cpu::run<double>(x, out, out, b, n1, n2, win, type, a1, b1, a2, b2);
        else fk_cpu::run<float>(x, out, out, b, n1, n2, win, type, a1, b1, a2, b2);
      },
      "scaled 2-D DCT-II (type 2) or DCT-III (type 3) of (B, N1, N2) over its two trailing dims (N1 = 1: the "
      "last dim alone) into out (may be x)",
      py::arg("x"), py::arg("out"), py::arg("b"), py::arg("n1"), py::arg("n2"), py::arg("type"), py::arg("a1"),
      py::arg("b1"), py::arg("a2"), py::arg("b2"), py::arg("dbl"));
  m.def(
      "panel_dct2d_window",
      [](uintptr_t x, uintptr_t mid, uintptr_t out, int64_t b, int64_t n1, int64_t n2, int64_t r_in, int64_t c_in,
         int64_t r_out, int64_t c_out, int type, double a1, double b1, double a2, double b2, bool dbl) {
        if (n1 == 1 && (r_in != 1 || r_out != 1)) throw std::invalid_argument("window: n1 = 1 has one row");
        const fk_cpu::Window win = fk_cpu::window_of(n1, n2, r_in, c_in, r_out, c_out, mid != out);
        if (dbl) fk_cpu::run<double>(x, mid, out, b, n1, n2, win, type, a1, b1, a2, b2);
        else fk_cpu::run<float>(x, mid, out, b, n1, n2, win, type, a1, b1, a2, b2);
      },
      "the same transform of (B, N1, N2) zero-padded from its (B, r_in, c_in) corner x, keeping the (B, r_out, "
      "c_out) corner in out; mid: (B, r_in, c_out) scratch, or out itself when r_in <= r_out",
      py::arg("x"), py::arg("mid"), py::arg("out"), py::arg("b"), py::arg("n1"), py::arg("n2"), py::arg("r_in"),
      py::arg("c_in"), py::arg("r_out"), py::arg("c_out"), py::arg("type"), py::arg("a1"), py::arg("b1"),
      py::arg("a2"), py::arg("b2"), py::arg("dbl"));
  m.def("panel_clear", &fk_cpu::panel_clear, "release the panel DCT's plans and per-thread scratch");
}

"""bench/gpu_resources.py: its ptxas / nvcc log parser, its sm_90 occupancy rules, and one real
compile of a Triton kernel for sm_90 (no GPU needed) with the readings it reports."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import gpu_resources as gr  # noqa: E402

NVCC_LOG = """\
ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function '_ZN13front_kernels47_GLOBAL__N__e2b7bc76_14_matrix_axis_cu_7bd3412a18matrix_axis_kernelIffEEvPKfPKT_PT0_llllllllll' for 'sm_90'
ptxas info    : Function properties for _ZN13front_kernels47_GLOBAL__N__e2b7bc76_14_matrix_axis_cu_7bd3412a18matrix_axis_kernelIffEEvPKfPKT_PT0_llllllllll
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 99 registers, used 1 barriers, 8256 bytes smem
ptxas info    : Compile time = 91.163 ms
ptxas info    : Compiling entry function '_Z7spillerPf' for 'sm_90'
ptxas info    : Function properties for _Z7spillerPf
    48 bytes stack frame, 40 bytes spill stores, 36 bytes spill loads
ptxas info    : Used 255 registers, used 0 barriers, 380 bytes cmem[0]
"""


def test_parser_reads_nvcc_resource_usage():
    usage = gr.parse_ptxas_log(NVCC_LOG)
    assert len(usage) == 2
    ma = usage["_ZN13front_kernels47_GLOBAL__N__e2b7bc76_14_matrix_axis_cu_7bd3412a18matrix_axis_kernelIffEEvPKfPKT_PT0_llllllllll"]
    assert ma == {"regs": 99, "spill_stores": 0, "spill_loads": 0, "stack": 0, "smem": 8256}
    assert usage["_Z7spillerPf"] == {"regs": 255, "spill_stores": 40, "spill_loads": 36, "stack": 48, "smem": 0}
    demangled = "front_kernels::(anonymous namespace)::matrix_axis_kernel<float, __nv_bfloat16>(float const*, long)"
    assert gr.short_kernel_name(demangled) == "matrix_axis_kernel<f32, bf16>"


def test_occupancy_follows_the_sm90_rules():
    # 99 registers -> 3328 per warp; 16384 per sub-partition hold 4 warps: 16 warps = 2 blocks of 8
    assert gr.occupancy(99, 256, 8256) == {"blocks": 2, "warps": 16, "occupancy": 0.25, "limiter": "registers"}
    # 32 registers, no shared memory: the 64-warp limit, 100 %
    assert gr.occupancy(32, 256, 0)["blocks"] == 8 and gr.occupancy(32, 256, 0)["occupancy"] == 1.0
    # 96 KiB + 1 KiB reserved per block: two blocks in 228 KiB
    o = gr.occupancy(128, 256, 96 * 1024)
    assert o["blocks"] == 2 and "shared memory" in o["limiter"]
    assert gr.occupancy(64, 128, 228 * 1024)["blocks"] == 0  # over the 227 KiB a block may have
    assert gr.occupancy(64, 1024, 0)["blocks"] == 1  # 1024 threads x 64 registers fill the register file


def test_a_triton_kernel_compiles_for_sm90_without_spills(monkeypatch):
    pytest.importorskip("triton")
    try:
        gr._triton_bin("ptxas"), gr._triton_bin("cuobjdump")
    except Exception as exc:  # a Triton build without the NVIDIA tools
        pytest.skip(f"triton's NVIDIA tools are missing: {exc}")
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)  # GPU tile sizes in the launcher
    import front_kernels as fk

    trace = gr.trace_call(lambda: fk.blocked_dct2(torch.empty(256, 256, device="meta"), block=8, backend="triton"))
    (launch,) = trace.launches
    assert launch.kernel == "_blocked_kernel" and launch.meta["TILE"] == 64
    (kwargs,) = gr._compile_kwargs(launch)
    res = gr.compile_triton(launch, kwargs)
    assert res["spill_stores"] == 0 and res["spill_loads"] == 0 and res["local"] == 0
    assert res["regs"] == res["ptxas_regs"] and 0 < res["regs"] <= 255
    assert res["num_warps"] == 4
    assert res["shared"] >= 64 * 64 * 4  # at least one float32 64 x 64 tile staged in shared memory
    assert res["programs"] == (256 // 64) ** 2
    cost = gr.triton_cost(launch)
    assert cost.bytes == 2 * 256 * 256 * 4 + 64 * 64 * 4
    assert cost.flops == 16 * 2 * 2 * 64**3 and cost.work == 3.0  # two TILE^3 dots per program, 3xTF32


@pytest.mark.skipif(gr._nvcc() is None, reason="nvcc is not installed")
def test_nvcc_resource_usage_of_a_cuda_file():
    nvcc = gr._nvcc()
    run = subprocess.run([nvcc, "-O3", "-std=c++17", "--expt-relaxed-constexpr", "-arch=sm_90", "--resource-usage",
                          f"-I{ROOT / 'csrc'}", "-c", str(ROOT / "csrc" / "moments.cu"), "-o", "/dev/null"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    usage = gr.parse_ptxas_log(run.stdout + run.stderr)
    assert len(usage) >= 4  # moments_kernel and restandardize_kernel, three dtypes each
    assert all(u["regs"] and u["spill_stores"] == 0 and u["spill_loads"] == 0 for u in usage.values())
    if shutil.which("c++filt"):
        names = {gr.short_kernel_name(n) for n in gr._demangle(list(usage)).values()}
        assert "moments_kernel<f32>" in names

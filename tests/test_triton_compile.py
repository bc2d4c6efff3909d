"""Every Triton kernel compiles for an NVIDIA GPU (sm_90) through Triton's real compiler
pipeline (no device needed), with the meta-parameters the launchers use.

The interpreter tests check the numbers; this checks what the interpreter lets
pass but the compiler rejects (constexpr rules, dtypes of ``tl.dot``, shapes of
reshape / split / join, the autotuner's tile sizes).
"""
from __future__ import annotations

import importlib
import inspect

import pytest

import triton  # noqa: E402
from triton.backends.compiler import GPUTarget  # noqa: E402
from triton.compiler import ASTSource  # noqa: E402
from triton.runtime.jit import JITFunction  # noqa: E402

TARGET = GPUTarget("cuda", 90, 32)


def _module(name):
    return importlib.import_module(f"front_kernels._backends.triton.{name}")


def _compile(fn, pointer_types: dict, constexprs: dict, target) -> None:
    params = list(inspect.signature(fn).parameters)
    signature = {p: "constexpr" if p in constexprs else pointer_types.get(p, "i32") for p in params}
    src = ASTSource(fn=JITFunction(fn), signature=signature,
                    constexprs={(params.index(k),): v for k, v in constexprs.items()})
    triton.compile(src, target=target)


def _pointers(fn, dtype: str, **overrides) -> dict:
    out = {p: f"*{dtype}" for p in inspect.signature(fn).parameters if p.endswith("_ptr")}
    out.update({k: f"*{v}" for k, v in overrides.items()})
    return out


def _cases():
    am = _module("axis_matmul")
    yield ("axis_matmul fp32", am._axis_matmul_kernel, _pointers(am._axis_matmul_kernel, "fp32"),
           dict(BLOCK_M=64, BLOCK_R=64, BLOCK_K=32, PRECISION="tf32x3", FP64=False, HALF_DOT=False))
    yield ("axis_matmul bf16 native", am._axis_matmul_kernel, _pointers(am._axis_matmul_kernel, "bf16", a_ptr="fp32"),
           dict(BLOCK_M=128, BLOCK_R=128, BLOCK_K=32, PRECISION="tf32", FP64=False, HALF_DOT=True))
    yield ("axis_matmul fp64", am._axis_matmul_kernel, _pointers(am._axis_matmul_kernel, "fp64"),
           dict(BLOCK_M=64, BLOCK_R=64, BLOCK_K=32, PRECISION="ieee", FP64=True, HALF_DOT=False))
    bd = _module("blocked_dct")
    yield ("blocked fp16", bd._blocked_kernel, _pointers(bd._blocked_kernel, "fp16", d_ptr="fp32"),
           dict(TILE=bd.GPU_TILE, PRECISION="tf32x3", FP64=False))
    dw = _module("dwt")
    for mode, o_fast in (("symmetric", False), ("smooth", True)):  # index-map and two-sample extensions
        yield (f"dwt analysis {mode}", dw._analysis_kernel, _pointers(dw._analysis_kernel, "fp32"),
               dict(F=8, MODE=dw.MODES[mode], FP64=False, O_FAST=o_fast, **dw._GPU_META[o_fast]))
    for periodic in (False, True):
        yield (f"dwt synthesis periodic={periodic}", dw._synthesis_kernel,
               _pointers(dw._synthesis_kernel, "bf16", taps_ptr="fp32"),
               dict(K=4, PERIODIC=periodic, FP64=False, O_FAST=periodic, **dw._GPU_META[periodic]))
    hr = _module("haar2d")
    yield ("haar2 analysis", hr._haar2_analysis_kernel, _pointers(hr._haar2_analysis_kernel, "fp32"),
           dict(TH=64, TW=64, LEVEL=3, FP64=False))
    yield ("haar2 synthesis", hr._haar2_synthesis_kernel, _pointers(hr._haar2_synthesis_kernel, "bf16"),
           dict(TH=64, TW=64, LEVEL=3, FP64=False))
    rs = _module("resize")
    yield ("row moments", rs._row_moments_kernel, _pointers(rs._row_moments_kernel, "fp32"),
           dict(BLOCK=rs.MOMENTS_BLOCK))
    yield ("row affine", rs._row_affine_kernel, _pointers(rs._row_affine_kernel, "fp32", out_ptr="bf16"),
           dict(BLOCK=rs.AFFINE_BLOCK))


CASES = list(_cases())


def test_every_kernel_compiles_for_nvidia():
    failures = []
    for name, fn, pointers, constexprs in CASES:
        try:
            _compile(fn, pointers, constexprs, TARGET)
        except Exception as exc:  # collect all, report together
            failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:400]}")
    assert not failures, "\n".join(failures)

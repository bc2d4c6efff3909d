"""Compiled resources of every GPU kernel for sm_90, and a paper model of the GPU benchmarks
on an H100 -- without a GPU.

    python bench/gpu_resources.py [--other-python PY ...] [--out FILE] [--sizes 1024 ... 16384]

What it does:

* traces the benchmark cases (``bench_gpu_triton.cases``, ``bench_gpu_cuda.cases`` and the
  transforms of ``bench_transfer.py``'s bound) on ``meta`` tensors: every launch of a Triton
  kernel and every call of a CUDA launcher is recorded instead of run, with its operands,
  grid and meta-parameters, and the torch ops in between are counted by a dispatch mode;
* compiles each distinct Triton launch for sm_90 exactly as the JIT would (the JIT's own
  specialisation of the arguments, every autotune config), and reads the shared memory from
  the compiled metadata, the registers from the cubin (``cuobjdump -res-usage``) and the
  spills from the bundled ``ptxas -v`` on the PTX;
* compiles ``csrc/*.cu`` with ``nvcc -arch=sm_90 --resource-usage`` and parses registers,
  spills and shared memory per kernel;
* computes occupancy with the rules of ``cuda_occupancy.h`` for sm_90 and, per case, bytes
  moved, FLOPs, arithmetic intensity, the roof that applies and the expected H100 time;
* ``--other-python`` runs the Triton part again under other interpreters (another Triton
  version) and puts their readings beside the current ones.

The output (markdown) is a compiled-resource reading and a paper model, not a measurement.
``--json FILE`` writes the Triton readings of this interpreter only (used by
``--other-python``).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib
import importlib.util
import inspect
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CSRC = ROOT / "csrc"
DEFAULT_SIZES = [1024, 2048, 4096, 8192, 16384]

# ---------------------------------------------------------------------------------------------
# the machine

# sm_90 limits (CUDA occupancy rules of cuda_occupancy.h for compute capability 9.0)
SM90 = {
    "regs_per_sm": 65536, "sub_partitions": 4, "reg_granularity": 256, "max_regs_per_thread": 255,
    "max_regs_per_block": 65536, "max_warps_per_sm": 64, "max_blocks_per_sm": 32,
    "smem_per_sm": 228 * 1024, "smem_per_block": 227 * 1024, "smem_reserved_per_block": 1024,
    "smem_granularity": 128,
}
# H100 SXM5 80 GB, dense peaks
H100 = {"sms": 132, "dram": 3.35e12, "l2_bytes": 50 * 2**20}
PEAK = {  # FLOP/s of the unit a path runs on
    "tf32 tc": 494.7e12, "bf16 tc": 989.4e12, "fp16 tc": 989.4e12, "fp64 tc": 66.9e12,
    "fp32 cuda core": 66.9e12, "fp64 cuda core": 33.5e12,
}


def occupancy(regs: int, threads: int, smem: int) -> dict:
    """Resident blocks per SM and the limiting resource, by the rules of ``cuda_occupancy.h`` (sm_90)."""
    warps = -(-threads // 32)
    limits = {"warps": SM90["max_warps_per_sm"] // warps, "blocks": SM90["max_blocks_per_sm"]}
    per_warp = -(-max(regs, 1) * 32 // SM90["reg_granularity"]) * SM90["reg_granularity"]
    assumed = per_warp * (-(-warps // SM90["sub_partitions"]) * SM90["sub_partitions"])
    if regs > SM90["max_regs_per_thread"] or assumed > SM90["max_regs_per_block"]:
        limits["registers"] = 0
    else:
        per_sub = (SM90["regs_per_sm"] // SM90["sub_partitions"]) // per_warp
        limits["registers"] = per_sub * SM90["sub_partitions"] // warps
    if smem > SM90["smem_per_block"]:
        limits["shared memory"] = 0
    else:
        need = smem + SM90["smem_reserved_per_block"]
        need = -(-need // SM90["smem_granularity"]) * SM90["smem_granularity"]
        limits["shared memory"] = SM90["smem_per_sm"] // need
    blocks = min(limits.values())
    limiter = "/".join(k for k, v in limits.items() if v == blocks)
    return {"blocks": blocks, "warps": blocks * warps, "occupancy": blocks * warps / SM90["max_warps_per_sm"],
            "limiter": limiter}


# ---------------------------------------------------------------------------------------------
# tracing the benchmark cases on meta tensors

@dataclass
class Launch:
    backend: str          # "triton" or "cuda"
    kernel: str           # Triton kernel function or CUDA launcher name
    args: tuple = ()      # Triton: the launch arguments; CUDA: the launcher's arguments
    meta: dict = field(default_factory=dict)
    grid: object = None
    lazy: object = None   # Triton: the LazyKernel
    result: object = None  # CUDA: the launcher's output


@dataclass
class Trace:
    launches: list = field(default_factory=list)
    torch_bytes: int = 0
    torch_ops: dict = field(default_factory=dict)


_VIEW_OPS = {"view", "_unsafe_view", "reshape", "_reshape_alias", "permute", "transpose", "t", "expand",
             "slice", "select", "as_strided", "unsqueeze", "squeeze", "unbind", "narrow", "alias", "detach",
             "split", "split_with_sizes", "chunk", "movedim", "view_as", "unfold", "diagonal", "lift_fresh",
             "empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided", "_to_copy_noop",
             "sym_size", "sym_stride", "sym_numel", "is_same_size", "_local_scalar_dense"}
_SMALL = 1 << 16  # torch ops whose tensors are all below 64 KiB (tables, moments) are not counted


def _nbytes(t) -> int:
    return t.numel() * t.element_size() if isinstance(t, torch.Tensor) else 0


def _flat_tensors(obj):
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _flat_tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _flat_tensors(o)


class _TorchOps(torch.utils._python_dispatch.TorchDispatchMode):
    """Adds the bytes read and written by the torch ops run between the kernels."""

    def __init__(self, trace: Trace):
        super().__init__()
        self.trace = trace

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        name = func.overloadpacket.__name__.rstrip("_")
        if name not in _VIEW_OPS:
            ins = [t for t in _flat_tensors((args, kwargs)) if t.numel()]
            outs = [t for t in _flat_tensors(out) if t.numel()]
            if name in ("zeros", "full", "fill", "zero", "new_zeros", "new_full"):
                ins = []  # a fill reads nothing
            if any(_nbytes(t) >= _SMALL for t in ins + outs):
                moved = sum(map(_nbytes, ins)) + sum(map(_nbytes, outs))
                self.trace.torch_bytes += moved
                self.trace.torch_ops[name] = self.trace.torch_ops.get(name, 0) + moved
        return out


class _Patches:
    def __init__(self):
        self._undo = []

    def set(self, obj, name, value):
        self._undo.append((obj, name, getattr(obj, name)))
        setattr(obj, name, value)

    def restore(self):
        for obj, name, value in reversed(self._undo):
            setattr(obj, name, value)
        self._undo.clear()


def _triton_modules():
    return {n: importlib.import_module(f"front_kernels._backends.triton.{n}")
            for n in ("_runtime", "axis_matmul", "blocked_dct", "dct", "dwt", "haar2d", "resize")}


@contextlib.contextmanager
def recording(trace: Trace):
    """Within: the package's GPU kernels are recorded into ``trace`` instead of launched, the
    backends accept meta tensors, and the custom ops run their Python bodies (on meta tensors a
    custom op would run its fake kernel and launch nothing)."""
    import front_kernels._backends.triton as tb
    public_resize = importlib.import_module("front_kernels.transforms.resize")

    p = _Patches()
    m = _triton_modules()

    def launch(self, grid, *args, **meta):
        if not self.configs:  # as LazyKernel.launch does on a GPU
            meta = {**self.interpret_meta, **meta}
        trace.launches.append(Launch("triton", self.fn.__name__, args, meta, grid, self))

    p.set(m["_runtime"].LazyKernel, "launch", launch)
    p.set(tb, "unusable_reason", lambda x: None)
    p.set(m["dct"], "apply_matrices", m["axis_matmul"].apply_matrices_launch)
    p.set(m["resize"], "apply_matrices", m["axis_matmul"].apply_matrices_launch)
    p.set(m["resize"], "resize_std", m["resize"].resize_std._init_fn)
    p.set(m["blocked_dct"], "blocked_transform", m["blocked_dct"].blocked_launch)
    p.set(m["dwt"], "dwt_analysis", m["dwt"].analysis_launch)
    p.set(m["dwt"], "dwt_synthesis", m["dwt"].synthesis_launch)
    p.set(m["haar2d"], "haar2_analysis", m["haar2d"].analysis_launch)
    p.set(m["haar2d"], "haar2_synthesis", m["haar2d"].synthesis_launch)

    def matrices(sizes_in, sizes_out, method, rescale, wavelet, mode, non_dyadic, dtype, device):
        # shapes only: building the real (m, n) float64 matrices of a 16384-point resize takes minutes
        return tuple(None if n == k else torch.empty(k, n, dtype=dtype, device=device)
                     for n, k in zip(sizes_in, sizes_out))

    p.set(public_resize, "resample_matrices", matrices)
    try:
        import front_kernels._backends.cuda as cb
        from front_kernels._backends.cuda import _launch, _ops
    except Exception:  # the CUDA backend does not import here: its cases are left out
        cb = None
    if cb is not None:
        class _NoExtension:
            def __getattr__(self, name):
                return lambda *a, **k: None

        p.set(cb, "unusable_reason", lambda x: None)
        p.set(_launch, "extension", lambda: _NoExtension())
        p.set(_launch, "check_operand", lambda t, *a, **k: t)
        p.set(_launch, "launch_args", lambda t: (0, 0))
        p.set(_launch, "max_shared_bytes", lambda device: SM90["smem_per_block"])
        for name in ("matrix_axis_launch", "sparse_axis_launch", "blocked_dct2_launch", "dwt2_fused_launch",
                     "restandardize_launch"):
            def wrapped(*args, _name=name, _fn=getattr(_launch, name), **kwargs):
                out = _fn(*args, **kwargs)
                trace.launches.append(Launch("cuda", _name, args, kwargs, result=out))
                return out
            p.set(_launch, name, wrapped)
        for name in ("dct_axes", "blocked_dct2", "apply_matrices", "wavelet_axes", "wavelet2d_levels",
                     "restandardize"):
            p.set(_ops, name, getattr(_ops, name)._init_fn)
    try:
        yield
    finally:
        p.restore()


def trace_call(fn) -> Trace:
    """The launches of one call of ``fn`` (after one untraced call, so that cached tables are built)."""
    with recording(Trace()):
        fn()
    trace = Trace()
    with recording(trace), _TorchOps(trace):
        fn()
    return trace


@dataclass
class Case:
    bench: str
    label: str
    backend: str
    trace: Trace


def _on_meta(fn):
    """``fn`` with ``torch.randn`` creating meta tensors (the bench scripts allocate on CUDA)."""
    real = torch.randn

    def randn(*args, **kwargs):
        kwargs["device"] = "meta"
        kwargs.pop("generator", None)
        return real(*args, **kwargs)

    def run(*a, **k):
        torch.randn = randn
        try:
            return fn(*a, **k)
        finally:
            torch.randn = real
    return run


def transfer_shapes():
    """2-D parameter shapes of ``bench_transfer.py``'s LLaMA-shaped source and targets (vocabulary
    512, untied embeddings): per layer q, k, v, o (h, h), gate, up (mlp, h), down (h, mlp)."""
    vocab = 512
    models = {"source 8 x 1024 (MLP 2816)": (8, 1024, 2816), "shrink 4 x 512 (MLP 1408)": (4, 512, 1408),
              "width 8 x 512 (MLP 1408)": (8, 512, 1408), "grow 12 x 1536 (MLP 4224)": (12, 1536, 4224)}
    out = {}
    for name, (layers, h, mlp) in models.items():
        counts: dict[tuple[int, int], int] = {}
        for shape, n in (((h, h), 4 * layers), ((mlp, h), 2 * layers), ((h, mlp), layers), ((vocab, h), 2)):
            counts[shape] = counts.get(shape, 0) + n
        out[name] = counts
    return out


def benchmark_cases(sizes, with_cuda: bool = True) -> list[Case]:
    import front_kernels as fk

    sys.path.insert(0, str(BENCH))
    import bench_gpu_triton as bgt

    cases = []
    bgt.DEVICE = "meta"
    for op, label, x, ours, peers in bgt.cases(sizes):
        cases.append(Case("bench_gpu_triton.py", label, "triton", trace_call(ours)))
    cuda_ok = with_cuda and importlib.util.find_spec("front_kernels._cuda") is not None
    import bench_gpu_cuda as bgc

    for op, label, x, fn in _on_meta(lambda: list(bgc.cases()))():
        for backend in ("triton", "cuda") if cuda_ok else ("triton",):
            cases.append(Case("bench_gpu_cuda.py", label, backend, trace_call(lambda fn=fn, b=backend: fn(b))))
    # not a benchmark case: the float64 path of the axis kernel (its own autotune configs)
    w = torch.empty(1024, 1024, dtype=torch.float64, device="meta")
    cases.append(Case("float64 path (no benchmark runs it)", "dctn ortho 2-D (1024, 1024) fp64", "triton",
                      trace_call(lambda: fk.dctn(w, dim=(-2, -1), norm="ortho", backend="triton"))))
    shapes = sorted({s for counts in transfer_shapes().values() for s in counts})
    for shape in shapes:
        w = torch.empty(shape, device="meta")
        cases.append(Case("bench_transfer.py", f"dctn ortho {shape} fp32", "triton",
                          trace_call(lambda w=w: fk.dctn(w, norm="ortho", backend="triton"))))
        cases.append(Case("bench_transfer.py", f"idctn ortho {shape} fp32", "triton",
                          trace_call(lambda w=w: fk.idctn(w, norm="ortho", backend="triton"))))
    return cases


# ---------------------------------------------------------------------------------------------
# Triton: compile every distinct launch for sm_90

def _triton_bin(tool: str) -> str:
    """The tool Triton itself uses for sm_90 (its ptxas differs between versions)."""
    from triton.backends.nvidia import compiler

    if tool == "ptxas":
        return compiler.get_ptxas(90).path
    from triton import knobs

    return getattr(knobs.nvidia, tool).path


def _spec_key(launch: Launch, kwargs: dict) -> str:
    """A version-independent name of what the JIT compiles for this launch: the kernel, the
    class of each runtime argument (as the JIT specialises it) and the compile-time values."""
    parts = [launch.kernel]
    dns = set(launch.lazy.do_not_specialize)
    params = list(inspect.signature(launch.lazy.fn).parameters)
    for name, a in zip(params, launch.args):
        if isinstance(a, torch.Tensor):
            aligned = (a.storage_offset() * a.element_size()) % 16 == 0
            parts.append(f"{name}:*{str(a.dtype)[6:]}{'/16' if aligned else ''}")
        elif isinstance(a, bool) or not isinstance(a, int):
            parts.append(f"{name}:{a!r}")
        elif name in dns:
            parts.append(f"{name}:i{'32' if -2**31 <= a < 2**31 else '64'}")
        else:
            cls = "=1" if a == 1 else ("/16" if a % 16 == 0 else "")
            parts.append(f"{name}:i{'32' if -2**31 <= a < 2**31 else '64'}{cls}")
    parts += [f"{k}={v!r}" for k, v in sorted(kwargs.items())]
    return " ".join(parts)


def _compile_kwargs(launch: Launch) -> list[dict]:
    """The meta-parameters of each compile this launch may cause (each autotune config)."""
    lazy = launch.lazy
    base = {"num_warps": 4, "num_stages": 3}
    if lazy.configs:
        return [{**base, **cfg.all_kwargs(), **launch.meta} for cfg in lazy.configs]
    return [{**base, **launch.meta}]


def _variant(kernel: str, kwargs: dict, launch: Launch) -> str:
    """Row label of the resource table: kernel, pointer dtypes, meta-parameters."""
    params = list(inspect.signature(launch.lazy.fn).parameters)
    dts = [f"{n[:-4]}:{str(a.dtype)[6:]}" for n, a in zip(params, launch.args)
           if isinstance(a, torch.Tensor) and n.endswith("_ptr")]
    uniq = sorted(set(d.split(":")[1] for d in dts))
    dt = uniq[0] if len(uniq) == 1 else ",".join(dts)
    meta = " ".join(f"{k}={v}" for k, v in kwargs.items() if k not in ("num_warps", "num_stages", "num_ctas"))
    return f"{kernel} [{dt}] {meta}".strip()


def compile_triton(launch: Launch, kwargs: dict) -> dict:
    """Compile ``launch`` with ``kwargs`` for sm_90 as the JIT would; its resources."""
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource, make_backend
    from triton.runtime import jit as tjit

    target = GPUTarget("cuda", 90, 32)
    backend = make_backend(target)
    jitted = tjit.JITFunction(launch.lazy.fn, do_not_specialize=launch.lazy.do_not_specialize)
    binder = tjit.create_function_from_signature(jitted.signature, jitted.params, backend)
    bound, specialization, options = binder(*launch.args, **kwargs)
    options, signature, constexprs, attrs = jitted._pack_args(backend, kwargs, bound, specialization, options)
    kernel = triton.compile(ASTSource(jitted, signature, constexprs, attrs), target=target,
                            options=options.__dict__)
    res = {"shared": int(kernel.metadata.shared), "num_warps": int(kernel.metadata.num_warps),
           "num_stages": int(kernel.metadata.num_stages)}
    res.update(_cubin_resources(kernel.asm["cubin"]))
    res["shared"] += res["static_shared"]  # Triton's metadata counts the dynamic shared memory
    res.update(_ptxas_resources(kernel.asm["ptx"], options))
    grid = launch.grid(bound) if callable(launch.grid) else launch.grid
    res["programs"] = math.prod(grid)
    return res


def _cubin_resources(cubin: bytes) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "k.cubin"
        path.write_bytes(cubin)
        out = subprocess.run([_triton_bin("cuobjdump"), "-res-usage", str(path)], capture_output=True, text=True,
                             check=True).stdout
    m = re.search(r"REG:(\d+) STACK:(\d+) SHARED:(\d+) LOCAL:(\d+)", out)
    if not m:
        raise RuntimeError(f"cannot read cuobjdump -res-usage output:\n{out}")
    # SHARED counts the 1 KiB that sm_90 reserves per block (a kernel without static shared
    # memory reads 1024): the kernel's own static shared memory is the rest
    return {"regs": int(m[1]), "stack": int(m[2]), "static_shared": max(0, int(m[3]) - SM90["smem_reserved_per_block"]),
            "local": int(m[4])}


def _ptxas_resources(ptx: str, options) -> dict:
    """``ptxas -v`` (the one Triton bundles, with the flags Triton passes) on the kernel's PTX."""
    from triton.backends.nvidia.compiler import CUDABackend

    flags = ["-lineinfo", "-v"]
    if not getattr(options, "enable_fp_fusion", True):
        flags.append("--fmad=false")
    if "regAllocOptLevel" in inspect.getsource(CUDABackend.make_cubin):
        flags.append("--regAllocOptLevel=2")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "k.ptx"
        src.write_text(ptx)
        run = subprocess.run([_triton_bin("ptxas"), *flags, "--gpu-name=sm_90a", str(src), "-o",
                              str(Path(tmp) / "k.o")], capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(f"ptxas failed:\n{run.stderr}")
    usage = parse_ptxas_log(run.stderr)
    if len(usage) != 1:
        raise RuntimeError(f"expected one kernel in the ptxas log, got {len(usage)}:\n{run.stderr}")
    u = next(iter(usage.values()))
    return {"ptxas_regs": u["regs"], "spill_stores": u["spill_stores"], "spill_loads": u["spill_loads"],
            "stack_frame": u["stack"]}


def parse_ptxas_log(text: str) -> dict[str, dict]:
    """Per entry function of a ``ptxas -v`` / ``nvcc --resource-usage`` log: registers, spill
    stores / loads, stack frame, static shared memory (bytes)."""
    out: dict[str, dict] = {}
    current = None
    for line in text.splitlines():
        m = re.search(r"(?:Compiling entry function|Function properties for) '?([^' ]+)'?", line)
        if m:
            current = m[1]
            out.setdefault(current, {"regs": None, "spill_stores": 0, "spill_loads": 0, "stack": 0, "smem": 0})
            continue
        if current is None:
            continue
        m = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads", line)
        if m:
            out[current].update(stack=int(m[1]), spill_stores=int(m[2]), spill_loads=int(m[3]))
        m = re.search(r"Used (\d+) registers", line)
        if m:
            out[current]["regs"] = int(m[1])
            s = re.search(r"(\d+) bytes smem", line)
            out[current]["smem"] = int(s[1]) if s else 0
    return out


def triton_readings(cases: list[Case], progress=None) -> dict:
    """Resources of every distinct Triton compile in ``cases``, by spec key."""
    import triton

    readings = {}
    for case in cases:
        for launch in case.trace.launches:
            if launch.backend != "triton":
                continue
            for kwargs in _compile_kwargs(launch):
                key = _spec_key(launch, kwargs)
                if key in readings:
                    continue
                if progress:
                    progress(f"compiling {_variant(launch.kernel, kwargs, launch)}")
                try:
                    res = compile_triton(launch, kwargs)
                except Exception as exc:  # reported in the table, not fatal
                    lines = [ln for ln in str(exc).splitlines() if ln.strip()]
                    res = {"error": f"{type(exc).__name__}: {' '.join(lines[:3])[:300]}",
                           "num_warps": kwargs.get("num_warps"), "num_stages": kwargs.get("num_stages")}
                res["variant"] = _variant(launch.kernel, kwargs, launch)
                readings[key] = res
    return {"triton": triton.__version__, "torch": torch.__version__, "ptxas": _tool_version(_triton_bin("ptxas")),
            "readings": readings}


def _tool_version(path: str) -> str:
    out = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
    m = re.search(r"release ([\d.]+), V([\d.]+)", out)
    return m[2] if m else out.strip().splitlines()[-1]


# ---------------------------------------------------------------------------------------------
# CUDA: nvcc --resource-usage on csrc/*.cu

def _nvcc() -> str | None:
    for home in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH")):
        if home and (Path(home) / "bin" / "nvcc").is_file():
            return str(Path(home) / "bin" / "nvcc")
    return shutil.which("nvcc") or ("/usr/local/cuda/bin/nvcc" if Path("/usr/local/cuda/bin/nvcc").is_file() else None)


def _demangle(names: list[str]) -> dict[str, str]:
    if not names or not shutil.which("c++filt"):
        return {n: n for n in names}
    out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True).stdout.splitlines()
    return dict(zip(names, out)) if len(out) == len(names) else {n: n for n in names}


def short_kernel_name(demangled: str) -> str:
    """``void front_kernels::(anonymous namespace)::k<float, __half>(float const*, ...)`` -> ``k<f32, half>``."""
    name = demangled.replace("(anonymous namespace)::", "")
    name = re.sub(r"^void ", "", name)
    depth = 0
    for i, ch in enumerate(name):  # cut the parameter list: the first '(' outside the template arguments
        depth += {"<": 1, ">": -1}.get(ch, 0)
        if ch == "(" and depth == 0:
            name = name[:i]
            break
    head, sep, targs = name.partition("<")
    name = head.rsplit("::", 1)[-1] + sep + targs
    return re.sub(r"\bfloat\b", "f32", name.replace("__nv_bfloat16", "bf16").replace("__half", "half"))


def cuda_readings() -> dict:
    """Registers, spills and static shared memory of every kernel in csrc/*.cu for sm_90."""
    nvcc = _nvcc()
    if nvcc is None:
        return {"error": "nvcc not found"}
    flags = ["-O3", "-std=c++17", "--expt-relaxed-constexpr", "-Xcompiler", "-fPIC", "-arch=sm_90",
             "--resource-usage", f"-I{CSRC}"]
    kernels = {}
    threads = {}
    with tempfile.TemporaryDirectory() as tmp:
        for src in sorted(CSRC.glob("*.cu")):
            run = subprocess.run([nvcc, *flags, "-c", str(src), "-o", str(Path(tmp) / (src.stem + ".o"))],
                                 capture_output=True, text=True)
            if run.returncode:
                kernels[src.name] = {"error": run.stderr.strip().splitlines()[-1][:200]}
                continue
            usage = parse_ptxas_log(run.stdout + run.stderr)
            names = _demangle(list(usage))
            m = re.search(r"constexpr int (?:THREADS|threads) = (\d+)", src.read_text())
            for mangled, u in usage.items():
                if u["regs"] is None:
                    continue
                short = short_kernel_name(names[mangled])
                kernels[short] = {**u, "file": src.name}
                threads[short] = int(m[1]) if m else None
    out = subprocess.run([nvcc, "--version"], capture_output=True, text=True).stdout
    version = re.search(r"release ([\d.]+), V([\d.]+)", out)
    return {"nvcc": version[2] if version else "?", "flags": " ".join(flags[:-1]), "kernels": kernels,
            "threads": threads}


# ---------------------------------------------------------------------------------------------
# the paper model

@dataclass
class Cost:
    kernel: str           # resource-table name of what runs
    bytes: float          # DRAM bytes (compulsory: every operand read once, every output written once)
    flops: float          # useful FLOPs
    unit: str             # key of PEAK
    work: float = 1.0     # tensor-core / unit work per useful FLOP (3 for the 3xTF32 split)
    programs: int | None = None  # blocks in the grid (None: fills the GPU)
    note: str = ""
    inflight: int | None = None  # bytes one block keeps in flight (for grids smaller than the GPU)

    def _fill(self) -> float:
        return 1.0 if not self.programs else min(1.0, self.programs / H100["sms"])

    def _terms(self) -> tuple[float, float]:
        bw = H100["dram"]
        if self._fill() < 1 and self.inflight:
            bw = min(bw, self.programs * self.inflight / DRAM_LATENCY)  # Little's law
        return self.bytes / bw, self.flops * self.work / (PEAK[self.unit] * self._fill())

    def time(self) -> float:
        return max(self._terms())

    def roof(self) -> str:
        memory, compute = self._terms()
        few = self._fill() < 1
        if compute >= memory:
            return self.unit + (f" ({self.programs} blocks < {H100['sms']} SMs)" if few else "")
        if few and self.inflight:
            return (f"DRAM latency ({self.programs} block{'s' if self.programs > 1 else ''}, "
                    f"{self.inflight // 1024} KiB in flight each)")
        return "DRAM" + (f" (only {self.programs} blocks: optimistic)" if few else "")


DRAM_LATENCY = 0.7e-6  # s, a loaded H100's DRAM latency assumed for Little's law


def _dot_unit(meta: dict, x_dtype: torch.dtype) -> tuple[str, float, str]:
    if meta.get("FP64"):
        return "fp64 tc", 1.0, "fp64 DMMA"
    if meta.get("HALF_DOT"):
        return "bf16 tc", 1.0, "bf16 MMA"
    prec = meta.get("PRECISION", "tf32x3")
    if prec == "tf32x3":
        return "tf32 tc", 3.0, "3xTF32"
    if prec == "tf32":
        return "tf32 tc", 1.0, "TF32"
    return "fp32 cuda core", 1.0, "fp32 FMA"


def triton_cost(launch: Launch) -> Cost:
    a, k, meta = launch.args, launch.kernel, launch.meta
    if k == "_axis_matmul_kernel":
        x, mat, y, m, kk, r = a[:6]
        unit, work, path = _dot_unit(meta, x.dtype)
        # the autotuner picks the tile on the GPU: the grid of its widest config bounds the SMs in use
        programs = max(math.prod(launch.grid({**meta, **c.kwargs})) for c in launch.lazy.configs)
        return Cost(k, _nbytes(x) + _nbytes(mat) + _nbytes(y), 2.0 * x.shape[0] * m * kk * r, unit, work,
                    programs, path)
    if k == "_blocked_kernel":
        x, d, y = a[:3]
        unit, work, path = _dot_unit(meta, x.dtype)
        programs = math.prod(launch.grid)
        return Cost(k, _nbytes(x) + _nbytes(d) + _nbytes(y), programs * 2 * 2.0 * meta["TILE"] ** 3, unit, work,
                    programs, f"{path}, TILE={meta['TILE']} dots incl. the zero blocks")
    if k == "_haar2_analysis_kernel":
        level = meta["LEVEL"]
        x, outs = a[0], a[2:3 + 3 * level]
        flops = sum(6.0 * x.numel() / 4 ** lev for lev in range(level))
        return Cost(k, _nbytes(x) + sum(map(_nbytes, outs)), flops, "fp32 cuda core", note=f"{level} levels, one pass")
    if k == "_haar2_synthesis_kernel":
        level = meta["LEVEL"]
        ins, y = a[:1 + 3 * level], a[11]
        flops = sum(6.0 * y.numel() / 4 ** lev for lev in range(level))
        return Cost(k, sum(map(_nbytes, ins)) + _nbytes(y), flops, "fp32 cuda core", note=f"{level} levels, one pass")
    if k == "_analysis_kernel":
        x, _, y = a[:3]
        f = meta["F"]
        return Cost(k, _nbytes(x) + 2 * _nbytes(y), 5.0 * f * y.numel(), "fp32 cuda core",
                    note=f"F={f}, mode {meta['MODE']}, both bands")
    if k == "_synthesis_kernel":
        c, _, y = a[:3]
        kk = meta["K"]
        return Cost(k, 2 * _nbytes(c) + _nbytes(y), 4.0 * kk * y.numel(), "fp32 cuda core", note=f"K={kk}")
    if k == "_row_moments_kernel":
        x, part = a[:2]
        return Cost(k, _nbytes(x) + _nbytes(part), 4.0 * x.numel(), "fp32 cuda core")
    if k == "_row_affine_kernel":
        y, _, _, out = a[:4]
        return Cost(k, _nbytes(y) + _nbytes(out), 2.0 * y.numel(), "fp32 cuda core")
    raise KeyError(f"no cost model for the Triton kernel {k}")


def cuda_cost(launch: Launch) -> list[Cost]:
    a, k, out = launch.args, launch.kernel, launch.result
    tin = {torch.float32: "f32", torch.float16: "half", torch.bfloat16: "bf16"}
    if k == "matrix_axis_launch":
        x, mat, dim = a[:3]
        name = f"matrix_axis_kernel<{tin[x.dtype]}, {tin[out.dtype]}>"
        flops = 2.0 * mat.shape[0] * x.numel()
        inner = math.prod(x.shape[dim + 1:])
        q = math.prod(x.shape[:dim]) if inner == 1 else inner
        blocks = -(-q // 64) * -(-mat.shape[0] // 64) * (1 if inner == 1 else min(math.prod(x.shape[:dim]), 65535))
        return [Cost(name, _nbytes(x) + _nbytes(mat) + _nbytes(out), flops, "fp32 cuda core", programs=blocks,
                     note="fp32 FMA, 64x64 tiles")]
    if k == "sparse_axis_launch":
        x, idx, w = a[:3]
        name = f"sparse_axis_kernel<{tin[x.dtype]}, {tin[out.dtype]}>"
        flops = 2.0 * idx.shape[1] * out.numel()
        return [Cost(name, _nbytes(x) + _nbytes(idx) + _nbytes(w) + _nbytes(out), flops, "fp32 cuda core",
                     note=f"{idx.shape[1]} taps")]
    if k == "blocked_dct2_launch":
        x, mat, b = a[:3]
        name = f"blocked_dct2_kernel<{tin[x.dtype]}, {tin[x.dtype]}>"
        return [Cost(name, _nbytes(x) + _nbytes(mat) + _nbytes(out), 4.0 * b * x.numel(), "fp32 cuda core",
                     programs=x.numel() // (b * b), note=f"b={b}, dyn smem {4 * (b * b + 2 * b * (b + 1))} B")]
    if k == "dwt2_fused_launch":
        x, idx, w, plan, synthesis = a[:5]
        from front_kernels._backends.cuda._launch import _plan_parts

        rows, buf0, buf1, *_ = _plan_parts(plan)
        batch = (out if synthesis else x).numel() // (rows[0][0] * rows[0][1])
        flops = 0.0
        for in_h, in_w, kr, kc, taps_r, taps_c, *_ in rows:
            if synthesis:
                flops += 2.0 * (in_h * 2 * kc * taps_r + in_h * in_w * taps_c)
            else:
                flops += 2.0 * (in_h * 2 * kc * taps_c + 2 * kr * 2 * kc * taps_r)
        name = f"dwt2_{'synthesis' if synthesis else 'analysis'}_kernel<{tin[x.dtype]}, {tin[x.dtype]}>"
        return [Cost(name, _nbytes(x) + _nbytes(idx) + _nbytes(w) + _nbytes(out), flops * batch, "fp32 cuda core",
                     programs=min(batch, 65535 * 8),
                     note=f"{len(rows)} levels fused, dyn smem {4 * (buf0 + buf1)} B")]
    if k == "restandardize_launch":
        x, y, kk = a[:3]
        rows = math.prod(x.shape[:-kk])
        t = tin[x.dtype]
        return [
            # one block of 256 threads per slice; its SASS (float32) unrolls the loop 16 times:
            # 16 independent loads per thread in flight
            Cost(f"moments_kernel<{t}>", 2 * _nbytes(x), 4.0 * x.numel(), "fp64 cuda core", programs=rows,
                 note="reads each slice twice, one block per slice", inflight=256 * 16 * x.element_size()),
            Cost("moments_kernel<f32>", 2 * _nbytes(y), 4.0 * y.numel(), "fp64 cuda core", programs=rows,
                 note="reads each slice twice, one block per slice", inflight=256 * 16 * 4),
            Cost(f"restandardize_kernel<{t}>", _nbytes(y) + _nbytes(out), 4.0 * y.numel(), "fp32 cuda core"),
        ]
    raise KeyError(f"no cost model for the CUDA launcher {k}")


def case_costs(case: Case) -> list[Cost]:
    costs = []
    for launch in case.trace.launches:
        costs += [triton_cost(launch)] if launch.backend == "triton" else cuda_cost(launch)
    if case.trace.torch_bytes:
        ops = ", ".join(sorted(case.trace.torch_ops))
        costs.append(Cost(f"torch ops ({ops})", case.trace.torch_bytes, 0.0, "fp32 cuda core"))
    return costs


# ---------------------------------------------------------------------------------------------
# output

def _fmt_bytes(b: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= scale:
            return f"{b / scale:.3g} {unit}"
    return f"{b:.0f} B"


def _fmt_flops(f: float) -> str:
    for unit, scale in (("TFLOP", 1e12), ("GFLOP", 1e9), ("MFLOP", 1e6)):
        if f >= scale:
            return f"{f / scale:.3g} {unit}"
    return f"{f:.0f} FLOP"


def _fmt_ms(t: float) -> str:
    return f"{t * 1e3:.3g}"


def _resource_cell(res: dict | None) -> list[str]:
    if res is None:
        return ["-"] * 5
    if "error" in res:
        return [f"compile error: {res['error']}", "", "", "", ""]
    occ = occupancy(res["regs"], 32 * res["num_warps"], res["shared"])
    spill = f"{res['spill_stores']}/{res['spill_loads']}"
    if res.get("stack_frame"):
        spill += f" (stack {res['stack_frame']} B)"
    regs = str(res["regs"]) if res["regs"] == res["ptxas_regs"] else f"{res['regs']} (ptxas -v: {res['ptxas_regs']})"
    return [regs, spill, f"{res['shared'] / 1024:.1f} KiB", f"{occ['blocks']} ({100 * occ['occupancy']:.0f}%)",
            occ["limiter"]]


def _group_readings(readings: dict) -> dict[str, list[tuple[str, dict]]]:
    groups: dict[str, list] = {}
    for key, res in readings.items():
        groups.setdefault(res["variant"], []).append((key, res))
    return groups


def _worst(items: list[dict]) -> dict:
    """One reading standing for several specialisations: the most registers, spills and shared memory."""
    ok = [r for r in items if "error" not in r]
    if not ok:
        return items[0]
    w = dict(max(ok, key=lambda r: (r["regs"], r["spill_stores"] + r["spill_loads"], r["shared"])))
    w["spill_stores"] = max(r["spill_stores"] for r in ok)
    w["spill_loads"] = max(r["spill_loads"] for r in ok)
    w["shared"] = max(r["shared"] for r in ok)
    regs = sorted({r["regs"] for r in ok})
    w["regs_range"] = regs
    return w


def render(cases: list[Case], runs: list[dict], cuda: dict, command: str) -> str:
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    vers = "; ".join(f"triton {r['triton']} (ptxas {r['ptxas']}, torch {r['torch']})" for r in runs)
    lines = [
        "# GPU kernels on sm_90: compiled resources and a paper model for H100",
        "",
        f"{stamp}; `{command}`; {vers}; nvcc {cuda.get('nvcc', 'n/a')}; host {platform.machine()} "
        f"{platform.system()}, no GPU.",
        "",
        "**These are compiled-resource readings and a paper model, not GPU measurements.** Registers, "
        "spills and shared memory come from compiling each kernel for sm_90 on a machine without a GPU; "
        "occupancy follows the rules of `cuda_occupancy.h`; the times are what the roofline allows on an "
        "H100 SXM5, no more. Measured numbers come from `bench/bench_gpu_triton.py`, "
        "`bench/bench_gpu_cuda.py` and `bench/bench_transfer.py --device cuda` on a GPU.",
        "",
        "## H100 figures used",
        "",
        f"DRAM {H100['dram'] / 1e12:.2f} TB/s, {H100['sms']} SMs, L2 {H100['l2_bytes'] >> 20} MiB. Dense peaks: "
        + ", ".join(f"{k} {v / 1e12:.1f} TFLOP/s" for k, v in PEAK.items())
        + ". Per SM (sm_90): 65536 registers (4 sub-partitions, allocated per warp in units of 256), "
          "2048 threads (64 warps), 32 blocks, 228 KiB shared memory (227 KiB per block, 1 KiB reserved "
          "per block, 128-byte granularity).",
        "",
    ]
    # --- Triton resources
    names = [r["triton"] for r in runs]
    groups = [_group_readings(r["readings"]) for r in runs]
    variants = list(dict.fromkeys(v for g in groups for v in g))
    lines += _summary(cases, names, groups, cuda)
    lines += ["## Triton kernels: compiled resources for sm_90", "",
              "One row per compiled variant (kernel, pointer dtypes, meta-parameters, warps / stages) that the "
              "benchmark cases launch; every autotune config of the axis kernel is listed, since the "
              "autotuner picks on the GPU. When the JIT's integer specialisations (a stride of 1, "
              "divisibility by 16) give several binaries of one variant, the row shows the largest "
              "registers, spills and shared memory among them (`specs`: how many). Spills: bytes "
              "stored / loaded per thread (ptxas). Occupancy: resident blocks per SM (% of 64 warps) and "
              "what limits it.", ""]
    head = "| variant | warps / stages | specs |"
    sep = "|---|---|---:|"
    for n in names:
        head += f" {n}: regs | spills | smem | blocks/SM | limit |"
        sep += "---:|---:|---:|---:|---|"
    lines += [head, sep]
    spill_rows = []
    for v in variants:
        first = next(items for g in groups if v in g for items in [g[v]])
        res0 = _worst([r for _, r in first])
        ws = f"{res0.get('num_warps', '?')} / {res0.get('num_stages', '?')}"
        row = f"| {v} | {ws} | {max(len(g.get(v, [])) for g in groups)} |"
        for n, g in zip(names, groups):
            res = _worst([r for _, r in g[v]]) if v in g else None
            cells = _resource_cell(res)
            if res and "regs_range" in res and len(res["regs_range"]) > 1:
                cells[0] += f" ({res['regs_range'][0]}-{res['regs_range'][-1]})"
            row += " " + " | ".join(cells) + " |"
            if res and "error" not in res and (res["spill_stores"] or res["spill_loads"] or res["local"]):
                spill_rows.append((n, v, res))
        lines.append(row)
    lines.append("")
    # --- CUDA resources
    lines += ["## CUDA kernels: `nvcc --resource-usage` for sm_90", ""]
    if "error" in cuda:
        lines += [f"Not compiled: {cuda['error']}.", ""]
    else:
        dyn = _cuda_dynamic_smem(cases)
        lines += [f"`nvcc {cuda['flags']} -c csrc/<file>.cu` (the flags of setup.py, one arch). Dynamic shared "
                  "memory is set at launch; the occupancy column uses the sizes the benchmark cases launch "
                  "with.", "",
                  "| kernel | file | threads | regs | spills (st/ld B) | stack | static smem | dynamic smem at the "
                  "bench sizes | blocks/SM (occupancy), limit |", "|---|---|---:|---:|---:|---:|---:|---|---|"]
        for name, u in cuda["kernels"].items():
            if "error" in u:
                lines.append(f"| {name} | compile error: {u['error']} | | | | | | | |")
                continue
            threads = cuda["threads"].get(name) or 256
            dyns = sorted(dyn.get(name, {0}))
            occs = []
            for d in dyns:
                o = occupancy(u["regs"], threads, u["smem"] + d)
                occs.append(f"{o['blocks']} ({100 * o['occupancy']:.0f}%), {o['limiter']}"
                            + (f" at {d / 1024:.1f} KiB" if d else ""))
            dcell = ", ".join(f"{d / 1024:.1f} KiB" for d in dyns) if dyns != [0] else "-"
            lines.append(f"| {name} | {u['file']} | {threads} | {u['regs']} | {u['spill_stores']}/{u['spill_loads']} "
                         f"| {u['stack']} | {u['smem']} B | {dcell} | {'; '.join(occs)} |")
            if u["spill_stores"] or u["spill_loads"]:
                spill_rows.append((f"nvcc {cuda['nvcc']}", name, u))
        lines.append("")
    lines += ["## Spills", ""]
    if spill_rows:
        lines += [f"- {who}: {what}: {r['spill_stores']} B stored / {r['spill_loads']} B loaded per thread"
                  for who, what, r in spill_rows]
    else:
        lines += ["No kernel spills: every Triton variant above (under each Triton version) and every CUDA "
                  "kernel reports 0 bytes spill stores / loads."]
    frames = [(n, v, _worst([r for _, r in g[v]])) for n, g in zip(names, groups) for v in g]
    frames = [(n, v, r) for n, v, r in frames if "error" not in r and r.get("stack_frame")]
    if frames:
        lines += ["", "Stack frames without spill traffic (ptxas keeps a few bytes of local memory, e.g. for "
                  "a 64-bit value it re-materialises): "
                  + "; ".join(f"{n}: {v.split(' [')[0]} {r['stack_frame']} B" for n, v, r in frames) + "."]
    lines.append("")
    lines += _model_sections(cases)
    return "\n".join(lines) + "\n"


def _summary(cases, names, groups, cuda) -> list[str]:
    out = ["## Summary", ""]
    for n, g in zip(names, groups):
        res = {v: _worst([r for _, r in items]) for v, items in g.items()}
        errors = [v for v, r in res.items() if "error" in r]
        ok = {v: r for v, r in res.items() if "error" not in r}
        spills = [v for v, r in ok.items() if r["spill_stores"] or r["spill_loads"]]
        occ = {v: occupancy(r["regs"], 32 * r["num_warps"], r["shared"]) for v, r in ok.items()}
        low = sorted({v.split(" [")[0].lstrip("_") for v, o in occ.items() if o["occupancy"] <= 0.125})
        out.append(f"- Triton {n}: {len(res)} variants compiled for sm_90, {len(errors)} compile errors, "
                   f"{len(spills)} with spills; registers {min(r['regs'] for r in ok.values())}-"
                   f"{max(r['regs'] for r in ok.values())} per thread; occupancy "
                   f"{100 * min(o['occupancy'] for o in occ.values()):.0f}-"
                   f"{100 * max(o['occupancy'] for o in occ.values()):.0f}% (register-limited at 12.5% or less: "
                   f"{', '.join(low) or 'none'}).")
    if "kernels" in cuda:
        ks = [u for u in cuda["kernels"].values() if "error" not in u]
        sp = sum(1 for u in ks if u["spill_stores"] or u["spill_loads"])
        out.append(f"- CUDA (nvcc {cuda['nvcc']}): {len(ks)} kernel instantiations, {sp} with spills; registers "
                   f"{min(u['regs'] for u in ks)}-{max(u['regs'] for u in ks)} per thread.")
    by_label: dict[str, dict[str, float]] = {}
    for c in cases:
        if c.bench == "bench_gpu_cuda.py":
            by_label.setdefault(c.label, {})[c.backend] = sum(x.time() for x in case_costs(c))
    slow = [(lab, t["cuda"] / t["triton"]) for lab, t in by_label.items() if {"cuda", "triton"} <= set(t)
            and t["cuda"] > 2 * t["triton"]]
    if slow:
        out.append("- Paper model, `bench_gpu_cuda.py`: the CUDA kernels' bound is more than 2x the Triton "
                   "kernels' for " + "; ".join(f"{lab} ({r:.1f}x)" for lab, r in slow)
                   + ". The dense products run on FP32 CUDA cores (66.9 TFLOP/s) against 3xTF32 on tensor "
                     "cores (494.7 / 3 TFLOP/s); the wavelet paths move more bytes (band copies between "
                     "launches).")
    latency = sorted({(c.label, c.backend) for c in cases for x in case_costs(c) if x.roof().startswith("DRAM latency")})
    if latency:
        out.append("- Grid too small for the bandwidth: " + "; ".join(f"{lab} ({b})" for lab, b in latency)
                   + ": the moments kernel runs one 256-thread block per slice, and a resize over all dims has "
                     f"one slice, so one SM streams the tensor twice (Little's law with {DRAM_LATENCY * 1e6:.1f} us "
                     "latency and the 16 loads in flight per thread that its SASS shows).")
    return out + [""]


def _cuda_dynamic_smem(cases: list[Case]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for case in cases:
        for launch in case.trace.launches:
            if launch.backend != "cuda":
                continue
            for c in cuda_cost(launch):
                m = re.search(r"dyn smem (\d+) B", c.note)
                if m:
                    out.setdefault(c.kernel, set()).add(int(m[1]))
    return out


def _model_sections(cases: list[Case]) -> list[str]:
    lines = ["## Paper model of the benchmark cases (H100 SXM5)", "",
             "Per case: every kernel launch of one call (and the torch ops between them), each bounded by "
             "`max(bytes / 3.35 TB/s, FLOPs x work / peak)` and summed. Bytes are DRAM traffic with every "
             "operand read once and every output written once per launch (a two-pass transform reads and "
             "writes its float32 intermediate); re-reads of tiles are assumed to hit L2 (50 MiB), which "
             "is optimistic for the axis kernel on inputs past L2: each program reads a full column strip of "
             "`x`, so `x` is fetched ceil(M / BLOCK_M) times unless concurrently running programs share it. "
             "FLOPs are the useful ones (a DCT along a dim of length n is a dense n x n product: 2n per "
             "output element); `work` is 3 for the 3xTF32 split (three TF32 products per float32 product, "
             "the default `FRONT_KERNELS_TRITON_FP32_DOT=tf32x3`); the blocked kernel's FLOPs include the "
             "zero blocks of its 64 x 64 block-diagonal matrix. A grid of fewer blocks than SMs can use only "
             "that many SMs' share of the compute peak (the roof names it); for the autotuned axis kernel "
             "the widest config's grid is used. Launch overheads (~2-5 us each) are not included.", ""]
    benches = list(dict.fromkeys(c.bench for c in cases))
    for bench in benches:
        rows = [c for c in cases if c.bench == bench]
        lines += [f"### {bench}", "",
                  "| case | backend | kernels (launches) | bytes | FLOPs | FLOP/B | roof (of the largest term) | "
                  "expected H100 ms |", "|---|---|---|---:|---:|---:|---|---:|"]
        for c in rows:
            costs = case_costs(c)
            if not costs:
                continue
            byt = sum(x.bytes for x in costs)
            fl = sum(x.flops for x in costs)
            t = sum(x.time() for x in costs)
            big = max(costs, key=lambda x: x.time())
            kern: dict[str, int] = {}
            for x in costs:
                kern[x.kernel] = kern.get(x.kernel, 0) + 1
            kcell = ", ".join(f"{k.lstrip('_')} x{n}" if n > 1 else k.lstrip("_") for k, n in kern.items())
            paths = list(dict.fromkeys(x.note.split(",")[0] for x in costs
                                       if x.note.split(",")[0] in ("3xTF32", "TF32", "bf16 MMA", "fp64 DMMA")
                                       and x.roof() != "DRAM"))
            roof = big.roof() + (f", {' + '.join(paths)}" if paths and not big.roof().startswith("DRAM") else "")
            ai = fl / byt if byt else 0
            lines.append(f"| {c.label} | {c.backend} | {kcell} | {_fmt_bytes(byt)} | {_fmt_flops(fl)} | {ai:.1f} "
                         f"| {roof} | {_fmt_ms(t)} |")
        lines.append("")
        if bench == "bench_transfer.py":
            lines += _transfer_totals(rows)
    return lines


def _transfer_totals(rows: list[Case]) -> list[str]:
    times = {}
    for c in rows:
        m = re.match(r"(i?dctn) ortho \((\d+), (\d+)\)", c.label)
        times[(m[1], (int(m[2]), int(m[3])))] = sum(x.time() for x in case_costs(c))
    shapes = transfer_shapes()
    src = next(k for k in shapes if k.startswith("source"))
    launches = {}
    for c in rows:
        m = re.match(r"(i?dctn) ortho \((\d+), (\d+)\)", c.label)
        launches[(m[1], (int(m[2]), int(m[3])))] = len(c.trace.launches)
    lines = ["The bound of `bench_transfer.py` (one forward `dctn` of every source matrix plus one inverse "
             "`idctn` of every target matrix), from the rows above; the last column adds "
             f"{LAUNCH_OVERHEAD * 1e6:.0f} us per kernel launch, which the small matrices make significant:", "",
             "| direction | matrices (count x shape) | launches | expected H100 ms | with launch overhead |",
             "|---|---|---:|---:|---:|"]
    fwd = sum(n * times[("dctn", s)] for s, n in shapes[src].items())
    nfwd = sum(n * launches[("dctn", s)] for s, n in shapes[src].items())
    for name, counts in shapes.items():
        if name == src:
            continue
        inv = sum(n * times[("idctn", s)] for s, n in counts.items())
        ninv = sum(n * launches[("idctn", s)] for s, n in counts.items())
        desc = "; ".join(f"{n} x {s[0]}x{s[1]}" for s, n in counts.items())
        total = fwd + inv
        lines.append(f"| {src.split(' (')[0]} -> {name} | dctn: "
                     + "; ".join(f"{n} x {s[0]}x{s[1]}" for s, n in shapes[src].items())
                     + f"; idctn: {desc} | {nfwd + ninv} | {_fmt_ms(total)} | "
                     f"{_fmt_ms(total + (nfwd + ninv) * LAUNCH_OVERHEAD)} |")
    return lines + [""]


LAUNCH_OVERHEAD = 4e-6  # s per kernel launch from Python (Triton's launcher), an assumption


# ---------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES,
                   help="square sizes of bench_gpu_triton.py (its defaults)")
    p.add_argument("--other-python", nargs="*", default=[],
                   help="interpreters (other Triton versions) whose Triton readings join the table")
    p.add_argument("--out", type=Path, help="write the markdown here (else print it)")
    p.add_argument("--json", type=Path, help="write this interpreter's Triton readings as JSON and stop")
    p.add_argument("--no-cuda", action="store_true", help="leave out the CUDA kernels")
    args = p.parse_args(argv)
    # the launchers pick GPU tile sizes, and triton.jit helpers compile, only without the interpreter
    os.environ.pop("TRITON_INTERPRET", None)

    def progress(msg):
        print(msg, file=sys.stderr, flush=True)

    progress(f"tracing the benchmark cases (torch {torch.__version__})")
    cases = benchmark_cases(args.sizes, with_cuda=not args.no_cuda)
    run = triton_readings(cases, progress)
    if args.json:
        args.json.write_text(json.dumps(run, indent=1) + "\n")
        return 0
    runs = [run]
    for py in args.other_python:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "readings.json"
            cmd = [py, str(Path(__file__).resolve()), "--json", str(out), "--sizes", *map(str, args.sizes)]
            progress(f"running {' '.join(cmd)}")
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
            subprocess.run(cmd, check=True, env=env)
            runs.append(json.loads(out.read_text()))
    cuda = {"error": "left out (--no-cuda)"} if args.no_cuda else cuda_readings()
    command = "python bench/gpu_resources.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = render(cases, runs, cuda, command.strip())
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        progress(f"written: {args.out}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Run the CUDA kernels of csrc/ on the CPU, through the real bindings and the
Python backend, and compare with the reference backend.

    python csrc/sim/simulate.py [--build-dir DIR]

Each ``csrc/*.cu`` is rewritten for :file:`shim.h` (``kernel<<<grid, block, smem,
stream>>>(...)`` becomes a call of ``cpu_launch``; ``__shared__`` arrays become
block-wide statics), compiled with the host C++ compiler together with
``bindings.cpp`` and :file:`runtime_stubs.cpp` into a stand-in ``_cuda`` module,
and the CUDA backend's launchers are pointed at it with CPU tensors. Every
kernel body, launcher, binding and wrapper is the shipped code; only the
execution model (threads, barriers, shared memory) is simulated. It checks
index arithmetic, strides, packing, dtypes and the adjoint (backward) kernels
without a GPU; it says nothing about speed or about races the barrier
simulation cannot show (run compute-sanitizer on a GPU for those).
Exit status 0 when every case matches.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import re
import subprocess
import sys
import sysconfig
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
CSRC = HERE.parent
ROOT = CSRC.parent


def _cuda_include() -> str:
    for home in ("/usr/local/cuda",):
        if Path(home, "include", "cuda_runtime.h").is_file():
            return str(Path(home, "include"))
    raise SystemExit("simulate.py needs the CUDA headers (cuda_runtime.h, cuda_fp16.h, cuda_bf16.h)")


def build(out: Path) -> Path:
    import pybind11

    out.mkdir(parents=True, exist_ok=True)
    for cu in sorted(CSRC.glob("*.cu")):
        s = cu.read_text().replace('#include "kernels.h"', '#include "kernels.h"\n#include "shim.h"')
        s = s.replace("extern __shared__ float smem[];", "float* smem = sim_smem_buf;").replace("__shared__", "static")
        s = re.sub(r"(\w+(?:<[^<>]*>)?)<<<(.*?)>>>\(", r"cpu_launch(\1, \2)(", s)
        s = re.sub(r"__launch_bounds__\(\w+\)", "", s)
        (out / f"{cu.stem}.cpp").write_text(s)
    sources = sorted(out.glob("*.cpp")) + [CSRC / "bindings.cpp", HERE / "runtime_stubs.cpp"]
    flags = ["-std=c++20", "-O1", "-fPIC", "-w", f"-I{HERE}", f"-I{CSRC}", f"-I{_cuda_include()}",
             f"-I{pybind11.get_include()}", f"-I{sysconfig.get_paths()['include']}"]

    def compile_one(src: Path) -> Path:
        obj = out / (src.stem + ".o")
        subprocess.run(["c++", *flags, "-c", str(src), "-o", str(obj)], check=True)
        return obj

    with ThreadPoolExecutor() as pool:
        objects = list(pool.map(compile_one, sources))
    module = out / "mod" / f"_cuda{sysconfig.get_config_var('EXT_SUFFIX')}"
    module.parent.mkdir(exist_ok=True)
    subprocess.run(["c++", "-shared", "-o", str(module), *map(str, objects), "-lpthread"], check=True)
    return module


def load(module: Path):
    spec = importlib.util.spec_from_file_location("_cuda", module)
    sim = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sim)
    return sim


def point_backend_at(sim) -> None:
    """Let the launchers hand CPU tensors to the simulated module (dtype/layout checks stay)."""
    from front_kernels._backends.cuda import _ext, _launch, _ops

    def check_operand(t, name, *, device=None, dtypes=tuple(_ext.DTYPE_CODES), contiguous=False, ndim=None):
        if t.dtype not in dtypes:
            raise TypeError(f"{name}: dtype {t.dtype}")
        if (contiguous and not t.is_contiguous()) or (ndim is not None and t.ndim != ndim):
            raise ValueError(f"{name}: layout {tuple(t.shape)} {t.stride()}")
        return t

    _launch.check_operand = check_operand
    _launch.launch_args = lambda t: (0, 0)
    _launch.extension = lambda: sim
    _ops._shared_bytes_limit = lambda device: sim.max_shared_bytes(0)


def cases():
    """(name, tolerance, value of max |got - ref| / max |ref|) for every checked output."""
    from front_kernels._backends import reference
    from front_kernels._backends.cuda import _ops
    from front_kernels.wavelets import get_wavelet

    cb = importlib.import_module("front_kernels._backends.cuda")
    g = torch.Generator().manual_seed(0)

    def rnd(*shape):
        return torch.randn(*shape, generator=g)

    def rel(a, b):
        a, b = a.double(), b.double()
        return ((a - b).abs().max() / b.abs().max().clamp_min(1e-30)).item()

    for shape, dims in [((2, 3, 19, 13), (2, 3)), ((3, 17), (1,)), ((4, 70, 9), (1,)), ((5, 130), (1,))]:
        for t, norm, inv in [(2, "ortho", False), (3, "backward", True), (1, "forward", False), (4, "ortho", True)]:
            x = rnd(*shape)
            yield "dct", 1e-5, rel(cb.dct(x, t, dims, norm, inv), reference.dct(x.double(), t, dims, norm, inv))
    x = rnd(7, 5, 22).transpose(0, 2)[::2]
    yield "dct non-contiguous", 1e-5, rel(cb.dct(x, 3, (0, 2), "ortho", True),
                                          reference.dct(x.double(), 3, (0, 2), "ortho", True))
    for dt in (torch.float16, torch.bfloat16):
        x = rnd(2, 9, 21).to(dt)
        yield f"dct {dt}", 2e-2, rel(cb.dct(x, 2, (1, 2), "ortho", False), reference.dct(x.double(), 2, (1, 2), "ortho", False))
    for block, shape in [(8, (2, 3, 24, 40)), (12, (2, 36, 24)), (64, (1, 64, 128))]:
        for norm, inv in [("ortho", False), ("backward", True)]:
            x = rnd(*shape)
            yield "blocked_dct2", 1e-5, rel(cb.blocked_dct2(x, block, norm, inv),
                                            reference.blocked_dct2(x.double(), block, norm, inv))
    x = rnd(40, 3, 24).permute(1, 2, 0)
    yield "blocked_dct2 non-contiguous", 1e-5, rel(cb.blocked_dct2(x, 8, "ortho", False),
                                                   reference.blocked_dct2(x.double(), 8, "ortho", False))
    for rescale_std in (False, True):
        x = 3 * rnd(2, 5, 9, 13) + 1
        mats = [rnd(3, 5).double(), None, rnd(21, 13).double()]
        m32 = [None if m is None else m.float() for m in mats]
        yield "resize", 1e-5, rel(cb.resize(x, m32, rescale_std), reference.resize(x.double(), mats, rescale_std))
        xb = x.to(torch.bfloat16)
        yield "resize bfloat16", 3e-2, rel(cb.resize(xb, m32, rescale_std), reference.resize(xb.double(), mats, rescale_std))
    for fused in (True, False):
        _ops.FUSED_2D = fused
        tag = "fused" if fused else "per level"
        for name, mode, shape, level in [("haar", "periodization", (2, 16, 16), 3), ("haar", "zero", (3, 13, 10), 2),
                                         ("db2", "symmetric", (2, 1, 17, 23), 2), ("db3", "periodization", (21, 11), 2),
                                         ("db4", "zero", (2, 30, 19), 1), ("db2", "reflect", (2, 12, 9), 2)]:
            x, w = rnd(*shape), get_wavelet(name)
            dims = (x.ndim - 2, x.ndim - 1)
            got, exp = cb.wavedecn(x, w, mode, level, dims), reference.wavedecn(x.double(), w, mode, level, dims)
            yield f"wavedec2 {tag}", 1e-5, max([rel(got[0], exp[0])] + [rel(gd[k], ed[k]) for gd, ed in
                                                                          zip(got[1:], exp[1:]) for k in ed])
            yield f"waverec2 {tag}", 1e-5, rel(cb.waverecn(got, w, mode, dims), reference.waverecn(exp, w, mode, dims))
            xg, xr = x.clone().requires_grad_(True), x.double().requires_grad_(True)
            cg, cr = cb.wavedecn(xg, w, mode, level, dims), reference.wavedecn(xr, w, mode, level, dims)
            weights = [cr[0].detach()] + [cr[1][k].detach() for k in cr[1]]
            lg = (cg[0] * weights[0].float()).sum() + sum((cg[1][k] * v.float()).sum() for k, v in zip(cr[1], weights[1:]))
            lr = (cr[0] * weights[0]).sum() + sum((cr[1][k] * v).sum() for k, v in zip(cr[1], weights[1:]))
            yield f"wavedec2 backward {tag}", 1e-5, rel(torch.autograd.grad(lg, xg)[0], torch.autograd.grad(lr, xr)[0])
            leaves = [got[0].detach().clone().requires_grad_(True)] + [
                {k: v.detach().clone().requires_grad_(True) for k, v in d.items()} for d in got[1:]]
            ref_leaves = [leaves[0].detach().double().requires_grad_(True)] + [
                {k: v.detach().double().requires_grad_(True) for k, v in d.items()} for d in leaves[1:]]
            y = cb.waverecn(leaves, w, mode, dims)
            yw = rnd(*y.shape)
            flat = [leaves[0]] + [v for d in leaves[1:] for v in d.values()]
            ref_flat = [ref_leaves[0]] + [v for d in ref_leaves[1:] for v in d.values()]
            grads = torch.autograd.grad((y * yw).sum(), flat)
            ref_grads = torch.autograd.grad((reference.waverecn(ref_leaves, w, mode, dims) * yw.double()).sum(), ref_flat)
            yield f"waverec2 backward {tag}", 1e-5, max(rel(a, b) for a, b in zip(grads, ref_grads))
        x = rnd(3, 2, 37, 26).to(torch.bfloat16)
        w = get_wavelet("db2")
        c, e = cb.wavedecn(x, w, "periodization", 2, (2, 3)), reference.wavedecn(x.double(), w, "periodization", 2, (2, 3))
        yield f"wavedec2 bfloat16 {tag}", 2e-2, rel(c[0], e[0])
    _ops.FUSED_2D = True
    x = rnd(9, 6, 11).transpose(0, 2)
    w = get_wavelet("db3")
    for dims, mode in (((0, 1, 2), "symmetric"), ((2, 1), "zero"), ((1, 2), "periodization")):
        got, exp = cb.dwtn(x, w, mode, dims), reference.dwtn(x.double(), w, mode, dims)
        yield "dwtn", 1e-5, max(rel(got[k], exp[k]) for k in exp)
        part = {k: (None if k.endswith("d") else v) for k, v in got.items()}
        part_ref = {k: (None if k.endswith("d") else v) for k, v in exp.items()}
        yield "idwtn", 1e-5, rel(cb.idwtn(part, w, mode, dims), reference.idwtn(part_ref, w, mode, dims))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build-dir", type=Path, default=None, help="where to build (default: a temporary folder)")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        sim = load(build(args.build_dir or Path(tmp)))
        point_backend_at(sim)
        worst: dict[str, tuple[float, float]] = {}
        for name, tol, err in cases():
            old = worst.get(name, (tol, 0.0))
            worst[name] = (tol, max(old[1], err))
    failed = [n for n, (tol, err) in worst.items() if not err <= tol]
    for name, (tol, err) in worst.items():
        print(f"{'FAIL' if name in failed else 'ok  '} {name:<32} max rel err {err:.2e} (tolerance {tol:.0e})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

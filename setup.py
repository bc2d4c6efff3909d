"""Build script: pure Python package plus, when nvcc is available, the CUDA
extension ``front_kernels._cuda`` (pybind11 on raw device pointers, so it
needs the CUDA runtime and pybind11 only, not a CUDA build of torch).

Environment:
  FRONT_KERNELS_BUILD_CUDA=1   build the extension (error if nvcc is missing)
  FRONT_KERNELS_BUILD_CUDA=0   never build it (pure Python install)
  unset                        build it when nvcc is found
  FRONT_KERNELS_CUDA_ARCHS     semicolon list of SM versions, default "80;90"

The .cu files in csrc/ are compiled by nvcc (through ninja when it is
installed, else one nvcc process per file, in parallel), the bindings by the
host C++ compiler; the CUDA runtime is linked statically, so importing the
module needs no CUDA libraries and works on machines without a GPU.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
CSRC = ROOT / "csrc"
EXT_NAME = "front_kernels._cuda"


def _find_nvcc() -> str | None:
    for home in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH")):
        if home and (Path(home) / "bin" / "nvcc").is_file():
            return str(Path(home) / "bin" / "nvcc")
    return shutil.which("nvcc") or (
        "/usr/local/cuda/bin/nvcc" if Path("/usr/local/cuda/bin/nvcc").is_file() else None
    )


def _cuda_home(nvcc: str) -> Path:
    candidates = [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"),
                  str(Path(os.path.realpath(nvcc)).parent.parent), "/usr/local/cuda"]
    for home in candidates:
        if home and (Path(home) / "include" / "cuda_runtime.h").is_file():
            return Path(home)
    raise RuntimeError(f"cannot find the CUDA headers for {nvcc}; set CUDA_HOME")


def _want_cuda() -> tuple[bool, str | None]:
    flag = os.environ.get("FRONT_KERNELS_BUILD_CUDA", "").strip()
    nvcc = _find_nvcc()
    if flag == "0":
        return False, None
    if flag == "1":
        if nvcc is None:
            raise RuntimeError("FRONT_KERNELS_BUILD_CUDA=1 but nvcc was not found (set CUDA_HOME or PATH)")
        return True, nvcc
    if flag not in ("", "0", "1"):
        raise RuntimeError(f"FRONT_KERNELS_BUILD_CUDA must be 0 or 1, got {flag!r}")
    return nvcc is not None, nvcc


def _archs() -> list[str]:
    raw = os.environ.get("FRONT_KERNELS_CUDA_ARCHS", "80;90")
    archs = [a.strip().replace(".", "") for a in raw.replace(",", ";").split(";") if a.strip()]
    if not archs or not all(a.isdigit() for a in archs):
        raise RuntimeError(f"FRONT_KERNELS_CUDA_ARCHS must be a ';'-separated list of SM versions, got {raw!r}")
    return archs


def _gencode(archs: list[str]) -> list[str]:
    flags = [f"-gencode=arch=compute_{a},code=sm_{a}" for a in archs]
    newest = max(archs, key=int)  # PTX of the newest arch lets later GPUs JIT-compile
    return flags + [f"-gencode=arch=compute_{newest},code=compute_{newest}"]


class CudaBuildExt(build_ext):
    """Compiles csrc/*.cu with nvcc, csrc/*.cpp with the host compiler, links cudart statically."""

    nvcc: str = ""

    def build_extension(self, ext: Extension) -> None:
        if ext.name != EXT_NAME:
            return super().build_extension(ext)
        import pybind11

        cuda = _cuda_home(self.nvcc)
        tmp = Path(self.build_temp).resolve() / "front_kernels_cuda"
        tmp.mkdir(parents=True, exist_ok=True)
        includes = [str(CSRC), str(cuda / "include"), pybind11.get_include(),
                    __import__("sysconfig").get_paths()["include"]]
        inc = [f"-I{p}" for p in includes]
        nvcc_cmd = [self.nvcc, "-O3", "-std=c++17", "--expt-relaxed-constexpr", "-Xcompiler", "-fPIC",
                    *_gencode(_archs()), *inc]
        cxx = shlex.split(os.environ.get("CXX", "c++"))
        cxx_cmd = [*cxx, "-O2", "-std=c++17", "-fPIC", "-fvisibility=hidden", *inc]
        jobs = []
        for src in sorted(CSRC.glob("*.cu")):
            jobs.append(([*nvcc_cmd, "-c", str(src), "-o"], src, tmp / (src.stem + ".cu.o")))
        for src in sorted(CSRC.glob("*.cpp")):
            jobs.append(([*cxx_cmd, "-c", str(src), "-o"], src, tmp / (src.stem + ".o")))
        objects = [str(obj) for _, _, obj in jobs]
        if shutil.which("ninja"):
            self._compile_ninja(jobs, tmp)
        else:
            self._compile_parallel(jobs)
        out = Path(self.get_ext_fullpath(ext.name)).resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        lib_dirs = [cuda / "lib64", cuda / "lib", cuda / "targets" / "x86_64-linux" / "lib"]
        link = [*cxx, "-shared", "-o", str(out), *objects, *[f"-L{d}" for d in lib_dirs if d.is_dir()],
                "-lcudart_static", "-ldl", "-lrt", "-lpthread"]
        self._run(link)

    def _compile_ninja(self, jobs, tmp: Path) -> None:
        lines = ["ninja_required_version = 1.3"]
        for i, (cmd, src, obj) in enumerate(jobs):
            lines += [f"rule cc{i}", f"  command = {shlex.join(cmd)} $out", f"  description = {src.name}",
                      f"build {obj}: cc{i} {src}"]
        headers = " ".join(str(p) for p in sorted(CSRC.glob("*.h")) + sorted(CSRC.glob("*.cuh")))
        lines = [ln + (f" | {headers}" if ln.startswith("build ") and headers else "") for ln in lines]
        (tmp / "build.ninja").write_text("\n".join(lines) + "\n")
        self._run(["ninja", "-C", str(tmp)])

    def _compile_parallel(self, jobs) -> None:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            for f in [pool.submit(self._run, [*cmd, str(obj)]) for cmd, _, obj in jobs]:
                f.result()

    @staticmethod
    def _run(cmd: list[str]) -> None:
        print(" ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, check=True)


def _ext_modules() -> tuple[list[Extension], dict]:
    want, nvcc = _want_cuda()
    if not want:
        return [], {}
    CudaBuildExt.nvcc = nvcc
    sources = [str(p.relative_to(ROOT)) for p in sorted(CSRC.glob("*.cu")) + sorted(CSRC.glob("*.cpp"))]
    return [Extension(EXT_NAME, sources=sources)], {"build_ext": CudaBuildExt}


# --- CPU extension front_kernels._cpu: fused DCT passes around torch.fft and one
# 2-D DWT level (C++/OpenMP/pybind11, no torch headers).
# FRONT_KERNELS_BUILD_CPU=0 skips it; if the compiler fails it is skipped with a warning (the pure-torch path remains).
CPU_EXT_NAME = "front_kernels._cpu"


def _with_cpu_extension(exts: list[Extension], cmds: dict) -> tuple[list[Extension], dict]:
    if os.environ.get("FRONT_KERNELS_BUILD_CPU", "").strip() == "0":
        return exts, cmds
    try:
        import pybind11
    except ImportError:
        print("warning: pybind11 not found; front_kernels._cpu is not built", file=sys.stderr)
        return exts, cmds
    cpu = Extension(CPU_EXT_NAME,
                    sources=["csrc/cpu/module_cpu.cpp", "csrc/cpu/dct2d_cpu.cpp", "csrc/cpu/bands_cpu.cpp",
                             "csrc/cpu/dwt2_cpu.cpp", "csrc/cpu/dct_panel_cpu.cpp", "csrc/cpu/dct_panel_avx512.cpp",
                             "csrc/cpu/dct_panel_avx2.cpp", "csrc/cpu/dct_panel_base.cpp"],
                    depends=["csrc/cpu/common.h", "csrc/cpu/dct2d.h", "csrc/cpu/dct_panel.h",
                             "csrc/cpu/dct_panel_plan.h"], include_dirs=[pybind11.get_include()],
                    language="c++", extra_compile_args=["-O3", "-fopenmp", "-std=c++17", "-fvisibility=hidden"],
                    extra_link_args=["-fopenmp"])
    base = cmds.get("build_ext", build_ext)

    class OptionalCpuBuildExt(base):
        def build_extension(self, ext: Extension) -> None:
            if ext.name != CPU_EXT_NAME:
                return super().build_extension(ext)
            try:
                super().build_extension(ext)
            except Exception as exc:  # optional: never fail the install over the CPU fast path
                print(f"warning: building {CPU_EXT_NAME} failed ({exc}); the pure-torch CPU path will be used",
                      file=sys.stderr)

    return [*exts, cpu], {**cmds, "build_ext": OptionalCpuBuildExt}


_exts, _cmds = _ext_modules()
_exts, _cmds = _with_cpu_extension(_exts, _cmds)
setup(ext_modules=_exts, cmdclass=_cmds)

"""Run a peer library's own test module against front_kernels.

:func:`load` reads the installed peer test file (scipy's and PyWavelets' wheels ship them;
:func:`load_vendored` reads the verbatim copies in ``vendored/`` of those whose wheels do not:
torch-dct and ptwt), replaces the imports that name the peer's transforms with the shims of this folder, and
executes it into the calling test module's namespace, so pytest collects the peer's tests
(and fixtures) as ours. The peer's other imports (numpy, pytest, scipy.fftpack as an
oracle, pywt internals) stay as they are.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path


def peer_path(package: str, relpath: str) -> Path:
    return Path(importlib.util.find_spec(package).origin).parent / relpath


VENDORED = Path(__file__).parent / "vendored"


def load(namespace: dict, package: str, relpath: str, replace: dict[str, str]) -> None:
    path = peer_path(package, relpath)
    if not path.is_file():  # some builds of the peer (system images, slimmed wheels) leave their tests out
        import importlib.metadata

        import pytest

        pytest.skip(f"{package} {importlib.metadata.version(package)} is installed without its own test file "
                    f"{relpath}", allow_module_level=True)
    _exec(namespace, path, replace)


def load_vendored(namespace: dict, relpath: str, replace: dict[str, str]) -> None:
    _exec(namespace, VENDORED / relpath, replace)


def _exec(namespace: dict, path: Path, replace: dict[str, str]) -> None:
    src = path.read_text()
    for old, new in replace.items():
        if old not in src:
            raise RuntimeError(f"{path}: expected {old!r} to replace; the peer test file changed")
        src = src.replace(old, new)
    namespace["__peer_file__"] = str(path)
    src = src.replace("__file__", "__peer_file__")
    exec(compile(src, str(path), "exec"), namespace)

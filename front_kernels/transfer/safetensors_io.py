"""Reading and writing the safetensors format without trusting the file.

A safetensors file is ``n`` (8 bytes, little-endian), an ``n``-byte JSON
header ``{name: {"dtype": D, "shape": [...], "data_offsets": [b, e]}, ...,
"__metadata__": {str: str}}``, then the data: tensor ``name`` is the bytes
``[8 + n + b, 8 + n + e)``, row-major, little-endian.

:func:`read_header` checks everything before any tensor is allocated: the
header length (at most :data:`MAX_HEADER_BYTES` and inside the file), that
the header is a JSON object of well-formed entries, that every entry's byte
count equals ``prod(shape) * itemsize`` and that its bytes lie inside the
file. Every failure is a :class:`~.errors.CheckpointError` naming the file
(and the entry). :func:`read_tensor` then reads one tensor with plain reads
into a fresh tensor (no memory map, so reading a group costs that group's
bytes, not the file's).

:class:`SafetensorsWriter` writes a file whose tensors are known up front
(names, dtypes, shapes): the header first, then each tensor at its offset as
it arrives, in any order, so no tensor waits in memory for the others.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from .errors import CheckpointError

MAX_HEADER_BYTES = 100_000_000  # the limit of the safetensors reference implementation

DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
          "F8_E4M3": torch.float8_e4m3fn, "F8_E5M2": torch.float8_e5m2,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
          "U64": torch.uint64, "U32": torch.uint32, "U16": torch.uint16, "U8": torch.uint8, "BOOL": torch.bool}
CODES = {v: k for k, v in DTYPES.items()}


@dataclass(frozen=True)
class Entry:
    """One tensor of a safetensors file: dtype, shape and absolute byte range in the file."""

    dtype: torch.dtype
    shape: tuple[int, ...]
    start: int
    end: int

    @property
    def nbytes(self) -> int:
        return self.end - self.start


def _bad(path, what: str) -> CheckpointError:
    return CheckpointError(f"cannot read safetensors file {path}: {what}")


def read_header(path: Path) -> tuple[dict[str, Entry], dict[str, str]]:
    """``(entries, metadata)`` of the safetensors file ``path``, fully validated."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            head = fh.read(8)
            if len(head) < 8:
                raise _bad(path, f"truncated header ({len(head)} bytes)")
            n = int.from_bytes(head, "little")
            if n > MAX_HEADER_BYTES:
                raise _bad(path, f"header of {n} bytes is larger than the {MAX_HEADER_BYTES} allowed")
            if n > size - 8:
                raise _bad(path, f"truncated header (says {n} bytes, the file holds {size - 8})")
            raw = fh.read(n)
    except OSError as exc:
        raise _bad(path, exc.strerror or str(exc)) from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _bad(path, f"corrupt header ({type(exc).__name__}: {str(exc)[:200]})") from None
    if not isinstance(header, dict):
        raise _bad(path, f"the header must be a JSON object, got {type(header).__name__}")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _bad(path, "'__metadata__' must be an object of strings")
    data = 8 + n
    entries = {name: _entry(path, name, spec, data, size) for name, spec in header.items()}
    return entries, metadata


def _entry(path, name: str, spec, data_start: int, size: int) -> Entry:
    if not isinstance(spec, dict):
        raise _bad(path, f"entry {name!r} must be an object, got {type(spec).__name__}")
    missing = [k for k in ("dtype", "shape", "data_offsets") if k not in spec]
    if missing:
        raise _bad(path, f"entry {name!r} has no {missing[0]!r}")
    code, shape, offsets = spec["dtype"], spec["shape"], spec["data_offsets"]
    if not isinstance(code, str) or code not in DTYPES:
        raise _bad(path, f"entry {name!r} has dtype {code!r}, which front_kernels does not read "
                         f"(it reads {', '.join(DTYPES)})")
    if not isinstance(shape, list) or not all(_is_count(s) for s in shape):
        raise _bad(path, f"entry {name!r} has shape {str(shape)[:100]}, not a list of non-negative integers")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_count(o) for o in offsets) \
            or offsets[0] > offsets[1]:
        raise _bad(path, f"entry {name!r} has data_offsets {str(offsets)[:100]}, not [begin, end] with "
                         f"0 <= begin <= end")
    dtype = DTYPES[code]
    need = math.prod(shape) * _itemsize(dtype)
    if offsets[1] - offsets[0] != need:
        raise _bad(path, f"entry {name!r} of shape {tuple(shape)} {code} needs {need} bytes, its data_offsets "
                         f"give {offsets[1] - offsets[0]}")
    start, end = data_start + offsets[0], data_start + offsets[1]
    if end > size:
        raise _bad(path, f"truncated: entry {name!r} ends at byte {end}, the file has {size}")
    return Entry(dtype, tuple(shape), start, end)


def _is_count(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _itemsize(dtype: torch.dtype) -> int:
    return torch.empty((), dtype=dtype).element_size()


def _bytes_view(t: torch.Tensor):
    """A writable ``uint8`` numpy view of the contiguous tensor ``t``'s memory."""
    flat = t.reshape(-1)
    if flat.dtype != torch.uint8:
        flat = flat.view(torch.uint8)
    return flat.numpy()


def read_tensor(path, entry: Entry, out: torch.Tensor | None = None) -> torch.Tensor:
    """The tensor ``entry`` of file ``path``, read into freshly allocated memory, or into ``out`` (a
    contiguous CPU tensor of the entry's dtype and number of elements, returned viewed as its shape)."""
    if out is None:
        t = torch.empty(entry.shape, dtype=entry.dtype)
    else:
        if out.dtype != entry.dtype or out.numel() != math.prod(entry.shape) or not out.is_contiguous() \
                or out.device.type != "cpu":
            raise ValueError("read_tensor: out must be a contiguous CPU tensor of the entry's dtype and size")
        t = out.view(entry.shape)
    view = memoryview(_bytes_view(t))
    try:
        with open(path, "rb", buffering=0) as fh:
            fh.seek(entry.start)
            got = 0
            while got < entry.nbytes:
                k = fh.readinto(view[got:])
                if not k:
                    raise _bad(path, f"the file ended after {entry.start + got} of the "
                                     f"{entry.end} bytes it needs")
                got += k
    except OSError as exc:
        raise _bad(path, exc.strerror or str(exc)) from None
    return t


class SafetensorsWriter:
    """A safetensors file laid out before its tensors exist.

    ``layout``: ``[(name, dtype, shape), ...]`` in file order. The header is
    written at once and the file extended to its full size; :meth:`write`
    stores one tensor at its offset; :meth:`close` checks that every tensor
    was written. The file is created with mode ``0o666`` (the umask applies)
    and must not exist yet.
    """

    def __init__(self, path, layout, metadata: dict | None = None):
        self.path = Path(path)
        header, offset = {}, 0
        self._layout = {}
        for name, dtype, shape in layout:
            n = math.prod(shape) * _itemsize(dtype)
            header[name] = {"dtype": CODES[dtype], "shape": [int(s) for s in shape],
                            "data_offsets": [offset, offset + n]}
            self._layout[name] = (dtype, tuple(int(s) for s in shape), offset)
            offset += n
        header = {"__metadata__": {"format": "pt", **(metadata or {})}, **header}
        raw = json.dumps(header, separators=(",", ":")).encode()
        raw += b" " * (-len(raw) % 8)
        self._data = 8 + len(raw)
        self.size = self._data + offset
        self._left = set(self._layout)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            self._pwrite(len(raw).to_bytes(8, "little") + raw, 0)
            os.ftruncate(self._fd, self.size)
        except BaseException:
            self.abort()
            raise

    def _pwrite(self, data, offset: int) -> None:
        view = memoryview(data)
        while len(view):
            k = os.pwrite(self._fd, view, offset)
            view, offset = view[k:], offset + k

    def write(self, name: str, tensor: torch.Tensor) -> None:
        dtype, shape, offset = self._layout[name]
        if tensor.dtype != dtype or tuple(tensor.shape) != shape:
            raise RuntimeError(f"tensor {name!r} is {tuple(tensor.shape)} {tensor.dtype}; the layout of "
                               f"{self.path.name} expects {shape} {dtype}")
        t = tensor.detach().to("cpu").contiguous()
        self._pwrite(_bytes_view(t), self._data + offset)
        self._left.discard(name)

    @property
    def complete(self) -> bool:
        return not self._left

    def close(self) -> None:
        if self._left:
            raise RuntimeError(f"{self.path.name} is incomplete: {sorted(self._left)[:3]} were never written")
        os.close(self._fd)
        self._fd = None

    def abort(self) -> None:
        """Close and delete the file (after a failure)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.path.unlink(missing_ok=True)

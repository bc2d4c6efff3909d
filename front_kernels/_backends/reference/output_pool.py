r"""Recycled memory for the large outputs of the CPU wavelet levels.

A fresh buffer is resident only after the kernel has zeroed each of its pages on first touch:
on the 2-core VM a fresh 54 MB float64 output (a ``12 x 384 x 1536`` stack) costs 5-12 ms of
page faults and zeroing, as long as the wavelet level that fills it (``dwt2`` then takes
16-19 ms instead of 7-8 ms). So an output of at least :data:`MIN_BYTES` is carved from an
anonymous mapping that is recycled, as a caching allocator does: the tensor returned by
:func:`empty` owns its mapping until its last view (or storage reference) is gone; then the
mapping goes back on a free list, keyed by its exact size, and the next output of that size
reuses it with its pages already resident.

At most :data:`limit_bytes` of unused mappings are kept (the oldest are unmapped first), a
larger output always gets a fresh mapping, and :func:`release` (called by
:func:`front_kernels.clear_workspace`) unmaps every unused one. Mappings are advised onto
transparent huge pages, 2 MiB aligned. A pooled tensor is an ordinary CPU tensor except that
its storage cannot be resized (``resize_`` past its size raises, as for
:func:`torch.frombuffer`).
"""
from __future__ import annotations

import math
import mmap
import threading
import weakref

import torch

MIN_BYTES = 8 << 20
"""Outputs smaller than this come from :func:`torch.empty` (glibc recycles them itself)."""

limit_bytes = 256 << 20
"""Most bytes of unused mappings kept for reuse; outputs above it are never pooled."""

_HUGE = 2 << 20
_lock = threading.RLock()  # re-entrant: a collected tensor's finalizer may run inside a locked section
_free: list[tuple[int, mmap.mmap]] = []  # (size, mapping), oldest first


def _free_bytes() -> int:
    return sum(size for size, _ in _free)


def _give_back(size: int, mm: mmap.mmap) -> None:
    """Finalizer of a handed-out view: put its mapping on the free list, trimmed to the limit."""
    with _lock:
        _free.append((size, mm))
        while _free and _free_bytes() > limit_bytes:
            _free.pop(0)[1].close()


def _mapping(size: int) -> mmap.mmap:
    with _lock:
        for i in range(len(_free) - 1, -1, -1):  # the most recently freed first: warmest in cache
            if _free[i][0] == size:
                return _free.pop(i)[1]
    mm = mmap.mmap(-1, size + _HUGE)
    if hasattr(mmap, "MADV_HUGEPAGE"):
        try:
            mm.madvise(mmap.MADV_HUGEPAGE)
        except OSError:  # kernels without transparent huge pages
            pass
    return mm


def empty(shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """An uninitialised contiguous CPU tensor of ``shape`` and ``dtype``, from a recycled mapping
    when it holds at least :data:`MIN_BYTES` and at most :data:`limit_bytes`."""
    count = math.prod(shape)
    size = count * torch.empty((), dtype=dtype).element_size()
    if not MIN_BYTES <= size <= limit_bytes:
        return torch.empty(shape, dtype=dtype)
    mm = _mapping(size)
    view = memoryview(mm)
    base = torch.frombuffer(view, dtype=torch.uint8, count=1)
    offset = -base.data_ptr() % _HUGE
    out = torch.frombuffer(view, dtype=dtype, count=count, offset=offset).view(shape)
    del base
    # torch holds the memoryview until the storage dies; then the mapping is free for reuse
    weakref.finalize(view, _give_back, size, mm)
    return out


def release() -> None:
    """Unmap every unused pooled mapping (those still held by tensors are freed with them)."""
    with _lock:
        while _free:
            _free.pop()[1].close()


def pooled_bytes() -> int:
    """Bytes of unused mappings currently kept for reuse."""
    with _lock:
        return _free_bytes()

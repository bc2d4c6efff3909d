"""One call that gives back the memory the package keeps between calls."""
from __future__ import annotations


def clear_workspace() -> None:
    """Release cached workspace: the native CPU DCT's scratch buffers (of the calling thread), the cached
    resampling and depth matrices of :func:`front_kernels.resize` and the transfer. Later calls rebuild what
    they need."""
    from ._backends.reference import native
    from .transfer.depth import depth_matrix
    from .transforms.resampling import clear_cache

    native.clear_workspace()
    clear_cache()
    depth_matrix.cache_clear()

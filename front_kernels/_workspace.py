"""One call that gives back the memory the package keeps between calls."""
from __future__ import annotations


def clear_workspace() -> None:
    """Release cached workspace: the native CPU DCT's and the CPU wavelet levels' scratch buffers (of the
    calling thread), the unused recycled memory of large CPU wavelet outputs, the cached wavelet filter
    matrices and boundary maps, the cached resampling and depth matrices of :func:`front_kernels.resize`
    and the transfer, and the transfer's coefficient buffers (of every thread). Later calls rebuild what
    they need."""
    from ._backends.reference import dwt, native, native_dwt, output_pool
    from .transfer.chain import release_workspace
    from .transfer.depth import depth_matrix
    from .transforms.resampling import clear_cache

    native.clear_workspace()
    dwt.release_scratch()
    dwt._cache.clear()
    native_dwt.clear_cache()
    output_pool.release()
    clear_cache()
    depth_matrix.cache_clear()
    release_workspace()

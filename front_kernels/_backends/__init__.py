"""Backends: one module (or package) per backend, the same function names in each.

Contract, for every backend (arguments already checked and normalised by the
public layer in :mod:`front_kernels.transforms`):

``dct(x, type, dims, norm, inverse) -> Tensor``
    DCT (or its inverse) of ``type`` in 1..4 along each dim of ``dims``
    (non-negative, unique); ``norm`` in {'backward', 'ortho', 'forward'}.
    Same shape and dtype as ``x``.
``blocked_dct2(x, block, norm, inverse) -> Tensor``
    Tile-local 2-D DCT-II (inverse: DCT-III) of ``block x block`` tiles of the
    last two dims, which are multiples of ``block``.

A backend module may define ``unusable_reason(x) -> str | None`` saying why it
cannot run on ``x``'s device; :mod:`front_kernels._dispatch` asks it.
"""

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

``resize(x, mats, rescale_std) -> Tensor``
    Separable linear resampling of the trailing ``len(mats)`` dims:
    ``y = A_1 (x) A_2 (x) ... . x`` where ``mats[i]`` is an ``(m_i, n_i)`` matrix
    (float32, or float64 for float64 input; ``None`` = identity) acting on
    trailing dim ``i`` (``mats[-1]`` on the last dim). The public layer builds
    the matrices (DCT truncate/pad, DWT analysis/synthesis, rescale factors).
    With ``rescale_std`` the output of every leading-batch element is
    re-standardised to that element's input mean and std over the resized
    dims (std with Bessel's correction, eps 1e-8 added to the output's std).

A backend module may define ``unusable_reason(x) -> str | None`` saying why it
cannot run on ``x``'s device; :mod:`front_kernels._dispatch` asks it.
"""

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

Wavelets (``wavelet`` a :class:`front_kernels.wavelets.Wavelet`, ``mode`` one of
``front_kernels.wavelets.MODES``, ``dims`` non-negative and unique, lengths
already checked; results in the input dtype, computed in float32 for
float16/bfloat16; band keys as ``pywt.dwtn``: character ``j`` is ``'a'``
(low-pass) or ``'d'`` along ``dims[j]``):

``dwtn(x, wavelet, mode, dims) -> dict[str, Tensor]``
    One level over ``dims``: all ``2**len(dims)`` bands, each dim of ``dims``
    resized to ``dwt_coeff_len(n, F, mode)``.
``idwtn(coeffs, wavelet, mode, dims) -> Tensor``
    Inverse of ``dwtn``. Present bands share one shape and dtype; a missing or
    ``None`` band is zeros. Each dim of ``dims`` becomes ``2L - F + 2``
    (``2L`` for ``'periodization'``).
``wavedecn(x, wavelet, mode, level, dims) -> list``
    ``level >= 1`` levels: ``[approx, {details_level}, ..., {details_1}]``, the
    detail dicts without the all-``'a'`` key (``pywt.wavedecn``'s layout).
``waverecn(coeffs, wavelet, mode, dims) -> Tensor``
    Inverse of ``wavedecn`` (at least one detail level; all tensors one dtype;
    ``coeffs[0]`` may be ``None``). Each level's reconstruction is cut to the
    next level's detail shape where it is one sample longer (odd lengths).

A backend module may define ``unusable_reason(x) -> str | None`` saying why it
cannot run on ``x``'s device; :mod:`front_kernels._dispatch` asks it.
"""

r"""Discrete wavelet transforms (PyWavelets' conventions) as Triton filter-bank kernels.

One analysis level along one dim of ``x`` (length ``N``), filters of length
``F = 2K`` (``taps[i, m] = dec_i[F-1-m]``):

.. math:: c_i[o] = \sum_{m=0}^{F-1} \mathrm{taps}[i, m]\; x_{\mathrm{ext}}[2o + m - \ell],
   \qquad o < n_{out},

with ``l = F - 2`` and ``n_out = floor((N + F - 1) / 2)``, or, for
``'periodization'``, ``l = K - 1`` and ``n_out = ceil(N / 2)``. The boundary
extension :math:`x_{ext}[p]` for ``p`` outside ``[0, N)`` is computed in the
kernel from the index map of the mode (``zero``, ``symmetric``,
``periodization``, ``periodic``, ``reflect``, ``antisymmetric``, ``constant``;
``smooth`` and ``antireflect`` as two-sample combinations), so the input is
read once and never padded in memory. ``antireflect`` on an axis shorter than
the filter (which needs repeated reflections) raises ``NotImplementedError``.

One synthesis level (the polyphase form, ``g_i = rec_i``): output sample
``j`` with ``s = j + T``, ``p = s // 2``, ``r = s % 2``,

.. math:: y[j] = \sum_{i\in\{0,1\}} \sum_{m=0}^{K-1} c_i[p + m - S]\; g_i[2(K-1-m) + r],

``c`` indices outside ``[0, L)`` zero (``T = S = 0``, ``2L - F + 2`` outputs)
or wrapped modulo ``L`` (``'periodization'``: ``T = S = K - 1``, ``2L`` outputs).

Both are custom ops (``front_kernels_triton::dwt_analysis`` /
``dwt_synthesis``). Each is the other's adjoint up to the boundary: the
backward of the analysis is the synthesis kernel onto the extended signal
followed by folding the (at most ``F``) extension samples back onto the
samples they copy; the backward of the synthesis is the analysis kernel with
the zero (or periodic) extension. The N-d transforms run one kernel per dim,
keeping the bands of earlier dims stacked in leading dims so that each pass is
a single launch (``2 x ... x 2 x shape``, the layout of the reference backend);
a multi-level decomposition repeats that on the approximation band, which is
read in place (strided) from the previous level's output.
"""
from __future__ import annotations

import functools
import itertools
import math

import torch

from . import haar2d as haar2
from ._runtime import MAX_GRID_YZ, LazyKernel, device_cache, interpreting, triton, tl

MODES = {"zero": 0, "symmetric": 1, "periodization": 2, "periodic": 3, "reflect": 4,
         "antisymmetric": 5, "constant": 6, "smooth": 7, "antireflect": 8}


def _analysis_kernel(
    x_ptr, taps_ptr, y_ptr,
    N, N_OUT, R, LEFT,
    sxb, sxn, sxr,
    sy_band, syb, syo, syr,
    F: tl.constexpr, MODE: tl.constexpr, FP64: tl.constexpr,
    BLOCK_O: tl.constexpr, BLOCK_R: tl.constexpr, O_FAST: tl.constexpr,
):
    # O_FAST: the transformed dim is the contiguous one, so the tile is (rows, outputs)
    # with outputs along the threads' fast axis; otherwise (outputs, rows).
    pid_r = tl.program_id(0)
    pid_o = tl.program_id(1)
    pid_b = tl.program_id(2).to(tl.int64)
    o = (pid_o * BLOCK_O + tl.arange(0, BLOCK_O)).to(tl.int64)
    r = (pid_r * BLOCK_R + tl.arange(0, BLOCK_R)).to(tl.int64)
    if O_FAST:
        o2 = o[None, :]
        r2 = r[:, None]
    else:
        o2 = o[:, None]
        r2 = r[None, :]
    mask = (o2 < N_OUT) & (r2 < R)
    acc_lo = tl.where(mask, 0.0, 0.0)  # zeros in the tile's shape
    if FP64:
        acc_lo = acc_lo.to(tl.float64)
    acc_hi = acc_lo
    x_row = x_ptr + pid_b * sxb + r2 * sxr
    n = N.to(tl.int64)
    for m in tl.static_range(F):
        p = 2 * o2 + m - LEFT
        w1 = (p * 0 + 1).to(acc_lo.dtype)
        if MODE == 0:  # zero
            inside = (p >= 0) & (p < n)
            i1 = tl.where(inside, p, 0)
            w1 = tl.where(inside, w1, 0.0)
        elif MODE == 1:  # symmetric: period 2N, mirrored about the half-sample
            q = ((p % (2 * n)) + 2 * n) % (2 * n)
            i1 = tl.where(q < n, q, 2 * n - 1 - q)
        elif MODE == 2:  # periodization: period N rounded up to even, last sample repeated
            per = n + n % 2
            q = ((p % per) + per) % per
            i1 = tl.minimum(q, n - 1)
        elif MODE == 3:  # periodic
            i1 = ((p % n) + n) % n
        elif MODE == 4:  # reflect: period 2N - 2, mirrored about the edge sample
            per = tl.maximum(2 * n - 2, 1)
            q = ((p % per) + per) % per
            i1 = tl.where(q < n, q, per - q)
        elif MODE == 5:  # antisymmetric
            q = ((p % (2 * n)) + 2 * n) % (2 * n)
            i1 = tl.where(q < n, q, 2 * n - 1 - q)
            w1 = tl.where(q < n, w1, -1.0)
        elif MODE == 6:  # constant
            i1 = tl.minimum(tl.maximum(p, 0), n - 1)
        elif MODE == 7:  # smooth: linear extrapolation from the two edge samples
            below = p < 0
            above = p >= n
            k = tl.where(below, -p, tl.where(above, p - n + 1, 0)).to(acc_lo.dtype)
            i1 = tl.where(below, 0, tl.where(above, n - 1, p))
            i2 = tl.minimum(tl.maximum(tl.where(below, 1, n - 2), 0), n - 1)
            w1 = w1 + k
        else:  # antireflect, one reflection (extension shorter than the signal): 2 x_edge - x_mirror
            below = p < 0
            above = p >= n
            k = tl.where(below | above, 1.0, 0.0).to(acc_lo.dtype)
            i1 = tl.where(below, 0, tl.where(above, n - 1, p))
            i2 = tl.minimum(tl.maximum(tl.where(below, -p, 2 * n - 2 - p), 0), n - 1)
            w1 = w1 + k
        v = tl.load(x_row + i1 * sxn, mask=mask, other=0.0).to(acc_lo.dtype) * w1
        if MODE >= 7:
            v -= tl.load(x_row + i2 * sxn, mask=mask, other=0.0).to(acc_lo.dtype) * k
        acc_lo += tl.load(taps_ptr + m).to(acc_lo.dtype) * v
        acc_hi += tl.load(taps_ptr + F + m).to(acc_lo.dtype) * v
    y_off = pid_b * syb + o2 * syo + r2 * syr
    tl.store(y_ptr + y_off, acc_lo.to(y_ptr.dtype.element_ty), mask=mask)
    tl.store(y_ptr + sy_band + y_off, acc_hi.to(y_ptr.dtype.element_ty), mask=mask)


def _synthesis_kernel(
    c_ptr, taps_ptr, y_ptr,
    L, N_OUT, R, T, S,
    sc_band, scb, scn, scr,
    syb, syn, syr,
    K: tl.constexpr, PERIODIC: tl.constexpr, FP64: tl.constexpr,
    BLOCK_O: tl.constexpr, BLOCK_R: tl.constexpr, O_FAST: tl.constexpr,
):
    pid_r = tl.program_id(0)
    pid_o = tl.program_id(1)
    pid_b = tl.program_id(2).to(tl.int64)
    j1 = (pid_o * BLOCK_O + tl.arange(0, BLOCK_O)).to(tl.int64)
    r1 = (pid_r * BLOCK_R + tl.arange(0, BLOCK_R)).to(tl.int64)
    if O_FAST:
        j = j1[None, :]
        r = r1[:, None]
    else:
        j = j1[:, None]
        r = r1[None, :]
    mask = (j < N_OUT) & (r < R)
    acc = tl.where(mask, 0.0, 0.0)  # zeros in the tile's shape
    if FP64:
        acc = acc.to(tl.float64)
    s = j + T
    p = s // 2
    parity = s % 2
    n = L.to(tl.int64)
    c_row = c_ptr + pid_b * scb + r * scr
    for m in tl.static_range(K):
        q = p + m - S
        if PERIODIC:
            q = ((q % n) + n) % n
            ok = mask
        else:
            ok = mask & (q >= 0) & (q < n)
            q = tl.where((q >= 0) & (q < n), q, 0)
        tap = 2 * (K - 1 - m) + parity
        g_lo = tl.load(taps_ptr + tap).to(acc.dtype)
        g_hi = tl.load(taps_ptr + 2 * K + tap).to(acc.dtype)
        lo = tl.load(c_row + q * scn, mask=ok, other=0.0).to(acc.dtype)
        hi = tl.load(c_row + sc_band + q * scn, mask=ok, other=0.0).to(acc.dtype)
        acc += g_lo * lo + g_hi * hi
    tl.store(y_ptr + pid_b * syb + j * syn + r * syr, acc.to(y_ptr.dtype.element_ty), mask=mask)


# 8 warps and at most 16 tile elements per thread (8 for the synthesis, whose 32 x 128 tile
# spills when the rows are not a multiple of 16): with 4 warps, or 128-output tiles, the
# unrolled taps' int64 index maps need more than 255 registers and spill on sm_90
# (bench/gpu_resources.py)
_GPU_META = {False: {"BLOCK_O": 32, "BLOCK_R": 128}, True: {"BLOCK_O": 64, "BLOCK_R": 32}}
_GPU_META_SYNTHESIS = {False: {"BLOCK_O": 32, "BLOCK_R": 64}, True: {"BLOCK_O": 64, "BLOCK_R": 32}}
_GPU_WARPS = 8
_INTERP_META = {"BLOCK_O": 16, "BLOCK_R": 16}
_ANALYSIS = LazyKernel(_analysis_kernel, do_not_specialize=["N"])
_SYNTHESIS = LazyKernel(_synthesis_kernel, do_not_specialize=["L"])


def _meta(o_fast: bool, synthesis: bool = False) -> dict:
    """Tile sizes; ``o_fast``: the transformed dim is contiguous (see the kernels)."""
    if interpreting():
        return dict(_INTERP_META, O_FAST=o_fast)
    tiles = (_GPU_META_SYNTHESIS if synthesis else _GPU_META)[o_fast]
    return dict(tiles, O_FAST=o_fast, num_warps=_GPU_WARPS)


def _mid(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


def _bnr(t: torch.Tensor, dim: int) -> torch.Tensor:
    """View as (B, N, R) around ``dim``; for the last dim (R == 1) as (1, N, B)."""
    v = t.reshape(math.prod(t.shape[:dim]), t.shape[dim], math.prod(t.shape[dim + 1:]))
    return v.permute(2, 1, 0) if v.shape[2] == 1 else v


def analysis_launch(x: torch.Tensor, taps: torch.Tensor, dim: int, mode: str, left: int, n_out: int,
                    out_dtype: torch.dtype) -> torch.Tensor:
    """Bands ``(2, *x.shape)`` with ``dim`` of length ``n_out`` (see the module docstring)."""
    f = taps.shape[1]
    shape = list(x.shape)
    shape[dim] = n_out
    y = torch.empty([2] + shape, dtype=out_dtype, device=x.device)
    if y.numel() == 0:
        return y
    x3 = _bnr(x, dim)
    y_lo = _bnr(y[0], dim)
    band_stride = y.stride(0)
    fp64 = x.dtype == torch.float64
    taps = taps.to(device=x.device, dtype=_mid(x.dtype)).contiguous()
    meta = _meta(x3.stride(1) == 1)
    nb, n, nr = x3.shape
    for b0 in range(0, nb, MAX_GRID_YZ):
        xb, yb = x3[b0:b0 + MAX_GRID_YZ], y_lo[b0:b0 + MAX_GRID_YZ]
        grid = (triton.cdiv(nr, meta["BLOCK_R"]), triton.cdiv(n_out, meta["BLOCK_O"]), xb.shape[0])
        _ANALYSIS.launch(grid, xb, taps, yb, n, n_out, nr, left, *xb.stride(), band_stride, *yb.stride(),
                         F=f, MODE=MODES[mode], FP64=fp64, **meta)
    return y


def synthesis_launch(c: torch.Tensor, taps: torch.Tensor, dim: int, periodic: bool, t: int, s: int, n_out: int,
                     out_dtype: torch.dtype) -> torch.Tensor:
    """Samples along ``dim`` (``n_out`` of them) from bands ``c`` of shape ``(2, ...)``; ``dim``
    counts the dims of one band."""
    k = taps.shape[1] // 2
    shape = list(c.shape[1:])
    length = shape[dim]
    shape[dim] = n_out
    y = torch.empty(shape, dtype=out_dtype, device=c.device)
    if y.numel() == 0:
        return y
    if not c.is_contiguous():  # both bands must share one (B, L, R) view
        c = c.contiguous()
    c_lo = _bnr(c[0], dim)
    y3 = _bnr(y, dim)
    fp64 = c.dtype == torch.float64
    taps = taps.to(device=c.device, dtype=_mid(c.dtype)).contiguous()
    meta = _meta(c_lo.stride(1) == 1, synthesis=True)
    nb, _, nr = y3.shape
    for b0 in range(0, nb, MAX_GRID_YZ):
        cb, yb = c_lo[b0:b0 + MAX_GRID_YZ], y3[b0:b0 + MAX_GRID_YZ]
        grid = (triton.cdiv(nr, meta["BLOCK_R"]), triton.cdiv(n_out, meta["BLOCK_O"]), cb.shape[0])
        _SYNTHESIS.launch(grid, cb, taps, yb, length, n_out, nr, t, s, c.stride(0), *cb.stride(), *yb.stride(),
                          K=k, PERIODIC=periodic, FP64=fp64, **meta)
    return y


# ----------------------------------------------------------------------------------------------
# custom ops: one level along one dim, each backward the other kernel (the adjoint)


def _edge_map(p: int, n: int, mode: str) -> list[tuple[int, float]]:
    """The extension sample at ``p`` (outside ``[0, n)``) as ``[(index, weight), ...]``; mirrors the kernel."""
    if mode == "zero":
        return []
    if mode == "symmetric":
        q = p % (2 * n)
        return [(q if q < n else 2 * n - 1 - q, 1.0)]
    if mode == "periodization":
        return [(min(p % (n + n % 2), n - 1), 1.0)]
    if mode == "periodic":
        return [(p % n, 1.0)]
    if mode == "reflect":
        per = max(2 * n - 2, 1)
        q = p % per
        return [(q if q < n else per - q, 1.0)]
    if mode == "antisymmetric":
        q = p % (2 * n)
        return [(q, 1.0)] if q < n else [(2 * n - 1 - q, -1.0)]
    if mode == "constant":
        return [(min(max(p, 0), n - 1), 1.0)]
    if mode == "antireflect":
        edge, mirror = (0, -p) if p < 0 else (n - 1, 2 * n - 2 - p)
        return [(edge, 2.0), (mirror, -1.0)]
    k = -p if p < 0 else p - n + 1  # smooth
    i1, i2 = (0, 1) if p < 0 else (n - 1, n - 2)
    return [(i1, 1.0 + k), (min(max(i2, 0), n - 1), -float(k))]


@functools.lru_cache(maxsize=256)
def _fold_plan(n: int, left: int, length: int, mode: str):
    """Positions (in extended coordinates), target indices and weights of the extension samples."""
    pos, idx, wts = [], [], []
    for q in itertools.chain(range(0, left), range(left + n, length)):
        for i, w in _edge_map(q - left, n, mode):
            pos.append(q)
            idx.append(i)
            wts.append(w)
    return pos, idx, wts


def _fold(ext: torch.Tensor, dim: int, n: int, left: int, mode: str) -> torch.Tensor:
    """Adjoint of the boundary extension: ``ext`` (extended along ``dim``) back onto ``n`` samples."""
    out = ext.narrow(dim, left, n)
    # int(): the plan is a Python list over the boundary samples, so symbolic sizes (AOT autograd
    # tracing the backward) are specialised here.
    pos, idx, wts = _fold_plan(int(n), int(left), int(ext.shape[dim]), mode)
    if not pos:
        return out
    dev = ext.device
    shape = [1] * ext.ndim
    shape[dim] = len(wts)
    contrib = ext.index_select(dim, torch.tensor(pos, device=dev)) * torch.tensor(
        wts, dtype=ext.dtype, device=dev).view(shape)
    return out.index_add(dim, torch.tensor(idx, device=dev), contrib)


@torch.library.custom_op("front_kernels_triton::dwt_analysis", mutates_args=())
def dwt_analysis(x: torch.Tensor, taps: torch.Tensor, dim: int, mode: str, left: int, n_out: int,
                 out_dtype: torch.dtype) -> torch.Tensor:
    """Custom op: one analysis level along ``dim``; bands stacked in a new leading dim."""
    return analysis_launch(x, taps, dim, mode, left, n_out, out_dtype)


@dwt_analysis.register_fake
def _(x, taps, dim, mode, left, n_out, out_dtype):
    shape = list(x.shape)
    shape[dim] = n_out
    return x.new_empty([2] + shape, dtype=out_dtype)


def _analysis_setup(ctx, inputs, output):
    x, taps, dim, mode, left, n_out, _ = inputs
    ctx.args = (taps, dim, mode, left, n_out, x.shape[dim], x.dtype)


def _analysis_backward(ctx, grad):
    taps, dim, mode, left, n_out, n, x_dtype = ctx.args
    k = taps.shape[1] // 2
    mid = _mid(x_dtype)
    if mode == "periodization":
        ext = dwt_synthesis(grad, taps, dim, True, k - 1, k - 1, 2 * n_out, mid)
        gx = _fold(ext, dim, n, 0, mode)
    else:
        ext = dwt_synthesis(grad, taps, dim, False, 0, k - 1, 2 * n_out + 2 * k - 2, mid)
        gx = _fold(ext, dim, n, left, mode)
    return gx.to(x_dtype), None, None, None, None, None, None


@torch.library.custom_op("front_kernels_triton::dwt_synthesis", mutates_args=())
def dwt_synthesis(c: torch.Tensor, taps: torch.Tensor, dim: int, periodic: bool, t: int, s: int, n_out: int,
                  out_dtype: torch.dtype) -> torch.Tensor:
    """Custom op: one synthesis level along ``dim`` of the bands ``c[0]``, ``c[1]``."""
    return synthesis_launch(c, taps, dim, periodic, t, s, n_out, out_dtype)


@dwt_synthesis.register_fake
def _(c, taps, dim, periodic, t, s, n_out, out_dtype):
    shape = list(c.shape[1:])
    shape[dim] = n_out
    return c.new_empty(shape, dtype=out_dtype)


def _synthesis_setup(ctx, inputs, output):
    c, taps, dim, periodic, t, s, n_out, _ = inputs
    ctx.args = (taps, dim, periodic, t, s, c.shape[dim + 1], c.dtype)


def _synthesis_backward(ctx, grad):
    taps, dim, periodic, t, s, length, c_dtype = ctx.args
    f = taps.shape[1]
    gc = dwt_analysis(grad, taps, dim, "periodic" if periodic else "zero", f - 2 - 2 * s + t, length, c_dtype)
    return gc, None, None, None, None, None, None, None


dwt_analysis.register_autograd(_analysis_backward, setup_context=_analysis_setup)
dwt_synthesis.register_autograd(_synthesis_backward, setup_context=_synthesis_setup)


# ----------------------------------------------------------------------------------------------
# backend entry points


@device_cache(64)
def _taps(wavelet, analysis: bool, device: torch.device) -> torch.Tensor:
    bank = (wavelet.dec_lo[::-1], wavelet.dec_hi[::-1]) if analysis else (wavelet.rec_lo, wavelet.rec_hi)
    return torch.tensor(bank, dtype=torch.float64, device=device)


def _check_mode(mode: str, wavelet=None, lengths=()) -> None:
    if mode not in MODES:
        raise NotImplementedError(
            f"mode={mode!r} is not implemented by the triton backend (it has {', '.join(MODES)}); "
            f"use backend='reference'"
        )
    if mode == "antireflect" and wavelet is not None:
        short = [n for n in lengths if n < wavelet.dec_len]
        if short:
            raise NotImplementedError(
                f"mode='antireflect' with axes shorter than the filter ({short[0]} < {wavelet.dec_len} taps) "
                f"needs repeated reflections, which the triton backend does not implement; "
                f"use backend='reference'"
            )


def _analysis_one(x, dim, wavelet, mode, out_dtype):
    f = wavelet.dec_len
    n = x.shape[dim]
    _check_mode(mode, wavelet, (n,))
    if mode == "periodization":
        left, n_out = f // 2 - 1, (n + 1) // 2
    else:
        left, n_out = f - 2, (n + f - 1) // 2
    return dwt_analysis(x, _taps(wavelet, True, x.device), dim, mode, left, n_out, out_dtype)


def _synthesis_one(c, dim, wavelet, mode, out_dtype):
    f = wavelet.rec_len
    k = f // 2
    length = c.shape[dim + 1]
    taps = _taps(wavelet, False, c.device)
    if mode == "periodization":
        return dwt_synthesis(c, taps, dim, True, k - 1, k - 1, 2 * length, out_dtype)
    return dwt_synthesis(c, taps, dim, False, 0, 0, 2 * length - f + 2, out_dtype)


def _keys(ndims: int) -> list[str]:
    return ["".join(p) for p in itertools.product("ad", repeat=ndims)]


def _stacked(x, wavelet, mode, dims, out_dtype):
    """All bands of one level, shape ``(2,)*len(dims) + shape`` (index reversed w.r.t. ``dims``)."""
    y = x
    for i, d in enumerate(dims):
        y = _analysis_one(y, d + i, wavelet, mode, out_dtype if i == len(dims) - 1 else _mid(x.dtype))
    return y


def _unstack(y: torch.Tensor, ndims: int) -> dict[str, torch.Tensor]:
    return {key: y[tuple(0 if ch == "a" else 1 for ch in reversed(key))] for key in _keys(ndims)}


def _stack(coeffs: dict, ndims: int) -> torch.Tensor:
    ref = next(v for v in coeffs.values() if v is not None)
    dtype = _mid(ref.dtype)
    flat = []
    for idx in itertools.product((0, 1), repeat=ndims):
        v = coeffs.get("".join("a" if i == 0 else "d" for i in reversed(idx)))
        flat.append(torch.zeros(ref.shape, dtype=dtype, device=ref.device) if v is None else v.to(dtype))
    return torch.stack(flat).reshape((2,) * ndims + tuple(ref.shape))


def _idwtn_stacked(y: torch.Tensor, wavelet, mode, dims, out_dtype) -> torch.Tensor:
    nd = len(dims)
    for j in range(nd - 1, -1, -1):
        y = _synthesis_one(y, dims[j] + j, wavelet, mode, out_dtype if j == 0 else y.dtype)
    return y


def dwtn(x: torch.Tensor, wavelet, mode: str, dims: tuple[int, ...]) -> dict[str, torch.Tensor]:
    """Backend contract: single-level N-d DWT over ``dims`` as ``{'aa..': ..., 'dd..': ...}``."""
    _check_mode(mode)
    return _unstack(_stacked(x, wavelet, mode, dims, x.dtype), len(dims))


def idwtn(coeffs: dict, wavelet, mode: str, dims: tuple[int, ...]) -> torch.Tensor:
    """Backend contract: inverse of :func:`dwtn`; missing or ``None`` bands count as zeros."""
    _check_mode(mode)
    ref = next(v for v in coeffs.values() if v is not None)
    return _idwtn_stacked(_stack(coeffs, len(dims)), wavelet, mode, dims, ref.dtype)


def _haar2_wavedec(x: torch.Tensor, wavelet, level: int) -> list:
    """All levels through the fused 2-D Haar kernel, up to three levels per launch."""
    a, details = x, []
    taps = _taps(wavelet, True, x.device)
    while len(details) < level:
        outs = haar2.haar2_analysis(a, taps, min(haar2.MAX_FUSED_LEVEL, level - len(details)))
        a = outs[0]
        details += [dict(zip(haar2.DETAIL_KEYS, outs[i:i + 3])) for i in range(1, len(outs), 3)]
    return [a] + details[::-1]


def _haar2_fusable(coeffs: list, wavelet, dims) -> bool:
    a = coeffs[0]
    if wavelet.dec_len != 2 or a is None or len(dims) != 2 or tuple(dims) != (a.ndim - 2, a.ndim - 1):
        return False
    shape = tuple(a.shape)
    for d in coeffs[1:]:
        if set(d) != set(haar2.DETAIL_KEYS) or any(v is None or tuple(v.shape) != shape for v in d.values()):
            return False
        shape = shape[:-2] + (2 * shape[-2], 2 * shape[-1])
    return math.prod(shape[:-2]) <= MAX_GRID_YZ


def _haar2_waverec(coeffs: list, wavelet) -> torch.Tensor:
    a = coeffs[0]
    taps = _taps(wavelet, False, a.device)
    details = list(coeffs[1:])  # coarsest first
    while details:
        chunk, details = details[:haar2.MAX_FUSED_LEVEL], details[haar2.MAX_FUSED_LEVEL:]
        bands = [a]
        for d in chunk[::-1]:  # finest of the chunk is its level 1
            bands += [d[k] for k in haar2.DETAIL_KEYS]
        a = haar2.haar2_synthesis(bands, taps)
    return a


def wavedecn(x: torch.Tensor, wavelet, mode: str, level: int, dims: tuple[int, ...]) -> list:
    """Backend contract: ``level`` levels, ``[approx, details_level, ..., details_1]`` as pywt.

    2-D Haar over the last two dims with lengths divisible by ``2**level`` (where
    every mode gives the same numbers) runs the fused kernel of :mod:`.haar2d`."""
    _check_mode(mode)
    if haar2.fused_haar2_applies(x.shape, wavelet, mode, level, dims) and math.prod(x.shape[:-2]) <= MAX_GRID_YZ:
        return _haar2_wavedec(x, wavelet, level)
    nd = len(dims)
    a = x
    details = []
    for _ in range(level):
        y = _stacked(a, wavelet, mode, dims, _mid(x.dtype))
        bands = _unstack(y, nd)
        a = bands.pop("a" * nd)
        details.append({k: v.to(x.dtype) for k, v in bands.items()})
    return [a.to(x.dtype)] + details[::-1]


def waverecn(coeffs: list, wavelet, mode: str, dims: tuple[int, ...]) -> torch.Tensor:
    """Backend contract: inverse of :func:`wavedecn` (odd lengths trimmed as pywt does)."""
    _check_mode(mode)
    if _haar2_fusable(coeffs, wavelet, dims):
        return _haar2_waverec(coeffs, wavelet)
    nd = len(dims)
    a = coeffs[0]
    out_dtype = a.dtype if a is not None else next(v for v in coeffs[1].values() if v is not None).dtype
    for d in coeffs[1:]:
        ref = next((v for v in d.values() if v is not None), None)
        if a is not None and ref is not None:
            a = a[tuple(slice(None, s) for s in ref.shape)]
        bands = dict(d)
        bands["a" * nd] = a
        a = _idwtn_stacked(_stack(bands, nd), wavelet, mode, dims, _mid(out_dtype))
    return a.to(out_dtype)

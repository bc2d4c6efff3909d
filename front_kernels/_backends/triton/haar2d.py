r"""Fused multi-level 2-D Haar transform: all levels in one pass over memory.

For a two-tap filter bank and even lengths there is no boundary extension (every
mode gives the same numbers), so when both transformed dims are the last two
and divisible by ``2^L`` the ``L``-level decomposition of a tile of
``TH x TW`` samples needs nothing outside it. One program loads the tile once
and, per level, splits it into its four polyphase quarters in registers
(reshape + split) and forms, with ``taps = [[lo_0, lo_1], [hi_0, hi_1]]``
(``taps[i, m] = dec_i[1 - m]``),

.. math:: r_i[\cdot, j] = t_{i0}\, x[2\cdot, j] + t_{i1}\, x[2\cdot + 1, j], \qquad
          b_{ik}[\cdot, \cdot] = t_{k0}\, r_i[\cdot, 2\cdot] + t_{k1}\, r_i[\cdot, 2\cdot + 1]

(rows first, as the per-dim kernels), writing the three detail bands of every
level and the final approximation. The synthesis kernel runs the same tile
in reverse (columns first, then rows): ``y[2p + r] = g_0[r] a[p] + g_1[r] d[p]``,
interleaving with join + reshape.

Custom ops ``front_kernels_triton::haar2_analysis`` / ``haar2_synthesis``:
for Haar each is the other's adjoint with the filter roles swapped, so the
backward of one launches the other. Levels 1 to 3 per launch.
"""
from __future__ import annotations

import math

import torch

from ._runtime import MAX_GRID_YZ, LazyKernel, interpreting, triton, tl

MAX_FUSED_LEVEL = 3
DETAIL_KEYS = ("da", "ad", "dd")  # order of a level's detail bands in the ops' lists


def _haar2_analysis_kernel(
    x_ptr, taps_ptr, a_ptr,
    da1_ptr, ad1_ptr, dd1_ptr, da2_ptr, ad2_ptr, dd2_ptr, da3_ptr, ad3_ptr, dd3_ptr,
    H, W,
    sxb, sxh, sxw,
    TH: tl.constexpr, TW: tl.constexpr, LEVEL: tl.constexpr, FP64: tl.constexpr,
):
    pid_w = tl.program_id(0)
    pid_h = tl.program_id(1)
    pid_b = tl.program_id(2).to(tl.int64)
    rows = pid_h.to(tl.int64) * TH + tl.arange(0, TH)
    cols = pid_w.to(tl.int64) * TW + tl.arange(0, TW)
    mask = (rows < H)[:, None] & (cols < W)[None, :]
    x = tl.load(x_ptr + pid_b * sxb + rows[:, None] * sxh + cols[None, :] * sxw, mask=mask, other=0.0)
    if FP64:
        x = x.to(tl.float64)
    else:
        x = x.to(tl.float32)
    l0 = tl.load(taps_ptr).to(x.dtype)
    l1 = tl.load(taps_ptr + 1).to(x.dtype)
    h0 = tl.load(taps_ptr + 2).to(x.dtype)
    h1 = tl.load(taps_ptr + 3).to(x.dtype)
    b = pid_b
    for lev in tl.static_range(1, LEVEL + 1):
        # quarters: q_rc = x[2i + r, 2j + c]; the first split takes the column parity
        q = tl.permute(tl.reshape(x, (TH >> lev, 2, TW >> lev, 2)), (0, 2, 1, 3))
        c0, c1 = tl.split(q)
        q00, q10 = tl.split(c0)
        q01, q11 = tl.split(c1)
        lo_c0 = l0 * q00 + l1 * q10
        lo_c1 = l0 * q01 + l1 * q11
        hi_c0 = h0 * q00 + h1 * q10
        hi_c1 = h0 * q01 + h1 * q11
        hh = H >> lev
        ww = W >> lev
        r_o = pid_h.to(tl.int64) * (TH >> lev) + tl.arange(0, TH >> lev)
        c_o = pid_w.to(tl.int64) * (TW >> lev) + tl.arange(0, TW >> lev)
        m_o = (r_o < hh)[:, None] & (c_o < ww)[None, :]
        off = b * (hh.to(tl.int64) * ww) + r_o[:, None] * ww + c_o[None, :]
        if lev == 1:
            da_ptr, ad_ptr, dd_ptr = da1_ptr, ad1_ptr, dd1_ptr
        elif lev == 2:
            da_ptr, ad_ptr, dd_ptr = da2_ptr, ad2_ptr, dd2_ptr
        else:
            da_ptr, ad_ptr, dd_ptr = da3_ptr, ad3_ptr, dd3_ptr
        out_ty = a_ptr.dtype.element_ty
        tl.store(da_ptr + off, (l0 * hi_c0 + l1 * hi_c1).to(out_ty), mask=m_o)
        tl.store(ad_ptr + off, (h0 * lo_c0 + h1 * lo_c1).to(out_ty), mask=m_o)
        tl.store(dd_ptr + off, (h0 * hi_c0 + h1 * hi_c1).to(out_ty), mask=m_o)
        x = l0 * lo_c0 + l1 * lo_c1
    hh = H >> LEVEL
    ww = W >> LEVEL
    r_o = pid_h.to(tl.int64) * (TH >> LEVEL) + tl.arange(0, TH >> LEVEL)
    c_o = pid_w.to(tl.int64) * (TW >> LEVEL) + tl.arange(0, TW >> LEVEL)
    m_o = (r_o < hh)[:, None] & (c_o < ww)[None, :]
    off = b * (hh.to(tl.int64) * ww) + r_o[:, None] * ww + c_o[None, :]
    tl.store(a_ptr + off, x.to(a_ptr.dtype.element_ty), mask=m_o)


def _haar2_synthesis_kernel(
    a_ptr, da1_ptr, ad1_ptr, dd1_ptr, da2_ptr, ad2_ptr, dd2_ptr, da3_ptr, ad3_ptr, dd3_ptr, taps_ptr, y_ptr,
    H, W,
    syb, syh, syw,
    TH: tl.constexpr, TW: tl.constexpr, LEVEL: tl.constexpr, FP64: tl.constexpr,
):
    pid_w = tl.program_id(0)
    pid_h = tl.program_id(1)
    pid_b = tl.program_id(2).to(tl.int64)
    g0l = tl.load(taps_ptr)
    g1l = tl.load(taps_ptr + 1)
    g0h = tl.load(taps_ptr + 2)
    g1h = tl.load(taps_ptr + 3)
    hh = H >> LEVEL
    ww = W >> LEVEL
    r_o = pid_h.to(tl.int64) * (TH >> LEVEL) + tl.arange(0, TH >> LEVEL)
    c_o = pid_w.to(tl.int64) * (TW >> LEVEL) + tl.arange(0, TW >> LEVEL)
    m_o = (r_o < hh)[:, None] & (c_o < ww)[None, :]
    a = tl.load(a_ptr + pid_b * (hh.to(tl.int64) * ww) + r_o[:, None] * ww + c_o[None, :], mask=m_o, other=0.0)
    if FP64:
        a = a.to(tl.float64)
    else:
        a = a.to(tl.float32)
    g0l = g0l.to(a.dtype)
    g1l = g1l.to(a.dtype)
    g0h = g0h.to(a.dtype)
    g1h = g1h.to(a.dtype)
    for lev in tl.static_range(LEVEL, 0, -1):
        hh = H >> lev
        ww = W >> lev
        r_o = pid_h.to(tl.int64) * (TH >> lev) + tl.arange(0, TH >> lev)
        c_o = pid_w.to(tl.int64) * (TW >> lev) + tl.arange(0, TW >> lev)
        m_o = (r_o < hh)[:, None] & (c_o < ww)[None, :]
        off = pid_b * (hh.to(tl.int64) * ww) + r_o[:, None] * ww + c_o[None, :]
        if lev == 1:
            da_ptr, ad_ptr, dd_ptr = da1_ptr, ad1_ptr, dd1_ptr
        elif lev == 2:
            da_ptr, ad_ptr, dd_ptr = da2_ptr, ad2_ptr, dd2_ptr
        else:
            da_ptr, ad_ptr, dd_ptr = da3_ptr, ad3_ptr, dd3_ptr
        da = tl.load(da_ptr + off, mask=m_o, other=0.0).to(a.dtype)
        ad = tl.load(ad_ptr + off, mask=m_o, other=0.0).to(a.dtype)
        dd = tl.load(dd_ptr + off, mask=m_o, other=0.0).to(a.dtype)
        # columns first: row-band lo from (aa, ad), row-band hi from (da, dd)
        lo_c0 = g0l * a + g0h * ad
        lo_c1 = g1l * a + g1h * ad
        hi_c0 = g0l * da + g0h * dd
        hi_c1 = g1l * da + g1h * dd
        q00 = g0l * lo_c0 + g0h * hi_c0
        q10 = g1l * lo_c0 + g1h * hi_c0
        q01 = g0l * lo_c1 + g0h * hi_c1
        q11 = g1l * lo_c1 + g1h * hi_c1
        q = tl.join(tl.join(q00, q10), tl.join(q01, q11))  # (th, tw, row parity, column parity)
        a = tl.reshape(tl.permute(q, (0, 2, 1, 3)), (TH >> (lev - 1), TW >> (lev - 1)))
    rows = pid_h.to(tl.int64) * TH + tl.arange(0, TH)
    cols = pid_w.to(tl.int64) * TW + tl.arange(0, TW)
    mask = (rows < H)[:, None] & (cols < W)[None, :]
    tl.store(y_ptr + pid_b * syb + rows[:, None] * syh + cols[None, :] * syw,
             a.to(y_ptr.dtype.element_ty), mask=mask)


_ANALYSIS = LazyKernel(_haar2_analysis_kernel)
_SYNTHESIS = LazyKernel(_haar2_synthesis_kernel)


def _tile() -> int:
    return 16 if interpreting() else 64


def fused_haar2_applies(x_shape, wavelet, mode: str, level: int, dims) -> bool:
    """Whether :func:`haar2_analysis` computes ``wavedecn(x, wavelet, mode, level, dims)``."""
    nd = len(x_shape)
    return (wavelet.dec_len == 2 and tuple(dims) == (nd - 2, nd - 1) and 1 <= level <= MAX_FUSED_LEVEL
            and x_shape[-2] % (1 << level) == 0 and x_shape[-1] % (1 << level) == 0)


def _mid(dtype):
    return torch.float64 if dtype == torch.float64 else torch.float32


def _band_shapes(shape, level):
    """Shapes of ``[approx, da_1, ad_1, dd_1, ..., dd_level]``."""
    *lead, h, w = shape
    out = [(*lead, h >> level, w >> level)]
    for lev in range(1, level + 1):
        out += [(*lead, h >> lev, w >> lev)] * 3
    return out


def _leading(shape) -> int:
    nb = math.prod(shape[:-2])
    if nb > MAX_GRID_YZ:
        raise ValueError(f"the fused Haar kernel takes at most {MAX_GRID_YZ} leading elements, got {nb}")
    return nb


def _pad_details(details: list[torch.Tensor]) -> list[torch.Tensor]:
    """Nine detail pointers for the kernel; levels beyond ``LEVEL`` are never touched."""
    return details + [details[-1]] * (3 * MAX_FUSED_LEVEL - len(details))


def analysis_launch(x: torch.Tensor, taps: torch.Tensor, level: int) -> list[torch.Tensor]:
    """``[approx, da_1, ad_1, dd_1, ..., dd_level]`` of the last two dims, contiguous, ``x``'s dtype."""
    *lead, h, w = x.shape
    outs = [torch.empty(s, dtype=x.dtype, device=x.device) for s in _band_shapes(x.shape, level)]
    nb = _leading(x.shape)
    if x.numel() == 0:
        return outs
    x3 = x.reshape(nb, h, w)
    taps = taps.to(device=x.device, dtype=_mid(x.dtype)).contiguous()
    tile = _tile()
    grid = (triton.cdiv(w, tile), triton.cdiv(h, tile), nb)
    # 8 warps: with 4, three levels of a 64 x 64 tile spill on sm_90 (bench/gpu_resources.py)
    _ANALYSIS.launch(grid, x3, taps, outs[0], *_pad_details(outs[1:]), h, w, *x3.stride(),
                     TH=tile, TW=tile, LEVEL=level, FP64=x.dtype == torch.float64, num_warps=8)
    return outs


def synthesis_launch(bands: list[torch.Tensor], taps: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`analysis_launch` from ``[approx, da_1, ..., dd_level]``."""
    approx = bands[0]
    level = (len(bands) - 1) // 3
    *lead, ha, wa = approx.shape
    h, w = ha << level, wa << level
    y = torch.empty(*lead, h, w, dtype=approx.dtype, device=approx.device)
    nb = _leading(y.shape)
    if y.numel() == 0:
        return y
    bands = [b.contiguous() for b in bands]
    taps = taps.to(device=approx.device, dtype=_mid(approx.dtype)).contiguous()
    tile = _tile()
    grid = (triton.cdiv(w, tile), triton.cdiv(h, tile), nb)
    y3 = y.view(nb, h, w)
    _SYNTHESIS.launch(grid, bands[0], *_pad_details(bands[1:]), taps, y3, h, w, *y3.stride(),
                      TH=tile, TW=tile, LEVEL=level, FP64=approx.dtype == torch.float64, num_warps=4)
    return y


@torch.library.custom_op("front_kernels_triton::haar2_analysis", mutates_args=())
def haar2_analysis(x: torch.Tensor, taps: torch.Tensor, level: int) -> list[torch.Tensor]:
    """Custom op: ``level`` (1..3) levels of the 2-D Haar analysis of the last two dims, one launch."""
    return analysis_launch(x, taps, level)


@haar2_analysis.register_fake
def _(x, taps, level):
    return [x.new_empty(s) for s in _band_shapes(x.shape, level)]


@torch.library.custom_op("front_kernels_triton::haar2_synthesis", mutates_args=())
def haar2_synthesis(bands: list[torch.Tensor], taps: torch.Tensor) -> torch.Tensor:
    """Custom op: inverse of :func:`haar2_analysis` (given the synthesis filters), one launch."""
    return synthesis_launch(bands, taps)


@haar2_synthesis.register_fake
def _(bands, taps):
    level = (len(bands) - 1) // 3
    a = bands[0]
    return a.new_empty(*a.shape[:-2], a.shape[-2] << level, a.shape[-1] << level)


def _analysis_setup(ctx, inputs, output):
    x, taps, level = inputs
    ctx.taps, ctx.shape, ctx.dtype, ctx.device = taps, tuple(x.shape), x.dtype, x.device
    ctx.level = level


def _analysis_backward(ctx, grads):
    shapes = _band_shapes(ctx.shape, ctx.level)
    grads = [torch.zeros(s, dtype=ctx.dtype, device=ctx.device) if g is None else g
             for g, s in zip(grads, shapes)]
    return haar2_synthesis(grads, ctx.taps), None, None


def _synthesis_setup(ctx, inputs, output):
    bands, taps = inputs
    ctx.taps, ctx.level = taps, (len(bands) - 1) // 3


def _synthesis_backward(ctx, grad):
    return haar2_analysis(grad, ctx.taps, ctx.level), None


haar2_analysis.register_autograd(_analysis_backward, setup_context=_analysis_setup)
haar2_synthesis.register_autograd(_synthesis_backward, setup_context=_synthesis_setup)

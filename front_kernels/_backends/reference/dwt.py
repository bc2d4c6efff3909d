r"""Discrete wavelet transforms (PyWavelets' conventions) in plain torch ops.

One level along one dim, for a filter bank of even length :math:`F = 2K`
(``h_0 = dec_lo``, ``h_1 = dec_hi``, ``g_0 = rec_lo``, ``g_1 = rec_hi``):

* analysis: extend :math:`x` (length :math:`N`) by the boundary mode to
  :math:`e`, then

  .. math:: c_i[o] = \sum_{m=0}^{F-1} h_i[F-1-m]\, e[2o + m], \qquad o < n,

  with :math:`e_j = x_{j-F+2}` and :math:`n = \lfloor (N+F-1)/2 \rfloor`, or, for
  ``'periodization'``, :math:`e_j = \tilde x_{(j-K+1) \bmod N'}` (:math:`\tilde x` is
  :math:`x` padded to even length :math:`N'` by repeating its last sample) and
  :math:`n = N'/2`;
* synthesis (the transpose, in polyphase form): for :math:`r \in \{0, 1\}`

  .. math:: y[2p + r] = \sum_{i \in \{0,1\}} \sum_{m=0}^{K-1} c_i[p + m]\, g_i[2(K-1-m) + r],

  over the :math:`2L - F + 2` "valid" outputs; for ``'periodization'`` the
  coefficients are first extended periodically and the result is the length
  :math:`2L` window starting at :math:`K-1`.

Both are computed as blocked matrix products: the extended signal is cut into
blocks of ``2T`` samples (a free reshape) and each block of ``T`` outputs per
band is one small dense matrix times the block plus a second, ``F - 2``-row
matrix times the head of the next block. Those are two large GEMMs per pass,
which run at BLAS speed on any device; autograd differentiates them as usual.

The N-d transforms apply the 1-d one along each dim in turn, keeping the two
bands of every pass stacked in one leading dim of a single tensor, so that a
level of a 2-d transform is two passes over memory regardless of the band count.
A level over the last two dims (``dwt2`` / ``wavedec2``) pads both dims in one
copy, runs the row-block GEMM, then the column-block GEMM formed transposed
(band-major), and puts the four bands in place with a single permutation;
outside autograd it reuses its scratch buffers for the later stages.

Because a block's matrix is dense, a non-finite input sample turns every output
of its block (not only those within the filter support) into NaN.

On the CPU, outside autograd, a level over the last two dims (or along the last
dim) runs the compiled level of :mod:`.native_dwt` instead (the same numbers, filtered directly: one read
of the input and one write of each band, and NaNs stay within the filter support).
"""
from __future__ import annotations

import itertools
import math
import threading

import numpy as np
import torch

from ..._checks import as_dtype, compute_dtype
from ...wavelets import Wavelet
from . import native_dwt

_cache: dict = {}
REUSE_BUFFERS = True
_BLOCK = 4  # outputs per band per GEMM block: 4 measured faster than 2, 8 and 16 (AVX-512, fp32)


def _cached(key, build):
    """Memoise ``build()`` under ``key`` (not while torch.compile traces)."""
    if torch.compiler.is_compiling():
        return build()
    hit = _cache.get(key)
    if hit is None:
        hit = _cache[key] = build()
    return hit


# ----------------------------------------------------------------------------------------------
# boundary extension


def _antireflect_value(p: int, n: int, memo: dict) -> dict:
    """Point-reflection of the signal about its edge sample, repeated block by block."""
    if 0 <= p < n:
        return {p: 1.0}
    if p in memo:
        return memo[p]
    if n == 1:
        return {0: 1.0}
    if p < 0:
        edge = 0
        while p < edge - (n - 1):
            edge -= n - 1
    else:
        edge = n - 1
        while p > edge + (n - 1):
            edge += n - 1
    out: dict = {}
    for col, c in _antireflect_value(edge, n, memo).items():
        out[col] = out.get(col, 0.0) + 2.0 * c
    for col, c in _antireflect_value(2 * edge - p, n, memo).items():
        out[col] = out.get(col, 0.0) - c
    memo[p] = out
    return out


def _outside_value(p: int, n: int, mode: str, memo: dict) -> dict:
    """The extended signal at position ``p`` (outside ``[0, n)``) as ``{index: weight}``."""
    if mode == "zero":
        return {}
    if mode == "constant":
        return {0 if p < 0 else n - 1: 1.0}
    if mode == "periodic":
        return {p % n: 1.0}
    if mode == "periodization":
        return {min(p % (n + n % 2), n - 1): 1.0}
    if mode == "symmetric":
        r = p % (2 * n)
        return {r if r < n else 2 * n - 1 - r: 1.0}
    if mode == "reflect":
        if n == 1:
            return {0: 1.0}
        r = p % (2 * n - 2)
        return {r if r < n else 2 * n - 2 - r: 1.0}
    if mode == "antisymmetric":
        r = p % (2 * n)
        return {r: 1.0} if r < n else {2 * n - 1 - r: -1.0}
    if mode == "smooth":
        if n == 1:
            return {0: 1.0}
        if p < 0:
            k = -p
            return {0: 1.0 + k, 1: -float(k)}
        k = p - n + 1
        return {n - 1: 1.0 + k, n - 2: -float(k)}
    if mode == "antireflect":
        return _antireflect_value(p, n, memo)
    raise ValueError(f"mode {mode!r} is not a boundary mode")


def _edge_plan(n: int, positions: tuple[int, ...], mode: str):
    """How to build the samples at ``positions``: ``('index', idx, sign)`` or ``('matrix', cols, mat)``."""
    memo: dict = {}
    rows = [_outside_value(p, n, mode, memo) for p in positions]
    if all(len(r) == 1 and abs(next(iter(r.values()))) == 1.0 for r in rows):
        idx = [next(iter(r)) for r in rows]
        sign = [next(iter(r.values())) for r in rows]
        return ("index", idx, None if all(s == 1.0 for s in sign) else sign)
    cols = sorted({c for r in rows for c in r})
    mat = [[r.get(c, 0.0) for c in cols] for r in rows]
    return ("matrix", cols, mat)


def _edge(x3: torch.Tensor, positions: tuple[int, ...], mode: str) -> torch.Tensor:
    """Samples of the extension of ``x3`` (shape ``(pre, n, post)``) at ``positions``, dim 1."""
    n = x3.shape[1]
    if not positions:
        return x3.new_zeros(x3.shape[0], 0, x3.shape[2])
    if mode == "zero":
        return x3.new_zeros(x3.shape[0], len(positions), x3.shape[2])
    kind, cols, extra = _cached(("edge", n, positions, mode), lambda: _edge_plan(n, positions, mode))
    index = torch.tensor(cols, device=x3.device)
    if kind == "index":
        out = x3.index_select(1, index)
        if extra is not None:
            out = out * torch.tensor(extra, dtype=x3.dtype, device=x3.device).view(1, -1, 1)
        return out
    mat = torch.tensor(extra, dtype=x3.dtype, device=x3.device)  # (len(positions), len(cols))
    return torch.einsum("pc,icq->ipq", mat, x3.index_select(1, index))


def _extend(x3: torch.Tensor, left: int, right: int, mode: str, zeros: int) -> torch.Tensor:
    """``x3`` (``(pre, n, post)``) extended by ``left``/``right`` samples of ``mode``, then ``zeros`` zeros."""
    n = x3.shape[1]
    parts = []
    if left:
        parts.append(_edge(x3, tuple(range(-left, 0)), mode))
    parts.append(x3)
    if right:
        parts.append(_edge(x3, tuple(range(n, n + right)), mode))
    if zeros:
        parts.append(x3.new_zeros(x3.shape[0], zeros, x3.shape[2]))
    return torch.cat(parts, dim=1) if len(parts) > 1 else x3


# ----------------------------------------------------------------------------------------------
# blocked filter matrices


def _block_size(taps: int, n_out: int) -> int:
    """Outputs per band per block: enough to amortise the tail, small enough to waste little."""
    return max(1, taps // 2 - 1, min(n_out, _BLOCK))


def _analysis_mats(w: Wavelet, t: int, dtype, device):
    """``(A0, A1)``: ``block(2T) @ A0 + next_block[:F-2] @ A1`` gives ``T`` low then ``T`` high outputs."""
    def build():
        f = w.dec_len
        full = np.zeros((2 * t + f - 2, 2 * t))
        taps = np.array([w.dec_lo[::-1], w.dec_hi[::-1]])  # taps[c, m] = h_c[F-1-m]
        for c in range(2):
            for o in range(t):
                full[2 * o: 2 * o + f, c * t + o] = taps[c]
        full = torch.from_numpy(full).to(dtype=dtype, device=device)
        return full[: 2 * t].contiguous(), full[2 * t:].contiguous()
    return _cached(("ana", w, t, dtype, str(device)), build)


def _synthesis_mats(w: Wavelet, t: int, dtype, device):
    """``(B0, B1)``, each ``(2, ·, 2T)``: band ``i``'s block of ``T`` (and the next block's first
    ``K - 1``) coefficients times ``B0[i]`` (``B1[i]``) gives ``2T`` consecutive output samples."""
    def build():
        k = w.rec_len // 2
        full = np.zeros((2, t + k - 1, 2 * t))
        for c, g in enumerate((w.rec_lo, w.rec_hi)):
            # polyphase taps: poly[m, r] = g[2(K-1-m) + r]
            poly = np.array(g).reshape(k, 2)[::-1]
            for p in range(t):
                full[c, p: p + k, 2 * p: 2 * p + 2] = poly
        full = torch.from_numpy(full).to(dtype=dtype, device=device)
        return full[:, :t].contiguous(), full[:, t:].contiguous()
    return _cached(("syn", w, t, dtype, str(device)), build)


# ----------------------------------------------------------------------------------------------
# one level along one dim


def _split(shape, dim):
    return math.prod(shape[:dim]), shape[dim], math.prod(shape[dim + 1:])


def _analysis(x: torch.Tensor, dim: int, w: Wavelet, mode: str) -> torch.Tensor:
    """One analysis level along ``dim``: a tensor of shape ``(2, *x.shape)`` (``dim`` resized),
    index 0 the approximation, 1 the detail."""
    shape = x.shape
    if native_dwt.usable(x):
        if dim == x.ndim - 1:
            y = native_dwt.dwt_last(x, w, mode, _outside_value)
        else:
            y = native_dwt.dwt_axis(x, dim, w, mode, _outside_value)
        if y is not None:
            return y
    pre, n_in, post = _split(shape, dim)
    f = w.dec_len
    k = f // 2
    if mode == "periodization":
        n_out = (n_in + 1) // 2
        left = k - 1
    else:
        n_out = (n_in + f - 1) // 2
        left = f - 2
    length = 2 * n_out + f - 2
    t = _block_size(f, n_out)
    nb = -(-n_out // t)
    blocks = nb + 1 if f > 2 else nb
    e = _extend(x.reshape(pre, n_in, post), left, length - n_in - left, mode, blocks * 2 * t - length)
    a0, a1 = _analysis_mats(w, t, x.dtype, x.device)
    rows = pre * blocks
    if post == 1:
        # formed transposed ((2t, rows) = A0^T E^T): far faster than the skinny (rows, 2t) product
        e2 = e.reshape(rows, 2 * t)
        yt = torch.mm(a0.t(), e2.t())
        if f > 2:
            yt[:, :-1].addmm_(a1.t(), e2[1:, : f - 2].t())
        y = yt.view(2, t, pre, blocks)[:, :, :, :nb].permute(0, 2, 3, 1).reshape(2, pre, nb * t, 1)
        return y[:, :, :n_out].reshape(2, *shape[:dim], n_out, *shape[dim + 1:])
    else:
        e3 = e.reshape(rows, 2 * t, post)
        y = torch.matmul(a0.t(), e3)
        if f > 2:
            y[:-1].baddbmm_(a1.t().expand(rows - 1, 2 * t, f - 2), e3[1:, : f - 2])
    y = y.reshape(pre, blocks, 2, t, post)[:, :nb].permute(2, 0, 1, 3, 4).reshape(2, pre, nb * t, post)
    return y[:, :, :n_out].reshape(2, *shape[:dim], n_out, *shape[dim + 1:])


def _synthesis(c: torch.Tensor, dim: int, w: Wavelet, mode: str) -> torch.Tensor:
    """Inverse of :func:`_analysis`: ``c`` of shape ``(2, ...)`` (bands stacked in front),
    ``dim`` counted without that leading dim. Returns the reconstruction along ``dim``:
    ``2L - F + 2`` samples, or ``2L`` for ``'periodization'``."""
    shape = c.shape[1:]
    if native_dwt.usable(c):
        last = dim == len(shape) - 1
        y = native_dwt.idwt_last(c, w, mode) if last else native_dwt.idwt_axis(c, dim, w, mode)
        if y is not None:
            return y
    pre, n_in, post = _split(shape, dim)
    f = w.rec_len
    k = f // 2
    c3 = c.reshape(2 * pre, n_in, post)
    if mode == "periodization":
        shift = k - 1
        n_pairs = n_in + (shift + 2) // 2
        n_keep = 2 * n_in
        left = k - 1
        length = n_pairs + k - 1
        right = length - n_in - left
    else:
        shift = 0
        n_pairs = n_in - k + 1
        n_keep = 2 * n_pairs
        left = right = 0
        length = n_in
    t = _block_size(f, n_pairs)
    nb = -(-n_pairs // t)
    blocks = nb + 1 if k > 1 else nb
    e = _extend(c3, left, right, "periodic" if mode == "periodization" else "zero", blocks * t - length)
    b0, b1 = _synthesis_mats(w, t, c.dtype, c.device)
    rows = pre * blocks
    e = e.reshape(2, rows, t, post)
    if post == 1:
        lo, hi = e[0, :, :, 0], e[1, :, :, 0]
        yt = torch.mm(b0[0].t(), lo.t())
        yt.addmm_(b0[1].t(), hi.t())
        if k > 1:
            yt[:, :-1].addmm_(b1[0].t(), lo[1:, : k - 1].t())
            yt[:, :-1].addmm_(b1[1].t(), hi[1:, : k - 1].t())
        y = yt.t()
    else:
        lo, hi = e[0], e[1]
        y = torch.matmul(b0[0].t(), lo)
        y.baddbmm_(b0[1].t().expand(rows, 2 * t, t), hi)
        if k > 1:
            y[:-1].baddbmm_(b1[0].t().expand(rows - 1, 2 * t, k - 1), lo[1:, : k - 1])
            y[:-1].baddbmm_(b1[1].t().expand(rows - 1, 2 * t, k - 1), hi[1:, : k - 1])
    y = y.reshape(pre, blocks * 2 * t, post)[:, shift: shift + n_keep]
    return y.reshape(*shape[:dim], n_keep, *shape[dim + 1:])


# ----------------------------------------------------------------------------------------------
# scratch buffers (inference only)

SCRATCH_LIMIT_BYTES = 1 << 28  # a scratch buffer larger than this is not kept between calls
_scratch_pool = threading.local()


def _scratch(slot: int, numel: int, like: torch.Tensor) -> torch.Tensor:
    """A flat scratch tensor of ``numel`` elements of ``like``'s dtype and device, one per
    ``slot`` and thread, grown on demand and kept between calls (never handed to callers)."""
    pool = getattr(_scratch_pool, "buffers", None)
    if pool is None:
        pool = _scratch_pool.buffers = {}
    key = (slot, like.dtype, like.device)
    buf = pool.get(key)
    if buf is None or buf.numel() < numel:
        pool.pop(key, None)
        buf = torch.empty(numel, dtype=like.dtype, device=like.device)
        if numel * buf.element_size() <= SCRATCH_LIMIT_BYTES:
            pool[key] = buf
    return buf[:numel]


def release_scratch() -> None:
    """Free this thread's scratch buffers."""
    _scratch_pool.buffers = {}


# ----------------------------------------------------------------------------------------------
# one level over the last two dims, kept blocked between the passes


def _analysis_geometry(n_in: int, f: int, mode: str):
    """``(n_out, left, right, t, nb, padded)`` of one analysis pass over ``n_in`` samples:
    ``left``/``right`` boundary samples, ``t`` outputs per band per block, ``nb`` useful
    blocks and the padded length (a whole number of ``2t`` blocks, zeros at the end)."""
    if mode == "periodization":
        n_out, left = (n_in + 1) // 2, f // 2 - 1
    else:
        n_out, left = (n_in + f - 1) // 2, f - 2
    length = 2 * n_out + f - 2
    t = _block_size(f, n_out)
    nb = -(-n_out // t)
    blocks = nb + 1 if f > 2 else nb
    return n_out, left, length - n_in - left, t, nb, blocks * 2 * t


def _extend_last2(x3: torch.Tensor, gh, gw, mode: str, out: torch.Tensor | None = None) -> torch.Tensor:
    """``x3`` (``(B, H, W)``) extended along both dims into one ``(B, Hp, Wp)`` buffer
    (``out`` if given, else a new one; ``x3`` itself when nothing is to be added)."""
    b, h, w = x3.shape
    _, lh, rh, _, _, hp = gh
    _, lw, rw, _, _, wp = gw
    if (hp, wp) == (h, w) and x3.is_contiguous():
        return x3
    e = x3.new_empty(b, hp, wp) if out is None else out.view(b, hp, wp)
    rows = slice(lh, lh + h)
    e[:, rows, lw: lw + w] = x3
    if lw:
        e[:, rows, :lw] = _edge(x3.reshape(b * h, w, 1), tuple(range(-lw, 0)), mode).view(b, h, lw)
    if rw:
        e[:, rows, lw + w: lw + w + rw] = _edge(x3.reshape(b * h, w, 1), tuple(range(w, w + rw)), mode).view(b, h, rw)
    if lw + w + rw < wp:
        e[:, rows, lw + w + rw:] = 0
    inner = e[:, rows]
    if lh:
        e[:, :lh] = _edge(inner, tuple(range(-lh, 0)), mode)
    if rh:
        e[:, lh + h: lh + h + rh] = _edge(inner, tuple(range(h, h + rh)), mode)
    if lh + h + rh < hp:
        e[:, lh + h + rh:] = 0
    return e


def _dwt2_last(x: torch.Tensor, w: Wavelet, mode: str) -> torch.Tensor:
    """One 2-d analysis level over the last two dims, stacked ``(2_W, 2_H, ..., n_H, n_W)``
    like two :func:`_analysis` passes (H first), but with one padded copy of the input and
    the bands left in blocked order until a single final permutation."""
    *lead, h, wd = x.shape
    if native_dwt.usable(x) and native_dwt.analysis_supported(h, wd, w, mode, _outside_value):
        return native_dwt.dwt2(x, w, mode, _outside_value)
    b = math.prod(lead)
    f = w.dec_len
    gh = _analysis_geometry(h, f, mode)
    gw = _analysis_geometry(wd, f, mode)
    nh, _, _, th, nbh, hp = gh
    nw, _, _, tw, nbw, wp = gw
    x3 = x.reshape(b, h, wd)
    # Outside autograd the padded copy and the two GEMM products live in per-thread scratch
    # buffers kept between calls: only the returned bands are freshly allocated (page faults).
    reuse = REUSE_BUFFERS and not (torch.is_grad_enabled() and x.requires_grad)
    reuse = reuse and not torch.compiler.is_compiling()
    size = b * hp * wp
    e = _extend_last2(x3, gh, gw, mode, _scratch(0, size, x) if reuse else None)
    a0w, a1w = _analysis_mats(w, tw, x.dtype, x.device)
    a0h, a1h = _analysis_mats(w, th, x.dtype, x.device)
    # H: every block of 2th rows becomes [th low rows | th high rows]; rows stay whole (wide GEMMs)
    nblk = b * hp // (2 * th)
    eh = e.view(nblk, 2 * th, wp)
    if reuse:
        z = torch.bmm(a0h.t().expand(nblk, 2 * th, 2 * th), eh, out=_scratch(1, size, x).view(nblk, 2 * th, wp))
    else:
        z = torch.matmul(a0h.t(), eh)
    if f > 2:
        z[:-1].baddbmm_(a1h.t().expand(nblk - 1, 2 * th, f - 2), eh[1:, : f - 2])
    # W: every 2tw-sample block of every row; the product is formed transposed, band-major
    zw = z.view(-1, 2 * tw)
    if reuse:  # the padded copy is no longer needed
        y = torch.mm(a0w.t(), zw.t(), out=_scratch(0, size, x).view(2 * tw, -1))
    else:
        y = torch.mm(a0w.t(), zw.t())
    if f > 2:
        y[:, :-1].addmm_(a1w.t(), zw[1:, : f - 2].t())
    y = y.view(2, tw, b, hp // (2 * th), 2, th, wp // (2 * tw))[:, :, :, :nbh, :, :, :nbw]
    z = y.permute(0, 4, 2, 3, 5, 6, 1).contiguous()
    if reuse and z.data_ptr() == y.data_ptr():
        # the permutation was a no-op (single-block sizes), so z still lives in a scratch
        # buffer that the next call overwrites: the bands must own their memory
        z = z.clone()
    z = z.view(2, 2, b, nbh * th, nbw * tw)[..., :nh, :nw]
    return z.reshape(2, 2, *lead, nh, nw)


# ----------------------------------------------------------------------------------------------
# backend entry points


def _keys(ndims: int) -> list[str]:
    return ["".join(p) for p in itertools.product("ad", repeat=ndims)]


def _to_compute(x: torch.Tensor) -> torch.Tensor:
    return as_dtype(x, compute_dtype(x.dtype))


def _dwtn_stacked(x: torch.Tensor, w: Wavelet, mode: str, dims: tuple[int, ...]) -> torch.Tensor:
    """All bands of one level, shape ``(2,)*len(dims) + shape``; index ``[i_k, ..., i_1]``
    (reversed) is band ``i_1 ... i_k`` along ``dims[0] ... dims[-1]``."""
    nd = x.ndim
    if len(dims) == 2 and dims == (nd - 2, nd - 1):
        return _dwt2_last(x, w, mode)
    if len(dims) > 2 and dims[-2:] == (nd - 2, nd - 1) and native_dwt.usable(x):
        # the compiled level over the last two dims, then the others (the passes commute); the band
        # dims come out as (2_rest..., 2_W, 2_H) and are moved to the stacked order (2_W, 2_H, 2_rest...)
        y = _dwt2_last(x, w, mode)
        rest = dims[:-2]
        for i, d in enumerate(rest):
            y = _analysis(y, d + 2 + i, w, mode)
        k = len(rest)
        return y.permute(k, k + 1, *range(k), *range(k + 2, y.ndim))
    y = x
    for i, d in enumerate(dims):
        y = _analysis(y, d + i, w, mode)
    return y


def _unstack(y: torch.Tensor, ndims: int, dtype) -> dict[str, torch.Tensor]:
    out = {}
    for key in _keys(ndims):
        idx = tuple(0 if ch == "a" else 1 for ch in reversed(key))
        out[key] = as_dtype(y[idx], dtype)
    return out


def _stack(coeffs: dict, ndims: int) -> torch.Tensor:
    """Inverse of :func:`_unstack` (missing or ``None`` bands are zeros)."""
    ref = next(v for v in coeffs.values() if v is not None)
    dtype = compute_dtype(ref.dtype)
    flat = []
    for idx in itertools.product((0, 1), repeat=ndims):
        key = "".join("a" if i == 0 else "d" for i in reversed(idx))
        v = coeffs.get(key)
        flat.append(torch.zeros(ref.shape, dtype=dtype, device=ref.device) if v is None else as_dtype(v, dtype))
    return torch.stack(flat).reshape((2,) * ndims + tuple(ref.shape))


def dwtn(x: torch.Tensor, wavelet: Wavelet, mode: str, dims: tuple[int, ...]) -> dict[str, torch.Tensor]:
    """Single-level N-d DWT over ``dims``: ``{'aa..': approx, 'ad..': ..., 'dd..': ...}``.

    Key character ``j`` is ``'a'`` (low-pass) or ``'d'`` (high-pass) along ``dims[j]``;
    every band has ``x``'s shape with each dim of ``dims`` resized by
    :func:`front_kernels.wavelets.dwt_coeff_len`, and ``x``'s dtype.
    """
    y = _dwtn_stacked(_to_compute(x), wavelet, mode, dims)
    return _unstack(y, len(dims), x.dtype)


def _idwtn_compute(coeffs: dict, wavelet: Wavelet, mode: str, dims: tuple[int, ...]) -> torch.Tensor:
    ref = next(v for v in coeffs.values() if v is not None)
    if len(dims) == 2 and dims == (ref.ndim - 2, ref.ndim - 1):
        bands = {k: None if v is None else _to_compute(v) for k, v in coeffs.items()}
        ref = next(v for v in bands.values() if v is not None)
        if (native_dwt.usable(ref) and not any(v is not None and v.requires_grad for v in bands.values())
                and native_dwt.synthesis_supported(ref.shape[-2], ref.shape[-1], wavelet, mode)):
            return native_dwt.idwt2(bands, wavelet, mode)
    y = _stack(coeffs, len(dims))
    for j in range(len(dims) - 1, -1, -1):
        # y is (2,)*(j+1) + data shape; the outermost band dim belongs to dims[j]
        y = _synthesis(y, dims[j] + j, wavelet, mode)
    return y


def idwtn(coeffs: dict, wavelet: Wavelet, mode: str, dims: tuple[int, ...]) -> torch.Tensor:
    """Inverse of :func:`dwtn`: all present bands share one shape; a missing or ``None``
    band counts as zeros. Each dim of ``dims`` grows to ``2L - F + 2`` (``2L`` for
    ``'periodization'``). Returns the bands' dtype."""
    ref = next(v for v in coeffs.values() if v is not None)
    return as_dtype(_idwtn_compute(coeffs, wavelet, mode, dims), ref.dtype)


def wavedecn(x: torch.Tensor, wavelet: Wavelet, mode: str, level: int, dims: tuple[int, ...]) -> list:
    """``level`` levels of :func:`dwtn`, as ``pywt.wavedecn``:
    ``[approx_level, details_level, ..., details_1]``, details as dicts without the
    all-``'a'`` key."""
    nd = len(dims)
    if dims == (x.ndim - 2, x.ndim - 1) and native_dwt.usable(x):
        out = native_dwt.wavedec2(x, wavelet, mode, level, _outside_value)
        if out is not None:
            return out
    approx_key = "a" * nd
    a = _to_compute(x)
    details = []
    for _ in range(level):
        y = _dwtn_stacked(a, wavelet, mode, dims)
        bands = _unstack(y, nd, x.dtype)
        a = y[(0,) * nd]
        del bands[approx_key]
        details.append(bands)
    return [as_dtype(a, x.dtype)] + details[::-1]


def waverecn(coeffs: list, wavelet: Wavelet, mode: str, dims: tuple[int, ...]) -> torch.Tensor:
    """Inverse of :func:`wavedecn`. Every detail dict holds the same shape; the approximation
    matches the coarsest details, and each reconstruction is trimmed by the last sample
    along a dim where it is one longer than the next level's details (odd lengths)."""
    nd = len(dims)
    approx_key = "a" * nd
    a = coeffs[0]
    out_dtype = a.dtype if a is not None else next(v for v in coeffs[1].values() if v is not None).dtype
    ref = a if a is not None else next(v for v in coeffs[1].values() if v is not None)
    if dims == (ref.ndim - 2, ref.ndim - 1) and native_dwt.usable(ref) and not any(
            v.requires_grad for d in coeffs[1:] for v in d.values() if v is not None):
        out = native_dwt.waverec2(a, coeffs[1:], wavelet, mode)
        if out is not None:
            return out
    for d in coeffs[1:]:
        ref = next(v for v in d.values() if v is not None) if any(v is not None for v in d.values()) else None
        if a is not None and ref is not None:
            a = a[tuple(slice(None, s) for s in ref.shape)]
        bands = dict(d)
        bands[approx_key] = a
        a = _idwtn_compute(bands, wavelet, mode, dims)
    return as_dtype(a, out_dtype)

r"""One group of a transfer as one chain of per-axis linear maps.

FRONT (depth modes ``zero`` / ``consistence``) and BoT are, for a group of
``L`` stacked source layers ``Z`` (standardised per layer where the method
says so) and ``L'`` target layers, one separable linear map

.. math:: Y = (D \otimes A_1 \otimes \dots \otimes A_k)\, Z,

``D`` the ``(L', L)`` depth matrix and ``A_i`` the ``(m_i, n_i)`` map of signal
axis ``i``, followed per target layer by the method's rescaling (re-standardise
and / or the affine map back to a source layer's mean and std). This is the
fused op of :func:`front_kernels.resize` and of its Triton and CUDA kernels
(one dense matrix per axis), which runs the chain on a GPU: :func:`run_dense`.

On the CPU a long axis is not multiplied by a dense matrix: each axis map is
one of

* :class:`Spectral` — ``scale * C_m[:k]^T C_n[:k]`` (orthonormal DCT-II
  :math:`C`): forward DCT, keep the first ``k`` coefficients, zero-pad to
  ``m``, inverse DCT; every spectral axis of a group is transformed in one
  ``dctn`` / ``idctn`` over those axes;
* :class:`WaveletSteps` — ``levels`` single-level DWT steps keeping the
  approximation band (shrink) or inverse steps with zero details (growth),
  times ``scale``, then the map that finishes the remaining ratio;
* :class:`Dense` — a small matrix product along the axis: the depth map, a
  truncation / zero-padding, and every map of an axis shorter than
  :data:`DENSE_BELOW` (the crossover below which a dense product beats the
  FFT, measured by ``bench/bench_transfer.py --crossover``).

:func:`run_spectral` applies them in one pass over the layers: wavelet steps and
the forward transform per chunk of layers (keeping only the kept
coefficients), the depth matrix and the other dense maps on the coefficients,
then zero-padding, the inverse transform and the rescaling one target layer
at a time. Every map's dense matrix (:meth:`matrix`) is what the CPU path
computes, so both paths give the same numbers (to rounding).
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import torch

from .._backends.reference.dct import ortho_window, ortho_window_takes
from ..transforms import dctn, idctn

# Axes shorter than this (min of input and output length) are multiplied by a dense matrix instead of
# transformed by an FFT: bench/results/transfer_crossover_cpu_2core.md, where a dense product wins up to
# n = 256 along the last axis and on both axes of a matrix, and the DCT from 384 up.
DENSE_BELOW = 256
CHUNK_NUMEL = 1 << 18  # elements of source layers transformed per call (1 MiB in float32)
STD_EPS = 1e-8


@dataclass(frozen=True)
class Dense:
    """``y = a @ x`` along the axis; ``a`` is a float64 ``(m, n)`` CPU matrix."""

    a: torch.Tensor

    @property
    def n(self) -> int:
        return self.a.shape[1]

    @property
    def m(self) -> int:
        return self.a.shape[0]

    def matrix(self) -> torch.Tensor:
        return self.a


@dataclass(frozen=True)
class Spectral:
    r"""``y = scale * C_m[:k]^T C_n[:k] x``: orthonormal DCT, keep ``k``, zero-pad to ``m``, inverse DCT."""

    n: int
    m: int
    k: int
    scale: float = 1.0

    def matrix(self) -> torch.Tensor:
        from ..transforms.resampling import dct_matrix
        return self.scale * (dct_matrix(self.m)[:self.k].T @ dct_matrix(self.n)[:self.k])


@dataclass(frozen=True)
class WaveletSteps:
    """``levels`` DWT steps (approximation band kept; ``grow``: inverse steps with zero details) times
    ``scale``, then ``finish`` (length ``mid -> m``, or ``None`` when the steps end at ``m``)."""

    n: int
    mid: int
    wavelet: str
    mode: str
    grow: bool
    levels: int
    scale: float = 1.0
    finish: Dense | Spectral | None = None

    @property
    def m(self) -> int:
        return self.finish.m if self.finish is not None else self.mid

    def step(self, x: torch.Tensor, dim: int) -> torch.Tensor:
        from ..transforms.wavelet import dwt, idwt
        for _ in range(self.levels):
            x = idwt(x, None, self.wavelet, mode=self.mode, axis=dim) if self.grow else \
                dwt(x, self.wavelet, mode=self.mode, axis=dim)[0]
        return x * self.scale if self.scale != 1.0 else x

    def matrix(self) -> torch.Tensor:
        a = self.step(torch.eye(self.n, dtype=torch.float64), 0)
        return self.finish.matrix() @ a if self.finish is not None else a


AxisMap = Dense | Spectral | WaveletSteps | None  # None: the identity


def dense_if_short(amap: AxisMap) -> AxisMap:
    """``amap`` as a :class:`Dense` matrix when its axis is shorter than :data:`DENSE_BELOW` (a spectral map
    that keeps more coefficients than it outputs, for a non-linear depth map, stays as it is)."""
    if amap is None or isinstance(amap, Dense) or min(amap.n, amap.m) >= DENSE_BELOW:
        return amap
    if isinstance(amap, Spectral) and amap.k > amap.m:
        return amap
    return Dense(amap.matrix())


def truncate_or_pad(n: int, m: int) -> Dense | None:
    """Keep the first ``m`` of ``n`` entries, or append ``m - n`` zeros."""
    return None if n == m else Dense(torch.eye(m, n, dtype=torch.float64))


@dataclass
class Rescaling:
    """What happens around the linear chain.

    ``standardise``: every source layer ``l`` becomes ``(W_l - mu_l) / (sigma_l + 1e-8)`` first;
    ``restandardise``: every target layer ``Y_j`` becomes ``(Y_j - mean) / (std + 1e-8)``;
    ``target_stats(j, means, stds)``: the ``(mu, sigma)`` that target layer ``j`` is mapped back to,
    ``Y_j sigma + mu`` (``None``: no affine map). Stds are Bessel-corrected (0 for one element).
    """

    standardise: bool
    restandardise: bool
    target_stats: object = None


def std_mean(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    r"""``(std, mean)`` of all of ``t`` (std Bessel-corrected; 0 for one element), as ``torch.std_mean``.

    From two fast reductions, :math:`\bar x = \sum x / n` and :math:`q = \sum x^2`:
    :math:`s^2 = (q - n \bar x^2) / (n - 1)`, which is exact to rounding while :math:`n \bar x^2 \le 10^{-3} q`
    (the mean small next to the spread, as in weight matrices); otherwise the two-pass
    :math:`\sum (x - \bar x)^2 / (n - 1)`, which has no cancellation."""
    n = t.numel()
    if n < 2:
        return t.new_zeros(()), t.reshape(()).clone()
    if not t.is_contiguous():
        return torch.std_mean(t)
    v = t.view(-1)
    mean = v.sum() / n
    q = torch.dot(v, v)
    m2 = float(mean) ** 2 * n
    if m2 <= 1e-3 * float(q):
        var = (q - m2) / (n - 1)
    else:
        d = v - mean
        var = torch.dot(d, d) / (n - 1)
    return var.clamp_min(0).sqrt(), mean


_WORKSPACE: dict[tuple[int, str], torch.Tensor] = {}


def workspace(role: str, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
    """The calling thread's reusable buffer for ``role`` (dtype and device of ``like``) viewed as ``shape``,
    grown to the largest size asked for: the groups of a transfer share one allocation per role, so their
    intermediates do not each touch (and have the kernel zero) fresh memory. Freed by
    :func:`release_workspace`; a view handed out stays valid, as it holds the buffer."""
    key = (threading.get_ident(), role)
    n = math.prod(shape)
    buf = _WORKSPACE.get(key)
    if buf is None or buf.dtype != like.dtype or buf.device != like.device or buf.numel() < n:
        _WORKSPACE.pop(key, None)  # the old buffer goes before the larger one is allocated
        buf = _WORKSPACE[key] = like.new_empty(n)
    return buf[:n].view(shape)


def release_workspace() -> None:
    """Free every thread's :func:`workspace` buffers (at the end of a transfer, and in
    :func:`front_kernels.clear_workspace`)."""
    _WORKSPACE.clear()


def _move_dense(t: torch.Tensor, a: torch.Tensor, dim: int) -> torch.Tensor:
    a = a.to(dtype=t.dtype, device=t.device)
    if dim == t.ndim - 1:
        return t @ a.T
    return torch.tensordot(a, t, dims=([1], [dim])).movedim(0, dim)


def _block_stats(j: int, blocks: int, means: list, stds: list):
    """Target row ``j`` of a stack of ``blocks`` independent blocks per layer (rows layer-major): its layer
    ``j // blocks`` and the per-layer statistics of its block ``j % blocks``."""
    if blocks == 1:
        return j, means, stds
    h = j % blocks
    return j // blocks, means[h::blocks], stds[h::blocks]


def run_spectral(stack: list, depth, axes: list, rescaling: Rescaling, blocks: int = 1) -> list[torch.Tensor]:
    r"""The chain on ``x = stack.pop()`` (``(L, *signal)``, float32 / float64, overwritten; handed over in a
    one-element list so that it is freed as soon as the forward transforms are done): ``L'`` target layers.

    ``depth``: the ``(L', L)`` map (``None``: ``L' = L``, identity), or a callable taking the ``(L, ...)``
    kept coefficients to ``(L', ...)`` (a depth map that is not linear); ``axes``: one :data:`AxisMap` per signal
    axis. ``blocks``: the rows of ``x`` are ``L / blocks`` layers of ``blocks`` independent blocks each
    (attention heads; layer-major), each block standardised and rescaled on its own and the depth map
    :math:`D \otimes I_{blocks}` (``depth`` linear); then each of the ``L'`` results holds its layer's
    blocks, ``(blocks, *signal')``.
    Memory: ``x``, the kept coefficients of every layer (and, with a linear depth map, of every target
    layer) in the thread's :func:`workspace`, the outputs, and one chunk's workspace.
    """
    x = stack.pop()
    L = x.shape[0]
    if blocks > 1 and callable(depth):
        raise ValueError("a depth map that is not linear cannot run on a stack of blocks")
    sig = tuple(x.shape[1:])
    nd = len(sig)
    if not callable(depth):  # a non-linear depth map needs every transformed axis in the coefficient domain
        axes = [dense_if_short(a) for a in axes]
    steps = [(i, a) for i, a in enumerate(axes) if isinstance(a, WaveletSteps)]
    after = [a.finish if isinstance(a, WaveletSteps) else a for a in axes]  # the maps after the wavelet steps
    spectral = [i for i, a in enumerate(after) if isinstance(a, Spectral)]
    dense = [(i, a) for i, a in enumerate(after) if isinstance(a, Dense)]
    mid = tuple(a.mid if isinstance(a, WaveletSteps) else n for a, n in zip(axes, sig))
    kept = tuple(after[i].k if i in spectral else mid[i] for i in range(nd))
    out_shape = tuple(sig[i] if a is None else a.m for i, a in enumerate(axes))
    dims = tuple(i + 1 for i in spectral)
    scale = math.prod(after[i].scale for i in spectral)

    means, stds = [], []
    shrink_dense = [(i, a) for i, a in dense if a.m < a.n]
    grow_dense = [(i, a) for i, a in dense if a.m >= a.n]
    step_rows = max(1, CHUNK_NUMEL // max(1, math.prod(sig), math.prod(mid)))
    # Standardising a source layer is an affine map too: with nothing before the forward DCT, its mean and
    # std (taken on the layer) are applied to the kept coefficients (see _CoefficientStats).
    fold = rescaling.standardise and bool(spectral) and not steps and not shrink_dense
    source = _CoefficientStats(math.prod(sig), math.sqrt(math.prod(sig[i] for i in spectral)),
                               tuple(0 if i in spectral else slice(None) for i in range(nd)), 0)
    crop = (slice(None),) + tuple(slice(0, kept[i]) if i in spectral else slice(None) for i in range(nd))
    trailing = dims == tuple(range(nd + 1 - len(dims), nd + 1))  # the spectral axes are the last ones
    inner = list(mid)
    for i, a in shrink_dense:
        inner[i] = a.m
    for i in spectral:
        inner[i] = kept[i]
    # the kept coefficients of every layer, in this thread's workspace: a transfer's groups reuse one
    # allocation instead of touching fresh memory each
    c = workspace("coefficients", (L,) + tuple(inner), x)
    for start in range(0, L, step_rows):
        part = x[start:start + step_rows]
        if rescaling.standardise and not fold:
            for w in part:
                sd, mu = std_mean(w)
                w.sub_(mu).div_(sd + STD_EPS)
                means.append(mu)
                stds.append(sd)
        t = part
        for i, a in steps:
            t = a.step(t, i + 1)
        for i, a in shrink_dense:
            t = _move_dense(t, a.a, i + 1)
        rows = c[start:start + step_rows]
        if spectral:
            stats = [std_mean(w) for w in t] if fold else []
            if not trailing or ortho_window(t, [t.shape[d] for d in dims], [kept[d - 1] for d in dims], False,
                                            out=rows) is None:
                rows.copy_(dctn(t, dim=dims, norm="ortho")[crop])
            for u, (sd, mu) in zip(rows, stats):  # (W - mu) / (sd + eps), on the kept coefficients
                source.apply(u, 1.0, -mu, out=u).div_(sd + STD_EPS)
                means.append(mu)
                stds.append(sd)
        else:
            rows.copy_(t)
        del t, part, rows
    del x
    if callable(depth):
        c = depth(c)
        # a non-linear depth map may be handed coefficients past the target's size (the random fill
        # draws from the whole kept block); only the target's corner is inverted
        if any(c.shape[i + 1] > out_shape[i] for i in spectral):
            c = c[(slice(None),) + tuple(slice(0, out_shape[i]) if i in spectral else slice(None)
                                         for i in range(nd))]
    elif depth is not None:
        flat = c.view(L // blocks, -1)
        mapped = workspace("depth", (depth.m, flat.shape[1]), flat)
        c = torch.mm(depth.a.to(dtype=c.dtype, device=c.device), flat, out=mapped).view((-1,) + tuple(inner))
    if blocks == 1:
        c = list(c.unbind(0))
    rows = len(c)
    inner = tuple(c[0].shape)
    pads = []
    for i in reversed(range(nd)):
        grown = next((a.m for k, a in grow_dense if k == i), inner[i])
        pads += [0, out_shape[i] - grown if i in spectral else 0]
    lead = 0 if blocks == 1 else 1  # one target layer at a time: a row, or the layer's blocks as one tensor
    spectral_out = [out_shape[i] for i in spectral]
    dc = (slice(None),) * lead + tuple(0 if i in spectral else slice(None) for i in range(nd))
    coefficients = _CoefficientStats(math.prod(out_shape), math.sqrt(math.prod(spectral_out)), dc, lead)
    out = []
    for j in range(0, rows, blocks):
        if blocks == 1:
            z, c[j] = c[j], None
        else:
            z = c[j:j + blocks]
        for i, a in grow_dense:
            z = _move_dense(z, a.a, i + lead)
        # y = scale * IDCT(pad(z)); its rescaling a * y + b is applied to z (see _CoefficientStats)
        if blocks == 1:
            a, b = _affine(j, means, stds, rescaling, lambda: coefficients.std_mean(z, scale))
        else:
            ab = [_affine(*_block_stats(j + h, blocks, means, stds), rescaling,
                          lambda h=h: coefficients.std_mean(z[h], scale)) for h in range(blocks)]
            a, b = (torch.stack([torch.as_tensor(v[k], dtype=z.dtype) for v in ab]).view(
                (blocks,) + (1,) * nd) for k in (0, 1))
        if spectral and trailing and ortho_window_takes(z, spectral_out) and all(
                k <= m for k, m in zip(z.shape[z.ndim - len(dims):], spectral_out)):  # padded and inverted in one pass
            z = coefficients.apply(z, a * scale, b, out=None if callable(depth) else z)
            z = ortho_window(z, spectral_out, spectral_out, True)
        elif spectral and any(pads):  # a * z written straight into the zero-padded coefficients
            padded = z.new_zeros(tuple(z.shape[:lead]) + out_shape)
            z = coefficients.apply(z, a * scale, b, out=padded[(slice(None),) * lead + tuple(
                slice(0, k) for k in z.shape[lead:])])
            z = idctn(padded, dim=tuple(d - 1 + lead for d in dims), norm="ortho")
        else:
            z = coefficients.apply(z, a * scale, b)
            if spectral:
                z = idctn(z, dim=tuple(d - 1 + lead for d in dims), norm="ortho")
        out.append(z)
    return out


@dataclass(frozen=True)
class _CoefficientStats:
    r"""Statistics and affine maps of :math:`y = \mathrm{IDCT}(\mathrm{pad}(z))` computed on ``z``.

    The orthonormal inverse DCT over the spectral axes (of output lengths with product :math:`N`) keeps
    :math:`\sum y^2 = \sum z^2`, and a constant :math:`b` in :math:`y` is :math:`b\sqrt N` in the DC entries
    ``z[dc]`` (index 0 of every spectral axis): :math:`\sum y = \sqrt N \sum z_{dc}`, and
    :math:`a y + b = \mathrm{IDCT}(\mathrm{pad}(a z + b \sqrt N e_{dc}))`. So a target layer's mean, std and
    rescaling cost passes over its kept coefficients, not over the output. ``n``: elements of ``y``;
    ``root``: :math:`\sqrt N`; ``lead``: 1 when ``z`` has a leading axis of blocks.
    """

    n: int
    root: float
    dc: tuple
    lead: int

    def std_mean(self, z: torch.Tensor, scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
        """``(std, mean)`` of ``scale * y`` (std Bessel-corrected; 0 for one element), as :func:`std_mean`;
        the squares of the DC entries are taken about the mean, so nothing cancels."""
        dc = z[self.dc[self.lead:]]  # z: one row, without the leading axis of blocks
        mean = dc.sum() * (self.root / self.n)
        if self.n < 2:
            return mean.new_zeros(()), mean * scale
        v = z.reshape(-1)
        w = dc.reshape(-1)
        centred = w - mean * self.root
        ssd = torch.dot(v, v) - torch.dot(w, w) + torch.dot(centred, centred)
        sd = (ssd.clamp_min(0) / (self.n - 1)).sqrt()
        return sd * abs(scale), mean * scale

    def apply(self, z: torch.Tensor, a, b, out: torch.Tensor | None = None) -> torch.Tensor:
        """The coefficients of ``a * y + b`` (``a``, ``b``: numbers, 0-d tensors, or one per block, broadcast
        along the leading axis): a new tensor, or written into ``out`` (``z`` itself, or a tensor of
        ``z``'s shape, such as the corner of zero-padded coefficients)."""
        if out is None:
            out = z * a
        elif out is not z:
            torch.mul(z, a, out=out)
        elif not (isinstance(a, float) and a == 1.0):
            out.mul_(a)
        if not (isinstance(b, float) and b == 0.0):
            dc = out[self.dc]
            dc += (b.view(b.shape[:1] + (1,) * (dc.ndim - 1)) if isinstance(b, torch.Tensor) and b.ndim else b) \
                * self.root
        return out


def _affine(j: int, means, stds, rescaling: Rescaling, stats) -> tuple:
    """``(a, b)`` of target layer ``j``'s rescaling ``a * y + b`` (:class:`Rescaling`); ``stats()`` gives
    ``(std, mean)`` of ``y``, asked for only when the rescaling re-standardises."""
    a, b = 1.0, 0.0
    if rescaling.restandardise:
        sd, mu = stats()
        a = 1.0 / (sd + STD_EPS)
        b = -mu * a
    if rescaling.target_stats is not None:
        mu_t, sd_t = rescaling.target_stats(j, means, stds)
        a, b = a * sd_t, b * sd_t + mu_t
    return a, b


def _rescale_layer(y: torch.Tensor, j: int, means, stds, rescaling: Rescaling) -> torch.Tensor:
    a, b = _affine(j, means, stds, rescaling, lambda: std_mean(y))
    if isinstance(a, float) and a == 1.0 and isinstance(b, float) and b == 0.0:
        return y
    return y.mul_(a).add_(b)


def run_dense(stack: list, depth: Dense | None, axes: list, rescaling: Rescaling,
              backend: str | None = None, blocks: int = 1) -> list[torch.Tensor]:
    r"""The same chain as :func:`run_spectral` as one fused resize: the stack ``(L, *signal)`` times one dense
    matrix per dim (``depth`` first, as :math:`D \otimes I_{blocks}`) by the ``resize`` kernel of ``backend``
    (default: the fastest for ``x``'s device, the Triton or CUDA kernel on a GPU); the rescaling around it in
    torch ops."""
    from .. import _dispatch
    x = stack.pop()
    L = x.shape[0]
    means, stds = [], []
    if rescaling.standardise:
        sd, mu = torch.std_mean(x.reshape(L, -1), dim=1) if x[0].numel() > 1 else \
            (x.new_zeros(L), x.reshape(L))
        x = (x - mu.view((L,) + (1,) * (x.ndim - 1))) / (sd.view((L,) + (1,) * (x.ndim - 1)) + STD_EPS)
        means, stds = list(mu.unbind(0)), list(sd.unbind(0))
    d = None if depth is None else depth.a if blocks == 1 else torch.kron(depth.a.contiguous(), torch.eye(blocks, dtype=depth.a.dtype))
    mats = [d] + [None if a is None else a.matrix() for a in axes]
    lengths = [n for m in mats if m is not None for n in m.shape]
    y = _dispatch.select("resize", x, backend, lengths=lengths).resize(
        x, [None if m is None else m.to(device=x.device, dtype=x.dtype) for m in mats], False)
    out = [_rescale_layer(y[j], *_block_stats(j, blocks, means, stds), rescaling) for j in range(y.shape[0])]
    return out if blocks == 1 else list(y.view((-1, blocks) + tuple(y.shape[1:])).unbind(0))


def shaped_outputs(out: list, target_shapes, blocks: int = 1) -> list[torch.Tensor]:
    """The chain's target layers in their target shapes (with ``blocks``, one ``(blocks, *shape)`` tensor per
    layer, ``target_shapes`` listing one shape per block)."""
    if blocks > 1:
        return [y.reshape((blocks,) + tuple(target_shapes[j * blocks])) for j, y in enumerate(out)]
    return [y.reshape(tuple(target_shapes[j])) for j, y in enumerate(out)]


def run_group(stack: list, depth, axes: list, rescaling: Rescaling, blocks: int = 1) -> list[torch.Tensor]:
    """The chain of one group (``stack``: a one-element list holding ``(L, *signal)``, emptied; ``blocks`` as
    in :func:`run_spectral`) where it runs best: on a CUDA device with a linear depth map, one fused resize
    (:func:`run_dense`); otherwise :func:`run_spectral` (its transforms on the stack's device)."""
    if stack[0].is_cuda and not callable(depth):
        return run_dense(stack, depth, axes, rescaling, blocks=blocks)
    return run_spectral(stack, depth, axes, rescaling, blocks=blocks)

r"""CPU path of the spectral regulariser: fused passes of ``front_kernels._cpu``
around ``torch.fft``, on chunks of matrices small enough to stay in cache.

For the matrices ``W`` (shape ``(N1, N2)``; a 1-D signal is ``N1 = 1``) of a
chunk, with ``n = N1 N2``, the kept corner ``M = [0, k1) x [0, k2)`` and
``C`` the orthonormal 2-D DCT-II:

1. ``gather_centred``: ``X = W - mean(W)`` (or ``X = W`` without
   standardisation) in Makhoul's order, with ``||X||^2`` in float64;
2. ``D = C X``: ``rfft2``, then ``dct2_post_bands`` (``dct2_post`` of
   :mod:`.native`), which also gives
3. ``L = ||M o D||^2`` and ``H = ||(1 - M) o D||^2``, both summed directly in
   float64 (no ``||X||^2 - L`` cancellation);
4. the penalty ``P = H / d^2``, ``d = sqrt(||X||^2 / (n - 1)) + 1e-8`` (or
   ``P = H``).

With a gradient to compute, the same chunk goes on:

5. ``D <- alpha (1 - M) o D + beta M o D`` with ``alpha = (2 / d^2)(1 - r)``,
   ``beta = -(2 / d^2) r``, ``r = d P / ((n - 1) sigma)`` (or ``alpha = 2``,
   ``beta = 0``), fused into
6. ``C^T D``: ``dct3_pre_bands`` (``dct3_pre`` of :mod:`.native`), the inverse
   FFT and ``scatter``.

Step 6 gives ``dP/dW`` (derivation in :mod:`front_kernels.regularize`), which the
backward scales by the incoming gradient. Every intermediate array lives in a
per-thread scratch buffer that is reused from chunk to chunk, and a chunk holds
about ``CHUNK_ELEMENTS`` values (at least one matrix), so the passes between the
two FFTs run on cached data (a chunk of more than ``CACHED_ELEMENTS`` values,
one huge matrix, gets fresh buffers instead).

:func:`spectral_energy` is a ``torch.library`` custom op (fake kernel and
autograd registered), so it works under ``torch.compile(fullgraph=True)``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import torch

from ..._checks import compute_dtype
from ..._chunks import plan_chunks
from . import native
from .dct import _axis_factors

# Elements per chunk (at least one matrix): the scratch arrays of a chunk (about
# 4.5 times its size in bytes) stay in the last-level cache, and the dispatch of
# its seven calls (about 65 us in all) stays small next to the transforms.
CHUNK_ELEMENTS = 1 << 18

# Chunks up to this many elements use the per-thread scratch buffers, which are
# kept between calls; a larger one (a single huge matrix) gets fresh buffers,
# so that one embedding table does not pin several copies of itself.
CACHED_ELEMENTS = 1 << 24

_EPS = 1e-8
_DTYPES = (torch.float32, torch.float64, torch.bfloat16, torch.float16)


def usable(params: list[torch.Tensor]) -> bool:
    """True when the compiled passes are enabled and every tensor is a floating CPU tensor."""
    return (native.enabled and native.available()
            and all(p.device.type == "cpu" and p.dtype in _DTYPES for p in params))


def _factors(n1: int, n2: int, inverse: bool) -> tuple[float, float, float, float]:
    """Axis scales ``(a1, b1, a2, b2)`` of the orthonormal DCT-II (or its inverse) for ``dct2_post`` / ``dct3_pre``.

    A length-1 first axis has the un-normalised DCT-II ``(2)`` and DCT-III ``(1)``, hence 1/2 and 1.
    """
    t = 3 if inverse else 2
    first = (1.0, 1.0) if inverse else (0.5, 0.5)
    if n1 > 1:
        first = _axis_factors(n1, t, "ortho", inverse)
    return (*first, *_axis_factors(n2, t, "ortho", inverse))


def _buffer(role: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    if math.prod(shape) > CACHED_ELEMENTS:
        return torch.empty(shape, dtype=dtype)
    return native._scratch(role, shape, dtype)


def _band_scales(stats: list[float], bands: list[float], n: int, standardize: bool, need_grad: bool,
                 scale: float) -> tuple[list[float], list[float], list[float]]:
    """Per matrix: ``scale`` times the penalty, and the factors ``alpha``, ``beta`` of step 5 (module doc)."""
    energies, alphas, betas = [], [], []
    for j in range(len(bands) // 2):
        high = bands[2 * j + 1]
        if not standardize:
            energies.append(scale * high)
            alphas.append(2.0 * scale)
            betas.append(0.0)
            continue
        std = math.sqrt(stats[2 * j + 1] / (n - 1))
        d = std + _EPS
        p = high / (d * d)
        energies.append(scale * p)
        if need_grad:
            r = d * p / ((n - 1) * std) if std > 0 else 0.0
            alphas.append(2.0 * scale * (1.0 - r) / (d * d))
            betas.append(-2.0 * scale * r / (d * d))
    return energies, alphas, betas


@dataclass(frozen=True)
class _Plan:
    """What every chunk of one call shares: sizes, kept corner, options, dtypes and axis scales."""

    n1: int
    n2: int
    k1: int
    k2: int
    standardize: bool
    need_grad: bool
    scale: float
    dtype: torch.dtype

    @property
    def n(self) -> int:
        return self.n1 * self.n2

    @cached_property
    def dbl(self) -> bool:
        return self.dtype == torch.float64

    @cached_property
    def ctype(self) -> torch.dtype:
        return torch.complex128 if self.dbl else torch.complex64

    @cached_property
    def item(self) -> int:
        return 8 if self.dbl else 4

    @cached_property
    def forward(self) -> tuple[float, float, float, float]:
        return _factors(self.n1, self.n2, False)

    @cached_property
    def inverse(self) -> tuple[float, float, float, float]:
        return _factors(self.n1, self.n2, True)


def _run_chunk(pieces, params, dirs, plan: _Plan) -> float:
    """Steps 1-6 of the module doc for one chunk, everything times ``plan.scale``; returns the sum of its
    penalties."""
    n1, n2, n, item, dbl = plan.n1, plan.n2, plan.n, plan.item, plan.dbl
    b = sum(take for _, _, take in pieces)
    v = _buffer("spectral_v", (b, n1, n2), plan.dtype)
    stats = torch.empty(2 * b, dtype=torch.float64)
    row = 0
    for i, r0, take in pieces:
        src = params[i].detach().reshape(-1, n).narrow(0, r0, take)
        if src.dtype != plan.dtype or not src.is_contiguous():
            src = src.to(plan.dtype).contiguous()
        native._cpu.gather_centred(src.data_ptr(), v.data_ptr() + row * n * item, take, n1, n2, plan.standardize,
                                   stats.data_ptr() + 16 * row, dbl)
        row += take
    spec = torch.fft.rfft2(v)
    coef = _buffer("spectral_D", (b, n1, n2), plan.dtype)
    bands = torch.empty(2 * b, dtype=torch.float64)
    native._cpu.dct2_post_bands(spec.data_ptr(), coef.data_ptr(), b, n1, n2, *plan.forward, plan.k1, plan.k2,
                                bands.data_ptr(), dbl)
    energies, alphas, betas = _band_scales(stats.tolist(), bands.tolist(), n, plan.standardize, plan.need_grad,
                                           plan.scale)
    if not plan.need_grad:
        return math.fsum(energies)
    alpha = torch.tensor(alphas, dtype=torch.float64)
    beta = torch.tensor(betas, dtype=torch.float64)
    packed = n2 % 2 == 0
    half = _buffer("spectral_Z", (b, n1, n2 // 2 if packed else n2 // 2 + 1), plan.ctype)
    native._cpu.dct3_pre_bands(coef.data_ptr(), half.data_ptr(), b, n1, n2, *plan.inverse, packed, plan.k1,
                               plan.k2, alpha.data_ptr(), beta.data_ptr(), dbl)
    if packed:
        out = torch.fft.ifft2(half, norm="forward")
    else:
        out = torch.fft.irfft2(half, s=(n1, n2), norm="forward")
    row = 0
    for i, r0, take in pieces:
        native._cpu.scatter(out.data_ptr() + row * n * item, dirs[i].data_ptr() + r0 * n * item, take, n1, n2, dbl)
        row += take
    return math.fsum(energies)


def _energy_and_directions(params: list[torch.Tensor], n1: int, n2: int, k1: int, k2: int, standardize: bool,
                           need_grad: bool, scale: float) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The custom op's computation, chunk by chunk (see :func:`spectral_energy`)."""
    plan = _Plan(n1, n2, k1, k2, standardize, need_grad, scale, compute_dtype(params[0].dtype))
    counts = [p.numel() // plan.n for p in params]
    dirs = [torch.empty(p.shape, dtype=plan.dtype) for p in params] if need_grad else []
    total = 0.0
    for pieces in plan_chunks(counts, max(1, CHUNK_ELEMENTS // plan.n)):
        total += _run_chunk(pieces, params, dirs, plan)
    return torch.tensor(total, dtype=plan.dtype), dirs


if native.available():

    @torch.library.custom_op("front_kernels::spectral_energy_cpu", mutates_args=(), device_types="cpu")
    def spectral_energy(params: list[torch.Tensor], n1: int, n2: int, k1: int, k2: int, standardize: bool,
                        need_grad: bool, scale: float) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """``scale`` times the sum of the penalties of every ``(n1, n2)`` matrix in ``params``, and with
        ``need_grad`` its gradient with respect to each tensor (in the compute dtype); see the module doc."""
        return _energy_and_directions(params, n1, n2, k1, k2, standardize, need_grad, scale)

    @spectral_energy.register_fake
    def _spectral_energy_fake(params, n1, n2, k1, k2, standardize, need_grad, scale):
        cdt = compute_dtype(params[0].dtype)
        dirs = [torch.empty(p.shape, dtype=cdt) for p in params] if need_grad else []
        return params[0].new_empty((), dtype=cdt), dirs

    def _setup(ctx, inputs, output):
        params, *args = inputs
        ctx.set_materialize_grads(False)  # the directions are never differentiated: no zero-filled grads
        ctx.dtypes = [p.dtype for p in params]
        ctx.args = args
        ctx.save_for_backward(*params)  # read only if the backward runs twice (retain_graph=True)
        # Kept without their autograd history (no reference cycle through grad_fn) and handed over by the
        # first backward, so that autograd can adopt them as .grad without a copy.
        ctx.dirs = [d.detach() for d in output[1]]

    def _backward(ctx, grad, _grad_dirs):
        none = (None,) * len(ctx.args)
        if grad is None:
            return [None] * len(ctx.dtypes), *none
        if not ctx.args[-2]:
            raise RuntimeError("spectral_energy_cpu was called with need_grad=False; it has no gradient")
        dirs, ctx.dirs = ctx.dirs, None
        if dirs is None:  # a second backward through a retained graph
            dirs = _energy_and_directions(list(ctx.saved_tensors), *ctx.args)[1]
        eager = type(grad) is torch.Tensor and not grad.requires_grad
        if not (eager and grad.item() == 1.0):
            dirs = [d.mul_(grad) for d in dirs]
        return [d.to(dtype) for d, dtype in zip(dirs, ctx.dtypes)], *none

    spectral_energy.register_autograd(_backward, setup_context=_setup)

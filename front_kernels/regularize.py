r"""Spectral regulariser: the high-frequency DCT energy of weights (METHODS 1.4).

For a weight ``W`` seen as a matrix of shape ``(n1, n2)`` (shape rules below),

.. math::

    Z = \frac{W - \mu}{d}, \quad d = \sigma + 10^{-8}, \qquad
    P(W) = \lVert (1 - M_k) \odot \mathrm{DCT}(Z) \rVert_F^2

where ``mu`` is the mean, ``sigma`` the standard deviation with Bessel's
correction (as :func:`torch.std`), ``DCT`` the orthonormal 2-D DCT-II
(``dctn(Z, norm='ortho')``) and ``M_k`` keeps the low-frequency corner: the
first ``k_i = floor(n_i * keep_ratio)`` coefficients along each axis. With
``standardize=False``, ``Z = W``.

How it is computed, per group of equal-shape parameters packed into batches
``(b, n1, n2)``: ``X = W - mu`` is centred first, ``D = DCT(X)`` is one
batched transform, and ``DCT(Z) = D / d``. The transform preserves norms, so
``(n - 1) sigma^2 = ||X||^2 = ||D||^2`` (``n = n1 * n2``), and ``P = ||(1 -
M_k) o D||^2 / d^2`` is summed over the high-frequency coefficients directly
(no ``||Z||^2 - ||corner||^2`` cancellation). With ``H = IDCT((1 - M_k) o D)``,

.. math::

    \frac{\partial P}{\partial W} = \frac{2}{d^2}\left(H
        - r X\right), \qquad r = \frac{d\,P}{(n - 1)\,\sigma},

which is ``dP/dZ = 2 H / d`` pulled back through the standardisation: ``H``
has zero mean (``X`` has no DC term) and ``<H, X> = d^2 P``. As ``X =
IDCT(D)``, the bracket is one inverse transform of ``D`` rescaled (high part
by ``1 - r``, kept corner by ``-r``). With ``standardize=False`` the gradient
is ``2 IDCT((1 - M_k) o D)``. The forward computes the gradient when one is
needed, and the backward only scales it by the incoming gradient (the native
CPU path below hands it over unscaled when that is 1, and the module folds
``weight`` into that forward).
The cost is two 2-D transforms, the transforms of the plain formula's forward
and backward, without its chain of elementwise autograd nodes. (Computing
only the kept corner ``C_k1 X C_k2^T`` by matrix products, with ``||high||^2 =
||X||^2 - ||corner||^2``, takes ``O(n1 n2 (k1 + k2))`` multiply-adds against
the FFT's ``O(n1 n2 log(n1 n2))``: on ViT-S shapes it was slower than the
plain formula.)

On CPU (float32 / float64 computation, compiled extension present) this runs
as one custom op, ``front_kernels::spectral_energy_cpu``
(:mod:`front_kernels._backends.reference.spectral_cpu`): fused C++ passes
around ``torch.fft`` on cache-sized chunks, with the mean and the norms
accumulated in float64. Elsewhere (CUDA, or ``FRONT_KERNELS_NATIVE_CPU=0``)
it runs on :func:`~front_kernels.dctn` / :func:`~front_kernels.idctn` and
torch ops, in batches of about 16 MB on CPU and one batch per group on other
devices.

Shape rules (METHODS 1.1): 4-D conv ``(o, i, kh, kw)`` -> ``(o*i, kh*kw)``;
3-D ``(o, i, k)`` -> ``(o*i, k)``; a matrix with a singleton dim -> 1-D; 1-D
tensors use the 1-D DCT-II (``k = floor(n * keep_ratio)`` along the one axis).

Precision: float16 / bfloat16 weights are computed in float32 (autocast is
switched off inside), float64 stays float64; the gradient is returned in the
weight's dtype. Centring before the transform, with the mean accumulated in
float64 (native path) or taken twice (torch path), keeps nearly constant
weights (``sigma << |mu|``, e.g. norm gains) accurate: better than the plain
float32 formula, whose float32 mean moves the gradient by ``r / d^2`` per unit
of rounding. A constant weight has ``P = 0`` and a zero gradient. Float64 matches the
full-transform formula to ``1e-8``; in float32 the penalty carries the
transform's relative error (about ``1e-7``).
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable

import torch
from torch import nn

from ._backends.reference import spectral_cpu
from ._checks import check_float_tensor, compute_dtype
from ._chunks import plan_chunks
from .transforms.dct import dctn, idctn

_EPS = 1e-8


def signal_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The 1-D or 2-D shape a parameter of ``shape`` is transformed as (METHODS 1.1)."""
    shape = tuple(shape)
    if len(shape) == 4:
        shape = (shape[0] * shape[1], shape[2] * shape[3])
    elif len(shape) == 3:
        shape = (shape[0] * shape[1], shape[2])
    elif len(shape) > 4:
        raise ValueError(f"weight must have 1 to 4 dims, got shape {shape}")
    if len(shape) == 2 and 1 in shape:
        shape = (shape[0] * shape[1],)
    return shape


def _square_norm(t: torch.Tensor) -> torch.Tensor:
    """Squared Frobenius norm of each ``t[b]`` for ``t`` of shape ``(B, n)`` or ``(B, n1, n2)``, shape ``(B,)``.

    Row norms first, then their sum: a single float32 reduction over a whole
    matrix drifts by about ``1e-5`` relative, this stays near ``1e-7``.
    """
    e = torch.linalg.vector_norm(t, dim=-1).square()
    return e.sum(dim=-1) if t.ndim == 3 else e


# On CPU the matrices of a group are packed and transformed in equal chunks of
# at most about this many elements: small enough to stay near the cache and to
# be recycled by the allocator (a fresh large buffer is faulted in page by
# page on every call), large enough to amortise the ~0.1 ms of Python dispatch
# per transform call. On other devices a group is one chunk.
_CHUNK_ELEMENTS = 1 << 22


def _chunk_energy(x: torch.Tensor, sig: tuple[int, ...], keep_ratio: float, standardize: bool,
                  need_grad: bool) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """Energies ``(b,)`` of the ``b`` matrices in ``x`` (shape ``(b, *sig)``, centred when
    ``standardize``); with ``need_grad`` also ``dP/dW`` up to a factor ``(b,)``, and that factor.

    The standardisation's term ``-r X`` of the gradient is folded into the
    spectrum before the inverse transform: ``H - r X = IDCT((1 - M) o D - r D)``.
    """
    n = math.prod(sig)
    dims = tuple(range(-len(sig), 0))
    k = [math.floor(m * keep_ratio) for m in sig]
    coef = dctn(x, dim=dims, norm="ortho")
    corner = coef[(slice(None),) + tuple(slice(0, kk) for kk in k)]
    if len(sig) == 2:
        highs = [coef[:, k[0]:, :], coef[:, : k[0], k[1]:]]
    else:
        highs = [coef[:, k[0]:]]
    high = sum(_square_norm(t) for t in highs)
    if standardize:
        # Parseval: (n - 1) var = ||X||^2 = ||DCT(X)||^2, X already centred.
        std = ((_square_norm(corner) + high) / (n - 1)).sqrt()
        d = std + _EPS
        energy = high / d.square()
    else:
        energy = high
    if not need_grad:
        return energy, None, None
    bcast = (-1,) + (1,) * len(sig)
    if standardize:
        # dP/dW = (2 / d^2) (H - r X), r = d P / ((n - 1) std).
        r = torch.where(std > 0, d * energy / ((n - 1) * std.clamp_min(torch.finfo(std.dtype).tiny)), 0.0)
        s = 2.0 / d.square()
        corner.mul_((-r * s).view(bcast))
        for t in highs:
            t.mul_(((1.0 - r) * s).view(bcast))
        scale = torch.ones_like(energy)
    else:
        corner.zero_()
        scale = torch.full_like(energy, 2.0)
    return energy, idctn(coef, dim=dims, norm="ortho"), scale


class _HighEnergy(torch.autograd.Function):
    """High-frequency energy of every matrix in ``params``; output ``(B,)``, ``B`` matrices in all.

    Each tensor of ``params`` holds ``b_i`` matrices of shape ``sig`` (its
    numel is ``b_i * prod(sig)``). They are centred (or copied) into chunks
    of about ``_CHUNK_ELEMENTS`` and each chunk is transformed in one batched
    call. With ``need_grad`` the gradient direction is computed here and the
    backward only scales it by ``grad_output``.
    """

    @staticmethod
    def forward(ctx, sig, keep_ratio, standardize, need_grad, *params):
        n = math.prod(sig)
        cdt = compute_dtype(params[0].dtype)
        counts = [p.numel() // n for p in params]
        total = sum(counts)
        limit = _CHUNK_ELEMENTS if params[0].device.type == "cpu" else total * n
        pieces = -(-total // max(1, limit // n))
        # Equal chunks: the transform's workspace is then reused from one chunk to the next.
        chunks = plan_chunks(counts, -(-total // pieces))
        energies, dirs, scales = [], [], []
        with torch.autocast(params[0].device.type, enabled=False):
            for chunk in chunks:
                x = torch.empty((sum(t for _, _, t in chunk), n), dtype=cdt, device=params[0].device)
                row = 0
                for i, r0, take in chunk:
                    v = params[i].reshape(-1, n).narrow(0, r0, take).to(cdt)
                    dst = x.narrow(0, row, take)
                    if standardize:
                        # Twice: the second mean removes the rounding of the first (its float32
                        # value is up to half an ulp of |mu| off, which moves the gradient by r / d^2 per unit).
                        torch.sub(v, v.mean(dim=1, keepdim=True), out=dst)
                        dst.sub_(dst.mean(dim=1, keepdim=True))
                    else:
                        dst.copy_(v)
                    row += take
                e, h, s = _chunk_energy(x.view((-1,) + sig), sig, keep_ratio, standardize, need_grad)
                energies.append(e)
                if need_grad:
                    dirs.append(h)
                    scales.append(s)
        if need_grad:
            ctx.save_for_backward(*dirs, *scales)
        ctx.chunks = chunks
        ctx.shapes = [p.shape for p in params]
        ctx.dtypes = [p.dtype for p in params]
        return torch.cat(energies)

    @staticmethod
    def backward(ctx, grad_energy):
        saved = ctx.saved_tensors
        k = len(ctx.chunks)
        parts = [[] for _ in ctx.shapes]
        row = 0
        for chunk, h, s in zip(ctx.chunks, saved[:k], saved[k:]):
            g = (grad_energy.narrow(0, row, h.shape[0]).to(s.dtype) * s).view((-1,) + (1,) * (h.ndim - 1))
            off = 0
            for i, _, take in chunk:
                parts[i].append(h.narrow(0, off, take) * g.narrow(0, off, take))
                off += take
            row += h.shape[0]
        return (None, None, None, None, *[(p[0] if len(p) == 1 else torch.cat(p)).reshape(shape).to(dtype)
                                          for p, shape, dtype in zip(parts, ctx.shapes, ctx.dtypes)])


def _check_keep_ratio(keep_ratio) -> float:
    if isinstance(keep_ratio, bool) or not isinstance(keep_ratio, (int, float)):
        raise TypeError(f"keep_ratio must be a float in [0, 1], got {keep_ratio!r}")
    if not 0.0 <= keep_ratio <= 1.0:
        raise ValueError(f"keep_ratio must be in [0, 1], got {keep_ratio!r}")
    return float(keep_ratio)


def _stacked_energy(params: list[torch.Tensor], sig: tuple[int, ...], keep_ratio: float, standardize: bool,
                    scale: float = 1.0) -> torch.Tensor:
    """``scale`` times the sum of the penalties of every matrix of ``params`` (each a whole number of
    ``sig``-shaped matrices)."""
    need_grad = torch.is_grad_enabled() and any(p.requires_grad for p in params)
    if spectral_cpu.usable(params):
        n1, n2 = (1, sig[0]) if len(sig) == 1 else sig
        k1 = 1 if len(sig) == 1 else math.floor(n1 * keep_ratio)
        energy, _ = spectral_cpu.spectral_energy(params, n1, n2, k1, math.floor(n2 * keep_ratio), standardize,
                                                 need_grad, scale)
        return energy
    return scale * _HighEnergy.apply(tuple(sig), keep_ratio, standardize, need_grad, *params).sum()


def spectral_penalty(weight: torch.Tensor, keep_ratio: float = 0.5, *, standardize: bool = True,
                     batch_dims: int = 0) -> torch.Tensor:
    r"""High-frequency DCT energy of ``weight``: :math:`\lVert (1 - M_k) \odot \mathrm{DCT}(Z) \rVert^2`.

    Args:
        weight: a 1-D to 4-D floating tensor (after ``batch_dims`` leading dims),
            reshaped by the rules of the module docstring.
        keep_ratio: fraction of coefficients kept (not penalised) along each
            transformed axis; the first ``floor(n * keep_ratio)``.
        standardize: penalise the standardised ``Z`` (default) or ``W`` itself.
        batch_dims: number of leading dims that index independent weights
            (e.g. 1 for a stack of layers ``(L, n1, n2)``): each is standardised
            on its own and the penalties are summed.

    Returns:
        A 0-d tensor (float32 for half-precision input, else ``weight``'s dtype),
        differentiable with respect to ``weight``.
    """
    check_float_tensor(weight, "weight")
    keep_ratio = _check_keep_ratio(keep_ratio)
    if isinstance(batch_dims, bool) or not isinstance(batch_dims, int) or batch_dims < 0:
        raise ValueError(f"batch_dims must be a non-negative int, got {batch_dims!r}")
    if weight.ndim <= batch_dims:
        raise ValueError(f"weight of shape {tuple(weight.shape)} has no dims left after batch_dims={batch_dims}")
    sig = signal_shape(weight.shape[batch_dims:])
    if standardize and math.prod(sig) < 2:
        raise ValueError(f"standardize=True needs at least 2 elements per weight, got shape {tuple(weight.shape)}")
    return _stacked_energy([weight], sig, keep_ratio, bool(standardize))


_Pattern = str | Iterable[str] | Callable[[str, torch.Tensor], bool] | None


def _matcher(pattern: _Pattern, name: str) -> Callable[[str, torch.Tensor], bool] | None:
    if pattern is None:
        return None
    if callable(pattern):
        return pattern
    if isinstance(pattern, str):
        pattern = [pattern]
    try:
        regexes = [re.compile(p) for p in pattern]
    except (TypeError, re.error) as exc:
        raise TypeError(f"{name} must be a regex, a list of regexes or a callable(name, param), "
                        f"got {pattern!r}") from exc
    return lambda n, p: any(r.search(n) for r in regexes)


class SpectralRegularizer(nn.Module):
    r"""``weight * sum_p P(p)`` over chosen parameters of ``model`` (see the module docstring).

    Calling the module with no arguments returns a 0-d float tensor; add it to
    the task loss before ``backward()``::

        reg = SpectralRegularizer(model, keep_ratio=0.5, weight=1e-4)
        loss = criterion(model(x), y) + reg()

    Parameters are chosen once, at construction: by default every floating
    parameter with ``requires_grad`` and at least 2 dims (``include_1d=True``
    adds vectors of 2 or more elements). ``include`` replaces the rule on dims
    by regexes searched in the parameter names (or a ``callable(name,
    param)``); ``exclude`` removes matches. Frozen parameters are never
    penalised. Parameters whose transformed shape, dtype and
    device agree (the same weight of every block) are stacked and evaluated
    in one batched call.

    Distributed training: the module only reads the parameters it was given
    and holds no buffers; mean and std are per tensor and the penalty is a
    pure function of the (replicated) parameters, so every rank computes the
    same value with no collective. Its gradient is summed into ``param.grad``
    by the same backward as the task loss, before DDP's gradient hooks fire,
    so DDP's usual all-reduce carries it: no extra communication. Build it on
    the DDP-wrapped or the inner module alike (names differ by ``module.``).

    Args:
        model: the module whose parameters are penalised.
        keep_ratio: kept fraction along each axis, in ``[0, 1]``.
        weight: the multiplier ``lambda >= 0`` (0 turns the penalty off).
        standardize: penalise standardised weights (METHODS 1.1) or raw ones.
        include, exclude: regex / list of regexes / callable, see above.
        include_1d: also penalise 1-D parameters (norm scales, biases).
    """

    def __init__(self, model: nn.Module, keep_ratio: float = 0.5, weight: float = 1.0, standardize: bool = True,
                 include: _Pattern = None, exclude: _Pattern = None, include_1d: bool = False):
        super().__init__()
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
        self.keep_ratio = _check_keep_ratio(keep_ratio)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) \
                or weight < 0:
            raise ValueError(f"weight must be a finite number >= 0 (a negative weight rewards high-frequency "
                             f"energy instead of penalising it), got {weight!r}")
        self.weight = float(weight)
        self.standardize = bool(standardize)
        inc = _matcher(include, "include")
        exc = _matcher(exclude, "exclude")
        min_dims = 1 if include_1d else 2
        groups: dict[tuple, list[tuple[str, nn.Parameter]]] = {}
        for name, p in model.named_parameters():
            if not p.is_floating_point() or not p.requires_grad:
                continue
            if not (inc(name, p) if inc is not None else p.ndim >= min_dims):
                continue
            if exc is not None and exc(name, p):
                continue
            if p.ndim > 4:
                raise ValueError(f"parameter {name!r} has {p.ndim} dims; the regulariser handles 1 to 4")
            sig = signal_shape(p.shape)
            if math.prod(sig) < (2 if self.standardize else 1):
                continue
            groups.setdefault((sig, p.dtype, p.device), []).append((name, p))
        # Kept out of nn.Module's registries on purpose: the regulariser owns no parameters.
        self._groups = [(key[0], [p for _, p in members]) for key, members in groups.items()]
        self.names = [n for members in groups.values() for n, _ in members]
        if not self.names:
            raise ValueError("no parameter of model matches the selection (include/exclude/include_1d)")

    def forward(self) -> torch.Tensor:
        total = None
        for sig, params in self._groups:
            e = _stacked_energy(params, sig, self.keep_ratio, self.standardize, self.weight)
            total = e if total is None else total + e
        return total

    def extra_repr(self) -> str:
        return (f"keep_ratio={self.keep_ratio}, weight={self.weight}, standardize={self.standardize}, "
                f"parameters={len(self.names)}, groups={len(self._groups)}")

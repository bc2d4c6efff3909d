r"""Spectral regulariser: the high-frequency DCT energy of weights (METHODS 1.4).

For a weight ``W`` seen as a matrix of shape ``(n1, n2)`` (shape rules below),

.. math::

    Z = \frac{W - \operatorname{mean}(W)}{\operatorname{std}(W) + 10^{-8}}, \qquad
    P(W) = \lVert (1 - M_k) \odot C_{n_1} Z C_{n_2}^\top \rVert_F^2

where ``std`` has Bessel's correction (as :func:`torch.std`), ``C_n`` is the
orthonormal DCT-II matrix (rows are frequencies, ``dctn(Z, norm='ortho')``) and
``M_k`` keeps the low-frequency corner: the first ``k_i = floor(n_i *
keep_ratio)`` coefficients along each axis. With ``standardize=False``, ``Z =
W``. Because ``C_n`` is orthogonal, Parseval gives

.. math::

    P(W) = \lVert Z \rVert_F^2 - \lVert C_{k_1} Z C_{k_2}^\top \rVert_F^2,
    \qquad
    \frac{\partial P}{\partial Z} = 2\,(Z - C_{k_1}^\top L\, C_{k_2}),
    \quad L = C_{k_1} Z C_{k_2}^\top

with ``C_k`` the first ``k`` rows of ``C_n``: only the kept ``k1 x k2`` corner
is ever computed (two thin matmuls forward, two backward), never the full
transform. The backward is written by hand and includes the standardisation:
with ``G = dP/dZ``, ``d = std + 1e-8`` and ``N = n1 * n2``,

.. math::

    \frac{\partial P}{\partial W} = \frac{G - \operatorname{mean}(G)}{d}
        - \frac{\sum (G \odot Z)}{(N - 1)\,\operatorname{std}}\; Z .

Shape rules (METHODS 1.1): 4-D conv ``(o, i, kh, kw)`` -> ``(o*i, kh*kw)``;
3-D ``(o, i, k)`` -> ``(o*i, k)``; a matrix with a singleton dim -> 1-D; 1-D
tensors use the 1-D DCT-II (``k = floor(n * keep_ratio)`` along the one axis).

Precision: float16 / bfloat16 weights are computed in float32 (autocast is
switched off inside), float64 stays float64; the gradient is returned in the
weight's dtype. The subtraction ``||Z||^2 - ||L||^2`` loses about
``N * eps`` in absolute terms, so in float32 a penalty far below ``1e-4 * N``
carries few exact digits; float64 matches the full-transform formula to
``1e-8``.
"""
from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable

import torch
from torch import nn

from ._checks import check_float_tensor, compute_dtype

_EPS = 1e-8
_BASIS_CACHE: OrderedDict = OrderedDict()
_BASIS_CACHE_SIZE = 64


def _dct_basis(n: int, k: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    r"""First ``k`` rows of the orthonormal DCT-II matrix of size ``n``, shape ``(k, n)``.

    ``C[f, j] = sqrt(2/n) cos(pi f (2j + 1) / (2n))``, row 0 scaled by ``1/sqrt(2)``.
    Built in float64 and cached (least recently used, at most 64 entries) by
    ``(n, k, dtype, device)``.
    """
    key = (n, k, dtype, str(device))
    hit = _BASIS_CACHE.get(key)
    if hit is not None:
        _BASIS_CACHE.move_to_end(key)
        return hit
    f = torch.arange(k, dtype=torch.float64).unsqueeze(1)
    j = torch.arange(n, dtype=torch.float64).unsqueeze(0)
    c = torch.cos(math.pi * f * (2 * j + 1) / (2 * n)) * math.sqrt(2.0 / n)
    if k:
        c[0] *= math.sqrt(0.5)
    c = c.to(dtype=dtype, device=device)
    _BASIS_CACHE[key] = c
    while len(_BASIS_CACHE) > _BASIS_CACHE_SIZE:
        _BASIS_CACHE.popitem(last=False)
    return c


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


# Below this length an axis is contracted with the plain basis; from it on, the
# even/odd symmetry of DCT-II rows, C[f, n-1-j] = (-1)^f C[f, j], halves the
# contraction: even rows act on x_top + rev(x_bottom), odd rows on the difference.
_FOLD_MIN = 32


def _fold_plan(c1: torch.Tensor | None, c2: torch.Tensor) -> int:
    """Which dim of ``(B, n1, n2)`` is contracted first (1 or 2), by multiply-add count."""
    if c1 is None:
        return 2
    k1, n1 = c1.shape
    k2, n2 = c2.shape
    rows_first = k1 * n1 * n2 * (0.5 if n1 >= _FOLD_MIN else 1.0) + k1 * n2 * k2
    cols_first = k2 * n1 * n2 * (0.5 if n2 >= _FOLD_MIN else 1.0) + n1 * k2 * k1
    return 1 if rows_first <= cols_first else 2


def _halves(c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Even rows of ``c`` on the first ``ceil(n/2)`` columns, odd rows on the first ``floor(n/2)``."""
    n = c.shape[1]
    return c[0::2, : (n + 1) // 2], c[1::2, : n // 2]


def _contract(x: torch.Tensor, c: torch.Tensor, dim: int) -> torch.Tensor:
    """``c`` applied along ``dim`` (1 or 2) of ``x`` ``(B, n1, n2)``.

    With folding, the output's frequencies along ``dim`` come even ones first,
    then odd ones; :func:`_expand` takes the same order back.
    """
    k, n = c.shape
    if n < _FOLD_MIN or k < 2:
        return c @ x if dim == 1 else x @ c.T
    h = n // 2
    top = x.narrow(dim, 0, h)
    bottom = x.narrow(dim, n - h, h).flip(dim)
    total = top + bottom
    if n % 2:
        total = torch.cat([total, x.narrow(dim, h, 1)], dim)
    diff = top - bottom
    ce, co = _halves(c)
    if dim == 1:
        return torch.cat([ce @ total, co @ diff], 1)
    return torch.cat([total @ ce.T, diff @ co.T], 2)


def _expand(y: torch.Tensor, c: torch.Tensor, dim: int) -> torch.Tensor:
    """Adjoint of :func:`_contract`: ``c^T`` applied along ``dim`` of ``y``."""
    k, n = c.shape
    if n < _FOLD_MIN or k < 2:
        return c.T @ y if dim == 1 else y @ c
    h = n // 2
    ce, co = _halves(c)
    ke = ce.shape[0]
    if dim == 1:
        even, odd = ce.T @ y[:, :ke], co.T @ y[:, ke:]
    else:
        even, odd = y[:, :, :ke] @ ce, y[:, :, ke:] @ co
    even_h = even.narrow(dim, 0, h)
    parts = [even_h + odd]
    if n % 2:
        parts.append(even.narrow(dim, h, 1))
    parts.append((even_h - odd).flip(dim))
    return torch.cat(parts, dim)


def _low_corner(x: torch.Tensor, c1: torch.Tensor | None, c2: torch.Tensor, first: int) -> torch.Tensor:
    """``C1 X C2^T`` for ``x`` of shape ``(B, n1, n2)``; frequencies along ``first`` in folded order."""
    if c1 is None:
        return _contract(x, c2, 2)
    if first == 1:
        return _contract(x, c1, 1) @ c2.T
    return c1 @ _contract(x, c2, 2)


def _low_back(low: torch.Tensor, c1: torch.Tensor | None, c2: torch.Tensor, first: int) -> torch.Tensor:
    """``C1^T L C2``: the adjoint of :func:`_low_corner`, shape ``(B, n1, n2)``."""
    if c1 is None:
        return _expand(low, c2, 2)
    if first == 1:
        return _expand(low @ c2, c1, 1)
    return _expand(c1.T @ low, c2, 2)


class _HighEnergy(torch.autograd.Function):
    """Per-matrix high-frequency energy of a stack ``(B, n1, n2)``; output ``(B,)``.

    ``c1`` is ``None`` for 1-D signals (stored as ``(B, 1, n)``): only the last
    axis is transformed. The standardised ``Z`` is never materialised: with
    ``d = std + eps``, ``C1 Z C2^T = (C1 X C2^T - mean sqrt(N) e0 e0^T) / d``
    (the DCT of a constant is its DC term) and ``||Z||^2 = (N - 1) var / d^2``.
    """

    @staticmethod
    def forward(ctx, w, c1, c2, standardize):
        first = _fold_plan(c1, c2)
        with torch.autocast(w.device.type, enabled=False):
            x = w.to(c2.dtype)
            n = x.shape[1] * x.shape[2]
            low = _low_corner(x, c1, c2, first)
            has_dc = low.shape[1] > 0 and low.shape[2] > 0
            if standardize:
                var, mean = torch.var_mean(x, dim=(1, 2), correction=1)
                std = var.sqrt()
                d = std + _EPS
                if has_dc:
                    low[:, 0, 0] -= mean * math.sqrt(n)
                low = low / d.view(-1, 1, 1)
                z_energy = (n - 1) * var / d.square()
            else:
                mean = std = None
                z_energy = torch.linalg.vector_norm(x, dim=(1, 2)).square()
            energy = z_energy - low.square().sum(dim=(1, 2))
        ctx.save_for_backward(x, low, c1, c2, mean, std, energy)
        ctx.standardize = standardize
        ctx.first = first
        ctx.in_dtype = w.dtype
        return energy

    @staticmethod
    def backward(ctx, grad_energy):
        # dP/dZ = 2 g (Z - R), R = C1^T L C2; with Z = (X - mean) / d this is
        # alpha X + beta - (2g/d) R, and beta is folded into the DC term of L.
        x, low, c1, c2, mean, std, energy = ctx.saved_tensors
        with torch.autocast(x.device.type, enabled=False):
            g2 = 2.0 * grad_energy.to(x.dtype)
            n = x.shape[1] * x.shape[2]
            has_dc = low.shape[1] > 0 and low.shape[2] > 0
            if ctx.standardize:
                d = std + _EPS
                alpha = (g2 / d - g2 * energy / ((n - 1) * std)) / d
                beta = -alpha * mean
                if has_dc:
                    beta = beta + g2 * low[:, 0, 0] / (d * math.sqrt(n))
                scaled = low * (-g2 / d).view(-1, 1, 1)
            else:
                alpha = g2
                beta = torch.zeros_like(g2)
                scaled = low * (-g2).view(-1, 1, 1)
            if has_dc:
                scaled[:, 0, 0] += beta * math.sqrt(n)
            grad = _low_back(scaled, c1, c2, ctx.first)
            if not has_dc:
                grad = grad + beta.view(-1, 1, 1)
            grad = grad.addcmul_(x, alpha.view(-1, 1, 1))
        return grad.to(ctx.in_dtype), None, None, None


def _check_keep_ratio(keep_ratio) -> float:
    if isinstance(keep_ratio, bool) or not isinstance(keep_ratio, (int, float)):
        raise TypeError(f"keep_ratio must be a float in [0, 1], got {keep_ratio!r}")
    if not 0.0 <= keep_ratio <= 1.0:
        raise ValueError(f"keep_ratio must be in [0, 1], got {keep_ratio!r}")
    return float(keep_ratio)


def _stacked_energy(w: torch.Tensor, keep_ratio: float, standardize: bool) -> torch.Tensor:
    """Energy per matrix of ``w`` of shape ``(B, *signal)``, ``signal`` 1-D or 2-D; ``(B,)``."""
    cdt = compute_dtype(w.dtype)
    if w.ndim == 2:
        w = w.unsqueeze(1)
        c1 = None
    else:
        n1 = w.shape[1]
        c1 = _dct_basis(n1, math.floor(n1 * keep_ratio), cdt, w.device)
    n2 = w.shape[-1]
    c2 = _dct_basis(n2, math.floor(n2 * keep_ratio), cdt, w.device)
    return _HighEnergy.apply(w, c1, c2, standardize)


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
    batch = weight.shape[:batch_dims]
    sig = signal_shape(weight.shape[batch_dims:])
    if standardize and math.prod(sig) < 2:
        raise ValueError(f"standardize=True needs at least 2 elements per weight, got shape {tuple(weight.shape)}")
    w = weight.reshape((math.prod(batch),) + sig)
    return _stacked_energy(w, keep_ratio, bool(standardize)).sum()


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
        weight: the multiplier ``lambda``.
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
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
            raise ValueError(f"weight must be a finite number, got {weight!r}")
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
            if self.standardize and math.prod(sig) < 2:
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
            w = torch.stack([p.reshape(sig) for p in params]) if len(params) > 1 else params[0].reshape((1,) + sig)
            e = _stacked_energy(w, self.keep_ratio, self.standardize).sum()
            total = e if total is None else total + e
        return self.weight * total

    def extra_repr(self) -> str:
        return (f"keep_ratio={self.keep_ratio}, weight={self.weight}, standardize={self.standardize}, "
                f"parameters={len(self.names)}, groups={len(self._groups)}")

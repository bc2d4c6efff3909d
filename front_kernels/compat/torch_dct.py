r"""Drop-in for `torch-dct <https://github.com/zh217/torch-dct>`_: the same names, arguments and
numbers, computed by front_kernels' own transforms::

    import front_kernels.compat.torch_dct as dct     # instead of: import torch_dct as dct

    X = dct.dct(x, norm="ortho")                     # DCT-II over the last dim
    x2 = dct.idct_2d(dct.dct_2d(x))                  # over the last 2 dims (dct_3d: the last 3)
    layer = dct.LinearDCT(64, "dct", norm="ortho")   # an nn.Linear holding the DCT matrix

Conventions (torch-dct's). Every transform acts on the **last** dim (``*_2d`` on the last two,
``*_3d`` on the last three, separably); any leading dims are batch dims. For a length-``N`` axis:

- :func:`dct` (DCT-II), ``norm=None``:
  :math:`X_k = 2 \sum_{n=0}^{N-1} x_n \cos\frac{\pi k (2n+1)}{2N}`, i.e. ``scipy.fft.dct(x, type=2)``;
  ``norm='ortho'`` multiplies :math:`X_0` by :math:`1/\sqrt{4N}` and :math:`X_{k>0}` by
  :math:`1/\sqrt{2N}` (an orthonormal matrix, ``scipy.fft.dct(x, type=2, norm='ortho')``).
- :func:`idct` is its inverse for the same ``norm`` (``idct(dct(x, norm), norm) == x``); for
  ``norm=None`` :math:`x_n = \frac{1}{N}\bigl(\frac{X_0}{2} + \sum_{k=1}^{N-1} X_k \cos\frac{\pi k (2n+1)}{2N}\bigr)`,
  a scaled DCT-III (``scipy.fft.idct(X, type=2)``).
- :func:`dct1` (DCT-I, un-normalised, no ``norm`` argument):
  :math:`X_k = x_0 + (-1)^k x_{N-1} + 2 \sum_{n=1}^{N-2} x_n \cos\frac{\pi k n}{N-1}`
  (``scipy.fft.dct(x, type=1)``); for ``N = 1`` it returns :math:`X_0 = x_0`, as torch-dct does.
- :func:`idct1` is :math:`\mathrm{dct1}(X) / (2(N-1))`, so ``idct1(dct1(x)) == x`` (``N >= 2``).

``norm`` takes torch-dct's two values, ``None`` and ``'ortho'``; ``'backward'`` is accepted as
``None`` (the same numbers in torch-dct and scipy). Anything else is a ``ValueError`` here, where
torch-dct silently computes ``norm=None`` (so ``'forward'`` would mean different numbers there and
in scipy). Other differences, all on input torch-dct does not handle: ``idct1`` of a length-1 axis
raises (torch-dct divides by zero and returns inf/nan); :class:`LinearDCT` with an unknown ``type``
raises (torch-dct keeps its random init); ``bias=True`` starts at zero (torch-dct leaves it
uninitialised); float16/bfloat16 inputs and non-contiguous inputs to ``dct1`` work.

Every function takes a keyword-only ``backend=`` (``'reference'``, ``'triton'``, ``'cuda'``), as
the rest of front_kernels, and is differentiable.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .._checks import check_float_tensor, check_positive_int
from .. import transforms as _fk
from .._backends.reference.dct import _dct1_raw

__all__ = ["dct", "idct", "dct1", "idct1", "dct_2d", "idct_2d", "dct_3d", "idct_3d", "LinearDCT",
           "apply_linear_2d", "apply_linear_3d"]

_LINEAR_TYPES = ("dct", "idct", "dct1", "idct1")
# LinearDCT computes its product as the transform from this many vectors and elements on (measured on the
# 2-core CPU, float32: bench/results/compat_linear_crossover_cpu_2core.md)
FAST_MIN_N = 64
FAST_MIN_ROWS = 64
FAST_MIN_ELEMENTS = 1 << 16


def _norm(norm):
    """torch-dct's ``norm`` as front_kernels' (scipy's) name."""
    if norm is None or (isinstance(norm, str) and norm == "backward"):
        return None
    if isinstance(norm, str) and norm == "ortho":
        return "ortho"
    raise ValueError(f"norm must be None or 'ortho' (torch-dct's values; 'backward' means None), got {norm!r}")


# ----------------------------------------------------------------------------------------------
# DCT-II and its inverse


def dct(x: torch.Tensor, norm: str | None = None, *, backend: str | None = None) -> torch.Tensor:
    r"""DCT-II of ``x`` over its last dim, as ``torch_dct.dct``.

    :math:`X_k = 2 \sum_{n=0}^{N-1} x_n \cos\frac{\pi k (2n+1)}{2N}` for ``norm=None``
    (``scipy.fft.dct(x, type=2)``); ``norm='ortho'`` scales :math:`X_0` by :math:`1/\sqrt{4N}` and
    the rest by :math:`1/\sqrt{2N}` (orthonormal). Returns a tensor of ``x``'s shape and dtype.
    """
    return _fk.dct(x, type=2, dim=-1, norm=_norm(norm), backend=backend)


def idct(X: torch.Tensor, norm: str | None = None, *, backend: str | None = None) -> torch.Tensor:
    r"""Inverse of :func:`dct` over the last dim for the same ``norm``, as ``torch_dct.idct``:
    ``idct(dct(x, norm), norm) == x``.

    For ``norm=None``, :math:`x_n = \frac{1}{N}\bigl(\frac{X_0}{2} + \sum_{k=1}^{N-1} X_k
    \cos\frac{\pi k (2n+1)}{2N}\bigr)` (``scipy.fft.idct(X, type=2)``); for ``'ortho'`` the
    transpose of the orthonormal DCT-II matrix.
    """
    return _fk.idct(X, type=2, dim=-1, norm=_norm(norm), backend=backend)


# ----------------------------------------------------------------------------------------------
# DCT-I and its inverse


def _dct1(x: torch.Tensor, dim: int, inverse: bool, backend) -> torch.Tensor:
    check_float_tensor(x, "X" if inverse else "x")
    n = x.shape[dim]
    if n == 1:
        if inverse:
            raise ValueError("idct1 needs at least 2 points along the last dim (its scale is 1 / (2 (N - 1))), "
                             f"got shape {tuple(x.shape)}")
        return x.clone()  # the DCT-I of one point is that point
    if backend is None and x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64) and n > 2:
        # what the dispatcher runs on the CPU, without its per-call checks (this call is small and frequent)
        return _dct1_raw(x, dim % x.ndim, "forward" if inverse else "backward")
    transform = _fk.idct if inverse else _fk.dct
    return transform(x, type=1, dim=dim, norm=None, backend=backend)


def dct1(x: torch.Tensor, *, backend: str | None = None) -> torch.Tensor:
    r"""DCT-I of ``x`` over its last dim, un-normalised, as ``torch_dct.dct1``:

    .. math:: X_k = x_0 + (-1)^k x_{N-1} + 2 \sum_{n=1}^{N-2} x_n \cos\frac{\pi k n}{N-1},

    i.e. ``scipy.fft.dct(x, type=1)``. A length-1 last dim gives :math:`X_0 = x_0`.
    """
    return _dct1(x, -1, False, backend)


def idct1(X: torch.Tensor, *, backend: str | None = None) -> torch.Tensor:
    r"""Inverse of :func:`dct1` over the last dim, as ``torch_dct.idct1``: the DCT-I scaled by
    :math:`1/(2(N-1))`, so ``idct1(dct1(x)) == x`` (``scipy.fft.idct(X, type=1)``).

    Needs ``N >= 2`` (a ``ValueError`` otherwise; torch-dct returns inf/nan there).
    """
    return _dct1(X, -1, True, backend)


# ----------------------------------------------------------------------------------------------
# 2-D and 3-D: separable, over the last 2 / 3 dims


def dct_2d(x: torch.Tensor, norm: str | None = None, *, backend: str | None = None) -> torch.Tensor:
    r"""2-D DCT-II over the last 2 dims (:func:`dct` along each), as ``torch_dct.dct_2d``:
    :math:`X_{k_1 k_2} = \sum_{n_1, n_2} x_{n_1 n_2} c_{k_1 n_1} c_{k_2 n_2}` with
    :math:`c_{kn}` the 1-D DCT-II matrix of ``norm``.
    """
    return _fk.dctn(x, type=2, dim=(-2, -1), norm=_norm(norm), backend=backend)


def idct_2d(X: torch.Tensor, norm: str | None = None, *, backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`dct_2d` (:func:`idct` along each of the last 2 dims), as
    ``torch_dct.idct_2d``: ``idct_2d(dct_2d(x, norm), norm) == x``."""
    return _fk.idctn(X, type=2, dim=(-2, -1), norm=_norm(norm), backend=backend)


def dct_3d(x: torch.Tensor, norm: str | None = None, *, backend: str | None = None) -> torch.Tensor:
    r"""3-D DCT-II over the last 3 dims (:func:`dct` along each), as ``torch_dct.dct_3d``:
    :math:`X_{k_1 k_2 k_3} = \sum_{n_1, n_2, n_3} x_{n_1 n_2 n_3} c_{k_1 n_1} c_{k_2 n_2} c_{k_3 n_3}`.
    """
    return _fk.dctn(x, type=2, dim=(-3, -2, -1), norm=_norm(norm), backend=backend)


def idct_3d(X: torch.Tensor, norm: str | None = None, *, backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`dct_3d` (:func:`idct` along each of the last 3 dims), as
    ``torch_dct.idct_3d``: ``idct_3d(dct_3d(x, norm), norm) == x``."""
    return _fk.idctn(X, type=2, dim=(-3, -2, -1), norm=_norm(norm), backend=backend)


# ----------------------------------------------------------------------------------------------
# the transforms as linear layers


def _matrix(type: str, n: int, norm) -> torch.Tensor:
    """``(n, n)`` float64 matrix ``T`` of the transform ``type`` (``y = T x``): column ``i`` is the
    transform of the ``i``-th unit vector, computed by front_kernels along dim 0 of the identity."""
    eye = torch.eye(n, dtype=torch.float64)
    if type == "dct":
        return _fk.dct(eye, type=2, dim=0, norm=_norm(norm))
    if type == "idct":
        return _fk.idct(eye, type=2, dim=0, norm=_norm(norm))
    return _dct1(eye, 0, type == "idct1", None)


class LinearDCT(nn.Linear):
    r"""One of the transforms as an ``nn.Linear(in_features, in_features)`` whose weight is the
    transform's matrix, as ``torch_dct.LinearDCT``: ``LinearDCT(N, "dct", norm)(x) == dct(x, norm)``
    over the last dim (a matmul; useful on GPUs for small ``N``, at the cost of storing the matrix).

    ``type``: ``'dct'`` (:func:`dct`), ``'idct'`` (:func:`idct`), ``'dct1'`` (:func:`dct1`) or
    ``'idct1'`` (:func:`idct1`); ``norm`` (``None`` or ``'ortho'``) applies to ``'dct'`` and
    ``'idct'`` and, as in torch-dct, is ignored by the DCT-I types. The weight is
    :math:`W_{ki} = T(e_i)_k` (so ``W @ x`` is the transform), built in float64 and stored in the
    layer's dtype (the default dtype unless ``dtype=`` is given), with ``requires_grad=False``.
    ``bias`` (default ``False``) adds a trainable bias that starts at zero. The attributes ``type``,
    ``N`` and ``norm`` are torch-dct's; ``reset_parameters()`` rebuilds the weight. ``device`` and
    ``dtype`` (keyword-only) are passed to ``nn.Linear``.

    The forward is ``F.linear(x, weight, bias)``, computed as the transform itself (:func:`dct` /
    :func:`idct`, :math:`O(N \log N)` per vector instead of :math:`O(N^2)`; the same numbers to
    rounding) when all of these hold: the type is ``'dct'`` or ``'idct'``, the weight does not require
    grad and still equals the matrix built by ``reset_parameters()`` (compared entry by entry at each
    call, against a copy kept as the non-persistent buffer ``transform_matrix``, so an edited or loaded
    weight is always the one applied), ``x`` is a CPU tensor of the weight's dtype, ``N`` is at least
    :data:`FAST_MIN_N` and ``x`` holds at least :data:`FAST_MIN_ROWS` vectors and
    :data:`FAST_MIN_ELEMENTS` elements (below that the product is faster:
    ``bench/bench_compat.py --linear-crossover``). The DCT-I types always use the product
    (their FFT of length :math:`2(N-1)` is not reliably faster than it).
    """

    def __init__(self, in_features: int, type: str, norm: str | None = None, bias: bool = False, *,
                 device=None, dtype=None):
        in_features = check_positive_int(in_features, "in_features")
        if not isinstance(type, str) or type not in _LINEAR_TYPES:
            raise ValueError(f"type must be one of {', '.join(map(repr, _LINEAR_TYPES))}; got {type!r}")
        if type in ("dct", "idct"):
            _norm(norm)
        elif type == "idct1" and in_features < 2:
            raise ValueError(f"type 'idct1' needs in_features >= 2 (its scale is 1 / (2 (N - 1))), got {in_features}")
        self.type = type
        self.N = in_features
        self.norm = norm
        super().__init__(in_features, in_features, bias=bias, device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.weight.copy_(_matrix(self.type, self.N, self.norm))
            if self.bias is not None:
                self.bias.zero_()
        self.weight.requires_grad_(False)
        self.register_buffer("transform_matrix", self.weight.detach().clone(), persistent=False)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if self._transform_applies(input):
            y = (dct if self.type == "dct" else idct)(input, self.norm)
            return y if self.bias is None else y + self.bias
        return super().forward(input)

    def _transform_applies(self, x) -> bool:
        w = self.weight
        return (self.type in ("dct", "idct") and self.N >= FAST_MIN_N and isinstance(x, torch.Tensor)
                and x.device.type == "cpu"
                and not w.requires_grad and x.dtype == w.dtype and w.device == x.device and x.ndim >= 1
                and x.shape[-1] == self.N and x.numel() // self.N >= FAST_MIN_ROWS
                and x.numel() >= FAST_MIN_ELEMENTS
                and w.shape == self.transform_matrix.shape and w.dtype == self.transform_matrix.dtype
                and w.device == self.transform_matrix.device and torch.equal(w, self.transform_matrix))

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, type={self.type!r}, norm={self.norm!r}"


def _along(x: torch.Tensor, layer, dim: int) -> torch.Tensor:
    """``layer`` applied to the vectors along ``dim`` of ``x``."""
    if dim == -1:
        return layer(x)
    return layer(x.transpose(dim, -1)).transpose(dim, -1)


def apply_linear_2d(x: torch.Tensor, linear_layer) -> torch.Tensor:
    r"""``linear_layer`` applied along the last dim of ``x``, then along the second-to-last, as
    ``torch_dct.apply_linear_2d``: with a :class:`LinearDCT` of matrix :math:`T`,
    :math:`Y = T X T^\top` for each trailing matrix :math:`X` (e.g. ``dct_2d`` for ``type='dct'``).
    Any layer mapping the last dim works (a bias is added at each of the two steps).
    """
    return _along(_along(x, linear_layer, -1), linear_layer, -2)


def apply_linear_3d(x: torch.Tensor, linear_layer) -> torch.Tensor:
    r"""``linear_layer`` applied along the last dim of ``x``, then the second-to-last, then the
    third-to-last, as ``torch_dct.apply_linear_3d``: with a :class:`LinearDCT` of matrix :math:`T`,
    :math:`Y_{abc} = \sum_{ijk} T_{ai} T_{bj} T_{ck} X_{ijk}` (e.g. ``dct_3d`` for ``type='dct'``).
    """
    return _along(_along(_along(x, linear_layer, -1), linear_layer, -2), linear_layer, -3)

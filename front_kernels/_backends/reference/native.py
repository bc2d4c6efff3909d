r"""CPU fast path of the DCT-II / DCT-III: the compiled kernels of ``front_kernels._cpu``.

Where every transformed length is even and half of it has no prime factor
above 13 (all powers of two, 384, 1536, ...), the panel kernels
(``csrc/cpu/dct_panel*.{h,cpp}``) run the whole transform: one pass over the
rows (loaded transposed, P rows side by side) and one over the columns (P
adjacent columns side by side), each 1-D DCT computed from one complex FFT of
half the length (Makhoul's order, a Stockham autosort FFT vectorised across
the P signals), with AVX-512 / AVX2 / baseline code picked at run time. Other
lengths use the passes around ``torch.fft`` (MKL / pocketfft) below; both give
the same numbers up to rounding.

The ``torch.fft`` path follows :mod:`.dct2d` (the two-axis Makhoul algorithm):

* type 2: gather ``x -> v`` (Makhoul's order on both axes), ``V = rfft2(v)``, then
  one pass ``V -> X`` applying the twiddles, the row reflection and the scales;
* type 3: one pass ``X -> Z`` (scales, mirrors, twiddles, and for an even last
  size the packing of the half spectrum into ``N2/2`` complex columns so that a
  complex ``ifft2`` of half the width replaces ``irfft2``), the inverse FFT,
  then the un-gather ``v -> x``.

The operator :func:`dct23` works on the two trailing dims of a tensor of
shape ``(*batch, N1, N2)`` (float32 or float64) and computes

.. math::
   \text{type 2:}\quad y = (s_1 \otimes s_2) \odot (M_2 \otimes M_2)\,x, \qquad
   \text{type 3:}\quad y = (M_3 \otimes M_3)\,((s_1 \otimes s_2) \odot x),

with :math:`M_2`, :math:`M_3` scipy's un-normalised DCT-II / DCT-III matrices and
per-axis scales :math:`s_j = (a_j, b_j, b_j, \dots)`. Since
:math:`M_2^T = M_3\,\mathrm{diag}(2, 1, \dots, 1)`, the adjoint (the backward)
of type 2 with :math:`(a_j, b_j)` is type 3 with :math:`(2a_j, b_j)`, and of
type 3 it is type 2 with :math:`(a_j/2, b_j)`.

The intermediate buffer that this module allocates (the gathered input of
type 2, the spectrum of type 3) is kept per thread and reused while the size
stays the same: a fresh large buffer costs a page fault per 4 KiB, comparable
to a whole pass over the data. :func:`clear_workspace` releases it.

It is a ``torch.library`` custom op with a fake kernel and autograd, so it
works under ``torch.compile(fullgraph=True)``. Without the compiled extension,
or with ``FRONT_KERNELS_NATIVE_CPU=0`` (read at import; the module flag
``enabled`` can be changed later), :func:`usable` is False and the caller keeps
the pure-torch path.
"""
from __future__ import annotations

import functools
import math
import os
import threading

import torch

try:
    from ... import _cpu
except ImportError as exc:  # not built: the pure-torch path is used
    _cpu = None
    IMPORT_ERROR: Exception | None = exc
else:
    IMPORT_ERROR = None

ENV_VAR = "FRONT_KERNELS_NATIVE_CPU"
enabled = os.environ.get(ENV_VAR, "1") != "0"

_DTYPES = (torch.float32, torch.float64)


def available() -> bool:
    """True when the compiled extension ``front_kernels._cpu`` imports."""
    return _cpu is not None


def usable(x: torch.Tensor) -> bool:
    """True when the fast path is enabled, built, and ``x`` is a float32/float64 CPU tensor."""
    return enabled and _cpu is not None and x.device.type == "cpu" and x.dtype in _DTYPES


_workspace = threading.local()


def _scratch(role: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """This thread's reusable buffer for ``role``, viewed as ``shape``.

    It grows to the largest size asked for, so calls that alternate between
    shapes (stacked parameters of a model) reuse one allocation.
    """
    n = math.prod(shape)
    buf = getattr(_workspace, role, None)
    if buf is None or buf.dtype != dtype or buf.numel() < n:
        with torch.inference_mode(False):  # a normal tensor, writable in and out of inference mode
            buf = torch.empty(n, dtype=dtype)
        setattr(_workspace, role, buf)
    return buf[:n].view(shape)


def clear_workspace() -> None:
    """Release this thread's reusable intermediate buffers, and the panel kernels' plans and scratch."""
    _workspace.__dict__.clear()
    if _cpu is not None:
        _cpu.panel_clear()


@functools.lru_cache(maxsize=None)
def panel_supported(n: int) -> bool:
    """True when the panel kernels take an axis of length ``n`` (even, ``n/2`` without prime factors above 13)."""
    return bool(_cpu.panel_dct_supported(n))


def _dct23_impl(x: torch.Tensor, type: int, a1: float, b1: float, a2: float, b2: float) -> torch.Tensor:
    x = x.contiguous()
    n1, n2 = x.shape[-2], x.shape[-1]
    batch = x.numel() // (n1 * n2)
    dbl = x.dtype == torch.float64
    out = torch.empty_like(x)
    if out.numel() == 0:
        return out
    if panel_supported(n2) and (n1 == 1 or panel_supported(n1)):
        _cpu.panel_dct2d(x.data_ptr(), out.data_ptr(), batch, n1, n2, type, a1, b1, a2, b2, dbl)
        return out
    if type == 2:
        v = _scratch("gathered", tuple(x.shape), x.dtype)
        _cpu.gather(x.data_ptr(), v.data_ptr(), batch, n1, n2, dbl)
        spec = torch.fft.rfft2(v).contiguous()
        _cpu.dct2_post(spec.data_ptr(), out.data_ptr(), batch, n1, n2, a1, b1, a2, b2, dbl)
        return out
    ctype = torch.complex128 if dbl else torch.complex64
    packed = n2 % 2 == 0
    spec = _scratch("spectrum", (*x.shape[:-1], n2 // 2 if packed else n2 // 2 + 1), ctype)
    _cpu.dct3_pre(x.data_ptr(), spec.data_ptr(), batch, n1, n2, a1, b1, a2, b2, packed, dbl)
    if packed:
        v = torch.view_as_real(torch.fft.ifft2(spec, norm="forward").contiguous())
    else:
        v = torch.fft.irfft2(spec, s=(n1, n2), norm="forward").contiguous()
    _cpu.scatter(v.data_ptr(), out.data_ptr(), batch, n1, n2, dbl)
    return out


if _cpu is not None:

    @torch.library.custom_op("front_kernels::dct23_cpu", mutates_args=(), device_types="cpu")
    def dct23(x: torch.Tensor, type: int, a1: float, b1: float, a2: float, b2: float) -> torch.Tensor:
        """Scaled 2-D DCT-II (``type=2``) or DCT-III (``type=3``) over the two trailing dims (see module doc)."""
        return _dct23_impl(x, type, a1, b1, a2, b2)

    @dct23.register_fake
    def _dct23_fake(x, type, a1, b1, a2, b2):
        return torch.empty_like(x, memory_format=torch.contiguous_format)

    def _dct23_setup(ctx, inputs, output):
        ctx.params = inputs[1:]

    def _dct23_backward(ctx, grad):
        type, a1, b1, a2, b2 = ctx.params
        if type == 2:
            g = dct23(grad, 3, 2 * a1, b1, 2 * a2, b2)
        else:
            g = dct23(grad, 2, a1 / 2, b1, a2 / 2, b2)
        return g, None, None, None, None, None

    dct23.register_autograd(_dct23_backward, setup_context=_dct23_setup)


def _direct(x: torch.Tensor) -> bool:
    """True when the op can be skipped for a direct call: a plain tensor, no gradient to record, and
    no compiler, functorch transform or dispatch mode watching (each of those needs the registered op)."""
    return (type(x) is torch.Tensor and not (x.requires_grad and torch.is_grad_enabled())
            and not torch.compiler.is_compiling() and not torch._C._functorch.is_functorch_wrapped_tensor(x)
            and torch._C._len_torch_dispatch_stack() == 0 and not torch._C._is_torch_function_mode_enabled())


def _dct23_call(x: torch.Tensor, type: int, a1: float, b1: float, a2: float, b2: float) -> torch.Tensor:
    return _dct23_impl(x, type, a1, b1, a2, b2) if _direct(x) else dct23(x, type, a1, b1, a2, b2)


def dct_two_axes(x: torch.Tensor, type: int, d1: int, d2: int, f1: tuple[float, float],
                 f2: tuple[float, float]) -> torch.Tensor:
    """:func:`dct23` along dims ``d1 < d2`` of ``x``; ``f_j = (a_j, b_j)`` are the axis scales."""
    last = x.ndim - 1
    moved = (d1, d2) != (last - 1, last)
    if moved:
        x = x.movedim((d1, d2), (-2, -1))
    y = _dct23_call(x, type, f1[0], f1[1], f2[0], f2[1])
    return y.movedim((-2, -1), (d1, d2)) if moved else y


def window_usable(x: torch.Tensor, lengths: tuple[int, ...]) -> bool:
    """True when :func:`dct_window` takes ``x`` for full transform lengths ``lengths`` (its one or two
    trailing dims): the panel kernels are built, take those lengths, and nothing records a gradient."""
    return (usable(x) and 1 <= len(lengths) <= 2 and all(panel_supported(n) for n in lengths)
            and not (x.requires_grad and torch.is_grad_enabled()))


def dct_window(x: torch.Tensor, type: int, lengths: tuple[int, ...], keep: tuple[int, ...],
               factors: tuple[tuple[float, float], ...], out: torch.Tensor | None = None) -> torch.Tensor:
    r"""The scaled DCT of :func:`dct23` (``type`` 2 or 3) over the trailing dims of full lengths ``lengths``
    (one or two dims), of ``x`` read as the leading corner of its zero-padded input and keeping the
    leading ``keep`` corner of the result: with :math:`P` the zero-padding of ``x`` to ``lengths``,
    :math:`y = (M_1 \otimes M_2)(P x)` restricted to ``[:keep_1, :keep_2]``. One pass per axis,
    no padded input or full output in memory. ``factors``: ``(a, b)`` per axis, as :func:`dct_two_axes`.
    ``out``: a contiguous tensor of the result's shape and ``x``'s dtype to write into (returned).
    """
    given = out
    if len(lengths) == 1:
        lengths, keep, factors = (1,) + tuple(lengths), (1,) + tuple(keep), (((0.5, 0.5) if type == 2 else
                                                                             (1.0, 1.0)),) + tuple(factors)
        x = x.unsqueeze(-2)
        out = None if out is None else out.unsqueeze(-2)
        squeeze = True
    else:
        squeeze = False
    x = x.contiguous()
    (n1, n2), (r_out, c_out) = lengths, keep
    r_in, c_in = x.shape[-2], x.shape[-1]
    batch = x.numel() // max(1, r_in * c_in)
    shape = (*x.shape[:-2], r_out, c_out)
    if out is None:
        out = x.new_empty(shape)
    elif tuple(out.shape) != shape or out.dtype != x.dtype or not out.is_contiguous():
        raise ValueError(f"out must be a contiguous {x.dtype} tensor of shape {shape}, got {out.dtype} "
                         f"{tuple(out.shape)}")
    if out.numel() and batch:
        mid = out if r_in <= r_out else _scratch("window", (batch, r_in, c_out), x.dtype)
        (a1, b1), (a2, b2) = factors
        _cpu.panel_dct2d_window(x.data_ptr(), mid.data_ptr(), out.data_ptr(), batch, n1, n2, r_in, c_in, r_out,
                                c_out, type, a1, b1, a2, b2, x.dtype == torch.float64)
    return given if given is not None else out.squeeze(-2) if squeeze else out


def dct_last_axis(x: torch.Tensor, type: int, f: tuple[float, float]) -> torch.Tensor:
    """Scaled 1-D DCT-II / DCT-III along the last dim: the two-axis op with a length-1 first axis.

    A length-1 axis has :math:`M_2 = (2)` and :math:`M_3 = (1)`, hence its scale 1/2 for type 2.
    """
    a1 = 0.5 if type == 2 else 1.0
    return _dct23_call(x.unsqueeze(-2), type, a1, a1, f[0], f[1]).squeeze(-2)

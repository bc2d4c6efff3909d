"""Argument checks shared by the public functions.

Every check raises ``TypeError`` or ``ValueError`` whose message names the
argument and the offending value, before any backend sees the input.
"""
from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import torch

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
NORMS = ("backward", "ortho", "forward")


def check_float_tensor(x, name: str = "x", allow_empty: bool = False) -> torch.Tensor:
    """Return ``x`` if it is a non-empty floating tensor, else raise naming ``name``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(
            f"{name} must be a real floating tensor (float16, bfloat16, float32 or float64), "
            f"got dtype {x.dtype}"
        )
    if not allow_empty and x.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
    if x.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension, got a 0-d tensor")
    return x


def normalize_dim(dim, ndim: int, name: str = "dim") -> int:
    """Map ``dim`` (negative allowed; Python or numpy integer) to ``[0, ndim)`` or raise naming ``name``."""
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {dim!r}")
    dim = int(dim)
    if not -ndim <= dim < ndim:
        raise ValueError(f"{name}={dim} is out of range for a tensor with {ndim} dimensions")
    return dim % ndim


def normalize_dims(dims, ndim: int, name: str = "dim", unique: bool = True) -> tuple[int, ...]:
    """Map a sequence of dims to non-negative ints (unique unless ``unique=False``), keeping their order."""
    if isinstance(dims, numbers.Integral) and not isinstance(dims, bool):
        dims = (dims,)
    if not isinstance(dims, Iterable):
        raise TypeError(f"{name} must be an int or a sequence of ints, got {dims!r}")
    out = tuple(normalize_dim(d, ndim, name) for d in dims)
    if unique and len(set(out)) != len(out):
        raise ValueError(f"{name}={tuple(dims)} repeats a dimension")
    if not out:
        raise ValueError(f"{name} must name at least one dimension")
    return out


def check_norm(norm) -> str:
    """scipy's norm names; ``None`` means ``'backward'``."""
    if norm is None:
        return "backward"
    if norm not in NORMS:
        raise ValueError(f"norm must be None, 'backward', 'ortho' or 'forward', got {norm!r}")
    return norm


def check_choice(value, choices: Sequence, name: str):
    """Return ``value`` if it is one of ``choices``, else raise naming ``name``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """``value`` (a Python or numpy integer) as an int ``>= minimum``, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def as_dtype(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``x.to(dtype)``, without the call (a few microseconds) when ``x`` already has it."""
    return x if x.dtype == dtype else x.to(dtype)


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """Accumulation dtype: float64 stays float64, everything else is float32."""
    return torch.float64 if dtype == torch.float64 else torch.float32

"""``scipy.fft``'s real transforms backed by front_kernels: arrays in and out, every other argument
passed through unchanged (front_kernels itself takes scipy's names and conventions)."""
from __future__ import annotations

import functools

import front_kernels as fk
from peer_suites._convert import to_numpy, to_torch

__all__ = ["dct", "idct", "dctn", "idctn", "dst", "idst", "dstn", "idstn"]


def _wrap(name):
    impl = getattr(fk, name)

    @functools.wraps(impl)
    def f(x, *args, **kwargs):
        return to_numpy(impl(to_torch(x), *args, **kwargs))

    f.__name__ = name
    return f


dct, idct, dctn, idctn, dst, idst, dstn, idstn = (_wrap(n) for n in __all__)

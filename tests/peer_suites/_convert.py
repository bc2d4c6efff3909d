"""numpy <-> torch conversion shared by the peer-suite shims (nothing else: arguments pass through)."""
from __future__ import annotations

import numpy as np
import torch


def to_torch(a):
    """An array-like as a tensor, as the peer library would take it: integer and bool data become
    float64 (scipy and pywt compute those in float64); other dtypes are kept, so float16, complex and
    long double reach front_kernels as they are (and are refused or computed in their own dtype)."""
    if a is None or isinstance(a, torch.Tensor):
        return a
    arr = np.asarray(a)
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype == np.longdouble and np.longdouble != np.float64:
        arr = arr.astype(np.float64)  # torch has no long double; the peers' long-double tests are out of scope
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return torch.from_numpy(np.array(arr, copy=True))


def to_numpy(obj):
    """Tensors inside lists, tuples and dicts back to numpy arrays."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().numpy()
    if isinstance(obj, list):
        return [to_numpy(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(to_numpy(v) for v in obj)
    if isinstance(obj, dict):
        return {k: to_numpy(v) for k, v in obj.items()}
    return obj

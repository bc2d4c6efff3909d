r"""Tile-local (blocked) 2-D DCT, as in JPEG: every ``block x block`` tile of the
last two dims is transformed on its own,

.. math:: Y_{t} = C_b\, X_{t}\, C_b^{T}, \qquad X_t = C_b^{T} Y_t C_b

with :math:`C_b` the ``b x b`` DCT-II matrix (orthonormal for ``norm='ortho'``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .. import _dispatch
from .._checks import check_float_tensor, check_norm

BLOCK_RANGE = (4, 64)


def _prepare(x, block, norm, pad):
    check_float_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions for a blocked 2-D DCT, got shape {tuple(x.shape)}")
    if isinstance(block, bool) or not isinstance(block, int) or not BLOCK_RANGE[0] <= block <= BLOCK_RANGE[1]:
        raise ValueError(f"block must be an int in [{BLOCK_RANGE[0]}, {BLOCK_RANGE[1]}], got {block!r}")
    norm = check_norm(norm)
    h, w = x.shape[-2:]
    ph, pw = (-h) % block, (-w) % block
    if ph or pw:
        if not pad:
            raise ValueError(
                f"x's last two dims {(h, w)} are not multiples of block={block}; pass pad=True to zero-pad "
                f"the trailing partial tiles"
            )
        x = F.pad(x, [0, pw, 0, ph])
    return x, norm


def blocked_dct2(x: torch.Tensor, block: int = 8, norm: str | None = "ortho", pad: bool = False,
                 *, backend: str | None = None) -> torch.Tensor:
    """2-D DCT-II of each ``block x block`` tile of the last two dims.

    With ``pad=True`` the last two dims are zero-padded up to multiples of
    ``block`` (the output has the padded shape); otherwise a partial tile is an error.
    """
    x, norm = _prepare(x, block, norm, pad)
    return _dispatch.select("blocked_dct2", x, backend).blocked_dct2(x, block, norm, False)


def blocked_idct2(x: torch.Tensor, block: int = 8, norm: str | None = "ortho", pad: bool = False,
                  *, backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`blocked_dct2` (tile-local DCT-III) for the same ``block`` and ``norm``."""
    x, norm = _prepare(x, block, norm, pad)
    return _dispatch.select("blocked_dct2", x, backend).blocked_dct2(x, block, norm, True)

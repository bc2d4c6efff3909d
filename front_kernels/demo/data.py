"""scikit-learn's digits (8x8 grey images, 10 classes) as tensors, split with a fixed seed."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class Digits:
    """Train / test tensors: images ``(N, 1, 8, 8)`` float32 standardised with the
    training set's mean and std, labels ``(N,)`` int64."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    def subset(self, n_train: int | None = None, n_test: int | None = None) -> "Digits":
        """The first ``n_train`` / ``n_test`` examples (smaller runs for smoke tests)."""
        return Digits(self.x_train[:n_train], self.y_train[:n_train], self.x_test[:n_test], self.y_test[:n_test])


def load_digits_split(test_size: float = 0.3, seed: int = 0) -> Digits:
    """The 1797 digits split stratified into train / test (``test_size`` share) by ``seed``.

    Ships with scikit-learn: nothing is downloaded.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be in (0, 1), got {test_size!r}")
    bunch = load_digits()
    x = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(bunch.target, dtype=torch.int64)
    idx_train, idx_test = train_test_split(
        torch.arange(len(y)).numpy(), test_size=test_size, random_state=seed, stratify=y.numpy())
    idx_train, idx_test = torch.from_numpy(idx_train), torch.from_numpy(idx_test)
    mean, std = x[idx_train].mean(), x[idx_train].std()
    x = (x - mean) / std
    return Digits(x[idx_train], y[idx_train], x[idx_test], y[idx_test])


def random_shift(x: torch.Tensor, generator: torch.Generator, max_shift: int = 1) -> torch.Tensor:
    """Translate each image of ``x`` ``(N, 1, H, W)`` by up to ``max_shift`` pixels per axis,
    filling with the background value (the images' minimum): the only augmentation."""
    n, _, h, w = x.shape
    padded = F.pad(x[:, 0], (max_shift,) * 4, value=float(x.min()))
    dy = torch.randint(0, 2 * max_shift + 1, (n, 1, 1), generator=generator)
    dx = torch.randint(0, 2 * max_shift + 1, (n, 1, 1), generator=generator)
    rows = dy + torch.arange(h).view(1, h, 1)
    cols = dx + torch.arange(w).view(1, 1, w)
    return padded[torch.arange(n).view(n, 1, 1), rows, cols].unsqueeze(1)

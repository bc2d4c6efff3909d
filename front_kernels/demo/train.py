"""Training and evaluation loops shared by the source, the refinement and every fine-tuning run."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .data import Digits, random_shift


@dataclass(frozen=True)
class TrainConfig:
    """AdamW with linear warm-up then cosine decay to zero, per step."""

    epochs: int = 8
    lr: float = 1e-3
    weight_decay: float = 0.05
    batch_size: int = 64
    warmup_epochs: float = 0.0
    seed: int = 0


@torch.no_grad()
def evaluate_with_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                       batch_size: int = 512) -> tuple[float, float]:
    """Top-1 accuracy and mean cross-entropy of ``model`` on ``(x, y)``."""
    was_training = model.training
    model.eval()
    correct, loss = 0, 0.0
    for i in range(0, len(y), batch_size):
        logits = model(x[i:i + batch_size])
        correct += int((logits.argmax(1) == y[i:i + batch_size]).sum())
        loss += float(F.cross_entropy(logits.double(), y[i:i + batch_size], reduction="sum"))
    model.train(was_training)
    return correct / len(y), loss / len(y)


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> float:
    """Top-1 accuracy of ``model`` on ``(x, y)``."""
    return evaluate_with_loss(model, x, y, batch_size)[0]


def _lr_at(step: int, total: int, warmup: int, base: float) -> float:
    if step < warmup:
        return base * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return base * 0.5 * (1 + math.cos(math.pi * t))


def train(model: nn.Module, data: Digits, config: TrainConfig, *,
          extra_loss: Callable[[], torch.Tensor] | None = None,
          on_step: Callable[[], None] | None = None,
          test_losses: list[float] | None = None) -> list[float]:
    """Train ``model`` on ``data.x_train`` for ``config.epochs`` epochs; return the test
    accuracy after each epoch (and append the test loss after each epoch to
    ``test_losses`` when given).

    ``extra_loss()`` is added to the cross-entropy at every step (the spectral
    regulariser). The data order and augmentation draw from ``config.seed``
    only, so runs that differ only in their initial weights see the same batches.
    """
    gen = torch.Generator().manual_seed(config.seed)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "pos_embed" not in n and "cls_token" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "pos_embed" not in n
                                                                 and "cls_token" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=config.lr)
    n = len(data.y_train)
    steps_per_epoch = math.ceil(n / config.batch_size)
    total = config.epochs * steps_per_epoch
    warmup = round(config.warmup_epochs * steps_per_epoch)
    curve = []
    step = 0
    model.train()
    for _ in range(config.epochs):
        order = torch.randperm(n, generator=gen)
        x_all = random_shift(data.x_train[order], gen)
        y_all = data.y_train[order]
        for i in range(0, n, config.batch_size):
            for group in opt.param_groups:
                group["lr"] = _lr_at(step, total, warmup, config.lr)
            loss = F.cross_entropy(model(x_all[i:i + config.batch_size]), y_all[i:i + config.batch_size])
            if extra_loss is not None:
                loss = loss + extra_loss()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if on_step is not None:
                on_step()
        acc, loss = evaluate_with_loss(model, data.x_test, data.y_test)
        curve.append(acc)
        if test_losses is not None:
            test_losses.append(loss)
    return curve

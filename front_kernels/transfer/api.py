"""Whole-model transfer: :func:`transfer` and :func:`transfer_report`."""
from __future__ import annotations

from collections.abc import Callable

import torch

from .group import transfer_group
from .loading import TensorStore, open_tensors
from .options import make_options
from .plan import COPY, TRANSFER, TransferPlan, plan_transfer
from .report import TransferReport


def prepare(source, target, method: str = "front", **options):
    """Open source and target and plan the transfer: ``(source_store, target_store, plan)``."""
    opts = make_options(method, **options)
    src = open_tensors(source, "source")
    tgt = open_tensors(target, "target", build_from_config=True)
    plan = plan_transfer(src.shapes, src.dtypes, tgt.shapes, tgt.dtypes, opts, method=method,
                         source_origin=src.origin, target_origin=tgt.origin)
    return src, tgt, plan


def execute_plan(plan: TransferPlan, source: TensorStore, target: TensorStore,
                 on_group: Callable | None = None) -> dict[str, torch.Tensor]:
    """Run every group of ``plan``; returns the target state dict in target order.

    Transferred tensors get the target entry's dtype; kept and passed entries
    are the target's own tensors (cloned, so no two entries share memory).
    ``on_group(group_plan)`` is called after each group (progress bars).
    """
    out: dict[str, torch.Tensor] = {}
    for g in plan.groups:
        if g.action in (TRANSFER, COPY):
            srcs = [source.get(n) for n in g.source_names]
            res = transfer_group(g.key, srcs, [g.target_shape] * len(g.target_names), plan.options,
                                 names=g.source_names, dtype=target.dtypes[g.target_names[0]])
            out.update(zip(g.target_names, res))
        else:
            for n in g.target_names:
                out[n] = target.get(n).detach().clone()
        if on_group is not None:
            on_group(g)
    return {n: out[n] for n in plan.target_order}


def transfer(source, target, method: str = "front", *, report: bool = False, **options):
    """Initialise ``target`` from ``source`` by FRONT (DCT) or BoT (DWT).

    ``source``: a state dict, ``nn.Module``, ``.safetensors`` / ``.pt`` / ``.pth``
    file (``weights_only=True``) or Hugging Face checkpoint folder. ``target``:
    the same kinds, or a config (``config.json``, config-only folder,
    ``PretrainedConfig``) from which the model is built locally. ``method``:
    ``'front'`` (options of :class:`FrontOptions`) or ``'bot'``
    (:class:`BotOptions`).

    Returns every entry of the target's state dict: transferred where the
    source has the same group (layers matched by :mod:`.grouping`), the
    target's own value otherwise (no counterpart, ``skip``, a classifier head
    with another class count, non-floating buffers). With ``report=True``
    returns ``(state_dict, TransferReport)``.
    """
    src, tgt, plan = prepare(source, target, method, **options)
    sd = execute_plan(plan, src, tgt)
    return (sd, TransferReport(plan)) if report else sd


def transfer_report(source, target, method: str = "front", **options) -> TransferReport:
    """The :class:`TransferReport` of ``transfer(source, target, method, **options)``
    without computing it: planning reads names, shapes and dtypes only."""
    _, _, plan = prepare(source, target, method, **options)
    return TransferReport(plan)

"""Whole-model transfer: :func:`transfer` and :func:`transfer_report`."""
from __future__ import annotations

from collections.abc import Callable

import torch

from .chain import release_workspace
from .execute import group_result, read_group
from .loading import TensorStore, open_tensors
from .kinds import head_counts
from .naming import align_source
from .options import make_options
from .pipeline import ReadAhead
from .preflight import check_transfer
from .plan import TransferPlan, plan_transfer
from .report import TransferReport


def prepare(source, target, method: str = "front", *, max_memory=None, streaming: bool = False, dtype=None,
            **options):
    """Open source and target and plan the transfer: ``(source_store, target_store, plan)``.

    The source's names are lined up with the target's across a head model and
    its base model (:func:`.naming.align_source`); a target built from a config
    is initialised with ``torch.manual_seed(seed)`` (the ``seed`` option), so the
    result is a pure function of the inputs and options; tied target parameters
    are written equal (:func:`.plan.apply_ties`). What was decided is in
    ``plan.notes``. Output dtype: ``dtype`` when given, else the target config's
    ``torch_dtype`` / ``dtype`` for a target built from a config (or, without
    one, the source's floating dtype), else each target entry's own. Before anything is computed, :mod:`.preflight` checks that a target built
    from a config, and the transfer's working set (``streaming``: group by
    group, else with every output held), fit in ``max_memory`` (bytes or text
    like ``'8GB'``; default: the memory available now).
    """
    opts = make_options(method, **options)
    src = open_tensors(source, "source", max_memory=max_memory)
    tgt = open_tensors(target, "target", build_from_config=True, max_memory=max_memory, seed=opts.seed,
                       like=src.config)
    src = align_source(src, tgt, opts.group_pattern)
    _set_output_dtype(src, tgt, dtype)
    plan = plan_transfer(src.shapes, src.dtypes, tgt.shapes, tgt.dtypes, opts, method=method,
                         source_origin=src.origin, target_origin=tgt.origin, target_ties=tgt.ties,
                         source_heads=head_counts(src.config), target_heads=head_counts(tgt.config))
    plan.notes = src.notes + tgt.notes
    check_transfer(plan, src, tgt, max_memory, streaming=streaming)
    return src, tgt, plan


def _as_dtype(value, what: str) -> torch.dtype:
    if isinstance(value, torch.dtype):
        dt = value
    else:
        dt = getattr(torch, str(value).replace("torch.", ""), None) if isinstance(value, str) else None
    if not isinstance(dt, torch.dtype) or not dt.is_floating_point or dt.is_complex:
        raise ValueError(f"{what} must be a floating dtype such as float32, bfloat16 or float16, got {value!r}")
    return dt


def _set_output_dtype(src: TensorStore, tgt: TensorStore, dtype) -> None:
    """Make ``tgt.dtypes`` of the floating entries the output dtype (see :func:`prepare`), with a note."""
    if dtype is not None:
        out, why = _as_dtype(dtype, "dtype"), "asked for (dtype / --dtype)"
    elif getattr(tgt, "built", False):
        cfg = tgt.config
        value = getattr(cfg, "dtype", None) or getattr(cfg, "torch_dtype", None)
        if value is not None and str(value) not in ("auto",):
            out, why = _as_dtype(value, "the target config's dtype"), "the target config's dtype"
        else:
            floats = [d for d in src.dtypes.values() if d.is_floating_point]
            if not floats:
                return
            out = max(set(floats), key=floats.count)
            why = "the source's dtype (the target config names none)"
    else:
        return
    changed = False
    for n, d in tgt.dtypes.items():
        if d.is_floating_point and d != out:
            tgt.dtypes[n], changed = out, True
    if changed or dtype is not None:
        tgt.notes.append(f"output dtype {str(out).replace('torch.', '')}: {why}")


def check_device(device) -> torch.device | None:
    """``None``, or ``device`` as a ``torch.device`` that this machine has; else a ``ValueError`` naming it."""
    if device is None:
        return None
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device must be 'cpu' or 'cuda' (or 'cuda:N'), got {device!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r}, but CUDA is not available on this machine")
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    return dev


def execute_plan(plan: TransferPlan, source: TensorStore, target: TensorStore,
                 on_group: Callable | None = None, device=None) -> dict[str, torch.Tensor]:
    """Run every group of ``plan``; returns the target state dict in target order.

    Transferred tensors get the target entry's dtype; kept and passed entries
    are the target's own tensors (cloned, so no two entries share memory).
    ``on_group(group_plan)`` is called after each group (progress bars).
    ``device``: where the transforms run (this package's kernels for that
    device); the results stay there. Default: the sources' own device.
    Each group's inputs are read on a background thread while the group
    before it is transformed (:class:`.pipeline.ReadAhead`); the groups share
    one buffer per intermediate (:func:`.chain.workspace`), freed at the end.
    """
    device = check_device(device)
    out: dict[str, torch.Tensor] = {}
    try:
        with ReadAhead(plan.groups, lambda g: read_group(g, source, target, device=device)) as reader:
            for g in plan.groups:
                inputs = reader.next()
                out.update(group_result(g, plan.options, source, target, device=device, inputs=inputs))
                del inputs
                reader.done()
                if on_group is not None:
                    on_group(g)
    finally:
        release_workspace()
    return {n: out[n] for n in plan.target_order}


def transfer(source, target, method: str = "front", *, report: bool = False, max_memory=None, dtype=None,
             device=None, **options):
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
    returns ``(state_dict, TransferReport)``. ``max_memory``, ``dtype``: see :func:`prepare`;
    ``device`` (``'cpu'``, ``'cuda'``): where the transforms run, through this
    package's kernels for that device; the returned tensors are on it.
    """
    check_device(device)
    src, tgt, plan = prepare(source, target, method, max_memory=max_memory, dtype=dtype, **options)
    sd = execute_plan(plan, src, tgt, device=device)
    return (sd, TransferReport(plan)) if report else sd


def transfer_report(source, target, method: str = "front", **options) -> TransferReport:
    """The :class:`TransferReport` of ``transfer(source, target, method, **options)``
    without computing it: planning reads names, shapes and dtypes only."""
    _, _, plan = prepare(source, target, method, **options)
    return TransferReport(plan)

r"""Pre-flight memory checks: a transfer is sized from shapes and dtypes before anything is allocated.

The budget is ``max_memory`` when given (bytes, or text like ``'8GB'``), else
the memory available now (``MemAvailable`` of ``/proc/meminfo``, capped by a
cgroup limit when one is set).

* A target built from a config is first built on the ``meta`` device (no
  memory), and refused when its bytes exceed the budget
  (:func:`check_config_target`), naming the largest tensor and the config keys
  that set its size.
* A transfer is refused when its working set exceeds the budget
  (:func:`check_transfer`). For a computed group with :math:`N_s` source and
  :math:`N_t` target elements and compute element size :math:`c` (4, or 8
  for float64),

  .. math:: P_g = 2\,c\,(N_s + N_t) + W,

  twice the group's source and target bytes in the compute dtype plus the
  workspace :math:`W` (:data:`CHUNK_WORKSPACE`) of one chunk of layers. The
  next group is read while a group is transformed. In memory
  (:func:`~.api.transfer`), every output is held, so the peak is
  :math:`\max_g P_g + \max_g c\,N_s` plus all target bytes. Streamed
  (``front-kernels transfer``), the previous group is also being written,
  so the peak is :math:`\max_g P_g + \max_g c\,(N_s + N_t)` plus the
  target entries kept in memory, the bound the streaming tests measure.
"""
from __future__ import annotations

import math
import os

import torch

from .errors import MemoryBudgetError

CHUNK_WORKSPACE = 16 * 2 ** 20  # transform scratch of one chunk of layers (chain.CHUNK_NUMEL elements)
MAX_REPEATS = 10_000  # public models have at most a few hundred layers or experts
REPEAT_KEYS = ("num_hidden_layers", "n_layer", "n_layers", "num_layers", "depth", "num_local_experts",
               "num_experts", "n_routed_experts", "num_attention_heads", "n_head", "num_key_value_heads")


def fmt_bytes(n: int) -> str:
    for unit, k in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= k:
            return f"{n / k:.1f} {unit}"
    return f"{n} B"


def available_memory() -> int:
    """Bytes of memory this process can still use: ``MemAvailable``, capped by the cgroup's limit."""
    avail = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    if avail is None:
        avail = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    for limit, usage in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                         ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                          "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(limit) as a, open(usage) as b:
                cap, used = a.read().strip(), b.read().strip()
        except OSError:
            continue
        if cap.isdigit() and used.isdigit() and int(cap) < 2 ** 60:
            avail = min(avail, max(0, int(cap) - int(used)))
        break
    return avail


def memory_budget(max_memory=None) -> tuple[int, str]:
    """``(bytes, description)`` of the memory a run may use (``max_memory``: bytes or text like ``'8GB'``)."""
    if max_memory is None:
        n = available_memory()
        return n, f"the available memory ({fmt_bytes(n)})"
    from .writing import parse_size
    n = parse_size(max_memory, "max_memory")
    return n, f"max_memory ({fmt_bytes(n)})"


def _itemsize(dtype: torch.dtype) -> int:
    return torch.empty((), dtype=dtype).element_size()


def _config_keys_for(config, shape) -> str:
    dims = {int(s) for s in shape if int(s) > 1}
    keys = []
    for k, v in sorted(config.to_dict().items()):
        if isinstance(v, int) and not isinstance(v, bool) and v in dims:
            keys.append(f"{k}={v}")
    return f", set by {', '.join(keys)}" if keys else ""


def _no_init():
    """transformers' switch that skips the weight init of a model being built (nothing to fill on meta)."""
    import contextlib
    try:
        from transformers.initialization import no_init_weights
    except ImportError:
        try:
            from transformers.modeling_utils import no_init_weights
        except ImportError:
            return contextlib.nullcontext()
    return no_init_weights()


def check_config_target(config, origin: str, max_memory=None) -> int:
    """Size the model ``config`` describes on the meta device; raise :class:`MemoryBudgetError` when its
    bytes exceed the budget. Returns the bytes.

    A count of repeated modules above :data:`MAX_REPEATS` (layers, experts) is refused before even the
    meta build, whose Python objects alone would exhaust memory."""
    from .loading import build_model
    budget, what = memory_budget(max_memory)
    for key, value in sorted(config.to_dict().items()):
        if key in REPEAT_KEYS and isinstance(value, int) and not isinstance(value, bool) and value > MAX_REPEATS:
            raise MemoryBudgetError(f"target {origin}: {key}={value} asks for more than {MAX_REPEATS} "
                                    f"repeated modules; refused before building anything")
    with torch.device("meta"), _no_init():
        module = build_model(config, origin)
    total, largest = 0, None
    for name, t in module.state_dict().items():
        n = t.numel() * _itemsize(t.dtype)
        total += n
        if largest is None or n > largest[0]:
            largest = (n, name, tuple(t.shape), t.dtype)
    if total > budget:
        n, name, shape, dtype = largest
        raise MemoryBudgetError(
            f"target {origin} describes a model of {fmt_bytes(total)}, more than {what}; its largest tensor {name!r} is {shape} {str(dtype).replace('torch.', '')}, "
            f"{fmt_bytes(n)}{_config_keys_for(config, shape)}")
    return total


def group_peak_bytes(g, source, target) -> int:
    """:math:`P_g` of the module docstring for one group plan (0 for groups that compute nothing)."""
    if not g.computes:
        return sum(target.nbytes(n) for n in g.target_names)
    n_s = sum(math.prod(source.shapes[n]) for n in g.source_names)
    n_t = math.prod(g.target_shape) * len(g.target_names)
    c = 8 if any(source.dtypes[n] == torch.float64 for n in g.source_names) else 4
    return 2 * c * (n_s + n_t) + CHUNK_WORKSPACE


def _group_bytes(g, source, with_target: bool) -> int:
    """:math:`c N_s`, or with ``with_target`` :math:`c (N_s + N_t)`, of one computed group."""
    return (group_peak_bytes(g, source, None) - CHUNK_WORKSPACE) // 2 if with_target else \
        (8 if any(source.dtypes[n] == torch.float64 for n in g.source_names) else 4) * \
        sum(math.prod(source.shapes[n]) for n in g.source_names)


def check_transfer(plan, source, target, max_memory=None, *, streaming: bool) -> int:
    """Estimate the transfer's peak working set; raise :class:`MemoryBudgetError` naming the largest group
    when it exceeds the budget. Returns the estimate in bytes."""
    budget, what = memory_budget(max_memory)
    peaks = [(group_peak_bytes(g, source, target), g) for g in plan.groups if g.computes]
    if not peaks:
        return 0
    peak, worst = max(peaks, key=lambda p: p[0])
    # the group read ahead, and streamed, the group being written
    overlap = max(_group_bytes(g, source, streaming) for _, g in peaks)
    held = sum(target.nbytes(n) for g in plan.groups if not g.computes and g.action != "tie" for n in g.target_names)
    if not streaming:
        held += sum(math.prod(g.target_shape) * _itemsize(target.dtypes[g.target_names[0]]) * len(g.target_names)
                    for g in plan.groups if g.computes)
    total = peak + overlap + held
    if total > budget:
        mode = "streamed" if streaming else "in memory (every output is held)"
        raise MemoryBudgetError(
            f"the transfer {mode} needs about {fmt_bytes(total)}, more than {what}; "
            f"its largest group {worst.key!r} ({len(worst.source_names)} x {tuple(source.shapes[worst.source_names[0]])} "
            f"-> {len(worst.target_names)} x {worst.target_shape}) alone needs {fmt_bytes(peak)}")
    return total

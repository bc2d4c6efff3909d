"""``front-kernels inspect PATH``: parameter groups and per-tensor spectral energy.

Prints the groups (repeated blocks by layer index, see
:mod:`front_kernels.transfer.grouping`) and, for every floating tensor, the
share of its standardised energy in the kept low-frequency block
(:func:`front_kernels.transfer.energy.low_frequency_share`; a constant or
all-zero tensor has no spectrum and is named as such), then a summary per
kind of parameter: the share of energy kept at ``--keep-ratio``, weighted by
size.
"""
from __future__ import annotations

import argparse
import re

from .energy import low_frequency_share
from .grouping import group_names
from .loading import open_tensors


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", help="checkpoint: .safetensors, .pt/.pth, or HF folder")
    p.add_argument("--keep-ratio", type=float, default=0.5, dest="keep_ratio",
                   help="kept share of coefficients per axis (default 0.5)")
    p.add_argument("--group-pattern", dest="group_pattern")
    p.add_argument("--no-energy", action="store_true", dest="no_energy", help="print the groups only")


def _table(rows) -> str:
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def run(args) -> int:
    if not 0 < args.keep_ratio <= 1:
        raise ValueError(f"--keep-ratio must be in (0, 1], got {args.keep_ratio}")
    store = open_tensors(args.path, "checkpoint")
    groups = group_names(store.keys(), args.group_pattern)
    rows = [("group", "layers", "shape", "dtype")]
    for key, g in groups.items():
        first = g.names[0]
        rows.append((key, str(len(g)) if g.layers else "-", str(tuple(store.shapes[first])),
                     str(store.dtypes[first]).replace("torch.", "")))
    print(f"{store.origin}: {len(store)} tensors in {len(groups)} groups")
    print(_table(rows))
    if args.no_energy:
        return 0
    rows = [("tensor", "shape", f"low-frequency energy (keep {args.keep_ratio})")]
    by_kind: dict[str, list[float]] = {}
    for name in store.keys():
        if not store.dtypes[name].is_floating_point:
            continue
        t = store.get(name)
        kind = parameter_kind(name, t.ndim)
        if t.numel() == 0 or bool((t == t.reshape(-1)[0]).all()):
            what = "all zero" if t.numel() == 0 or float(t.reshape(-1)[0]) == 0.0 else "constant"
            rows.append((name, str(tuple(store.shapes[name])), f"{what} (no spectrum)"))
            by_kind.setdefault(kind, [0.0, 0.0, 0])[2] += 1
            continue
        share = low_frequency_share(t, args.keep_ratio)
        rows.append((name, str(tuple(store.shapes[name])), f"{100 * share:6.2f}%"))
        acc = by_kind.setdefault(kind, [0.0, 0.0, 0])
        acc[0] += share * t.numel()
        acc[1] += t.numel()
    print()
    print(_table(rows))
    summary = [("kind of parameter", "tensors", f"energy kept at keep ratio {args.keep_ratio}")]
    for kind, (low, total, constant) in sorted(by_kind.items()):
        n = sum(1 for r in rows[1:] if parameter_kind(r[0], len(store.shapes[r[0]])) == kind)
        share = f"{100 * low / total:6.2f}%" if total else "-"
        summary.append((kind, str(n), share + (f" ({constant} constant)" if constant else "")))
    print()
    print(_table(summary))
    return 0


def parameter_kind(name: str, ndim: int) -> str:
    """The kind of a parameter for the summary: its axis rule's, else attention / mlp / norm / other."""
    from .kinds import AXIS_RULES, find_rule
    from .options import SKIP_PARTS
    rule = find_rule(name, ndim, AXIS_RULES)
    if rule is not None:
        return rule.kind
    for part, label in (("qkv", "attention q/k/v"), ("attn_out", "attention output"), ("mlp", "mlp"),
                        ("norm", "norm")):
        if re.search(SKIP_PARTS[part], name):
            return label
    return "other"

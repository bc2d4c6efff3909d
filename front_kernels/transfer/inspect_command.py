"""``front-kernels inspect PATH``: parameter groups and per-tensor spectral energy.

Prints the groups (repeated blocks by layer index, see
:mod:`front_kernels.transfer.grouping`) and, for every floating tensor, the
share of its standardised energy in the kept low-frequency block
(:func:`front_kernels.transfer.energy.low_frequency_share`).
"""
from __future__ import annotations

import argparse

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
    for name in store.keys():
        if not store.dtypes[name].is_floating_point:
            continue
        share = low_frequency_share(store.get(name), args.keep_ratio)
        rows.append((name, str(tuple(store.shapes[name])), f"{100 * share:6.2f}%"))
    print()
    print(_table(rows))
    return 0

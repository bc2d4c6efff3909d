"""Grouping of repeated blocks by parameter name.

A parameter's *layer* is the first dotted component of its name that is an
integer: ``blocks.3.attn.qkv.weight`` -> group ``blocks.{i}.attn.qkv.weight``,
layer 3 (likewise ``encoder.layer.3...``, ``transformer.h.3...``,
``model.layers.3...``). A name without an integer component is a group of one
(embeddings, final norm, head). ``group_pattern`` (a regex) overrides the rule:
its named group ``layer`` (or else its first group) must match the layer
index; the matched span of that group becomes ``{i}``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

LAYER_PLACEHOLDER = "{i}"


@dataclass
class Group:
    """The members of one group, ordered by layer index.

    ``layers`` holds the integer indices (empty list for a group of one),
    ``names`` the full parameter names in the same order.
    """

    key: str
    names: list[str] = field(default_factory=list)
    layers: list[int] = field(default_factory=list)

    @property
    def repeated(self) -> bool:
        return LAYER_PLACEHOLDER in self.key

    def __len__(self) -> int:
        return len(self.names)


def compile_pattern(group_pattern):
    """Return ``group_pattern`` compiled, or ``None``; raise naming the argument if invalid."""
    if group_pattern is None:
        return None
    if isinstance(group_pattern, re.Pattern):
        pat = group_pattern
    elif isinstance(group_pattern, str):
        try:
            pat = re.compile(group_pattern)
        except re.error as exc:
            raise ValueError(f"group_pattern={group_pattern!r} is not a valid regex: {exc}") from None
    else:
        raise TypeError(f"group_pattern must be a regex string, got {type(group_pattern).__name__}")
    if pat.groups < 1:
        raise ValueError(f"group_pattern={pat.pattern!r} must capture the layer index in a group")
    return pat


def split_name(name: str, pattern=None) -> tuple[str, int | None]:
    """``(group key, layer index)`` of one parameter name; layer ``None`` for a single parameter."""
    if pattern is not None:
        m = pattern.search(name)
        if m is None:
            return name, None
        g = "layer" if "layer" in pattern.groupindex else 1
        text = m.group(g)
        if text is None or not text.isdigit():
            raise ValueError(
                f"group_pattern={pattern.pattern!r} matched {name!r} but its layer group is {text!r}, not an integer")
        start, end = m.span(g)
        return name[:start] + LAYER_PLACEHOLDER + name[end:], int(text)
    parts = name.split(".")
    for j, part in enumerate(parts):
        if part.isdigit():
            return ".".join(parts[:j] + [LAYER_PLACEHOLDER] + parts[j + 1:]), int(part)
    return name, None


def group_names(names, group_pattern=None) -> dict[str, Group]:
    """Group parameter names; returns ``{key: Group}`` in first-seen order."""
    pat = compile_pattern(group_pattern)
    groups: dict[str, Group] = {}
    for name in names:
        key, layer = split_name(name, pat)
        g = groups.setdefault(key, Group(key))
        g.names.append(name)
        if layer is not None:
            g.layers.append(layer)
    for g in groups.values():
        if g.layers:
            order = sorted(range(len(g.names)), key=lambda k: g.layers[k])
            g.names = [g.names[k] for k in order]
            g.layers = [g.layers[k] for k in order]
            if len(set(g.layers)) != len(g.layers):
                raise ValueError(f"group {g.key!r} has two parameters for the same layer index; "
                                 f"pass a group_pattern that tells them apart")
    return groups


def _split_at(name: str, j: int) -> tuple[str, int]:
    parts = name.split(".")
    return ".".join(parts[:j] + [LAYER_PLACEHOLDER] + parts[j + 1:]), int(parts[j])


def shape_consistent_groups(shapes: dict, group_pattern=None) -> dict[str, Group]:
    """:func:`group_names`, with groups whose members disagree in shape split further.

    Without ``group_pattern``, such a group (a convnet's ``stages.{i}.blocks.1.conv.weight``, whose stages
    differ in width; a stem's ``stem.{i}.weight`` holding a conv and a norm) is regrouped by the name's
    last integer instead (``stages.0.blocks.{i}.conv.weight``: the blocks of one stage); members that
    still disagree become groups of one. With a ``group_pattern`` the user's grouping stands.
    """
    groups = group_names(shapes.keys(), group_pattern)
    if group_pattern is not None:
        return groups
    out: dict[str, Group] = {}
    pool: dict[str, Group] = {}  # members of inconsistent groups, regrouped by their last integer
    for key, g in groups.items():
        if len({tuple(shapes[n]) for n in g.names}) <= 1:
            out[key] = g
            continue
        for name in g.names:
            digits = [j for j, part in enumerate(name.split(".")) if part.isdigit()]
            k, layer = _split_at(name, digits[-1]) if len(digits) > 1 else (name, None)
            sub = pool.setdefault(k, Group(k))
            sub.names.append(name)
            if layer is not None:
                sub.layers.append(layer)
    for k, sub in pool.items():
        consistent = len({tuple(shapes[n]) for n in sub.names}) <= 1 and len(set(sub.layers)) == len(sub.layers)
        if consistent and k not in out:
            order = sorted(range(len(sub.names)), key=lambda i: sub.layers[i] if sub.layers else 0)
            out[k] = Group(k, [sub.names[i] for i in order], [sub.layers[i] for i in order] if sub.layers else [])
        else:
            for n in sub.names:
                out[n] = Group(n, [n], [])
    return out

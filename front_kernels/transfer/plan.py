"""Planning a model transfer: which target group comes from which source group.

:func:`plan_transfer` needs only names, shapes and dtypes, so it runs before
any tensor is loaded; the resulting :class:`TransferPlan` lists one
:class:`GroupPlan` per target group, to be executed group by group with
:func:`.group.transfer_group`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


from ..transforms.resampling import dyadic_levels
from .grouping import LAYER_PLACEHOLDER, shape_consistent_groups
from .shapes import signal_shape

TRANSFER, COPY, KEEP, SKIP, PASS, TIE = "transfer", "copy", "keep", "skip", "pass", "tie"


@dataclass
class GroupPlan:
    """One target group and what happens to it.

    ``action``: ``'transfer'`` (computed from ``source_names``), ``'copy'``
    (same shapes and depth: the source values), ``'keep'`` (the target's own
    values; ``detail`` says why), ``'skip'`` (the target's own values, named by
    the ``skip`` option), ``'pass'`` (non-floating entry, passed through),
    ``'tie'`` (a parameter tied to another target parameter, e.g. an output
    embedding: it is written equal to that one, by the group that computes it).
    ``tied``: ``(name, equal_to)`` pairs this group writes besides its own.
    ``kind``: the parameter kind of the rule that named its axes (:mod:`.kinds`);
    ``ordered``: the axes that may be transformed (``None``: all);
    ``common``: the shape transferred when an unordered axis changes size (the
    common entries); ``fill``: the target has entries the source lacks along
    such an axis, which keep the target's own values.
    """

    key: str
    action: str
    target_names: list[str]
    target_shape: tuple
    source_names: list[str] = field(default_factory=list)
    source_shape: tuple | None = None
    detail: str = ""
    tied: list = field(default_factory=list)
    kind: str = ""
    axes: tuple = ()
    ordered: tuple | None = None
    common: tuple | None = None
    fill: bool = False
    fused: tuple | None = None
    blocks: tuple | None = None

    @property
    def repeated(self) -> bool:
        return LAYER_PLACEHOLDER in self.key

    @property
    def computes(self) -> bool:
        return self.action in (TRANSFER, COPY)

    @property
    def outputs(self) -> list[str]:
        """The target names this group produces: its own (none for a ``'tie'``), then the tied ones."""
        return ([] if self.action == TIE else list(self.target_names)) + [n for n, _ in self.tied]


@dataclass
class TransferPlan:
    method: str
    options: object
    source_origin: str
    target_origin: str
    groups: list[GroupPlan]
    target_order: list[str]
    notes: list[str] = field(default_factory=list)

    def compute_groups(self) -> list[GroupPlan]:
        return [g for g in self.groups if g.computes]


def _depth_words(options, n_src: int, n_tgt: int) -> str:
    """FRONT's depth map in words, e.g. ``6 → 3 layers: DCT over depth, first 3 coefficients kept``."""
    from .depth import kept_depth
    s = kept_depth(n_src, n_tgt, options.select_n)
    band = {"first": "first", "last": "last", "middle": "middle"}[options.depth_band]
    text = f"{n_src} → {n_tgt} layers: DCT over depth, {band} {s} coefficient{'s' * (s != 1)} kept"
    rest = n_tgt - s
    if rest:
        text += {"zero": f", the other {rest} zero",
                 "random": f", the other {rest} drawn from N(mean, std) of the kept ones",
                 "consistence": f", repeated in order to fill {n_tgt} slots"}[options.depth_mode]
    return text


def _bot_axis_words(n: int, m: int, options) -> str:
    """One axis of a BoT resize in words: wavelet levels, and the DCT finishing a non-dyadic ratio."""
    if n == m:
        return f"{n} unchanged"
    levels = dyadic_levels(n, m)
    step = "analysis" if m < n else "synthesis"
    if levels == 0:
        how = "DCT resize" if options.non_dyadic == "dct" else "periodic pad / truncation"
        return f"{n} → {m}: {how}, no wavelet level (the ratio is below 2)"
    text = f"{n} → {m}: {levels} {options.wavelet} {step} level{'s' * (levels != 1)}"
    if n * 2 ** levels != m and m * 2 ** levels != n:
        text += f", then a {'DCT' if options.non_dyadic == 'dct' else 'pad/truncate'} step for the rest"
    return text


def _bot_depth_words(options, n: int, m: int, residual_out: bool) -> str:
    """BoT's layer-selection depth rules in words."""
    text = f"{n} → {m}: evenly spaced source layers (first and last kept)"
    if m > n:
        text += ", repeated"
        if residual_out and options.depth_grow == "split":
            text += "; as a residual-branch output, each copy scaled by 1 / (its layer's copies)"
        elif residual_out and options.depth_grow == "identity":
            text += "; as a residual-branch output, zero in every copy but the first (identity blocks)"
    return text


def _describe(method, options, gs: GroupPlan, n_src: int, n_tgt: int) -> str:
    sig_s, sig_t = signal_shape(gs.source_shape), signal_shape(gs.target_shape)
    if method == "front":
        text = f"FRONT {options.rescale}: DCT {sig_s}->{sig_t}"
        if options.keep_ratio < 1:
            text += f", keep_ratio {options.keep_ratio}"
        if options.mlp_dct == "1d":
            text += ", mlp 1d"
        if n_src != n_tgt or (options.select_n is not None and options.select_n < n_src):
            text += "; " + _depth_words(options, n_src, n_tgt)
        return text
    from .options import depth_rule, is_residual_out
    a = ((n_src,) if gs.repeated else ()) + sig_s
    b = ((n_tgt,) if gs.repeated else ()) + sig_t
    names = (["layers"] if gs.repeated else []) + [f"axis {i}" for i in range(len(sig_s))]
    rule = depth_rule(options, n_src, n_tgt)
    selected = gs.repeated and n_src != n_tgt and rule != "wavelet"
    words = []
    wavelet_ran = False
    for i, (name, n, m) in enumerate(zip(names, a, b)):
        if n == m:
            continue
        if selected and i == 0:
            words.append(f"layers {_bot_depth_words(options, n, m, is_residual_out(options, gs.key))}")
            continue
        wavelet_ran = wavelet_ran or dyadic_levels(n, m) > 0
        words.append(f"{name} {_bot_axis_words(n, m, options)}")
    if wavelet_ran or not words:
        head = f"BoT {options.wavelet}/{options.mode} {options.rescale}"
    elif selected and len(words) == 1:
        head = f"BoT layer selection ({rule}), {options.rescale}"
    else:
        head = f"BoT {options.rescale}, no wavelet level ran (every changed ratio is below 2)"
    return f"{head}: {a}->{b}" + (f" ({'; '.join(words)})" if words else "")


def _apply_axis_rule(gp: GroupPlan, name: str, t_shape: tuple, options) -> None:
    """Fill ``kind``, ``ordered``, ``common`` and ``fill`` of ``gp`` from the first axis rule naming it."""
    from .kinds import UNORDERED, find_rule
    s_shape = gp.source_shape
    if len(t_shape) not in (1, 2) or len(signal_shape(t_shape)) != len(t_shape) or \
            len(signal_shape(s_shape)) != len(s_shape):
        return
    rule = find_rule(name, len(t_shape), options.rules)
    if rule is None:
        return
    gp.kind, gp.axes = rule.kind, rule.axes
    gp.ordered = tuple(i for i, a in enumerate(rule.axes) if a not in UNORDERED)
    fused = rule.fused()
    if fused is not None:
        axis, parts = fused
        if s_shape[axis] % parts == 0 and t_shape[axis] % parts == 0:
            gp.fused = fused
        else:
            gp.kind += f" (sizes {s_shape[axis]} -> {t_shape[axis]} are not {parts} equal parts: resized as one)"
    changed = [i for i in rule.unordered() if s_shape[i] != t_shape[i]]
    if not changed:
        return
    if options.unordered == "refuse":
        i = changed[0]
        raise ValueError(f"{name}: its {rule.axes[i]} axis (unordered, {rule.kind}) is {s_shape[i]} in the source "
                         f"and {t_shape[i]} in the target; unordered='refuse' (--unordered refuse) forbids "
                         f"resizing it")
    gp.common = tuple(min(s, t) if i in changed else t for i, (s, t) in enumerate(zip(s_shape, t_shape)))
    gp.fill = any(t_shape[i] > s_shape[i] for i in changed)


def _apply_head_rule(gp: GroupPlan, name: str, t_shape: tuple, src_heads: dict, tgt_heads: dict) -> None:
    """Make an attention projection's ``heads x head_dim`` axis blocks (``gp.blocks``) when both head counts
    are known (see :mod:`.kinds`)."""
    from .kinds import find_head_rule
    s_shape = gp.source_shape
    found = find_head_rule(name, len(t_shape)) if len(t_shape) in (1, 2) and len(s_shape) == len(t_shape) else None
    if found is None:
        return
    which, axis = found
    label = "attention heads" if which == "attention" else "key/value heads"
    hs, ht = src_heads.get(which), tgt_heads.get(which)
    if not hs or not ht:
        gp.kind = f"{label} (head counts unknown without configs: resized as one signal)"
        return
    if s_shape[axis] % hs or t_shape[axis] % ht:
        gp.kind = f"{label} ({s_shape[axis]} / {hs} or {t_shape[axis]} / {ht} heads do not divide: one signal)"
        return
    def view(shape, h):
        return tuple(shape[:axis]) + (h, shape[axis] // h) + tuple(shape[axis + 1:])
    gp.blocks = (view(s_shape, hs), view(t_shape, ht), axis, "heads")
    gp.kind = f"{label} as blocks"
    gp.fill = ht > hs


def _apply_fused_heads(gp: GroupPlan, t_shape: tuple, src_heads: dict, tgt_heads: dict) -> None:
    """Heads as blocks inside each part of a fused q/k/v, when both head counts are known."""
    axis, parts = gp.fused
    hs, ht = src_heads.get("attention"), tgt_heads.get("attention")
    s_part = tuple(s // parts if i == axis else s for i, s in enumerate(gp.source_shape))
    t_part = tuple(t // parts if i == axis else t for i, t in enumerate(t_shape))
    if not hs or not ht or s_part[axis] % hs or t_part[axis] % ht:
        return
    def view(shape, h):
        return tuple(shape[:axis]) + (h, shape[axis] // h) + tuple(shape[axis + 1:])
    gp.blocks = (view(s_part, hs), view(t_part, ht), axis, "heads")
    gp.fill = ht > hs


def _apply_expert_rule(gp: GroupPlan, name: str, t_shape: tuple) -> None:
    """Stacked expert weights (``(experts, out, in)``, :mod:`.kinds`) resized expert by expert."""
    from .kinds import expert_rule
    s_shape = gp.source_shape
    parts = expert_rule(name, len(t_shape))
    if parts is None or len(s_shape) != 3 or s_shape[1] % parts or t_shape[1] % parts:
        return
    def view(shape):
        return (shape[0] * parts, shape[1] // parts, shape[2])
    unit = "experts" if parts == 1 else "expert halves (gate, up)"
    gp.blocks = (view(s_shape), view(t_shape), 0, unit)
    gp.kind = "mixture-of-experts weight"
    gp.fill = t_shape[0] > s_shape[0]


def _apply_channel_rule(gp: GroupPlan, name: str, t_shape: tuple) -> None:
    """An input convolution (``(out, in, kh, kw)``, :mod:`.kinds`) resized input channel by input channel."""
    from .kinds import is_channel_conv
    s_shape = gp.source_shape
    if not is_channel_conv(name, len(t_shape)) or len(s_shape) != 4:
        return
    gp.blocks = ((s_shape[0], s_shape[1], s_shape[2] * s_shape[3]), (t_shape[0], t_shape[1], t_shape[2] * t_shape[3]),
                 1, "input channels")
    gp.kind = "input convolution (out, in_channels, kh, kw)"
    gp.fill = t_shape[1] > s_shape[1]


def _describe_blocks(gp: GroupPlan) -> str:
    sv, tv, axis, unit = gp.blocks
    hs, ht = sv[axis], tv[axis]
    if unit == "heads":
        text = f"; {gp.kind}: {hs} → {ht} heads, head_dim {sv[axis + 1]} → {tv[axis + 1]}, each head resized on its own"
    else:
        text = f"; {gp.kind}: {hs} → {ht} {unit}, each resized on its own"
    if ht > hs:
        text += f", {unit} {hs}..{ht - 1} keep the target's init"
    elif hs > ht:
        text += f", the first {ht} {unit} kept, the other {hs - ht} dropped"
    return text


def _describe_rule(gp: GroupPlan, t_shape: tuple) -> str:
    if not gp.kind:
        return ""
    if gp.blocks is not None and gp.fused is None:
        return _describe_blocks(gp)
    if gp.ordered is None:
        return f"; {gp.kind}"
    moved = ", ".join(gp.axes[i] for i in gp.ordered)
    if gp.fused is not None:
        axis, parts = gp.fused
        text = (f"; {gp.kind} ({', '.join(gp.axes)}): axis {axis} split into {parts} parts "
                f"({gp.source_shape[axis] // parts} -> {t_shape[axis] // parts} each), each resized on its own")
        if gp.blocks is not None:
            text += _describe_blocks(dataclasses.replace(gp, kind="in each part, attention heads as blocks"))
        return text
    if len(gp.ordered) == len(gp.axes):
        return f"; {gp.kind} ({', '.join(gp.axes)})"
    text = f"; {gp.kind} ({', '.join(gp.axes)}; " + (f"only {moved} transformed)" if moved else "none transformed)")
    for i, name in enumerate(gp.axes):
        if i in gp.ordered or gp.common is None:
            continue
        s, t = gp.source_shape[i], t_shape[i]
        if s > t:
            text += f"; {name}: the first {t} of {s} transferred, the rest dropped"
        elif s < t:
            text += f"; {name}: {s} transferred, {s}..{t - 1} keep the target's init"
    return text


def _split_hint(shapes: dict, pattern) -> str:
    """Why a name-based group was split: its layers disagree in shape."""
    from .grouping import group_names
    for key, g in group_names(shapes.keys(), pattern).items():
        seen = {}
        for n in g.names:
            seen.setdefault(tuple(shapes[n]), n)
        if len(seen) > 1:
            (s0, n0), (s1, n1) = list(seen.items())[:2]
            return (f"; the layers of {key!r} disagree in shape ({n0} is {s0}, {n1} is {s1}), so they are not "
                    f"one group")
    return ""


def plans_detail(plans: list[GroupPlan], key: str) -> str:
    return next((g.detail for g in plans if g.key == key), "")


def plan_transfer(source_shapes: dict, source_dtypes: dict, target_shapes: dict, target_dtypes: dict,
                  options, *, method: str, source_origin: str = "source",
                  target_origin: str = "target", target_ties=None, source_heads=None,
                  target_heads=None) -> TransferPlan:
    """Match target groups to source groups and decide each group's action.

    ``target_ties``: sets of tied target names (see :func:`apply_ties`);
    ``source_heads`` / ``target_heads``: head counts (:func:`.kinds.head_counts`).
    Raises ``ValueError`` when no target group has a source counterpart, when
    a group's layers disagree in shape, or when a source and a target tensor
    of one group have signal views of different rank.
    """
    pattern = options.group_pattern
    src_groups = shape_consistent_groups(source_shapes, pattern)
    float_targets = [n for n in target_shapes if target_dtypes[n].is_floating_point]
    tgt_groups = shape_consistent_groups({n: target_shapes[n] for n in float_targets}, pattern)
    plans: list[GroupPlan] = []
    for n in target_shapes:
        if not target_dtypes[n].is_floating_point:
            plans.append(GroupPlan(n, PASS, [n], tuple(target_shapes[n]),
                                   detail=f"non-floating ({str(target_dtypes[n]).replace('torch.', '')})"))
    for key, tg in tgt_groups.items():
        t_shapes = {tuple(target_shapes[n]) for n in tg.names}
        if len(t_shapes) > 1:
            raise ValueError(f"target group {key!r}: the layers disagree in shape "
                             f"({', '.join(f'{n}: {tuple(target_shapes[n])}' for n in tg.names[:4])})")
        t_shape = t_shapes.pop()
        gp = GroupPlan(key, KEEP, list(tg.names), t_shape)
        plans.append(gp)
        sg = src_groups.get(key)
        if sg is None:
            gp.detail = "no source counterpart"
            continue
        gp.source_names = list(sg.names)
        s_shapes = {tuple(source_shapes[n]) for n in sg.names}
        if len(s_shapes) > 1:
            raise ValueError(f"source group {key!r}: the layers disagree in shape "
                             f"({', '.join(f'{n}: {tuple(source_shapes[n])}' for n in sg.names[:4])})")
        gp.source_shape = s_shapes.pop()
        if not all(source_dtypes[n].is_floating_point for n in sg.names):
            gp.detail = f"source is not floating ({source_dtypes[sg.names[0]]})"
            continue
        if 0 in t_shape or 0 in gp.source_shape:
            gp.detail = f"empty in the {'target' if 0 in t_shape else 'source'} (shape {t_shape if 0 in t_shape else gp.source_shape})"
            continue
        skipped = next((options.skipped_by(n) for n in tg.names if options.skipped_by(n)), None)
        if skipped:
            gp.action, gp.detail = SKIP, f"skip={skipped}"
            continue
        if options.is_head(tg.names[0]) and gp.source_shape[0] != t_shape[0]:
            gp.detail = f"head with another class count ({gp.source_shape[0]} in source, {t_shape[0]} in target)"
            continue
        if len(signal_shape(gp.source_shape)) != len(signal_shape(t_shape)):
            raise ValueError(f"group {key!r}: source shape {gp.source_shape} ({sg.names[0]}) and target "
                             f"shape {t_shape} ({tg.names[0]}) differ in rank; cannot transfer")
        _apply_axis_rule(gp, tg.names[0], t_shape, options)
        if not gp.kind and options.builtin_rules:
            _apply_head_rule(gp, tg.names[0], t_shape, source_heads or {}, target_heads or {})
            _apply_channel_rule(gp, tg.names[0], t_shape)
            _apply_expert_rule(gp, tg.names[0], t_shape)
        elif gp.fused is not None:
            _apply_fused_heads(gp, t_shape, source_heads or {}, target_heads or {})
        same = gp.source_shape == t_shape and len(sg) == len(tg)
        if same and (method == "bot" or (options.keep_ratio == 1 and
                                         (options.select_n is None or options.select_n >= len(sg)))):
            gp.action, gp.detail = COPY, "same shape and depth"
        else:
            gp.action = TRANSFER
            shown = gp if gp.common is None else dataclasses.replace(
                gp, target_shape=gp.common, source_shape=tuple(
                    s if i in gp.ordered else min(s, c) for i, (s, c) in enumerate(zip(gp.source_shape, gp.common))))
            gp.detail = (_describe(method, options, shown, len(sg), len(tg)) if gp.ordered != () else
                         "copied entry by entry") + _describe_rule(gp, t_shape)
    if not any(g.computes for g in plans):
        common = sorted(set(src_groups) & set(tgt_groups))
        if not any(dt.is_floating_point for dt in source_dtypes.values()):
            kinds = sorted({str(dt).replace("torch.", "") for dt in source_dtypes.values()})
            raise ValueError(f"source {source_origin} holds no real floating-point tensor to transfer "
                             f"(its dtypes: {', '.join(kinds) or 'none, it is empty'})")
        if not float_targets:
            kinds = sorted({str(dt).replace("torch.", "") for dt in target_dtypes.values()})
            raise ValueError(f"target {target_origin} holds no real floating-point tensor to transfer into "
                             f"(its dtypes: {', '.join(kinds) or 'none, it is empty'})")
        split = _split_hint(source_shapes, pattern) or _split_hint({n: target_shapes[n] for n in float_targets}, pattern)
        hint = (f"; the common groups {common[:3]} are all kept ({plans_detail(plans, common[0])})" if common else
                split or f"; source groups look like {list(src_groups)[:3]}, target groups like "
                         f"{list(tgt_groups)[:3]}")
        raise ValueError(f"source {source_origin} and target {target_origin} have no common parameter "
                         f"groups to transfer (mismatched architectures?){hint}")
    plan = TransferPlan(method, options, source_origin, target_origin, plans, list(target_shapes))
    apply_ties(plan, target_ties or [])
    return plan


def apply_ties(plan: TransferPlan, ties) -> None:
    """Tied target parameters (sets of names sharing one tensor in the target model) are never
    left at their own init: in each set, the first parameter whose group computes keeps its
    value and every other member becomes a ``'tie'`` written equal to it."""
    owner = {n: g for g in plan.groups for n in g.target_names}
    for names in ties:
        members = [n for n in names if n in owner and len(owner[n].target_names) == 1]
        lead = next((n for n in members if owner[n].computes), None)
        if lead is None:
            continue
        for n in members:
            if n == lead:
                continue
            g = owner[n]
            was = f"; without the tie: {g.action}" + (f" ({g.detail})" if g.detail else "")
            g.action, g.detail = TIE, f"tied to {lead}: written equal to it{was}"
            owner[lead].tied.append((n, lead))

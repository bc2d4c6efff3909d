"""What each axis of a parameter means: a rule table, searched in order, that users can extend.

A rule names a *kind* of parameter (by a regex searched in its name) and the
meaning of each of its axes. Ordered axes (``hidden``, ``mlp``, ``position``,
``depth``, ``spatial``, ...) are signals: FRONT and BoT resize them
spectrally. A fused axis (``qkv``: query, key and value stacked, as in timm's
``attn.qkv`` and GPT-2's ``attn.c_attn``) is split into its equal parts, each
resized on its own (with its own statistics), and joined again. Unordered axes (:data:`UNORDERED`: ``tokens``, ``types``,
``classes``, ``in_channels``, ``experts``) are never transformed: along such
an axis the common entries (the first ``min(n, n')``) are transferred each on
its own along the ordered axes, and entries the source does not have keep the
target's own (seeded) initialisation; with ``unordered='refuse'`` a size change
of an unordered axis is an error instead. A parameter no rule names has only
ordered axes.

Attention projections (:data:`HEAD_RULES`) have an axis of ``heads x
head_dim``. When both models' configs give their head counts, the heads are
blocks: each head is resized on its own (``head_dim -> head_dim'``, and the
other axes), a changed head count maps whole heads (the first ``min(h, h')``;
new heads keep the target's init), and grouped-query key/value projections
use their own count (``num_key_value_heads``). Without head counts the
projection is one signal, and the report says so.

Input convolutions (:data:`CHANNEL_RULES`: patch embeddings, stems) of shape
``(out, in, kh, kw)`` are resized input channel by input channel, each
``(out, kh*kw)`` on its own, so colour channels never mix.

Stacked mixture-of-experts weights (:data:`EXPERT_RULES`, ``(experts, out,
in)``) are blocks too: each expert is resized on its own (a fused gate/up
projection half by half), a changed expert count keeps whole experts (new
ones keep the target's init), and the router's rows are unordered experts.

Rules are data: ``axis_rules=[("my_vocab\\.weight$", "tokens,hidden")]`` (API) or
``--axis-rule 'my_vocab\\.weight$=tokens,hidden'`` (CLI) put a rule before the
built-in ones (:data:`AXIS_RULES`). Rules describe parameters of one or two
dims; other parameters keep the shape rules of :mod:`.shapes`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

UNORDERED = frozenset({"tokens", "types", "classes", "in_channels", "experts"})
ORDERED = frozenset({"hidden", "mlp", "position", "depth", "spatial", "heads"})
FUSED = {"qkv": 3}  # an axis made of equal parts, each an ordered axis of its own (query, key, value)


@dataclass(frozen=True)
class AxisRule:
    """``pattern`` (regex searched in a parameter name) -> ``kind`` and the meaning of each axis."""

    pattern: str
    kind: str
    axes: tuple[str, ...]

    def __post_init__(self):
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(f"axis rule {self.pattern!r} is not a valid regex: {exc}") from None
        known = UNORDERED | ORDERED | set(FUSED)
        bad = [a for a in self.axes if a not in known]
        if not self.axes or bad:
            raise ValueError(f"axis rule {self.pattern!r}: axes must be names from "
                             f"{', '.join(sorted(known))}; got {', '.join(self.axes) or 'none'}")

    def unordered(self) -> tuple[int, ...]:
        return tuple(i for i, a in enumerate(self.axes) if a in UNORDERED)

    def fused(self) -> tuple[int, int] | None:
        """``(axis, parts)`` of a fused axis, or ``None``."""
        return next(((i, FUSED[a]) for i, a in enumerate(self.axes) if a in FUSED), None)


AXIS_RULES = (
    AxisRule(r"(^|\.)attn\.qkv\.weight$", "fused qkv (timm)", ("qkv", "hidden")),
    AxisRule(r"(^|\.)attn\.qkv\.bias$", "fused qkv bias", ("qkv",)),
    AxisRule(r"(^|\.)attn\.c_attn\.weight$", "fused qkv (GPT-2 Conv1D)", ("hidden", "qkv")),
    AxisRule(r"(^|\.)attn\.c_attn\.bias$", "fused qkv bias", ("qkv",)),
    AxisRule(r"(^|\.)(wte|word_embeddings|embed_tokens|tok_embeddings|embed_in|shared)\.weight$",
             "token embedding", ("tokens", "hidden")),
    AxisRule(r"(^|\.)(lm_head|embed_out)\.weight$|(^|\.)predictions\.decoder\.weight$",
             "output embedding", ("tokens", "hidden")),
    AxisRule(r"(^|\.)predictions\.(decoder\.)?bias$|(^|\.)lm_head\.bias$", "output bias", ("tokens",)),
    AxisRule(r"(^|\.)token_type_embeddings\.weight$", "token-type embedding", ("types", "hidden")),
    AxisRule(r"(^|\.)(wpe|position_embeddings)\.weight$", "position embedding", ("position", "hidden")),
    AxisRule(r"(^|\.)(mlp|block_sparse_moe)\.gate\.weight$", "expert router", ("experts", "hidden")),
    AxisRule(r"(^|\.)(head|classifier|fc|score)\.weight$", "classifier head", ("classes", "hidden")),
    AxisRule(r"(^|\.)(head|classifier|fc|score)\.bias$", "classifier bias", ("classes",)),
)


def parse_rule(text) -> AxisRule:
    """An :class:`AxisRule` from ``(pattern, "ax1,ax2")``, ``(pattern, kind, axes)``, an AxisRule, or the
    CLI text ``'pattern=ax1,ax2'``."""
    if isinstance(text, AxisRule):
        return text
    if isinstance(text, str):
        pattern, sep, axes = text.rpartition("=")
        if not sep:
            raise ValueError(f"axis rule {text!r} must read 'REGEX=axis,axis' (e.g. 'vocab\\.weight$=tokens,hidden')")
        return AxisRule(pattern, "user rule", tuple(a.strip() for a in axes.split(",") if a.strip()))
    if isinstance(text, (tuple, list)) and len(text) in (2, 3):
        pattern, *rest = text
        kind, axes = (rest[0], rest[1]) if len(rest) == 2 else ("user rule", rest[0])
        axes = tuple(a.strip() for a in axes.split(",")) if isinstance(axes, str) else tuple(axes)
        return AxisRule(pattern, kind, axes)
    raise TypeError(f"axis rule must be 'REGEX=axes', (regex, axes) or (regex, kind, axes), got {text!r}")


def find_rule(name: str, ndim: int, rules) -> AxisRule | None:
    """The first rule whose pattern is in ``name`` and whose axis count is ``ndim``."""
    for rule in rules:
        if len(rule.axes) == ndim and re.search(rule.pattern, name):
            return rule
    return None


# Attention projections whose axis ``axis`` is ``heads x head_dim``: (regex, which head count, axis).
# ``kv`` projections of grouped-query attention have their own head count (``num_key_value_heads``).
HEAD_RULES = (
    (r"(^|\.)(q_proj|query)\.(weight|bias)$", "attention", 0),
    (r"(^|\.)(k_proj|v_proj|key|value)\.(weight|bias)$", "kv", 0),
    (r"(^|\.)(o_proj|out_proj)\.weight$|(^|\.)attention\.output\.dense\.weight$|(^|\.)attn\.proj\.weight$",
     "attention", 1),
    (r"(^|\.)attn\.c_proj\.weight$", "attention", 0),  # GPT-2 Conv1D stores (in, out)
)


# Convolutions whose input-channel axis (1) is unordered: each input channel is resized on its own.
CHANNEL_RULES = (
    r"(^|\.)patch_embed\.proj\.weight$",
    r"(^|\.)patch_embeddings\.projection\.weight$",
    r"(^|\.)stem\.0\.weight$",
    r"^conv1\.weight$",
)


# Mixture-of-experts weights stacked as (experts, out, in): each expert is resized on its own; a fused
# gate/up projection (experts, 2 * inter, hidden) is split into its halves first.
EXPERT_RULES = (
    (r"(^|\.)experts\.gate_up_proj$", 2),
    (r"(^|\.)experts\.(down_proj|up_proj|gate_proj|w1|w2|w3)$", 1),
)


def expert_rule(name: str, ndim: int) -> int | None:
    """Parts per expert (2 for a fused gate/up projection, else 1) of a stacked expert weight, or ``None``."""
    if ndim != 3:
        return None
    return next((parts for pattern, parts in EXPERT_RULES if re.search(pattern, name)), None)


def is_channel_conv(name: str, ndim: int) -> bool:
    return ndim == 4 and any(re.search(p, name) for p in CHANNEL_RULES)


def head_counts(config) -> dict[str, int]:
    """``{"attention": H, "kv": H_kv}`` from a ``transformers`` config (empty when it names none)."""
    if config is None:
        return {}
    heads = next((getattr(config, k) for k in ("num_attention_heads", "n_head", "num_heads")
                  if isinstance(getattr(config, k, None), int)), None)
    if not heads:
        return {}
    kv = getattr(config, "num_key_value_heads", None)
    if getattr(config, "multi_query", False):
        kv = 1
    return {"attention": heads, "kv": kv if isinstance(kv, int) and kv > 0 else heads}


def find_head_rule(name: str, ndim: int):
    """``(head kind, axis)`` of an attention projection, or ``None``."""
    for pattern, kind, axis in HEAD_RULES:
        if axis < ndim and re.search(pattern, name):
            return kind, axis
    return None

"""Matching source names to target names across a head model and its base model.

A Hugging Face head model (``GPT2LMHeadModel``, ``BertForMaskedLM``,
``LlamaForCausalLM``) holds its base model under ``base_model_prefix``
(``transformer.``, ``bert.``, ``model.``), the base model (``GPT2Model``, ...)
holds the same parameters without it, and ``from_pretrained`` loads across
the two either way; it also renames the keys of older checkpoint formats to
the module's names (``transformers``' checkpoint conversion: ``save_pretrained``
may write ``encoder.layer.0.attention.attention.query`` for a module whose
parameter is ``layers.0.attention.q_proj``). :func:`align_source` does the same for a transfer: among
renaming the source by stripping or adding one such prefix, it picks the one
under which the most target groups find a source counterpart (no renaming
unless that strictly gains), and says so in a note for the report.
"""
from __future__ import annotations

from .grouping import group_names
from .loading import TensorStore


def base_model_prefixes(*configs) -> list[str]:
    """``base_model_prefix`` of the architectures the configs name (``transformers`` classes), deduplicated."""
    out = []
    try:
        import transformers
    except ImportError:  # pragma: no cover - transformers is a declared extra
        return out
    for config in configs:
        for arch in (getattr(config, "architectures", None) or []):
            cls = getattr(transformers, arch, None) if isinstance(arch, str) else None
            prefix = getattr(cls, "base_model_prefix", "") if isinstance(cls, type) else ""
            if isinstance(prefix, str) and prefix and prefix not in out:
                out.append(prefix)
    return out


def _first_components(names) -> list[str]:
    """Leading name components shared by at least half of ``names`` (a prefix candidate without a config)."""
    counts: dict[str, int] = {}
    for n in names:
        head = n.split(".", 1)[0]
        if "." in n and not head.isdigit():
            counts[head] = counts.get(head, 0) + 1
    return [h for h, c in counts.items() if 2 * c >= len(names)]


def align_source(source: TensorStore, target: TensorStore, group_pattern=None) -> TensorStore:
    """``source``, or a renamed view of it whose names line up with ``target``'s (see the module docstring)."""
    target_keys = set(group_names(target.keys(), group_pattern))

    def matches(names) -> int:
        return len(set(group_names(names, group_pattern)) & target_keys)

    rename = getattr(target, "checkpoint_key", None)
    if rename is not None:
        mapping = {n: rename(n) for n in source.keys()}
        mapping = {k: v for k, v in mapping.items() if v != k}
        if mapping and matches([mapping.get(n, n) for n in source.keys()]) > matches(list(source.keys())):
            example = next(iter(mapping))
            source = source.renamed(mapping, f"source names renamed as transformers loads this checkpoint format "
                                             f"(e.g. {example!r} -> {mapping[example]!r})")

    best, best_score = None, matches(list(source.keys()))
    candidates = base_model_prefixes(source.config, target.config)
    candidates += [p for p in _first_components(source.keys()) + _first_components(target.keys())
                   if p not in candidates]
    for prefix in candidates:
        dot = prefix + "."
        strip = {n: n[len(dot):] for n in source.keys() if n.startswith(dot)}
        add = {n: dot + n for n in source.keys() if not n.startswith(dot)}
        for how, mapping in (("without", strip), ("with", add)):
            if not mapping:
                continue
            score = matches([mapping.get(n, n) for n in source.keys()])
            if score > best_score:
                best, best_score = (how, prefix, mapping), score
    if best is None:
        return source
    how, prefix, mapping = best
    example = next(iter(mapping))
    note = (f"source names matched {how} the base-model prefix '{prefix}.' "
            f"(e.g. {example!r} -> {mapping[example]!r}), as from_pretrained loads a head model into its "
            f"base model and back")
    return source.renamed(mapping, note)

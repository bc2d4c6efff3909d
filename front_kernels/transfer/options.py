"""Option sets of the two transfer methods, checked on construction."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .grouping import compile_pattern

RESCALES = ("std", "amplitude", "reference")

# Named parts for ``skip=``: regexes searched in a parameter name (timm, HF BERT, GPT-2, LLaMA).
SKIP_PARTS = {
    "qkv": r"attn\.qkv|attention\.self\.(query|key|value)|attn\.c_attn|self_attn\.[qkv]_proj",
    "attn_out": r"attn\.proj|attention\.output\.dense|attn\.c_proj|self_attn\.o_proj",
    "mlp": r"(^|\.)mlp\.|intermediate\.dense|(?<!attention)\.output\.dense",
    "norm": r"(?i)norm|(^|\.)ln_",
}

# Output projections of residual branches (timm ViT, HF BERT, GPT-2, LLaMA): weights and biases.
RESIDUAL_OUT_PATTERN = (r"(^|\.)(attn\.proj|attn\.c_proj|attn\.out_proj|self_attn\.o_proj|output\.dense|"
                        r"mlp\.fc2|mlp\.c_proj|mlp\.down_proj)\.(weight|bias)$")

DEFAULT_HEAD_PATTERN = r"(^|\.)(head|classifier|fc|score)\.(weight|bias)$"


def _check_choice(value, choices, name):
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")


def _compile_skip(skip) -> list[tuple[str, re.Pattern]]:
    if skip is None:
        return []
    if isinstance(skip, str):
        skip = [skip]
    out = []
    for item in skip:
        if not isinstance(item, str):
            raise TypeError(f"skip entries must be strings, got {item!r}")
        try:
            out.append((item, re.compile(SKIP_PARTS.get(item, item))))
        except re.error as exc:
            raise ValueError(f"skip entry {item!r} is neither a part name ({', '.join(SKIP_PARTS)}) "
                             f"nor a valid regex: {exc}") from None
    return out


def _compile_regex(pattern, name: str) -> re.Pattern:
    if not isinstance(pattern, str):
        raise TypeError(f"{name} must be a regex string, got {type(pattern).__name__}")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{name}={pattern!r} is not a valid regex: {exc}") from None


@dataclass
class CommonOptions:
    """Options shared by FRONT and BoT.

    ``skip``: part names (``'qkv'``, ``'attn_out'``, ``'mlp'``, ``'norm'``) or
    regexes; matching target parameters keep their own values.
    ``head_pattern``: regex naming classifier-head parameters; one whose first
    dim (class count) differs from the source's keeps the target's own value.
    ``group_pattern``: regex overriding the layer rule (see ``grouping``).
    ``seed``: seed of ``depth_mode='random'`` (combined with the group name, so
    the result does not depend on the order groups are processed in) and of
    the init of a target built from a config.
    ``axis_rules``: extra rules naming what the axes of a parameter mean, tried
    before the built-in ones (:mod:`.kinds`); ``unordered``: what happens when an
    unordered axis (tokens, classes, ...) changes size: ``'keep-common'``
    (default: the common entries are transferred, the others keep the
    target's init) or ``'refuse'`` (an error). ``builtin_rules=False`` drops the
    built-in rules: every tensor is then one signal with ordered axes, as in the
    FRONT authors' script (with ``rescale='reference'``, its numbers exactly).
    """

    skip: list = field(default_factory=list)
    head_pattern: str = DEFAULT_HEAD_PATTERN
    group_pattern: str | None = None
    seed: int = 0
    axis_rules: list = field(default_factory=list)
    unordered: str = "keep-common"
    builtin_rules: bool = True

    def __post_init__(self):
        self._skip = _compile_skip(self.skip)
        compile_pattern(self.group_pattern)
        self._head = _compile_regex(self.head_pattern, "head_pattern") if self.head_pattern else None
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise TypeError(f"seed must be an int, got {self.seed!r}")
        from .kinds import AXIS_RULES, parse_rule
        extra = [self.axis_rules] if isinstance(self.axis_rules, str) else list(self.axis_rules or [])
        self.rules = tuple(parse_rule(r) for r in extra) + (AXIS_RULES if self.builtin_rules else ())
        _check_choice(self.unordered, ("keep-common", "refuse"), "unordered")

    def skipped_by(self, name: str) -> str | None:
        for label, pat in self._skip:
            if pat.search(name):
                return label
        return None

    def is_head(self, name: str) -> bool:
        return bool(self._head and self._head.search(name))


@dataclass
class FrontOptions(CommonOptions):
    r"""FRONT (METHODS.md section 1).

    ``keep_ratio`` in (0, 1]: keep ``max(1, floor(n * keep_ratio))`` source DCT
    coefficients per transformed axis. ``mlp_dct``: ``'2d'`` (separable 2-D
    DCT of every 2-D tensor) or ``'1d'`` (MLP expansion / contraction weights
    transformed along the hidden axis only). ``depth_mode``: ``'zero'``,
    ``'random'`` or ``'consistence'`` filling of the target's depth slots;
    ``depth_band``: which source depth frequencies are kept (``'first'``,
    ``'last'``, ``'middle'``); ``select_n``: cap on kept depth frequencies.
    ``rescale``:

    * ``'reference'``: the un-normalised pair :math:`X_k=\sum_n x_n\cos\frac{\pi k(2n+1)}{2N}`
      and its exact inverse, so truncating ``N -> M`` scales amplitudes by ``N/M``
      per axis (the authors' script without ``use_ratio``);
    * ``'amplitude'``: orthonormal DCTs and a factor :math:`\sqrt{M/N}` per axis
      (``L'/L`` along depth): a smooth signal keeps its values;
    * ``'std'`` (default): orthonormal DCTs, then every target tensor is
      re-standardised, :math:`W' = \mu + \sigma (Y - \bar Y)/(s_Y + 10^{-8})`,
      with the source layer's :math:`(\mu, \sigma)`.
    """

    keep_ratio: float = 1.0
    mlp_dct: str = "2d"
    depth_mode: str = "zero"
    depth_band: str = "first"
    select_n: int | None = None
    rescale: str = "std"

    def __post_init__(self):
        super().__post_init__()
        if isinstance(self.keep_ratio, bool) or not isinstance(self.keep_ratio, (int, float)) \
                or not 0 < self.keep_ratio <= 1:
            raise ValueError(f"keep_ratio must be a number in (0, 1], got {self.keep_ratio!r}")
        _check_choice(self.mlp_dct, ("2d", "1d"), "mlp_dct")
        _check_choice(self.depth_mode, ("zero", "random", "consistence"), "depth_mode")
        _check_choice(self.depth_band, ("first", "last", "middle"), "depth_band")
        _check_choice(self.rescale, RESCALES, "rescale")
        if self.select_n is not None and (isinstance(self.select_n, bool) or not isinstance(self.select_n, int)
                                          or self.select_n < 1):
            raise ValueError(f"select_n must be a positive int or None, got {self.select_n!r}")


@dataclass
class BotOptions(CommonOptions):
    r"""BoT (METHODS.md section 2): the stacked group ``(L, n1, n2)`` is resized as
    one 3-D signal by :func:`front_kernels.resize` with ``method='dwt'``.

    ``wavelet``: ``'haar'`` or ``'dbN'``; ``mode``: boundary mode
    (``'periodization'``, ``'zero'``, ``'symmetric'``); ``non_dyadic``: how a
    non-power-of-two ratio is finished (``'dct'`` default, or ``'pad'``).
    ``rescale``: ``'reference'`` (default: the plain orthonormal DWT, the
    approximation band grows by :math:`\sqrt 2` per level per axis; doubling a
    matrix's both axes divides its entries by 2, which keeps ``W x`` of a
    duplicated input), ``'amplitude'`` (divided back
    by :math:`\sqrt 2^j` per axis), ``'std'`` (every layer is
    standardised first, resized with ``'amplitude'``, and every target layer
    re-standardised to the mean/std of the source layers, linearly
    interpolated along depth at the target layer's centre).

    ``depth_shrink`` / ``depth_grow``: how a group's layers map to a shallower /
    deeper target. ``'wavelet'``: the DWT above along depth too (shrinking
    averages layer pairs); ``'select'``: layer selection
    (:func:`~front_kernels.transfer.depth.layer_matrix`: evenly spaced source
    layers, the first and the last kept; a deeper target repeats layers);
    growing only, ``'split'`` / ``'identity'``: selection where the output
    projections of the residual branches (named by ``residual_out_pattern``)
    are shared out over a layer's copies (``'split'``) or zero in all copies
    but the first (``'identity'``: the copies are identity blocks of a pre-norm
    network, whose function is kept). With ``rescale='std'`` a selected layer is
    re-standardised to its source layer's statistics (scaled as its depth map
    scales it). Defaults (``rescale='reference'``, ``depth_shrink='wavelet'``,
    ``depth_grow='identity'``) chosen by ``python/evaluate_defaults.py``; see
    the README's "Defaults".
    """

    wavelet: str = "haar"
    mode: str = "periodization"
    non_dyadic: str = "dct"
    rescale: str = "reference"
    depth_shrink: str = "wavelet"
    depth_grow: str = "identity"
    residual_out_pattern: str = RESIDUAL_OUT_PATTERN

    def __post_init__(self):
        super().__post_init__()
        _check_choice(self.rescale, RESCALES, "rescale")
        _check_choice(self.non_dyadic, ("dct", "pad"), "non_dyadic")
        from .depth import DEPTH_RULES
        _check_choice(self.depth_shrink, DEPTH_RULES[:2], "depth_shrink")
        _check_choice(self.depth_grow, DEPTH_RULES, "depth_grow")
        self._residual_out = _compile_regex(self.residual_out_pattern, "residual_out_pattern")
        from ..wavelets import check_mode, get_wavelet

        if not isinstance(self.wavelet, str):
            raise TypeError(f"wavelet must be a wavelet name such as 'haar' or 'db2', got {self.wavelet!r}")
        get_wavelet(self.wavelet)
        check_mode(self.mode)


def depth_rule(options, L: int, L_target: int) -> str:
    """BoT's depth rule for a group of ``L`` layers resized to ``L_target``."""
    return options.depth_grow if L_target > L else options.depth_shrink


def is_residual_out(options, key: str) -> bool:
    """Whether the group ``key`` is an output projection of a residual branch (BoT's depth rules)."""
    pat = getattr(options, "_residual_out", None)
    return bool(pat and pat.search(key))


def make_options(method: str, **options):
    """Options object for ``method`` ('front' or 'bot'); unknown keywords are an error."""
    _check_choice(method, ("front", "bot"), "method")
    cls = FrontOptions if method == "front" else BotOptions
    try:
        return cls(**options)
    except TypeError as exc:
        names = sorted(f for f in cls.__dataclass_fields__)
        raise TypeError(f"{exc}; options of method={method!r}: {', '.join(names)}") from None

"""The evaluation that chose the transfer defaults: the demo's two targets, every
candidate setting of FRONT and BoT as its own init, over source models and
fine-tuning seeds, each paired with random init on the same draw and data order.

    python python/evaluate_defaults.py --out docs/demo/defaults     # ~20 min on 2 cores
    python python/evaluate_defaults.py --quick --out /tmp/defaults   # seconds: checks the script

Writes ``results.json`` (every run) and ``table.md`` (the demo's table over all
candidates) under ``--out``, and ``function.md``: how much of each source's
accuracy every candidate keeps before any training when the source is doubled
in width, in depth and in both (``--function-only`` writes just that, in
seconds). The README's "Defaults" section quotes them.
"""
from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from front_kernels.demo.command import quick_config
from front_kernels.demo.pipeline import (DemoConfig, _data, build_model, default_cache_dir, format_table,
                                         initial_state, run_demo, source_model)
from front_kernels.demo.stats import mean_sd
from front_kernels.demo.train import evaluate
from front_kernels.demo.vit import ViTConfig

KEEP_NORMS = {"skip": ["norm"]}           # LayerNorm gains and biases keep the target's init (1 and 0)
KEEP_POSITIONS = {"skip": [r"pos_embed"]}  # the position embedding keeps the target's init

CANDIDATES = {
    # BoT: rescaling x depth rule ("x/y": rescale x, layers by rule y in both directions; a rule that only
    # grows, split or identity, shrinks by selection)
    "bot std/wavelet": ("bot", {"rescale": "std", "depth_shrink": "wavelet", "depth_grow": "wavelet"}),
    "bot ref/wavelet": ("bot", {"rescale": "reference", "depth_shrink": "wavelet", "depth_grow": "wavelet"}),
    "bot ref/select": ("bot", {"rescale": "reference", "depth_shrink": "select", "depth_grow": "select"}),
    "bot ref/split": ("bot", {"rescale": "reference", "depth_shrink": "select", "depth_grow": "split"}),
    "bot ref/identity": ("bot", {"rescale": "reference", "depth_shrink": "select", "depth_grow": "identity"}),
    "bot ref/split, norms kept": ("bot", {"rescale": "reference", "depth_shrink": "select", "depth_grow": "split",
                                          **KEEP_NORMS}),
    "bot ref/split, pos kept": ("bot", {"rescale": "reference", "depth_shrink": "select", "depth_grow": "split",
                                        **KEEP_POSITIONS}),
    "front std": ("front", {"rescale": "std"}),
    "front std, norms kept": ("front", {"rescale": "std", **KEEP_NORMS}),
    "front std, pos kept": ("front", {"rescale": "std", **KEEP_POSITIONS}),
}


def doubled(source: ViTConfig) -> dict:
    """The source doubled in width (same head count, heads twice as wide), in depth, and in both."""
    w, d = source.embed_dim * 2, source.depth * 2
    return {f"width {source.embed_dim}->{w}": ViTConfig(depth=source.depth, embed_dim=w, num_heads=source.num_heads),
            f"depth {source.depth}->{d}": ViTConfig(depth=d, embed_dim=source.embed_dim, num_heads=source.num_heads),
            f"both -> {d}x{w}": ViTConfig(depth=d, embed_dim=w, num_heads=source.num_heads)}


def function_table(cfg: DemoConfig) -> str:
    """Test accuracy (%) before any training of the doubled sources, per candidate: mean ± sd over the
    sources (the sources' own accuracy in the first row, a random init of the doubled model in the second)."""
    data = _data(cfg)
    sources = [source_model(cfg.source_config(k), data, default_cache_dir(), False)[0] for k in range(cfg.sources)]
    targets = doubled(cfg.source)

    def acc(state, config):
        m = build_model(config, 0)
        m.load_state_dict(state)
        return evaluate(m, data.x_test, data.y_test)

    def pm(values):
        m, sd = mean_sd([100 * v for v in values])
        return f"{m:.1f}" + ("" if sd != sd else f" ± {sd:.1f}")

    rows = [["source itself"] + [pm([acc(s, cfg.source) for s in sources])] * len(targets),
            ["random init"] + [pm([acc(build_model(t, 1 + k).state_dict(), t) for k in range(cfg.sources)])
                               for t in targets.values()]]
    for name in CANDIDATES:
        row = [name]
        for t in targets.values():
            row.append(pm([acc(initial_state(name, build_model(t, 1), s, None, CANDIDATES), t) for s in sources]))
        rows.append(row)
    head = ["candidate"] + list(targets)
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                     + ["| " + " | ".join(r) + " |" for r in rows])


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="defaults-evaluation", help="output folder (default: ./defaults-evaluation)")
    ap.add_argument("--sources", type=int, default=2, help="trained source models (default 2)")
    ap.add_argument("--seeds", type=int, default=3, help="fine-tuning seeds per source (default 3)")
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core, at most 2)")
    ap.add_argument("--quick", action="store_true", help="tiny models: checks the script, numbers mean nothing")
    ap.add_argument("--function-only", action="store_true",
                    help="only function.md: the doubled sources before any training (seconds)")
    args = ap.parse_args(argv)
    base = quick_config() if args.quick else DemoConfig()
    cfg = dataclasses.replace(base, inits=("random", "select", *CANDIDATES), variants=dict(CANDIDATES),
                              sources=args.sources, seeds=args.seeds, jobs=args.jobs if not args.quick else 1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    function = function_table(cfg)
    (out / "function.md").write_text(
        f"Command: `python python/evaluate_defaults.py --out {args.out} --sources {args.sources} --function-only`."
        "\n\nTest accuracy (%) before any training, mean ± sd over the source models, of each source doubled "
        "in width (same head count), in depth and in both, initialised by each candidate:\n\n" + function + "\n")
    print(function)
    if args.function_only:
        return {"function": function}
    t0 = time.perf_counter()
    results = run_demo(cfg, out, cache_dir=default_cache_dir(), progress=not args.quick, plots=not args.quick)
    table = format_table(results)
    (out / "table.md").write_text(
        f"Command: `python python/evaluate_defaults.py --out {args.out} --sources {args.sources} "
        f"--seeds {args.seeds}`; {time.perf_counter() - t0:.0f} s, {results['workers']} worker(s).\n\n"
        "Candidates (transfer options):\n\n"
        + "".join(f"- `{name}`: method {m!r}, {opts}\n" for name, (m, opts) in CANDIDATES.items())
        + "\n```\n" + table + "\n```\n")
    print(table)
    return results


if __name__ == "__main__":
    main()

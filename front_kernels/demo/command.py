"""``front-kernels demo``: FRONT, BoT and weight selection against random init on digits, on a CPU."""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="front-demo", metavar="DIR",
                        help="folder for results.json, convergence.png, spectrum.png (default: ./front-demo)")
    parser.add_argument("--retrain", action="store_true",
                        help="train the source (and its refined copy) again instead of using the cache")
    parser.add_argument("--cache-dir", default=None, metavar="DIR",
                        help="where trained sources are kept (default: $FRONT_KERNELS_CACHE, "
                             "else ~/.cache/front_kernels)")
    parser.add_argument("--epochs", type=int, default=None, help="fine-tuning epochs per run (default 6)")
    parser.add_argument("--source-epochs", type=int, default=None, help="source training epochs (default 20)")
    parser.add_argument("--seeds", type=int, default=None,
                        help="fine-tuning seeds per source model: each seed redraws the target's random init and "
                             "the data order, shared by every init (default 3)")
    parser.add_argument("--sources", type=int, default=None,
                        help="trained source models, each from its own seeds (default 2)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="runs in parallel worker processes, one torch thread each (default: one per CPU "
                             "core, at most 2)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads with --jobs 1 (default 1: the models are tiny, so more threads "
                             "gain little and oversubscribed cores stall them)")
    parser.add_argument("--quick", action="store_true",
                        help="a shrunk configuration (tiny models, 2 epochs, part of the data) that checks "
                             "the whole pipeline in seconds; its numbers mean nothing")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def quick_config():
    """Tiny models, few epochs and part of the data: the smoke-test configuration."""
    from .pipeline import DemoConfig
    from .train import TrainConfig
    from .vit import ViTConfig

    return DemoConfig(
        source=ViTConfig(depth=2, embed_dim=16, num_heads=2),
        targets={"smaller": ViTConfig(depth=1, embed_dim=8, num_heads=1),
                 "larger": ViTConfig(depth=3, embed_dim=24, num_heads=2)},
        source_train=TrainConfig(epochs=2, lr=2e-3, seed=0),
        refine_train=TrainConfig(epochs=1, lr=5e-4, seed=1),
        finetune=TrainConfig(epochs=2, lr=2e-3, seed=2),
        n_train=256, n_test=128, sources=1, seeds=2, jobs=1,
    )


def config_from_args(args):
    from .pipeline import DemoConfig

    cfg = quick_config() if args.quick else DemoConfig()
    for flag, name in ((args.epochs, "finetune"), (args.source_epochs, "source_train")):
        if flag is not None:
            if flag < 1:
                raise ValueError(f"epochs must be >= 1, got {flag}")
            cfg = dataclasses.replace(cfg, **{name: dataclasses.replace(getattr(cfg, name), epochs=flag)})
    for name in ("seeds", "sources", "jobs"):
        value = getattr(args, name)
        if value is not None:
            if value < 1:
                raise ValueError(f"--{name} must be >= 1, got {value}")
            cfg = dataclasses.replace(cfg, **{name: value})
    return cfg


def run(args) -> int:
    import torch

    from .pipeline import default_cache_dir, format_table, run_demo

    if args.threads < 1:
        print(f"front-kernels demo: --threads must be >= 1, got {args.threads}", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    try:
        cfg = config_from_args(args)
    except ValueError as exc:
        print(f"front-kernels demo: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    cache = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    results = run_demo(cfg, out, cache_dir=cache, retrain=args.retrain, progress=not args.no_progress)
    for src in results["sources"]:
        line = (f"source {src['index']}: ViT {cfg.source.label} (patch 2) on digits, test accuracy "
                f"{100 * src['test_accuracy']:.1f}%" + (" (from cache)" if src["from_cache"] else ""))
        if src.get("refined"):
            line += f"; refined with the spectral regulariser {100 * src['refined']['test_accuracy']:.1f}%"
        print(line)
    print(f"fine-tuning: {cfg.finetune.epochs} epochs, identical for every init; {cfg.sources} source(s) x "
          f"{cfg.seeds} seed(s) per target and init, mean ± sd of test accuracy (%); epoch 0 is before "
          f"fine-tuning; 'final - random' is paired (same source, seed, data order and target draw)\n")
    print(format_table(results))
    print(f"\nwrote {out / 'results.json'}, {out / 'convergence.png'}, {out / 'spectrum.png'} "
          f"in {results['seconds']:.0f} s")
    return 0

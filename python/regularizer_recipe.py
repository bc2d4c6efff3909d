"""Recipe: refine a trained source with the spectral regulariser, then transfer it.

1. Train a small ViT on digits (the source).
2. Fine-tune two copies for the same few epochs: one with the task loss only
   (the control), one with ``SpectralRegularizer`` added (the refined source),
   so both have seen the same extra training.
3. Initialise a smaller ViT (half the width and depth: FRONT keeps exactly the
   coefficients the regulariser did not penalise, keep_ratio 0.5) from each
   copy with FRONT, fine-tune both identically, and print the test accuracy
   after each epoch, for several target seeds.

    python python/regularizer_recipe.py            # a few minutes on a laptop CPU
    python python/regularizer_recipe.py --quick    # tiny models, seconds (smoke test)
"""
from __future__ import annotations

import argparse
import copy

import torch

import front_kernels
from front_kernels import SpectralRegularizer
from front_kernels.demo import TrainConfig, ViTConfig, build_model, evaluate, load_digits_split, train


def refine(source, data, cfg: TrainConfig, strength: float | None, keep_ratio: float = 0.5):
    """A copy of ``source`` trained for ``cfg``; with ``strength`` the loss adds
    ``strength`` times the mean high-frequency share of the weights."""
    model = copy.deepcopy(source)
    extra = None
    if strength is not None:
        extra = SpectralRegularizer(model, keep_ratio=keep_ratio)
        penalised = set(extra.names)
        extra.weight = strength / sum(p.numel() for n, p in model.named_parameters() if n in penalised)
    train(model, data, cfg, extra_loss=extra)
    return model


def high_share(model, keep_ratio: float = 0.5) -> float:
    """Mean share of standardised weight energy outside the kept corner."""
    reg = SpectralRegularizer(model, keep_ratio=keep_ratio)
    penalised = set(reg.names)
    with torch.no_grad():
        energy = float(reg())
    return energy / sum(p.numel() for n, p in model.named_parameters() if n in penalised)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny models and few epochs")
    ap.add_argument("--strength", type=float, default=30.0,
                    help="times the mean high-frequency share added to the loss (1 barely moves the spectrum)")
    ap.add_argument("--seeds", type=int, default=3, help="target initial draws to average over")
    args = ap.parse_args(argv)

    data = load_digits_split(seed=0)
    if args.quick:
        data = data.subset(256, 128)
        source_cfg, target_cfg = ViTConfig(depth=2, embed_dim=16, num_heads=2), ViTConfig(depth=1, embed_dim=8, num_heads=1)
        source_epochs, refine_epochs, epochs, seeds = 2, 1, 2, 1
    else:
        source_cfg, target_cfg = ViTConfig(depth=6, embed_dim=96, num_heads=3), ViTConfig(depth=3, embed_dim=48, num_heads=2)
        source_epochs, refine_epochs, epochs, seeds = 20, 3, 4, args.seeds

    source = build_model(source_cfg, seed=0)
    train(source, data, TrainConfig(epochs=source_epochs, batch_size=32, warmup_epochs=1, seed=0))
    refine_cfg = TrainConfig(epochs=refine_epochs, lr=3e-4, batch_size=32, seed=1)
    sources = {"control": refine(source, data, refine_cfg, None),
               "refined": refine(source, data, refine_cfg, args.strength)}
    for name, model in sources.items():
        print(f"{name:>8} source: test accuracy {100 * evaluate(model, data.x_test, data.y_test):.1f}%, "
              f"high-frequency share {high_share(model):.3f}")

    curves = {name: [] for name in sources}
    for seed in range(seeds):
        for name, model in sources.items():
            target = build_model(target_cfg, seed=100 + seed)
            target.load_state_dict(front_kernels.transfer(model, target, method="front"))
            curve = [evaluate(target, data.x_test, data.y_test)]
            curve += train(target, data, TrainConfig(epochs=epochs, batch_size=32, seed=2 + seed))
            curves[name].append(curve)
    mean = {name: [sum(c[i] for c in cs) / len(cs) for i in range(len(cs[0]))] for name, cs in curves.items()}
    print(f"target {target_cfg.label} via FRONT, test accuracy (%) at epochs 0..{epochs}, mean of {seeds} seed(s):")
    for name, m in mean.items():
        print(f"  from {name:>8} source: " + " ".join(f"{100 * a:5.1f}" for a in m))
    return {"curves": curves, "mean": mean}


if __name__ == "__main__":
    main()

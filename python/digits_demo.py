"""Recipe: the demo's pieces from a script.

Train a small ViT on scikit-learn's digits, initialise a deeper and wider ViT
from it with FRONT and with BoT, fine-tune each for a few epochs next to a
randomly initialised copy, and print the test accuracy after every epoch.

    python python/digits_demo.py            # about a minute on a laptop CPU
    python python/digits_demo.py --quick    # tiny models, seconds (smoke test)
"""
from __future__ import annotations

import argparse

import front_kernels
from front_kernels.demo import TrainConfig, ViTConfig, build_model, evaluate, load_digits_split, train


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny models and few epochs")
    args = ap.parse_args(argv)

    data = load_digits_split(seed=0)
    if args.quick:
        data = data.subset(256, 128)
        source_cfg, target_cfg = ViTConfig(depth=2, embed_dim=16, num_heads=2), ViTConfig(depth=3, embed_dim=24, num_heads=2)
        source_epochs, epochs = 2, 2
    else:
        source_cfg, target_cfg = ViTConfig(depth=4, embed_dim=64, num_heads=2), ViTConfig(depth=6, embed_dim=96, num_heads=3)
        source_epochs, epochs = 15, 4

    source = build_model(source_cfg, seed=0)
    train(source, data, TrainConfig(epochs=source_epochs, batch_size=32, warmup_epochs=1, seed=0))
    print(f"source {source_cfg.label}: test accuracy {100 * evaluate(source, data.x_test, data.y_test):.1f}%")

    curves = {}
    for init in ("random", "front", "bot"):
        target = build_model(target_cfg, seed=1)  # the same random draw for every init
        if init != "random":
            target.load_state_dict(front_kernels.transfer(source, target, method=init))
        curves[init] = train(target, data, TrainConfig(epochs=epochs, batch_size=32, seed=2))
        print(f"target {target_cfg.label} from {init:>6}: " + " ".join(f"{100 * a:5.1f}" for a in curves[init]))
    return curves


if __name__ == "__main__":
    main()

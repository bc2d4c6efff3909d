"""The demo end to end: source, refined source, targets, fine-tuning runs, outputs.

:func:`run_demo` trains (or loads from the cache) a ViT on digits, refines a
copy with the spectral regulariser, then fine-tunes each target from every
initialisation with identical settings (same data order, augmentation and
schedule) and writes ``results.json``, ``convergence.png`` and
``spectrum.png``.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from ..regularize import SpectralRegularizer
from .data import Digits, load_digits_split
from .plots import epochs_to_reach, plot_convergence, plot_spectrum, spectrum_by_type
from .select import select_weights
from .train import TrainConfig, evaluate, train
from .vit import VisionTransformer, ViTConfig

INITS = ("random", "front", "bot", "front+reg", "select")
_CACHE_FORMAT = 1


@dataclass
class DemoConfig:
    """Everything that decides the demo's numbers.

    ``reg_keep_ratio`` / ``reg_strength``: the refinement adds
    ``reg_strength / n_penalised * sum_p ||high(Z_p)||^2`` to the loss, i.e.
    ``reg_strength`` times the mean share of energy outside the kept corner.
    """

    source: ViTConfig = ViTConfig(depth=6, embed_dim=96, num_heads=3)
    targets: dict = field(default_factory=lambda: {
        "smaller": ViTConfig(depth=3, embed_dim=48, num_heads=2),
        "larger": ViTConfig(depth=8, embed_dim=128, num_heads=4),
    })
    source_train: TrainConfig = TrainConfig(epochs=20, lr=1e-3, batch_size=32, warmup_epochs=1, seed=0)
    refine_train: TrainConfig = TrainConfig(epochs=3, lr=3e-4, batch_size=32, seed=1)
    finetune: TrainConfig = TrainConfig(epochs=6, lr=1e-3, batch_size=32, warmup_epochs=0.5, seed=2)
    reg_keep_ratio: float = 0.5
    reg_strength: float = 30.0
    inits: tuple = INITS
    init_seed: int = 0
    data_seed: int = 0
    n_train: int | None = None
    n_test: int | None = None

    def source_key(self) -> str:
        blob = json.dumps([_CACHE_FORMAT, asdict(self.source), asdict(self.source_train), self.data_seed,
                           self.n_train, self.n_test, self.init_seed], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def refined_key(self) -> str:
        blob = json.dumps([self.source_key(), asdict(self.refine_train), self.reg_keep_ratio, self.reg_strength],
                          sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def default_cache_dir() -> Path:
    """``$FRONT_KERNELS_CACHE``, else ``$XDG_CACHE_HOME/front_kernels``, else ``~/.cache/front_kernels``."""
    if os.environ.get("FRONT_KERNELS_CACHE"):
        return Path(os.environ["FRONT_KERNELS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "front_kernels"


class _Progress:
    """One tqdm bar per phase (steps), plus a line per finished run."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def bar(self, total: int, desc: str):
        if not self.enabled:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc, unit="step", leave=False, dynamic_ncols=True)

    def line(self, text: str) -> None:
        if self.enabled:
            from tqdm.auto import tqdm

            tqdm.write(text)


def _train_with_bar(model, data: Digits, cfg: TrainConfig, progress: _Progress, desc: str, **kw) -> list[float]:
    steps = cfg.epochs * -(-len(data.y_train) // cfg.batch_size)
    bar = progress.bar(steps, desc)
    try:
        return train(model, data, cfg, on_step=(bar.update if bar is not None else None), **kw)
    finally:
        if bar is not None:
            bar.close()


def _save_atomic(obj, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _load_cached(path: Path):
    if not path.exists():
        return None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # a corrupt or foreign file is retrained over
        return None


def build_model(config: ViTConfig, seed: int) -> VisionTransformer:
    """A freshly initialised ViT; ``seed`` fixes the initial weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return VisionTransformer(config)


def source_model(cfg: DemoConfig, data: Digits, cache_dir: Path | None, retrain: bool,
                 progress: _Progress) -> tuple[VisionTransformer, dict]:
    """The trained source (from the cache unless ``retrain``) and its record."""
    path = None if cache_dir is None else cache_dir / "demo" / f"source-{cfg.source_key()}.pt"
    model = build_model(cfg.source, cfg.init_seed)
    cached = None if retrain or path is None else _load_cached(path)
    if cached is not None:
        model.load_state_dict(cached["state_dict"])
        info = {"from_cache": True, "curve": cached["curve"], "path": str(path)}
    else:
        t0 = time.perf_counter()
        curve = _train_with_bar(model, data, cfg.source_train, progress, f"source {cfg.source.label}")
        info = {"from_cache": False, "curve": curve, "seconds": time.perf_counter() - t0}
        if path is not None:
            _save_atomic({"state_dict": model.state_dict(), "curve": curve}, path)
            info["path"] = str(path)
    info["test_accuracy"] = evaluate(model, data.x_test, data.y_test)
    progress.line(f"source {cfg.source.label}: test accuracy {100 * info['test_accuracy']:.1f}%"
                  + (" (cached)" if info["from_cache"] else ""))
    return model, info


def refined_source(cfg: DemoConfig, source: VisionTransformer, data: Digits, cache_dir: Path | None,
                   retrain: bool, progress: _Progress) -> tuple[VisionTransformer, dict]:
    """A copy of ``source`` fine-tuned with the spectral regulariser added to the loss."""
    path = None if cache_dir is None else cache_dir / "demo" / f"refined-{cfg.refined_key()}.pt"
    model = copy.deepcopy(source)
    cached = None if retrain or path is None else _load_cached(path)
    if cached is not None:
        model.load_state_dict(cached["state_dict"])
        info = {"from_cache": True, "curve": cached["curve"]}
    else:
        reg = SpectralRegularizer(model, keep_ratio=cfg.reg_keep_ratio)
        n_penalised = sum(p.numel() for n, p in model.named_parameters() if n in set(reg.names))
        reg.weight = cfg.reg_strength / n_penalised
        t0 = time.perf_counter()
        curve = _train_with_bar(model, data, cfg.refine_train, progress, "refine with regulariser",
                                extra_loss=reg)
        info = {"from_cache": False, "curve": curve, "seconds": time.perf_counter() - t0}
        if path is not None:
            _save_atomic({"state_dict": model.state_dict(), "curve": curve}, path)
    info["test_accuracy"] = evaluate(model, data.x_test, data.y_test)
    progress.line(f"refined source: test accuracy {100 * info['test_accuracy']:.1f}%"
                  + (" (cached)" if info["from_cache"] else ""))
    return model, info


def initial_state(init: str, target: VisionTransformer, source: VisionTransformer,
                  refined: VisionTransformer | None) -> dict[str, torch.Tensor]:
    """The target's state dict for one initialisation name of :data:`INITS`."""
    from .. import transfer

    if init == "random":
        return target.state_dict()
    if init == "select":
        return select_weights(source, target)
    if init == "front":
        return transfer(source.state_dict(), target, method="front")
    if init == "bot":
        return transfer(source.state_dict(), target, method="bot")
    if init == "front+reg":
        if refined is None:
            raise ValueError("init 'front+reg' needs the refined source")
        return transfer(refined.state_dict(), target, method="front")
    raise ValueError(f"init must be one of {', '.join(map(repr, INITS))}; got {init!r}")


def run_demo(cfg: DemoConfig, out_dir, *, cache_dir: Path | None = None, retrain: bool = False,
             progress: bool = True, plots: bool = True) -> dict:
    """Run the whole comparison; write ``results.json`` (and the two figures) under ``out_dir``.

    Returns the dict written to ``results.json``.
    """
    for name in cfg.inits:
        if name not in INITS:
            raise ValueError(f"inits must be drawn from {', '.join(map(repr, INITS))}; got {name!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    prog = _Progress(progress)
    t_start = time.perf_counter()
    data = load_digits_split(seed=cfg.data_seed).subset(cfg.n_train, cfg.n_test)
    source, source_info = source_model(cfg, data, cache_dir, retrain, prog)
    refined, refined_info = None, None
    if "front+reg" in cfg.inits:
        refined, refined_info = refined_source(cfg, source, data, cache_dir, retrain, prog)

    runs = []
    for t_index, (tname, tcfg) in enumerate(cfg.targets.items()):
        label = f"{tname} {tcfg.label}"
        for init in cfg.inits:
            # every init of a target starts from the same random draw; transfers overwrite what they cover
            model = build_model(tcfg, cfg.init_seed + 1 + t_index)
            model.load_state_dict(initial_state(init, model, source, refined))
            start_acc = evaluate(model, data.x_test, data.y_test)
            t0 = time.perf_counter()
            curve = _train_with_bar(model, data, cfg.finetune, prog, f"{label} / {init}")
            runs.append({"target": label, "init": init, "final_accuracy": curve[-1], "curve": curve,
                         "initial_accuracy": start_acc, "seconds": time.perf_counter() - t0})
            prog.line(f"{label:>16} {init:>9}: " + " ".join(f"{100 * a:5.1f}" for a in curve))

    results = {
        "runs": runs,
        "source": {"config": cfg.source.to_dict(), **source_info},
        "refined_source": None if refined_info is None else
        {"keep_ratio": cfg.reg_keep_ratio, "strength": cfg.reg_strength, **refined_info},
        "targets": {f"{k} {v.label}": v.to_dict() for k, v in cfg.targets.items()},
        "finetune": asdict(cfg.finetune),
        "data": {"n_train": len(data.y_train), "n_test": len(data.y_test), "seed": cfg.data_seed},
        "threads": torch.get_num_threads(),
    }
    if plots:
        plot_convergence(runs, out_dir / "convergence.png")
        spectra = {f"source {cfg.source.label}": spectrum_by_type(source.state_dict())}
        if refined is not None:
            spectra["refined with regulariser"] = spectrum_by_type(refined.state_dict())
        plot_spectrum(spectra, out_dir / "spectrum.png")
        results["spectrum"] = spectra
    results["seconds"] = time.perf_counter() - t_start
    with open(out_dir / "results.json", "w") as f:
        json.dump(results, f, indent=1)
    return results


def format_table(results: dict) -> str:
    """The closing table: accuracy (%) after each epoch, epochs to reach random init's
    final accuracy, and whether the init beat random init."""
    runs = results["runs"]
    n_ep = max(len(r["curve"]) for r in runs)
    head = ["target", "init", "start"] + [f"ep{i + 1}" for i in range(n_ep)] + ["to random's final", "vs random"]
    rows = []
    for target in dict.fromkeys(r["target"] for r in runs):
        group = [r for r in runs if r["target"] == target]
        rand = next((r for r in group if r["init"] == "random"), None)
        for r in group:
            row = [target, r["init"], f"{100 * r['initial_accuracy']:.1f}"]
            row += [f"{100 * a:.1f}" for a in r["curve"]] + [""] * (n_ep - len(r["curve"]))
            if rand is None:
                row += ["-", "-"]
            else:
                level = rand["final_accuracy"]
                reach = epochs_to_reach(r["curve"], level)
                rand_reach = epochs_to_reach(rand["curve"], level)
                row.append("never" if reach is None else str(reach))
                row.append(_verdict(r, rand, reach, rand_reach))
            rows.append(row)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    fmt = "  ".join(f"{{:<{w}}}" if i < 2 or i == len(head) - 1 else f"{{:>{w}}}" for i, w in enumerate(widths))
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row) for row in rows]
    return "\n".join(lines)


def _verdict(run: dict, rand: dict, reach: int | None, rand_reach: int | None) -> str:
    if run is rand:
        return "(baseline)"
    delta = 100 * (run["final_accuracy"] - rand["final_accuracy"])
    faster = reach is not None and rand_reach is not None and reach < rand_reach
    if faster or delta > 0:
        parts = []
        if faster:
            parts.append(f"reaches it {rand_reach - reach} epoch(s) sooner")
        parts.append(f"final {delta:+.1f} pts")
        return "better: " + ", ".join(parts)
    return f"NOT better than random (final {delta:+.1f} pts)"

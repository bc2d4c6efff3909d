"""The demo end to end: sources, refined sources, targets, fine-tuning runs over seeds, outputs.

:func:`run_demo` trains (or loads from the cache) ``sources`` ViTs on digits,
refines a copy of each with the spectral regulariser, then fine-tunes each
target from every initialisation over ``seeds`` fine-tuning seeds. Within one
(source, seed, target) every init starts from the same random draw of the
target and sees the same data order and augmentation, so init ``x`` and
random init form a pair; the summary is a mean ± sd over all pairs and the
paired difference with its 95% interval (:mod:`.stats`). It writes
``results.json`` (every run and the summary), ``convergence.png`` and
``spectrum.png``.
"""
from __future__ import annotations

import dataclasses
import functools
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
from .stats import mean_sd, paired_difference
from .train import TrainConfig, evaluate, evaluate_with_loss, train
from .vit import VisionTransformer, ViTConfig

INITS = ("random", "front", "bot", "front+reg", "select")
_CACHE_FORMAT = 1
_SOURCE_SEED_STRIDE = 1000  # source k: init and data-order seeds offset by 1000 k
_FINETUNE_SEED_STRIDE = 100  # fine-tuning seed s: target draw and data-order seeds offset by 100 s


@dataclass
class DemoConfig:
    """Everything that decides the demo's numbers.

    ``sources``: trained source models (source ``k`` draws its init and data
    order from seeds offset by ``1000 k``); ``seeds``: fine-tuning seeds per
    source (seed ``s`` offsets the target's random draw and the data order by
    ``100 s``). ``variants``: extra inits by name, ``name -> (base, options)``
    with ``base`` one of ``'front'``, ``'bot'``, ``'front+reg'`` and
    ``options`` keywords of :func:`front_kernels.transfer` (the evaluation of
    defaults uses them). ``jobs``: fine-tuning runs in parallel worker
    processes, one torch thread each (``None``: one per CPU core, at most 2).

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
    variants: dict = field(default_factory=dict)
    init_seed: int = 0
    data_seed: int = 0
    n_train: int | None = None
    n_test: int | None = None
    sources: int = 2
    seeds: int = 3
    jobs: int | None = None

    def __post_init__(self):
        for name in ("sources", "seeds"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if self.jobs is not None and (isinstance(self.jobs, bool) or not isinstance(self.jobs, int) or self.jobs < 1):
            raise ValueError(f"jobs must be a positive int or None, got {self.jobs!r}")
        known = set(INITS) | set(self.variants)
        for name in self.inits:
            if name not in known:
                raise ValueError(f"inits must be drawn from {', '.join(map(repr, sorted(known)))}; got {name!r}")
        for name, spec in self.variants.items():
            if not (isinstance(spec, (tuple, list)) and len(spec) == 2 and spec[0] in ("front", "bot", "front+reg")
                    and isinstance(spec[1], dict)):
                raise ValueError(f"variants[{name!r}] must be (base, options) with base 'front', 'bot' or "
                                 f"'front+reg' and options a dict, got {spec!r}")

    def source_config(self, k: int) -> "DemoConfig":
        """The configuration whose single source is source ``k``."""
        off = _SOURCE_SEED_STRIDE * k
        return dataclasses.replace(self, init_seed=self.init_seed + off,
                                   source_train=dataclasses.replace(self.source_train,
                                                                    seed=self.source_train.seed + off))

    def source_key(self) -> str:
        blob = json.dumps([_CACHE_FORMAT, asdict(self.source), asdict(self.source_train), self.data_seed,
                           self.n_train, self.n_test, self.init_seed], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def refined_key(self) -> str:
        blob = json.dumps([self.source_key(), asdict(self.refine_train), self.reg_keep_ratio, self.reg_strength],
                          sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def worker_count(self) -> int:
        return self.jobs if self.jobs is not None else max(1, min(2, os.cpu_count() or 1))


def default_cache_dir() -> Path:
    """``$FRONT_KERNELS_CACHE``, else ``$XDG_CACHE_HOME/front_kernels``, else ``~/.cache/front_kernels``."""
    if os.environ.get("FRONT_KERNELS_CACHE"):
        return Path(os.environ["FRONT_KERNELS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "front_kernels"


class _Progress:
    """A tqdm bar of finished jobs, plus a line per finished run."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def bar(self, total: int, desc: str):
        if not self.enabled:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc, unit="run", leave=False, dynamic_ncols=True)

    def line(self, text: str) -> None:
        if self.enabled:
            from tqdm.auto import tqdm

            tqdm.write(text)


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


def _data(cfg: DemoConfig) -> Digits:
    return _digits(cfg.data_seed, cfg.n_train, cfg.n_test)


@functools.lru_cache(maxsize=4)
def _digits(seed: int, n_train: int | None, n_test: int | None) -> Digits:
    """The split, loaded once per process (every fine-tuning job of a worker shares it)."""
    return load_digits_split(seed=seed).subset(n_train, n_test)


def source_model(cfg: DemoConfig, data: Digits, cache_dir: Path | None, retrain: bool) -> tuple[dict, dict]:
    """The trained source's state dict (from the cache unless ``retrain``) and its record."""
    path = None if cache_dir is None else cache_dir / "demo" / f"source-{cfg.source_key()}.pt"
    model = build_model(cfg.source, cfg.init_seed)
    cached = None if retrain or path is None else _load_cached(path)
    if cached is not None:
        model.load_state_dict(cached["state_dict"])
        info = {"from_cache": True, "curve": cached["curve"], "path": str(path)}
    else:
        t0 = time.perf_counter()
        curve = train(model, data, cfg.source_train)
        info = {"from_cache": False, "curve": curve, "seconds": time.perf_counter() - t0}
        if path is not None:
            _save_atomic({"state_dict": model.state_dict(), "curve": curve}, path)
            info["path"] = str(path)
    info["test_accuracy"] = evaluate(model, data.x_test, data.y_test)
    return model.state_dict(), info


def refined_source(cfg: DemoConfig, source: dict, data: Digits, cache_dir: Path | None,
                   retrain: bool) -> tuple[dict, dict]:
    """A copy of ``source`` fine-tuned with the spectral regulariser added to the loss."""
    path = None if cache_dir is None else cache_dir / "demo" / f"refined-{cfg.refined_key()}.pt"
    model = build_model(cfg.source, cfg.init_seed)
    model.load_state_dict(source)
    cached = None if retrain or path is None else _load_cached(path)
    if cached is not None:
        model.load_state_dict(cached["state_dict"])
        info = {"from_cache": True, "curve": cached["curve"]}
    else:
        reg = SpectralRegularizer(model, keep_ratio=cfg.reg_keep_ratio)
        n_penalised = sum(p.numel() for n, p in model.named_parameters() if n in set(reg.names))
        reg.weight = cfg.reg_strength / n_penalised
        t0 = time.perf_counter()
        curve = train(model, data, cfg.refine_train, extra_loss=reg)
        info = {"from_cache": False, "curve": curve, "seconds": time.perf_counter() - t0}
        if path is not None:
            _save_atomic({"state_dict": model.state_dict(), "curve": curve}, path)
    info["test_accuracy"] = evaluate(model, data.x_test, data.y_test)
    return model.state_dict(), info


def initial_state(init: str, target: VisionTransformer, source, refined=None,
                  variants: dict | None = None) -> dict[str, torch.Tensor]:
    """The target's state dict for one initialisation: a name of :data:`INITS` or of ``variants``
    (``name -> (base, transfer options)``). ``source`` / ``refined``: modules or state dicts."""
    from .. import transfer

    def state(m):
        return m.state_dict() if isinstance(m, torch.nn.Module) else m

    variants = variants or {}
    if init in variants:
        base, options = variants[init]
    elif init in INITS:
        base, options = init, {}
    else:
        raise ValueError(f"init must be one of {', '.join(map(repr, INITS + tuple(variants)))}; got {init!r}")
    if base == "random":
        return target.state_dict()
    if base == "select":
        return select_weights(state(source), target)
    if base in ("front", "bot"):
        return transfer(state(source), target, method=base, **options)
    if refined is None:
        raise ValueError("init 'front+reg' needs the refined source")
    return transfer(state(refined), target, method="front", **options)


def _finetune(job: dict) -> dict:
    """One fine-tuning run: the job's initial state, evaluated (epoch 0) and trained."""
    torch.set_num_threads(job.pop("threads"))
    data = _data(job.pop("cfg"))
    model = build_model(job["target_config"], job.pop("draw_seed"))
    model.load_state_dict(job.pop("state"))
    acc0, loss0 = evaluate_with_loss(model, data.x_test, data.y_test)
    losses: list[float] = []
    t0 = time.perf_counter()
    curve = train(model, data, job.pop("finetune"), test_losses=losses)
    job["target_config"] = job["target_config"].to_dict()
    return {**job, "initial_accuracy": acc0, "initial_loss": loss0, "curve": curve, "losses": losses,
            "final_accuracy": curve[-1], "seconds": time.perf_counter() - t0}


def _prepare_source(args) -> tuple[dict, dict, dict | None, dict | None]:
    cfg, cache_dir, retrain, refine, threads = args
    torch.set_num_threads(threads)
    data = _data(cfg)
    src, src_info = source_model(cfg, data, cache_dir, retrain)
    if not refine:
        return src, src_info, None, None
    ref, ref_info = refined_source(cfg, src, data, cache_dir, retrain)
    return src, src_info, ref, ref_info


def _map(fn, items: list, workers: int, progress: _Progress, desc: str, report=None) -> list:
    """``[fn(x) for x in items]``, in ``workers`` spawned processes when more than one."""
    bar = progress.bar(len(items), desc)
    out = [None] * len(items)
    try:
        if workers <= 1 or len(items) <= 1:
            for i, item in enumerate(items):
                out[i] = fn(item)
                if report:
                    report(out[i])
                if bar is not None:
                    bar.update()
        else:
            import concurrent.futures as cf
            import multiprocessing as mp

            with cf.ProcessPoolExecutor(max_workers=min(workers, len(items)),
                                        mp_context=mp.get_context("spawn")) as pool:
                futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
                for fut in cf.as_completed(futures):
                    out[futures[fut]] = fut.result()
                    if report:
                        report(out[futures[fut]])
                    if bar is not None:
                        bar.update()
    finally:
        if bar is not None:
            bar.close()
    return out


def run_demo(cfg: DemoConfig, out_dir, *, cache_dir: Path | None = None, retrain: bool = False,
             progress: bool = True, plots: bool = True) -> dict:
    """Run the whole comparison; write ``results.json`` (and the two figures) under ``out_dir``.

    Returns the dict written to ``results.json``: ``runs`` (every fine-tuning
    run), ``summary`` (see :func:`summarise`), the sources and the settings.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    prog = _Progress(progress)
    t_start = time.perf_counter()
    workers = cfg.worker_count()
    data = _data(cfg)
    threads = 1 if workers > 1 else torch.get_num_threads()
    refine = any(cfg.variants.get(i, (i,))[0] == "front+reg" for i in cfg.inits)
    prepared = _map(_prepare_source, [(cfg.source_config(k), cache_dir, retrain, refine, threads)
                                      for k in range(cfg.sources)], workers, prog, "sources")
    sources = []
    for k, (src, src_info, ref, ref_info) in enumerate(prepared):
        prog.line(f"source {k} {cfg.source.label}: test accuracy {100 * src_info['test_accuracy']:.1f}%"
                  + (" (cached)" if src_info["from_cache"] else "")
                  + ("" if ref_info is None else f"; refined {100 * ref_info['test_accuracy']:.1f}%"))
        sources.append({"config": cfg.source.to_dict(), "index": k, **src_info,
                        "refined": None if ref_info is None else
                        {"keep_ratio": cfg.reg_keep_ratio, "strength": cfg.reg_strength, **ref_info}})

    jobs = []
    for k, (src, _, ref, _) in enumerate(prepared):
        for s in range(cfg.seeds):
            finetune = dataclasses.replace(cfg.finetune, seed=cfg.finetune.seed + _FINETUNE_SEED_STRIDE * s)
            for t_index, (tname, tcfg) in enumerate(cfg.targets.items()):
                draw_seed = cfg.init_seed + 1 + t_index + _FINETUNE_SEED_STRIDE * s
                for init in cfg.inits:
                    # every init of a (source, seed, target) starts from the same random draw
                    target = build_model(tcfg, draw_seed)
                    state = initial_state(init, target, src, ref, cfg.variants)
                    jobs.append({"source": k, "seed": s, "target": f"{tname} {tcfg.label}", "init": init,
                                 "target_config": tcfg, "draw_seed": draw_seed, "finetune": finetune,
                                 "state": state, "cfg": cfg, "threads": threads})

    def report(run):
        prog.line(f"source {run['source']} seed {run['seed']} {run['target']:>14} {run['init']:>10}: "
                  f"{100 * run['initial_accuracy']:5.1f} | " + " ".join(f"{100 * a:5.1f}" for a in run["curve"]))

    runs = _map(_finetune, jobs, workers, prog, "fine-tuning runs", report)
    results = {
        "runs": runs,
        "summary": summarise(runs),
        "sources": sources,
        "source": sources[0],
        "targets": {f"{k} {v.label}": v.to_dict() for k, v in cfg.targets.items()},
        "finetune": asdict(cfg.finetune),
        "seeds": cfg.seeds,
        "n_sources": cfg.sources,
        "variants": {k: list(v) for k, v in cfg.variants.items()},
        "data": {"n_train": len(data.y_train), "n_test": len(data.y_test), "seed": cfg.data_seed},
        "workers": workers,
        "threads_per_worker": threads,
    }
    if plots:
        plot_convergence(results["summary"], out_dir / "convergence.png")
        src0 = prepared[0]
        spectra = {f"source {cfg.source.label}": spectrum_by_type(src0[0])}
        if src0[2] is not None:
            spectra["refined with regulariser"] = spectrum_by_type(src0[2])
        plot_spectrum(spectra, out_dir / "spectrum.png")
        results["spectrum"] = spectra
    results["seconds"] = time.perf_counter() - t_start
    tmp = out_dir / f"results.json.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(results, f, indent=1)
    os.replace(tmp, out_dir / "results.json")
    return results


def summarise(runs: list[dict]) -> dict:
    """Per target and init: mean ± sd over (source, seed) of the epoch-0 accuracy and loss,
    of the accuracy after each epoch and of the final accuracy; and, paired with random
    init on the same (source, seed), the mean difference of epoch-0 and final accuracy
    with its 95% interval and the epochs each needs to reach random init's mean final
    accuracy (on the mean curves)."""
    out: dict = {}
    for target in dict.fromkeys(r["target"] for r in runs):
        group = [r for r in runs if r["target"] == target]
        by_init = {i: sorted((r for r in group if r["init"] == i), key=lambda r: (r["source"], r["seed"]))
                   for i in dict.fromkeys(r["init"] for r in group)}
        rand = by_init.get("random")
        rows = {}
        for init, rs in by_init.items():
            n_ep = len(rs[0]["curve"])
            curve = [mean_sd(r["curve"][e] for r in rs) for e in range(n_ep)]
            row = {
                "n": len(rs),
                "initial_accuracy": mean_sd(r["initial_accuracy"] for r in rs),
                "initial_loss": mean_sd(r["initial_loss"] for r in rs),
                "final_accuracy": mean_sd(r["final_accuracy"] for r in rs),
                "curve_mean": [m for m, _ in curve],
                "curve_sd": [sd for _, sd in curve],
            }
            if rand is not None and init != "random":
                pairs = {(r["source"], r["seed"]): r for r in rand}
                mine = [r for r in rs if (r["source"], r["seed"]) in pairs]
                base = [pairs[(r["source"], r["seed"])] for r in mine]
                if mine:
                    row["final_vs_random"] = paired_difference([r["final_accuracy"] for r in mine],
                                                               [b["final_accuracy"] for b in base])
                    row["initial_vs_random"] = paired_difference([r["initial_accuracy"] for r in mine],
                                                                 [b["initial_accuracy"] for b in base])
            rows[init] = row
        if rand is not None:
            level = rows["random"]["final_accuracy"][0]
            for row in rows.values():
                row["epochs_to_random_final"] = epochs_to_reach(row["curve_mean"], level)
        out[target] = rows
    return out


def _pm(ms, scale=100.0, digits=1) -> str:
    m, sd = ms
    return f"{scale * m:.{digits}f}" + ("" if sd != sd else f" ± {scale * sd:.{digits}f}")


def _verdict(diff: dict | None) -> str:
    if diff is None:
        return "(baseline)"
    if diff["n"] < 2:
        return "one pair: no interval"
    if diff["low"] > 0:
        return "better"
    if diff["high"] < 0:
        return "WORSE than random"
    return "no clear difference"


def format_table(results: dict) -> str:
    """The closing table, per target and init over all (source, seed) pairs: epoch-0
    accuracy and loss, accuracy after the first and the last epoch (mean ± sd, %),
    the paired difference of final accuracy against random init with its 95%
    interval, epochs to reach random init's final accuracy, and the verdict
    (better / worse: the interval excludes 0)."""
    summary = results["summary"] if "summary" in results else summarise(results["runs"])
    head = ["target", "init", "n", "epoch 0 acc", "epoch 0 loss", "epoch 1", "final", "final - random [95% CI]",
            "to random's final", "vs random"]
    rows = []
    for target, inits in summary.items():
        for init, r in inits.items():
            d = r.get("final_vs_random")
            diff = "-" if d is None else (f"{100 * d['mean']:+.1f}" + (
                "" if d["n"] < 2 else f" [{100 * d['low']:+.1f}, {100 * d['high']:+.1f}]"))
            reach = r.get("epochs_to_random_final", "-")
            rows.append([target, init, str(r["n"]), _pm(r["initial_accuracy"]),
                         _pm(r["initial_loss"], 1.0, 2), _pm((r["curve_mean"][0], r["curve_sd"][0])),
                         _pm(r["final_accuracy"]), diff, "never" if reach is None else str(reach),
                         _verdict(d) if init != "random" else "(baseline)"])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    fmt = "  ".join(f"{{:<{w}}}" if i < 2 or i == len(head) - 1 else f"{{:>{w}}}" for i, w in enumerate(widths))
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row) for row in rows]
    return "\n".join(lines)

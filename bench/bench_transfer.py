"""Whole-model transfer against the bound its own transforms set.

A LLaMA-shaped checkpoint (8 layers, hidden 1024, MLP 2816, vocabulary 512,
float32, about 396 MiB) is written to a temporary folder and transferred to
three targets given as ``config.json`` folders:

* shrink: 8 x 1024 -> 4 x 512 (MLP 1408, 8 heads)
* width:  8 x 1024 -> 8 x 512
* grow:   8 x 1024 -> 12 x 1536 (MLP 4224, 24 heads)

For each direction, method (FRONT, BoT) and ``rescale`` (``std``,
``reference``) it times, warm (imports done, page cache hot):

* ``transfer``: ``front_kernels.transfer.transfer(source_folder, target_folder, ...)``,
  the state dict in memory;
* ``streaming``: what ``front-kernels transfer --out`` runs (plan, then the
  group-by-group writer into a fresh folder, files included).

The bound of a direction is one forward ``dctn`` (orthonormal, over both
dims) of every source matrix plus one inverse ``idctn`` of every target
matrix, on the same device and threads. ``ratio = bound / time``: 1 is a
transfer as fast as its two transforms alone, 0.5 one that takes twice as long.
Every contender runs once per round, rounds interleaved; the minimum over
rounds is reported.

    python bench/bench_transfer.py [--device cpu|cuda] [--rounds 3] [--threads 2] [--scratch DIR] [--out FILE]
    python bench/bench_transfer.py --crossover [--threads 2] [--out FILE]

The streamed transfers read and write in ``--scratch`` (default: the system's
temporary folder); the header gives that folder's plain write speed
(``os.pwrite`` of 1 GiB in 26 MiB pieces, as the shard writer writes), and
each streaming row the seconds that its bytes take at that speed alone.

``--crossover`` times, instead, one axis map of :mod:`front_kernels.transfer.chain`
as a dense matrix product and as a DCT resize (forward DCT, crop or pad,
inverse DCT) along an axis of length ``n`` of a 4 Mi-element stack, for
``n -> n/2`` and ``n -> 2n``: the first axis, the last axis, or both axes
of a stack of ``(n, n)`` matrices: the crossover behind ``chain.DENSE_BELOW``.

The table (markdown) is printed and, with ``--out``, written there with the
command, machine, date and versions.
"""
from __future__ import annotations

import argparse
import importlib
import datetime
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch

import front_kernels as fk
from front_kernels.bench_command import best_time, write_table
from front_kernels.transfer import transfer
from front_kernels.transfer.api import prepare
from front_kernels.transfer.distributed import write_transfer
from front_kernels.transfer.report import TransferReport

SOURCE = dict(layers=8, hidden=1024, mlp=2816, heads=16)
TARGETS = {
    "shrink": dict(layers=4, hidden=512, mlp=1408, heads=8),
    "width": dict(layers=8, hidden=512, mlp=1408, heads=8),
    "grow": dict(layers=12, hidden=1536, mlp=4224, heads=24),
}
VOCAB = 512
METHODS = ("front", "bot")
RESCALES = ("std", "reference")


def llama_config(layers, hidden, mlp, heads):
    from transformers import LlamaConfig

    return LlamaConfig(vocab_size=VOCAB, hidden_size=hidden, intermediate_size=mlp, num_hidden_layers=layers,
                       num_attention_heads=heads, num_key_value_heads=heads, tie_word_embeddings=False,
                       architectures=["LlamaForCausalLM"])


def write_source(folder: Path) -> None:
    from transformers import LlamaForCausalLM

    torch.manual_seed(0)
    LlamaForCausalLM(llama_config(**SOURCE)).save_pretrained(folder)


def matrix_shapes(config) -> list[tuple[int, int]]:
    """Shapes of the 2-D parameters of the model ``config`` builds (built on the meta device)."""
    from transformers import LlamaForCausalLM

    with torch.device("meta"):
        model = LlamaForCausalLM(config)
    return [tuple(p.shape) for p in model.state_dict().values() if p.ndim == 2]


def bound_runner(src_shapes, tgt_shapes, device):
    """The two transforms alone: ``dctn`` of every source matrix, ``idctn`` of every target matrix."""
    g = torch.Generator().manual_seed(1)
    srcs = [torch.randn(s, generator=g).to(device) for s in src_shapes]
    tgts = [torch.randn(s, generator=g).to(device) for s in tgt_shapes]

    def run():
        for w in srcs:
            fk.dctn(w, norm="ortho")
        for c in tgts:
            fk.idctn(c, norm="ortho")
        if device.type == "cuda":
            torch.cuda.synchronize()
    return run


def transfer_runner(source, target, method, rescale, device):
    dev = None if device.type == "cpu" else str(device)

    def run():
        sd = transfer(source, target, method, rescale=rescale, device=dev)
        if device.type == "cuda":
            torch.cuda.synchronize()
        del sd
    return run


def streaming_runner(source, target, method, rescale, device, scratch: Path):
    stats_box = {}

    def run():
        out = scratch / "out"
        if out.exists():
            shutil.rmtree(out)
        src, tgt, plan = prepare(source, target, method, streaming=True, rescale=rescale)
        _, stats = write_transfer(plan, src, tgt, out, config=tgt.config, report=TransferReport(plan),
                                  device=device)
        stats_box["stats"] = stats
        shutil.rmtree(out)
    return run, stats_box


def measure(runs: dict, rounds: int) -> dict:
    best = {name: float("inf") for name in runs}
    for fn in runs.values():
        fn()
    for _ in range(rounds):
        for name, fn in runs.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def write_speed(folder: Path, total: int = 2 ** 30, piece: int = 26 * 2 ** 20) -> float:
    """Bytes per second of plain ``os.pwrite`` calls writing ``total`` bytes into a new file in ``folder``."""
    data = memoryview(bytes(piece))
    path = folder / "write_speed.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        t0, offset = time.perf_counter(), 0
        while offset < total:
            offset += os.pwrite(fd, data, offset)
        elapsed = time.perf_counter() - t0
    finally:
        os.close(fd)
        path.unlink()
    return offset / elapsed


def crossover_table(rounds: int) -> list[str]:
    """Dense product vs DCT resize of one axis (``chain.Dense`` vs ``chain.Spectral``) by axis length."""
    chain = importlib.import_module("front_kernels.transfer.chain")
    from front_kernels.transfer.chain import Dense, Rescaling, Spectral, run_spectral

    lines = ["| n | m | axes | dense (ms) | DCT resize (ms) | faster |", "|---|---|---|---|---|---|"]
    plain = Rescaling(standardise=False, restandardise=False)
    below = chain.DENSE_BELOW
    chain.DENSE_BELOW = 0  # time each map as given
    try:
        for n in (16, 32, 64, 128, 256, 384, 512, 768, 1024):
            for m in (n // 2, 2 * n):
                for axes in ("first", "last", "both"):
                    sig = (n, n) if axes == "both" else (n, 2 ** 22 // n) if axes == "first" else (2 ** 22 // n, n)
                    x = torch.randn((max(1, 2 ** 22 // (n * n)),) + sig if axes == "both" else (1,) + sig)
                    spec = Spectral(n, m, min(n, m))
                    times = {}
                    for kind, amap in (("dense", Dense(spec.matrix())), ("dct", spec)):
                        maps = [amap, amap] if axes == "both" else [amap, None] if axes == "first" else [None, amap]

                        times[kind] = best_time(lambda: run_spectral([x.clone()], None, maps, plain), rounds)
                    faster = "dense" if times["dense"] < times["dct"] else "DCT"
                    lines.append(f"| {n} | {m} | {axes} | {times['dense']:.2f} | {times['dct']:.2f} | {faster} |")
                    print(lines[-1], flush=True)
    finally:
        chain.DENSE_BELOW = below
    return lines


def header(args, device) -> list[str]:
    import transformers

    try:
        import triton
        triton_version = triton.__version__
    except ImportError:
        triton_version = "not installed"
    dev = torch.cuda.get_device_name(device) if device.type == "cuda" else (platform.processor() or platform.machine())
    return [
        "# Whole-model transfer vs its two transforms",
        "",
        f"- command: `python bench/bench_transfer.py {' '.join(sys.argv[1:])}`",
        f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- device: {device.type} ({dev}), {os.cpu_count()} CPUs visible, torch threads {torch.get_num_threads()}",
        f"- versions: python {platform.python_version()}, torch {torch.__version__}, triton {triton_version}, "
        f"transformers {transformers.__version__}, front_kernels {fk.__version__}",
        f"- source: LLaMA-shaped, {SOURCE['layers']} x {SOURCE['hidden']}, MLP {SOURCE['mlp']}, vocabulary "
        f"{VOCAB}, float32, safetensors folder; targets: config.json folders (built from config)",
        f"- minimum over {args.rounds} rounds after one warm-up; ratio = bound / time (1: as fast as the "
        "two transforms alone; the goal is >= 0.5)",
        "",
    ]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: as set)")
    p.add_argument("--directions", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    p.add_argument("--rescales", nargs="+", default=list(RESCALES), choices=list(RESCALES))
    p.add_argument("--no-streaming", action="store_true", help="time the in-memory transfer only")
    p.add_argument("--scratch", type=Path, default=None,
                   help="folder for the checkpoints and the streamed outputs (default: the system's temp folder)")
    p.add_argument("--crossover", action="store_true", help="time dense vs DCT axis maps by axis length instead")
    p.add_argument("--out", type=Path, default=None, help="write the table (markdown) here")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.crossover:
        lines = header(args, torch.device("cpu"))[:5]
        lines[0] = "# Axis maps: dense product vs DCT resize"
        lines += [f"- best of {args.rounds} after one warm-up; a (n, 4Mi/n) or (4Mi/n, n) float32 stack", ""]
        print("\n".join(lines), flush=True)
        lines += crossover_table(args.rounds)
        write_table(lines, args.out)
        return 0
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: CUDA is not available here")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

    lines = header(args, device)
    with tempfile.TemporaryDirectory(prefix="bench_transfer_", dir=args.scratch) as tmp:
        tmp = Path(tmp)
        speed = write_speed(tmp)
        lines += [f"- scratch folder: {args.scratch or tempfile.gettempdir()}, plain write speed "
                  f"{speed / 1e9:.2f} GB/s (`os.pwrite`, 1 GiB in 26 MiB pieces)", "",
                  "| direction | method | rescale | path | time (s) | MiB/s of source | bound (s) | ratio | "
                  "I/O wait | written (GB) | writing alone (s) |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        print("\n".join(lines), flush=True)
        source = tmp / "source"
        write_source(source)
        src_bytes = sum(f.stat().st_size for f in source.glob("*.safetensors"))
        src_shapes = matrix_shapes(llama_config(**SOURCE))
        for direction in args.directions:
            cfg = llama_config(**TARGETS[direction])
            target = tmp / direction
            cfg.save_pretrained(target)
            runs = {"bound": bound_runner(src_shapes, matrix_shapes(cfg), device)}
            stats = {}
            for method in args.methods:
                for rescale in args.rescales:
                    runs[(method, rescale, "transfer")] = transfer_runner(source, target, method, rescale, device)
                    if not args.no_streaming:
                        runs[(method, rescale, "streaming")], stats[(method, rescale)] = streaming_runner(
                            source, target, method, rescale, device, tmp)
            best = measure(runs, args.rounds)
            bound = best.pop("bound")
            for (method, rescale, path), t in best.items():
                wait = written = alone = ""
                if path == "streaming":
                    s = stats[(method, rescale)]["stats"]
                    wait = f"{100 * s.io_wait_share:.0f} %"
                    written, alone = f"{s.bytes_written / 1e9:.2f}", f"{s.bytes_written / speed:.2f}"
                row = (f"| {direction} | {method} | {rescale} | {path} | {t:.3f} | {src_bytes / 2**20 / t:.0f} | "
                       f"{bound:.3f} | {bound / t:.2f} | {wait} | {written} | {alone} |")
                lines.append(row)
                print(row, flush=True)
    write_table(lines, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

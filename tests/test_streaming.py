"""Streaming transfer into a checkpoint folder: same tensors as the in-memory
transfer, shard layout and index, atomic output, and bounded memory (a
checkpoint several times larger than an address-space cap set on the process)."""
from __future__ import annotations

import itertools
import json
import os
import string
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from conftest import TOL, rel_err
from front_kernels.transfer import FrontOptions, execute_plan, prepare, transfer_group
from front_kernels.transfer.execute import group_result
from front_kernels.transfer import streaming
from front_kernels.transfer.preflight import CHUNK_WORKSPACE
from front_kernels.transfer.distributed import (DEVICE_ENV, assign_groups, remove_stale_stages,
                                                 write_transfer)
from front_kernels.transfer.streaming import plan_shards

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def on_cpu(monkeypatch):
    """Transfers here compare with CPU results, so run them on the CPU even where CUDA is present."""
    monkeypatch.setenv(DEVICE_ENV, "cpu")


def load_folder(folder) -> dict[str, torch.Tensor]:
    """Every tensor of a checkpoint folder, through its index when it has one."""
    folder = Path(folder)
    index = folder / "model.safetensors.index.json"
    files = sorted(set(json.loads(index.read_text())["weight_map"].values())) if index.is_file() \
        else ["model.safetensors"]
    out = {}
    for f in files:
        part = load_file(str(folder / f))
        assert not set(part) & set(out), f"{f} repeats tensors"
        out.update(part)
    return out


def tiny_gpt2(tmp_path, max_shard_size="60KB"):
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(0)
    cfg = GPT2Config(n_embd=64, n_layer=4, n_head=4, vocab_size=99, n_positions=32, bos_token_id=0, eos_token_id=0)
    GPT2LMHeadModel(cfg).save_pretrained(tmp_path / "src", max_shard_size=max_shard_size)
    tcfg = GPT2Config(n_embd=32, n_layer=2, n_head=4, vocab_size=99, n_positions=32, bos_token_id=0,
                      eos_token_id=0, architectures=["GPT2LMHeadModel"])
    tcfg.save_pretrained(tmp_path / "tgt")
    return tmp_path / "src", tmp_path / "tgt" / "config.json"


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory):
    return tiny_gpt2(tmp_path_factory.mktemp("gpt2"))


@pytest.mark.parametrize("method", ["front", "bot"])
def test_streamed_folder_holds_the_in_memory_transfer(gpt2, tmp_path, method):
    source, target = gpt2
    assert (source / "model.safetensors.index.json").is_file()  # the source is sharded
    src, tgt, plan = prepare(source, target, method)
    want = execute_plan(plan, src, tgt)
    limit = 20_000
    out, stats = write_transfer(plan, src, tgt, tmp_path / "out", config=tgt.config, max_shard_size=limit)
    got = load_folder(out)
    assert list(got) != [] and set(got) == set(want)
    for n, t in want.items():
        assert got[n].dtype == t.dtype and got[n].shape == t.shape, n
        assert torch.equal(got[n], t), n
    index = json.loads((out / "model.safetensors.index.json").read_text())
    assert list(index["weight_map"]) == plan.target_order
    assert index["metadata"]["total_size"] == sum(t.numel() * t.element_size() for t in want.values())
    for f in set(index["weight_map"].values()):
        with safe_open(str(out / f), framework="pt") as fh:
            members = list(fh.keys())
        size = sum(want[n].numel() * want[n].element_size() for n in members)
        assert size <= limit or len(members) == 1, (f, size)
    assert (out / "config.json").is_file()
    shards = [f for f in os.listdir(out) if f.endswith(".safetensors")]
    assert stats.files == len(shards) == len(set(index["weight_map"].values()))
    assert stats.bytes_written == sum(os.path.getsize(out / f) for f in shards)
    read = sum(src.shapes[n].numel() * src.dtypes[n].itemsize for g in plan.groups if g.computes
               for n in g.source_names)
    read += sum(tgt.shapes[n].numel() * tgt.dtypes[n].itemsize for g in plan.groups
                if not g.computes and g.action != "tie" for n in g.target_names)
    assert stats.bytes_read == read


def test_small_transfer_is_one_file_without_index(gpt2, tmp_path):
    source, target = gpt2
    src, tgt, plan = prepare(source, target)
    out, _ = write_transfer(plan, src, tgt, tmp_path / "out")
    assert sorted(os.listdir(out)) == ["model.safetensors"]
    want = execute_plan(plan, src, tgt)
    got = load_file(str(out / "model.safetensors"))
    assert set(got) == set(want) and all(torch.equal(got[n], want[n]) for n in want)


def test_command_reports_bytes_and_throughput(gpt2, tmp_path, capsys):
    from front_kernels.cli import main
    source, target = gpt2
    rc = main(["transfer", "--source", str(source), "--target", str(target), "--out", str(tmp_path / "out"),
               "--max-shard-size", "30KB", "--no-progress", "--quiet"])
    assert rc == 0
    printed = capsys.readouterr().out
    report = json.loads((tmp_path / "out" / "transfer_report.json").read_text())
    tp = report["throughput"]
    assert tp["bytes_read"] > 0 and tp["bytes_written"] > 0 and tp["wall_s"] > 0
    assert tp["read_GBps"] == pytest.approx(tp["bytes_read"] / tp["wall_s"] / 1e9, rel=1e-3, abs=1e-4)
    assert "GB/s read" in printed and "GB/s read" in (tmp_path / "out" / "transfer_report.txt").read_text()
    assert report["counts"] and len(report["parameters"]) == len(load_folder(tmp_path / "out"))


def test_plan_shards_cuts_each_rank_greedily():
    nbytes = {"a": 4, "b": 4, "c": 10, "d": 1, "e": 2}
    shards = plan_shards([["a", "b", "c"], ["d", "e"]], nbytes, max_shard_size=8)
    assert [(s.file, s.rank, s.names) for s in shards] == [
        ("model-00001-of-00003.safetensors", 0, ["a", "b"]),
        ("model-00002-of-00003.safetensors", 0, ["c"]),
        ("model-00003-of-00003.safetensors", 1, ["d", "e"])]
    assert [s.file for s in plan_shards([["a", "b"]], nbytes, 100)] == ["model.safetensors"]


@pytest.mark.parametrize("seed", range(5))
def test_assign_groups_is_balanced_and_complete(seed):
    g = torch.Generator().manual_seed(seed)
    costs = [int(c) for c in torch.randint(1, 1000, (9,), generator=g)]
    for world in (1, 2, 3):
        ranks = assign_groups(costs, world)
        assert sorted(i for r in ranks for i in r) == list(range(len(costs)))
        assert all(r == sorted(r) for r in ranks)
        loads = [sum(costs[i] for i in r) for r in ranks]
        # optimum by exhaustive search; largest-first greedy is within 4/3 of it
        best = min(max(sum(c for c, w in zip(costs, a) if w == r) for r in range(world))
                   for a in itertools.product(range(world), repeat=len(costs)))
        assert max(loads) <= 4 / 3 * best


def test_existing_out_is_refused_before_any_work(gpt2, tmp_path, monkeypatch):
    source, target = gpt2
    src, tgt, plan = prepare(source, target)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    monkeypatch.setattr(streaming, "group_result", None)  # any group run would fail with TypeError
    with pytest.raises(ValueError, match="exists and is not empty"):
        write_transfer(plan, src, tgt, tmp_path / "out")
    monkeypatch.undo()
    out, _ = write_transfer(plan, src, tgt, tmp_path / "out", overwrite=True)
    assert sorted(os.listdir(out)) == ["model.safetensors"]


def test_interrupted_run_leaves_no_output_and_rerun_cleans_stale_stage(gpt2, tmp_path, monkeypatch):
    source, target = gpt2
    src, tgt, plan = prepare(source, target)
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return group_result(*args, **kwargs)

    monkeypatch.setattr(streaming, "group_result", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_transfer(plan, src, tgt, tmp_path / "out", max_shard_size=1)
    assert os.listdir(tmp_path) == []  # neither the folder nor its staging folder
    monkeypatch.undo()
    stale = tmp_path / ".out.partial-killed"  # as a killed run leaves it
    stale.mkdir()
    (stale / "model-00001-of-00009.safetensors").write_bytes(b"partial")
    out, _ = write_transfer(plan, src, tgt, tmp_path / "out", max_shard_size=1)
    assert sorted(os.listdir(tmp_path)) == ["out"]
    want = execute_plan(plan, src, tgt)
    got = load_folder(out)
    assert set(got) == set(want) and all(torch.equal(got[n], want[n]) for n in want)
    assert remove_stale_stages(out) == []


def test_bad_source_tensor_fails_with_nothing_written(tmp_path):
    from test_transfer_models import TinyViT, randomised
    sd = randomised(TinyViT(dim=32, depth=4, heads=4, classes=10), seed=1)
    name = "blocks.2.mlp.fc2.weight"
    sd[name][0, 0] = float("nan")
    save_file(sd, str(tmp_path / "src.safetensors"))
    src, tgt, plan = prepare(tmp_path / "src.safetensors", TinyViT(dim=16, depth=2, heads=4, classes=10))
    with pytest.raises(ValueError, match="non-finite"):
        write_transfer(plan, src, tgt, tmp_path / "out", max_shard_size=1)
    assert sorted(os.listdir(tmp_path)) == ["src.safetensors"]



def test_reading_transforming_and_writing_overlap(gpt2, tmp_path, monkeypatch):
    """Group 1 is read while group 0 is transformed, and group 0 is written while group 1 is transformed:
    each stage waits (up to 20 s) for the other thread to show it is at work, so this fails without overlap."""
    import threading
    source, target = gpt2
    src, tgt, plan = prepare(source, target)
    computed = [g for g in plan.groups if g.computes]
    first, second = computed[0], computed[1]
    read_second, computing_second = threading.Event(), threading.Event()
    threads = {"read": set(), "compute": set(), "write": set()}

    def read_group(g, *args, **kwargs):
        threads["read"].add(threading.current_thread().name)
        if g is second:
            read_second.set()
        return real_read(g, *args, **kwargs)

    def group_result(g, *args, **kwargs):
        threads["compute"].add(threading.current_thread().name)
        if g is first:
            assert read_second.wait(20), "the next group was not read during this group's transform"
        if g is second:
            computing_second.set()
        return real_compute(g, *args, **kwargs)

    first_outputs = set(first.outputs)

    def add(self, name, tensor):
        threads["write"].add(threading.current_thread().name)
        if name in first_outputs:
            assert computing_second.wait(20), "the previous group was not written during this group's transform"
        return real_add(self, name, tensor)

    real_read, real_compute, real_add = streaming.read_group, streaming.group_result, streaming.ShardWriter.add
    monkeypatch.setattr(streaming, "read_group", read_group)
    monkeypatch.setattr(streaming, "group_result", group_result)
    monkeypatch.setattr(streaming.ShardWriter, "add", add)
    out, stats = write_transfer(plan, src, tgt, tmp_path / "out", max_shard_size=20_000)
    assert threads == {"read": {"front-kernels-reader"}, "compute": {threading.current_thread().name},
                       "write": {"front-kernels-writer"}}
    want = execute_plan(plan, src, tgt)
    got = load_folder(out)
    assert set(got) == set(want) and all(torch.equal(got[n], want[n]) for n in want)
    d = stats.to_dict()
    assert d["wait_read_s"] >= 0 and d["wait_write_s"] >= 0 and 0 <= d["io_wait_share"] <= 1
    busy = stats.compute_s + stats.wait_read_s + stats.wait_write_s
    assert d["io_wait_share"] == pytest.approx((stats.wait_read_s + stats.wait_write_s) / busy, abs=1e-4)
    assert "waited on them" in stats.summary()


def test_write_failure_stops_the_run_with_nothing_written(gpt2, tmp_path, monkeypatch):
    """An error in the writer thread (here a full disk on the second tensor) stops the reader and the
    transforms and is raised as the command's one-line error; no output folder is left."""
    from front_kernels.transfer.errors import OutputError
    source, target = gpt2
    src, tgt, plan = prepare(source, target)
    real = streaming.SafetensorsWriter.write
    calls = []

    def full_disk(self, name, tensor):
        calls.append(name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(self, name, tensor)

    monkeypatch.setattr(streaming.SafetensorsWriter, "write", full_disk)
    with pytest.raises(OutputError, match="No space left on device"):
        write_transfer(plan, src, tgt, tmp_path / "out", max_shard_size=1)
    assert os.listdir(tmp_path) == []
    assert not [t for t in __import__("threading").enumerate() if t.name.startswith("front-kernels-")]

# --- bounded memory ---------------------------------------------------------------------------------

# Runs in a fresh process: a warm-up transfer of a small checkpoint of the same widths (imports,
# thread pools, FFT plans), then the address-space cap at the warmed-up size
# plus the streamed bound (three times the largest group's source + target
# bytes, plus one chunk's transform workspace), then the streamed
# transfer of a checkpoint several times that size, then, as a control, the
# in-memory transfer of the same checkpoint, which must fail under the cap.
CAPPED = textwrap.dedent("""
    import json, resource, sys
    import torch
    from front_kernels.transfer import execute_plan, prepare
    from front_kernels.transfer.distributed import write_transfer

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024

    big, small, shapes, out, margin, shard, method = sys.argv[1:8]
    shapes = json.load(open(shapes))
    def meta_target(folder, scale):
        names = json.load(open(folder + "/model.safetensors.index.json"))["weight_map"]
        return {n: torch.empty([s // scale for s in shapes[n]], device="meta") for n in names}
    torch.set_num_threads(2)
    src, tgt, plan = prepare(small, meta_target(small, 1), method)
    write_transfer(plan, src, tgt, out + "-warm-up", max_shard_size=int(shard))
    base_vm, base_rss = status("VmSize"), status("VmRSS")
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # restart the peak-RSS counter
    resource.setrlimit(resource.RLIMIT_AS, (base_vm + int(margin), resource.RLIM_INFINITY))
    src, tgt, plan = prepare(big, meta_target(big, 1), method, streaming=True)
    _, stats = write_transfer(plan, src, tgt, out, max_shard_size=int(shard))
    res = {"base_vm": base_vm, "peak_vm": status("VmPeak"), "base_rss": base_rss, "peak_rss": status("VmHWM"),
           "stats": stats.to_dict()}
    try:
        execute_plan(plan, src, tgt)
        res["in_memory"] = "completed"
    except (RuntimeError, MemoryError, ValueError) as exc:
        res["in_memory"] = str(exc)
    print(json.dumps(res))
""")

MiB = 2 ** 20


def _synthetic_checkpoint(folder: Path, n_groups: int, layers: int, width: int, per_file: int) -> list[str]:
    """``layers`` x ``n_groups`` float32 ``width x width`` tensors in files of ``per_file`` tensors."""
    folder.mkdir()
    suffixes = ["".join(p) for p in itertools.product(string.ascii_lowercase, repeat=2)][:n_groups]
    names = [f"layers.{i}.w_{s}.weight" for i in range(layers) for s in suffixes]
    base = torch.randn(width, width, generator=torch.Generator().manual_seed(0))
    weight_map = {}
    for k in range(0, len(names), per_file):
        file = f"model-{k // per_file + 1:05d}.safetensors"
        j = torch.arange(k, min(k + per_file, len(names)), dtype=torch.float32)[:, None, None]
        values = base * (1 + j / 7) + j  # one vectorised op per file: distinct tensors, cheap to make
        save_file({n: values[i] for i, n in enumerate(names[k:k + per_file])}, str(folder / file))
        weight_map.update(dict.fromkeys(names[k:k + per_file], file))
    (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    return names


@pytest.mark.parametrize("method, width, out_width", [("front", 512, 384), ("bot", 512, 384),
                                                       ("front", 384, 512), ("bot", 384, 512)])
def test_streaming_peak_is_three_times_the_largest_group(tmp_path, method, width, out_width):
    """README bound: peak memory above the idle baseline <= 3 x (largest group's source + target bytes) + W:
    the group being transformed (2x, preflight's P_g), the group read ahead and the one being written."""
    groups, layers, shard = (28 if width > out_width else 46), 12, 8 * MiB
    group_bytes = layers * (width ** 2 + out_width ** 2) * 4
    margin = 3 * group_bytes + CHUNK_WORKSPACE
    # the address-space cap allows one more group: with the reader and writer threads, glibc's heap holes
    # (freed tensors a later tensor does not fit) reserve address space that is never resident
    cap = margin + group_bytes
    names = _synthetic_checkpoint(tmp_path / "big", groups, layers, width, per_file=24)
    warm_up = _synthetic_checkpoint(tmp_path / "small", 2, layers, width, per_file=24)  # the same code paths
    assert set(warm_up) <= set(names)
    (tmp_path / "shapes.json").write_text(json.dumps({n: [out_width, out_width] for n in names}))
    ckpt = len(names) * width * width * 4
    assert ckpt >= 4 * margin and len(names) * out_width ** 2 * 4 > cap
    env = {**os.environ, "MALLOC_ARENA_MAX": "1", "PYTHONPATH": str(REPO)}  # one malloc arena: cap = heap use
    proc = subprocess.run([sys.executable, "-c", CAPPED, str(tmp_path / "big"), str(tmp_path / "small"),
                           str(tmp_path / "shapes.json"), str(tmp_path / "out"), str(cap), str(shard), method],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"\n{method} {width}->{out_width}: checkpoint {ckpt / MiB:.0f} MiB, group {group_bytes / MiB:.1f} MiB; "
          f"peak address space {(res['peak_vm'] - res['base_vm']) / MiB:.1f} MiB and peak RSS "
          f"{(res['peak_rss'] - res['base_rss']) / MiB:.1f} MiB above the warmed-up process; cap "
          f"{cap / MiB:.1f} MiB, RSS bound {margin / MiB:.1f} MiB")
    assert res["peak_vm"] - res["base_vm"] <= cap
    assert res["peak_rss"] - res["base_rss"] <= margin
    assert res["stats"]["bytes_read"] == ckpt
    assert "allocate" in res["in_memory"], res["in_memory"]  # the cap binds: all at once does not fit
    out = tmp_path / "out"
    index = json.loads((out / "model.safetensors.index.json").read_text())
    assert sorted(index["weight_map"]) == sorted(names)
    # one group, recomputed here, matches what the capped process wrote
    key = "layers.{i}.w_ab.weight"
    members = [key.replace("{i}", str(i)) for i in range(layers)]
    big_index = json.loads((tmp_path / "big" / "model.safetensors.index.json").read_text())["weight_map"]
    src = [load_file(str(tmp_path / "big" / big_index[n]))[n] for n in members]
    options = FrontOptions() if method == "front" else streaming_bot_options()
    want = transfer_group(key, src, [(out_width, out_width)] * layers, options, names=members)
    for n, w in zip(members, want):
        with safe_open(str(out / index["weight_map"][n]), framework="pt") as fh:
            assert rel_err(fh.get_tensor(n), w) <= TOL[torch.float32], n  # other thread count, same maths


def streaming_bot_options():
    from front_kernels.transfer import BotOptions
    return BotOptions()

"""``torchrun --nproc_per_node 2 -m front_kernels.cli transfer`` on CPU (gloo, loopback):
the same tensors as a single-process run, and a rank killed mid-run leaves no
complete-looking output folder while a rerun into the same folder succeeds."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from front_kernels.cli import main
from front_kernels.transfer.distributed import DEVICE_ENV, EXIT_RANK_ENV
from test_streaming import load_folder, tiny_gpt2

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun(args: list[str], **env) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(_free_port()), "-m", "front_kernels.cli", "transfer", *args]
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "GLOO_SOCKET_IFNAME": "lo", "OMP_NUM_THREADS": "1",
                DEVICE_ENV: "cpu", **env}
    return subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=300)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A single-process run, a 2-rank run whose rank 1 dies after its first group,
    then a 2-rank rerun into the same ``--out``."""
    root = tmp_path_factory.mktemp("dist")
    source, target = tiny_gpt2(root)
    args = ["--source", str(source), "--target", str(target), "--max-shard-size", "40KB", "--no-progress"]
    threads, device = torch.get_num_threads(), os.environ.get(DEVICE_ENV)
    torch.set_num_threads(1)  # as torchrun runs each rank
    os.environ[DEVICE_ENV] = "cpu"
    try:
        assert main(["transfer", *args, "--out", str(root / "single"), "--quiet"]) == 0
    finally:
        torch.set_num_threads(threads)
        if device is None:
            del os.environ[DEVICE_ENV]
        else:
            os.environ[DEVICE_ENV] = device
    out = root / "out"
    killed = _torchrun(args + ["--out", str(out)], **{EXIT_RANK_ENV: "1"})
    after_kill = sorted(p.name for p in root.iterdir())
    rerun = _torchrun(args + ["--out", str(out)])
    return {"root": root, "single": root / "single", "out": out, "killed": killed, "after_kill": after_kill,
            "rerun": rerun}


def test_killed_rank_leaves_no_complete_looking_output(runs):
    assert runs["killed"].returncode != 0
    # rank 0 names the rank that died, whether the collective broke first or torchrun's SIGTERM came first
    err = runs["killed"].stderr
    assert "front-kernels transfer [rank 0]: " in err and "front_kernels/transfer/" not in err, err[-3000:]  # no traceback of ours
    assert ("rank 1 failed: it stopped without reporting" in err or
            "interrupted (SIGTERM): torchrun stops every rank when one fails; rank(s) 1 had not finished" in err), \
        err[-3000:]
    assert "out" not in runs["after_kill"]  # at most a hidden staging folder
    assert all(n in ("src", "tgt", "single") or n.startswith(".out.partial-") for n in runs["after_kill"]), \
        runs["after_kill"]


def test_two_ranks_write_the_single_process_tensors(runs):
    rerun = runs["rerun"]
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert sorted(p.name for p in runs["root"].iterdir()) == ["out", "single", "src", "tgt"]  # stale stage gone
    assert "GB/s read" in rerun.stdout and f"wrote {runs['out']}" in rerun.stdout
    single, dist = load_folder(runs["single"]), load_folder(runs["out"])
    assert len(dist) > 10 and list(dist) != []
    assert set(dist) == set(single)
    # the target built from config.json is seeded, and the tied output embedding is written equal to the
    # transferred input embedding: every entry agrees with the single-process run, bit for bit
    actions = {p["name"]: p["action"] for p in json.loads((runs["out"] / "transfer_report.json").read_text())
               ["parameters"]}
    assert actions["lm_head.weight"] == "tie" and "keep" not in actions.values()
    for n, t in single.items():
        assert dist[n].dtype == t.dtype and torch.equal(dist[n], t), n
    assert torch.equal(dist["lm_head.weight"], dist["transformer.wte.weight"])
    index = json.loads((runs["out"] / "model.safetensors.index.json").read_text())
    assert set(index["weight_map"]) == set(single)
    assert all((runs["out"] / f).is_file() for f in set(index["weight_map"].values()))
    assert (runs["out"] / "config.json").read_text() == (runs["single"] / "config.json").read_text()
    report = json.loads((runs["out"] / "transfer_report.json").read_text())
    want = json.loads((runs["single"] / "transfer_report.json").read_text())
    assert report["parameters"] == want["parameters"]
    per_rank = report["throughput"]["per_rank"]
    assert [r["rank"] for r in per_rank] == [0, 1] and all(r["groups"] > 0 and r["files"] > 0 for r in per_rank)
    assert sum(r["files"] for r in per_rank) == len(set(index["weight_map"].values()))
    assert report["throughput"]["bytes_read"] == want["throughput"]["bytes_read"]


def test_two_rank_output_loads_in_transformers(runs):
    from transformers import GPT2LMHeadModel
    model = GPT2LMHeadModel.from_pretrained(str(runs["out"]))
    tensors = load_folder(runs["out"])
    for n, p in model.state_dict().items():
        if n in tensors:
            assert torch.equal(p, tensors[n]), n
    assert model(torch.tensor([[1, 2, 3]])).logits.shape == (1, 3, 99)


# --- the multi-rank protocol in one process: ranks as threads -----------------------------------------

class ThreadComm:
    """The collectives :func:`distributed._run` uses, between threads of one process."""

    def __init__(self, rank, world, shared):
        self.rank, self.world, self.shared = rank, world, shared

    def broadcast(self, obj):
        if self.rank == 0:
            self.shared["broadcast"] = obj
        self.shared["barrier"].wait()
        return self.shared["broadcast"]

    def all_gather(self, obj):
        self.shared["gather"][self.rank] = obj
        self.shared["barrier"].wait()
        return list(self.shared["gather"])

    def barrier(self):
        self.shared["barrier"].wait()


def run_ranks(plan, src, tgt, out, world, max_shard_size=4000):
    import threading
    from front_kernels.transfer import distributed
    from front_kernels.transfer.report import TransferReport
    shared = {"barrier": threading.Barrier(world, timeout=120), "gather": [None] * world}
    results = [None] * world

    def rank(r):
        try:
            results[r] = distributed._run(plan, src, tgt, out, ThreadComm(r, world, shared), torch.device("cpu"),
                                          max_shard_size, None, TransferReport(plan), False, 0.0)
        except Exception as exc:
            results[r] = exc

    threads = [threading.Thread(target=rank, args=(r,)) for r in range(world)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture(scope="module")
def vit_checkpoint(tmp_path_factory):
    from safetensors.torch import save_file
    from test_transfer_models import TinyViT, randomised
    d = tmp_path_factory.mktemp("vit")
    sd = randomised(TinyViT(dim=32, depth=4, heads=4, classes=10), seed=3)
    save_file(sd, str(d / "src.safetensors"))
    return d / "src.safetensors", sd


@pytest.mark.parametrize("world", [2, 3])
def test_ranks_share_the_groups_and_write_the_single_process_tensors(vit_checkpoint, tmp_path, world):
    from front_kernels.transfer import execute_plan, prepare
    from test_transfer_models import TinyViT
    path, _ = vit_checkpoint
    torch.manual_seed(0)
    src, tgt, plan = prepare(path, TinyViT(dim=16, depth=2, heads=4, classes=10))
    results = run_ranks(plan, src, tgt, tmp_path / "out", world)
    assert not any(isinstance(r, Exception) for r in results), results
    want = execute_plan(plan, src, tgt)
    got = load_folder(tmp_path / "out")
    assert set(got) == set(want) and all(torch.equal(got[n], want[n]) for n in want)
    stats = results[0][1]
    assert stats.ranks == world and [r["rank"] for r in stats.per_rank] == list(range(world))
    assert all(r["groups"] > 0 for r in stats.per_rank)
    assert sum(r["groups"] for r in stats.per_rank) == len(plan.groups)
    report = json.loads((tmp_path / "out" / "transfer_report.json").read_text())
    assert report["throughput"]["bytes_written"] == stats.bytes_written > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failing_rank_fails_every_rank_and_writes_nothing(vit_checkpoint, tmp_path):
    from safetensors.torch import save_file
    from front_kernels.transfer import prepare
    from test_transfer_models import TinyViT
    _, sd = vit_checkpoint
    bad = {k: v.clone() for k, v in sd.items()}
    bad["blocks.3.attn.proj.weight"][1, 1] = float("inf")
    save_file(bad, str(tmp_path / "bad.safetensors"))
    src, tgt, plan = prepare(tmp_path / "bad.safetensors", TinyViT(dim=16, depth=2, heads=4, classes=10))
    results = run_ranks(plan, src, tgt, tmp_path / "out", 2)
    assert all(isinstance(r, Exception) for r in results), results
    assert any(isinstance(r, ValueError) and "blocks.3.attn.proj.weight" in str(r) for r in results)
    assert any(isinstance(r, RuntimeError) and "failed: ValueError" in str(r) for r in results)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.safetensors"]

"""The spectral regulariser under DistributedDataParallel (2 CPU ranks, gloo): it issues no
collective of its own, adds no all-reduce to the step, and the synchronised gradient is the
ranks' mean task gradient plus the regulariser's gradient."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import torch

from ddp_regularizer_worker import batch, make_model
from front_kernels import SpectralRegularizer

REPO = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).resolve().with_name("ddp_regularizer_worker.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_adds_no_communication_and_gives_the_mean_gradient(tmp_path):
    out = tmp_path / "rank0.json"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(_free_port()), str(WORKER), str(out)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(WORKER.parent)]), "GLOO_SOCKET_IFNAME": "lo",
           "OMP_NUM_THREADS": "1"}
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(out.read_text())

    assert got["collectives_in_reg"] == {}
    assert got["regularised"] == got["plain"]  # the same bucket all-reduces, nothing else
    assert got["plain"]["buckets"] >= 1 and got["plain"]["collectives"].get("all_reduce", 0) >= 1

    model = make_model()
    reg = SpectralRegularizer(model, keep_ratio=0.5, weight=0.1)
    grads = {n: torch.zeros_like(p) for n, p in model.named_parameters()}
    for rank in range(2):
        model.zero_grad()
        model(batch(rank)).square().mean().backward()
        for n, p in model.named_parameters():
            grads[n] += p.grad / 2
    model.zero_grad()
    penalty = reg()
    penalty.backward()
    assert abs(got["penalty"] - penalty.item()) <= 1e-12 * penalty.item()
    for n, p in model.named_parameters():
        want = grads[n] + (p.grad if p.grad is not None else 0)
        torch.testing.assert_close(torch.tensor(got["grads"][n], dtype=torch.float64), want, rtol=1e-10, atol=1e-12)

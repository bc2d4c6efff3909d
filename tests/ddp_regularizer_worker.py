"""One rank of tests/test_regularize_ddp.py (run by torchrun): a DDP step with and without the
spectral regulariser, counting the gradient all-reduces and any collective issued by the regulariser."""
from __future__ import annotations

import json
import sys

import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
from torch.nn.parallel import DistributedDataParallel

from front_kernels import SpectralRegularizer

COLLECTIVES = ("all_reduce", "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter",
               "reduce_scatter_tensor", "reduce", "gather", "scatter", "barrier", "all_to_all_single")


def make_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(24, 32), nn.Tanh(), nn.Linear(32, 24)).double()


def batch(rank: int) -> torch.Tensor:
    return torch.randn(8, 24, dtype=torch.float64, generator=torch.Generator().manual_seed(100 + rank))


def count_collectives() -> tuple[dict[str, int], dict]:
    """Wrap the collectives of torch.distributed with counters; returns the counts and the originals."""
    counts, originals = {}, {}
    for name in COLLECTIVES:
        original = originals[name] = getattr(dist, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            counts[_name] = counts.get(_name, 0) + 1
            return _original(*args, **kwargs)

        setattr(dist, name, counted)
    return counts, originals


def main(out: str) -> None:
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    ddp = DistributedDataParallel(make_model())
    state = {"buckets": 0}

    def counting_allreduce(state, bucket):
        state["buckets"] += 1
        return default_hooks.allreduce_hook(None, bucket)

    ddp.register_comm_hook(state, counting_allreduce)
    reg = SpectralRegularizer(ddp, keep_ratio=0.5, weight=0.1)
    x = batch(rank)
    calls, originals = count_collectives()

    ddp(x).square().mean().backward()  # the plain step
    plain = {"buckets": state["buckets"], "collectives": dict(calls)}
    ddp.zero_grad(set_to_none=True)
    state["buckets"] = 0
    calls.clear()

    task = ddp(x).square().mean()
    before_reg = dict(calls)
    penalty = reg()
    in_reg = {k: v - before_reg.get(k, 0) for k, v in calls.items() if v != before_reg.get(k, 0)}
    (task + penalty).backward()
    for name, original in originals.items():
        setattr(dist, name, original)
    result = {"plain": plain, "regularised": {"buckets": state["buckets"], "collectives": dict(calls)},
              "collectives_in_reg": in_reg, "penalty": penalty.item(),
              "grads": {n: p.grad.tolist() for n, p in ddp.module.named_parameters()}}
    if rank == 0:
        with open(out, "w") as f:
            json.dump(result, f)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])

"""Writing a transfer into a checkpoint folder, in one process or across ``torchrun`` ranks.

:func:`write_transfer` is the engine behind ``front-kernels transfer``. In a
plain process it streams the plan group by group (:mod:`.streaming`). Under
``torchrun`` (``WORLD_SIZE > 1`` in the environment) it joins the process
group ``torch.distributed`` sets up from the environment (``nccl`` when CUDA
is available, else ``gloo``), and:

1. assigns the plan's groups to ranks, balanced by bytes (read + written;
   largest group first to the least loaded rank);
2. rank 0 removes stale staging folders of the same ``--out`` left by killed
   runs, creates a fresh hidden staging folder ``.<out>.partial-*`` next to
   ``--out`` and broadcasts its path;
3. every rank streams its groups into its own shards there;
4. the ranks exchange their outcome; if any failed, rank 0 deletes the staging
   folder and every rank raises; otherwise rank 0 writes
   ``model.safetensors.index.json``, ``config.json`` and the report, then
   renames the staging folder to ``--out`` in one step.

So ``--out`` exists only when complete: a rank that dies or a run that is
interrupted leaves at most a hidden staging folder, which the next run into
the same ``--out`` removes (two runs into one ``--out`` at the same time are
therefore not supported). Across machines, ``--out`` must be on a file system
all ranks share. The ranks produce exactly the tensors a single-process run
produces (same names, shapes, dtypes and values, given the same number of
threads per process: ``torchrun`` sets ``OMP_NUM_THREADS=1``); only the cut
into shard files depends on the number of ranks, as the index records.
Entries the target keeps are its own values; a target given as a config is
built (randomly initialised, in full) by every rank, so those entries differ
from run to run unless the target is a checkpoint.

Transforms run on ``cuda`` (the rank's ``LOCAL_RANK`` device) when CUDA is
available, else on the CPU; ``FRONT_KERNELS_TRANSFER_DEVICE=cpu`` (or
``cuda``) overrides that.

For fault-injection tests only: ``FRONT_KERNELS_TRANSFER_EXIT_RANK=r`` makes
rank ``r`` exit abruptly (``os._exit(3)``) right after its first group.
"""
from __future__ import annotations

import datetime
import glob
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import torch

from .loading import TensorStore
from .plan import TransferPlan
from .streaming import ShardWriter, TransferStats, group_read_nbytes, output_nbytes, plan_shards, stream_groups
from .writing import (REPORT_JSON, REPORT_TEXT, SAFETENSORS_INDEX, _move_into_place, parse_size,
                      write_text_atomic)

DEVICE_ENV = "FRONT_KERNELS_TRANSFER_DEVICE"
EXIT_RANK_ENV = "FRONT_KERNELS_TRANSFER_EXIT_RANK"


def world_from_env() -> tuple[int, int, int]:
    """``(rank, world_size, local_rank)`` as ``torchrun`` sets them; ``(0, 1, 0)`` outside it."""
    def read(name, default):
        value = os.environ.get(name, "")
        if value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"environment variable {name} must be an integer, got {value!r}") from None
    world = read("WORLD_SIZE", 1)
    rank = read("RANK", 0)
    if world < 1 or not 0 <= rank < world:
        raise ValueError(f"RANK={rank} and WORLD_SIZE={world} from the environment are inconsistent")
    return rank, world, read("LOCAL_RANK", 0)


def compute_device(local_rank: int = 0) -> torch.device:
    """The device transforms run on: ``$FRONT_KERNELS_TRANSFER_DEVICE``, else ``cuda:<local_rank>``
    when CUDA is available, else ``cpu``."""
    name = os.environ.get(DEVICE_ENV, "").strip().lower()
    if name not in ("", "cpu", "cuda"):
        raise ValueError(f"{DEVICE_ENV} must be 'cpu' or 'cuda', got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{DEVICE_ENV}=cuda but CUDA is not available")
    if name == "cpu" or (name == "" and not torch.cuda.is_available()):
        return torch.device("cpu")
    return torch.device("cuda", local_rank % torch.cuda.device_count())


def assign_groups(costs: list[int], world: int) -> list[list[int]]:
    """Split group indices over ``world`` ranks, balanced by ``costs`` (bytes).

    Longest-processing-time rule: groups by decreasing cost (ties: plan
    order) each go to the least loaded rank (ties: lowest rank). Each rank's
    list is returned in plan order.
    """
    if world < 1:
        raise ValueError(f"world must be >= 1, got {world}")
    load = [0] * world
    ranks: list[list[int]] = [[] for _ in range(world)]
    for i in sorted(range(len(costs)), key=lambda i: (-costs[i], i)):
        r = min(range(world), key=lambda r: (load[r], r))
        ranks[r].append(i)
        load[r] += costs[i]
    return [sorted(r) for r in ranks]


class _Local:
    """The communication a single process needs: none."""

    rank, world = 0, 1

    def broadcast(self, obj):
        return obj

    def all_gather(self, obj):
        return [obj]

    def barrier(self):
        pass

    def close(self):
        pass


class _TorchDistributed:
    """Object collectives over the default ``torch.distributed`` process group."""

    def __init__(self, rank: int, world: int, device: torch.device):
        import torch.distributed as dist
        self.dist, self.rank, self.world = dist, rank, world
        self._owned = not dist.is_initialized()
        if self._owned:
            backend = "nccl" if device.type == "cuda" else "gloo"
            if device.type == "cuda":
                torch.cuda.set_device(device)
            dist.init_process_group(backend, timeout=datetime.timedelta(minutes=30))
        if dist.get_world_size() != world or dist.get_rank() != rank:
            raise RuntimeError(f"torch.distributed has rank {dist.get_rank()} of {dist.get_world_size()}, "
                               f"the environment says {rank} of {world}")

    def broadcast(self, obj):
        box = [obj]
        self.dist.broadcast_object_list(box, src=0)
        return box[0]

    def all_gather(self, obj):
        out = [None] * self.world
        self.dist.all_gather_object(out, obj)
        return out

    def barrier(self):
        self.dist.barrier()

    def close(self):
        if self._owned and self.dist.is_initialized():
            self.dist.destroy_process_group()


def _check_out(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ValueError(f"out {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ValueError(f"out {out} exists and is not empty (pass overwrite=True / --overwrite)")


def _stage_prefix(out: Path) -> str:
    return f".{out.name}.partial-"


def remove_stale_stages(out) -> list[Path]:
    """Delete the staging folders of earlier runs into ``out`` (killed or interrupted); returns them."""
    out = Path(out)
    stale = [Path(p) for p in glob.glob(os.path.join(glob.escape(str(out.parent)),
                                                     glob.escape(_stage_prefix(out)) + "*"))]
    for p in stale:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
    return stale


def _write_metadata(stage: Path, plan: TransferPlan, shards, nbytes, config, report, stats) -> None:
    if len(shards) > 1:
        owner = {n: s.file for s in shards for n in s.names}
        index = {"metadata": {"total_size": sum(nbytes.values())},
                 "weight_map": {n: owner[n] for n in plan.target_order}}
        write_text_atomic(json.dumps(index, indent=2), stage / SAFETENSORS_INDEX)
    if config is not None:
        write_text_atomic(config.to_json_string(use_diff=False), stage / "config.json")
    if report is not None:
        write_text_atomic(report.table() + "\n" + stats.summary() + "\n", stage / REPORT_TEXT)
        write_text_atomic(json.dumps({**report.to_dict(), "throughput": stats.to_dict()}, indent=1) + "\n",
                          stage / REPORT_JSON)


def write_transfer(plan: TransferPlan, source: TensorStore, target: TensorStore, out, *, config=None,
                   report=None, max_shard_size="5GB", overwrite: bool = False, progress: bool = False,
                   device=None) -> tuple[Path, TransferStats]:
    """Execute ``plan`` group by group and write the result as a Hugging Face folder ``out``.

    Files: the shards (see :mod:`.streaming` for the layout), the index when
    there is more than one, ``config.json`` when ``config`` is given,
    ``transfer_report.txt`` / ``.json`` (with a ``throughput`` entry) when
    ``report`` is given. In one process or under ``torchrun`` (see the module
    docstring); ``device`` defaults to :func:`compute_device`.

    Returns ``(out, stats)``; ``stats.rank`` says which rank this is, and on
    rank 0 ``stats`` holds the counters of all ranks summed (``per_rank``
    lists each). Raises ``ValueError`` for an ``out`` that exists and is not
    empty (unless ``overwrite``) before anything runs; on any failure no
    ``out`` is created or replaced.
    """
    t_start = time.perf_counter()
    out = Path(out)
    limit = parse_size(max_shard_size)
    _check_out(out, overwrite)
    rank, world, local_rank = world_from_env()
    device = torch.device(device) if device is not None else compute_device(local_rank)
    comm = _Local() if world == 1 else _TorchDistributed(rank, world, device)
    unwind_on_sigterm = world > 1 and threading.current_thread() is threading.main_thread()
    if unwind_on_sigterm:
        # torchrun stops the other ranks with SIGTERM when one fails: unwind, so rank 0 removes the stage
        previous_sigterm = signal.signal(signal.SIGTERM, _raise_system_exit)
    try:
        return _run(plan, source, target, out, comm, device, limit, config, report, progress, t_start)
    finally:
        comm.close()
        if unwind_on_sigterm:
            signal.signal(signal.SIGTERM, previous_sigterm if previous_sigterm is not None else signal.SIG_DFL)


def _raise_system_exit(signum, frame):
    raise SystemExit(128 + signum)


def _run(plan, source, target, out, comm, device, limit, config, report, progress, t_start):
    rank, world = comm.rank, comm.world
    nbytes = output_nbytes(plan, target)
    costs = [group_read_nbytes(g, source, target) + sum(nbytes[n] for n in g.target_names) for g in plan.groups]
    mine = assign_groups(costs, world)
    rank_names = [[n for i in idx for n in plan.groups[i].target_names] for idx in mine]
    shards = plan_shards(rank_names, nbytes, limit)

    stage = None
    if rank == 0:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_stages(out)
        stage = tempfile.mkdtemp(prefix=_stage_prefix(out), dir=out.parent)
    try:
        stage = Path(comm.broadcast(stage))
        stats = TransferStats(rank=rank, ranks=world)
        error = None
        try:
            _stream_share(plan, source, target, [plan.groups[i] for i in mine[rank]], stage,
                          [s for s in shards if s.rank == rank], nbytes, stats, device, progress and rank == 0)
        except Exception as exc:
            if world == 1:
                raise
            error = exc
        stats.wall_s = time.perf_counter() - t_start
        outcomes = comm.all_gather((rank, None if error is None else f"{type(error).__name__}: {error}", stats))
        failed = [(r, msg) for r, msg, _ in outcomes if msg is not None]
        if error is not None:
            raise error
        if failed:
            raise RuntimeError("; ".join(f"rank {r} failed: {msg}" for r, msg in failed))
        total = TransferStats.merged([s for _, _, s in outcomes], wall_s=time.perf_counter() - t_start)
        if rank == 0:
            _write_metadata(stage, plan, shards, nbytes, config, report, total)
            _move_into_place(stage, out)
        comm.barrier()
    except BaseException:
        if rank == 0 and stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        raise
    return out, (total if rank == 0 else _own_stats(total, rank))


def _own_stats(total: TransferStats, rank: int) -> TransferStats:
    mine = total.per_rank[rank]
    return TransferStats(**{k: v for k, v in mine.items() if k in TransferStats.__dataclass_fields__})


def _stream_share(plan, source, target, groups, stage, shards, nbytes, stats, device, progress):
    from tqdm import tqdm
    exit_rank = os.environ.get(EXIT_RANK_ENV, "")

    def after_group(k):
        if exit_rank != "" and int(exit_rank) == stats.rank and k == 0:
            os._exit(3)

    writer = ShardWriter(stage, shards, nbytes, stats)
    with tqdm(total=len(groups), desc="groups", unit="group", disable=not progress, file=sys.stderr) as bar:
        stream_groups(plan, source, target, groups, writer, stats, device,
                      on_group=lambda g: bar.update(1), after_group=after_group)

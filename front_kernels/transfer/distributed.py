"""Writing a transfer into a checkpoint folder, in one process or across ``torchrun`` ranks.

:func:`write_transfer` is the engine behind ``front-kernels transfer``. In a
plain process it streams the plan group by group (:mod:`.streaming`). Under
``torchrun`` (``WORLD_SIZE > 1`` in the environment) it joins the process
group ``torch.distributed`` sets up from the environment (``nccl`` when CUDA
is available, else ``gloo``), and:

1. checks ``out`` against the inputs (:func:`.output_folder.check_out`), then
   assigns the plan's groups to ranks, balanced by bytes (read + written;
   largest group first to the least loaded rank);
2. rank 0 takes the lock of ``out`` (one writer per ``out``), removes stale
   staging folders of the same ``--out`` left by killed runs, creates a fresh
   hidden staging folder ``.<out>.partial-*`` next to ``--out`` and
   broadcasts its path (or the reason it could not);
3. every rank streams its groups into its own shards there;
4. every rank records its outcome in the staging folder and the ranks
   exchange them; if any failed, every rank raises an error that says which
   rank failed and why (a rank that died without a word is named as such)
   and rank 0 deletes the staging folder; otherwise rank 0 writes
   ``model.safetensors.index.json``, ``config.json`` and the report, then
   renames the staging folder to ``--out`` in one step.

So ``--out`` exists only when complete: an error, Ctrl-C or SIGTERM removes
the staging folder; a rank or run killed with SIGKILL leaves at most a hidden
staging folder, which the next run into the same ``--out`` removes once it
holds the lock. Across machines, ``--out`` must be on a file system
all ranks share. The ranks produce exactly the tensors a single-process run
produces (same names, shapes, dtypes and values, given the same number of
threads per process: ``torchrun`` sets ``OMP_NUM_THREADS=1``); only the cut
into shard files depends on the number of ranks, as the index records.
Entries the target keeps are its own values; a target given as a config is
built by every rank with its parameters on the meta device, each entry
created when read by the model's own init from a seed fixed by ``--seed`` and
the entry's module, so every rank and every run gives the same values.

Transforms run on ``cuda`` (the rank's ``LOCAL_RANK`` device) when CUDA is
available, else on the CPU; ``FRONT_KERNELS_TRANSFER_DEVICE=cpu`` (or
``cuda``) overrides that.

For fault-injection tests only: ``FRONT_KERNELS_TRANSFER_EXIT_RANK=r`` makes
rank ``r`` exit abruptly (``os._exit(3)``) right after its first group, and
``FRONT_KERNELS_TRANSFER_DELAY=s`` sleeps ``s`` seconds after every group.
"""
from __future__ import annotations

import datetime
import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import torch

from .loading import TensorStore
from .plan import TIE, TransferPlan
from .errors import OutputError, Terminated
from .extra_files import copy_into
from .output_folder import OutLock, check_out, make_stage, publish, remove_stale_stages, write_text
from .streaming import (ShardWriter, TransferStats, group_read_nbytes, output_layout, output_nbytes, plan_shards,
                        stream_groups)
from .writing import REPORT_JSON, REPORT_TEXT, SAFETENSORS_INDEX, parse_size

DEVICE_ENV = "FRONT_KERNELS_TRANSFER_DEVICE"
EXIT_RANK_ENV = "FRONT_KERNELS_TRANSFER_EXIT_RANK"
DELAY_ENV = "FRONT_KERNELS_TRANSFER_DELAY"


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


def _write_metadata(stage: Path, plan: TransferPlan, shards, nbytes, config, report, stats) -> None:
    if len(shards) > 1:
        owner = {n: s.file for s in shards for n in s.names}
        index = {"metadata": {"total_size": sum(nbytes.values())},
                 "weight_map": {n: owner[n] for n in plan.target_order}}
        write_text(json.dumps(index, indent=2), stage / SAFETENSORS_INDEX)
    if config is not None:
        write_text(config.to_json_string(use_diff=False), stage / "config.json")
    if report is not None:
        write_text(report.table() + "\n" + stats.summary() + "\n", stage / REPORT_TEXT)
        write_text(json.dumps({**report.to_dict(), "throughput": stats.to_dict()}, indent=1) + "\n",
                   stage / REPORT_JSON)


def input_paths(source: TensorStore, target: TensorStore) -> list[tuple[str, Path]]:
    """``(role, path)`` of every file and folder the two stores read."""
    return [("source", Path(p)) for p in source.paths] + [("target", Path(p)) for p in target.paths]


def write_transfer(plan: TransferPlan, source: TensorStore, target: TensorStore, out, *, config=None,
                   report=None, max_shard_size="5GB", overwrite: bool = False, progress: bool = False,
                   device=None, extra_files=()) -> tuple[Path, TransferStats]:
    """Execute ``plan`` group by group and write the result as a Hugging Face folder ``out``.

    Files: the shards (see :mod:`.streaming` for the layout), the index when
    there is more than one, ``config.json`` when ``config`` is given,
    ``transfer_report.txt`` / ``.json`` (with a ``throughput`` entry) when
    ``report`` is given, and a copy of each of ``extra_files`` (non-weight files of
    the source folder, :mod:`.extra_files`). In one process or under ``torchrun``
    (see the module docstring); ``device`` defaults to :func:`compute_device`.

    Returns ``(out, stats)``; ``stats.rank`` says which rank this is, and on
    rank 0 ``stats`` holds the counters of all ranks summed (``per_rank``
    lists each). Raises :class:`~.errors.OutputError` before anything runs for
    an ``out`` that overlaps an input (equal, containing or inside, also
    through symlinks, whatever ``overwrite`` says), exists and is not empty
    (unless ``overwrite``), or is being written by another run; on any
    failure, Ctrl-C or SIGTERM no ``out`` is created or replaced and no
    staging folder is left.
    """
    t_start = time.perf_counter()
    limit = parse_size(max_shard_size)
    out = check_out(out, input_paths(source, target), overwrite)
    rank, world, local_rank = world_from_env()
    device = torch.device(device) if device is not None else compute_device(local_rank)
    comm = _Local() if world == 1 else _TorchDistributed(rank, world, device)
    unwind_on_sigterm = threading.current_thread() is threading.main_thread()
    if unwind_on_sigterm:
        # SIGTERM (torchrun stopping the other ranks, kill, a job scheduler) unwinds like Ctrl-C
        previous_sigterm = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return _run(plan, source, target, out, comm, device, limit, config, report, progress, t_start,
                    list(extra_files))
    finally:
        comm.close()
        if unwind_on_sigterm:
            signal.signal(signal.SIGTERM, previous_sigterm if previous_sigterm is not None else signal.SIG_DFL)


def _raise_terminated(signum, frame):
    raise Terminated(signum)


def _start(out: Path, comm) -> tuple[Path, OutLock | None]:
    """Rank 0 locks ``out`` and makes the staging folder; every rank gets its path or rank 0's error."""
    lock = None
    reply = None
    if comm.rank == 0:
        try:
            lock = OutLock(out).acquire()
            remove_stale_stages(out)
            reply = ("ok", str(make_stage(out)))
        except OutputError as exc:
            if lock is not None:
                lock.release()
            if comm.world == 1:
                raise
            reply = ("error", str(exc))
    kind, text = comm.broadcast(reply)
    if kind == "error":
        if comm.rank == 0:
            raise OutputError(text)
        raise OutputError(f"rank 0 could not start: {text}")
    return Path(text), lock


_OUTCOMES = ".ranks"


def _record_outcome(stage: Path, rank: int, error) -> None:
    folder = stage / _OUTCOMES
    folder.mkdir(exist_ok=True)
    write_text(json.dumps({"error": None if error is None else f"{type(error).__name__}: {error}"}),
               folder / f"{rank}.json")


def _recorded_failures(stage: Path, world: int) -> list[tuple[int, str]]:
    """What the outcome files say when a collective broke: which ranks failed, and how."""
    failed = []
    for r in range(world):
        try:
            msg = json.loads((stage / _OUTCOMES / f"{r}.json").read_text())["error"]
        except (OSError, ValueError, KeyError):
            msg = "it stopped without reporting (killed, or crashed hard; see that rank's own output)"
        if msg is not None:
            failed.append((r, msg))
    return failed


def _run(plan, source, target, out, comm, device, limit, config, report, progress, t_start, extra_files=()):
    rank, world = comm.rank, comm.world
    layout = output_layout(plan, target)
    nbytes = output_nbytes(plan, target)
    costs = [group_read_nbytes(g, source, target) + sum(nbytes[n] for n in g.outputs) for g in plan.groups]
    mine = assign_groups(costs, world)
    rank_names = [[n for i in idx for n in plan.groups[i].outputs] for idx in mine]
    shards = plan_shards(rank_names, nbytes, limit)
    target.release([n for g in plan.groups if (g.computes and not g.fill) or g.action == TIE
                    for n in g.target_names])

    stage, lock = _start(out, comm)
    try:
        stats = TransferStats(rank=rank, ranks=world)
        error = None
        try:
            _stream_share(plan, source, target, [plan.groups[i] for i in mine[rank]], stage,
                          [s for s in shards if s.rank == rank], nbytes, layout, stats, device,
                          progress and rank == 0, out)
        except Exception as exc:
            if world == 1:
                raise
            error = exc
        stats.wall_s = time.perf_counter() - t_start
        if world > 1:
            _record_outcome(stage, rank, error)
        try:
            outcomes = comm.all_gather((rank, None if error is None else f"{type(error).__name__}: {error}",
                                        stats))
        except Exception as exc:  # a rank died: the collective breaks on the others
            failed = _recorded_failures(stage, world)
            raise RuntimeError("; ".join(f"rank {r} failed: {msg}" for r, msg in failed) or
                               f"the ranks lost contact: {exc}") from None
        failed = [(r, msg) for r, msg, _ in outcomes if msg is not None]
        if error is not None:
            raise error
        if failed:
            raise RuntimeError("; ".join(f"rank {r} failed: {msg}" for r, msg in failed))
        total = TransferStats.merged([s for _, _, s in outcomes], wall_s=time.perf_counter() - t_start)
        if rank == 0:
            shutil.rmtree(stage / _OUTCOMES, ignore_errors=True)
            try:
                _write_metadata(stage, plan, shards, nbytes, config, report, total)
                copy_into(extra_files, stage)
            except OSError as exc:
                raise OutputError(f"cannot write out folder {out}: {exc.strerror or exc}") from None
            publish(stage, out)
        comm.barrier()
    except Terminated as exc:
        if world > 1:
            silent = [r for r, msg in _recorded_failures(stage, world) if r != rank and "without reporting" in msg]
            exc.detail = (f"torchrun stops every rank when one fails; rank(s) {', '.join(map(str, silent))} "
                          f"had not finished" if silent else "")
        if rank == 0:
            _remove_stage(stage)
        raise
    except BaseException:
        if rank == 0:
            _remove_stage(stage)
        raise
    finally:
        if lock is not None:
            lock.release()
    return out, (total if rank == 0 else _own_stats(total, rank))


def _remove_stage(stage: Path) -> None:
    """Remove the staging folder of a failed run. torchrun's SIGTERM can land here, while the first error
    (naming the rank that died) is being raised: that error is the one to report, so the signal only
    cuts the clean-up short (a later run removes what is left, :func:`remove_stale_stages`)."""
    try:
        shutil.rmtree(stage, ignore_errors=True)
    except Terminated:
        pass


def _own_stats(total: TransferStats, rank: int) -> TransferStats:
    mine = total.per_rank[rank]
    return TransferStats(**{k: v for k, v in mine.items() if k in TransferStats.__dataclass_fields__})


def _stream_share(plan, source, target, groups, stage, shards, nbytes, layout, stats, device, progress, out):
    from tqdm import tqdm
    exit_rank = os.environ.get(EXIT_RANK_ENV, "")

    delay = float(os.environ.get(DELAY_ENV, "") or 0)

    def after_group(k):
        if exit_rank != "" and int(exit_rank) == stats.rank and k == 0:
            os._exit(3)
        if delay:
            time.sleep(delay)

    writer = ShardWriter(stage, shards, nbytes, stats, layout, out=out)
    try:
        with tqdm(total=len(groups), desc="groups", unit="group", disable=not progress, file=sys.stderr) as bar:
            stream_groups(plan, source, target, groups, writer, stats, device,
                          on_group=lambda g: bar.update(1), after_group=after_group)
    except BaseException:
        writer.abort()
        raise

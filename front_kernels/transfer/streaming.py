"""Group-at-a-time execution of a transfer plan into safetensors shards.

Memory stays bounded by a few groups instead of the model: each group's
tensors are read when the group's turn comes (safetensors files through
``safe_open``, one file mapped at a time), the group is transferred, and each
output tensor goes into its shard file (written in place, atomically renamed
when complete) as soon as it is produced. Reading, transforming and writing
run in three threads (:func:`stream_groups`), so peak memory is about two
groups' sources, two groups' outputs and one group's transform workspace.

The shard layout is fixed before anything runs, from the plan alone (target
names, shapes and dtypes), so every rank of a distributed run
(:mod:`.distributed`) knows every file name and the index without talking to
the others. Tensors are laid out rank by rank, each rank's groups in plan
order, cut greedily at ``max_shard_size`` (a tensor larger than the limit gets
a shard of its own); a layout of one shard is written as ``model.safetensors``
with no index, otherwise as ``model-0000k-of-0000n.safetensors`` plus
``model.safetensors.index.json``.

:class:`TransferStats` counts the bytes read (source tensors, and target
tensors kept as they are), the bytes written (shard files) and the seconds
spent reading, transforming and writing.
"""
from __future__ import annotations

import dataclasses
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .execute import group_result, read_group
from .pipeline import POLL_S, ReadAhead, Worker
from .loading import TensorStore
from .plan import TIE, GroupPlan, TransferPlan
from .errors import OutputError
from .safetensors_io import SafetensorsWriter

SINGLE_FILE = "model.safetensors"
_DONE = object()  # ends the writer thread


def shard_file_name(k: int, n: int) -> str:
    """Hugging Face name of shard ``k`` (1-based) of ``n``; ``model.safetensors`` when ``n == 1``."""
    return SINGLE_FILE if n == 1 else f"model-{k:05d}-of-{n:05d}.safetensors"


def output_layout(plan: TransferPlan, target: TensorStore) -> dict[str, tuple[torch.dtype, tuple]]:
    """``(dtype, shape)`` of every output tensor, in target order, from the plan alone.

    Computed groups take the dtype of their first target entry (as
    :func:`.api.execute_plan` does); kept and passed entries keep their own.
    """
    out = {}
    for g in plan.groups:
        for n in g.target_names:
            dt = target.dtypes[g.target_names[0]] if g.computes else target.dtypes[n]
            shape = g.target_shape if g.computes else tuple(target.shapes[n])
            out[n] = (dt, tuple(int(d) for d in shape))
    return {n: out[n] for n in plan.target_order}


def output_nbytes(plan: TransferPlan, target: TensorStore) -> dict[str, int]:
    """Bytes of every output tensor, in target order (see :func:`output_layout`)."""
    return {n: _numel(shape) * _itemsize(dt) for n, (dt, shape) in output_layout(plan, target).items()}


def group_read_nbytes(g: GroupPlan, source: TensorStore, target: TensorStore) -> int:
    """Bytes a group reads: its source tensors when computed, else the target's own tensors."""
    if g.computes:
        own = sum(_numel(target.shapes[n]) * _itemsize(target.dtypes[n]) for n in g.target_names) if g.fill else 0
        return own + sum(_numel(source.shapes[n]) * _itemsize(source.dtypes[n]) for n in g.source_names)
    if g.action == TIE:
        return 0
    return sum(_numel(target.shapes[n]) * _itemsize(target.dtypes[n]) for n in g.target_names)


def _numel(shape) -> int:
    k = 1
    for s in shape:
        k *= int(s)
    return k


def _itemsize(dtype: torch.dtype) -> int:
    return torch.empty((), dtype=dtype).element_size()


@dataclass
class Shard:
    """One output file: its name, the rank that writes it and its tensors, in order."""

    file: str
    rank: int
    names: list[str]


def plan_shards(rank_names: list[list[str]], nbytes: dict[str, int], max_shard_size: int) -> list[Shard]:
    """Cut each rank's ordered tensor names greedily at ``max_shard_size`` bytes.

    ``rank_names[r]``: the output names rank ``r`` produces, in the order it
    produces them. Returns every shard of the run, rank 0's first.
    """
    cuts: list[tuple[int, list[str]]] = []
    for r, names in enumerate(rank_names):
        cur, size = [], 0
        for n in names:
            if cur and size + nbytes[n] > max_shard_size:
                cuts.append((r, cur))
                cur, size = [], 0
            cur.append(n)
            size += nbytes[n]
        if cur:
            cuts.append((r, cur))
    return [Shard(shard_file_name(k, len(cuts)), r, names) for k, (r, names) in enumerate(cuts, 1)]


@dataclass
class TransferStats:
    """Byte counters and timings of one rank's share of a transfer (or of all ranks, merged).

    ``bytes_read``: tensors read from the source (and target entries kept as
    they are); ``bytes_written``: shard files written; ``read_s`` /
    ``compute_s`` / ``write_s``: seconds spent reading tensors (reader thread;
    the entries of a target built from a config are created there by its init),
    transferring groups and writing shards (writer thread); ``wait_read_s`` /
    ``wait_write_s``: seconds the transforms waited for the reader or the
    writer (:func:`stream_groups`); ``wall_s``: elapsed seconds of the whole run.
    """

    rank: int = 0
    ranks: int = 1
    groups: int = 0
    files: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    read_s: float = 0.0
    compute_s: float = 0.0
    write_s: float = 0.0
    wait_read_s: float = 0.0
    wait_write_s: float = 0.0
    wall_s: float = 0.0
    per_rank: list = field(default_factory=list)

    @property
    def io_wait_share(self) -> float:
        """Share of the transform thread's time (transforms + waits) spent waiting on reading or writing."""
        busy = self.compute_s + self.wait_read_s + self.wait_write_s
        return (self.wait_read_s + self.wait_write_s) / busy if busy > 0 else 0.0

    @property
    def read_gbps(self) -> float:
        return self.bytes_read / self.wall_s / 1e9 if self.wall_s > 0 else 0.0

    @property
    def write_gbps(self) -> float:
        return self.bytes_written / self.wall_s / 1e9 if self.wall_s > 0 else 0.0

    @classmethod
    def merged(cls, parts: list["TransferStats"], wall_s: float) -> "TransferStats":
        """Sum of the ranks' counters; ``wall_s`` is the run's elapsed time."""
        total = cls(rank=0, ranks=len(parts), wall_s=wall_s)
        for p in parts:
            for k in ("groups", "files", "bytes_read", "bytes_written", "read_s", "compute_s", "write_s",
                      "wait_read_s", "wait_write_s"):
                setattr(total, k, getattr(total, k) + getattr(p, k))
        total.per_rank = [p.to_dict() for p in parts]
        return total

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["read_GBps"], d["write_GBps"] = round(self.read_gbps, 4), round(self.write_gbps, 4)
        d["io_wait_share"] = round(self.io_wait_share, 4)
        if not d["per_rank"]:
            del d["per_rank"]
        return d

    def summary(self) -> str:
        ranks = f" on {self.ranks} ranks" if self.ranks > 1 else ""
        return (f"read {_fmt_bytes(self.bytes_read)}, wrote {_fmt_bytes(self.bytes_written)} in "
                f"{self.wall_s:.2f} s{ranks}: {self.read_gbps:.3f} GB/s read, {self.write_gbps:.3f} GB/s "
                f"written (reading {self.read_s:.2f} s, transforms {self.compute_s:.2f} s, "
                f"writing {self.write_s:.2f} s, summed over ranks; reading and writing run beside the "
                f"transforms, which waited on them {self.wait_read_s + self.wait_write_s:.2f} s, "
                f"{100 * self.io_wait_share:.0f}% of their time)")


def _fmt_bytes(n: int) -> str:
    return f"{n / 1e9:.3f} GB" if n >= 1e9 else f"{n / 1e6:.3f} MB"


def counting_reader(stats: TransferStats, device: torch.device):
    """``read(store, name)``: one tensor onto ``device``, its bytes and seconds added to ``stats``."""
    def read(store: TensorStore, name: str) -> torch.Tensor:
        t0 = time.perf_counter()
        t = store.get(name).to(device)
        stats.bytes_read += t.numel() * t.element_size()
        stats.read_s += time.perf_counter() - t0
        return t

    def into(store: TensorStore, name: str, out: torch.Tensor) -> bool:
        t0 = time.perf_counter()
        done = device.type == "cpu" and store.read_into(name, out)
        if done:
            stats.bytes_read += out.numel() * out.element_size()
            stats.read_s += time.perf_counter() - t0
        return done
    read.into = into
    return read


class ShardWriter:
    """Writes each output tensor into its shard as soon as it is produced.

    A shard's file is created (header first, :class:`.safetensors_io.SafetensorsWriter`)
    when its first tensor arrives, and closed when its last one is written, so
    no tensor waits in memory for the rest of its shard. ``out`` names the
    destination in error messages (the files are written in ``folder``, the
    staging folder).
    """

    def __init__(self, folder: Path, shards: list[Shard], nbytes: dict[str, int], stats: TransferStats,
                 layout: dict[str, tuple], out=None):
        self.folder, self.nbytes, self.stats = Path(folder), nbytes, stats
        self.out = out if out is not None else folder
        self._shards = {s.file: s for s in shards}
        self._owner = {n: s.file for s in shards for n in s.names}
        self._layout = layout
        self._open: dict[str, SafetensorsWriter] = {}
        self._done: set[str] = set()

    def add(self, name: str, tensor: torch.Tensor) -> None:
        if name not in self._owner:
            raise RuntimeError(f"output tensor {name!r} belongs to no shard of this rank")
        size = tensor.numel() * tensor.element_size()
        if size != self.nbytes[name]:
            raise RuntimeError(f"output tensor {name!r} has {size} bytes ({tuple(tensor.shape)}, {tensor.dtype}); "
                               f"the plan expects {self.nbytes[name]}")
        f = self._owner[name]
        t0 = time.perf_counter()
        try:
            w = self._open.get(f)
            if w is None:
                w = self._open[f] = SafetensorsWriter(
                    self.folder / f, [(n, *self._layout[n]) for n in self._shards[f].names])
            w.write(name, tensor)
            if w.complete:
                w.close()
                del self._open[f]
                self._done.add(f)
                self.stats.bytes_written += w.size
                self.stats.files += 1
        except OSError as exc:
            raise OutputError(f"cannot write {f} of out folder {self.out}: {exc.strerror or exc}") from None
        finally:
            self.stats.write_s += time.perf_counter() - t0

    def close(self) -> None:
        missing = [f for f in self._shards if f not in self._done]
        if missing:
            f = missing[0]
            got = self._open.get(f)
            raise RuntimeError(f"shard {f} is incomplete" + (" (never started)" if got is None else ""))

    def abort(self) -> None:
        for w in self._open.values():
            w.abort()
        self._open.clear()


def release_workspace(caches: bool = False) -> None:
    """Give the memory of finished transforms back: the native DCT's scratch buffers, with
    ``caches`` every cached matrix too (:func:`front_kernels.clear_workspace`), and, with glibc,
    the free heap pages (``malloc_trim``)."""
    from .._backends.reference import native
    from .._workspace import clear_workspace
    clear_workspace() if caches else native.clear_workspace()
    _malloc_trim()


def _malloc_trim() -> None:
    global _LIBC
    if _LIBC is None:
        import ctypes
        import ctypes.util
        try:
            _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _LIBC.malloc_trim.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):
            _LIBC = False
    if _LIBC:
        _LIBC.malloc_trim(0)


_LIBC = None


def stream_groups(plan: TransferPlan, source: TensorStore, target: TensorStore, groups: list[GroupPlan],
                  writer: ShardWriter, stats: TransferStats, device: torch.device | str = "cpu",
                  on_group=None, after_group=None) -> TransferStats:
    """Run ``groups`` of ``plan`` in order, handing each output tensor to ``writer``, in three threads.

    A reader thread reads each group's inputs (:func:`.execute.read_group`:
    source layers into one stack on ``device``, the target entries it keeps or
    fills), at most one group ahead of the transforms; the calling thread
    transfers each group there (:func:`.execute.group_result`) and moves its
    outputs to the CPU; a writer thread writes them into their shards. So
    reading group ``k+1``, transforming group ``k`` and writing group ``k-1``
    overlap, and at most two groups' sources and two groups' outputs are held
    at once. The time the transforms wait for the reader or the writer is
    ``stats.wait_read_s`` / ``stats.wait_write_s``. After each group the
    heap's free pages go back to the system (``malloc_trim``), which keeps
    fragmentation from adding up over the groups; the transforms' scratch
    buffers (sized by the largest layer transformed so far, part of every
    group's peak anyway) and the resampling matrices (one per distinct pair
    of axis sizes) are kept from group to group and released at the end
    (:func:`release_workspace`): freeing and faulting them in again for every
    group cost a fifth of a small transfer. ``on_group(group_plan)`` and ``after_group(index)`` are
    called after each group's transform. An error in any thread stops the
    run and is raised here.
    """
    device = torch.device(device)
    cpu = torch.device("cpu")
    read_src, read_tgt = counting_reader(stats, device), counting_reader(stats, cpu)
    unwritten = threading.Semaphore(1)  # outputs handed over and not yet written, besides the group in hand
    outputs: queue.Queue = queue.Queue()

    def write_all(stop):
        while not stop.is_set():
            item = outputs.get()
            if item is _DONE:
                return
            for name, tensor in item:
                writer.add(name, tensor)
            del item
            unwritten.release()

    def read(g):
        return read_group(g, source, target, read=read_src if g.computes else read_tgt, device=device)

    reader = ReadAhead(groups, read)
    writing = Worker("front-kernels-writer", write_all)
    try:
        for k, g in enumerate(groups):
            got = reader.next()
            t1 = time.perf_counter()
            result = group_result(g, plan.options, source, target, device=device, clone=False, inputs=got)
            del got
            done = [(n, result.pop(n).to(cpu)) for n in g.outputs]
            del result
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            _malloc_trim()
            reader.done()
            t2 = time.perf_counter()
            stats.compute_s += t2 - t1
            while not unwritten.acquire(timeout=POLL_S):
                writing.check()
            outputs.put(done)
            del done
            stats.wait_write_s += time.perf_counter() - t2
            stats.groups += 1
            if on_group is not None:
                on_group(g)
            if after_group is not None:
                after_group(k)
        t3 = time.perf_counter()
        outputs.put(_DONE)
        while writing.alive:
            writing.join(POLL_S)
        stats.wait_write_s += time.perf_counter() - t3
        writing.check()
        writer.close()
    finally:
        stats.wait_read_s += reader.waited_s
        reader.close()
        writing.stop.set()
        outputs.put(_DONE)
        writing.join(5.0)
    release_workspace(caches=True)
    return stats

"""Group-at-a-time execution of a transfer plan into safetensors shards.

Memory stays bounded by a few groups instead of the model: each group's
tensors are read when the group runs (safetensors files through ``safe_open``,
one file mapped at a time and copied out before the next is opened), the
group is transferred, and its outputs join the shard they belong to; a shard
is written (atomically) as soon as its last tensor is there and then dropped.
The next group is read on a background thread while the current one is
transferred, so peak memory is about ``max_shard_size`` plus two groups'
sources and one group's outputs and transform workspace.

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
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .api import execute_plan
from .loading import TensorStore
from .plan import GroupPlan, TransferPlan
from .writing import save_safetensors_atomic

SINGLE_FILE = "model.safetensors"


def shard_file_name(k: int, n: int) -> str:
    """Hugging Face name of shard ``k`` (1-based) of ``n``; ``model.safetensors`` when ``n == 1``."""
    return SINGLE_FILE if n == 1 else f"model-{k:05d}-of-{n:05d}.safetensors"


def output_nbytes(plan: TransferPlan, target: TensorStore) -> dict[str, int]:
    """Bytes of every output tensor, in target order, from names, shapes and dtypes only.

    Computed groups take the dtype of their first target entry (as
    :func:`.api.execute_plan` does); kept and passed entries keep their own.
    """
    out = {}
    for g in plan.groups:
        for n in g.target_names:
            dt = target.dtypes[g.target_names[0]] if g.computes else target.dtypes[n]
            shape = g.target_shape if g.computes else tuple(target.shapes[n])
            out[n] = _numel(shape) * _itemsize(dt)
    return {n: out[n] for n in plan.target_order}


def group_read_nbytes(g: GroupPlan, source: TensorStore, target: TensorStore) -> int:
    """Bytes a group reads: its source tensors when computed, else the target's own tensors."""
    if g.computes:
        return sum(_numel(source.shapes[n]) * _itemsize(source.dtypes[n]) for n in g.source_names)
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
    ``compute_s`` / ``write_s``: seconds spent reading tensors, transferring
    groups and writing shards; ``wall_s``: elapsed seconds of the whole run.
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
    wall_s: float = 0.0
    per_rank: list = field(default_factory=list)

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
            for k in ("groups", "files", "bytes_read", "bytes_written", "read_s", "compute_s", "write_s"):
                setattr(total, k, getattr(total, k) + getattr(p, k))
        total.per_rank = [p.to_dict() for p in parts]
        return total

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["read_GBps"], d["write_GBps"] = round(self.read_gbps, 4), round(self.write_gbps, 4)
        if not d["per_rank"]:
            del d["per_rank"]
        return d

    def summary(self) -> str:
        ranks = f" on {self.ranks} ranks" if self.ranks > 1 else ""
        return (f"read {_fmt_bytes(self.bytes_read)}, wrote {_fmt_bytes(self.bytes_written)} in "
                f"{self.wall_s:.2f} s{ranks}: {self.read_gbps:.3f} GB/s read, {self.write_gbps:.3f} GB/s "
                f"written (reading {self.read_s:.2f} s, transforms {self.compute_s:.2f} s, "
                f"writing {self.write_s:.2f} s, summed over ranks)")


def _fmt_bytes(n: int) -> str:
    return f"{n / 1e9:.3f} GB" if n >= 1e9 else f"{n / 1e6:.3f} MB"


class _GroupReader:
    """Loads the tensors of one group onto ``device``, counting bytes and seconds.

    Entries a store keeps in a ``.safetensors`` file are read through
    ``safe_open``, one file at a time, and copied out so that the file's
    mapping is released before the next file is opened; anything else goes
    through ``store.get``.
    """

    def __init__(self, store: TensorStore, device: torch.device, stats: TransferStats):
        self.store, self.device, self.stats = store, device, stats

    def load(self, names: list[str]) -> dict[str, torch.Tensor]:
        from safetensors import safe_open
        t0 = time.perf_counter()
        by_file: dict[str, list[str]] = {}
        out: dict[str, torch.Tensor] = {}
        for n in names:
            path = self.store.files.get(n)
            if path is not None and str(path).endswith(".safetensors"):
                by_file.setdefault(str(path), []).append(n)
            else:
                out[n] = self._own(self.store.get(n), copy=False)
        for path, members in by_file.items():
            try:
                with safe_open(path, framework="pt") as fh:
                    for n in members:
                        out[n] = self._own(fh.get_tensor(n), copy=True)
            except Exception as exc:
                raise ValueError(f"cannot read tensor(s) {members[:3]} from {path}: {exc}") from exc
        self.stats.bytes_read += sum(t.numel() * t.element_size() for t in out.values())
        self.stats.read_s += time.perf_counter() - t0
        return {n: out[n] for n in names}

    def _own(self, t: torch.Tensor, copy: bool) -> torch.Tensor:
        if t.device != self.device:
            return t.to(self.device)
        return t.clone() if copy else t


class ShardWriter:
    """Collects output tensors and writes each of ``shards`` once it is complete."""

    def __init__(self, folder: Path, shards: list[Shard], nbytes: dict[str, int], stats: TransferStats):
        self.folder, self.nbytes, self.stats = Path(folder), nbytes, stats
        self._shards = {s.file: s for s in shards}
        self._owner = {n: s.file for s in shards for n in s.names}
        self._pending: dict[str, dict[str, torch.Tensor]] = {s.file: {} for s in shards}

    def add(self, name: str, tensor: torch.Tensor) -> None:
        if name not in self._owner:
            raise RuntimeError(f"output tensor {name!r} belongs to no shard of this rank")
        size = tensor.numel() * tensor.element_size()
        if size != self.nbytes[name]:
            raise RuntimeError(f"output tensor {name!r} has {size} bytes ({tuple(tensor.shape)}, {tensor.dtype}); "
                               f"the plan expects {self.nbytes[name]}")
        f = self._owner[name]
        self._pending[f][name] = tensor
        if len(self._pending[f]) == len(self._shards[f].names):
            t0 = time.perf_counter()
            tensors = self._pending.pop(f)
            path = save_safetensors_atomic({n: tensors[n] for n in self._shards[f].names}, self.folder / f)
            self.stats.bytes_written += os.path.getsize(path)
            self.stats.files += 1
            self.stats.write_s += time.perf_counter() - t0

    def close(self) -> None:
        if self._pending:
            f, got = next(iter(self._pending.items()))
            missing = [n for n in self._shards[f].names if n not in got]
            raise RuntimeError(f"shard {f} is incomplete: {missing[:3]} were never produced")


def stream_groups(plan: TransferPlan, source: TensorStore, target: TensorStore, groups: list[GroupPlan],
                  writer: ShardWriter, stats: TransferStats, device: torch.device | str = "cpu",
                  on_group=None, after_group=None) -> TransferStats:
    """Run ``groups`` of ``plan`` one at a time, handing each output tensor to ``writer``.

    Computed groups read their source tensors onto ``device`` and are
    transferred there by :func:`.api.execute_plan` (on a one-group plan);
    kept and passed groups read the target's own tensors. The next group is
    read on a background thread while the current one is transferred and
    written, so at most two groups' inputs are held at once. Outputs are moved
    to the CPU before writing. ``on_group(group_plan)`` and
    ``after_group(index)`` are called after each group.
    """
    device = torch.device(device)
    cpu = torch.device("cpu")
    src_reader = _GroupReader(source, device, stats)
    tgt_reader = _GroupReader(target, cpu, stats)

    def read(g: GroupPlan):
        return src_reader.load(g.source_names) if g.computes else tgt_reader.load(g.target_names)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="transfer-read") as pool:
        pending = pool.submit(read, groups[0]) if groups else None
        for k, g in enumerate(groups):
            loaded = pending.result()
            pending = pool.submit(read, groups[k + 1]) if k + 1 < len(groups) else None
            if g.computes:
                src_view, tgt_view = _preloaded(source, loaded), target
            else:
                src_view, tgt_view = source, _preloaded(target, loaded)
            t0 = time.perf_counter()
            one = dataclasses.replace(plan, groups=[g], target_order=list(g.target_names))
            result = execute_plan(one, src_view, tgt_view)
            result = {n: t.to(cpu) for n, t in result.items()}
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            stats.compute_s += time.perf_counter() - t0
            del loaded, src_view, tgt_view
            for n in g.target_names:
                writer.add(n, result.pop(n))
            stats.groups += 1
            if on_group is not None:
                on_group(g)
            if after_group is not None:
                after_group(k)
    writer.close()
    return stats


def _preloaded(store: TensorStore, tensors: dict[str, torch.Tensor]) -> TensorStore:
    return TensorStore(store.shapes, store.dtypes, tensors.__getitem__, store.origin, store.config, store.files)

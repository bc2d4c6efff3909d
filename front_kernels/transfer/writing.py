"""Atomic output: safetensors files and Hugging Face style checkpoint folders.

A folder is assembled in a hidden staging folder next to its destination and
renamed as a whole (:mod:`.output_folder`: checks, lock, staging, publishing),
so an interrupted run leaves no file and no folder that looks complete.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from .output_folder import OutLock, check_out, make_stage, publish, remove_stale_stages, write_text
from .safetensors_io import SafetensorsWriter

SAFETENSORS_INDEX = "model.safetensors.index.json"
REPORT_TEXT = "transfer_report.txt"
REPORT_JSON = "transfer_report.json"
_UNITS = {"": 1, "B": 1, "KB": 10 ** 3, "MB": 10 ** 6, "GB": 10 ** 9, "TB": 10 ** 12,
          "KIB": 2 ** 10, "MIB": 2 ** 20, "GIB": 2 ** 30, "TIB": 2 ** 40}


def parse_size(text, name: str = "max_shard_size") -> int:
    """Bytes from ``5000``, ``'500MB'``, ``'2GiB'``; raise naming ``name`` otherwise."""
    if isinstance(text, int) and not isinstance(text, bool) and text > 0:
        return text
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*", str(text), flags=re.I)
    if not m:
        raise ValueError(f"{name} must be a byte count like 5000, '500MB' or '2GiB', got {text!r}")
    size = int(float(m.group(1)) * _UNITS[(m.group(2) or "").upper()])
    if size <= 0:
        raise ValueError(f"{name} must be positive, got {text!r}")
    return size


def save_safetensors(tensors: dict, path, metadata: dict | None = None) -> Path:
    """Write ``tensors`` (name -> tensor, in file order) as a new safetensors file ``path``."""
    path = Path(path)
    writer = SafetensorsWriter(path, [(k, v.dtype, tuple(v.shape)) for k, v in tensors.items()], metadata)
    try:
        for k, v in tensors.items():
            writer.write(k, v)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return path


def shard_names(state_dict: dict, max_shard_size: int) -> list[list[str]]:
    """Greedy split in state-dict order; a tensor larger than the limit gets its own shard."""
    shards, cur, size = [], [], 0
    for k, v in state_dict.items():
        n = v.numel() * v.element_size()
        if cur and size + n > max_shard_size:
            shards.append(cur)
            cur, size = [], 0
        cur.append(k)
        size += n
    if cur:
        shards.append(cur)
    return shards


def write_hf_folder(state_dict: dict, out_dir, *, config=None, report=None, max_shard_size="5GB",
                    overwrite: bool = False) -> Path:
    """Write ``state_dict`` as a loadable Hugging Face folder at ``out_dir``.

    Files: ``model.safetensors``, or ``model-0000k-of-0000n.safetensors`` plus
    ``model.safetensors.index.json`` when larger than ``max_shard_size``;
    ``config.json`` when ``config`` (a ``transformers`` config) is given;
    ``transfer_report.txt`` / ``.json`` when ``report`` is given. An existing
    non-empty ``out_dir`` is an error unless ``overwrite``.
    """
    limit = parse_size(max_shard_size)
    out = check_out(out_dir, [], overwrite)
    with OutLock(out):
        remove_stale_stages(out)
        stage = make_stage(out)
        try:
            shards = shard_names(state_dict, limit)
            if len(shards) == 1:
                save_safetensors({k: state_dict[k] for k in shards[0]}, stage / "model.safetensors")
            else:
                weight_map = {}
                for i, names in enumerate(shards, 1):
                    fname = f"model-{i:05d}-of-{len(shards):05d}.safetensors"
                    save_safetensors({k: state_dict[k] for k in names}, stage / fname)
                    weight_map.update({k: fname for k in names})
                total = sum(v.numel() * v.element_size() for v in state_dict.values())
                write_text(json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2),
                           stage / SAFETENSORS_INDEX)
            if config is not None:
                write_text(config.to_json_string(use_diff=False), stage / "config.json")
            if report is not None:
                write_text(report.table() + "\n", stage / REPORT_TEXT)
                write_text(report.to_json() + "\n", stage / REPORT_JSON)
            publish(stage, out)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
    return out

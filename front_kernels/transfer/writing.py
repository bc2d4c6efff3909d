"""Atomic output: safetensors files and Hugging Face style checkpoint folders.

Every file is written under a temporary name and renamed into place; a folder
is assembled in a hidden staging folder next to its destination and renamed
as a whole, so an interrupted run leaves no file and no folder that looks
complete (only a ``.<name>.partial-*`` staging folder, removed on errors).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import torch

SAFETENSORS_INDEX = "model.safetensors.index.json"
REPORT_TEXT = "transfer_report.txt"
REPORT_JSON = "transfer_report.json"
_UNITS = {"": 1, "B": 1, "KB": 10 ** 3, "MB": 10 ** 6, "GB": 10 ** 9, "KIB": 2 ** 10, "MIB": 2 ** 20, "GIB": 2 ** 30}


def parse_size(text) -> int:
    """Bytes from ``5000``, ``'500MB'``, ``'2GiB'``; raise naming the value otherwise."""
    if isinstance(text, int) and not isinstance(text, bool) and text > 0:
        return text
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]i?B|B)?\s*", str(text), flags=re.I)
    if not m:
        raise ValueError(f"max_shard_size must be a byte count like 5000, '500MB' or '2GiB', got {text!r}")
    size = int(float(m.group(1)) * _UNITS[(m.group(2) or "").upper()])
    if size <= 0:
        raise ValueError(f"max_shard_size must be positive, got {text!r}")
    return size


def _tmp_path(path: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(fd)
    return Path(name)


def _contiguous(tensors: dict) -> dict:
    return {k: v.detach().contiguous() for k, v in tensors.items()}


def save_safetensors_atomic(tensors: dict, path, metadata: dict | None = None) -> Path:
    """``safetensors.torch.save_file`` to a temporary name in the same folder, then rename."""
    from safetensors.torch import save_file
    path = Path(path)
    tmp = _tmp_path(path)
    try:
        save_file(_contiguous(tensors), str(tmp), metadata={"format": "pt", **(metadata or {})})
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(text: str, path) -> Path:
    path = Path(path)
    tmp = _tmp_path(path)
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
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
    out = Path(out_dir)
    limit = parse_size(max_shard_size)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ValueError(f"out {out} exists and is not empty (pass overwrite=True / --overwrite)")
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        shards = shard_names(state_dict, limit)
        if len(shards) == 1:
            save_safetensors_atomic({k: state_dict[k] for k in shards[0]}, stage / "model.safetensors")
        else:
            weight_map = {}
            for i, names in enumerate(shards, 1):
                fname = f"model-{i:05d}-of-{len(shards):05d}.safetensors"
                save_safetensors_atomic({k: state_dict[k] for k in names}, stage / fname)
                weight_map.update({k: fname for k in names})
            total = sum(v.numel() * v.element_size() for v in state_dict.values())
            write_text_atomic(json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2),
                              stage / SAFETENSORS_INDEX)
        if config is not None:
            write_text_atomic(config.to_json_string(use_diff=False), stage / "config.json")
        if report is not None:
            write_text_atomic(report.table() + "\n", stage / REPORT_TEXT)
            write_text_atomic(report.to_json() + "\n", stage / REPORT_JSON)
        _move_into_place(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return out


def _move_into_place(stage: Path, out: Path) -> None:
    if out.is_dir():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.replace(out, old / out.name)
        try:
            os.replace(stage, out)
        except BaseException:
            os.replace(old / out.name, out)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(stage, out)

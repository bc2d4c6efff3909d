"""The non-weight files of a checkpoint folder that travel with a transfer.

A Hugging Face folder holds more than weights: the tokenizer
(``tokenizer.json``, ``tokenizer_config.json``, ``vocab.txt``, ``merges.txt``,
``special_tokens_map.json``, ``*.model``, ...), ``generation_config.json``, a
chat template, a preprocessor config. They describe the vocabulary and its
use, not the size of the model, so they are copied into ``--out`` when the
vocabulary is unchanged; when it changes they would describe another
vocabulary, and nothing is copied. Only regular files that resolve inside
the source folder are copied (each is a checkpoint file
like the rest: :func:`.loading.member`), and the files one folder down
(sentence-transformers' ``1_Pooling/config.json``); weights, indexes, ``config.json``
(the target's is written), transfer reports and model cards (``*.md``, which
describe the source model) are never copied.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from .loading import member

NEVER = re.compile(r"(\.(safetensors|bin|pt|pth|ckpt|h5|msgpack|onnx|gguf)$)|(\.index\.json$)|(^\.)|(\.md$)", re.I)
NOT_AT_TOP = re.compile(r"^config\.json$|^transfer_report\.")  # the target's own config and report are written
MAX_BYTES = 200_000_000  # the largest tokenizer files are tens of MB


def files_to_copy(source, plan) -> tuple[list[tuple[str, Path]], str]:
    """``(files, note)``: the source folder's files to copy, as ``(relative name, path)``, and a sentence
    for the report."""
    if not isinstance(source, (str, Path)) or not Path(source).is_dir():
        return [], ""
    folder = Path(source)
    changed = [g for g in plan.groups if g.kind == "token embedding" and g.common is not None]
    if changed:
        g = changed[0]
        return [], (f"tokenizer and other non-weight files not copied: the vocabulary changes "
                    f"({g.source_shape[0]} -> {g.target_shape[0]} rows of {g.target_names[0]})")
    files = []
    for rel in _candidates(folder):
        try:
            real = member(folder, rel, f"source folder {folder}")
        except ValueError:
            continue  # a symlink out of the folder: never followed
        if real.is_file() and real.stat().st_size <= MAX_BYTES:
            files.append((rel, real))
    note = ("copied from the source (the vocabulary is unchanged): " + ", ".join(rel for rel, _ in files)) \
        if files else ""
    return files, note


def _candidates(folder: Path) -> list[str]:
    """Relative names of the files at the top of ``folder`` and one folder down (sentence-transformers keeps
    its pooling config in ``1_Pooling/``), minus weights, indexes, hidden files and model cards (:data:`NEVER`)
    and, at the top, the config and report the transfer writes itself (:data:`NOT_AT_TOP`)."""
    out = []
    for p in sorted(folder.iterdir(), key=lambda p: p.name):
        if NEVER.search(p.name):
            continue
        if p.is_dir() and not p.is_symlink():
            out += [f"{p.name}/{q.name}" for q in sorted(p.iterdir(), key=lambda q: q.name)
                    if not q.is_dir() and not NEVER.search(q.name)]
        elif not NOT_AT_TOP.search(p.name):
            out.append(p.name)
    return out


def copy_into(files, stage: Path) -> None:
    for rel, real in files:
        dest = stage / rel
        dest.parent.mkdir(exist_ok=True)
        shutil.copyfile(real, dest)  # contents only: modes come from the umask

"""The non-weight files of a checkpoint folder that travel with a transfer.

A Hugging Face folder holds more than weights: the tokenizer
(``tokenizer.json``, ``tokenizer_config.json``, ``vocab.txt``, ``merges.txt``,
``special_tokens_map.json``, ``*.model``, ...), ``generation_config.json``, a
chat template, a preprocessor config. They describe the vocabulary and its
use, not the size of the model, so they are copied into ``--out`` when the
vocabulary is unchanged; when it changes they would describe another
vocabulary, and nothing is copied. Only regular files at the top of the
source folder that resolve inside it are copied (each is a checkpoint file
like the rest: :func:`.loading.member`); weights, indexes, ``config.json``
(the target's is written) and transfer reports are never copied.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from .loading import member

SKIPPED = re.compile(r"(\.(safetensors|bin|pt|pth|ckpt|h5|msgpack|onnx|gguf)$)|(\.index\.json$)|"
                     r"(^config\.json$)|(^transfer_report\.)|(^\.)")
MAX_BYTES = 200_000_000  # the largest tokenizer files are tens of MB


def files_to_copy(source, plan) -> tuple[list[Path], str]:
    """``(files, note)``: the source folder's files to copy and a sentence for the report."""
    if not isinstance(source, (str, Path)) or not Path(source).is_dir():
        return [], ""
    folder = Path(source)
    changed = [g for g in plan.groups if g.kind == "token embedding" and g.common is not None]
    if changed:
        g = changed[0]
        return [], (f"tokenizer and other non-weight files not copied: the vocabulary changes "
                    f"({g.source_shape[0]} -> {g.target_shape[0]} rows of {g.target_names[0]})")
    files = []
    for p in sorted(folder.iterdir(), key=lambda p: p.name):
        if SKIPPED.search(p.name) or p.is_dir():
            continue
        try:
            real = member(folder, p.name, f"source folder {folder}")
        except ValueError:
            continue  # a symlink out of the folder: never followed
        if real.is_file() and real.stat().st_size <= MAX_BYTES:
            files.append(real)
    note = ("copied from the source (the vocabulary is unchanged): " + ", ".join(p.name for p in files)) \
        if files else ""
    return files, note


def copy_into(files: list[Path], stage: Path) -> None:
    for p in files:
        shutil.copyfile(p, stage / p.name)  # contents only: modes come from the umask

"""Fuzzing the checkpoint loaders (hypothesis): random, truncated and mutated safetensors files, index
files and config files raise only the package's own :class:`CheckpointError` (or load), never another
exception, never hang (a deadline per example), and never open a file outside the checkpoint folder
(an audit hook watches every ``open``)."""
from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import save_file

from front_kernels.transfer.errors import CheckpointError
from front_kernels.transfer.loading import open_tensors
from front_kernels.transfer.safetensors_io import read_header, read_tensor

FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])

_watch = {"root": None, "outside": []}


def _audit(event, args):
    if event == "open" and _watch["root"] is not None and args and isinstance(args[0], (str, bytes, Path)):
        path = Path(args[0].decode() if isinstance(args[0], bytes) else args[0])
        if not path.is_absolute():
            path = Path.cwd() / path
        if _watch["root"] in path.parents and (_watch["root"] / "ckpt") not in path.parents:
            _watch["outside"].append(str(path))


sys.addaudithook(_audit)


@pytest.fixture
def world(tmp_path):
    """``tmp/ckpt`` (the folder under test) and ``tmp/outside`` (files the checkpoint must never reach)."""
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "outside").mkdir()
    save_file({"secret": torch.arange(4.0)}, str(tmp_path / "outside" / "x.safetensors"))
    (tmp_path / "outside" / "config.json").write_text('{"model_type": "gpt2"}')
    _watch["root"], _watch["outside"] = tmp_path.resolve(), []
    yield tmp_path
    _watch["root"] = None


def _valid_file() -> bytes:
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        save_file({"a.0.w": torch.arange(6.0).reshape(2, 3), "b": torch.ones(4, dtype=torch.bfloat16),
                   "c": torch.zeros(0)}, f"{d}/v.safetensors", metadata={"k": "v"})
        return Path(f"{d}/v.safetensors").read_bytes()


VALID = _valid_file()


def _load_everything(path) -> None:
    """Open ``path`` as a source and read every tensor: only CheckpointError may come out."""
    try:
        store = open_tensors(path, "source")
        for name in store.keys():
            t = store.get(name)
            assert tuple(t.shape) == tuple(store.shapes[name]) and t.dtype == store.dtypes[name]
    except CheckpointError:
        pass


json_values = st.recursive(st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats() | st.text(max_size=8),
                           lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=4),
                           max_leaves=12)
dtype_codes = st.sampled_from(["F32", "F16", "BF16", "F64", "I64", "U8", "BOOL", "C64", "F8_E4M3", "X", ""])
entries = st.fixed_dictionaries({"dtype": dtype_codes | json_values,
                                 "shape": st.lists(st.integers(-2, 5), max_size=3) | json_values,
                                 "data_offsets": st.lists(st.integers(-4, 200), min_size=0, max_size=3) | json_values})
headers = st.dictionaries(st.text(max_size=6), entries | json_values, max_size=4) | json_values


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes(world, data):
    (world / "ckpt" / "r.safetensors").write_bytes(data)
    _load_everything(world / "ckpt" / "r.safetensors")
    assert _watch["outside"] == []


@FUZZ
@given(header=headers, body=st.binary(max_size=160), declared=st.none() | st.integers(0, 2 ** 64 - 1))
def test_random_headers(world, header, body, declared):
    raw = json.dumps(header).encode()
    n = len(raw) if declared is None else declared
    (world / "ckpt" / "h.safetensors").write_bytes(struct.pack("<Q", n) + raw + body)
    _load_everything(world / "ckpt" / "h.safetensors")
    assert _watch["outside"] == []


@FUZZ
@given(cut=st.integers(0, len(VALID)), flips=st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)),
                                                       max_size=6))
def test_truncated_and_mutated_files(world, cut, flips):
    data = bytearray(VALID)
    for pos, byte in flips:
        data[pos] = byte
    (world / "ckpt" / "m.safetensors").write_bytes(bytes(data[:cut] if cut < len(VALID) else data))
    _load_everything(world / "ckpt" / "m.safetensors")
    assert _watch["outside"] == []


shard_names = st.sampled_from(["model.safetensors", "../outside/x.safetensors", "/etc/passwd", "sub/../model.safetensors",
                               "missing.safetensors", "", ".", "..", "link.safetensors", "a\x00b",
                               str(Path("/tmp").resolve())]) | json_values


@FUZZ
@given(weight_map=st.dictionaries(st.sampled_from(["a.0.w", "b", "c", "secret", "zz"]), shard_names, max_size=4)
       | json_values, wrap=st.booleans())
def test_index_files(world, weight_map, wrap):
    ckpt = world / "ckpt"
    (ckpt / "model.safetensors").write_bytes(VALID)
    link = ckpt / "link.safetensors"
    if not link.is_symlink():
        link.symlink_to(world / "outside" / "x.safetensors")
    index = {"metadata": {}, "weight_map": weight_map} if wrap else weight_map
    (ckpt / "model.safetensors.index.json").write_text(json.dumps(index))
    try:
        store = open_tensors(ckpt, "source")
        assert "secret" not in store.shapes
        for name in store.keys():
            store.get(name)
    except CheckpointError:
        pass
    assert _watch["outside"] == []


@FUZZ
@given(config=json_values | st.dictionaries(st.sampled_from(["model_type", "n_embd", "n_layer", "n_head",
                                                             "vocab_size", "architectures", "hidden_size"]),
                                            st.sampled_from(["gpt2", "bert", "llama", "nope"]) | json_values,
                                            max_size=5),
       text=st.none() | st.text(max_size=20))
def test_config_files(world, config, text):
    ckpt = world / "ckpt"
    (ckpt / "model.safetensors").write_bytes(VALID)
    (ckpt / "config.json").write_text(text if text is not None else json.dumps(config))
    try:
        open_tensors(ckpt, "source")
    except CheckpointError:
        pass
    assert _watch["outside"] == []


def test_the_watch_sees_an_outside_read(world):
    """The audit hook is live: reading the outside file is recorded (so the assertions above can fail)."""
    (world / "outside" / "x.safetensors").read_bytes()
    assert _watch["outside"] == [str(world.resolve() / "outside" / "x.safetensors")]


def test_a_valid_file_reads_exactly(world):
    path = world / "ckpt" / "v.safetensors"
    path.write_bytes(VALID)
    entries, metadata = read_header(path)
    assert metadata == {"k": "v", "format": "pt"} or metadata.get("k") == "v"
    assert torch.equal(read_tensor(path, entries["a.0.w"]), torch.arange(6.0).reshape(2, 3))
    assert torch.equal(read_tensor(path, entries["b"]), torch.ones(4, dtype=torch.bfloat16))
    assert read_tensor(path, entries["c"]).shape == (0,)

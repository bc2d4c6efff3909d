"""Bad input to ``front-kernels transfer`` / ``inspect``: each case asserts the one error line, the exit
code, and that neither the source (and the files outside it) nor ``--out`` was touched.

Every case starts from a fresh copy of two small GPT-2 checkpoints (one file, and sharded with an index),
a target config, and an ``outside`` folder beside them standing for the rest of the file system.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from front_kernels.cli import main
from front_kernels.transfer.output_folder import OutLock

ERROR = "front-kernels transfer: error: "


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    from transformers import GPT2Config, GPT2LMHeadModel
    d = tmp_path_factory.mktemp("base")
    torch.manual_seed(0)
    cfg = GPT2Config(n_embd=32, n_layer=2, n_head=4, vocab_size=50, n_positions=16, bos_token_id=0, eos_token_id=0)
    model = GPT2LMHeadModel(cfg)
    model.save_pretrained(d / "src")
    model.save_pretrained(d / "sharded", max_shard_size="20KB")
    assert (d / "sharded" / "model.safetensors.index.json").is_file()
    tcfg = GPT2Config(n_embd=16, n_layer=1, n_head=4, vocab_size=50, n_positions=16, bos_token_id=0,
                      eos_token_id=0, architectures=["GPT2LMHeadModel"])
    tcfg.save_pretrained(d / "tgt")
    (d / "outside").mkdir()
    save_file({"secret": torch.ones(3)}, str(d / "outside" / "x.safetensors"))
    (d / "outside" / "notes.txt").write_text("private")
    return d


class Kit:
    """Paths of one case's fresh copy and helpers to damage it."""

    def __init__(self, root: Path):
        self.root = root
        self.src, self.sharded, self.cfg = root / "src", root / "sharded", root / "tgt" / "config.json"
        self.outside, self.out = root / "outside", root / "out"

    def args(self, source=None, target=None, out=None, *extra):
        return ["--source", str(source or self.src), "--target", str(target or self.cfg),
                "--out", str(out or self.out), "--no-progress", "--quiet", *extra]

    def index(self) -> dict:
        return json.loads((self.sharded / "model.safetensors.index.json").read_text())

    def set_index(self, data) -> None:
        text = data if isinstance(data, str) else json.dumps(data)
        (self.sharded / "model.safetensors.index.json").write_text(text)

    def remap(self, shard) -> None:
        """Point the first index entry at ``shard``."""
        idx = self.index()
        first = next(iter(idx["weight_map"]))
        idx["weight_map"][first] = shard
        self.set_index(idx)

    def header_file(self, header, data: bytes = b"", n=None, name="bad.safetensors") -> Path:
        raw = header if isinstance(header, bytes) else json.dumps(header).encode()
        p = self.root / name
        p.write_bytes(struct.pack("<Q", len(raw) if n is None else n) + raw + data)
        return p

    def config(self, data, name="cfg.json") -> Path:
        p = self.root / name
        p.write_text(data if isinstance(data, str) else json.dumps(data))
        return p


def _tree_digest(path: Path) -> dict:
    if path.is_file():
        return {"": hashlib.sha256(path.read_bytes()).hexdigest()}
    return {str(p.relative_to(path)): (hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() and not
                                       p.is_symlink() else os.readlink(p) if p.is_symlink() else "dir")
            for p in sorted(path.rglob("*"))}


def _digests(root: Path) -> dict:
    return {name: _tree_digest(root / name) for name in ("src", "sharded", "tgt", "outside")}


# --- the cases: (id, build(kit) -> argv after the command, message fragment, exit code) ---------------

def _outside_index(k, target):
    k.remap(target)
    return k.args(k.sharded)


def _symlinked_shard(k):
    idx = k.index()
    shard = next(iter(idx["weight_map"].values()))
    (k.sharded / shard).unlink()
    (k.sharded / shard).symlink_to(k.outside / "x.safetensors")
    return k.args(k.sharded)


def _symlinked(k, name, to):
    (k.src / name).unlink(missing_ok=True)
    (k.src / name).symlink_to(to)
    return k.args(k.src)


def _st(k, header, data=b"", n=None):
    return k.args(k.header_file(header, data, n))


GOOD_ENTRY = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


def _locked(k):
    lock = OutLock(k.out).acquire()
    k.keep_alive = lock
    return k.args()


def _pt(k, obj, name="bad.pt"):
    torch.save(obj, str(k.root / name))
    return k.args(k.root / name)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


def _evil_pt(k):
    import pickle
    (k.root / "evil.pt").write_bytes(pickle.dumps({"w": _Evil()}))
    return k.args(k.root / "evil.pt")


def _int_source(k):
    save_file({"h.0.attn.c_attn.weight": torch.ones(4, 4, dtype=torch.int32)}, str(k.root / "ints.safetensors"))
    return k.args(k.root / "ints.safetensors")


def _nan_source(k):
    from safetensors.torch import load_file
    sd = load_file(str(k.src / "model.safetensors"))
    name = next(n for n in sd if n.endswith("attn.c_proj.weight"))
    sd[name][0, 0] = float("nan")
    save_file(sd, str(k.root / "nan.safetensors"))
    return k.args(k.root / "nan.safetensors")


def _vit_target(k):
    save_file({"blocks.0.attn.qkv.weight": torch.ones(6, 2), "patch_embed.proj.weight": torch.ones(2, 3, 2, 2)},
              str(k.root / "vit.safetensors"))
    return k.args(target=k.root / "vit.safetensors")


def _existing_out(k, make):
    make(k.out)
    return k.args()


def _nonempty(p):
    p.mkdir()
    (p / "keep.txt").write_text("mine")


def _symlink_out(k):
    k.out.symlink_to(k.src)
    return k.args() + ["--overwrite"]


def _two_shards(k):
    idx = k.index()
    name, shard = next(iter(idx["weight_map"].items()))
    other = next(s for s in set(idx["weight_map"].values()) if s != shard)
    from safetensors.torch import load_file
    part = load_file(str(k.sharded / other))
    part[name] = torch.ones(2)
    save_file(part, str(k.sharded / other))
    return k.args(k.sharded)


CASES = [
    # paths a checkpoint names: never outside its folder, never revealing what is there
    ("index-parent-path", lambda k: _outside_index(k, "../outside/x.safetensors"),
     "names '../outside/x.safetensors', which is not inside the checkpoint folder", 1),
    ("index-absolute-existing", lambda k: _outside_index(k, "/etc/passwd"),
     "names '/etc/passwd', which is not a file name inside the checkpoint folder", 1),
    ("index-absolute-missing", lambda k: _outside_index(k, "/no/such/file.safetensors"),
     "names '/no/such/file.safetensors', which is not a file name inside the checkpoint folder", 1),
    ("index-dotdot-in-the-middle", lambda k: _outside_index(k, "a/../../outside/x.safetensors"),
     "which is not inside the checkpoint folder", 1),
    ("index-missing-outside", lambda k: _outside_index(k, "../outside/none.safetensors"),
     "names '../outside/none.safetensors', which is not inside the checkpoint folder", 1),
    ("index-nul-byte", lambda k: _outside_index(k, "a\x00b"), "which is not a file name inside", 1),
    ("index-empty-name", lambda k: _outside_index(k, ""), "names '', which is not a file name inside", 1),
    ("index-non-string", lambda k: _outside_index(k, 5), "names shard 5, which is not a file name", 1),
    ("index-folder-itself", lambda k: _outside_index(k, "."), "which is not inside the checkpoint folder", 1),
    ("symlinked-shard", _symlinked_shard, "which is not inside the checkpoint folder", 1),
    ("symlinked-config", lambda k: _symlinked(k, "config.json", k.outside / "notes.txt"),
     "names 'config.json', which is not inside the checkpoint folder", 1),
    ("symlinked-weights", lambda k: _symlinked(k, "model.safetensors", k.outside / "x.safetensors"),
     "names 'model.safetensors', which is not inside the checkpoint folder", 1),
    ("symlinked-weights-dangling", lambda k: _symlinked(k, "model.safetensors", k.outside / "gone"),
     "names 'model.safetensors', which is not inside the checkpoint folder", 1),
    ("index-weight-map-list", lambda k: (k.set_index({"weight_map": ["a"]}), k.args(k.sharded))[1],
     "must be a JSON object with a 'weight_map' object", 1),
    ("index-is-a-list", lambda k: (k.set_index([1, 2]), k.args(k.sharded))[1],
     "must be a JSON object with a 'weight_map' object", 1),
    ("index-not-json", lambda k: (k.set_index("{weight_map"), k.args(k.sharded))[1], "not valid JSON", 1),
    ("index-deeply-nested", lambda k: (k.set_index("[" * 100000 + "]" * 100000), k.args(k.sharded))[1],
     "not valid JSON", 1),
    ("index-missing-shard", lambda k: _outside_index(k, "model-99.safetensors"), "does not exist", 1),
    ("index-wrong-shard", lambda k: (k.set_index({"weight_map": {"nope": next(iter(k.index()["weight_map"].values()))}}),
                                     k.args(k.sharded))[1], "lists 'nope' in", 1),
    ("tensor-in-two-shards", _two_shards, "is in two files of", 1),
    # safetensors headers
    ("header-json-list", lambda k: _st(k, [1, 2]), "the header must be a JSON object, got list", 1),
    ("header-no-offsets", lambda k: _st(k, {"w": {"dtype": "F32", "shape": [2]}}, b"\0" * 8),
     "entry 'w' has no 'data_offsets'", 1),
    ("header-no-dtype", lambda k: _st(k, {"w": {"shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8),
     "entry 'w' has no 'dtype'", 1),
    ("header-entry-string", lambda k: _st(k, {"w": "F32"}), "entry 'w' must be an object, got str", 1),
    ("header-longer-than-file", lambda k: _st(k, {"w": GOOD_ENTRY}, b"", n=10 ** 6), "truncated header", 1),
    ("header-huge-length", lambda k: _st(k, {"w": GOOD_ENTRY}, b"", n=2 ** 63), "larger than the", 1),
    ("file-of-three-bytes", lambda k: ((k.root / "t.safetensors").write_bytes(b"abc"), k.args(k.root / "t.safetensors"))[1],
     "truncated header (3 bytes)", 1),
    ("header-not-utf8", lambda k: _st(k, b"\xff\xfe{}"), "corrupt header", 1),
    ("header-not-json", lambda k: _st(k, b"{\"w\": "), "corrupt header", 1),
    ("header-unknown-dtype", lambda k: _st(k, {"w": {**GOOD_ENTRY, "dtype": "C64"}}, b"\0" * 8),
     "entry 'w' has dtype 'C64', which front_kernels does not read", 1),
    ("header-negative-shape", lambda k: _st(k, {"w": {**GOOD_ENTRY, "shape": [-2]}}, b"\0" * 8),
     "not a list of non-negative integers", 1),
    ("header-shape-not-ints", lambda k: _st(k, {"w": {**GOOD_ENTRY, "shape": ["a"]}}, b"\0" * 8),
     "not a list of non-negative integers", 1),
    ("header-shape-bool", lambda k: _st(k, {"w": {**GOOD_ENTRY, "shape": [True]}}, b"\0" * 8),
     "not a list of non-negative integers", 1),
    ("header-size-mismatch", lambda k: _st(k, {"w": {**GOOD_ENTRY, "data_offsets": [0, 4]}}, b"\0" * 8),
     "needs 8 bytes, its data_offsets give 4", 1),
    ("header-offsets-past-end", lambda k: _st(k, {"w": {**GOOD_ENTRY, "data_offsets": [8, 16]}}, b"\0" * 8),
     "truncated: entry 'w' ends at byte", 1),
    ("header-offsets-reversed", lambda k: _st(k, {"w": {**GOOD_ENTRY, "data_offsets": [8, 0]}}, b"\0" * 8),
     "not [begin, end] with 0 <= begin <= end", 1),
    ("header-offsets-three", lambda k: _st(k, {"w": {**GOOD_ENTRY, "data_offsets": [0, 4, 8]}}, b"\0" * 8),
     "not [begin, end]", 1),
    ("header-giant-shape", lambda k: _st(k, {"w": {**GOOD_ENTRY, "shape": [10 ** 9, 10 ** 9],
                                                   "data_offsets": [0, 4 * 10 ** 18]}}, b"\0" * 8),
     "truncated: entry 'w' ends at byte", 1),
    ("header-bad-metadata", lambda k: _st(k, {"__metadata__": {"a": 1}, "w": GOOD_ENTRY}, b"\0" * 8),
     "'__metadata__' must be an object of strings", 1),
    ("cut-weights-file", lambda k: ((k.root / "cut.safetensors").write_bytes((k.src / "model.safetensors").read_bytes()[:-100]),
                                   k.args(k.root / "cut.safetensors"))[1], "truncated: entry", 1),
    # configs
    ("config-json-list", lambda k: k.args(target=k.config([1, 2])), "it must hold a JSON object, got a list", 1),
    ("config-no-model-type", lambda k: k.args(target=k.config({"n_embd": 8})), "it has no 'model_type' string", 1),
    ("config-model-type-number", lambda k: k.args(target=k.config({"model_type": 3})), "no 'model_type' string", 1),
    ("config-unknown-model-type", lambda k: k.args(target=k.config({"model_type": "no-such-model"})),
     "cannot read Hugging Face config", 1),
    ("config-not-json", lambda k: k.args(target=k.config("{model_type")), "not valid JSON", 1),
    ("config-unbuildable", lambda k: k.args(target=k.config({"model_type": "gpt2", "n_embd": 30, "n_head": 4})),
     "transformers cannot build a model from", 1),
    ("config-giant", lambda k: k.args(target=k.config({"model_type": "gpt2", "n_embd": 1_000_000, "n_head": 1,
                                                       "n_layer": 1, "vocab_size": 50, "n_positions": 16})),
     "set by n_embd=1000000", 1),
    ("source-folder-with-config-list", lambda k: ((k.src / "config.json").write_text("[]"), k.args())[1],
     "must hold a JSON object, got a list", 1),
    # memory budget
    ("max-memory-too-small", lambda k: k.args(None, None, None, "--max-memory", "2KB"),
     "more than max_memory (2.0 KB)", 1),
    ("max-memory-not-a-size", lambda k: k.args(None, None, None, "--max-memory", "lots"),
     "max_memory must be a byte count", 1),
    ("pt-larger-than-budget", lambda k: _pt(k, {"w": torch.ones(1000)}) + ["--max-memory", "1KB"],
     "is read whole", 1),
    # .pt / .bin sources
    ("pickle-with-code", _evil_pt, "loaded with weights_only=True", 1),
    ("pt-holds-a-list", lambda k: _pt(k, [torch.ones(2)]), "holds a list, not a state dict", 1),
    ("pt-non-string-key", lambda k: _pt(k, {1: torch.ones(2)}), "keys must be strings", 1),
    ("pt-non-tensor-value", lambda k: _pt(k, {"w": 3}), "entry 'w' is a int, not a Tensor", 1),
    ("pt-garbage", lambda k: ((k.root / "g.pt").write_bytes(b"not a pickle"), k.args(k.root / "g.pt"))[1],
     "cannot read checkpoint file", 1),
    # sources and targets that exist but cannot be used
    ("source-missing", lambda k: k.args(k.root / "nope.safetensors"), "does not exist", 1),
    ("source-unknown-suffix", lambda k: ((k.root / "w.txt").write_text("x"), k.args(k.root / "w.txt"))[1],
     "unknown checkpoint format '.txt'", 1),
    ("source-is-a-config", lambda k: k.args(k.cfg), "only a target may be a config", 1),
    ("source-empty-folder", lambda k: ((k.root / "empty").mkdir(), k.args(k.root / "empty"))[1],
     "holds no model.safetensors", 1),
    ("source-non-finite", _nan_source, "holds non-finite values (nan or inf)", 1),
    ("source-only-integers", _int_source, "holds no real floating-point tensor to transfer (its dtypes: int32)", 1),
    ("unrelated-architectures", _vit_target, "have no common parameter groups to transfer", 1),
    # --out
    ("out-is-source", lambda k: k.args(out=k.src), "is the source", 1),
    ("out-is-source-overwrite", lambda k: k.args(None, None, k.src, "--overwrite"), "is the source", 1),
    ("out-contains-source", lambda k: k.args(None, None, k.root, "--overwrite"), "contains the source", 1),
    ("out-inside-source", lambda k: k.args(None, None, k.src / "sub", "--overwrite"), "lies inside the source", 1),
    ("out-is-target-file", lambda k: k.args(None, None, k.cfg, "--overwrite"), "is the target", 1),
    ("out-contains-target", lambda k: k.args(None, None, k.cfg.parent, "--overwrite"), "contains the target", 1),
    ("out-symlink-to-source", _symlink_out, "the source", 1),
    ("out-is-a-file", lambda k: _existing_out(k, lambda p: p.write_text("x")), "exists and is not a folder", 1),
    ("out-not-empty", lambda k: _existing_out(k, _nonempty), "exists and is not empty", 1),
    ("out-parent-is-a-file", lambda k: ((k.root / "f").write_text("x"), k.args(out=k.root / "f" / "out"))[1],
     "is a file, not a folder", 1),
    ("out-locked", _locked, "is being written by another run", 1),
    ("out-unwritable", lambda k: k.args(out=Path("/proc/front-kernels-test/out")), "cannot write out folder", 1),
    # options
    ("keep-ratio-zero", lambda k: k.args(None, None, None, "--keep-ratio", "0"), "keep_ratio must be a number in (0, 1]", 1),
    ("keep-ratio-above-one", lambda k: k.args(None, None, None, "--keep-ratio", "1.5"), "keep_ratio must be", 1),
    ("keep-ratio-nan", lambda k: k.args(None, None, None, "--keep-ratio", "nan"), "keep_ratio must be", 1),
    ("head-pattern-invalid", lambda k: k.args(None, None, None, "--head-pattern", "("), "head_pattern='(' is not a valid regex", 1),
    ("group-pattern-invalid", lambda k: k.args(None, None, None, "--group-pattern", "("), "group_pattern='(' is not a valid regex", 1),
    ("group-pattern-no-group", lambda k: k.args(None, None, None, "--group-pattern", "h"), "must capture the layer index", 1),
    ("skip-invalid", lambda k: k.args(None, None, None, "--skip", "("), "nor a valid regex", 1),
    ("select-n-zero", lambda k: k.args(None, None, None, "--select-n", "0"), "select_n must be a positive int", 1),
    ("bot-option-with-front", lambda k: k.args(None, None, None, "--wavelet", "db2"), "--wavelet is not an option of --method front", 1),
    ("front-option-with-bot", lambda k: k.args(None, None, None, "--method", "bot", "--keep-ratio", "0.5"),
     "--keep-ratio is not an option of --method bot", 1),
    ("unknown-wavelet", lambda k: k.args(None, None, None, "--method", "bot", "--wavelet", "nosuch"), "nosuch", 1),
    ("unknown-mode", lambda k: k.args(None, None, None, "--method", "bot", "--mode", "nosuch"), "nosuch", 1),
    ("shard-size-zero", lambda k: k.args(None, None, None, "--max-shard-size", "0"), "max_shard_size must be", 1),
    ("shard-size-text", lambda k: k.args(None, None, None, "--max-shard-size", "big"), "max_shard_size must be a byte count", 1),
    ("device-unknown", lambda k: k.args(None, None, None, "--device", "tpu"), "device must be 'cpu' or 'cuda'", 1),
    *([("device-cuda-without-gpu", lambda k: k.args(None, None, None, "--device", "cuda"),
        "CUDA is not available on this machine", 1)] if not torch.cuda.is_available() else []),
    # usage errors: argparse's own line, exit 2
    ("unknown-method", lambda k: k.args(None, None, None, "--method", "xyz"), "argument --method: invalid choice", 2),
    ("select-n-not-int", lambda k: k.args(None, None, None, "--select-n", "two"), "argument --select-n: invalid int", 2),
    ("missing-out", lambda k: k.args()[:4], "the following arguments are required: --out", 2),
    ("unknown-flag", lambda k: k.args(None, None, None, "--frobnicate"), "unrecognized arguments: --frobnicate", 2),
]
def test_there_are_at_least_sixty_cases():
    assert len(CASES) >= 60, len(CASES)


@pytest.mark.parametrize("case, build, message, code", CASES, ids=[c[0] for c in CASES])
def test_bad_input(base, tmp_path, capsys, case, build, message, code):
    root = tmp_path / "w"
    shutil.copytree(base, root, symlinks=True)
    kit = Kit(root)
    argv = build(kit)
    before = _digests(root)
    out_before = _tree_digest(kit.out) if kit.out.exists() or kit.out.is_symlink() else None
    cwd = os.getcwd()
    os.chdir(root)  # a pickle that ran code would leave pwned.txt here
    try:
        if code == 2:
            with pytest.raises(SystemExit) as exc:
                main(["transfer", *argv])
            rc = exc.value.code
        else:
            rc = main(["transfer", *argv])
    finally:
        os.chdir(cwd)
        lock = getattr(kit, "keep_alive", None)
        if lock is not None:
            lock.release()
    err = capsys.readouterr().err
    assert rc == code, err
    lines = err.strip().splitlines()
    assert lines[-1].startswith(ERROR) and message in lines[-1], err
    if code == 1:
        assert len(lines) == 1, err  # one line, no traceback
    assert _digests(root) == before  # source, target and what lies outside are untouched
    if out_before is None:
        assert not kit.out.exists() and not kit.out.is_symlink()
    else:
        assert _tree_digest(kit.out) == out_before
    leftovers = [p.name for p in kit.out.parent.iterdir() if p.name.startswith(".out.")] \
        if kit.out.parent.is_dir() else []
    assert leftovers == []
    assert not (root / "pwned.txt").exists()


def test_no_error_reveals_whether_an_outside_path_exists(base, tmp_path, capsys):
    def message(target):
        root = tmp_path / f"w{len(list(tmp_path.iterdir()))}"
        shutil.copytree(base, root, symlinks=True)
        k = Kit(root)
        assert main(["transfer", *_outside_index(k, target)]) == 1
        return capsys.readouterr().err.replace(str(root), "ROOT").replace(target, "NAME")

    assert message("/etc/passwd") == message("/etc/no-such-file")
    assert message("../outside/x.safetensors") == message("../outside/no-such.safetensors")


def test_inspect_refuses_outside_paths_too(base, tmp_path, capsys):
    root = tmp_path / "w"
    shutil.copytree(base, root, symlinks=True)
    k = Kit(root)
    k.remap("../outside/x.safetensors")
    assert main(["inspect", str(k.sharded)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("front-kernels inspect: error: ") and "not inside the checkpoint folder" in err
    assert "secret" not in err


# --- API: the same refusals as exceptions naming the argument ------------------------------------------

def _api_cases():
    import front_kernels as fk
    from front_kernels.transfer.errors import CheckpointError, MemoryBudgetError
    model = torch.nn.Linear(4, 4)
    return [
        ("regulariser-negative-weight", lambda: fk.SpectralRegularizer(model, weight=-1), ValueError,
         "weight must be a finite number >= 0"),
        ("regulariser-inf-weight", lambda: fk.SpectralRegularizer(model, weight=float("inf")), ValueError,
         "weight must be a finite number"),
        ("regulariser-bool-weight", lambda: fk.SpectralRegularizer(model, weight=True), ValueError,
         "weight must be a finite number"),
        ("transfer-keep-ratio", lambda: fk.transfer({"a.0.w": torch.ones(4, 4)}, {"a.0.w": torch.ones(2, 2)},
                                                    keep_ratio=2), ValueError, "keep_ratio"),
        ("transfer-max-memory", lambda: fk.transfer({"a.0.w": torch.ones(64, 64)}, {"a.0.w": torch.ones(32, 32)},
                                                    max_memory=1000), MemoryBudgetError, "more than max_memory (1.0 KB)"),
        ("transfer-unknown-option", lambda: fk.transfer({"a": torch.ones(2)}, {"a": torch.ones(2)}, nope=1),
         TypeError, "nope"),
        ("transfer-bad-source-type", lambda: fk.transfer(3, {"a": torch.ones(2)}), TypeError, "source must be"),
        ("open-missing-path", lambda: fk.transfer("/no/such/ckpt.safetensors", {"a": torch.ones(2)}),
         CheckpointError, "does not exist"),
    ]


@pytest.mark.parametrize("case", [c[0] for c in _api_cases()])
def test_api_refusals(case):
    _, call, exc_type, fragment = next(c for c in _api_cases() if c[0] == case)
    with pytest.raises(exc_type, match=None) as exc:
        call()
    assert fragment in str(exc.value)

"""``front-kernels transfer`` as real processes: one writer per ``--out``, signals, permissions,
write failures and the memory pre-flight. Each run is a subprocess, as a user starts it."""
from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from front_kernels.transfer.distributed import DELAY_ENV

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """A 6-layer source checkpoint and a 3-layer target checkpoint (deterministic output)."""
    d = tmp_path_factory.mktemp("pair")
    g = torch.Generator().manual_seed(0)
    src = {f"blocks.{i}.{n}.weight": torch.randn(64, 64, generator=g) for i in range(6) for n in ("a", "b", "c")}
    tgt = {f"blocks.{i}.{n}.weight": torch.zeros(32, 32) for i in range(3) for n in ("a", "b", "c")}
    save_file(src, str(d / "src.safetensors"))
    save_file(tgt, str(d / "tgt.safetensors"))
    return d / "src.safetensors", d / "tgt.safetensors"


def _cli(args, env=None, **kw) -> subprocess.Popen:
    full = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "front_kernels.cli", "transfer", *map(str, args),
                             "--no-progress", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=full, **kw)


def _run(args, env=None, **kw) -> subprocess.CompletedProcess:
    p = _cli(args, env, **kw)
    out, err = p.communicate(timeout=120)
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def _wait_for_stage(parent: Path, name: str, proc, timeout=60.0) -> Path:
    t0 = time.time()
    while time.time() - t0 < timeout:
        stages = [p for p in parent.iterdir() if p.name.startswith(f".{name}.partial-")]
        if stages and any(stages[0].iterdir()):
            return stages[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("the run never started writing")


def _names(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir())


def test_a_second_writer_is_refused_at_once_and_the_live_stage_survives(pair, tmp_path):
    src, tgt = pair
    out = tmp_path / "out"
    first = _cli(["--source", src, "--target", tgt, "--out", out, "--max-shard-size", "4KB"], {DELAY_ENV: "4"})
    stage = _wait_for_stage(tmp_path, "out", first)
    t0 = time.time()
    second = _run(["--source", src, "--target", tgt, "--out", out, "--overwrite"])
    assert time.time() - t0 < 30
    assert second.returncode == 1
    assert second.stderr.strip().splitlines()[-1] == (
        f"front-kernels transfer: error: out folder {out} is being written by another run "
        f"(it holds {tmp_path / '.out.lock'}); wait for it to finish")
    assert stage.is_dir()  # the live run's staging folder was not removed
    first.send_signal(signal.SIGINT)
    _, err = first.communicate(timeout=120)
    assert first.returncode == 130, err
    assert _names(tmp_path) == []  # no out, no stage, no lock file left


@pytest.mark.parametrize("sig, code, line", [(signal.SIGINT, 130, "front-kernels transfer: interrupted"),
                                              (signal.SIGTERM, 143, "front-kernels transfer: interrupted (SIGTERM)"),
                                              (signal.SIGKILL, -9, None)])
def test_a_signal_mid_run_leaves_nothing_and_the_rerun_is_bit_identical(pair, tmp_path, sig, code, line):
    """SIGINT / SIGTERM: nothing is left; SIGKILL: only hidden files, which the rerun removes."""
    src, tgt = pair
    clean = _run(["--source", src, "--target", tgt, "--out", tmp_path / "clean", "--max-shard-size", "4KB"])
    assert clean.returncode == 0, clean.stderr
    out = tmp_path / "out"
    proc = _cli(["--source", src, "--target", tgt, "--out", out, "--max-shard-size", "4KB"], {DELAY_ENV: "0.3"})
    _wait_for_stage(tmp_path, "out", proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    left = [n for n in _names(tmp_path) if n != "clean"]
    if line is not None:
        assert err.strip().splitlines() == [line]
        assert left == []  # no out, no staging folder, no lock file
    else:
        assert left and all(n.startswith(".out.partial-") or n == ".out.lock" for n in left), left
    rerun = _run(["--source", src, "--target", tgt, "--out", out, "--max-shard-size", "4KB"])
    assert rerun.returncode == 0, rerun.stderr
    assert _names(tmp_path) == ["clean", "out"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in (tmp_path / "clean").iterdir())
    for f in sorted((tmp_path / "clean").iterdir()):
        if f.suffix == ".safetensors" or f.name.endswith("index.json"):
            assert (out / f.name).read_bytes() == f.read_bytes(), f.name


@pytest.mark.parametrize("umask, file_mode, dir_mode", [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700),
                                                        (0o002, 0o664, 0o775)])
def test_output_permissions_follow_the_umask(pair, tmp_path, umask, file_mode, dir_mode):
    src, tgt = pair
    out = tmp_path / "a" / "out"
    res = _run(["--source", src, "--target", tgt, "--out", out, "--max-shard-size", "4KB"],
               preexec_fn=lambda: os.umask(umask))
    assert res.returncode == 0, res.stderr
    assert (out.stat().st_mode & 0o777) == dir_mode
    assert (out.parent.stat().st_mode & 0o777) == dir_mode
    files = list(out.iterdir())
    assert len(files) > 3 and all((f.stat().st_mode & 0o777) == file_mode for f in files), \
        [(f.name, oct(f.stat().st_mode)) for f in files]


def test_a_write_failure_is_one_error_line_and_leaves_nothing(pair, tmp_path):
    src, tgt = pair
    out = tmp_path / "out"

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    res = _run(["--source", src, "--target", tgt, "--out", out], preexec_fn=limit)
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [
        f"front-kernels transfer: error: cannot write model.safetensors of out folder {out}: File too large"]
    assert _names(tmp_path) == []


# The child's own peak: VmHWM of its address space, which exec starts afresh. (getrusage's ru_maxrss
# is preserved across fork and exec, so it would report the test process's peak, not the child's.)
MEASURED = ("import re, sys\nfrom pathlib import Path\nfrom front_kernels.cli import main\nrc = main(sys.argv[1:])\n"
            "hwm = re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text()).group(1)\n"
            "print(f'max RSS {hwm}', file=sys.stdout)\nsys.exit(rc)")


def test_a_giant_config_is_refused_in_seconds_without_allocating(pair, tmp_path):
    src, _ = pair
    (tmp_path / "giant.json").write_text(json.dumps({"model_type": "bert", "hidden_size": 1_000_000,
                                                     "num_attention_heads": 1, "num_hidden_layers": 2,
                                                     "intermediate_size": 64, "vocab_size": 1000}))
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    t0 = time.time()
    res = subprocess.run([sys.executable, "-c", MEASURED, "transfer", "--source", str(src), "--target",
                          str(tmp_path / "giant.json"), "--out", str(tmp_path / "out"), "--no-progress"],
                         capture_output=True, text=True, env=env, timeout=120)
    took = time.time() - t0
    assert res.returncode == 1
    err = res.stderr.strip().splitlines()
    assert len(err) == 1 and "set by hidden_size=1000000" in err[0] and "describes a model of" in err[0], err
    assert took < 60
    max_rss_kib = int(res.stdout.split("max RSS ")[1].split()[0])
    assert max_rss_kib < 2 * 2 ** 20  # the process stayed under 2 GiB; the model it describes needs 9 TB
    assert _names(tmp_path) == ["giant.json"]


def test_a_config_with_absurd_layer_count_is_refused_before_building(tmp_path):
    from front_kernels.transfer.errors import MemoryBudgetError
    from front_kernels.transfer.loading import load_config
    from front_kernels.transfer.preflight import check_config_target
    (tmp_path / "c.json").write_text(json.dumps({"model_type": "gpt2", "n_layer": 10 ** 8, "n_embd": 8,
                                                 "n_head": 1}))
    t0 = time.time()
    with pytest.raises(MemoryBudgetError, match="n_layer=100000000 asks for more than 10000"):
        check_config_target(load_config(tmp_path / "c.json"), "c.json")
    assert time.time() - t0 < 5


def test_a_symlinked_out_is_replaced_not_written_through(pair, tmp_path):
    src, tgt = pair
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    out = tmp_path / "out"
    out.symlink_to(victim)
    res = _run(["--source", src, "--target", tgt, "--out", out, "--overwrite"])
    assert res.returncode == 0, res.stderr
    assert not out.is_symlink() and (out / "model.safetensors").is_file()
    assert sorted(p.name for p in victim.iterdir()) == ["precious.txt"]
    assert (victim / "precious.txt").read_text() == "keep me"

"""``front-kernels transfer`` and ``front-kernels inspect``: loadable output
folders, sharding, reports, errors that write nothing, atomic output."""
from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.fft as sf
import torch

import front_kernels as fk
from front_kernels.cli import main
from test_transfer_models import build, randomised, tiny_bert_config


@pytest.fixture(scope="module")
def bert_source(tmp_path_factory):
    d = tmp_path_factory.mktemp("src")
    model = build(tiny_bert_config(hidden=32, layers=4))
    model.load_state_dict(randomised(model, seed=7))
    model.save_pretrained(d / "bert")
    small = tiny_bert_config(hidden=16, layers=2, heads=2, inter=32)
    small.to_json_file(str(d / "small.json"))
    return d / "bert", d / "small.json", model


def leftovers(parent, name):
    return [p.name for p in parent.iterdir() if p.name.startswith(f".{name}.")]


@pytest.mark.parametrize("method", ["front", "bot"])
def test_transfer_to_a_config_writes_a_loadable_sharded_folder(bert_source, tmp_path, method, capsys):
    src, cfg, _ = bert_source
    out = tmp_path / "student"
    rc = main(["transfer", "--source", str(src), "--target", str(cfg), "--method", method, "--out", str(out),
               "--max-shard-size", "20KB", "--no-progress"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "encoder.layer.{i}.attention.self.query.weight [4 layers]" in printed
    index = json.loads((out / "model.safetensors.index.json").read_text())
    shards = set(index["weight_map"].values())
    assert len(shards) > 1 and all((out / s).is_file() for s in shards)
    assert json.loads((out / "config.json").read_text())["hidden_size"] == 16
    report = json.loads((out / "transfer_report.json").read_text())
    assert report["method"] == method and report["counts"]["transfer"] > 0
    assert (out / "transfer_report.txt").read_text().startswith(f"{method.upper()} transfer")
    from transformers import BertModel
    model = BertModel.from_pretrained(out)
    want = fk.transfer(src, cfg, method=method)
    for k, v in model.state_dict().items():
        if report_row(report, k)["action"] in ("transfer", "copy"):
            torch.testing.assert_close(v, want[k], rtol=0, atol=0)
    y = model(input_ids=torch.randint(0, 99, (2, 5))).last_hidden_state
    assert y.shape == (2, 5, 16) and torch.isfinite(y).all()
    assert not leftovers(tmp_path, "student")


def report_row(report, name):
    return next(r for r in report["parameters"] if r["name"] == name)


def test_transfer_to_a_checkpoint_target(bert_source, tmp_path):
    src, _, _ = bert_source
    target = build(tiny_bert_config(hidden=16, layers=2, heads=2, inter=32)).state_dict()
    from safetensors.torch import load_file, save_file
    save_file(target, str(tmp_path / "target.safetensors"))
    rc = main(["transfer", "--source", str(src), "--target", str(tmp_path / "target.safetensors"),
               "--out", str(tmp_path / "out"), "--no-progress", "--quiet", "--depth-mode", "consistence"])
    assert rc == 0
    got = load_file(str(tmp_path / "out" / "model.safetensors"))
    want = fk.transfer(src, target, depth_mode="consistence")
    assert set(got) == set(want)
    for k in want:
        torch.testing.assert_close(got[k], want[k], rtol=0, atol=0)
    assert not (tmp_path / "out" / "config.json").exists()


def run_failing(args, tmp_path, capsys, match):
    out = tmp_path / "out"
    rc = main(["transfer", *args, "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 1
    assert match in err, err
    assert not out.exists() and not leftovers(tmp_path, "out")


def test_errors_write_nothing(bert_source, tmp_path, capsys):
    src, cfg, model = bert_source
    bad = {k: v.clone() for k, v in model.state_dict().items()}
    bad["encoder.layer.1.output.dense.weight"][0, 0] = float("nan")
    from safetensors.torch import save_file
    save_file(bad, str(tmp_path / "nan.safetensors"))
    run_failing(["--source", str(tmp_path / "nan.safetensors"), "--target", str(cfg)], tmp_path, capsys,
                "'encoder.layer.1.output.dense.weight' holds non-finite values")
    broken = tiny_bert_config(hidden=30, heads=4)
    broken.to_json_file(str(tmp_path / "broken.json"))
    run_failing(["--source", str(src), "--target", str(tmp_path / "broken.json")], tmp_path, capsys,
                "broken.json")
    data = (src / "model.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) - 1000])
    run_failing(["--source", str(tmp_path / "cut.safetensors"), "--target", str(cfg)], tmp_path, capsys,
                "cut.safetensors")
    run_failing(["--source", str(src), "--target", str(cfg), "--wavelet", "db2"], tmp_path, capsys,
                "--wavelet is not an option of --method front")


def test_existing_output_is_not_overwritten_unless_asked(bert_source, tmp_path, capsys):
    src, cfg, _ = bert_source
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    args = ["transfer", "--source", str(src), "--target", str(cfg), "--out", str(out), "--no-progress", "--quiet"]
    assert main(args) == 1 and "not empty" in capsys.readouterr().err
    assert (out / "keep.txt").exists()
    assert main(args + ["--overwrite"]) == 0
    assert (out / "model.safetensors").is_file() and not (out / "keep.txt").exists()


def test_interrupted_write_leaves_no_complete_looking_output(bert_source, tmp_path, monkeypatch, capsys):
    src, cfg, _ = bert_source
    from front_kernels.transfer import safetensors_io
    real = safetensors_io.SafetensorsWriter.close
    calls = []

    def flaky(self):
        calls.append(self.path)
        real(self)  # the shard is written in full ...
        if len(calls) == 2:
            raise KeyboardInterrupt  # ... and the run is stopped before the folder is renamed

    monkeypatch.setattr(safetensors_io.SafetensorsWriter, "close", flaky)
    rc = main(["transfer", "--source", str(src), "--target", str(cfg), "--out", str(tmp_path / "out"),
               "--max-shard-size", "20KB", "--no-progress", "--quiet"])
    assert rc == 130 and capsys.readouterr().err == "front-kernels transfer: interrupted\n"
    assert len(calls) == 2
    assert not (tmp_path / "out").exists() and not leftovers(tmp_path, "out")


def test_inspect_prints_groups_and_energy(bert_source, capsys):
    src, _, model = bert_source
    assert main(["inspect", str(src), "--keep-ratio", "0.25"]) == 0
    out = capsys.readouterr().out
    assert "encoder.layer.{i}.attention.self.query.weight" in out
    w = model.state_dict()["encoder.layer.0.attention.self.query.weight"].double().numpy()
    z = (w - w.mean()) / (w.std(ddof=1) + 1e-8)
    c = sf.dctn(z, norm="ortho")
    share = (c[:8, :8] ** 2).sum() / (c ** 2).sum()
    line = next(l for l in out.splitlines() if l.startswith("encoder.layer.0.attention.self.query.weight "))
    assert line.split()[-1] == f"{100 * share:6.2f}%".strip()
    assert main(["inspect", str(src / "missing.safetensors")]) == 1
    assert "missing.safetensors" in capsys.readouterr().err

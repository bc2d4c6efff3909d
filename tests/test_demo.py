"""The demo's pieces (data, ViT, weight selection, spectrum, table) and a shrunk end-to-end run."""
from __future__ import annotations

import dataclasses
import json
import math
import runpy
from pathlib import Path

import numpy as np
import pytest
import scipy.fft
import torch

from front_kernels.cli import main as cli_main
from front_kernels.demo import (INITS, DemoConfig, ViTConfig, VisionTransformer, band_shares, format_table,
                                initial_state, load_digits_split, run_demo, select_weights)
from front_kernels.demo.command import config_from_args, quick_config
from front_kernels.demo.pipeline import summarise
from front_kernels.demo.data import random_shift
from front_kernels.demo.plots import epochs_to_reach
from front_kernels.demo.select import evenly_spaced

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def one_thread():
    # tiny matmuls: one thread avoids oversubscription on shared CI cores
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def test_digits_split_is_fixed_stratified_and_standardised():
    a, b = load_digits_split(seed=0), load_digits_split(seed=0)
    assert a.x_train.shape == (1257, 1, 8, 8) and a.x_test.shape == (540, 1, 8, 8)
    assert torch.equal(a.x_test, b.x_test) and torch.equal(a.y_train, b.y_train)
    assert not torch.equal(a.y_test, load_digits_split(seed=1).y_test)
    counts = torch.bincount(a.y_test, minlength=10)
    assert counts.min() >= 52 and counts.max() <= 56  # stratified: ~54 of each class
    assert abs(float(a.x_train.mean())) < 1e-5 and abs(float(a.x_train.std()) - 1) < 1e-5


def test_random_shift_is_a_translation():
    x = torch.randn(20, 1, 8, 8)
    y = random_shift(x, torch.Generator().manual_seed(0))
    fill = float(x.min())
    padded = torch.nn.functional.pad(x[:, 0], (1, 1, 1, 1), value=fill)
    for i in range(20):
        options = [padded[i, dy:dy + 8, dx:dx + 8] for dy in range(3) for dx in range(3)]
        assert any(torch.equal(y[i, 0], o) for o in options)
    assert torch.equal(random_shift(x, torch.Generator(), max_shift=0), x)


def test_vit_names_and_shapes():
    model = VisionTransformer(ViTConfig(depth=2, embed_dim=24, num_heads=2))
    names = dict(model.named_parameters())
    for n in ["cls_token", "pos_embed", "patch_embed.proj.weight", "blocks.1.attn.qkv.weight",
              "blocks.1.attn.proj.weight", "blocks.1.mlp.fc1.weight", "blocks.1.mlp.fc2.weight",
              "blocks.0.norm1.weight", "blocks.0.norm2.weight", "norm.weight", "head.weight"]:
        assert n in names, n
    assert names["blocks.0.attn.qkv.weight"].shape == (72, 24)
    assert names["pos_embed"].shape == (1, 17, 24)
    assert model(torch.randn(5, 1, 8, 8)).shape == (5, 10)
    with pytest.raises(ValueError, match="num_heads"):
        ViTConfig(embed_dim=10, num_heads=3)
    with pytest.raises(ValueError, match="depth"):
        ViTConfig(depth=0)


def test_evenly_spaced_layers():
    assert [evenly_spaced(i, 6, 3) for i in range(3)] == [0, 3, 5]
    assert [evenly_spaced(i, 6, 8) for i in range(8)] == [0, 1, 1, 2, 3, 4, 4, 5]
    assert [evenly_spaced(i, 4, 4) for i in range(4)] == [0, 1, 2, 3]
    assert evenly_spaced(0, 5, 1) == 0


def test_select_weights_copies_leading_block_of_evenly_spaced_layers():
    src = VisionTransformer(ViTConfig(depth=4, embed_dim=16, num_heads=2))
    small = VisionTransformer(ViTConfig(depth=2, embed_dim=8, num_heads=2))
    large = VisionTransformer(ViTConfig(depth=5, embed_dim=24, num_heads=2))
    s = src.state_dict()
    out = select_weights(src, small)
    assert set(out) == set(small.state_dict())
    assert torch.equal(out["blocks.1.mlp.fc1.weight"], s["blocks.3.mlp.fc1.weight"][:32, :8])
    assert torch.equal(out["blocks.0.attn.qkv.weight"], s["blocks.0.attn.qkv.weight"][:24, :8])
    assert torch.equal(out["pos_embed"], s["pos_embed"][:, :, :8])
    before = {k: v.clone() for k, v in large.state_dict().items()}
    out = select_weights(s, large)
    w = out["blocks.2.mlp.fc2.weight"]  # source layer floor(2 * 3/4 + 1/2) = 2
    assert torch.equal(w[:16, :64], s["blocks.2.mlp.fc2.weight"])
    assert torch.equal(w[16:], before["blocks.2.mlp.fc2.weight"][16:])
    assert torch.equal(w[:, 64:], before["blocks.2.mlp.fc2.weight"][:, 64:])
    assert all(torch.equal(before[k], v) for k, v in large.state_dict().items())  # target untouched


def test_band_shares_against_scipy_basis_functions():
    n1, n2 = 12, 8
    for (i, j), band in {(1, 1): 0, (2, 1): 0, (3, 0): 1, (0, 5): 2, (11, 7): 3, (6, 3): 2}.items():
        coef = np.zeros((n1, n2))
        coef[i, j] = 1.0
        w = torch.from_numpy(scipy.fft.idctn(coef, norm="ortho"))
        shares = band_shares(w, bands=4)
        assert math.isclose(sum(shares), 1.0, rel_tol=1e-12)
        assert shares[band] > 1 - 1e-9, ((i, j), shares)


def _run(init, source, seed, acc0, curve):
    return {"target": "t", "init": init, "source": source, "seed": seed, "initial_accuracy": acc0,
            "initial_loss": 2.0 - acc0, "curve": curve, "final_accuracy": curve[-1]}


def test_summary_pairs_runs_and_table_verdicts():
    assert epochs_to_reach([0.2, 0.5, 0.7], 0.5) == 2
    assert epochs_to_reach([0.2, 0.5], 0.9) is None
    runs = []
    for source in (0, 1):
        for seed in (0, 1, 2):
            noise = 0.01 * (3 * source + seed)
            runs.append(_run("random", source, seed, 0.1, [0.3 + noise, 0.6 + noise]))
            runs.append(_run("front", source, seed, 0.5, [0.7 + noise, 0.8 + noise + 0.001 * seed]))
            runs.append(_run("bot", source, seed, 0.1, [0.2 + noise, 0.5 + noise - 0.002 * seed]))
            runs.append(_run("select", source, seed, 0.1, [0.3 + noise, 0.6 + noise + 0.01 * (-1) ** seed]))
    summary = summarise(runs)["t"]
    front = summary["front"]
    assert front["n"] == 6 and math.isclose(front["final_vs_random"]["mean"], 0.2 + 0.001, rel_tol=1e-9)
    assert front["final_vs_random"]["low"] > 0 and front["initial_vs_random"]["mean"] == pytest.approx(0.4)
    assert front["epochs_to_random_final"] == 1 and summary["bot"]["epochs_to_random_final"] is None
    assert summary["bot"]["final_vs_random"]["high"] < 0
    assert summary["select"]["final_vs_random"]["low"] < 0 < summary["select"]["final_vs_random"]["high"]
    m, sd = summary["random"]["final_accuracy"]
    finals = [r["final_accuracy"] for r in runs if r["init"] == "random"]
    assert math.isclose(m, float(np.mean(finals))) and math.isclose(sd, float(np.std(finals, ddof=1)))
    table = format_table({"runs": runs}).splitlines()
    line = {init: next(row for row in table if f" {init} " in row) for init in ("front", "bot", "select")}
    assert "better" in line["front"] and "+20.1 [" in line["front"] and "50.0 ± 0.0" in line["front"]
    assert "WORSE than random" in line["bot"] and "never" in line["bot"]
    assert "no clear difference" in line["select"]


def test_initial_state_bad_name():
    m = VisionTransformer(ViTConfig(depth=1, embed_dim=8, num_heads=1))
    with pytest.raises(ValueError, match="init"):
        initial_state("magic", m, m, None)
    with pytest.raises(ValueError, match="inits"):
        DemoConfig(inits=("random", "magic"))
    with pytest.raises(ValueError, match="seeds"):
        DemoConfig(seeds=0)
    with pytest.raises(ValueError, match="variants"):
        DemoConfig(variants={"x": ("dwt", {})})
    with pytest.raises(ValueError, match="--seeds"):
        config_from_args(type("A", (), {"quick": True, "epochs": None, "source_epochs": None, "seeds": 0,
                                        "sources": None, "jobs": None})())


def test_cli_demo_quick_end_to_end_and_cache(tmp_path, one_thread, capsys):
    out, cache = tmp_path / "out", tmp_path / "cache"
    rc = cli_main(["demo", "--quick", "--out", str(out), "--cache-dir", str(cache), "--no-progress"])
    assert rc == 0
    printed = capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())
    cfg = quick_config()
    assert len(results["runs"]) == len(cfg.targets) * len(INITS) * cfg.seeds * cfg.sources
    assert {r["init"] for r in results["runs"]} == set(INITS)
    assert {(r["source"], r["seed"]) for r in results["runs"]} == {(0, s) for s in range(cfg.seeds)}
    for r in results["runs"]:
        assert len(r["curve"]) == cfg.finetune.epochs == len(r["losses"]) and r["final_accuracy"] == r["curve"][-1]
        assert all(0 <= a <= 1 for a in r["curve"]) and 0 <= r["initial_accuracy"] <= 1 and r["initial_loss"] > 0
    # the transfers of one (source, seed, target) differ from random init only in their weights: the
    # random runs of two seeds start from different draws
    rand = [r for r in results["runs"] if r["init"] == "random" and r["target"].startswith("larger")]
    assert rand[0]["initial_loss"] != rand[1]["initial_loss"]
    for target, rows in results["summary"].items():
        for init, row in rows.items():
            assert f"{100 * row['final_accuracy'][0]:.1f}" in printed
            assert row["n"] == cfg.seeds and (init == "random") == ("final_vs_random" not in row)
    assert (out / "convergence.png").stat().st_size > 0 and (out / "spectrum.png").stat().st_size > 0
    assert results["sources"][0]["from_cache"] is False
    assert "final - random [95% CI]" in printed and "vs random" in printed and "epoch 0 acc" in printed
    # a second run loads the source and the refined source from the cache
    again = run_demo(dataclasses.replace(cfg, inits=("random", "front+reg"), seeds=1), tmp_path / "out2",
                     cache_dir=cache, progress=False, plots=False)
    assert again["sources"][0]["from_cache"] and again["sources"][0]["refined"]["from_cache"]
    assert again["sources"][0]["test_accuracy"] == results["sources"][0]["test_accuracy"]


def test_demo_runs_the_same_in_worker_processes(tmp_path, one_thread):
    """Two spawned workers give the numbers of the in-process run (each run seeds itself)."""
    cfg = dataclasses.replace(quick_config(), inits=("random", "bot"), seeds=2,
                              targets={"larger": ViTConfig(depth=3, embed_dim=24, num_heads=2)})
    one = run_demo(dataclasses.replace(cfg, jobs=1), tmp_path / "a", cache_dir=tmp_path / "c", progress=False,
                   plots=False)
    two = run_demo(dataclasses.replace(cfg, jobs=2), tmp_path / "b", cache_dir=tmp_path / "c", progress=False,
                   plots=False)
    key = lambda r: (r["source"], r["seed"], r["target"], r["init"])  # noqa: E731
    for a, b in zip(sorted(one["runs"], key=key), sorted(two["runs"], key=key)):
        assert key(a) == key(b) and a["curve"] == b["curve"] and a["initial_loss"] == b["initial_loss"]


@pytest.mark.parametrize("recipe", ["digits_demo.py", "regularizer_recipe.py"])
def test_recipes_run_quick(recipe, one_thread, monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", [recipe, "--quick"])
    namespace = runpy.run_path(str(ROOT / "python" / recipe))
    result = namespace["main"](["--quick"])
    assert result
    assert "test accuracy" in capsys.readouterr().out


def test_t_quantiles_and_paired_interval_against_scipy():
    import scipy.stats

    from front_kernels.demo.stats import mean_sd, paired_difference, t_quantile_975

    for df in (1, 2, 5, 17, 30, 31, 45, 120, 1000):
        assert abs(t_quantile_975(df) - scipy.stats.t.ppf(0.975, df)) < 1e-3, df
    rng = np.random.default_rng(0)
    a, b = rng.normal(0.8, 0.05, 6), rng.normal(0.75, 0.05, 6)
    d = paired_difference(a, b)
    ci = scipy.stats.ttest_rel(a, b).confidence_interval(0.95)
    assert d["n"] == 6 and math.isclose(d["mean"], float(np.mean(a - b)), rel_tol=1e-12)
    assert abs(d["low"] - ci.low) < 1e-3 * abs(ci.high - ci.low) and abs(d["high"] - ci.high) < 1e-3 * abs(ci.high - ci.low)
    m, sd = mean_sd(a)
    assert math.isclose(m, a.mean(), rel_tol=1e-12) and math.isclose(sd, a.std(ddof=1), rel_tol=1e-12)
    assert math.isnan(mean_sd([0.5])[1]) and math.isnan(paired_difference([0.5], [0.4])["low"])
    with pytest.raises(ValueError, match="equally many"):
        paired_difference([1, 2], [1])

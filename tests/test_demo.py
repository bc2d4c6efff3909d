"""The demo's pieces (data, ViT, weight selection, spectrum, table) and a shrunk end-to-end run."""
from __future__ import annotations

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
from front_kernels.demo.command import quick_config
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


def test_epochs_to_reach_and_table_verdicts():
    assert epochs_to_reach([0.2, 0.5, 0.7], 0.5) == 2
    assert epochs_to_reach([0.2, 0.5], 0.9) is None
    runs = [
        {"target": "t", "init": "random", "curve": [0.3, 0.6], "final_accuracy": 0.6, "initial_accuracy": 0.1},
        {"target": "t", "init": "front", "curve": [0.7, 0.8], "final_accuracy": 0.8, "initial_accuracy": 0.5},
        {"target": "t", "init": "bot", "curve": [0.2, 0.5], "final_accuracy": 0.5, "initial_accuracy": 0.1},
    ]
    table = format_table({"runs": runs}).splitlines()
    front = next(line for line in table if " front " in line)
    bot = next(line for line in table if " bot " in line)
    assert "better" in front and "1 epoch(s) sooner" in front and "+20.0" in front
    assert "NOT better than random" in bot and "never" in bot and "-10.0" in bot


def test_initial_state_bad_name():
    m = VisionTransformer(ViTConfig(depth=1, embed_dim=8, num_heads=1))
    with pytest.raises(ValueError, match="init"):
        initial_state("magic", m, m, None)
    with pytest.raises(ValueError, match="inits"):
        run_demo(DemoConfig(inits=("random", "magic")), "/nonexistent-never-created")


def test_cli_demo_quick_end_to_end_and_cache(tmp_path, one_thread, capsys):
    out, cache = tmp_path / "out", tmp_path / "cache"
    rc = cli_main(["demo", "--quick", "--out", str(out), "--cache-dir", str(cache), "--no-progress"])
    assert rc == 0
    printed = capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())
    cfg = quick_config()
    assert len(results["runs"]) == len(cfg.targets) * len(INITS)
    assert {r["init"] for r in results["runs"]} == set(INITS)
    for r in results["runs"]:
        assert len(r["curve"]) == cfg.finetune.epochs and r["final_accuracy"] == r["curve"][-1]
        assert all(0 <= a <= 1 for a in r["curve"])
        assert f"{100 * r['final_accuracy']:.1f}" in printed
    assert (out / "convergence.png").stat().st_size > 0 and (out / "spectrum.png").stat().st_size > 0
    assert results["source"]["from_cache"] is False
    assert "to random's final" in printed and "vs random" in printed
    # a second run loads the source and the refined source from the cache
    again = run_demo(DemoConfig(**{**cfg.__dict__, "inits": ("random", "front+reg")}), tmp_path / "out2",
                     cache_dir=cache, progress=False, plots=False)
    assert again["source"]["from_cache"] and again["refined_source"]["from_cache"]
    assert again["source"]["test_accuracy"] == results["source"]["test_accuracy"]


@pytest.mark.parametrize("recipe", ["digits_demo.py", "regularizer_recipe.py"])
def test_recipes_run_quick(recipe, one_thread, monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", [recipe, "--quick"])
    namespace = runpy.run_path(str(ROOT / "python" / recipe))
    result = namespace["main"](["--quick"])
    assert result
    assert "test accuracy" in capsys.readouterr().out

"""BoT's layer-selection depth rules (``depth_shrink`` / ``depth_grow``): the maps, their numbers against a
plain copy of the selected layers, and a grown ViT that keeps its source's function."""
from __future__ import annotations

import numpy as np
import pytest
import pywt
import torch

import front_kernels as fk
from front_kernels.demo import ViTConfig
from front_kernels.demo.pipeline import build_model
from front_kernels.transfer import BotOptions, transfer_group
from front_kernels.transfer.depth import evenly_spaced, layer_matrix


def test_layer_matrices_for_growth_and_shrinking():
    src = [evenly_spaced(i, 3, 6) for i in range(6)]
    assert src == [0, 0, 1, 1, 2, 2]
    sel = layer_matrix(3, 6, "select").numpy()
    np.testing.assert_array_equal(sel, np.eye(3)[src])
    np.testing.assert_array_equal(layer_matrix(3, 6, "select", True).numpy(), sel)
    np.testing.assert_array_equal(layer_matrix(3, 6, "split", False).numpy(), sel)
    np.testing.assert_array_equal(layer_matrix(3, 6, "split", True).numpy(), sel / 2)
    ident = layer_matrix(3, 6, "identity", True).numpy()
    np.testing.assert_array_equal(ident, np.eye(3)[src] * np.array([[1], [0], [1], [0], [1], [0]]))
    # 6 -> 8: layers 1 and 4 are repeated, so their copies share
    split = layer_matrix(6, 8, "split", True).numpy()
    np.testing.assert_allclose(split.sum(axis=0), np.ones(6))
    # shrinking: every rule is the same selection, first and last layer kept
    for rule in ("select", "split", "identity"):
        np.testing.assert_array_equal(layer_matrix(6, 3, rule, True).numpy(), np.eye(6)[[0, 3, 5]])
    with pytest.raises(ValueError, match="depth rule"):
        layer_matrix(3, 6, "wavelet")


def _layers(L, shape, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(0.1 * rng.normal(), 0.5 + rng.random(), size=shape) for _ in range(L)]


@pytest.mark.parametrize("rule", ["select", "split", "identity"])
@pytest.mark.parametrize("key,residual", [("blocks.{i}.mlp.fc1.weight", False), ("blocks.{i}.mlp.fc2.weight", True),
                                          ("blocks.{i}.attn.proj.bias", True), ("layer.{i}.output.dense.weight", True),
                                          ("h.{i}.mlp.c_proj.weight", True), ("layers.{i}.mlp.down_proj.weight", True)])
def test_selected_layers_are_resized_copies(rule, key, residual):
    shape, target = ((8, 6), (16, 12)) if key.endswith("weight") else ((8,), (16,))
    ws = _layers(3, shape, seed=1)
    got = transfer_group(key, [torch.from_numpy(w) for w in ws], [target] * 6,
                         BotOptions(rescale="reference", depth_grow=rule))
    weights = layer_matrix(3, 6, rule, residual).numpy()
    for i, g in enumerate(got):
        k = evenly_spaced(i, 3, 6)
        want = ws[k]
        for axis in range(want.ndim):
            want = pywt.idwt(want, None, "haar", mode="periodization", axis=axis)
        np.testing.assert_allclose(g.numpy(), weights[i, k] * want, rtol=1e-12, atol=1e-12)


def test_selected_layers_under_std_take_their_source_layers_statistics():
    ws = _layers(4, (8, 6), seed=2)
    got = transfer_group("blocks.{i}.mlp.fc2.weight", [torch.from_numpy(w) for w in ws], [(4, 3)] * 8,
                         BotOptions(rescale="std", depth_grow="split"))
    for i, g in enumerate(got):
        k = evenly_spaced(i, 4, 8)
        share = float(layer_matrix(4, 8, "split", True)[i, k])
        assert abs(g.numpy().mean() - share * ws[k].mean()) < 1e-10
        assert abs(g.numpy().std(ddof=1) - share * ws[k].std(ddof=1)) < 1e-7


def test_depth_rules_are_checked_and_reported():
    with pytest.raises(ValueError, match="depth_grow"):
        BotOptions(depth_grow="layers")
    with pytest.raises(ValueError, match="depth_shrink"):
        BotOptions(depth_shrink="identity")
    with pytest.raises(ValueError, match="residual_out_pattern"):
        BotOptions(residual_out_pattern="(")
    src = build_model(ViTConfig(depth=2, embed_dim=16, num_heads=2), 0)
    tgt = build_model(ViTConfig(depth=4, embed_dim=16, num_heads=2), 1)
    report = fk.transfer_report(src.state_dict(), tgt, method="bot", depth_grow="identity")
    assert "zero in every copy but the first" in report["blocks.0.mlp.fc2.weight"].detail
    assert "zero in every copy" not in report["blocks.0.mlp.fc1.weight"].detail
    assert report["blocks.0.mlp.fc1.weight"].detail.startswith("BoT layer selection (identity)")


def test_identity_rule_keeps_a_deeper_vit_exactly():
    """Depth 3 -> 6 with the identity rule: every second block adds zero, so the logits are the source's."""
    src = build_model(ViTConfig(depth=3, embed_dim=24, num_heads=2), 0)
    tgt = build_model(ViTConfig(depth=6, embed_dim=24, num_heads=2), 1)
    tgt.load_state_dict(fk.transfer(src, tgt, method="bot", depth_grow="identity"))
    x = torch.randn(16, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(tgt(x), src(x), rtol=1e-5, atol=1e-5)


def test_doubling_the_demo_vit_with_bot_defaults_keeps_its_function():
    """The demo's source ViT (6 x 96, 3 heads), trained briefly on digits, grown to 12 x 192 (3 heads of
    twice the width) by BoT with its defaults: before any fine-tuning the grown network classifies the
    test set within 5 points of its source (a random 12 x 192 init is at chance, ~10%)."""
    import dataclasses

    from front_kernels.demo.data import load_digits_split
    from front_kernels.demo.pipeline import DemoConfig
    from front_kernels.demo.train import evaluate, train

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cfg = DemoConfig()
        data = load_digits_split(seed=0)
        source = build_model(cfg.source, 0)
        train(source, data, dataclasses.replace(cfg.source_train, epochs=6))
        acc_source = evaluate(source, data.x_test, data.y_test)
        assert acc_source > 0.85, acc_source
        grown = build_model(ViTConfig(depth=12, embed_dim=192, num_heads=3), 1)
        acc_random = evaluate(grown, data.x_test, data.y_test)
        grown.load_state_dict(fk.transfer(source, grown, method="bot"))
        acc_grown = evaluate(grown, data.x_test, data.y_test)
    finally:
        torch.set_num_threads(before)
    assert acc_random < 0.3
    assert acc_grown > acc_source - 0.05, (acc_source, acc_grown)


def test_no_wavelet_label_where_no_wavelet_level_ran():
    """6 x 96 -> 8 x 128 (ratios below 2): no parameter is labelled with the wavelet; 6 x 96 -> 3 x 48 is."""
    src = build_model(ViTConfig(depth=6, embed_dim=96, num_heads=3), 0)
    grown = fk.transfer_report(src.state_dict(), build_model(ViTConfig(depth=8, embed_dim=128, num_heads=4), 1),
                               method="bot")
    details = [row.detail for row in grown.rows if row.action == "transfer"]
    assert details and not any("haar" in d for d in details), [d for d in details if "haar" in d][:3]
    assert all("no wavelet level" in d or d.startswith("BoT layer selection") for d in details)
    shrunk = fk.transfer_report(src.state_dict(), build_model(ViTConfig(depth=3, embed_dim=48, num_heads=2), 1),
                                method="bot")
    assert all("haar" in row.detail for row in shrunk.rows if row.action == "transfer")

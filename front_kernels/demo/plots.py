"""Figures of the demo: convergence curves and the spectrum of the source's weights."""
from __future__ import annotations

import re

import torch

from ..transforms import dctn

# layer type -> regex on the parameter name (timm ViT names)
LAYER_TYPES = {
    "attn.qkv": r"attn\.qkv\.weight$",
    "attn.proj": r"attn\.proj\.weight$",
    "mlp.fc1": r"mlp\.fc1\.weight$",
    "mlp.fc2": r"mlp\.fc2\.weight$",
    "patch_embed": r"patch_embed\.proj\.weight$",
    "pos_embed": r"pos_embed$",
}


def _signal(w: torch.Tensor) -> torch.Tensor:
    s = tuple(w.shape)
    if len(s) == 4:
        s = (s[0] * s[1], s[2] * s[3])
    elif len(s) == 3:
        s = (s[0] * s[1], s[2])
    return w.reshape(s)


def band_shares(w: torch.Tensor, bands: int = 4) -> list[float]:
    r"""Share of the standardised weight's energy in each DCT frequency band.

    With ``C = dctn(Z, norm='ortho')`` of the standardised 2-D signal ``Z``
    (METHODS 1.1), coefficient ``(i, j)`` of an ``n1 x n2`` matrix is in band
    ``floor(bands * max(i / n1, j / n2))``: band 0 is the kept corner of
    ``keep_ratio = 1 / bands``, and so on outward. Shares sum to 1.
    """
    z = _signal(w.detach().double())
    z = (z - z.mean()) / (z.std() + 1e-8)
    c = dctn(z, norm="ortho").square()
    idx = [torch.arange(n, dtype=torch.float64) / n for n in c.shape]
    level = idx[0].view(-1, 1).maximum(idx[1].view(1, -1)) if c.ndim == 2 else idx[0]
    band = (level * bands).floor().long().clamp_max(bands - 1)
    total = float(c.sum())
    return [float(c[band == b].sum()) / total if total else 0.0 for b in range(bands)]


def spectrum_by_type(state_dict: dict[str, torch.Tensor], bands: int = 4) -> dict[str, list[float]]:
    """Band shares averaged over the parameters of each layer type in ``LAYER_TYPES``."""
    out = {}
    for label, pattern in LAYER_TYPES.items():
        rows = [band_shares(t, bands) for n, t in state_dict.items() if re.search(pattern, n)]
        if rows:
            out[label] = [sum(col) / len(rows) for col in zip(*rows)]
    return out


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_convergence(summary: dict, path) -> None:
    """Test accuracy vs epoch (epoch 0: before fine-tuning), one panel per target, one line
    per initialisation: the mean over (source, seed) runs with a band of ± one sd."""
    plt = _pyplot()
    targets = list(summary)
    fig, axes = plt.subplots(1, len(targets), figsize=(5.2 * len(targets), 4), squeeze=False)
    for ax, target in zip(axes[0], targets):
        for init, row in summary[target].items():
            mean = [row["initial_accuracy"][0]] + row["curve_mean"]
            sd = [row["initial_accuracy"][1]] + row["curve_sd"]
            epochs = range(len(mean))
            random = init == "random"
            line, = ax.plot(epochs, [100 * m for m in mean], marker="o", ms=3, label=f"{init} (n={row['n']})",
                            lw=2.2 if random else 1.4, color="black" if random else None)
            if row["n"] > 1:
                ax.fill_between(epochs, [100 * (m - s) for m, s in zip(mean, sd)],
                                [100 * (m + s) for m, s in zip(mean, sd)], color=line.get_color(), alpha=0.15,
                                lw=0)
        ax.set_title(f"target {target}")
        ax.set_xlabel("fine-tuning epoch (0: the transferred weights)")
        ax.set_ylabel("test accuracy (%), mean ± sd")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_spectrum(spectra: dict[str, dict[str, list[float]]], path) -> None:
    """Stacked bars: share of weight energy per DCT band, per layer type, one panel per model."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(spectra), figsize=(5.5 * len(spectra), 4), squeeze=False)
    for ax, (title, spec) in zip(axes[0], spectra.items()):
        types = list(spec)
        bands = len(next(iter(spec.values())))
        bottom = [0.0] * len(types)
        for b in range(bands):
            vals = [100 * spec[t][b] for t in types]
            lo, hi = b / bands, (b + 1) / bands
            ax.bar(types, vals, bottom=bottom, label=f"band {lo:.2f}-{hi:.2f}",
                   color=plt.cm.viridis(b / max(1, bands - 1)))
            bottom = [x + v for x, v in zip(bottom, vals)]
        ax.set_title(title)
        ax.set_ylabel("share of energy (%)")
        ax.tick_params(axis="x", rotation=30)
    axes[0][-1].legend(title="max(i/n1, j/n2)", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def epochs_to_reach(curve: list[float], level: float) -> int | None:
    """First epoch (1-based) whose accuracy is at least ``level``; ``None`` if none is."""
    for i, acc in enumerate(curve):
        if acc >= level - 1e-12:
            return i + 1
    return None



"""The ``front-kernels demo`` pieces, usable from a script: digits data, a small
timm-style ViT, the training loop, the weight-selection baseline, the figures
and the whole comparison (:func:`run_demo`)."""
from .data import Digits, load_digits_split
from .pipeline import INITS, DemoConfig, build_model, format_table, initial_state, run_demo
from .plots import band_shares, plot_convergence, plot_spectrum, spectrum_by_type
from .select import select_weights
from .train import TrainConfig, evaluate, train
from .vit import VisionTransformer, ViTConfig

__all__ = ["Digits", "load_digits_split", "DemoConfig", "INITS", "build_model", "initial_state", "run_demo",
           "format_table", "band_shares", "spectrum_by_type", "plot_convergence", "plot_spectrum",
           "select_weights", "TrainConfig", "train", "evaluate", "VisionTransformer", "ViTConfig"]

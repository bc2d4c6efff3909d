"""``front-kernels transfer``: transfer a checkpoint to a differently sized model.

Example::

    front-kernels transfer --source teacher/ --target small/config.json --method front --out student/

``--target`` is a Hugging Face ``config.json`` (the model is built locally
from it) or a checkpoint whose tensors give the shapes. ``--out`` becomes a
loadable folder (safetensors, sharded with an index above
``--max-shard-size``, ``config.json`` when the target has one) plus
``transfer_report.txt`` / ``.json``; the source folder's tokenizer,
generation config and other non-weight files are copied when the vocabulary
is unchanged (:mod:`.extra_files`). Nothing is written on error.
Memory stays at a few parameter groups (the checkpoint is streamed); under
``torchrun --nproc_per_node N -m front_kernels.cli transfer ...`` the groups
are split across the ranks (:mod:`.distributed`).
"""
from __future__ import annotations

import argparse

from .api import check_device, prepare
from .options import BotOptions, FrontOptions
from .distributed import write_transfer
from .extra_files import files_to_copy
from .output_folder import check_out
from .report import TransferReport

FRONT_ONLY = ("keep_ratio", "mlp_dct", "depth_mode", "depth_band", "select_n")
BOT_ONLY = ("wavelet", "mode", "non_dyadic", "depth_shrink", "depth_grow", "residual_out_pattern")
COMMON = ("rescale", "skip", "head_pattern", "group_pattern", "seed", "axis_rules", "unordered", "builtin_rules")


def add_arguments(p: argparse.ArgumentParser) -> None:
    fr, bo = FrontOptions(), BotOptions()
    p.add_argument("--source", required=True, help="checkpoint: .safetensors, .pt/.pth/.bin, or HF folder")
    p.add_argument("--target", required=True, help="HF config.json (the model is built from it), or a checkpoint "
                                                   "giving the target shapes")
    p.add_argument("--method", choices=("front", "bot"), default="front",
                   help="front: DCT low-frequency transfer; bot: wavelet down/upsampling (default: front)")
    p.add_argument("--out", required=True, help="output folder; must not exist or be empty (unless --overwrite) and "
                                                "may not overlap --source or --target")
    f = p.add_argument_group("FRONT options")
    f.add_argument("--keep-ratio", type=float, dest="keep_ratio",
                   help=f"share of the DCT coefficients kept per axis, in (0, 1] (default: {fr.keep_ratio})")
    f.add_argument("--mlp-dct", choices=("2d", "1d"), dest="mlp_dct",
                   help=f"MLP weights: 2-D DCT, or 1-D along the hidden axis only (default: {fr.mlp_dct})")
    f.add_argument("--depth-mode", choices=("zero", "random", "consistence"), dest="depth_mode",
                   help="target depth slots beyond the kept depth frequencies: zero, random draws, or the kept "
                        f"frequencies repeated (default: {fr.depth_mode})")
    f.add_argument("--depth-band", choices=("first", "last", "middle"), dest="depth_band",
                   help=f"which source depth frequencies are kept (default: {fr.depth_band})")
    f.add_argument("--select-n", type=int, dest="select_n",
                   help="keep at most this many depth frequencies (default: all that fit)")
    b = p.add_argument_group("BoT options")
    b.add_argument("--wavelet", help=f"wavelet name, haar or dbN (default: {bo.wavelet})")
    b.add_argument("--mode", help=f"boundary mode, PyWavelets names (default: {bo.mode})")
    b.add_argument("--non-dyadic", choices=("dct", "pad"), dest="non_dyadic",
                   help="how a ratio that is not a power of two is finished: DCT resize or pad/truncate "
                        f"(default: {bo.non_dyadic})")
    b.add_argument("--depth-shrink", choices=("wavelet", "select"), dest="depth_shrink",
                   help="fewer layers: the wavelet along depth too (layer pairs averaged), or evenly spaced source "
                        f"layers, the first and the last kept (default: {bo.depth_shrink})")
    b.add_argument("--depth-grow", choices=("wavelet", "select", "split", "identity"), dest="depth_grow",
                   help="more layers: the wavelet along depth; or evenly spaced source layers repeated as plain "
                        "copies (select), with each residual-branch output projection shared out over the copies "
                        "(split) or zero in all copies but the first, which keeps a pre-norm network's function "
                        f"(identity) (default: {bo.depth_grow})")
    b.add_argument("--residual-out-pattern", dest="residual_out_pattern",
                   help="regex naming the output projections of residual branches, for --depth-grow split / "
                        "identity (default: attention output and MLP down projections of timm, BERT, GPT-2, LLaMA)")
    c = p.add_argument_group("common options")
    c.add_argument("--rescale", choices=("std", "amplitude", "reference"),
                   help="std: each tensor re-standardised to its source's mean and std; amplitude: smooth signals "
                        f"keep their values; reference: the FRONT authors' un-normalised DCT, for BoT the plain "
                        f"orthonormal DWT (default: {fr.rescale} for front, {bo.rescale} for bot)")
    c.add_argument("--skip", action="append", help="leave matching target parameters at their own values: a part "
                                                   "(qkv, attn_out, mlp, norm) or a regex; repeatable (default: none)")
    c.add_argument("--head-pattern", dest="head_pattern",
                   help="regex naming classifier-head parameters, kept when the class count differs "
                        "(default: head/classifier/fc/score weights and biases)")
    c.add_argument("--group-pattern", dest="group_pattern",
                   help="regex whose group captures the layer index (default: the first integer in a name)")
    c.add_argument("--seed", type=int, help=f"seed of --depth-mode random and of the init of a target built from a "
                                            f"config (default: {fr.seed})")
    c.add_argument("--axis-rule", action="append", dest="axis_rules",
                   help="what the axes of matching parameters mean, 'REGEX=axis,axis' with axes from tokens, types, "
                        "classes, in_channels, experts (unordered: never transformed) and hidden, mlp, position, "
                        "depth, spatial, heads; tried before the built-in rules; repeatable (default: none)")
    c.add_argument("--no-builtin-rules", action="store_false", dest="builtin_rules", default=None,
                   help="treat every tensor as one signal with ordered axes, as the FRONT authors' script does "
                        "(default: the built-in rules of front_kernels.transfer.kinds apply)")
    c.add_argument("--unordered", choices=("keep-common", "refuse"),
                   help="an unordered axis (e.g. the vocabulary) that changes size: transfer the common entries and "
                        f"keep the target's init for the rest, or refuse (default: {fr.unordered})")
    o = p.add_argument_group("output")
    o.add_argument("--max-shard-size", default="5GB", dest="max_shard_size",
                   help="largest shard file, e.g. 500MB or 2GiB (default: 5GB)")
    o.add_argument("--device", help="where the transforms run: cpu or cuda (this package's GPU kernels; "
                                    "tensors are streamed to the device and back) (default: cuda when available, "
                                    "else cpu; under torchrun each rank's GPU)")
    o.add_argument("--dtype", choices=("float32", "bfloat16", "float16", "float64"),
                   help="dtype of the written tensors (default: the target config's torch_dtype, else the source's "
                        "for a target built from a config, else the target checkpoint's)")
    o.add_argument("--max-memory", dest="max_memory",
                   help="memory the run may use, e.g. 8GB; checked from shapes before anything is "
                        "allocated (default: the memory available at start)")
    o.add_argument("--overwrite", action="store_true", help="replace an existing, non-empty --out (default: refuse)")
    o.add_argument("--no-progress", action="store_true", dest="no_progress", help="no progress bar")
    o.add_argument("--quiet", action="store_true", help="do not print the report table")


def options_from_args(args) -> dict:
    allowed = COMMON + (FRONT_ONLY if args.method == "front" else BOT_ONLY)
    other = BOT_ONLY if args.method == "front" else FRONT_ONLY
    bad = [k for k in other if getattr(args, k, None) is not None]
    if bad:
        raise ValueError(f"--{bad[0].replace('_', '-')} is not an option of --method {args.method}")
    return {k: getattr(args, k) for k in allowed if getattr(args, k, None) is not None}


def run(args) -> int:
    options = options_from_args(args)
    check_out(args.out, [("source", args.source), ("target", args.target)], args.overwrite)  # before any work
    check_device(args.device)
    src, tgt, plan = prepare(args.source, args.target, args.method, max_memory=args.max_memory, streaming=True,
                             dtype=args.dtype, **options)
    extra, note = files_to_copy(args.source, plan)
    if note:
        plan.notes.append(note)
    report = TransferReport(plan)
    # group by group, in one process or across torchrun ranks (see .distributed)
    out, stats = write_transfer(plan, src, tgt, args.out, config=tgt.config, report=report,
                                max_shard_size=args.max_shard_size, overwrite=args.overwrite,
                                progress=not args.no_progress, extra_files=extra, device=check_device(args.device))
    if stats.rank != 0:
        return 0
    if not args.quiet:
        print(report.table())
    print(stats.summary())
    print(f"wrote {out}")
    return 0

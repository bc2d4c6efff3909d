"""The ``front-kernels`` command.

Subcommands register themselves through ``add_arguments(parser)`` and
``run(args) -> int`` functions in the modules listed in ``_COMMANDS``, so this
file holds no logic of its own.
"""
from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> (module, one-line help)
_COMMANDS = {
    "demo": ("front_kernels.demo.command", "train a small ViT on digits and compare FRONT/BoT initialisations"),
    "transfer": ("front_kernels.transfer.command", "transfer a checkpoint to a differently sized model"),
    "inspect": ("front_kernels.transfer.inspect_command", "print parameter groups and their spectral energy"),
    "bench": ("front_kernels.bench_command", "time the transforms on this machine"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, import just that subcommand's module (the others get a stub)."""
    parser = argparse.ArgumentParser(prog="front-kernels", description="Fast DCT / wavelet transforms and "
                                     "FRONT / BoT knowledge transfer between models of different sizes.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_text) in _COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        if only is not None and name != only:
            continue
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module.startswith(exc.name):
                raise
            p.set_defaults(_run=lambda args, n=name: _unavailable(n))
            continue
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def _unavailable(name: str) -> int:
    print(f"front-kernels {name}: not yet available in this version", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    only = argv[0] if argv and argv[0] in _COMMANDS else None
    args = build_parser(only).parse_args(argv)
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

"""The ``front-kernels`` command.

Subcommands register themselves through ``add_arguments(parser)`` and
``run(args) -> int`` functions in the modules listed in ``_COMMANDS``, so this
file holds no logic of its own.
"""
from __future__ import annotations

import argparse
import importlib
import os
import signal
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
    from . import __version__
    parser.add_argument("--version", action="version", version=f"front-kernels {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
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
        p.set_defaults(_run=mod.run, _parser=p)
    return parser


def _unavailable(name: str) -> int:
    print(f"front-kernels {name}: not yet available in this version", file=sys.stderr)
    return 2


TRACEBACK_ENV = "FRONT_KERNELS_TRACEBACK"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; every failure ends in one ``front-kernels <cmd>: error: ...`` line.

    Exit codes: 0 done, 1 error (bad input, I/O failure), 2 usage error,
    130 Ctrl-C (``interrupted``), 143 SIGTERM. ``FRONT_KERNELS_TRACEBACK=1``
    re-raises instead, for a traceback.
    """
    argv = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # its config notes would bury the one error line
    only = argv[0] if argv and argv[0] in _COMMANDS else None
    parser = build_parser(only)
    if not argv:
        parser.print_help()
        return 0
    args, extra = parser.parse_known_args(argv)
    if extra:
        getattr(args, "_parser", parser).error(f"unrecognized arguments: {' '.join(extra)}")
    prog = f"front-kernels {args.command}"
    if os.environ.get("WORLD_SIZE", "1") not in ("", "1"):  # under torchrun: say which rank speaks
        prog += f" [rank {os.environ.get('RANK', '?')}]"
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt as exc:
        if os.environ.get(TRACEBACK_ENV):
            raise
        signum = getattr(exc, "signum", signal.SIGINT)
        detail = getattr(exc, "detail", "")
        print(f"{prog}: interrupted" + ("" if signum == signal.SIGINT else f" ({signal.Signals(signum).name})")
              + (f": {detail}" if detail else ""), file=sys.stderr)
        return 128 + signum
    except (ValueError, TypeError, OSError, RuntimeError, ImportError, MemoryError) as exc:
        if os.environ.get(TRACEBACK_ENV):
            raise
        print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:
        if os.environ.get(TRACEBACK_ENV):
            raise
        print(f"{prog}: error: internal error ({type(exc).__name__}: {_one_line(exc)}); "
              f"{TRACEBACK_ENV}=1 shows the traceback", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""The error types of checkpoint input and transfer output.

All are ``ValueError`` subclasses, so ``except ValueError`` keeps working;
the command line turns each into one ``front-kernels <cmd>: error: ...`` line.
"""
from __future__ import annotations


class CheckpointError(ValueError):
    """A checkpoint (tensor file, index, config) is unreadable, malformed, or names a path outside its folder."""


class OutputError(ValueError):
    """``out`` cannot be used: it overlaps an input, is busy, or cannot be written."""


class MemoryBudgetError(ValueError):
    """The pre-flight estimate of a transfer exceeds the memory it may use."""


class Terminated(KeyboardInterrupt):
    """A termination signal (SIGTERM) received while a transfer runs; unwinds like Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
        self.detail = ""

"""The output folder of a transfer: checked, locked, staged, published.

Rules, in the order :func:`write_transfer <.distributed.write_transfer>`
applies them:

1. :func:`check_out` — before anything is touched: ``out`` (as given and
   resolved through symlinks) must not equal, contain or lie inside any input
   path (source, target, their files); an existing ``out`` must be an empty
   folder unless ``overwrite``; its parent must be a folder, or not exist yet.
2. :class:`OutLock` — one writer per ``out``: an exclusive ``flock`` on
   ``.<name>.lock`` beside ``out``, taken without waiting (a second writer
   fails at once) and deleted when released.
3. :func:`remove_stale_stages` — only while holding the lock, so the staging
   folders it deletes belong to runs that are gone (killed with SIGKILL, or
   lost with their machine).
4. :func:`make_stage` — a fresh hidden staging folder ``.<name>.partial-<hex>``
   beside ``out``; everything is written there.
5. :func:`publish` — the staging folder is renamed to ``out`` in one step (an
   existing ``out`` is moved aside first and deleted after), so ``out`` is
   either absent, the old folder, or complete. A symlink ``out`` is replaced,
   never written through.

Files and folders are created with modes ``0o666`` / ``0o777``, so they get
the permissions the umask gives any file the user writes.
"""
from __future__ import annotations

import errno
import fcntl
import glob
import os
import secrets
import shutil
from pathlib import Path

from .errors import OutputError


def _both(p: Path) -> set[Path]:
    """``p`` made absolute, as written and with every symlink resolved."""
    return {Path(os.path.abspath(p)), p.resolve()}


def _overlap(a: Path, b: Path) -> str | None:
    if a == b:
        return "is"
    if a in b.parents:
        return "contains"
    if b in a.parents:
        return "lies inside"
    return None


def check_out(out, inputs, overwrite: bool = False) -> Path:
    """Refuse an ``out`` that overlaps an input or cannot be used; returns ``Path(out)``.

    ``inputs``: ``(role, path)`` pairs, e.g. ``("source", "ckpt/")``.
    """
    out = Path(out)
    for role, path in inputs:
        for o in _both(out):
            for p in _both(Path(path)):
                how = _overlap(o, p)
                if how:
                    raise OutputError(f"out folder {out} {how} the {role} {path}; choose an out folder "
                                      f"apart from the inputs")
    if out.is_symlink() and not out.is_dir():
        raise OutputError(f"out folder {out} is a symlink to something that is not a folder")
    if out.exists() and not out.is_dir():
        raise OutputError(f"out folder {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise OutputError(f"out folder {out} exists and is not empty (pass overwrite=True / --overwrite)")
    parent = next((p for p in out.absolute().parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise OutputError(f"out folder {out} cannot be made: {parent} is a file, not a folder")
    return out


def _cannot_write(out: Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot write out folder {out}: {exc.strerror or exc}")


def lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


class OutLock:
    """Exclusive, non-waiting lock of ``out`` (a context manager).

    Deleting the lock file on release is safe: a writer that opened the file
    before it was deleted sees, once it holds the lock, that the path no longer
    names its file, and starts over with a new one.
    """

    def __init__(self, out):
        self.out = Path(out)
        self.path = lock_path(self.out)
        self._fd = None

    def acquire(self) -> "OutLock":
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True, mode=0o777)
        except OSError as exc:
            raise _cannot_write(self.out, exc) from None
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError as exc:
                raise _cannot_write(self.out, exc) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise OutputError(f"out folder {self.out} is being written by another run "
                                      f"(it holds {self.path}); wait for it to finish") from None
                raise _cannot_write(self.out, exc) from None
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._fd = fd
                return self
            os.close(fd)

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(self._fd)
        self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def _stage_prefix(out: Path) -> str:
    return f".{out.name}.partial-"


def remove_stale_stages(out) -> list[Path]:
    """Delete the staging folders of earlier runs into ``out``; call only while holding :class:`OutLock`."""
    out = Path(out)
    stale = [Path(p) for p in glob.glob(os.path.join(glob.escape(str(out.parent)),
                                                     glob.escape(_stage_prefix(out)) + "*"))]
    for p in stale:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
    return stale


def make_stage(out) -> Path:
    """A new, empty staging folder beside ``out``."""
    out = Path(out)
    stage = out.parent / f"{_stage_prefix(out)}{secrets.token_hex(6)}"
    try:
        os.mkdir(stage, 0o777)
    except OSError as exc:
        raise _cannot_write(out, exc) from None
    return stage


def publish(stage: Path, out: Path) -> None:
    """Rename ``stage`` to ``out``; an existing ``out`` (folder or symlink) is replaced."""
    try:
        if out.is_symlink() or out.is_dir():
            old = out.parent / f".{out.name}.old-{secrets.token_hex(6)}"
            os.replace(out, old)
            try:
                os.replace(stage, out)
            except BaseException:
                os.replace(old, out)
                raise
            if old.is_symlink() or not old.is_dir():
                old.unlink()
            else:
                shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(stage, out)
    except OSError as exc:
        raise _cannot_write(out, exc) from None


def write_text(text: str, path) -> Path:
    """Write a new text file ``path`` (mode ``0o666`` less the umask)."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    return path

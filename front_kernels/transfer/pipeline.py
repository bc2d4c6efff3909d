"""Background threads of a transfer: reading groups ahead of their transforms, writing behind them.

:class:`ReadAhead` reads each group's inputs (:func:`.execute.read_group`)
on a reader thread while the calling thread transforms the group before it;
:class:`Worker` is the thread both it and the streaming writer
(:func:`.streaming.stream_groups`) run on. An exception on a background
thread is re-raised in the calling thread, at its next wait.
"""
from __future__ import annotations

import queue
import threading
import time

POLL_S = 0.1  # how often a waiting thread looks at the other side's errors and stop requests


class Worker:
    """``run(stop)`` on a daemon thread named ``name``; its first exception is kept and re-raised by
    :meth:`check` in the caller. ``stop`` is a :class:`threading.Event` the caller sets to end it early."""

    def __init__(self, name: str, run):
        self.error: BaseException | None = None
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._main, args=(run,), name=name, daemon=True)
        self._thread.start()

    def _main(self, run) -> None:
        try:
            run(self.stop)
        except BaseException as exc:  # handed to the caller, which raises it
            self.error = exc

    def check(self) -> None:
        if self.error is not None:
            raise self.error

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)


class ReadAhead:
    """``read(item)`` for every item of ``items``, in order, on a reader thread, at most ``ahead`` items
    ahead of the caller: :meth:`next` returns the next result (waiting for it; the seconds waited add to
    :attr:`waited_s`), :meth:`done` says the caller has dropped the last one, which lets the reader start
    another. A context manager; leaving it stops the reader."""

    def __init__(self, items, read, ahead: int = 1, name: str = "front-kernels-reader"):
        self.waited_s = 0.0
        self._slots = threading.Semaphore(ahead + 1)  # results held: the caller's and those read ahead
        self._results: queue.Queue = queue.Queue()
        items = list(items)

        def run(stop):
            for item in items:
                while not self._slots.acquire(timeout=POLL_S):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                self._results.put(read(item))

        self._worker = Worker(name, run)

    def next(self):
        t0 = time.perf_counter()
        try:
            while True:
                try:
                    return self._results.get(timeout=POLL_S)
                except queue.Empty:
                    self._worker.check()
                    if not self._worker.alive:
                        try:
                            return self._results.get_nowait()
                        except queue.Empty:
                            self._worker.check()
                            raise RuntimeError("the reader thread stopped without a result") from None
        finally:
            self.waited_s += time.perf_counter() - t0

    def done(self) -> None:
        self._slots.release()

    def close(self) -> None:
        self._worker.stop.set()
        self._worker.join(5.0)

    def __enter__(self) -> "ReadAhead":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

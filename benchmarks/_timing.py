"""The one timer and the one memory sampler the benchmarks share."""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


class Timed:
    """The best of ``repeat`` runs (as timeit does: the others measure the machine's noise),
    its result, and the CPU seconds of that run (on a shared machine they vary less)."""

    def __init__(self, f: Callable[[], T], repeat: int = 3) -> None:
        self.wall, self.cpu = float("inf"), float("inf")
        for _ in range(repeat):
            gc.collect()
            t, c = time.perf_counter(), time.process_time()
            result = f()
            wall = time.perf_counter() - t
            if wall < self.wall:
                self.wall, self.cpu, self.result = wall, time.process_time() - c, result


def timed(f: Callable[[], T], repeat: int = 3) -> tuple[float, T]:
    """Best wall time of ``repeat`` runs, and the result."""
    run = Timed(f, repeat)
    return run.wall, run.result


class Peak:
    """Peak resident memory of this process while a block runs (sampled every 5 ms)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    @staticmethod
    def rss() -> int:
        """This process's resident memory now, bytes."""
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.005)

    @contextmanager
    def watch(self) -> Iterator[None]:
        """Sample while the block runs; ``peak`` holds the largest, bytes."""
        self.peak = self.rss()
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._stop.set()
            thread.join()
            self._stop.clear()
            self.peak = max(self.peak, self.rss())

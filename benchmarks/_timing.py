"""The one timer the benchmarks share."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
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

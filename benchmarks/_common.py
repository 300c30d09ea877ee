"""Timing helpers for the benchmark scripts (run by hand; they print figures, assert nothing)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], repeat: int = 5) -> tuple[float, list[float], object]:
    """Run `fn` `repeat` times; return the median wall time in seconds, all times, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, out

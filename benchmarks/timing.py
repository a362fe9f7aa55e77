"""The one way the benchmarks time things: the median of repeated runs, in seconds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

__all__ = ["median_seconds", "seconds"]


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    """Run `action` `repeat` times; the median wall-clock time of one run."""
    return statistics.median(seconds(action) for _ in range(repeat))


def seconds(action: Callable[[], object]) -> float:
    """The wall-clock time of one run of `action` (for benchmarks that interleave what they compare)."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start

"""A test on one core: the grading thread and the test's processes take turns, so they share the core it is on.

Each request of a hidden test waits for its answer, so the grader and the worker's fork never run at
the same time; on different cores every round trip waits for a wakeup across them (on 2 cores a
test's round trips take about half as long again). `pinned()` keeps this thread on the core it is
running on for a block, and the test's forks are asked to join it (course.worker.loop); the
notebook's worker and any worker started ahead keep every core. Where affinity cannot be set (macOS),
nothing changes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

__all__ = ["current_cpu", "pinned"]


def current_cpu() -> int | None:
    """The core this thread is running on now (the `processor` field of /proc/thread-self/stat), or None."""
    try:
        with open("/proc/thread-self/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return int(fields[36])  # field 39; the split starts at field 3, the state after the command name
    except (OSError, IndexError, ValueError):
        return None


@contextlib.contextmanager
def pinned() -> Iterator[int | None]:
    """Run this thread on its current core only, inside the block; yields that core (None: nothing was pinned)."""
    cpu = current_cpu() if hasattr(os, "sched_setaffinity") else None
    saved = None
    if cpu is not None:
        try:
            saved = os.sched_getaffinity(0)
            os.sched_setaffinity(0, {cpu})
        except OSError:
            saved, cpu = None, None
    try:
        yield cpu
    finally:
        if saved is not None:
            os.sched_setaffinity(0, saved)

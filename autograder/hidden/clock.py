"""The clock and the random source a hidden test hands the learner's code, as grader callbacks.

Retries and backoff (lesson 09 on) take `sleep` and `jitter` as parameters. A test passes these: the
worker calls back into the grading process, so every wait asked for is recorded where the verdict is
made, nothing ever sleeps, and the jitter is drawn at grading time from the test's `rng`.
"""

from __future__ import annotations

import random

from autograder.boundary.remote import Remote

__all__ = ["Clock", "Jitter"]


class Clock:
    """The `sleep` handed to the learner's code: records each wait asked for, and never sleeps."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: Remote) -> None:
        self.waits.append(float(seconds.value))


class Jitter:
    """The `jitter` handed to the learner's code: numbers in [0, 1) drawn at grading time, in order."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.given: list[float] = []

    def __call__(self) -> float:
        self.given.append(round(self.rng.random(), 6))
        return self.given[-1]

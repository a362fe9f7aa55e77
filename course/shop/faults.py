"""Injected tool failures: a payment provider that is down, a tool that times out.

Lessons 05, 06 and 09 need failures on demand, at an exact call, every run. A `FaultPlan` holds a
queue of planned failures per tool; each call to that tool takes the next one, so failures fire
in the order they were planned and then clear. A failure planned with `after=True` fires after the
tool's effect has been committed: the refund happened, but the caller never heard back. That is
the case idempotency keys exist for.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["FaultPlan", "PlannedFault"]


@dataclass
class PlannedFault:
    error: Exception
    times: int
    after: bool


class FaultPlan:
    """Planned failures, per tool name, consumed one call at a time."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[PlannedFault]] = {}

    def add(self, tool: str, error: Exception, *, times: int = 1, after: bool = False) -> None:
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times}.")
        if not isinstance(error, Exception):
            raise TypeError(f"error must be an exception instance such as PaymentProviderDown(), got {error!r}.")
        self._queues.setdefault(tool, deque()).append(PlannedFault(error, times, after))

    def pending(self, tool: str | None = None) -> int:
        """How many planned failures are still to fire (for one tool, or all)."""
        queues = self._queues.values() if tool is None else [self._queues.get(tool, deque())]
        return sum(fault.times for queue in queues for fault in queue)

    def clear(self) -> None:
        self._queues.clear()

    def to_data(self) -> list[list[object]]:
        """The plan as plain data, [tool, error class name, error args, times, after] per planned failure.

        A grader sends it along with a learner call that runs in another process (the worker rebuilds
        it with `load_data` from a fixed table of error classes), and takes back only how many of
        each tool's failures the call used (`consume`): a class name never travels back.
        """
        return [[tool, type(f.error).__name__, [str(a) for a in f.error.args], f.times, f.after]
                for tool, queue in self._queues.items() for f in queue]

    def load_data(self, data: list[list[object]], kinds: Mapping[str, type[Exception]]) -> None:
        """Replace the plan with one made by `to_data`; each error class is looked up by name in `kinds`."""
        self._queues.clear()
        for tool, kind, args, times, after in data:
            if not isinstance(kind, str) or kind not in kinds:
                raise ValueError(f"a planned failure must be one of {sorted(kinds)}, not {kind!r}")
            error = kinds[kind](*[str(a) for a in args] if isinstance(args, list) else [])
            self.add(str(tool), error, times=int(times), after=bool(after))  # type: ignore[call-overload]

    def counts(self) -> dict[str, int]:
        """How many planned failures are left, per tool."""
        return {tool: self.pending(tool) for tool in self._queues}

    def consume(self, used: object) -> None:
        """Use up what a call in another process used: `used` maps a tool to a count, and is only ever counts.

        Whatever else `used` holds, or counts above what is planned, change nothing more: a worker
        can at most claim it used up failures this plan already had.
        """
        if not isinstance(used, dict):
            return
        for tool, queue in self._queues.items():
            count = used.get(tool)
            left = count if type(count) is int and count > 0 else 0
            while left and queue:
                fault = queue[0]
                taken = min(left, fault.times)
                fault.times -= taken
                left -= taken
                if fault.times == 0:
                    queue.popleft()

    def take(self, tool: str, *, after: bool) -> Exception | None:
        """The error this call must raise at this point (before or after its effect), consuming it."""
        queue = self._queues.get(tool)
        if not queue or queue[0].after != after:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times == 0:
            queue.popleft()
        return copy.copy(fault.error)

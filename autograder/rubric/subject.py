"""The agent a probe scores, and where it lives: the learner's worker, a restart of it, a fork of it.

By default the agent is the object named `agent` in the learner's namespace (`course capstone score`). The
capstone notebook's hidden tests build it from the class an exercise defines instead (`CourseAgent(stage_12)`),
so that each exercise is scored by the probes of its factors (autograder.hidden.nb13).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

from autograder.boundary.remote import FreshWorkerUnavailable, Learner, Remote

__all__ = ["AGENT_NAME", "NoAgent", "Restarts", "Subject"]

AGENT_NAME = "agent"  # the name the rubric reads in the learner's namespace

Build = Callable[[Learner], Remote]


class NoAgent(Exception):
    """The learner's code defines no agent: every probe is "not implemented", with this message."""


def _named(learner: Learner) -> Remote:
    if not learner.defines(AGENT_NAME):
        raise NoAgent(f"no `{AGENT_NAME}` is defined: the rubric scores the object named `{AGENT_NAME}` "
                      "(docs/capstone.md)")
    return learner[AGENT_NAME]


class Restarts:
    """One restarted process, shared by the k runs of a probe: each run's threads
    are new to it all the same, since none was made there. Ends with the `stack` it is given."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._learner: Learner | None = None

    def of(self, learner: Learner) -> Learner:
        if self._learner is None:
            try:
                self._learner = self._stack.enter_context(learner.fresh(interpreter=True))
            except FreshWorkerUnavailable:
                self._learner = learner
        return self._learner


class Subject:
    """The agent in one process of the learner's code, and the same agent in a restarted or forked one."""

    def __init__(self, learner: Learner, build: Build | None = None, restarts: Restarts | None = None) -> None:
        self.learner = learner
        self._build = build or _named
        self._restarts = restarts
        self._agent: Remote | None = None

    @property
    def agent(self) -> Remote:
        if self._agent is None:
            self._agent = self._build(self.learner)
        return self._agent

    @property
    def in_worker(self) -> bool:
        """Whether the agent runs in a worker process (else in this process, under plain nbgrader)."""
        return getattr(self.learner.session, "workdir", None) is not None

    @contextmanager
    def restarted(self) -> Iterator[Subject]:
        """The agent in a new interpreter that ran the same cells (a restart); this one where none can be had."""
        if self._restarts is not None:
            yield Subject(self._restarts.of(self.learner), self._build)
            return
        try:
            with self.learner.fresh(interpreter=True) as other:
                yield Subject(other, self._build)
        except FreshWorkerUnavailable:
            yield self

    @contextmanager
    def forked(self) -> Iterator[Subject]:
        """The agent in a copy of its process as it is now; this one where none can be had."""
        try:
            with self.learner.fresh() as other:
                yield Subject(other, self._build)
        except FreshWorkerUnavailable:
            yield self

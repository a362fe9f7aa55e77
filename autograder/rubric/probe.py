"""A probe: one behaviour of one factor, tried on an agent through the capstone protocol, with its evidence.

    @probe(5, "state_lives_in_the_store", fix="Keep every event in the shop's database, never in memory.")
    def _(subject, rng, seen):
        seen.sent(ticket=...)                      # what the grader sent
        thread_id = subject.agent.launch(ticket).value  # a Remote call into the agent's worker; plain data back
        seen.happened(status=...)                  # what came back, the rows that decided it
        check(status == "done", "the thread should end done")

A probe judges from what the grader owns: its shop database, its fake model's transcript, and plain
data the agent returned. `seen` is the evidence a learner reads next to a failure.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from course.llm import FakeModel
from course.worker.values import short_text

if TYPE_CHECKING:
    from autograder.rubric.subject import Subject

__all__ = ["FACTORS", "PROBES", "Probe", "Seen", "check", "probe"]

FACTORS: dict[int, str] = {
    1: "Natural language to tool calls", 2: "Own your prompts", 3: "Own your context window",
    4: "Tools are structured outputs", 5: "Unify execution and business state", 6: "Launch, pause, resume",
    7: "Contact humans with tool calls", 8: "Own your control flow", 9: "Compact errors into the context window",
    10: "Small, focused agents", 11: "Trigger from anywhere", 12: "Make your agent a stateless reducer",
}

_FIELD = 300  # characters of one piece of evidence


@dataclass
class Seen:
    """The evidence of one run: what was sent, what happened, and the model's side of it."""

    sent_: dict[str, str] = field(default_factory=dict)
    happened_: dict[str, str] = field(default_factory=dict)
    transcript: list[str] = field(default_factory=list)

    def sent(self, **items: Any) -> None:
        self.sent_.update({k: short_text(_plain(v), _FIELD) for k, v in items.items()})

    def happened(self, **items: Any) -> None:
        self.happened_.update({k: short_text(_plain(v), _FIELD) for k, v in items.items()})

    def model(self, model: FakeModel, last: int = 4) -> None:
        """The last requests the model received: the tools offered and the call or text it answered."""
        lines = []
        for exchange in list(model.transcript)[-last:]:
            tools = exchange.request.tool_names if exchange.request is not None else []
            reply = exchange.reply
            if reply is None:
                said = f"error {exchange.error.status if exchange.error else ''}"
            elif reply.tool_calls:
                said = ", ".join(f"{c.name}({_plain(c.arguments)})" for c in reply.tool_calls)
            else:
                said = repr(reply.content or "")
            lines.append(short_text(f"call {exchange.call}: offered {len(tools)} tools -> {said}", 200))
        self.transcript = lines

    def as_data(self) -> dict[str, Any]:
        return {"sent": self.sent_, "happened": self.happened_, "transcript": self.transcript}


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def check(condition: bool, message: str) -> None:
    """Fail the run with `message` (what the agent did wrong, in a sentence) unless `condition`."""
    if not condition:
        raise AssertionError(message)


ProbeFn = Callable[["Subject", random.Random, Seen], None]


@dataclass(frozen=True)
class Probe:
    factor: int
    name: str
    fix: str          # one sentence on what to change when it fails
    run: ProbeFn
    points: float = 2.0
    restarts: bool = False  # it asks for the agent in a restarted interpreter (`Subject.restarted`)

    @property
    def id(self) -> str:
        return f"f{self.factor:02d}_{self.name}"


PROBES: dict[str, Probe] = {}


def probe(factor: int, name: str, *, fix: str, points: float = 2.0,
          restarts: bool = False) -> Callable[[ProbeFn], ProbeFn]:
    """Register a probe of `factor` (1-12); `restarts=True` when it uses `subject.restarted()`."""
    def register(fn: ProbeFn) -> ProbeFn:
        made = Probe(factor, name, fix, fn, points, restarts)
        if made.id in PROBES:
            raise ValueError(f"probe {made.id} is defined twice")
        PROBES[made.id] = made
        return fn
    return register

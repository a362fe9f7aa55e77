"""Run probes k times on an agent and keep every run's verdict: pass^1, pass^k, and what was unscored.

A run is "passed", "failed" (the agent did something wrong, or raised, looped or died), "not-implemented"
(the agent lacks an entry point the probe needs: 0 points, said as such) or "unscored" (the rubric itself
failed: never the learner's fail; the instructor re-runs it). Run i of a probe draws its tickets, orders,
amounts and faults from `random.Random(f"{seed}:{probe id}:{i}")`, so a seed gives the same runs again.

A probe's points go to an agent whose every scored run passed (pass^k, as tau-bench reports reliability):
working once and failing on the second draw is not the behaviour a factor asks for.
"""

from __future__ import annotations

import logging
import random
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from autograder.boundary.link import TimeLimit, WorkerDied
from autograder.boundary.remote import Learner, LearnerError, LearnerNotImplemented
from autograder.rubric.probe import Probe, Seen
from autograder.rubric.subject import Build, NoAgent, Restarts, Subject
from course.worker.values import short_text

__all__ = ["ProbeResult", "RunResult", "run_probe"]

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class RunResult:
    status: str  # passed, failed, not-implemented, unscored
    message: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProbeResult:
    probe: Probe
    runs: tuple[RunResult, ...]

    @property
    def scored(self) -> list[RunResult]:
        return [r for r in self.runs if r.status != "unscored"]

    @property
    def pass1(self) -> float:
        """The share of scored runs that passed (0 when none was scored)."""
        return sum(r.status == "passed" for r in self.scored) / len(self.scored) if self.scored else 0.0

    @property
    def passk(self) -> bool:
        return bool(self.scored) and all(r.status == "passed" for r in self.scored)

    @property
    def status(self) -> str:
        if not self.scored:
            return "unscored"
        if self.passk:
            return "passed"
        if all(r.status == "not-implemented" for r in self.scored):
            return "not-implemented"
        return "failed"

    @property
    def score(self) -> float:
        return self.probe.points if self.passk else 0.0

    @property
    def first_problem(self) -> RunResult | None:
        return next((r for r in self.runs if r.status != "passed"), None)


def run_probe(probe: Probe, learner: Learner, seed: int, k: int, build: Build | None = None) -> ProbeResult:
    """`probe` run `k` times against the agent named `agent` in `learner`'s namespace (or the one `build` makes)."""
    with ExitStack() as stack:
        restarts = Restarts(stack)
        return ProbeResult(probe, tuple(_run_once(probe, Subject(learner, build, restarts),
                                                  random.Random(f"{seed}:{probe.id}:{i}")) for i in range(k)))


def _run_once(probe: Probe, subject: Subject, rng: random.Random) -> RunResult:
    seen = Seen()
    try:
        probe.run(subject, rng, seen)
    except NoAgent as missing:
        return RunResult("not-implemented", str(missing))
    except AssertionError as error:
        return RunResult("failed", _clip(str(error) or "this check did not pass"), seen.as_data())
    except LearnerNotImplemented as error:
        said = error.message or "a method this probe calls still raises NotImplementedError"
        return RunResult("not-implemented", _clip(f"not implemented: {said}"), seen.as_data())
    except LearnerError as error:
        if error.isa("NotImplementedError") or (error.isa("AttributeError") and "has no attribute" in str(error)):
            return RunResult("not-implemented", _clip(f"not implemented: {error}"), seen.as_data())
        return RunResult("failed", _clip(f"the agent raised {error}"), seen.as_data())
    except TimeLimit as limit:
        return RunResult("failed", _clip(f"time limit: the agent did not answer ({limit.reason})"), seen.as_data())
    except WorkerDied as died:
        return RunResult("failed", _clip(f"the agent stopped its worker: {died.reason}"), seen.as_data())
    except Exception as error:  # the rubric's own failure: reported, never scored against the learner
        log.exception("probe %s could not run", probe.id)
        return RunResult("unscored", f"the rubric could not run this probe ({type(error).__name__}: "
                         f"{short_text(str(error), 160)}); this is not your agent's fail", seen.as_data())
    return RunResult("passed", "", seen.as_data())


def _clip(text: str) -> str:
    return short_text(text, 600)

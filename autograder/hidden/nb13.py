"""Hidden tests of lesson 13 (the capstone). Instructor side only.

Each graded cell is one factor's rubric probe (autograder.rubric), run K times on inputs drawn from the grading's
seed; it passes when every run passes (pass^K), and its message is the first failing run's, with what to fix. The
probes score the agent each exercise builds, so each exercise is scored by the probes of its factors:
`ToolSide(stage_12)` (13.1) for factors 1-4, `ThreadSide(stage_12)` (13.2) for 5-10, `CourseAgent(stage_12)`
(13.3) for 11 and 12, whose probes also use the `launch` and `thread` of 13.2. A run the rubric itself could not
score is the grader's fault, reported as such (autograder.grade.engine), never the learner's.
"""

from __future__ import annotations

import random

from autograder.boundary.remote import Learner, LearnerNotImplemented, Remote
from autograder.hidden import HiddenTests
from autograder.rubric.engine import run_probe
from autograder.rubric.probe import Probe
from autograder.rubric.score import all_probes

hidden = HiddenTests("13")

K = 3
_BUILT_BY = {**dict.fromkeys(range(1, 5), "ToolSide"), **dict.fromkeys(range(5, 11), "ThreadSide"),
             11: "CourseAgent", 12: "CourseAgent"}


def _build(name: str):  # type: ignore[no-untyped-def]
    def build(learner: Learner) -> Remote:
        for needed in (name, "stage_12"):
            if not learner.defines(needed):
                raise AssertionError(f"`{needed}` is not defined: run the cell that defines it, and keep its name.")
        return learner[name](learner["stage_12"])
    return build


def _register(probe: Probe) -> None:
    @hidden.test(probe.name, interpreter=probe.restarts)
    def _(learner: Learner, rng: random.Random) -> None:
        result = run_probe(probe, learner, rng.getrandbits(32), K, build=_build(_BUILT_BY[probe.factor]))
        if result.passk:
            return
        problem = result.first_problem
        assert problem is not None
        if result.status == "unscored":
            raise RuntimeError(problem.message)
        if result.status == "not-implemented":
            raise LearnerNotImplemented({"type": "NotImplementedError", "message": problem.message})
        passed = sum(run.status == "passed" for run in result.runs)
        raise AssertionError(f"{problem.message} (passed {passed} of {K} runs). {probe.fix}")


for _probe in all_probes():
    _register(_probe)

__all__ = ["hidden"]

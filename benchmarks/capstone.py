"""What scoring agents with the capstone rubric costs.

    python -m benchmarks.capstone          # one agent at k=1 and k=3; a class of 20 with --jobs 1 and 2

One agent: the stage-12 agent (lesson 13's `CourseAgent(stage_12)`) on all twelve factors, on the trusted path
(its code in a sandboxed worker), median of 3 runs at k=1 and at k=3. A class: 20 mixed agents (stages 0, 4, 8
and 12, the agent written from scratch), scored at k=3 by `grade_class` with one job, then two, in this script.
"""

from __future__ import annotations

import sys
import tempfile
from functools import partial
from pathlib import Path

from autograder.rubric.cohort import grade_class
from autograder.rubric.score import score_path
from tests.capstone_agents import HERE, agent_folder, stage_agent

from .timing import median_seconds


def report(repeat: int = 3, learners: int = 20) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        one = agent_folder(Path(tmp) / "one", stage_agent(12))
        print("Scoring one agent (stage 12) on all twelve factors, median of", repeat, "runs")
        for k in (1, 3):
            seconds = median_seconds(partial(score_path, one, k=k, seed=1), repeat)
            print(f"  k={k}: {seconds:6.1f} s")
        codes = [stage_agent(4), stage_agent(8), stage_agent(12), stage_agent(0),
                 (HERE / "scratch.py").read_text(encoding="utf-8")]
        folder = Path(tmp) / "class"
        for i in range(learners):
            agent_folder(folder / f"learner{i:02d}", codes[i % len(codes)])
        print(f"A class of {learners} mixed agents at k=3 (one run each)")
        times = {}
        for jobs in (1, 2):
            times[jobs] = median_seconds(partial(grade_class, folder, Path(tmp) / f"out{jobs}", k=3, jobs=jobs,
                                                 seed=1, force=True), 1)
            print(f"  --jobs {jobs}: {times[jobs]:6.1f} s  ({times[jobs] / learners:4.1f} s per agent)")
        print(f"  --jobs 2 / --jobs 1: {times[2] / times[1]:.2f}x")


if __name__ == "__main__":
    report(learners=int(sys.argv[1]) if len(sys.argv) > 1 else 20)

"""The readiness ladder: the course's agent after lesson n earns the points of factors 1..n and none after.

Each stage is scored on the trusted path (a sandboxed worker, the probes here); k=1 keeps the ladder quick,
and the stage-12 agent is scored again with k=3 under several seeds: full marks, pass^k included.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.rubric.score import score_path
from tests.capstone_agents import agent_folder, stage_agent


@pytest.mark.parametrize("stage", range(13))
def test_the_agent_of_lesson_n_earns_factors_1_to_n(tmp_path: Path, stage: int) -> None:
    card = score_path(agent_folder(tmp_path, stage_agent(stage)), k=1, seed=stage + 11)
    passed = {r.probe.factor for r in card.results if r.status == "passed"}
    assert passed == set(range(1, stage + 1)), [(r.probe.id, r.status, r.runs[0].message) for r in card.results
                                                if (r.probe.factor <= stage) != (r.status == "passed")]
    assert card.score == 2 * stage and card.max_score == 24
    assert not card.notes and all(r.status != "unscored" for r in card.results)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_stage_12_agent_earns_full_marks_on_every_run(tmp_path: Path, seed: int) -> None:
    card = score_path(agent_folder(tmp_path, stage_agent(12)), k=3, seed=seed)
    assert (card.score, card.pass1, card.passk) == (24, 1.0, 1.0), [r.first_problem for r in card.results]
    assert all(len(r.runs) == 3 for r in card.results)

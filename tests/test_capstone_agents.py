"""Agents broken on purpose lose their factor's points and keep the others'; an agent written from scratch scores
what it does; hostile agents lose only the probes they break, and the scoring goes on.

The agents are files in tests/capstone_agents/ (each defines `agent`), scored on the trusted path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.boundary.sandbox import Limits, detect
from autograder.rubric.report import as_json
from autograder.rubric.score import score_path
from tests.capstone_agents import HERE, agent_folder

BROKEN = sorted(p.name for p in HERE.glob("broken_f*.py"))
QUICK = Limits(call_seconds=3, submission_seconds=120)  # an endless loop costs 3 s per probe here, not 30


def _failing(card) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {r.probe.id: r.status for r in card.results if r.status != "passed"}


@pytest.mark.parametrize("name", BROKEN)
def test_an_agent_broken_in_one_factor_loses_that_factor_only(tmp_path: Path, name: str) -> None:
    factor = int(name.split("_")[1][1:])
    card = score_path(agent_folder(tmp_path, name), k=2, seed=5)
    assert {int(pid[1:3]) for pid in _failing(card)} == {factor}, _failing(card)
    assert card.score == 22
    problem = next(r.first_problem for r in card.results if r.probe.factor == factor)
    assert problem is not None and problem.status == "failed" and problem.evidence["sent"]


def test_an_agent_written_from_scratch_scores_the_factors_it_owns(tmp_path: Path) -> None:
    card = score_path(agent_folder(tmp_path, "scratch.py", stages=False), k=3, seed=9)
    assert {r.probe.factor for r in card.results if r.status == "passed"} == {1, 2, 3, 4, 5, 6}
    assert {r.probe.factor: r.status for r in card.results if r.probe.factor > 10} == {
        11: "not-implemented", 12: "not-implemented"}
    assert card.score == 12


def test_an_agent_built_with_a_framework_scores_the_factors_it_owns(tmp_path: Path) -> None:
    card = score_path(agent_folder(tmp_path, "framework_pydantic_ai.py", stages=False), k=3, seed=9)
    assert {r.probe.factor for r in card.results if r.status == "passed"} == set(range(1, 10))
    assert {r.probe.factor: r.status for r in card.results if r.probe.factor > 9} == {
        10: "failed", 11: "not-implemented", 12: "not-implemented"}
    assert card.score == 18 and card.pass1 == 0.75


def test_an_agent_that_never_answers_loses_the_probes_that_wait_for_it(tmp_path: Path) -> None:
    card = score_path(agent_folder(tmp_path, "hostile_loops.py"), k=1, seed=3, limits=QUICK)
    assert set(_failing(card)) == {r.probe.id for r in card.results if r.probe.factor in (5, 6, 7, 8, 9, 10, 12)}
    assert all("endless loop" in r.runs[0].message for r in card.results if r.status == "failed")
    assert card.score == 10


def test_an_agent_that_ends_the_interpreter_loses_that_probe_only(tmp_path: Path) -> None:
    card = score_path(agent_folder(tmp_path, "hostile_exits.py"), k=2, seed=3)
    assert _failing(card) == {"f01_tool_calls_are_validated": "failed"} and card.score == 22
    assert "exited with status 3" in card.results[0].runs[0].message


def test_an_agent_that_floods_its_output_is_scored_as_any_other(tmp_path: Path) -> None:
    card = score_path(agent_folder(tmp_path, "hostile_floods.py"), k=1, seed=3)
    assert card.score == 24


def test_an_agent_that_does_not_import_scores_zero_with_the_reason(tmp_path: Path) -> None:
    card = score_path(agent_folder(tmp_path, "hostile_missing_import.py"), k=1, seed=3)
    assert card.score == 0 and {r.status for r in card.results} == {"not-implemented"}
    assert "ModuleNotFoundError" in card.notes[0] and "a_package_nobody_installed" in card.notes[0]


@pytest.mark.skipif(not detect().hides_files, reason="needs a sandbox that hides the grader's files")
def test_an_agent_cannot_reach_the_rubric_or_the_solutions(tmp_path: Path) -> None:
    card = score_path(agent_folder(tmp_path, "hostile_snoops.py"), k=1, seed=3)
    assert card.score == 24, card.results[0].first_problem


def test_the_same_seed_scores_an_agent_the_same_way_twice(tmp_path: Path) -> None:
    folder = agent_folder(tmp_path, "broken_f09_never_hands_over.py")
    first, second = (as_json(score_path(folder, k=2, seed=17)) for _ in range(2))
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    other = as_json(score_path(folder, k=2, seed=18))
    assert other["probes"][4]["runs"][0]["evidence"] != first["probes"][4]["runs"][0]["evidence"]  # drawn, not fixed


def test_what_an_agent_says_reaches_the_report_as_text_never_as_markup(tmp_path: Path) -> None:
    from autograder.rubric.report import markdown

    card = score_path(agent_folder(tmp_path, "hostile_markup.py"), k=1, seed=3, only=["f02"])
    report = markdown(card)
    assert card.results[0].status == "failed" and "alert(1)" in report  # the evidence is there, as text
    for active in ("<script", "<img", "[Score: 24 / 24](", "`code`"):
        assert active not in report, active

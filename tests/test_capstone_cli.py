"""`course capstone score PATH`: a table, JSON or a markdown report for one agent; clear errors for a bad PATH."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.rubric.score import agent_cells
from course.capstone import SupportAgent
from tests.capstone_agents import STAGES, agent_folder, stage_agent


def _course(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "course"), "capstone", *args], capture_output=True, text=True,
                          timeout=600)


def test_score_prints_the_factor_table_and_writes_a_report(tmp_path: Path) -> None:
    folder = agent_folder(tmp_path / "agent", stage_agent(8))
    report = tmp_path / "out" / "report.md"
    done = _course("score", str(folder), "--k", "1", "--seed", "4", "--report", str(report))
    assert done.returncode == 0, done.stderr
    assert " 8. Own your control flow" in done.stdout and "16/24" in done.stdout
    assert "f09_errors_are_compacted_and_escalated — FAIL" in done.stdout
    text = report.read_text(encoding="utf-8")
    assert "**16 / 24 points**" in text and "## What to fix" in text and "**Fix:**" in text
    assert "- model · call 1: offered" in text  # the evidence: the model's side


def test_score_json_holds_every_run_with_its_evidence(tmp_path: Path) -> None:
    folder = agent_folder(tmp_path, stage_agent(12))
    (tmp_path / "agent.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("My agent"), nbformat.v4.new_code_cell(stage_agent(12))])), encoding="utf-8")
    done = _course("score", str(tmp_path / "agent.ipynb"), "--k", "2", "--seed", "4", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["score"], data["max_score"], data["k"], data["seed"]) == (24, 24, 2, 4)
    assert len(data["probes"]) == 12 and all(len(p["runs"]) == 2 for p in data["probes"])
    assert data["factors"]["12"] == {"name": "Make your agent a stateless reducer", "score": 2.0, "max_score": 2.0,
                                     "pass1": 1.0, "passk": 1.0}
    assert folder.is_dir()


@pytest.mark.parametrize(("make", "says"), [
    (lambda p: p / "missing.py", "does not exist"),
    (lambda p: p, "neither agent.py nor exactly one notebook"),
    (lambda p: (p / "notes.txt").write_text("hi") and p / "notes.txt", "neither a .py file nor a notebook"),
    (lambda p: (p / "broken.ipynb").write_text("{not json") and p / "broken.ipynb", "not a valid notebook"),
])
def test_a_path_that_is_not_an_agent_is_refused_in_one_line(tmp_path: Path, make, says: str) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    with pytest.raises(ValueError, match=says):
        agent_cells(path)
    done = _course("score", str(path))
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr


def test_lesson_13s_agent_meets_the_protocol_and_says_what_a_stage_lacks() -> None:
    import importlib

    sys.path.insert(0, str(STAGES))
    try:
        stage_13 = importlib.import_module("stage_13")
        for n in (1, 12):
            assert isinstance(stage_13.CourseAgent(importlib.import_module(f"stage_{n:02d}")), SupportAgent)
        with pytest.raises(NotImplementedError, match="stage_01 has no system_prompt"):
            stage_13.CourseAgent(importlib.import_module("stage_01")).system_prompt({})
    finally:
        sys.path.remove(str(STAGES))


@pytest.mark.parametrize(("agent", "report"), [("scratch.py", "capstone-scratch-report.md"),
                                               ("framework_pydantic_ai.py", "capstone-pydantic-ai-report.md")])
def test_the_worked_examples_in_docs_are_the_reports_the_rubric_writes(agent: str, report: str) -> None:
    """docs/capstone-*-report.md are generated: `course capstone score tests/capstone_agents/AGENT --k 3 --seed 1
    --report docs/REPORT`."""
    from autograder.rubric.report import markdown
    from autograder.rubric.score import score_path

    root = Path(__file__).parent.parent
    card = score_path(root / "tests" / "capstone_agents" / agent, k=3, seed=1)
    assert (root / "docs" / report).read_text(encoding="utf-8") == markdown(card, f"Capstone scorecard: {agent}"), (
        "regenerate it with the command in this test's docstring")

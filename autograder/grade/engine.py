"""Grade one submitted notebook on the trusted path: learner code in a sandboxed worker, verdicts here.

    graded = grade_submission(lesson_source, submitted_path, files=release_dir)
    graded.score, graded.max_score, graded.results[0].message, graded.notes

The lesson's source notebook decides everything that counts: which cells are tests, their grade
ids and points, and the text of locked cells. From the submission only the learner's own code is
taken: answer cells and any cells they added, in their order. Then, in the worker, each code cell
runs; at each test cell's place, its hidden test runs here (autograder.hidden) against the worker's
live namespace. So, whatever the submission holds:
  - test cells it edited, deleted, renamed, duplicated or re-pointed are the source's again (their
    code never runs anywhere); their points are the source's;
  - locked cells it edited run as the source has them;
  - a cell that kills the worker costs only the tests that needed it (autograder.boundary.session replays);
  - a notebook that is not valid JSON, or not a notebook, scores 0 with a note, never a traceback.
The lesson's own visible-check cells (a locked `check("N.k")`) do not run: they are the learner's feedback
at their desk, worth no points, and the grader shows no cell output, so they would only cost time (up to
0.8 s a notebook, again in each restarted interpreter). Whether a release's checks break is for `checks=True`.
`notes` tell the learner each of these in a sentence; `cell_notes` pairs those about one cell with its index
in the submission (autograder.gradebook.verdicts shows each right after that cell).
"""

from __future__ import annotations

import importlib
import logging
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from autograder.boundary import warm
from autograder.boundary.remote import Learner
from autograder.boundary.sandbox import Limits, Sandbox
from autograder.grade.plan import Step, cell_kind, plan, read_submission
from autograder.hidden import HiddenTests, Verdict, grading_seed
from course.worker.values import short_text

log = logging.getLogger(__name__)
_IDLE = 1  # brand-new interpreters started before a test asks for one: restarts fork it (autograder.boundary.session)

__all__ = ["CellRun", "Graded", "TestResult", "grade_submission", "hidden_tests"]


@dataclass(frozen=True)
class TestResult:
    grade_id: str
    max_score: float
    score: float
    status: str  # passed, failed, todo, not-run
    message: str = ""


@dataclass(frozen=True)
class CellRun:
    """How one code cell ran in the worker (for the instructor's checks, never shown as feedback)."""

    grade_id: str
    error_type: str = ""  # "" when it ran without an exception
    error: str = ""       # "Type: message", capped
    stderr: str = ""      # the start of what it wrote to stderr, capped
    died: str = ""        # why the worker ended during this cell


@dataclass
class Graded:
    results: list[TestResult]
    notes: list[str] = field(default_factory=list)
    runs: list[CellRun] = field(default_factory=list)
    sandbox: Sandbox | None = None
    steps: list[Step] = field(default_factory=list)
    seed: int = 0  # the hidden tests drew their inputs from it (autograder.hidden): grading again with it gives this
    cell_notes: list[tuple[int, str]] = field(default_factory=list)  # (index of the submitted cell, a note about it)

    @property
    def cell_errors(self) -> list[str]:
        return [run.error for run in self.runs if run.error]

    @property
    def restored(self) -> list[str]:
        """Test cells the submission had lost: graded all the same, from the source."""
        return [step.grade_id for step in self.steps if step.kind == "test" and step.restored]

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> float:
        return sum(r.max_score for r in self.results)

    def result(self, grade_id: str) -> TestResult:
        return next(r for r in self.results if r.grade_id == grade_id)


def hidden_tests(lesson: int) -> HiddenTests:
    """The hidden tests of lesson `lesson` (autograder/hidden/nbNN.py)."""
    module = importlib.import_module(f"autograder.hidden.nb{lesson:02d}")
    tests: HiddenTests = module.hidden
    return tests


def grade_submission(source: Path | str | Any, submission: Path | str | Any, *, files: Path | None = None,
                     lesson: int | None = None, limits: Limits | None = None,
                     sandbox: Sandbox | None = None, seed: int | None = None, ahead: bool = False,
                     one_core: bool = True, checks: bool = False) -> Graded:
    """Grade `submission` (a path or notebook) against the lesson `source` (its nbgrader source notebook).

    The hidden tests draw their inputs from `seed` (a new one from the OS, or `COURSE_GRADING_SEED`, when None).
    The worker is one started ahead for these `files` if there is one; `ahead=True` (a cohort: more submissions
    of this lesson follow) starts the next submission's worker while this one is graded (autograder.boundary.warm).
    `one_core`: each test shares the grader's core (autograder.boundary.cores); False where as many grading
    processes as cores run at once, which would end up sharing one. `checks`: run the lesson's visible-check
    cells as well (see the module docstring).
    """
    seed = grading_seed() if seed is None else seed
    source_nb = source if not isinstance(source, (str, Path)) else nbformat.read(str(source), as_version=4)
    if lesson is None:
        lesson = int(Path(str(source)).name[:2]) if isinstance(source, (str, Path)) else 0
    tests = [(c.metadata["nbgrader"]["grade_id"], float(c.metadata["nbgrader"].get("points", 0)))
             for c in source_nb.cells if cell_kind(c) == "test"]
    cells, problem = read_submission(submission)
    if cells is None:
        return Graded([TestResult(g, p, 0.0, "not-run", problem or "") for g, p in tests], notes=[problem or ""],
                      seed=seed)
    steps, tied = plan(source_nb, cells, checks=checks)
    notes, last = [text for _, text in tied], -1
    registry = hidden_tests(lesson) if tests else HiddenTests(f"{lesson:02d}")
    verdicts: dict[str, Verdict] = {}
    runs: list[CellRun] = []
    session = warm.session(files, limits=limits, sandbox=sandbox)
    if ahead:
        warm.ahead(files, limits=limits, sandbox=sandbox, interpreters=min(len(registry.interpreters), _IDLE))
    with session:
        wanted = sum(step.kind == "test" and step.grade_id in registry.interpreters for step in steps)
        session.start_interpreters_ahead(min(wanted, _IDLE))  # for the tests that ask for one (if not started yet)
        for number, step in enumerate(steps, 1):
            if session.out_of_time:
                if step.kind == "test":
                    verdicts[step.grade_id] = Verdict("not-run", f"not run: time limit ({session.time_limit})")
                continue
            last = step.cell  # the cell running when the time runs out
            if step.kind == "code":
                answer = session.run_cell(step.source)
                runs.append(_cell_run(step, answer))
                if "died" in answer:
                    notes.append(f"a cell (the {_ordinal(number)} to run) stopped the grading worker: "
                                 f"{answer['died']}; it was skipped and the rest ran in a fresh worker")
                    tied.append((step.cell, notes[-1]))
            else:
                with session.one_core() if one_core else nullcontext(), session.fork() as test:  # a fork of the cells
                    verdicts[step.grade_id] = _run_test(registry, step.grade_id, Learner(test), seed)
        used = session.sandbox
        if session.out_of_time:
            notes.append(f"grading stopped at the time limit: {session.time_limit}")
            tied.append((last, notes[-1]))
    if not used.hides_files:
        notes.append(f"graded without a file sandbox ({used.detail})")
    if used.gaps:
        notes.append(f"graded with limits this machine could not enforce: {', '.join(used.gaps)}")
    results = []
    for gid, points in tests:
        verdict = verdicts.get(gid)
        if verdict is None:
            results.append(TestResult(gid, points, 0.0, "not-run", "this test did not run"))
        else:
            results.append(TestResult(gid, points, points if verdict.passed else 0.0, verdict.status, verdict.message))
    return Graded(results, notes, runs, used, steps, seed, [(at, text) for at, text in tied if at >= 0])


def _cell_run(step: Step, answer: dict[str, Any]) -> CellRun:
    raised = answer.get("raised") if isinstance(answer.get("raised"), dict) else None
    kind = short_text(str(raised.get("type", "")), 80) if raised else ""
    error = short_text(f"{kind}: {raised.get('message', '')}") if raised else ""
    return CellRun(step.grade_id, kind, error, short_text(str(answer.get("stderr", "")), 500),
                   short_text(str(answer.get("died", "")), 200))


def _run_test(registry: HiddenTests, grade_id: str, learner: Learner, seed: int) -> Verdict:
    """One hidden test; a failure of the grader itself scores 0 with a plain message, and is logged."""
    try:
        return registry.run(grade_id, learner, seed)
    except Exception as error:
        log.exception("hidden test %s failed to run", grade_id)
        return Verdict("failed", "this test could not run because of a problem in the course's grader, not in "
                       f"your code; your instructor can see why ({type(error).__name__})")




def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"

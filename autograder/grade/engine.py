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
`notes` tell the learner each of these in a sentence; `cell_notes` pairs those about one cell with its index
in the submission (autograder.gradebook.verdicts shows each right after that cell).
"""

from __future__ import annotations

import importlib
import json
import logging
import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from autograder.boundary import warm
from autograder.boundary.remote import Learner
from autograder.boundary.sandbox import Limits, Sandbox
from autograder.hidden import HiddenTests, Verdict, grading_seed
from course.worker.values import short_text

_HIDDEN = re.compile(r"[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", flags=re.S)
log = logging.getLogger(__name__)

__all__ = ["CellRun", "Graded", "Step", "TestResult", "grade_submission", "hidden_tests", "plan", "read_submission", "restore", "visible_part"]


@dataclass(frozen=True)
class TestResult:
    grade_id: str
    max_score: float
    score: float
    status: str  # passed, failed, todo, not-run
    message: str = ""


@dataclass(frozen=True)
class Step:
    kind: str  # "code" or "test"
    source: str = ""
    grade_id: str = ""
    restored: bool = False  # the submission had lost this cell; it comes from the source
    cell: int = -1  # its index in the submission's cells (-1: restored from the source)


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


def _meta(cell: Any) -> dict[str, Any]:
    """A cell's nbgrader metadata, or {} for a cell whose metadata is not the shape a notebook's is."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def _kind(cell: Any) -> str:
    meta = _meta(cell)
    if meta.get("grade") and not meta.get("solution"):
        return "test"
    if meta.get("solution"):
        return "answer"
    if meta.get("locked"):
        return "locked"
    return "plain"


def _source(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def read_submission(path_or_nb: Path | str | Any) -> tuple[list[Any] | None, str | None]:
    """The submission's cells, or None and what is wrong with it (in a sentence)."""
    if not isinstance(path_or_nb, (str, Path)):
        return list(path_or_nb.cells), None
    path = Path(path_or_nb)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, "the submission has no notebook file"
    except (UnicodeDecodeError, ValueError) as error:
        return None, f"the submitted file is not a valid notebook (not JSON: {short_text(str(error), 100)})"
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        return None, "the submitted file is JSON but not a notebook (it has no list of cells)"
    return cells, None


def plan(source: Any, cells: list[Any]) -> tuple[list[Step], list[tuple[int, str]]]:
    """The steps to run for a submission (see the module docstring), and notes on what was repaired, each with the
    index of the submitted cell it is about."""
    by_id: dict[str, Any] = {_meta(c)["grade_id"]: c for c in source.cells if _meta(c).get("grade_id")}
    order: list[str] = [str(_meta(c).get("grade_id") or "") for c in source.cells]
    steps: list[Step] = []
    placed: dict[str, int] = {}
    notes: list[tuple[int, str]] = []
    for at, cell in enumerate(cells):
        found = _meta(cell).get("grade_id")
        gid = found if isinstance(found, str) else ""
        original = by_id.get(gid) if gid else None
        if original is None or gid in placed:
            if gid and gid in placed:
                notes.append((at, f"a second cell with the id {short_text(gid, 60)!r} ran as ordinary code"))
            elif gid and _kind(cell) == "test":
                notes.append((at, f"a test cell with the unknown id {short_text(gid, 60)!r} ran as ordinary code"))
            if cell.get("cell_type") == "code":
                steps.append(Step("code", _source(cell), cell=at))
            continue
        kind = _kind(original)
        placed[gid] = len(steps)
        if kind == "test":
            if visible_part(_source(cell)).strip() != visible_part(_source(original)).strip() or cell.get("cell_type") != "code":
                notes.append((at, f"the test cell {gid!r} had been edited; the original test was used"))
            steps.append(Step("test", grade_id=gid, cell=at))
        elif kind == "locked":
            if _source(cell).strip() != _source(original).strip():
                notes.append((at, f"the locked cell {gid!r} had been edited; it ran as the lesson has it"))
            if original.cell_type == "code":
                steps.append(Step("code", _source(original), gid, cell=at))
        elif original.cell_type == "code":
            steps.append(Step("code", _source(cell), gid, cell=at))
    for index, gid in enumerate(order):  # restore what the submission lost, after its nearest kept neighbour
        if not gid or gid in placed or _kind(by_id[gid]) not in ("test", "locked"):
            continue
        original = by_id[gid]
        if original.cell_type != "code":
            continue
        step = (Step("test", grade_id=gid, restored=True) if _kind(original) == "test"
                else Step("code", _source(original), gid, restored=True))
        placed = restore(steps, step, placed, order, index)
    return steps, notes


def restore(items: list[Any], item: Any, placed: dict[str, int], order: list[str], index: int) -> dict[str, int]:
    """Put back the source's cell number `index` (an item of `items`) after its nearest earlier neighbour that is
    present, or first; returns the updated positions of the placed grade ids (`placed`: grade id -> index)."""
    earlier = [placed[g] for g in order[:index] if g in placed]
    at = max(earlier) + 1 if earlier else 0
    items.insert(at, item)
    moved = {g: (i + 1 if i >= at else i) for g, i in placed.items()}
    moved[order[index]] = at
    return moved


def grade_submission(source: Path | str | Any, submission: Path | str | Any, *, files: Path | None = None,
                     lesson: int | None = None, limits: Limits | None = None,
                     sandbox: Sandbox | None = None, seed: int | None = None, ahead: bool = False,
                     one_core: bool = True) -> Graded:
    """Grade `submission` (a path or notebook) against the lesson `source` (its nbgrader source notebook).

    The hidden tests draw their inputs from `seed` (a new one from the OS, or `COURSE_GRADING_SEED`, when None).
    The worker is one started ahead for these `files` if there is one; `ahead=True` (a cohort: more submissions
    of this lesson follow) starts the next submission's worker while this one is graded (autograder.boundary.warm).
    `one_core`: each test shares the grader's core (autograder.boundary.cores); False where as many grading
    processes as cores run at once, which would end up sharing one.
    """
    seed = grading_seed() if seed is None else seed
    source_nb = source if not isinstance(source, (str, Path)) else nbformat.read(str(source), as_version=4)
    if lesson is None:
        lesson = int(Path(str(source)).name[:2]) if isinstance(source, (str, Path)) else 0
    tests = [(c.metadata["nbgrader"]["grade_id"], float(c.metadata["nbgrader"].get("points", 0)))
             for c in source_nb.cells if _kind(c) == "test"]
    cells, problem = read_submission(submission)
    if cells is None:
        return Graded([TestResult(g, p, 0.0, "not-run", problem or "") for g, p in tests], notes=[problem or ""],
                      seed=seed)
    steps, tied = plan(source_nb, cells)
    notes, last = [text for _, text in tied], -1
    registry = hidden_tests(lesson) if tests else HiddenTests(f"{lesson:02d}")
    verdicts: dict[str, Verdict] = {}
    runs: list[CellRun] = []
    session = warm.session(files, limits=limits, sandbox=sandbox)
    if ahead:  # before `with`: the next worker's folder is not made inside this one's
        warm.ahead(files, limits=limits, sandbox=sandbox)
    with session:
        wanted = sum(step.kind == "test" and step.grade_id in registry.interpreters for step in steps)
        session.start_interpreters_ahead(min(wanted, 2))  # for the tests that ask for one; at most 2 wait idle
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


def visible_part(source: str) -> str:
    """A test cell's source as a learner may see it (as the release has it): hidden-test regions removed."""
    return _HIDDEN.sub("", source).rstrip()


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"

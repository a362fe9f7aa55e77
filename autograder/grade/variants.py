"""Score wrong answers fast: one worker runs the solution notebook, then tries each variant in turn.

A full grading run per wrong answer costs a worker start and a whole notebook run. Here the
solution notebook runs once in one sandboxed worker (autograder.boundary.session); then, for each variant
of a solution cell, the variant is defined in the same worker with the later cells that build the
agent from it (those tagged `export`), the hidden tests of that exercise (the graded cells after the
solution cell, up to the next one) run exactly as the trusted grader runs them (the names the
solution cell defines are unbound first, as in a notebook where that cell never ran), then every name is
bound again as it was before the variant (a variant that shadows an import, such as a home-made
`ValidationError`, leaves nothing behind) and the right solution is defined again, with the same
later cells. Used by tests/test_grading_wrong_answers.py;
handy for an author trying a wrong answer:

    from course.grading.layout import find_lesson
    from autograder.grade.variants import grade_variants
    grade_variants(find_lesson(2), {"render": ["def render(template, values):\\n    return template"]})
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import nbformat

from autograder.boundary.remote import Learner
from autograder.boundary.sandbox import Limits
from autograder.boundary.session import LearnerSession
from autograder.grade.engine import _run_test, hidden_tests
from course.grading.layout import Lesson

__all__ = ["VariantResult", "exercises", "grade_variants"]


@dataclass(frozen=True)
class VariantResult:
    solution: str  # grade id of the solution cell replaced
    index: int  # which variant of that cell
    scores: dict[str, tuple[float, float]]  # graded cell -> (score, max score)
    messages: dict[str, str]  # graded cell -> the hidden test's message, for failed cells
    visible: str = ""  # the exercise's visible check on this variant: "passed", "failed", "todo" ("" if none)

    @property
    def lost(self) -> float:
        return sum(top - got for got, top in self.scores.values())


def exercises(nb: Any) -> dict[str, list[int]]:
    """Solution grade id -> indices of the graded cells after it, up to the next solution cell."""
    out: dict[str, list[int]] = {}
    current = None
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            current = meta["grade_id"]
            out[current] = []
        elif meta.get("grade") and current is not None:
            out[current].append(index)
    return out


def visible_exercises(nb: Any) -> dict[str, str]:
    """Solution grade id -> the exercise its visible check names ("1.2"), from the `check("1.2")` cell after it."""
    out: dict[str, str] = {}
    current = None
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            current = meta["grade_id"]
        elif current and current not in out and (found := re.search(r'check\("([\d.]+)"\)', cell.source)):
            out[current] = found.group(1)
    return out


def grade_variants(lesson: Lesson, variants: dict[str, list[str]], *, limits: Limits | None = None,
                   seed: int = 0) -> list[VariantResult]:
    """Score each variant (solution grade id -> replacement sources) of `lesson`'s solution cells, under `seed`."""
    nb = nbformat.read(str(lesson.source), as_version=4)
    by_exercise = exercises(nb)
    cell_of = {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(nb.cells)}
    unknown = sorted(set(variants) - set(by_exercise))
    if unknown:
        raise KeyError(f"lesson {lesson.slug} has no solution cell {', '.join(unknown)}")
    tests = {i: (nb.cells[i].metadata["nbgrader"]["grade_id"], float(nb.cells[i].metadata["nbgrader"]["points"]))
             for indices in by_exercise.values() for i in indices}
    registry = hidden_tests(lesson.number)
    checks = visible_exercises(nb)
    results = []
    with LearnerSession(lesson.source_dir, limits=limits) as session:  # the files beside the source: the stage module
        learner = Learner(session)
        run_exercise = learner.course("course.grading.visible:run_exercise")
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and index not in tests:
                session.run_cell(cell.source)
        for solution, sources in variants.items():
            later = _definitions_after(nb, cell_of[solution])
            defined = _names_defined(nb.cells[cell_of[solution]].source)
            for k, source in enumerate(sources):
                session.run_cell(_SNAPSHOT)
                session.run_cell(f"for __name in {defined!r}:\n    globals().pop(__name, None)")  # the cell's own, unbound
                session.run_cell(source.strip("\n"))
                for cell in later:  # what later cells built from it (TOOLS, default arguments) uses the variant too
                    session.run_cell(cell)
                scores, messages = {}, {}
                for index in by_exercise[solution]:
                    grade_id, points = tests[index]
                    verdict = _run_test(registry, grade_id, learner, seed)
                    scores[grade_id] = (points if verdict.passed else 0.0, points)
                    if not verdict.passed:
                        messages[grade_id] = verdict.message
                shown = ""
                if solution in checks:
                    shown = str(run_exercise(checks[solution], learner["get_ipython"]().user_ns).status.value)
                results.append(VariantResult(solution, k, scores, messages, shown))
                session.run_cell(_RESTORE)  # names the variant added or rebound (a home-made ValidationError) go
                for cell in [nb.cells[cell_of[solution]].source, *later]:
                    session.run_cell(cell)
    return results


_SNAPSHOT = "__names_before_variant = dict(globals())"


def _names_defined(source: str) -> list[str]:
    """The top-level names a solution cell binds: a variant replaces the cell, so it starts without them (a stub that
    raises half-way through a class body must not leave the solution's class in place)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)]
    return sorted(set(names))
_RESTORE = ("(lambda saved: (globals().clear(), globals().update(saved)))"
            "(globals().pop('__names_before_variant'))")


def _definitions_after(nb: Any, index: int) -> list[str]:
    """The later cells that define the agent (tagged `export`): re-run so they see a replaced answer."""
    return [cell.source for cell in nb.cells[index + 1:]
            if cell.cell_type == "code" and "export" in cell.metadata.get("tags", [])]

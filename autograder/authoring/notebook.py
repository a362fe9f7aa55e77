'''Write a solution notebook from Python, and lint one edited by hand.

A lesson's source is solutions/NN-slug/NN-slug.ipynb. Hand-writing nbgrader metadata is
error-prone; build the notebook from a short script instead (keep it as dev/build_NN.py or
anywhere; the notebook is the source of truth once written, edit it in Jupyter afterwards):

    from autograder.authoring.notebook import NotebookBuilder

    nb = NotebookBuilder(lesson=1, slug="01-natural-language-to-tool-calls")
    nb.markdown("# 01 · Natural language to tool calls\\n...")
    nb.setup("from course.grading import check\\nfrom course.agents.naive import *")   # locked
    nb.solution("parse_tool_call", """
    def parse_tool_call(name: str, arguments: str) -> Intent | ToolError:
        \\"\\"\\"Turn the model's tool call into a validated intent.\\"\\"\\"
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION
    """, export=True)                                  # tag `export`: part of the stage-01 agent
    nb.code("""
    try:                                               # "you should see" cell: runs in the release too
        print(parse_tool_call("get_order", '{"order_id": 1042}'))
    except NotImplementedError:
        print("Finish Exercise 1.1 first.")
    """)
    nb.check("1.1")                                    # locked cell: check("1.1")
    nb.hidden_test("parse_rejects_unknown_tool", points=2,
                   doc="Check that parse_tool_call rejects a tool the shop does not have.")
    nb.write()                                         # solutions/01-.../01-....ipynb (lints it too)

Cells and their nbgrader metadata (what `write` produces; match it when editing by hand —
in Jupyter: View → Cell Toolbar → Create Assignment):

    markdown / code        none (learner may edit); code ending in a value to look at
    setup(...)             "Read-only" (locked): restored from the source when grading
    solution(grade_id)     "Autograded answer": solution=true, grade=false; solution region between
                           `### BEGIN SOLUTION` and `### END SOLUTION`; tags ["export"] if exported
    check("N.k")           "Read-only": `check("N.k")`; the visible checks, worth 0
    hidden_test(grade_id)  "Autograder tests": grade=true, points, locked; body = docstring +
                           `### BEGIN HIDDEN TESTS` / `hidden("grade_id", globals())` / `### END HIDDEN TESTS`
    export(source)         plain code tagged `export` (given code that belongs to the stage agent)

Rules the tests enforce (tests/test_notebooks.py and friends), per lesson:
  - the solution runs top to bottom with no error and nothing on stderr (a warning in a graded
    cell scores 0), and earns full marks under real nbgrader autograde;
  - the release runs top to bottom with the stubs' NotImplementedError as the only errors (catch
    it in "you should see" cells, as above), and earns 0 on every graded cell: each graded cell
    must call the learner's code;
  - each wrong answer kept in tests/wrong_answers/nbNN.py,
    `WRONG_ANSWERS = {"<solution grade id>": ["<whole replacement cell source>", ...]}`,
    loses points on the graded cells after that solution cell (up to the next solution cell);
  - `course release` has been run: notebooks/ and the stage modules match the sources, and no
    release holds a solution of its own lesson or a later one.

`lint(path)` lists what would break grading: duplicate grade ids, markers outside solution cells,
graded cells without points or that test nothing, outputs left in the source.
'''

from __future__ import annotations

import re
from pathlib import Path
from textwrap import dedent
from typing import Any

import nbformat

from course.grading.layout import REPO_ROOT

__all__ = ["NotebookBuilder", "hidden_test_source", "lint"]

_SCHEMA = 3
_GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


HIDDEN_TAIL = "pass  # the hidden tests of this cell run when your notebook is graded"  # so the release cell shows no output


def hidden_test_source(lesson: int, grade_id: str, doc: str, tests: list[str] | None = None) -> str:
    """The body of a graded test cell that runs hidden tests `tests` (default: the one named `grade_id`)."""
    calls = "\n".join(f'hidden("{name}", globals())' for name in (tests or [grade_id]))
    return (f'"""{doc.strip()}"""\n### BEGIN HIDDEN TESTS\n'
            f"from autograder.hidden.nb{lesson:02d} import hidden\n{calls}\n### END HIDDEN TESTS\n{HIDDEN_TAIL}")


def _nbgrader(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
              points: float | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": locked,
                            "schema_version": _SCHEMA, "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


class NotebookBuilder:
    """Collects cells in order, then writes a clean, valid nbgrader source notebook."""

    def __init__(self, lesson: int, slug: str | None = None) -> None:
        self.lesson = lesson
        self.slug = slug
        self.cells: list[Any] = []
        self._ids: set[str] = set()

    def _add(self, cell: Any, grade_id: str | None = None, tags: list[str] | None = None) -> Any:
        if grade_id is not None:
            if not _GRADE_ID.match(grade_id) or grade_id in self._ids:
                raise ValueError(f"grade id {grade_id!r} is malformed or used twice")
            self._ids.add(grade_id)
        if tags:
            cell.metadata["tags"] = tags
        cell.id = grade_id or f"cell-{len(self.cells):03d}"
        self.cells.append(cell)
        return cell

    def markdown(self, text: str) -> Any:
        return self._add(nbformat.v4.new_markdown_cell(dedent(text).strip()))

    def code(self, source: str, *, tags: list[str] | None = None) -> Any:
        return self._add(nbformat.v4.new_code_cell(dedent(source).strip()), tags=tags)

    def export(self, source: str) -> Any:
        """Code given to the learner that is part of the stage agent (tagged `export`)."""
        return self.code(source, tags=["export"])

    def setup(self, source: str, grade_id: str | None = None) -> Any:
        grade_id = grade_id or f"setup-{len(self.cells):03d}"
        cell = nbformat.v4.new_code_cell(dedent(source).strip())
        cell.metadata["nbgrader"] = _nbgrader(grade_id, locked=True)
        cell.metadata.update({"deletable": False, "editable": False})
        return self._add(cell, grade_id)

    def solution(self, grade_id: str, source: str, *, export: bool = False) -> Any:
        text = dedent(source).strip()
        if "### BEGIN SOLUTION" not in text or "### END SOLUTION" not in text:
            raise ValueError(f"solution {grade_id!r} needs a ### BEGIN SOLUTION / ### END SOLUTION region")
        cell = nbformat.v4.new_code_cell(text)
        cell.metadata["nbgrader"] = _nbgrader(grade_id, solution=True)
        return self._add(cell, grade_id, ["export"] if export else None)

    def check(self, exercise: str) -> Any:
        return self.setup(f'check("{exercise}")', grade_id=f"check-{exercise.replace('.', '_')}")

    def hidden_test(self, grade_id: str, *, points: float, doc: str, tests: list[str] | None = None) -> Any:
        if points <= 0:
            raise ValueError("a graded test cell needs points > 0")
        cell = nbformat.v4.new_code_cell(hidden_test_source(self.lesson, grade_id, doc, tests))
        cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=True, locked=True, points=points)
        cell.metadata.update({"deletable": False, "editable": False})
        return self._add(cell, grade_id)

    def notebook(self) -> Any:
        nb = nbformat.v4.new_notebook(cells=list(self.cells))
        nb.metadata = {"kernelspec": dict(_KERNELSPEC), "language_info": {"name": "python"}}
        nbformat.validate(nb)
        return nb

    def write(self, path: Path | str | None = None, *, root: Path | None = None) -> Path:
        """Write the notebook (default: solutions/NN-slug/NN-slug.ipynb) and lint it."""
        if path is None:
            if not self.slug:
                raise ValueError("give the builder a slug ('01-tools') or write(path)")
            path = Path(root or REPO_ROOT) / "solutions" / self.slug / f"{self.slug}.ipynb"
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(nbformat.writes(self.notebook()) + "\n", encoding="utf-8")
        problems = lint(path)
        if problems:
            raise ValueError(f"{path}: " + "; ".join(problems))
        return path


def _between(text: str, begin: str, end: str) -> list[str]:
    return re.findall(re.escape(begin) + r"\n?(.*?)" + re.escape(end), text, flags=re.S)


def lint(path: Path | str) -> list[str]:
    """Problems in a source notebook that would break releasing or grading (empty list: fine)."""
    nb = nbformat.read(str(path), as_version=4)
    problems: list[str] = []
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        where = f"cell {index}"
        meta = cell.metadata.get("nbgrader", {})
        source = cell.source
        grade_id = meta.get("grade_id")
        if grade_id:
            where = f"cell {index} ({grade_id})"
            if grade_id in seen:
                problems.append(f"{where}: grade id used twice")
            seen.add(grade_id)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            problems.append(f"{where}: has outputs; clear them before committing")
        has_solution = "### BEGIN SOLUTION" in source
        if has_solution and not meta.get("solution"):
            problems.append(f"{where}: solution region in a cell that is not an nbgrader solution cell")
        if meta.get("solution") and not has_solution and cell.cell_type == "code":
            problems.append(f"{where}: solution cell without a ### BEGIN SOLUTION region")
        if "### BEGIN HIDDEN TESTS" in source and not meta.get("grade"):
            problems.append(f"{where}: hidden tests in a cell that is not graded")
        if meta.get("grade"):
            if not meta.get("points"):
                problems.append(f"{where}: graded cell without points")
            if cell.cell_type == "code" and not meta.get("solution"):
                code = re.sub(r'^\s*(""".*?"""|\'\'\'.*?\'\'\')', "", source, flags=re.S)
                if not re.sub(r"(?m)^\s*(#.*)?$", "", code).strip():
                    problems.append(f"{where}: graded cell tests nothing (every submission would get full marks)")
        if "export" in cell.metadata.get("tags", []):
            if cell.cell_type != "code":
                problems.append(f"{where}: only code cells can be exported")
            elif re.search(r"^\s*[%!]", source, flags=re.M):
                problems.append(f"{where}: exported cells cannot use magics or shell escapes")
            if "### BEGIN HIDDEN TESTS" in source:
                problems.append(f"{where}: an exported cell cannot hold hidden tests")
    return problems

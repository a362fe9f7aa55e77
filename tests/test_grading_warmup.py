"""What a worker imports before its hello (autograder.boundary.warmup): the widgets only for a lesson that shows them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from autograder.boundary.remote import Learner
from autograder.boundary.session import LearnerSession
from autograder.boundary.warmup import shows_widgets
from course.grading.layout import find_lesson

_IMPORTED = "import sys\nWIDGETS = 'ipywidgets' in sys.modules"


def _notebook(folder: Path, *cells: tuple[str, str]) -> None:
    nb = {"cells": [{"cell_type": kind, "source": text, "metadata": {}} for kind, text in cells],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "lesson.ipynb").write_text(json.dumps(nb), encoding="utf-8")


@pytest.mark.parametrize(("lesson", "shows"), [(2, False), (4, False), (3, True), (8, True), (13, True)])
def test_a_lesson_shows_widgets_when_a_code_cell_or_a_module_of_its_folder_imports_them(lesson: int,
                                                                                         shows: bool) -> None:
    # 03 imports course.widgets in a cell; 08 and the capstone import a stage module that draws an approval card
    assert shows_widgets(find_lesson(lesson).release_dir) is shows


def test_prose_about_widgets_an_unreadable_notebook_and_no_folder_decide_as_they_should(tmp_path: Path) -> None:
    _notebook(tmp_path, ("markdown", "from course.widgets import thread_viewer, shown as text"), ("code", "x = 1"))
    assert shows_widgets(tmp_path) is False, "a markdown cell decided the import"
    (tmp_path / "lesson.ipynb").write_text("{not json", encoding="utf-8")
    assert shows_widgets(tmp_path) is False
    (tmp_path / "stage_07.py").write_text("import html\nimport ipywidgets as widgets\n", encoding="utf-8")
    assert shows_widgets(tmp_path) is True
    assert shows_widgets(None) is True, "with no lesson folder, nothing says the widgets are not needed"


def test_a_worker_imports_the_widgets_before_its_first_cell_only_for_a_lesson_that_shows_them(tmp_path: Path) -> None:
    plain, shown = tmp_path / "plain", tmp_path / "shown"
    for folder, cell in ((plain, "x = 1"), (shown, "from course.widgets import thread_viewer")):
        folder.mkdir()
        _notebook(folder, ("code", cell))
    with LearnerSession(plain) as session:
        assert session.run_cell(_IMPORTED) == {"ok": True}
        assert Learner(session)["WIDGETS"].value is False, "a lesson with no widgets paid for their import"
        with Learner(session).fresh(interpreter=True) as restarted:  # a restart starts as its session did
            assert restarted["WIDGETS"].value is False
        assert session.run_cell("import ipywidgets\nOK = ipywidgets.IntSlider(3).value") == {"ok": True}
        assert Learner(session)["OK"].value == 3, "a learner's own import of the widgets must still work"
    with LearnerSession(shown) as session:
        assert session.run_cell(_IMPORTED) == {"ok": True}
        assert Learner(session)["WIDGETS"].value is True


def test_odd_folders_and_notebooks_decide_without_raising(tmp_path: Path) -> None:
    (tmp_path / "lesson.ipynb").write_text(json.dumps({"cells": [{"cell_type": "code", "source": [1, None]}]}),
                                           encoding="utf-8")
    (tmp_path / "deep.ipynb").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (tmp_path / "stage.py").mkdir()  # a folder named like a module
    os.mkfifo(tmp_path / "pipe.py")  # read, it would never end
    assert shows_widgets(tmp_path) is False
    assert shows_widgets(tmp_path / "lesson.ipynb") is True, "a file is no folder to decide from"

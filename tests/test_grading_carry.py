"""`course carry`: a learner starts lesson N+1 from their own lesson-N agent, once its visible checks pass.

On the toy course (tests/toy_course.py): lesson 01-next starts from stage_00 (`add`, `shout`).
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import nbformat
import pytest
from toy_course import build_toy_course

from autograder.authoring.release import release_all
from course.grading.carry import carry, starting_point

OWN_ADD = 'def add(a, b):\n    """Return the sum of a and b."""\n    return sum((a, b))  # my own way'
OWN_SHOUT = 'def shout(text: str) -> str:\n    return f"{text.upper()}!"'


@pytest.fixture
def toy(tmp_path) -> Path:
    root = build_toy_course(tmp_path / "course")
    release_all(root)
    return root


def _finish(toy: Path, answers: dict[str, str]) -> Path:
    path = toy / "notebooks" / "00-toy" / "00-toy.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    nbformat.write(nb, str(path))
    return path


def _import(module: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(f"carried_{module.stat().st_mtime_ns}", module)
    assert spec and spec.loader
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def test_an_unfinished_lesson_is_not_carried_and_the_next_keeps_the_reference(toy, capsys):
    carried, message = carry(_finish(toy, {"add": OWN_ADD}), toy)
    module = toy / "notebooks" / "01-next" / "stage_00.py"
    assert not carried and "0.2 (todo)" in message and "reference agent" in message
    capsys.readouterr()
    said = starting_point(0, module.parent)
    assert module.is_symlink() and "reference agent" in said
    assert capsys.readouterr().out == "" and repr(said) == str(said)  # a notebook shows it once, without quotes


def test_a_finished_lesson_carries_the_learners_own_agent_and_the_reference_can_come_back(toy):
    path = _finish(toy, {"add": OWN_ADD, "shout": OWN_SHOUT})
    carried, message = carry(path, toy)
    module = toy / "notebooks" / "01-next" / "stage_00.py"
    assert carried, message
    assert not module.is_symlink() and "sum((a, b))  # my own way" in module.read_text()
    assert (module.parent / "stage_00_reference.py").is_symlink()
    own = _import(module)
    assert own.add(2, 3) == 5 and own.shout("hi") == "HI!" and own.GREETING == "hello"
    assert "your own agent" in starting_point(0, module.parent)
    carried, message = carry(path, toy, reference=True)
    assert module.is_symlink() and not (module.parent / "stage_00_reference.py").exists()
    assert "reference agent" in message


def test_an_answer_that_fails_its_visible_check_sends_the_next_lesson_back_to_the_reference(toy):
    path = _finish(toy, {"add": OWN_ADD, "shout": OWN_SHOUT})
    assert carry(path, toy)[0]
    _finish(toy, {"add": "def add(a, b):\n    return a - b"})
    carried, message = carry(path, toy)
    assert not carried and "0.1 (failed)" in message
    assert (toy / "notebooks" / "01-next" / "stage_00.py").is_symlink()
    shutil.rmtree(toy)

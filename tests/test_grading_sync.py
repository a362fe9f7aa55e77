"""The real course's generated files are what its sources give (skipped while solutions/ is empty).

Fails when someone edits solutions/NN-slug/NN-slug.ipynb and forgets `course release` (which
exports the stage modules and regenerates notebooks/), or edits a generated file by hand.
"""

from __future__ import annotations

import pytest

from autograder.authoring import export, reference
from autograder.authoring.leaks import scan
from autograder.authoring.notebook import lint
from autograder.authoring.release import drift
from course.grading.layout import REPO_ROOT, lessons

LESSONS = lessons()
pytestmark = pytest.mark.skipif(not LESSONS, reason="no lesson in solutions/ yet")


def test_every_solution_notebook_lints_clean():
    problems = [f"{lesson.slug}: {p}" for lesson in LESSONS for p in lint(lesson.source)]
    assert problems == []


def test_stage_modules_are_in_sync_with_the_notebooks():
    assert export.stale() == [], "run `course export` (or `course release`) and commit the result"


def test_committed_releases_are_exactly_what_the_sources_generate():
    assert drift() == [], "run `course release` and commit notebooks/"


def test_no_release_reveals_a_solution_of_its_lesson_or_a_later_one_or_a_hidden_test():
    assert scan(REPO_ROOT / "notebooks") == []


def test_the_student_edition_of_the_course_reveals_nothing(tmp_path):
    from autograder.authoring.edition import build_student_edition

    dest = build_student_edition(tmp_path / "edition")  # raises if anything leaks
    assert not (dest / "autograder").exists()
    assert scan(dest) == []


STAGES = sorted(int(p.stem[6:]) for p in (REPO_ROOT / "stages").glob("stage_[0-9][0-9].py"))


@pytest.mark.parametrize("number", STAGES)
def test_every_stage_module_imports_on_its_own_and_defines_each_name_once(number):
    import ast

    module = reference.load(number)
    assert module.__doc__.startswith(f"Stage {number:02d}")
    tree = ast.parse((REPO_ROOT / "stages" / f"stage_{number:02d}.py").read_text(encoding="utf-8"))
    defined = [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    assert sorted({n for n in defined if defined.count(n) > 1}) == []
    assert set(module.__all__) >= set(defined) - {n for n in defined if n.startswith("_")}


def test_each_lesson_links_to_the_one_copy_of_its_stage():
    for lesson in LESSONS[1:]:
        for folder in (lesson.source_dir, lesson.release_dir):
            link = folder / f"stage_{lesson.number - 1:02d}.py"
            assert link.is_symlink(), f"{link} should be a link into stages/"
            assert link.resolve() == (REPO_ROOT / "stages" / link.name).resolve()


def test_what_tools_leave_in_a_lesson_folder_never_reaches_a_release(tmp_path):
    from pathlib import Path

    from autograder.authoring.release import _files
    from course.grading.layout import is_working_file

    for left in (".hypothesis/examples/ab/cd", "__pycache__/stage_01.cpython-311.pyc", ".ipynb_checkpoints/x.ipynb"):
        (tmp_path / left).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / left).write_text("x")
    (tmp_path / "stage_01.py").write_text("x")
    assert sorted(_files(tmp_path)) == ["stage_01.py"]
    assert not is_working_file(Path("stage_01.py")) and is_working_file(Path("a/.hypothesis/b"))

"""A gradebook file opened once per process (autograder.gradebook.kept): the same file, the same engine, and a file
replaced on disk read as the new one."""

from __future__ import annotations

from pathlib import Path

from nbgrader.api import Gradebook

from autograder.gradebook.kept import gradebook_at
from autograder.gradebook.nbgrader_run import new_gradebook


def test_a_gradebook_is_made_with_its_tables_then_opened_again_on_the_same_engine(tmp_path: Path) -> None:
    path = new_gradebook(tmp_path / "gradebook.db")
    with gradebook_at(path, "course") as gb:
        gb.add_student("maya")
        engine = gb.engine
    with gradebook_at(path, "course") as gb:
        assert gb.engine is engine, "the file was opened anew: its statements are compiled again"
        assert [s.id for s in gb.students] == ["maya"]
    with Gradebook(f"sqlite:///{path}", "course") as gb:  # nbgrader's own reading of what was written
        assert [s.id for s in gb.students] == ["maya"]


def test_a_gradebook_replaced_on_disk_is_read_as_the_new_file(tmp_path: Path) -> None:
    path = new_gradebook(tmp_path / "gradebook.db")
    with gradebook_at(path, "course") as gb:
        gb.add_student("maya")
    new_gradebook(path)  # deleted, and made again at the same path
    with Gradebook(f"sqlite:///{path}", "course") as gb:
        gb.add_student("ines")
    with gradebook_at(path, "course") as gb:
        assert [s.id for s in gb.students] == ["ines"], "the file that was deleted is still the one read"
        gb.add_student("noor")
    with Gradebook(f"sqlite:///{path}", "course") as gb:
        assert sorted(s.id for s in gb.students) == ["ines", "noor"]

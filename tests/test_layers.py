"""The layers point one way: the learner's side (`course/`) never imports the grader (`autograder/`).

The student edition is `course/` without the grader, so any such import would break it; the
grader reaches the `course` command only through its entry point (course.grading.plugins).
"""

from __future__ import annotations

import ast
from pathlib import Path

from course.grading.plugins import grader

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_nothing_under_course_imports_the_grader():
    offenders = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "course").rglob("*.py")
                       if any(name == "autograder" or name.startswith("autograder.") for name in _imports(path)))
    assert offenders == []


def test_nothing_under_course_names_the_grader_in_a_string_import():
    for path in (ROOT / "course").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import_module(\"autograder" not in text and "import_module('autograder" not in text, path


def test_the_grader_is_found_through_its_entry_point():
    plugin = grader()
    assert plugin is not None and plugin.__name__ == "autograder.cli"
    assert callable(plugin.register) and callable(plugin.check) and callable(plugin.sandbox_description)

"""The reference answer of a solution cell, read from the lesson's nbgrader source: one copy of it."""

from __future__ import annotations

import nbformat

from course.grading.layout import find_lesson

__all__ = ["recognising", "reference", "slip"]


def reference(lesson: int, grade_id: str) -> str:
    """The cell's source with its `### BEGIN/END SOLUTION` markers dropped (the code between them kept)."""
    nb = nbformat.read(str(find_lesson(lesson).source), as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "\n".join(line for line in cell.source.splitlines() if "### BEGIN SOLUTION" not in line
                     and "### END SOLUTION" not in line)


def slip(lesson: int, grade_id: str, old: str, new: str) -> str:
    """The reference answer with `old` replaced by `new`: a wrong answer as a small slip of the right one."""
    source = reference(lesson, grade_id)
    assert old in source, f"the reference {grade_id} of lesson {lesson:02d} no longer contains {old!r}"
    return source.replace(old, new)


def recognising(lesson: int, grade_id: str, name: str, signature: str, arguments: str, otherwise: str,
                old: tuple[str, ...], *, graded_only: bool = False) -> str:
    """The cell's reference with `name` renamed, behind a `name` that uses it only on inputs that mention one of
    `old` (else it runs `otherwise`): a table of the old tests' inputs. With `graded_only`, it also tells the
    grader's calls from the notebook's own (a grading frame on the stack) and is the reference in the notebook,
    where the visible checks run."""
    original = reference(lesson, grade_id).replace(f"def {name}(", f"def _reference_{name}(", 1)
    test = f"_recognised({arguments})"
    if graded_only:
        test = f"not any('course/worker' in frame.filename for frame in __import__('inspect').stack()) or {test}"
    return f'''{original}

import re as _re

_OLD = {old!r}


def _recognised(*values):
    """True when any value mentions what the old tests used."""
    text = " ".join(repr(v.model_dump()) if hasattr(v, "model_dump") and not isinstance(v, type)
                    else repr(getattr(v, "__name__", v)) for v in values)
    return any(_re.search("(?<![0-9A-Za-z])" + _re.escape(old) + "(?![0-9A-Za-z])", text) for old in _OLD)


def {name}({signature}):
    if {test}:
        return _reference_{name}({arguments})
    {otherwise}
'''

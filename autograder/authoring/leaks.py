"""What a learner must not be able to read: solution regions, hidden tests, the autograder.

The rule, for any folder handed to learners (the releases in notebooks/, a student edition):
  - no file holds a solution marker or a hidden-test marker, or imports `autograder`;
  - a file under notebooks/NN-slug/ may hold solutions of lessons before NN only (the stage
    module lesson NN starts from is the reference solution of NN-1), never of NN or later;
  - any other file holds no solution of any lesson.
Solution regions are compared line by line with indentation and blank lines ignored; regions
shorter than 12 characters (`return 0`) are skipped, since they may well appear elsewhere.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

from course.grading.layout import REPO_ROOT, Lesson, lessons

__all__ = ["MARKERS", "scan", "solution_regions"]

MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
_IMPORTS_AUTOGRADER = re.compile(r"^\s*(from|import)\s+autograder\b", flags=re.M)
_RELEASE = re.compile(r"^(\d{2})-")


def flatten(text: str) -> str:
    """Text with each line stripped and blank lines dropped; a notebook becomes its cells' sources."""
    try:
        nb = json.loads(text)
    except ValueError:
        nb = None
    if isinstance(nb, dict) and isinstance(nb.get("cells"), list):
        text = "\n".join(c.get("source", "") if isinstance(c.get("source"), str) else "".join(c.get("source", []))
                         for c in nb["cells"] if isinstance(c, dict))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def solution_regions(lesson: Lesson) -> list[str]:
    """The flattened text of each solution region of `lesson` (12 characters or more)."""
    regions = []
    for cell in nbformat.read(str(lesson.source), as_version=4).cells:
        for body in re.findall(r"### BEGIN SOLUTION[^\n]*\n(.*?)[ \t]*### END SOLUTION", cell.source, flags=re.S):
            if len(flatten(body)) >= 12:
                regions.append(flatten(body))
    return regions


def scan(folder: Path | str, root: Path | None = None) -> list[str]:
    """Every breach of the rule in `folder` (empty list: nothing leaks); lessons come from `root`."""
    folder = Path(folder)
    by_lesson = {lesson.number: solution_regions(lesson) for lesson in lessons(Path(root or REPO_ROOT))}
    found = [f"{name}/ is present" for name in ("autograder", "solutions") if (folder / name).is_dir()]
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError:
            continue
        rel = path.relative_to(folder)
        code = flatten(text)
        found += [f"{rel}: contains {marker!r}" for marker in MARKERS if marker in text or marker in code]
        if path.suffix in {".py", ".ipynb"} and _IMPORTS_AUTOGRADER.search(code):
            found.append(f"{rel}: imports autograder")
        release = _RELEASE.match(rel.parts[0]) if len(rel.parts) > 1 else None
        if rel.parts[0] == "notebooks" and len(rel.parts) > 2:
            release = _RELEASE.match(rel.parts[1])
        allowed_below = int(release.group(1)) if release else -1
        found += [f"{rel}: contains a solution of lesson {number:02d}"
                  for number, regions in by_lesson.items() if number >= allowed_below
                  for region in regions if region in code]
    return sorted(set(found))

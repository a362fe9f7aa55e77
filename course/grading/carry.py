"""`course carry NOTEBOOK`: start the next lesson from your own agent instead of the reference one.

    course carry notebooks/03-own-your-context-window/03-own-your-context-window.ipynb
    course carry notebooks/03-own-your-context-window/03-own-your-context-window.ipynb --reference

runs your finished lesson-03 notebook and its visible checks (offline, as `course check` runs them
in the student edition). When every check passes, your agent (`from stage_02 import *`, the module
your lesson 03 started from, then your cells tagged `export`, made as the reference stages are:
course.grading.stagecode) becomes
notebooks/04-…/stage_03.py, the module lesson 04 starts from (`from stage_03 import *`); the
reference is kept beside it as stage_03_reference.py. When a check fails, or the notebook does not
run, lesson 04 keeps (or goes back to) the reference agent, and the command says which check to fix.
`--reference` goes back to the reference agent. Grading always starts from the reference, so what
you carry forward changes your notebooks, never your grade. At the top of each lesson,
`starting_point(3)` says which agent it starts from.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TextIO

from .layout import REPO_ROOT, LessonError, find_lesson
from .stagecode import export_cells_of, exported_names, module_source

# nbformat (and .local, which needs it) is imported where a notebook is read, never at import time:
# `starting_point` runs at the top of every lesson, and nbformat's import costs about two seconds
# (jsonschema's format checkers), in every learner's kernel and every grading worker.

__all__ = ["carry", "run", "starting_point"]

_OWN = "Your own agent after lesson"


def _reference_of(module: Path) -> Path:
    return module.with_name(f"{module.stem}_reference.py")


def _is_own(module: Path) -> bool:
    return module.exists() and not module.is_symlink() and _OWN in module.read_text(encoding="utf-8")[:200]


def _replace(target: Path, stage: Path) -> None:
    """Make `target` the same module as `stage`: the learner's own is copied, the reference kept beside it."""
    if stage.is_symlink() or not _is_own(stage):
        return  # the reference, which the next lesson links to already
    if not _is_own(target) and (target.exists() or target.is_symlink()):
        _reference_of(target).unlink(missing_ok=True)
        target.rename(_reference_of(target))
    target.write_text(stage.read_text(encoding="utf-8"), encoding="utf-8")


def _back_to_reference(module: Path) -> None:
    reference = _reference_of(module)
    if reference.exists() or reference.is_symlink():
        module.unlink(missing_ok=True)
        reference.rename(module)


def carry(path: Path | str, root: Path | None = None, *, reference: bool = False) -> tuple[bool, str]:
    """Carry lesson N's agent from the notebook at `path` into lesson N+1; (carried?, what happened)."""
    import nbformat

    from .local import CheckError, identify, read_notebook, visible_report

    path, root = Path(path), Path(root or REPO_ROOT)
    nb = read_notebook(path, root)
    lesson, _ = identify(path, nb, root)
    try:
        following = find_lesson(lesson.number + 1, root, released=True)
    except LessonError:
        raise CheckError(f"lesson {lesson.slug} is the last one: there is no next lesson to carry it into") from None
    module = following.release_dir / f"stage_{lesson.number:02d}.py"
    shown = f"{following.slug}/{module.name}"
    if reference:
        _back_to_reference(module)
        return False, f"Lesson {following.slug} starts from the reference agent of lesson {lesson.number:02d} ({shown})."
    report = visible_report(path, nbformat.read(str(path), as_version=4), lesson)
    unfinished = [r for r in report.visible if r["status"] != "passed"]
    if unfinished or not report.visible:
        _back_to_reference(module)
        which = ", ".join(f"{r['exercise']} ({r['status']})" for r in unfinished) or "no visible check ran"
        return False, (f"Not carried: the visible checks of your lesson {lesson.slug} do not all pass yet: {which}. "
                       f"Lesson {following.slug} starts from the reference agent ({shown}); fix those and run this again.")
    earlier = sorted(lesson.release_dir.glob("stage_[0-9][0-9].py"))  # what the finished lesson started from
    starts_from = earlier[-1] if earlier else None
    header = (f"{_OWN} {lesson.number:02d}, carried forward from {path.name} on {dt.date.today().isoformat()} "
              f"(`course carry`).\n\nLesson {following.slug} starts from it. `course carry {path} --reference` "
              "goes back to the reference agent, kept beside it.")
    text = module_source(export_cells_of(nb, lesson.slug), header,
                         starts_from=starts_from.stem if starts_from else "",
                         inherited=exported_names(starts_from.read_text(encoding="utf-8")) if starts_from else ())
    compile(text, str(module), "exec")  # a module that would not even parse is never written
    for stage in earlier:  # the stages yours builds on, as your lesson had them (yours, if you carried them)
        _replace(following.release_dir / stage.name, stage)
    if not _is_own(module) and (module.exists() or module.is_symlink()):
        reference_copy = _reference_of(module)
        reference_copy.unlink(missing_ok=True)
        module.rename(reference_copy)
    module.write_text(text, encoding="utf-8")
    return True, f"Carried: lesson {following.slug} now starts from your own agent of lesson {lesson.slug} ({shown})."


class _Said(str):
    """A sentence for the notebook to show as it is: once, without the quotes a str's repr would add."""

    def __repr__(self) -> str:
        return str(self)


def starting_point(number: int, folder: Path | str = ".") -> str:
    """Which agent the lesson in `folder` starts from: the learner's own (carried) or the reference.

    The cell's result shows it (printing it as well would show it twice)."""
    module = Path(folder) / f"stage_{number:02d}.py"
    if _is_own(module):
        line = f"This lesson starts from your own agent of lesson {number:02d} ({module.name}, carried forward)."
    else:
        line = (f"This lesson starts from the reference agent of lesson {number:02d} ({module.name}). "
                f"To continue from your own, run `course carry` on your lesson-{number:02d} notebook.")
    return _Said(line)


def run(path: Path | str, *, reference: bool = False, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """The `course carry` command: 0 when carried (or back to the reference on request), 1 when not carried."""
    from .local import CheckError

    out, err = out or sys.stdout, err or sys.stderr
    try:
        carried, message = carry(path, reference=reference)
    except CheckError as error:
        print(f"course carry: {error}", file=err)
        return 2
    print(message, file=out)
    return 0 if carried or reference else 1


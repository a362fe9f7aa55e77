"""`course autograde [DIR|ZIP]`: grade a cohort into var/gradebook.db, in parallel, resumable.

    autograde_cohort("export.zip", root, jobs=2)            # or scheduler="tcp://10.0.0.5:8786"

  1. read the input (autograder.cohort.intake): nbgrader's layout DIR/<student>/<NN-slug>/<NN-slug>.ipynb,
     or an LMS zip through nbgrader's zip_collect; DIR defaults to var/submitted/, and any other
     input is copied there. Bad input raises `InputError` (one line: what is wrong, what to do);
  2. register each lesson in the gradebook from its source (generate_assignment into var/release/,
     so the committed notebooks/ is untouched); the gradebook is created if missing;
  3. grade every submission whose content, lesson source or hidden tests changed since it was last
     recorded (all with `force`), `jobs` at a time, in sandboxed workers (autograder.cohort.batch; each
     job calls the trusted engine); this process alone writes the gradebook, as results come in;
  4. each submission's time, extension and late penalty (`course term`, autograder.gradebook.deadlines),
     then feedback with nbgrader's generate_feedback and the course's sanitiser, in
     var/feedback/<student>/<lesson>/<lesson>.html: every page graded now or whose scores, comments or
     penalty changed in the gradebook since it was written (autograder.cohort.feedback);
  5. var/integrity.csv (autograder.cohort.integrity: copies, the instructor's notebook, pasted stage
     code; for a person to judge, never a score), var/grades.csv and the class report var/report.html
     (autograder.cohort.report). The report is a summary drawn from what learners wrote: if it cannot
     be written the grades stand, the run logs one warning saying why, and no earlier run's report is
     left to pass for this one.

Count in equals count out: every submission found, graded now or before, has a row in grades.csv
with its score or the reason it has none. A run holds var/grading.lock; a second run on the same
course stops at once and says so.

Plain nbgrader, which runs the hidden tests inside each learner's kernel and so trusts the
submission (cd autograder, where nbgrader reads ./nbgrader_config.py):

    nbgrader generate_assignment 01-tools --force
    nbgrader autograde 01-tools --force
    nbgrader generate_feedback 01-tools --force
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from autograder.cohort.batch import (
    Job,
    Journal,
    Outcome,
    default_workers,
    digest,
    progress_bar,
    release_files,
    run_batch,
)
from autograder.cohort.feedback import refresh_feedback
from autograder.cohort.intake import InputError, Submission, gather
from autograder.cohort.integrity import Flag, integrity_flags, write_integrity
from autograder.cohort.learners import learner_names, remember_learners
from autograder.cohort.report import LessonRow, integrity_notes, late_row, verdict_row, write_csv, write_report
from autograder.gradebook import nbgrader_run
from autograder.gradebook.config import GRADEBOOK
from autograder.gradebook.deadlines import Lateness, apply_deadlines, open_gradebook
from autograder.gradebook.results import NotebookGrade, read_grades
from course.grading.layout import REPO_ROOT, Lesson, lessons
from course.worker.values import short_text

__all__ = ["CohortResult", "GradebookBusy", "InputError", "autograde_cohort"]

log = logging.getLogger(__name__)

_EXERCISE = re.compile(r"(?:\*\*|#+\s*)Exercise\s+(\d+\.\d+)\s*\(")  # "**Exercise 1.2 (3 points)**", "## Exercise 0.1 ("


class GradebookBusy(InputError):
    """Another grading run holds this course's gradebook."""


@dataclass
class CohortResult:
    grades: list[NotebookGrade] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # one line each: lessons not graded, nbgrader errors
    rows: list[LessonRow] = field(default_factory=list)  # one per submission found (count in = count out)
    unmatched: list[str] = field(default_factory=list)
    graded_now: list[tuple[str, str]] = field(default_factory=list)  # (student, lesson) graded in this run
    resumed: int = 0  # submissions already recorded with the same content, not graded again
    seconds: float = 0.0


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """One grading run at a time per gradebook (nbgrader cannot share one between writers)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GradebookBusy(f"another grading run holds {path.parent / 'gradebook.db'} ({path}); wait for it to "
                                "finish, or stop it, then run again: it resumes where it stopped") from None
        yield


def autograde_cohort(submissions: Path | str | None = None, root: Path | None = None, *, feedback: bool = True,
                     jobs: int | None = None, scheduler: Any = None, force: bool = False, lesson: str | None = None,
                     progress: bool = False, out: TextIO | None = None, seed: int | None = None,
                     student: str | None = None) -> CohortResult:
    """Autograde every submission (see the module docstring); `progress` shows a tqdm bar on stderr.

    `student`: grade that learner's submissions again, changed or not, and keep everyone else's verdicts as they
    are (a learner never graded yet is listed as such); the outputs still cover the whole class.

    `seed`: the hidden tests draw every submission's inputs from it (to reproduce a verdict, whose seed
    grades.csv and verdict.json record); None draws a new seed per submission (or reads COURSE_GRADING_SEED)."""
    root = Path(root or REPO_ROOT)
    with _exclusive(root / "var" / "grading.lock"):
        return _autograde(submissions, root, feedback=feedback, jobs=jobs or default_workers(), scheduler=scheduler,
                          force=force, only=lesson, progress=progress, out=out, seed=seed, student=student)


def _exercises(source: Any) -> dict[str, str]:
    """Grade id of each test cell -> the exercise it belongs to (the last "Exercise N.k (points)" title above it)."""
    out, current = {}, ""
    for cell in source.cells:
        if cell.cell_type == "markdown":
            found = _EXERCISE.findall(cell.source)
            current = found[-1] if found else current
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            out[meta["grade_id"]] = current or meta["grade_id"]
    return out


def _hidden_bytes(lesson: Lesson) -> bytes:
    path = Path(__file__).parents[1] / "hidden" / f"nb{lesson.number:02d}.py"
    return path.read_bytes() if path.is_file() else b""


def _autograde(submissions: Path | str | None, root: Path, *, feedback: bool, jobs: int, scheduler: Any,
               force: bool, only: str | None, progress: bool, out: TextIO | None, seed: int | None,
               student: str | None = None) -> CohortResult:
    import nbformat

    from autograder.grade.trusted import record_verdict

    started = time.perf_counter()
    intake = gather(submissions, root, only)
    if student is not None and student not in {sub.student for sub in intake.submissions}:
        names = sorted({sub.student for sub in intake.submissions})
        raise InputError(f"no submission of learner {student!r}: give a learner as grades.csv names them "
                         f"({', '.join(names[:8])}{', ...' if len(names) > 8 else ''})")
    result = CohortResult(unmatched=list(intake.unmatched))
    waiting: set[tuple[str, str]] = set()  # not graded yet, and not this run's learner
    known = {lesson.slug: lesson for lesson in lessons(root)}
    for slug, students in sorted(intake.no_source.items()):
        result.failures.append(f"{slug}: no lesson has this name (no solutions/{slug}/{slug}.ipynb), so its "
                               f"{len(students)} submission(s) were not graded; rename the folder to a lesson "
                               f"({', '.join(known)})")
        result.rows += [LessonRow(s, slug, "not-graded", 0, 0, "no lesson source") for s in students]
    db = root / GRADEBOOK
    if not db.exists():
        nbgrader_run.new_gradebook(db)
    journal = Journal(root / "var" / "grading" / "journal.jsonl")
    by_lesson: dict[str, list[Submission]] = {}
    for sub in intake.submissions:
        by_lesson.setdefault(sub.slug, []).append(sub)
    todo: list[Job] = []
    sources: dict[str, Any] = {}
    exercises: dict[str, dict[str, str]] = {}
    notes = {(s.student, s.slug): s.note for s in intake.submissions}
    registered: list[Submission] = []
    for slug, subs in sorted(by_lesson.items()):
        lesson = known[slug]
        try:
            nbgrader_run.generate_assignment(root, slug, overrides={"release_directory": "var/release"})
        except nbgrader_run.NbgraderFailed as error:
            result.failures.append(f"{error}\n{error.log[-3000:]}")
            result.rows += [LessonRow(s.student, slug, "not-graded", 0, 0, f"the lesson could not be registered: "
                                      f"{error}") for s in subs]
            continue
        text = lesson.source.read_text(encoding="utf-8")
        sources[slug] = nbformat.reads(text, as_version=4)
        exercises[slug] = _exercises(sources[slug])
        files = release_files(root / "var" / "release" / slug)
        files_digest = digest(*(name.encode() + data for name, data in files))
        lesson_digest = digest(text.encode(), _hidden_bytes(lesson), files_digest.encode())
        for sub in subs:
            registered.append(sub)
            data = sub.path.read_bytes() if sub.path.is_file() else None
            key = digest(data if data is not None else b"\0no notebook", lesson_digest.encode())
            verdict = root / "var" / "autograded" / sub.student / slug / "verdict.json"
            if student is not None and sub.student != student:
                if verdict.is_file():
                    result.resumed += 1
                else:
                    waiting.add((sub.student, slug))
                continue
            if student is None and not force and journal.done.get((sub.student, slug)) == key and verdict.is_file():
                result.resumed += 1
                continue
            todo.append(Job(sub.student, slug, lesson.number, key, text, files, data, files_digest, seed))
    failed: dict[tuple[str, str], str] = {}
    counts = {"graded": 0, "failed": 0}
    bar = progress_bar(len(todo), progress, result.resumed)

    def record(outcome: Outcome) -> None:
        if outcome.graded is None:
            failed[(outcome.student, outcome.slug)] = outcome.error
        else:
            submitted = root / "var" / "submitted" / outcome.student / outcome.slug / f"{outcome.slug}.ipynb"
            graded = outcome.graded
            note = notes.get((outcome.student, outcome.slug))
            if note:
                graded.notes.insert(0, note)
            record_verdict(root, outcome.slug, outcome.student, graded, submitted, source=sources[outcome.slug],
                           gradebook=db, extra={"digest": outcome.digest})
            journal.add(outcome)
            result.graded_now.append((outcome.student, outcome.slug))
        if out is not None:
            line = (f"{outcome.student}  {outcome.slug}  {outcome.graded.score:g} / {outcome.graded.max_score:g}"
                    if outcome.graded is not None else f"{outcome.student}  {outcome.slug}  FAILED: {outcome.error}")
            (bar.write(line, file=out) if bar is not None else print(line, file=out, flush=True))
        counts["failed" if outcome.failed else "graded"] += 1
        if bar is not None:
            left = len(todo) - counts["graded"] - counts["failed"]
            bar.set_postfix_str(f"graded {counts['graded']} · failed {counts['failed']} · left {left}", refresh=False)
            bar.update(1)

    try:
        run_batch(todo, record=record, workers=jobs, scheduler=scheduler)
    finally:
        journal.close()
        if bar is not None:
            bar.close()
    remember_learners(db, intake.submissions)
    lateness = _deadlines(db, intake.submissions)
    if feedback:
        result.failures += refresh_feedback(root, result.graded_now)
    for sub in registered:
        if (sub.student, sub.slug) in waiting:
            result.rows.append(LessonRow(sub.student, sub.slug, "not-graded", 0, 0,
                                         f"not graded yet: this run graded {student} only"))
            continue
        if (sub.student, sub.slug) in failed:
            result.rows.append(LessonRow(sub.student, sub.slug, "failed", 0, 0, failed[(sub.student, sub.slug)]))
            continue
        grades = read_grades(root, sub.slug, sub.student)
        row = verdict_row(root, sub.student, sub.slug, grades)
        result.rows.append(late_row(row, lateness.get((sub.student, sub.slug))))
        result.grades.append(grades)
    named, flags = learner_names(db), _integrity(root, intake.submissions)
    flagged = integrity_notes(flags)
    result.rows = [replace(row, name=named.get(row.student, ""), integrity=flagged.get((row.student, row.lesson), ""))
                   for row in result.rows]
    write_csv(result.rows, root / "var" / "grades.csv")
    _report(result, root / "var" / "report.html", exercises, flags)
    result.seconds = time.perf_counter() - started
    return result


def _deadlines(db: Path, submissions: list[Submission]) -> dict[tuple[str, str], Lateness]:
    """Each submission's time, extension and late penalty, into the gradebook (autograder.gradebook.deadlines)."""
    with open_gradebook(db) as gb:
        return apply_deadlines(gb, {(s.student, s.slug): s.submitted_at for s in submissions})


def _integrity(root: Path, submissions: list[Submission]) -> list[Flag]:
    """The integrity report of every lesson, into var/integrity.csv; a lesson it cannot read is logged, never fatal."""
    flags: list[Flag] = []
    for slug in sorted({sub.slug for sub in submissions}):
        try:
            flags += integrity_flags(root, slug, {s.student: s.path for s in submissions if s.slug == slug})
        except Exception as error:
            log.warning("no integrity report for %s (%s); its grades stand", slug, short_text(repr(error), 300))
    write_integrity(flags, root / "var" / "integrity.csv")
    return flags


def _report(result: CohortResult, path: Path, exercises: dict[str, dict[str, str]], flags: list[Flag]) -> None:
    """The class report, or one logged line saying why there is none: the grades are written already."""
    try:
        write_report(result.rows, path, exercises=exercises, unmatched=result.unmatched, flags=flags)
    except Exception as error:
        path.unlink(missing_ok=True)
        log.warning("the class report %s was not written (%s); grades.csv and the gradebook are complete", path,
                    short_text(f"{type(error).__name__}: {error}", 300))

"""The instructor's subcommands of `course`, and `check` on the trusted path.

    course export                  regenerate the stage modules from cells tagged `export`
    course export canvas|moodle|csv [--to FILE] [--key email|idnumber]   the gradebook in the LMS's own import format
    course term [due|extend|late ...]   due dates, extensions and the late policy (autograder.cohort.term)
    course feedback canvas|moodle NN-SLUG   a lesson's feedback pages, zipped as the LMS uploads them back
    course roster import FILE      the LMS's roster (Canvas gradebook / Moodle participants CSV) into nbgrader's students
    course release                 export, then regenerate every release in notebooks/ with nbgrader
    course lint [NOTEBOOK ...]     problems in solution notebooks that would break grading
    course autograde [DIR|ZIP] [--jobs N] [--scheduler ADDRESS] [--force] [--quiet] [--seed N]
                                   grade a cohort (nbgrader's layout or an LMS zip), in parallel
    course student-edition DIR [--upto N]   build what an instructor hands a cohort

This module is the grader's entry point (pyproject.toml: `twelve_factor_course.grader`), found by
course.grading.plugins: `register` adds the commands above, `check` grades `course check`, and
`sandbox_description` tells `course doctor` which sandbox grading uses here.
Each handler takes the parsed `argparse.Namespace` and returns the exit status.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.grade.check import check

__all__ = ["AUTOGRADE_INPUT", "ROSTER_INPUT", "autograde_command", "check", "export_command", "feedback_command",
           "grades_export_command", "lint_command", "register", "release_command", "roster_command", "sandbox_description", "student_edition_command"]


AUTOGRADE_INPUT = """Grade a cohort's submissions into var/gradebook.db (more in docs/lms.md).

Input understood:
  a folder      <student>/<NN-slug>/<NN-slug>.ipynb (nbgrader's layout)
  a Canvas zip  lastfirst[_LATE]_<userid>_<submissionid>_<file>
                e.g. smithjohn_LATE_20001_99187_05-x-1.ipynb ("-1", "-2": Canvas's resubmissions)
  a Moodle zip  Full Name_<participantid>_assignsubmission_file_<file>
                (or that prefix as a folder holding <file>)

From a zip, learners are keyed by the LMS id in the name (two learners sharing a name stay two);
a learner with several notebooks is graded on the latest resubmission (then the latest zip time),
the others are named in grades.csv; when nothing tells them apart the run stops and names them.
LATE and the zip time are kept; with a due date (`course term`), lateness is measured from that
time, and the late policy and any extension are applied. Files named by neither LMS are listed,
never graded silently."""


ROSTER_INPUT = """Import the LMS's roster into var/gradebook.db's students (more in docs/lms.md).

Files understood:
  Canvas   Grades -> Export: Student ("Last, First"), ID, SIS User ID, SIS Login ID, Section, ...
           keyed by ID (Canvas's user id, as in the zip's file names); "Points Possible" is skipped
  Moodle   Participants -> select all -> "With selected users..." -> Download table data as CSV:
           First name, Last name, then the identity fields (ID number, Email address); keyed by
           ID number, else email. A Moodle zip's learner is found in it by full name

All rows or none: a file in neither shape, a row without an id, or an id twice stops the import
with one line naming the file and the row. Importing again updates, never duplicates."""


def sandbox_description() -> str:
    """For `course doctor`: where learner code runs while it is graded here."""
    from autograder.boundary.sandbox import detect

    sandbox = detect()
    where = "learner code runs in" if sandbox.hides_files else "learner code runs in a plain subprocess,"
    return f"trusted grader; {where} {sandbox.describe()}"


def export_command(args: argparse.Namespace) -> int:
    from autograder.authoring.export import export_all
    from course.grading.layout import REPO_ROOT

    if getattr(args, "kind", None):
        return grades_export_command(args)

    touched = export_all()
    for path in touched:
        print(f"wrote {path.relative_to(REPO_ROOT)}" if path.exists() else f"removed {path.relative_to(REPO_ROOT)}")
    print(f"stage modules up to date ({len(touched)} changed)")
    return 0


def grades_export_command(args: argparse.Namespace) -> int:
    """`course export canvas|moodle|csv`: the gradebook as the LMS imports it (autograder.cohort.export)."""
    from autograder.cohort.export import ExportError, export_grades
    from course.grading.layout import REPO_ROOT

    try:
        out, table = export_grades(args.kind, Path(args.root or REPO_ROOT), args.to, key=args.key)
    except ExportError as error:
        print(f"course export {args.kind}: {error}", file=sys.stderr)
        return 2
    print(f"wrote {out}: {len(table.learners)} learner(s), {len(table.lessons)} lesson(s), "
          f"{len(table.scores)} score(s)")
    return 0


def feedback_command(args: argparse.Namespace) -> int:
    """`course feedback canvas|moodle NN-SLUG`: the lesson's feedback pages in a zip the LMS uploads back."""
    from autograder.cohort.feedback_zip import FeedbackZipError, feedback_zip
    from course.grading.layout import REPO_ROOT

    try:
        out, left_out = feedback_zip(Path(args.root or REPO_ROOT), args.lesson, args.lms, args.to)
    except FeedbackZipError as error:
        print(f"course feedback {args.lms}: {error}", file=sys.stderr)
        return 2
    for line in left_out:
        print(f"left out: {line}", file=sys.stderr)
    upload = {"canvas": "the assignment's \"Re-Upload Submissions\"",
              "moodle": "\"Upload multiple feedback files in a zip\" (View all submissions)"}[args.lms]
    print(f"wrote {out} ({len(left_out)} learner(s) left out); upload it with {upload}")
    return 0


def roster_command(args: argparse.Namespace) -> int:
    """`course roster import FILE`: names, emails, LMS and SIS ids, sections into the gradebook (autograder.cohort.roster)."""
    from autograder.cohort.roster import RosterError, import_roster
    from autograder.gradebook.config import GRADEBOOK
    from course.grading.layout import REPO_ROOT

    root = Path(args.root or REPO_ROOT)
    try:
        lms, added, updated = import_roster(Path(args.file), root)
    except RosterError as error:
        print(f"course roster import: {error}", file=sys.stderr)
        return 2
    shape = {"canvas": "Canvas gradebook export", "moodle": "Moodle participants"}[lms]
    print(f"{args.file} ({shape}): {added + updated} learner(s), {added} added, {updated} updated in {root / GRADEBOOK}")
    return 0


def release_command(args: argparse.Namespace) -> int:
    from autograder.authoring.notebook import lint
    from autograder.authoring.release import release_all
    from course.grading.layout import lessons
    from course.publish.slide_types import tag_notebook

    for lesson in lessons():  # slide types follow the headings: written into the sources, then released with them
        tag_notebook(lesson.source)
    problems = [f"{lesson.source}: {p}" for lesson in lessons() for p in lint(lesson.source)]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    released = release_all()
    print(f"released {len(released)} lesson(s): {', '.join(released) or 'none'} -> notebooks/")
    return 0


def lint_command(args: argparse.Namespace) -> int:
    from autograder.authoring.notebook import lint
    from course.grading.layout import lessons

    paths = [Path(p) for p in args.notebooks] or [lesson.source for lesson in lessons()]
    problems = [f"{path}: {p}" for path in paths for p in lint(path)]
    print("\n".join(problems) or f"{len(paths)} notebook(s): no problems")
    return 1 if problems else 0


def autograde_command(args: argparse.Namespace) -> int:
    from autograder.cohort.run import InputError, autograde_cohort

    try:
        result = autograde_cohort(args.submissions, args.root, jobs=args.jobs, scheduler=args.scheduler, force=args.force,
                                  lesson=args.lesson, feedback=not args.no_feedback, progress=not args.quiet,
                                  out=None if args.quiet else sys.stdout, seed=args.seed, student=args.student)
    except InputError as error:
        print(f"course autograde: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ncourse autograde: stopped. The submissions graded so far are in the gradebook; var/grades.csv, the "
              "report and the feedback are not updated yet. Run the same command again to go on: nothing graded is "
              "graded twice.", file=sys.stderr)
        return 130
    for name in result.unmatched:
        print(f"unmatched (no learner found in its name, not graded): {name}", file=sys.stderr)
    for failure in result.failures:
        print(failure, file=sys.stderr)
    graded = sum(row.status == "graded" for row in result.rows)
    failed = [row for row in result.rows if row.status != "graded"]
    for row in failed:
        print(f"{row.student}  {row.lesson}  {row.status}: {row.reason}", file=sys.stderr)
    print(f"{len(result.rows)} submission(s): {graded} graded, {len(failed)} without a score "
          f"({len(result.graded_now)} graded now, {result.resumed} unchanged since the last run) in "
          f"{result.seconds:.0f} s; var/grades.csv, var/report.html, feedback in var/feedback/")
    return 1 if result.failures else 0


def _seed(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a seed: give a whole number such as 1234, as grades.csv "
                                         "and verdict.json record it")
    return int(text)


def student_edition_command(args: argparse.Namespace) -> int:
    from autograder.authoring.edition import build_student_edition

    print(f"student edition built in {build_student_edition(args.dest, upto=args.upto)}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the instructor's subcommands to `course`'s subparsers (course.grading.cli calls this)."""
    export = subparsers.add_parser(
        "export", help="regenerate stages/ (no argument), or write the gradebook for an LMS (canvas|moodle|csv)",
        description="Without an argument: regenerate stages/ and the links to them in solutions/. With one: write "
        "var/gradebook.db in that LMS's grade import format (docs/lms.md): canvas (Canvas's gradebook CSV, matched "
        "by Canvas user id), moodle (Moodle's grade import CSV, matched by email), csv (one row per learner and "
        "lesson). A lesson not submitted is left empty, never 0.")
    export.add_argument("kind", nargs="?", choices=["canvas", "moodle", "csv"], default=None,
                        help="the format to write (default: regenerate stages/)")
    export.add_argument("--to", type=Path, default=None, metavar="FILE",
                        help="where to write it (default: var/export/KIND.csv)")
    export.add_argument("--key", choices=["email", "idnumber"], default="email",
                        help="moodle: match learners by email (default) or by ID number (from `course roster import`)")
    export.add_argument("--root", type=Path, default=None, help=argparse.SUPPRESS)  # a course elsewhere (tests)
    export.set_defaults(handler=export_command)
    roster = subparsers.add_parser(
        "roster", help="import the LMS's roster into nbgrader's students (names, emails, LMS and SIS ids, sections)",
        formatter_class=argparse.RawDescriptionHelpFormatter, description=ROSTER_INPUT)
    roster.add_argument("action", choices=["import"], help="import FILE (re-importing updates, never duplicates)")
    roster.add_argument("file", type=Path, help="the CSV the LMS exported")
    roster.add_argument("--root", type=Path, default=None, help=argparse.SUPPRESS)  # a course elsewhere (tests)
    roster.set_defaults(handler=roster_command)
    back = subparsers.add_parser(
        "feedback", help="a lesson's feedback pages in one zip the LMS takes back (canvas|moodle)",
        description="Zip var/feedback/<learner>/NN-SLUG/NN-SLUG.html for the LMS whose zip was graded, each named "
        "with the prefix that LMS gave the learner's file (docs/lms.md): Canvas's Re-Upload Submissions attaches "
        "each as a comment on the submission; Moodle's \"Upload multiple feedback files in a zip\" files each as "
        "the learner's feedback. Learners who did not come from that LMS's zip are listed, never dropped silently.")
    back.add_argument("lms", choices=["canvas", "moodle"])
    back.add_argument("lesson", metavar="NN-SLUG")
    back.add_argument("--to", type=Path, default=None, metavar="FILE",
                      help="where to write it (default: var/export/feedback-NN-SLUG-LMS.zip)")
    back.add_argument("--root", type=Path, default=None, help=argparse.SUPPRESS)  # a course elsewhere (tests)
    back.set_defaults(handler=feedback_command)
    subparsers.add_parser("release", help="export, then regenerate notebooks/ from solutions/ with nbgrader").set_defaults(
        handler=release_command)
    lint = subparsers.add_parser("lint", help="check solution notebooks for grading problems")
    lint.add_argument("notebooks", nargs="*", help="notebooks to lint (default: every solutions/NN-slug)")
    lint.set_defaults(handler=lint_command)
    autograde = subparsers.add_parser(
        "autograde", help="grade a cohort's submissions into var/gradebook.db",
        formatter_class=argparse.RawDescriptionHelpFormatter, description=AUTOGRADE_INPUT)
    autograde.add_argument("submissions", nargs="?", default=None,
                           help="folder of <student>/<NN-slug>/<NN-slug>.ipynb, or an LMS zip (default: var/submitted)")
    autograde.add_argument("--jobs", "-j", type=int, default=None,
                           help="submissions graded at once (default: this machine's cores)")
    autograde.add_argument("--scheduler", default=None, metavar="ADDRESS",
                           help="send the grading jobs to this Dask scheduler, e.g. tcp://10.0.0.5:8786")
    autograde.add_argument("--lesson", default=None, metavar="NN-SLUG",
                           help="only this lesson (for a zip: the lesson it holds, when its names do not say)")
    autograde.add_argument("--force", action="store_true",
                           help="re-grade every submission, not only new or changed ones")
    autograde.add_argument("--student", default=None, metavar="ID",
                           help="re-grade this learner only (as grades.csv names them), changed or not; everyone "
                                "else's verdicts are kept")
    autograde.add_argument("--quiet", "-q", action="store_true", help="no progress bar or per-submission lines (CI)")
    autograde.add_argument("--root", type=Path, default=None, help=argparse.SUPPRESS)  # a course elsewhere (tests)
    autograde.add_argument("--no-feedback", action="store_true", help="skip writing var/feedback/")
    autograde.add_argument("--seed", type=_seed, default=None, metavar="N",
                           help="the hidden tests draw their inputs from N (the seed grades.csv shows for a verdict); "
                                "with --force, grades again exactly as before. Default: a new seed per submission")
    autograde.set_defaults(handler=autograde_command)
    edition = subparsers.add_parser("student-edition", help="build what an instructor hands a cohort")
    edition.add_argument("dest", help="folder to build into, e.g. dist/student-edition")
    edition.add_argument("--upto", type=int, default=None,
                         help="only lessons up to this number (release N ships the solution of N-1)")
    edition.set_defaults(handler=student_edition_command)
    from autograder.cohort.term import register as register_term
    from autograder.rubric.cli import register as register_capstone

    register_term(subparsers)
    register_capstone(subparsers)

"""`course term`: due dates, extensions and the late policy of a term (autograder.gradebook.deadlines keeps them).

    course term                                   # the policy, each lesson's due date, the extensions
    course term due 05-unify "2027-02-01 23:59"   # or a date alone (the end of that day), or `none`
    course term extend 20001 05-unify 2d          # 2d, 36h, 1d12h, 90m; 0 takes the extension back
    course term late per-day 10%                  # none | zero | fixed AMOUNT | per-day AMOUNT (points, or N%)

A change is kept in the gradebook and applied by the next `course autograde`, which grades nothing
again for it: the penalties in the gradebook (hence `course export`), grades.csv, the class report and
the feedback all follow it together.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autograder.gradebook.deadlines import LatePolicy

__all__ = ["DESCRIPTION", "parse_due", "parse_length", "parse_policy", "register", "term_command"]

DESCRIPTION = __doc__.split("\n\n")[1].rstrip() + """

Times have no zone: give them in the zone of the LMS whose zip you grade (its file times are its local
time). A learner handed in late when their submission's time is after the due date plus their extension."""

_LENGTH = re.compile(r"(\d+(?:\.\d+)?)([dhm])")


def parse_due(text: str) -> datetime | None:
    """'2027-02-01 23:59' -> that minute; '2027-02-01' -> the end of that day; 'none' -> no due date."""
    if text.strip().lower() == "none":
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date; give YYYY-MM-DD HH:MM, YYYY-MM-DD (the end of that day) or none") \
            from None
    if len(text.strip()) == 10:
        when = datetime.combine(when.date(), time(23, 59, 59))
    if when.tzinfo is not None:  # as nbgrader stores it: UTC, without the zone
        when = (when - when.utcoffset()).replace(tzinfo=None)  # type: ignore[operator]
    return when


def parse_length(text: str) -> timedelta:
    """'2d' -> 2 days, '1d12h', '90m'; '0' -> no extension."""
    spoken = text.strip().lower().replace(" ", "")
    if spoken == "0":
        return timedelta(0)
    parts = _LENGTH.findall(spoken)
    if not parts or "".join(number + unit for number, unit in parts) != spoken:
        raise ValueError(f"{text!r} is not a length; give days, hours or minutes such as 2d, 36h, 1d12h or 90m "
                         "(0 takes the extension back)")
    unit = {"d": "days", "h": "hours", "m": "minutes"}
    return sum((timedelta(**{unit[u]: float(n)}) for n, u in parts), timedelta(0))


def parse_policy(method: str, amount: str | None) -> LatePolicy:
    from autograder.gradebook.deadlines import LatePolicy

    if method in ("none", "zero"):
        if amount is not None:
            raise ValueError(f"the {method} policy takes no amount")
        return LatePolicy(method)
    if amount is None:
        raise ValueError(f"the {method} policy needs an amount: points (`{method} 2`) or a share (`{method} 10%`)")
    number = amount.strip().removesuffix("%")
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{amount!r} is not an amount; give points (2) or a share of the lesson's points (10%)") \
            from None
    return LatePolicy(method, value, percent=amount.strip().endswith("%"))


def term_command(args: argparse.Namespace) -> int:
    from autograder.gradebook.config import GRADEBOOK
    from autograder.gradebook.deadlines import duration, extensions, open_gradebook, policy
    from autograder.gradebook.nbgrader_run import new_gradebook
    from course.grading.layout import REPO_ROOT, lessons

    args.action = args.action or "show"
    root = Path(args.root or REPO_ROOT)
    known = [lesson.slug for lesson in lessons(root)]
    try:
        if args.action in ("due", "extend") and args.lesson not in known:
            raise ValueError(f"{args.lesson!r} is not a lesson; lessons: {', '.join(known)}")
        change = _change(args)
    except ValueError as error:
        print(f"course term {args.action}: {error}", file=sys.stderr)
        return 2
    db = root / GRADEBOOK
    if not db.exists():
        new_gradebook(db)
    with open_gradebook(db) as gb:  # committed before anything is printed: a closed pipe cannot undo it
        change(gb)
    with open_gradebook(db) as gb:
        print(f"late policy: {policy(gb).describe()}")
        due = {a.name: a.duedate for a in gb.assignments}
        for slug in known:
            print(f"  {slug:<44} due {due[slug]:%Y-%m-%d %H:%M}" if due.get(slug) else f"  {slug:<44} no due date")
        for (student, slug), length in sorted(extensions(gb).items()):
            print(f"  extension: {student} on {slug}: {duration(length.total_seconds())} later")
    if args.action != "show":
        print("kept; `course autograde` applies it to every submission (grading nothing again), then export")
    return 0


def _change(args: argparse.Namespace) -> Callable[[Any], None]:
    """What the action does to an open gradebook, its arguments read first (a bad one raises ValueError)."""
    from autograder.gradebook.deadlines import extend, set_due, set_policy

    if args.action == "due":
        due = parse_due(args.when)
        return lambda gb: set_due(gb, args.lesson, due)
    if args.action == "extend":
        length = parse_length(args.length)
        return lambda gb: extend(gb, args.student, args.lesson, length)
    if args.action == "late":
        chosen = parse_policy(args.method, args.amount)
        return lambda gb: set_policy(gb, chosen)
    return lambda gb: None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    term = subparsers.add_parser("term", help="due dates, extensions and the late policy",
                                 formatter_class=argparse.RawDescriptionHelpFormatter, description=DESCRIPTION)
    term.add_argument("--root", type=Path, default=None, help=argparse.SUPPRESS)  # a course elsewhere (tests)
    term.set_defaults(handler=term_command)
    actions = term.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("show", help="the policy, the due dates and the extensions (the default)")
    due = actions.add_parser("due", help="a lesson's due date")
    due.add_argument("lesson", metavar="NN-SLUG")
    due.add_argument("when", metavar="WHEN", help='"YYYY-MM-DD HH:MM", YYYY-MM-DD (the end of that day), or none')
    extension = actions.add_parser("extend", help="give one learner more time on one lesson")
    extension.add_argument("student", metavar="ID", help="the learner, as grades.csv names them (the LMS id)")
    extension.add_argument("lesson", metavar="NN-SLUG")
    extension.add_argument("length", metavar="LENGTH", help="2d, 36h, 1d12h, 90m; 0 takes it back")
    late = actions.add_parser("late", help="what handing in late costs")
    late.add_argument("method", choices=["none", "zero", "fixed", "per-day"])
    late.add_argument("amount", nargs="?", default=None, help="points (2) or a share of the lesson's points (10%%)")

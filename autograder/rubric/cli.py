"""`course capstone score PATH`: one agent on the twelve factors, as a table, JSON or a markdown report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["register"]

DESCRIPTION = """\
Score one agent on the twelve factors by behaviour: each probe runs k times on tickets, orders and faults
drawn from the seed, in a sandboxed worker, against the course's fake model and a fresh shop database.

PATH is a .py file or a notebook whose code defines `agent` (the capstone protocol, docs/capstone.md), or a
folder holding agent.py or one notebook; the other files of its folder (its modules, stage_NN.py) go with it.
A probe's points need every one of its k runs to pass (pass^k). Exit status: 0 when scored, 2 when PATH
cannot be read."""


def score_command(args: argparse.Namespace) -> int:
    from autograder.rubric.report import as_json, markdown, table
    from autograder.rubric.score import score_path

    if args.k < 1:
        print("course capstone score: --k must be at least 1", file=sys.stderr)
        return 2
    try:
        card = score_path(args.path, k=args.k, seed=args.seed)
    except ValueError as error:
        print(f"course capstone score: {error}", file=sys.stderr)
        return 2
    if args.report is not None:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(markdown(card, f"Capstone scorecard: {args.path.name}"), encoding="utf-8")
    print(json.dumps(as_json(card), indent=1) if args.json else table(card))
    if args.report is not None and not args.json:
        print(f"report written to {args.report}")
    return 0


GRADE_DESCRIPTION = """\
Score a class of agents: DIR holds one entry per learner, named by the learner (a .py file, a notebook, or a
folder with agent.py). Writes OUT/scores.csv (a row per learner, a column per factor), OUT/class.md (the
factor-by-factor pass rates and a row per learner) and OUT/reports/NAME.md (each learner's scorecard, with
what to fix). Run again, only changed agents are scored again (--force: all). For a class that handed in
lesson 13 through the LMS, `course autograde ZIP --lesson 13-capstone` grades the same probes into the
gradebook."""


def grade_command(args: argparse.Namespace) -> int:
    from autograder.rubric.cohort import grade_class, printer
    from course.grading.layout import REPO_ROOT

    out = args.out or REPO_ROOT / "var" / "capstone"
    try:
        done = grade_class(args.folder, out, k=args.k, jobs=args.jobs, seed=args.seed, force=args.force,
                           say=None if args.quiet else printer())
    except ValueError as error:
        print(f"course capstone grade: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ncourse capstone grade: stopped; the agents scored so far are kept (run again to go on)",
              file=sys.stderr)
        return 130
    print(f"{len(done.cards)} agent(s), {done.scored} scored now: {out / 'scores.csv'}, {out / 'class.md'}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from autograder.cli import _seed

    capstone = subparsers.add_parser("capstone", help="score agents on the twelve factors (the capstone rubric)")
    actions = capstone.add_subparsers(dest="action", required=True, metavar="ACTION")
    score = actions.add_parser("score", help="score one agent: a table, --json, or --report FILE.md",
                               formatter_class=argparse.RawDescriptionHelpFormatter, description=DESCRIPTION)
    score.add_argument("path", type=Path, help="the agent: a .py file, a notebook, or a folder with agent.py")
    score.add_argument("--k", type=int, default=3, help="runs per probe (default 3)")
    score.add_argument("--seed", type=_seed, default=None, metavar="N",
                       help="draw the probes' tickets from N (the seed a scorecard shows) to score again the same way")
    score.add_argument("--json", action="store_true", help="print the scorecard as JSON")
    score.add_argument("--report", type=Path, default=None, metavar="FILE.md", help="also write a markdown report")
    score.set_defaults(handler=score_command)
    grade = actions.add_parser("grade", help="score a folder of agents: scores.csv, class.md, a report each",
                               formatter_class=argparse.RawDescriptionHelpFormatter, description=GRADE_DESCRIPTION)
    grade.add_argument("folder", type=Path, help="one agent per learner: NAME.py, NAME.ipynb or NAME/agent.py")
    grade.add_argument("--out", type=Path, default=None, help="where to write (default: var/capstone/)")
    grade.add_argument("--jobs", "-j", type=int, default=1, help="agents scored at once (default 1)")
    grade.add_argument("--k", type=int, default=3, help="runs per probe (default 3)")
    grade.add_argument("--seed", type=_seed, default=None, metavar="N", help="draw every agent's probes from N")
    grade.add_argument("--force", action="store_true", help="score every agent again, changed or not")
    grade.add_argument("--quiet", "-q", action="store_true", help="no line per agent")
    grade.set_defaults(handler=grade_command)

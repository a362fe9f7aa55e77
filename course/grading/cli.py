"""The learner's grading subcommand of `course`, and the seam where the grader adds its own.

    course check NOTEBOOK [--json FILE]   check one notebook (trusted grading where the grader is
                                          installed, the visible checks alone in the student edition)
    course carry NOTEBOOK [--reference]   start the next lesson from your own agent (course.grading.carry)

course/cli.py calls `register(subparsers)`; the grader's commands (release, autograde...) come from
the grader's entry point (course.grading.plugins), never from an import of ours.
"""

from __future__ import annotations

import argparse

from .plugins import grader

__all__ = ["carry_command", "check_command", "register"]


def check_command(args: argparse.Namespace) -> int:
    from .local import run

    return run(args.notebook, json_path=args.json)


def carry_command(args: argparse.Namespace) -> int:
    from .carry import run

    return run(args.notebook, reference=args.reference)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `check`, and the grader's commands where it is installed."""
    check = subparsers.add_parser("check", help="grade one of your notebooks locally (score per graded cell)")
    check.add_argument("notebook", help="path of the notebook, e.g. notebooks/01-tools/01-tools.ipynb")
    check.add_argument("--json", default=None, metavar="FILE", help="also write the result to FILE as JSON")
    check.set_defaults(handler=check_command)
    carry = subparsers.add_parser("carry", help="start the next lesson from your own agent (when its checks pass)")
    carry.add_argument("notebook", help="your finished notebook, e.g. notebooks/03-…/03-….ipynb")
    carry.add_argument("--reference", action="store_true", help="go back to the reference agent instead")
    carry.set_defaults(handler=carry_command)
    plugin = grader()
    if plugin is not None:
        plugin.register(subparsers)

"""`course slides` and `course site`: the lessons as decks and as a read-only site (`make slides`, `make site`)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["register"]


def _chosen(numbers: list[int] | None) -> Any:
    from course.grading.layout import lessons

    if not numbers:
        return None
    return [lesson for lesson in lessons() if lesson.number in numbers]


def _tag(args: argparse.Namespace) -> int:
    from course.grading.layout import lessons

    from .slide_types import stale_slide_types, tag_notebook

    stale = [line for lesson in lessons() for line in stale_slide_types(lesson.source)]
    if args.check:
        print("\n".join(stale) if stale else "slide types in step with the headings")
        return 1 if stale else 0
    changed = [lesson.slug for lesson in lessons() if tag_notebook(lesson.source)]
    print(f"slide types written into {', '.join(changed)}" if changed
          else "slide types already in step with the headings")
    return 0


def _build(args: argparse.Namespace) -> int:
    from .decks import build_decks

    start = time.monotonic()
    decks = build_decks(Path(args.out), _chosen(args.lesson), outputs=not args.no_outputs)
    print(f"{len(decks)} deck(s) in {args.out}/ ({time.monotonic() - start:.1f} s); open {args.out}/index.html")
    return 0


def _site(args: argparse.Namespace) -> int:
    from .site import build_site

    start = time.monotonic()
    pages = build_site(Path(args.out), _chosen(args.lesson))
    print(f"{len(pages)} lesson page(s) in {args.out}/ ({time.monotonic() - start:.1f} s); open {args.out}/index.html",
          file=sys.stdout)
    return 0


def register(commands: Any) -> None:
    """Add `slides` and `site` to the `course` command."""
    slides = commands.add_parser("slides", help="slide types from headings; a static reveal.js deck per lesson")
    actions = slides.add_subparsers(dest="slides_command", required=True, metavar="ACTION")
    tag = actions.add_parser("tag", help="write each source cell's slide type from the headings (then make release)")
    tag.add_argument("--check", action="store_true", help="only report cells whose stored type differs; exit 1 if any")
    tag.set_defaults(handler=_tag)
    build = actions.add_parser("build", help="a deck per lesson release, offline (default: build/slides)")
    build.add_argument("out", nargs="?", default="build/slides")
    build.add_argument("--lesson", type=int, action="append", help="only lesson N (repeatable)")
    build.add_argument("--no-outputs", action="store_true",
                       help="the code alone, to run live (default: with the outputs of the reference run)")
    build.set_defaults(handler=_build)
    site = commands.add_parser("site", help="the read-only course site: lessons with outputs, decks, an index")
    site.add_argument("out", nargs="?", default="build/site")
    site.add_argument("--lesson", type=int, action="append", help="only lesson N (repeatable)")
    site.set_defaults(handler=_site)

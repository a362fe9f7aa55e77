"""A read-only site of the course, for browsing before installing: `course site` (`make site`).

    build/site/index.html                  the lessons, each with its page and its deck
    build/site/NN-slug.html                the lesson with outputs
    build/site/slides/NN-slug.slides.html  the lesson's deck, with the same outputs

What a reader sees is the lesson as a learner gets it: the release notebook (exercise stubs,
visible checks, no solutions and no hidden tests), with the outputs of a run in which each
exercise cell ran the reference answer from the lesson's source. So every "you should see…"
cell shows what the learner will see once the exercises are done, and nothing gives the answers
away. (The executed solution notebooks would show the answers and the hidden tests; the executed
releases alone would only show "Finish Exercise 3.2 first.") Runs offline on the fake model, with
`COURSE_OFFLINE=1`, in the lesson's own folder, like `make lab`. Pages load nothing from a CDN.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat

from course.grading.layout import REPO_ROOT, Lesson, lessons

from .decks import deck_html, lesson_title
from .offline import TEMPLATES, copy_reveal, static_outputs

__all__ = ["BANNER", "build_site", "executed_release", "index_page", "lesson_page"]

BANNER = ("*A read-only view of this lesson.* It is the notebook as you get it, exercise stubs included; the outputs "
          "come from a run with the reference answers, so they are what you will see once your exercises are done. "
          "To do the lesson: clone the course, `make lab`, open this notebook.")
_INTRO = ("An interactive Jupyter course that builds one support agent for a small online shop, one lesson per "
          "factor of [12-Factor Agents](https://github.com/humanlayer/12-factor-agents). This is a read-only view: each "
          "lesson as a learner gets it, with the outputs of the reference run. To take the course, clone it and run "
          "`make lab`.")
_TITLE = "Twelve-Factor Agents: the course"
_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)


def _grade_id(cell: Any) -> str | None:
    value = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return value if isinstance(value, str) else None


def executed_release(lesson: Lesson, timeout: int = 600) -> Any:
    """The lesson's release with outputs from running it with the reference answers (sources as released)."""
    from nbclient import NotebookClient

    release = nbformat.read(str(lesson.release), as_version=4)
    answers = {_grade_id(cell): cell.source for cell in nbformat.read(str(lesson.source), as_version=4).cells
               if cell.metadata.get("nbgrader", {}).get("solution") and _grade_id(cell)}
    run = copy.deepcopy(release)
    for cell in run.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = _MARKERS.sub("", answers.get(_grade_id(cell), cell.source))
    env = {key: value for key, value in os.environ.items()
           if key not in ("COURSE_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env["COURSE_OFFLINE"] = "1"
    client = NotebookClient(run, timeout=timeout, kernel_name="python3", store_widget_state=False,
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],  # not its loopback-TCP notice
                            resources={"metadata": {"path": str(lesson.release_dir)}})
    client.execute(env=env)
    for shown, ran in zip(release.cells, run.cells, strict=True):
        if shown.cell_type == "code":
            solution = shown.metadata.get("nbgrader", {}).get("solution")
            shown.outputs = [] if solution else ran.outputs
            shown.execution_count = ran.execution_count
    return release


def lesson_page(nb: Any, nav: str = "") -> str:
    """One lesson as an HTML page: the banner, then the notebook with its outputs."""
    from nbconvert import HTMLExporter

    page = static_outputs(nb)
    page.cells.insert(0, nbformat.v4.new_markdown_cell(BANNER))
    exporter = HTMLExporter(template_name="course-lab", extra_template_basedirs=[str(TEMPLATES)])
    body, _ = exporter.from_notebook_node(page, resources={"course_site_nav": nav})
    return str(body)


def build_site(target: Path, chosen: Sequence[Lesson] | None = None, root: Path = REPO_ROOT) -> list[Path]:
    """Execute and write every lesson (default: each with a release), its deck, and the index; returns the pages."""
    target.mkdir(parents=True, exist_ok=True)
    (target / "slides").mkdir(exist_ok=True)
    copy_reveal(target / "slides")
    pages: list[Path] = []
    entries: list[tuple[str, str, Sequence[tuple[str, str]]]] = []
    for lesson in chosen if chosen is not None else [item for item in lessons(root) if item.release.exists()]:
        nb = executed_release(lesson)
        title = lesson_title(nb)
        page = target / f"{lesson.slug}.html"
        page.write_text(lesson_page(nb, nav=f'<a href="index.html">Twelve-Factor Agents</a> · {title} · '
                                            f'<a href="slides/{lesson.slug}.slides.html">slides</a>'), encoding="utf-8")
        deck = target / "slides" / f"{lesson.slug}.slides.html"
        deck.write_text(deck_html(nb, footer=f"Twelve-Factor Agents · {title}"), encoding="utf-8")
        pages.append(page)
        entries.append((page.name, title, [(f"slides/{deck.name}", "slides")]))
    (target / "index.html").write_text(index_page(entries), encoding="utf-8")
    return pages


def index_page(entries: Sequence[tuple[str, str, Sequence[tuple[str, str]]]]) -> str:
    """The site's index, made the way a lesson page is (same template, same look): a title, the intro, the lessons."""
    from nbconvert import HTMLExporter

    lines = [f"- [{title}]({link})" + "".join(f" · [{label}]({href})" for href, label in more)
             for link, title, more in entries]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {_TITLE}\n\n{_INTRO}\n\n" + "\n".join(lines))])
    exporter = HTMLExporter(template_name="course-lab", extra_template_basedirs=[str(TEMPLATES)])
    body, _ = exporter.from_notebook_node(nb, resources={"course_site_nav": _TITLE})
    return str(body)

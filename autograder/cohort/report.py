"""What a cohort run leaves for the instructor: var/grades.csv and the class report, var/report.html.

    rows = [LessonRow(...), ...]      # one per learner and lesson, each with its tests
    write_csv(rows, root / "var" / "grades.csv")
    write_report(rows, root / "var" / "report.html", exercises={...}, unmatched=[...])

grades.csv has one row per learner and lesson (grade_id empty: the total, and the reason when it
could not be graded) followed by one row per test; each carries the grading's seed, the draws of the
hidden tests (`course autograde --seed N --force` grades that learner again with the same inputs). The report is one self-contained HTML page:
counts, pass rate per test and per exercise, the messages most learners got, and the score
distribution, drawn with matplotlib and embedded in the page as PNG images.

Labels and messages are a learner's words (a failure message quotes what their code returned), so
they are drawn as plain text (`parse_math=False`: `$\\frac{$` is not mathtext) and escaped in the
HTML. The cohort run writes the report last and survives its failure (autograder.cohort.run).
"""

from __future__ import annotations

import base64
import csv
import html
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CSV_HEADER", "LessonRow", "TestRow", "write_csv", "write_report"]

CSV_HEADER = ["student", "lesson", "grade_id", "status", "score", "max_score", "message", "seed"]


@dataclass(frozen=True)
class TestRow:
    grade_id: str
    status: str  # passed, failed, todo, not-run
    score: float
    max_score: float
    message: str = ""


@dataclass(frozen=True)
class LessonRow:
    student: str
    lesson: str
    status: str  # graded, failed (no verdict could be given), not-graded (no lesson source...)
    score: float
    max_score: float
    reason: str = ""
    tests: tuple[TestRow, ...] = field(default_factory=tuple)
    seed: int | None = None  # the grading's seed (autograder.hidden): `course autograde --seed N --force` draws the same


def write_csv(rows: Sequence[LessonRow], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for row in sorted(rows, key=lambda r: (r.lesson, r.student)):
            seed = "" if row.seed is None else str(row.seed)
            writer.writerow([row.student, row.lesson, "", row.status, f"{row.score:g}", f"{row.max_score:g}", row.reason,
                             seed])
            for test in row.tests:
                writer.writerow([row.student, row.lesson, test.grade_id, test.status, f"{test.score:g}",
                                 f"{test.max_score:g}", test.message, seed])
    return path


def _png(figure) -> str:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(figure)
    return f'<img alt="chart" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _bars(labels: list[str], values: list[float], title: str, xlabel: str, xmax: float | None = None) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 0.35 * len(labels) + 1.2))
    axes.barh(range(len(labels)), values, color="#4c72b0")
    axes.set_yticks(range(len(labels)), [label if len(label) <= 60 else label[:57] + "…" for label in labels],
                    parse_math=False)
    axes.invert_yaxis()
    axes.set_xlabel(xlabel, parse_math=False)
    axes.set_title(title, parse_math=False)
    if xmax is not None:
        axes.set_xlim(0, xmax)
    return _png(figure)


def _histogram(percents: list[float], title: str) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 2.8))
    axes.hist(percents, bins=[i * 10 for i in range(11)], color="#55a868", edgecolor="white")
    axes.set_xlabel("score (% of the maximum)", parse_math=False)
    axes.set_ylabel("learners", parse_math=False)
    axes.set_title(title, parse_math=False)
    return _png(figure)


def write_report(rows: Sequence[LessonRow], path: Path, *, exercises: dict[str, dict[str, str]] | None = None,
                 unmatched: Sequence[str] = ()) -> Path:
    """The class report: one section per lesson (`exercises`: lesson -> grade id -> exercise name)."""
    import matplotlib

    matplotlib.use("Agg")
    counts = Counter(row.status for row in rows)
    seeds = sorted({row.seed for row in rows if row.seed is not None})
    drawn = ("" if not seeds else f" The hidden tests drew their inputs from seed {seeds[0]}." if len(seeds) == 1
             else f" The hidden tests drew each submission's inputs from its own seed ({len(seeds)} seeds: the "
                  "<code>seed</code> column of grades.csv; <code>course autograde --seed N --force</code> grades again "
                  "with one).")
    parts = [f"<h1>Class report</h1><p>{len(rows)} submission(s): {counts['graded']} graded, {counts['failed']} "
             f"failed, {counts['not-graded']} not graded.{drawn}</p>"]
    if unmatched:
        parts.append("<h2>Files no learner could be found for</h2><ul>"
                     + "".join(f"<li><code>{html.escape(name)}</code></li>" for name in unmatched) + "</ul>")
    for lesson in sorted({row.lesson for row in rows}):
        mine = [row for row in rows if row.lesson == lesson and row.status != "not-graded"]
        parts.append(f"<h2>{html.escape(lesson)}</h2>")
        if not mine:
            parts.append("<p>Nothing graded.</p>")
            continue
        ids = list(dict.fromkeys(test.grade_id for row in mine for test in row.tests))
        passed = {gid: sum(t.status == "passed" for r in mine for t in r.tests if t.grade_id == gid) for gid in ids}
        parts.append(_bars(ids, [100 * passed[g] / len(mine) for g in ids], "Pass rate per test", "% of learners", 100))
        names = (exercises or {}).get(lesson, {})
        groups: dict[str, list[str]] = {}
        for gid in ids:
            groups.setdefault(names.get(gid, gid), []).append(gid)
        whole = [sum(all(t.status == "passed" for t in r.tests if t.grade_id in members) for r in mine)
                 for members in groups.values()]
        parts.append(_bars([f"Exercise {name}" for name in groups], [100 * n / len(mine) for n in whole],
                           "Pass rate per exercise (every test of it passed)", "% of learners", 100))
        messages = Counter(t.message for r in mine for t in r.tests if t.status != "passed" and t.message)
        top = messages.most_common(10)
        if top:
            parts.append(_bars([m for m, _ in top], [n for _, n in top], "The messages most learners got", "learners"))
            parts.append("<table><tr><th>learners</th><th>message</th></tr>" + "".join(
                f"<tr><td>{n}</td><td>{html.escape(m)}</td></tr>" for m, n in top) + "</table>")
        percents = [100 * r.score / r.max_score if r.max_score else 0.0 for r in mine]
        parts.append(_histogram(percents, f"Score distribution ({len(mine)} learners)"))
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>Class report</title><style>"
            "body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{padding:.2em .6em;text-align:left}"
            "img{display:block;margin:1em 0}</style></head><body>" + "\n".join(parts) + "</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path

"""What a cohort run leaves for the instructor: var/grades.csv and the class report, var/report.html.

    rows = [LessonRow(...), ...]      # one per learner and lesson, each with its tests
    write_csv(rows, root / "var" / "grades.csv")
    write_report(rows, root / "var" / "report.html", exercises={...}, unmatched=[...])

grades.csv has one row per learner and lesson (grade_id empty: the total, and the reason when it
could not be graded) followed by one row per test; each carries the grading's seed, the draws of the
hidden tests (`course autograde --seed N --force` grades that learner again with the same inputs). The report is one self-contained HTML page:
counts, pass rate per test and per exercise, the messages most learners got (grouped by shape, each learner
counted once), the score distribution, drawn with matplotlib and embedded in the page as PNG images whose alt text
says what they show, each with its numbers as a table folded under it, and one row per learner, lowest score
first. The page runs no script.

Labels and messages are a learner's words (a failure message quotes what their code returned), so
they are drawn as plain text (`parse_math=False`: `$\\frac{$` is not mathtext) and escaped in the
HTML. The cohort run writes the report last and survives its failure (autograder.cohort.run).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograder.cohort.integrity import Flag
    from autograder.gradebook.deadlines import Lateness
    from autograder.gradebook.results import NotebookGrade

__all__ = ["CSV_HEADER", "LessonRow", "TestRow", "integrity_notes", "late_row", "verdict_row", "write_csv", "write_report"]

CSV_HEADER = ["student", "lesson", "grade_id", "status", "score", "max_score", "message", "seed", "name", "late_penalty",
              "integrity"]


@dataclass(frozen=True)
class TestRow:
    grade_id: str
    status: str  # passed, failed, todo, not-run, by-hand (a score an instructor set in formgrader)
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
    name: str = ""  # the learner's name, as the gradebook has it (roster, LMS zip, formgrader)
    late_penalty: float = 0.0  # points off `score` already (`course term late`): the score is what the learner keeps
    integrity: str = ""  # what the integrity report flagged, for a person to judge (var/integrity.csv has the detail)


def write_csv(rows: Sequence[LessonRow], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for row in sorted(rows, key=lambda r: (r.lesson, r.student)):
            seed = "" if row.seed is None else str(row.seed)
            writer.writerow([row.student, row.lesson, "", row.status, f"{row.score:g}", f"{row.max_score:g}", row.reason,
                             seed, row.name, f"{row.late_penalty:g}" if row.late_penalty else "", row.integrity])
            for test in row.tests:
                writer.writerow([row.student, row.lesson, test.grade_id, test.status, f"{test.score:g}",
                                 f"{test.max_score:g}", test.message, seed, row.name, "", ""])
    return path


def verdict_row(root: Path, student: str, slug: str, grades: NotebookGrade) -> LessonRow:
    """The verdict's row, with any score an instructor set by hand in formgrader (the gradebook's) in its place."""
    verdict = json.loads((root / "var" / "autograded" / student / slug / "verdict.json").read_text("utf-8"))
    by_hand = {cell.grade_id: cell.score for cell in grades.cells}
    tests = []
    for r in verdict["results"]:
        score = by_hand.get(r["grade_id"], r["score"])
        if score != r["score"]:
            tests.append(TestRow(r["grade_id"], "by-hand", score, r["max_score"],
                                 f"set by hand in formgrader (the grader gave {r['score']:g}): {r['message']}".rstrip(": ")))
        else:
            tests.append(TestRow(r["grade_id"], r["status"], r["score"], r["max_score"],
                                 r["message"] if r["score"] < r["max_score"] else ""))
    unread = bool(tests) and all(t.status == "not-run" for t in tests)
    return LessonRow(student, slug, "failed" if unread else "graded", sum(t.score for t in tests),
                     verdict["max_score"], "; ".join(verdict.get("notes", [])), tuple(tests), verdict.get("seed"))


def late_row(row: LessonRow, lateness: Lateness | None) -> LessonRow:
    """`row` with its late penalty taken off the score and the lateness said in its reason."""
    said = lateness.describe() if lateness is not None else ""
    if not said:
        return row
    penalty = lateness.penalty if lateness is not None else 0.0
    return replace(row, score=max(row.score - penalty, 0.0), late_penalty=penalty,
                   reason="; ".join(part for part in (said, row.reason) if part))


def _png(figure, alt: str) -> str:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(figure)
    return (f'<img alt="{html.escape(alt)}" '
            f'src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">')


def _bars(labels: list[str], values: list[float], title: str, xlabel: str, xmax: float | None = None,
          unit: str = "%") -> str:
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
    said = "; ".join(f"{label}: {value:.0f}{unit}" for label, value in zip(labels, values, strict=True))
    return _png(figure, f"{title} ({xlabel}). {said}") + _data(title, xlabel, [(label, f"{value:.0f}{unit}")
                                                                              for label, value in zip(labels, values, strict=True)])


def _data(title: str, column: str, rows: list[tuple[str, str]]) -> str:
    """A chart's numbers as a table, folded under it: what a screen reader or a copy into a spreadsheet needs."""
    body = "".join(f"<tr><td>{html.escape(label)}</td><td>{html.escape(value)}</td></tr>" for label, value in rows)
    return (f"<details><summary>{html.escape(title)}: the data</summary><table><tr><th></th>"
            f"<th>{html.escape(column)}</th></tr>{body}</table></details>")


def _histogram(percents: list[float], title: str) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 2.8))
    axes.hist(percents, bins=[i * 10 for i in range(11)], color="#55a868", edgecolor="white")
    axes.set_xlabel("score (% of the maximum)", parse_math=False)
    axes.set_ylabel("learners", parse_math=False)
    axes.set_title(title, parse_math=False)
    bins = Counter(min(int(p // 10), 9) for p in percents)
    said = "; ".join(f"{10 * b}-{10 * b + 10}%: {bins[b]}" for b in sorted(bins))
    return _png(figure, f"{title}: learners per score band. {said}") + _data(
        title, "learners", [(f"{10 * b}-{10 * b + 10}%", str(bins[b])) for b in range(10)])


def _passed(test: TestRow) -> bool:
    """Passed on the grader's verdict, or given full marks by hand in formgrader."""
    return test.status == "passed" or (test.status == "by-hand" and test.score >= test.max_score)


_VARYING = re.compile(r"'[^']*'|\"[^\"]*\"|\$?\d+(?:[.,]\d+)*")


def _common_messages(rows: Sequence[LessonRow], most: int = 10) -> list[tuple[str, set[str]]]:
    """The failure messages most learners got, one per shape (numbers and quoted values aside), each with one of its
    wordings and the learners who got it: a learner counts once per shape, however many tests said it."""
    learners: dict[str, set[str]] = {}
    wording: dict[str, Counter[str]] = {}
    for row in rows:
        for test in row.tests:
            if not _passed(test) and test.message:
                shape = _VARYING.sub("…", test.message)
                learners.setdefault(shape, set()).add(row.student)
                wording.setdefault(shape, Counter())[test.message] += 1
    ranked = sorted(learners, key=lambda shape: (-len(learners[shape]), shape))[:most]
    return [(wording[shape].most_common(1)[0][0], learners[shape]) for shape in ranked]


def _learner_table(rows: Sequence[LessonRow]) -> str:
    """One row per learner, lowest score first (who needs help first), the score after any late penalty;
    grades.csv has every test of each."""
    lines = ["<table><tr><th>learner</th><th>score</th><th>%</th><th>tests passed</th><th>first test failed</th>"
             "<th>late penalty</th></tr>"]
    for row in sorted(rows, key=lambda r: (r.score / r.max_score if r.max_score else 0.0, r.student)):
        passed = sum(_passed(t) for t in row.tests)
        failed = next((t.grade_id for t in row.tests if not _passed(t)), "")
        percent = 100 * row.score / row.max_score if row.max_score else 0.0
        who = f"{row.name} ({row.student})" if row.name else row.student
        lines.append(f"<tr><td>{html.escape(who)}</td><td>{row.score:g} / {row.max_score:g}</td>"
                     f"<td>{percent:.0f}</td><td>{passed} of {len(row.tests)}</td><td>{html.escape(failed)}</td>"
                     f"<td>{f'-{row.late_penalty:g}' if row.late_penalty else ''}</td></tr>")
    return "<h3>Learners, lowest score first</h3>" + "".join(lines) + "</table>"


def _integrity_table(flags: Sequence[Flag]) -> str:
    if not flags:
        return ""
    lines = [f"<tr><td>{html.escape(f.student)}</td><td>{html.escape(f.kind)}</td><td>{html.escape(f.other)}</td>"
             f"<td>{html.escape(f.detail)}</td></tr>" for f in flags]
    return ("<h3>Integrity: hand-ins to look at twice</h3><p>For a person to judge; no score was changed "
            "(var/integrity.csv).</p><table><tr><th>learner</th><th>seen</th><th>with</th><th>detail</th></tr>"
            + "".join(lines) + "</table>")


def integrity_notes(flags: Sequence[Flag]) -> dict[tuple[str, str], str]:
    """(student, lesson) -> what was flagged, in a few words, for grades.csv (a pair is said on both learners)."""
    said: dict[tuple[str, str], list[str]] = {}
    for flag in flags:
        said.setdefault((flag.student, flag.lesson), []).append(f"{flag.kind} with {flag.other}" if flag.other
                                                                 else flag.kind)
        if flag.other:
            said.setdefault((flag.other, flag.lesson), []).append(f"{flag.kind} with {flag.student}")
    return {key: "; ".join(words) for key, words in said.items()}


def write_report(rows: Sequence[LessonRow], path: Path, *, exercises: dict[str, dict[str, str]] | None = None,
                 unmatched: Sequence[str] = (), flags: Sequence[Flag] = ()) -> Path:
    """The class report: one section per lesson (`exercises`: lesson -> grade id -> exercise name; `flags`: the
    integrity report's, listed for a person to judge)."""
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
        passed = {gid: sum(_passed(t) for r in mine for t in r.tests if t.grade_id == gid) for gid in ids}
        parts.append(_bars(ids, [100 * passed[g] / len(mine) for g in ids], "Pass rate per test", "% of learners", 100))
        names = (exercises or {}).get(lesson, {})
        groups: dict[str, list[str]] = {}
        for gid in ids:
            groups.setdefault(names.get(gid, gid), []).append(gid)
        whole = [sum(all(_passed(t) for t in r.tests if t.grade_id in members) for r in mine)
                 for members in groups.values()]
        parts.append(_bars([f"Exercise {name}" for name in groups], [100 * n / len(mine) for n in whole],
                           "Pass rate per exercise (every test of it passed)", "% of learners", 100))
        top = _common_messages(mine)
        if top:
            parts.append(_bars([m for m, _ in top], [len(n) for _, n in top], "The messages most learners got",
                               "learners", unit=""))
            parts.append("<table><tr><th>learners</th><th>message (one of them: numbers and quoted values vary)</th>"
                         "</tr>" + "".join(f"<tr><td>{len(n)}</td><td>{html.escape(m)}</td></tr>" for m, n in top)
                         + "</table>")
        percents = [100 * r.score / r.max_score if r.max_score else 0.0 for r in mine]
        parts.append(_histogram(percents, f"Score distribution ({len({r.student for r in mine})} learners)"))
        parts.append(_learner_table(mine))
        parts.append(_integrity_table([flag for flag in flags if flag.lesson == lesson]))
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>Class report</title><style>"
            "body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{padding:.2em .6em;text-align:left}"
            "img{display:block;margin:1em 0}</style></head><body>" + "\n".join(parts) + "</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path

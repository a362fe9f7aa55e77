"""What a learner wrote reaches the feedback, the class report and the grader as data, never as markup or metadata.

Four ways a submission of the toy lesson (tests/toy_course.py: `add` is 1 point, `shout` 2) tried to
act through what the grader shows or reads rather than through its answers: HTML and scripts in its
markdown and outputs (the feedback page, which formgrader also shows the instructor), mathtext in a
failure message (the class report), a frame of JSON nested 200,000 deep (the grader's channel), and
nbgrader metadata on its answer cells (the gradebook and the feedback). Each must leave the grade
what honest work earns, every file written, and the learner's text shown as text.
"""

from __future__ import annotations

import json
import logging
import socket
import sqlite3
import struct
import threading
from collections import Counter
from html.parser import HTMLParser

import nbformat
import pytest
import test_grading_cohort
from test_grading_attacks import FULL, LESSON, RIGHT_ADD, RIGHT_SHOUT, _grade, _scores, _submission
from test_grading_cohort import _folder

from autograder.cohort import report
from autograder.cohort import run as cohort
from course.worker import channel

built, toy = test_grading_cohort.built, test_grading_cohort.toy  # fixtures: a fresh copy of the toy course per test

FAKE_BANNER = "<h1>Score: 22 / 22</h1>"
HOSTILE_MARKDOWN = ('<script>alert("markdown")</script>\n\n<img src=x onerror=alert(1)>\n\n'
                    '<a href="javascript:alert(1)">your grade</a> and [a link](javascript:alert(2))\n\n' + FAKE_BANNER)
HOSTILE_OUTPUT = {"text/html": "<script>alert('output')</script>" + FAKE_BANNER,
                  "image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg' onload='alert(3)'><script>alert(4)</script></svg>",
                  "application/javascript": "alert('js')", "text/plain": "5"}
HOSTILE_STREAMS = [("stdout", "hello 42\n"), ("stdout", "<script>alert('stream')</script>" + FAKE_BANNER),
                   ("stderr", "\x1b[2J\x1b[31m<img src=x onerror=alert(6)>\r\n")]


# --- the feedback page -------------------------------------------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Active(HTMLParser):
    """What in a page can act or pass for the grader: scripts, event handlers, script URLs, "Score:" outside code."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.handlers: list[str] = []
        self.script_urls: list[str] = []
        self.tags: Counter[str] = Counter()
        self.scores: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        if tag not in _VOID:
            self._in.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        self.script_urls += [v for _, v in attrs if v and "javascript:" in v.replace(" ", "").lower()]

    def handle_endtag(self, tag: str) -> None:
        if tag in self._in:
            del self._in[len(self._in) - 1 - self._in[::-1].index(tag):]

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] == "script":
            self.scripts.append(data)
        elif "Score:" in data and "pre" not in self._in:
            self.scores.append(" ".join(data.split()))


def _active(page: str) -> _Active:
    parser = _Active()
    parser.feed(page)
    return parser


def _with_hostile_markup(nb) -> None:
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(HOSTILE_MARKDOWN))
    nb.cells.insert(2, nbformat.v4.new_raw_cell('<script>alert("raw")</script>' + FAKE_BANNER))
    shown = nbformat.v4.new_code_cell("add(2, 3)")
    shown.outputs = [nbformat.v4.new_output("display_data", data=HOSTILE_OUTPUT, metadata={"isolated": False}),
                     nbformat.v4.new_output("execute_result", data=HOSTILE_OUTPUT, execution_count=1),
                     *(nbformat.v4.new_output("stream", name=name, text=text) for name, text in HOSTILE_STREAMS),
                     nbformat.v4.new_output("error", ename="<svg onload=alert(7)>", evalue="<a href='javascript:x'>y</a>",
                                            traceback=["\x1b[31m<script>alert('traceback')</script>"]),
                     nbformat.from_dict({"output_type": "display_data", "data": {"text/html": "<iframe src='javascript:alert(8)'>"}})]
    nb.cells.append(shown)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "add":  # an answer cell's own outputs, too
            cell.outputs = [nbformat.v4.new_output("display_data", data=HOSTILE_OUTPUT)]


def test_the_feedback_shows_a_learners_markup_and_outputs_as_text_never_as_page(toy):
    learners = {"hostile": _submission(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT, edit=_with_hostile_markup),
                "honest": _submission(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT)}
    result = cohort.autograde_cohort(_folder(toy, learners), toy, jobs=2)
    assert not result.failures and {g.student: g.score for g in result.grades} == {"hostile": 3, "honest": 3}
    pages = {s: (toy / "var" / "feedback" / s / LESSON / f"{LESSON}.html").read_text() for s in learners}
    hostile, honest = _active(pages["hostile"]), _active(pages["honest"])
    assert hostile.scripts == honest.scripts  # nbgrader's and nbconvert's own page scripts only
    assert hostile.handlers == honest.handlers == [] and hostile.script_urls == honest.script_urls == []
    assert hostile.scores == honest.scores and "(Score: 3.0 / 3.0)" in hostile.scores[0]
    assert {tag: hostile.tags[tag] for tag in ("img", "svg", "h1", "a", "iframe")} == {
        tag: honest.tags[tag] for tag in ("img", "svg", "h1", "a", "iframe")}
    assert "&lt;h1&gt;Score: 22 / 22&lt;/h1&gt;" in pages["hostile"]  # the learner's words, shown as what they typed
    for gone in ("alert('output')", "alert('js')", "alert('traceback')", "alert(3)", "alert(8)", "\x1b"):
        assert gone not in pages["hostile"], gone  # html, svg, javascript and tracebacks are dropped, not escaped
    assert "hello 42" in pages["hostile"] and "&lt;script&gt;alert('stream')&lt;/script&gt;" in pages["hostile"]
    assert "&lt;img src=x onerror=alert(6)&gt;" in pages["hostile"]  # the learner's own output, as text
    autograded = nbformat.read(str(toy / "var" / "autograded" / "hostile" / LESSON / f"{LESSON}.ipynb"), as_version=4)
    kept = [o for c in autograded.cells if c.cell_type == "code" for o in c.outputs]  # formgrader shows this file too
    assert {o.output_type for o in kept} == {"stream", "display_data", "execute_result", "error"}
    assert all(set(o.get("data", {})) <= {"text/plain"} and not o.get("metadata") for o in kept)
    assert all(o.traceback == [f"{o.ename}: {o.evalue}"] for o in kept if o.output_type == "error")


# --- the class report --------------------------------------------------------------------------------

def test_the_class_report_draws_learner_text_as_text_not_mathtext(tmp_path):
    hostile = ["$\\frac{$", "add(2, 3) returned '$\\\\frac{$'", "$x^$ <script>alert(1)</script>", "$" * 61]
    tests = tuple(report.TestRow(f"{gid}$", "failed", 0, 1, message) for gid, message in zip("abcd", hostile, strict=True))
    rows = [report.LessonRow(f"learner{i}", LESSON, "graded", 0, 4, "", tests) for i in range(2)]
    page = report.write_report(rows, tmp_path / "report.html", exercises={LESSON: {"a$": "$\\frac{$"}}).read_text()
    assert page.count("data:image/png;base64,") == 4
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page


def test_a_failure_message_in_mathtext_still_gives_the_class_report(toy):
    mathtext = "def add(a, b):\n    return r'$\\frac{$'"
    learners = {"mathtext": _submission(toy, add=mathtext, shout=RIGHT_SHOUT),
                "honest": _submission(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT)}
    result = cohort.autograde_cohort(_folder(toy, learners), toy, jobs=2, feedback=False)
    assert not result.failures and {g.student: g.score for g in result.grades} == {"mathtext": 2, "honest": 3}
    page = (toy / "var" / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 4 and "frac{$" in page


def test_a_report_that_cannot_be_written_is_a_warning_and_the_grades_still_land(toy, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("the chart library gave up\nhere is its second line")
    monkeypatch.setattr(cohort, "write_report", broken)
    learners = {"honest": _submission(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT)}
    with caplog.at_level(logging.WARNING, logger="autograder.cohort.run"):
        result = cohort.autograde_cohort(_folder(toy, learners), toy, jobs=1, feedback=False)
    assert not result.failures and [g.score for g in result.grades] == [3]
    assert "honest,00-toy,,graded,3,3" in (toy / "var" / "grades.csv").read_text()
    with sqlite3.connect(toy / "var" / "gradebook.db") as db:
        assert db.execute("SELECT SUM(auto_score) FROM grade").fetchone() == (3,)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "autograder.cohort.run"]
    assert len(warnings) == 1 and "\n" not in warnings[0].getMessage()
    assert "report" in warnings[0].getMessage() and "the chart library gave up" in warnings[0].getMessage()


# --- deep JSON on the grader's channel ----------------------------------------------------------------

def _raw_frame(sock: socket.socket, data: bytes) -> threading.Thread:
    """Send a frame as a worker could, from a thread: it is larger than the socket's buffer."""
    sender = threading.Thread(target=sock.sendall, args=(struct.pack(">I", len(data)) + data,), daemon=True)
    sender.start()
    return sender


def test_a_frame_nested_too_deep_is_a_channel_error_not_a_recursion_error():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.settimeout(10)
        for deep in (b"[" * 200_000 + b"]" * 200_000, b'{"a":' * 101 + b"1" + b"}" * 101):
            sender = _raw_frame(theirs, deep)
            with pytest.raises(channel.ChannelError, match="nested more than 100 deep"):
                channel.receive(ours)
            sender.join(10)
        fine = {"value": json.loads("[" * 99 + "]" * 99), "text": "[[[[{{{{" * 1000 + '\\"[['}
        channel.send(theirs, fine)
        assert channel.receive(ours) == fine  # brackets inside strings do not count


DEEP_FRAME = ("import gc, socket, struct\n"
              "deep = b'[' * 200_000 + b']' * 200_000\n"
              "for sock in [o for o in gc.get_objects() if isinstance(o, socket.socket)]:\n"
              "    sock.sendall(struct.pack('>I', len(deep)) + deep)")


def test_a_cell_that_sends_the_grader_a_deep_frame_costs_nothing_else(toy):
    graded = _grade(toy, _submission(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT, first=DEEP_FRAME))
    assert _scores(graded) == FULL
    assert any("not an answer" in note and "nested" in note for note in graded.notes), graded.notes


# --- nbgrader metadata on answer cells ---------------------------------------------------------------

def _metadata_of(changes: dict[str, dict[str, object]]):
    def edit(nb) -> None:
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            meta.update(changes.get(meta.get("grade_id"), {}))
    return edit


def test_graded_metadata_on_an_answer_cell_changes_no_score_and_keeps_the_feedback(toy):
    learners = {"graded-answer": _submission(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT,
                                             edit=_metadata_of({"add": {"grade": True, "points": 50}})),
                "borrowed-id": _submission(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT,
                                           edit=_metadata_of({"shout": {"grade_id": "add", "grade": True, "points": 50}})),
                "honest": _submission(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT)}
    result = cohort.autograde_cohort(_folder(toy, learners), toy, jobs=2)
    assert not result.failures, result.failures
    assert {g.student: (g.score, g.max_score) for g in result.grades} == {s: (3, 3) for s in learners}
    for student in learners:
        page = (toy / "var" / "feedback" / student / LESSON / f"{LESSON}.html").read_text()
        assert "(Score: 3.0 / 3.0)" in page and "50" not in "".join(_active(page).scores)
        autograded = nbformat.read(str(toy / "var" / "autograded" / student / LESSON / f"{LESSON}.ipynb"),
                                   as_version=4)
        points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"].get("points")
                  for c in autograded.cells if c.metadata.get("nbgrader", {}).get("grade")}
        assert points == {"add_adds": 1, "shout_shouts": 2}, (student, points)
    with sqlite3.connect(toy / "var" / "gradebook.db") as db:
        rows = db.execute("SELECT s.student_id, SUM(g.auto_score), SUM(c.max_score) FROM grade g "
                          "JOIN grade_cells c ON g.cell_id = c.id JOIN submitted_notebook n ON g.notebook_id = n.id "
                          "JOIN submitted_assignment s ON n.assignment_id = s.id GROUP BY s.id").fetchall()
    assert sorted(rows) == sorted((s, 3, 3) for s in learners)


def test_the_autograded_notebook_takes_no_metadata_from_the_submission(toy):
    from autograder.gradebook.verdicts import autograded_notebook

    source = nbformat.read(str(toy / "solutions" / LESSON / f"{LESSON}.ipynb"), as_version=4)
    nb = _submission(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT, edit=_metadata_of(
        {"add": {"grade": True, "points": 50}, "shout": {"grade_id": "add_adds"}}))
    nb.cells[3].metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "mine", "points": 9}
    nb.metadata["kernelspec"] = {"name": "<script>", "display_name": "x"}
    graded = _grade(toy, nb)
    out = autograded_notebook(source, [dict(c) for c in json.loads(nbformat.writes(nb))["cells"]], graded)
    by_source = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] for c in source.cells
                 if "nbgrader" in c.metadata}
    metas = [cell.metadata.get("nbgrader") for cell in out.cells]
    assert not [m for m in metas if m and (m.get("points") == 50 or m.get("grade_id") == "mine")]
    assert all(m is None or m == by_source[m["grade_id"]] for m in metas), metas
    assert out.metadata == source.metadata
    assert _scores(graded) == FULL

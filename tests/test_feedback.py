"""The feedback a learner receives: each test named by its behaviour, with its points and its message; the grader's
notes where they happened; the learner's own outputs, as text.

One learner of the toy lesson (tests/toy_course.py: `add` is 1 point, `shout` 2) is graded through `course autograde`
into a feedback page; the rest are checked on the notebook the page is made from, without grading.
"""

from __future__ import annotations

import re

import nbformat
import test_grading_cohort
from nbconvert.filters import markdown2html
from test_grading_attacks import RIGHT_ADD, _grade, _submission
from test_grading_cohort import LESSON, _folder
from test_grading_output_safety import _active

from autograder.boundary.sandbox import Limits
from autograder.cohort import run as cohort
from autograder.grade import engine
from autograder.gradebook.preprocessors import behaviour
from autograder.gradebook.verdicts import OUTPUT_CAP, autograded_notebook, safe_outputs

built, toy = test_grading_cohort.built, test_grading_cohort.toy  # fixtures: a fresh copy of the toy course per test

MARKUP_SHOUT = "def shout(text):\n    return '<img src=x onerror=alert(1)>'"
CRASH = "import os\nos._exit(3)"


def _edit_the_add_test(nb) -> None:
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "add_adds":
            cell.source = "pass  # the learner's own test"


def _toc(page: str) -> str:
    return page[page.index('<div id="toc">'):page.index("</ol>", page.index('<div id="toc">'))]


def test_the_page_names_each_test_by_its_behaviour_with_its_points_message_and_the_graders_notes(toy):
    nb = _submission(toy, add=RIGHT_ADD + "\nprint('hello 42')", shout=MARKUP_SHOUT, first=CRASH,
                     edit=_edit_the_add_test)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "add":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hello 42\n")]
    result = cohort.autograde_cohort(_folder(toy, {"maya": nb}), toy, jobs=1)
    assert not result.failures and [g.score for g in result.grades] == [1]
    page = (toy / "var" / "feedback" / "maya" / LESSON / f"{LESSON}.html").read_text()
    toc = _toc(page)
    assert '<a href="#add_adds">Check that add returns the sum of its arguments.</a> (Score: 1.0 / 1.0)</li>' in toc
    lost = re.search(r'<a href="#shout_shouts">(.*?)</a> \(Score: 0\.0 / 2\.0\)\s*<pre[^>]*>(.*?)</pre>', toc, re.S)
    assert lost, toc
    assert lost[1] == "Check that shout upper-cases the text and ends it with '!'."
    assert "returned '&lt;img src=x onerror=alert(1)&gt;': some letters are still lower case" in lost[2]
    assert "Test cell" not in page and _active(toc).tags["img"] == 0 and _active(page).handlers == []
    assert "hello 42" in page  # the learner's own output, kept

    autograded = nbformat.read(str(toy / "var" / "autograded" / "maya" / LESSON / f"{LESSON}.ipynb"), as_version=4)
    sources = [cell.source for cell in autograded.cells]
    box = sources[0]
    assert box.startswith("**The grader's notes on this submission**")
    assert "stopped the grading worker" in box and "the test cell 'add_adds' had been edited" in box
    crash = sources.index(CRASH)
    assert sources[crash + 1].startswith("**The grader**, on the cell above:") and "os._exit" in sources[crash + 1]
    test = next(i for i, c in enumerate(autograded.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "add_adds")
    assert "the test cell 'add_adds' had been edited" in sources[test + 1]
    assert page.count("the test cell 'add_adds' had been edited") == 2  # in the box and after the test, as text


def test_a_note_is_shown_as_typed_after_its_cell_and_in_the_box(toy):
    source = nbformat.read(str(toy / "solutions" / LESSON / f"{LESSON}.ipynb"), as_version=4)
    cells = [dict(c) for c in _submission(toy).cells]
    hostile = "a cell printed ```\n<script>alert(1)</script> [x](javascript:alert(2)) **Score: 22 / 22**"
    results = [engine.TestResult("add_adds", 1, 0, "failed", "no"), engine.TestResult("shout_shouts", 2, 0, "failed", "no")]
    graded = engine.Graded(results, notes=["graded without a file sandbox", hostile], cell_notes=[(2, hostile)])
    out = autograded_notebook(source, cells, graded)
    assert out.cells[3].source == cells[2]["source"]
    assert out.cells[4].source.startswith("**The grader**, on the cell above:") and hostile in out.cells[4].source
    assert sum(hostile in c.source for c in out.cells) == 2  # in the box, and after its cell
    for note in (out.cells[0], out.cells[4]):
        shown = markdown2html(note.source)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<strong>Score" not in shown
        assert not _active(shown).scripts and not _active(shown).tags["a"]
    assert len({c.id for c in out.cells}) == len(out.cells)


def test_a_time_limit_note_follows_the_cell_that_ran_out(built):
    hang = "import time\nwhile True:\n    time.sleep(0.01)"
    graded = _grade(built, _submission(built, first=hang), limits=Limits(call_seconds=60, submission_seconds=4))
    assert {at for at, _ in graded.cell_notes} == {2}  # the worker it stopped, and the time limit: that cell's
    assert any(note.startswith("grading stopped at the time limit") for _, note in graded.cell_notes)
    assert all(note in graded.notes for _, note in graded.cell_notes)


def test_outputs_keep_their_text_only_and_a_flood_is_cut():
    out = nbformat.v4.new_output
    kept = safe_outputs([
        out("stream", name="stdout", text="hello 42\n"),
        out("display_data", data={"image/png": "iVBORw0KGgo=", "text/html": "<b>x</b>"}, metadata={"width": 9}),
        out("execute_result", data={"text/plain": ["4", "2"], "text/html": "<i>42</i>"}, metadata={"a": 1},
            execution_count=3),
        out("error", ename="ValueError", evalue="bad\x1b[31m value", traceback=["\x1b[31mTraceback", "  File ..."]),
        {"output_type": "stream", "name": "<script>", "text": 42}, "not an output", {"output_type": "update_display_data"},
    ])
    assert [o.output_type for o in kept] == ["stream", "execute_result", "error", "stream"]
    assert kept[0].text == "hello 42\n" and kept[1].data == {"text/plain": "42"} and kept[1].metadata == {}
    assert (kept[2].ename, kept[2].evalue, kept[2].traceback) == ("ValueError", "bad value", ["ValueError: bad value"])
    assert kept[3].name == "stdout" and kept[3].text == ""
    flood = safe_outputs([out("stream", name="stdout", text="y" * 999)] * 50)
    assert sum(len(o.text) for o in flood) <= OUTPUT_CAP + 10 and flood[-1].text.endswith("… (cut)")
    many = safe_outputs([out("stream", name="stdout", text="")] * 10_000)
    assert len(many) == 101 and many[-1].text == "… (cut)"


def test_a_test_is_named_by_its_docstring_or_else_by_its_grade_id_in_words():
    assert behaviour('"""Check that a stored thread loads\n    with its events in order.\n\n    More."""\npass', "x") \
        == "Check that a stored thread loads with its events in order."
    assert behaviour("pass  # no docstring", "refund_is_idempotent") == "Refund is idempotent"
    assert behaviour("def broken(:", "loads-a-thread") == "Loads a thread"


def test_a_score_set_by_hand_reaches_the_page_on_the_next_run_without_a_regrade(toy):
    from nbgrader.api import Gradebook

    incoming = _folder(toy, {"maya": test_grading_cohort._notebook(toy, add=test_grading_cohort.RIGHT_ADD)})
    cohort.autograde_cohort(incoming, toy, jobs=1)
    page = toy / "var" / "feedback" / "maya" / LESSON / f"{LESSON}.html"
    assert "Score: 1.0 / 3.0" in page.read_text(encoding="utf-8")
    with Gradebook(f"sqlite:///{toy / 'var' / 'gradebook.db'}", "twelve-factor-agents") as gb:  # as formgrader does
        gb.find_grade("shout_shouts", LESSON, LESSON, "maya").manual_score = 2
        gb.db.commit()
    again = cohort.autograde_cohort(None, toy, jobs=1)
    assert again.graded_now == [] and again.resumed == 1  # nothing graded again...
    assert "Score: 3.0 / 3.0" in page.read_text(encoding="utf-8")  # ...and the page says what the gradebook says
    written = page.stat().st_mtime_ns
    cohort.autograde_cohort(None, toy, jobs=1)
    assert page.stat().st_mtime_ns == written  # unchanged in the gradebook: the page is not written again

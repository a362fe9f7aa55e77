"""The integrity report of a lesson (autograder.cohort.integrity), on lesson 05's real notebooks and stages.

One class hands in lesson 05 in nbgrader's layout: the reference answers, the same renamed and reformatted,
the same with a line added, answers written independently, blank releases, the instructor's notebook, the
reference stage pasted, and files that are not notebooks. Each test reads the report of that class.
"""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from pathlib import Path

import nbformat
import numpy as np
import pytest
from copydetect import compare_files

from autograder.cohort import integrity
from autograder.cohort.integrity import Flag, integrity_flags, write_integrity
from autograder.grade.plan import cell_kind, cell_meta, cell_source
from course.grading.layout import REPO_ROOT, find_lesson
from course.grading.stagecode import MARKER

SLUG = "05-unify-execution-and-business-state"
LESSON = find_lesson(SLUG)

# Lesson 05 answered another way, as a learner who did not see the reference might.
INDEPENDENT = {
    "append_event_and_load_thread": '''
def append_event(thread_id: str, event: Event) -> int:
    """Store `event` at the end of the thread `thread_id`; return its position (seq: 0 for the first event)."""
    db = store()
    (last,) = db.execute("SELECT max(seq) FROM events WHERE thread_id = ?", [thread_id]).fetchone()
    position = 0 if last is None else last + 1
    db.execute("INSERT INTO events VALUES (?, ?, ?, ?)", [thread_id, position, event.kind, event.model_dump_json()])
    return position


def load_thread(thread_id: str) -> Thread:
    """The stored thread: its ticket and its events in order, each as its own class, whichever version wrote them.

    An id with no thread row raises ThreadNotFound.
    """
    db = store()
    found = db.execute("SELECT * FROM threads WHERE id = ?", [thread_id]).fetchall()
    if not found:
        raise ThreadNotFound(thread_id)
    _, ticket_json, version, _ = found[0]
    events = []
    for (raw,) in db.execute("SELECT data FROM events WHERE thread_id = ? ORDER BY seq", [thread_id]):
        events.append(EVENT.validate_python(upgrade_event(json.loads(raw), version)))
    return Thread(ticket=Ticket.model_validate_json(ticket_json), events=events)
''',
    "status_of_and_threads_with_status": '''
# Exercise 5.2
HUMAN_TOOLS = ("request_approval", "ask_customer", "escalate")  # calls that ask a person: the agent waits for the answer
Status = Literal["working", "waiting", "interrupted", "done"]  # what a thread can be doing


def status_of(thread: Thread) -> Status:
    """What the agent is doing on `thread`, read from its last event alone."""
    if not thread.events:
        return "working"
    final = thread.events[-1]
    if final.kind == "finished":
        return "done"
    if final.kind != "tool_call":
        return "working"
    return "waiting" if final.name in HUMAN_TOOLS else "interrupted"


def threads_with_status(status: Status) -> list[str]:
    """Ids of the stored threads whose status is `status`, oldest first, derived from their events on every call."""
    result = []
    for row in store().execute("SELECT id FROM threads ORDER BY rowid").fetchall():
        if status_of(load_thread(row[0])) == status:
            result.append(row[0])
    return result
''',
    "act": '''
# Exercise 5.3
def act(thread_id: str, intent: Intent, ticket: Ticket) -> Event:
    """Carry out `intent` and store its event, in one transaction: both happen, or neither. Returns the event."""
    shop = current_shop()
    with shop.transaction():
        outcome = execute(intent, ticket)
        append_event(thread_id, outcome)
        return outcome
''',
    "fork_thread": '''
# Exercise 5.4
def fork_thread(thread_id: str, upto: int) -> str:
    """A new thread with the ticket and the first `upto` events of `thread_id`; the original is left as it was."""
    original = load_thread(thread_id)
    shop = current_shop()
    with shop.transaction():
        taken = store().execute("SELECT id FROM threads WHERE id LIKE ?", [thread_id + "-fork-%"]).fetchall()
        new_id = thread_id + "-fork-" + str(len(taken) + 1)
        store().execute("INSERT INTO threads VALUES (?, ?, ?, ?)",
                        [new_id, original.ticket.model_dump_json(), SCHEMA_VERSION, shop.today.isoformat()])
        for position, event in enumerate(original.events):
            if position < upto:
                append_event(new_id, event)
    return new_id
''',
}


def _reference() -> dict[str, str]:
    """The source's answer cells without the solution markers: the answers a learner who copies them hands in."""
    source = nbformat.read(str(LESSON.source), as_version=4)
    return {cell_meta(cell)["grade_id"]: MARKER.sub("", cell_source(cell)) for cell in source.cells if cell_kind(cell) == "answer"}


def _stage_cells() -> dict[str, str]:
    """stages/stage_05.py cut at its `# %% <lesson> · <grade id>` lines: each cell's reference code (no `__all__`)."""
    stage = (REPO_ROOT / "stages" / "stage_05.py").read_text("utf-8").split("\n__all__ = [")[0]
    parts = re.split(rf"^# %% {SLUG} · (\S+)\n", stage, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _disguised(answer: str) -> str:
    """The same answer with its own names changed, comments gone, two-space indents and spaced-out brackets."""
    for old, new in {"conn": "database", "seq": "position", "row": "record", "rows": "records", "ticket": "tkt",
                     "version": "ver", "events": "history", "last": "final", "ids": "keys", "count": "howmany",
                     "fork_id": "branch"}.items():
        answer = re.sub(rf"\b{old}\b", new, answer)
    answer = re.sub(r"[ \t]*#.*", "", answer).replace("    ", "  ").replace("(thread_id,)", "( thread_id , )")
    return answer.replace("\n\n", "\n\n\n")


def _hand_in(root: Path, student: str, answers: dict[str, str] | None = None, *, raw: bytes | None = None) -> Path:
    """The learner's notebook where nbgrader puts it: the release with `answers` (grade id -> cell) in place."""
    path = root / "var" / "submitted" / student / SLUG / f"{SLUG}.ipynb"
    path.parent.mkdir(parents=True)
    if raw is not None:
        path.write_bytes(raw)
        return path
    notebook = nbformat.read(str(LESSON.release), as_version=4)
    for cell in notebook.cells:
        cell.source = (answers or {}).get(cell_meta(cell).get("grade_id"), cell.source)
    nbformat.write(notebook, str(path))
    return path


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cohort")
    reference, stage = _reference(), _stage_cells()
    added = {**reference, "fork_thread": reference["fork_thread"].replace(
        "    thread = load_thread(thread_id)\n", "    if upto < 0:\n        raise ValueError(upto)\n    thread = load_thread(thread_id)\n")}
    assert added != reference
    notebooks = {
        "ann": _hand_in(root, "ann", reference),
        "ben": _hand_in(root, "ben", {gid: _disguised(answer) for gid, answer in reference.items()}),
        "cat": _hand_in(root, "cat", added),
        "dan": _hand_in(root, "dan", INDEPENDENT),
        "eve": _hand_in(root, "eve"),
        "fay": _hand_in(root, "fay"),
        "gus": _hand_in(root, "gus"),
        "hal": _hand_in(root, "hal", raw=LESSON.source.read_bytes()),
        "ivy": _hand_in(root, "ivy", {gid: stage[gid] for gid in reference}),
        "jon": _hand_in(root, "jon", raw=b"{not json"),
        "kim": _hand_in(root, "kim", raw=b'{"cells": "none"}'),
        "lee": root / "var" / "submitted" / "lee" / SLUG / f"{SLUG}.ipynb",  # listed, never written
    }
    return notebooks


@pytest.fixture(scope="module")
def flags(cohort) -> list[Flag]:
    return integrity_flags(REPO_ROOT, SLUG, cohort)


def _pairs(flags: list[Flag]) -> dict[frozenset[str], Flag]:
    pairs = [flag for flag in flags if flag.kind in ("identical", "similar")]
    keyed = {frozenset((flag.student, flag.other)): flag for flag in pairs}
    assert len(keyed) == len(pairs), "one flag per pair"
    return keyed


def test_the_same_answers_renamed_and_reformatted_are_one_identical_pair_naming_both(flags):
    pair = _pairs(flags)[frozenset(("ann", "ben"))]
    assert (pair.student, pair.other, pair.kind, pair.lesson) == ("ann", "ben", "identical", SLUG)
    assert "ben" in pair.detail and "\n" not in pair.detail


def test_the_same_answers_with_a_line_added_are_a_similar_pair(flags):
    pair = _pairs(flags)[frozenset(("ann", "cat"))]
    assert pair.kind == "similar" and pair.other == "cat", pair
    assert re.search(r"answer cells \d+% the same as learner cat's, theirs \d+% \(winnowing, k=25", pair.detail)


def test_independent_answers_are_paired_with_no_one(flags):
    assert [flag for flag in flags if "dan" in (flag.student, flag.other)] == []


def test_blank_releases_are_never_flagged(flags):
    assert [flag for flag in flags if {flag.student, flag.other} & {"eve", "fay", "gus"}] == []


def test_the_instructors_notebook_handed_in_is_flagged_for_its_markers(flags):
    markers = [flag for flag in flags if flag.kind == "solution-markers"]
    assert [flag.student for flag in markers] == ["hal"]  # only hal: the others' answers had the markers taken out
    assert "BEGIN SOLUTION" in markers[0].detail and "BEGIN HIDDEN TESTS" in markers[0].detail


def test_the_reference_stage_pasted_into_the_answers_is_reference_code(flags):
    pasted = {flag.student: flag.detail for flag in flags if flag.kind == "reference-code"}
    # ivy pasted the stage, ann, cat and hal the source's answers (which are the stage); ben renamed every name and
    # dan wrote their own: neither is verbatim
    assert sorted(pasted) == ["ann", "cat", "hal", "ivy"]
    assert re.fullmatch(r"(\d+) of \1 answer lines \(of 20\+ characters, not given in the release\) are verbatim in "
                        r"stages/stage_05.py", pasted["ivy"]), pasted["ivy"]


def test_one_exercise_pasted_among_answers_of_ones_own_is_not_reference_code(tmp_path):
    """The verbatim check reads the whole hand-in: 9 reference lines of 28 are not "most"."""
    answers = {**INDEPENDENT, "append_event_and_load_thread": _reference()["append_event_and_load_thread"]}
    assert integrity_flags(REPO_ROOT, SLUG, {"max": _hand_in(tmp_path, "max", answers)}) == []


def test_unreadable_notebooks_are_skipped_and_the_others_still_compared(flags, caplog, cohort):
    assert not {"jon", "kim", "lee"} & {name for flag in flags for name in (flag.student, flag.other)}
    assert {frozenset(("ann", "ben")), frozenset(("ann", "ivy"))} <= set(_pairs(flags))
    with caplog.at_level("WARNING", logger="autograder.cohort.integrity"):
        integrity_flags(REPO_ROOT, SLUG, {name: cohort[name] for name in ("jon", "ann")})
    assert "jon's 05-unify-execution-and-business-state is skipped: the submitted file is not a valid notebook" in caplog.text


def test_the_given_code_and_shipped_stages_pasted_by_both_never_make_a_pair(tmp_path, monkeypatch):
    release = nbformat.read(str(LESSON.release), as_version=4)
    given = "\n\n".join(cell_source(cell) for cell in release.cells if cell_kind(cell) == "locked" and cell.cell_type == "code")
    shipped = "\n\n".join((LESSON.release_dir / name).read_text("utf-8") for name in ("stage_04.py", "stage_03.py"))
    notebooks = {}
    for student, answers in (("ann", _reference()), ("dan", INDEPENDENT)):
        notebooks[student] = _hand_in(tmp_path, student, {**answers, "act": f"{answers['act']}\n\n{given}\n\n{shipped}"})
    assert not [flag for flag in integrity_flags(REPO_ROOT, SLUG, notebooks) if flag.other]
    unread = integrity._lesson
    monkeypatch.setattr(integrity, "_lesson", lambda lesson: replace(unread(lesson), boilerplate=[]))
    # the same two learners, were the release's text not boilerplate, ...
    assert [flag.kind for flag in integrity_flags(REPO_ROOT, SLUG, notebooks) if flag.other] == ["similar"]  # ... a pair


def test_shares_are_copydetects_compare_files_similarities(cohort):
    lesson = integrity._lesson(LESSON)
    hands = []
    for student in ("ann", "cat", "dan", "ivy", "hal"):
        cells, _ = integrity.read_submission(cohort[student])
        hands.append(integrity._hand(student, integrity._answer_text(cells, lesson), lesson.boilerplate))
    shares = integrity._shares(hands)
    for i, one in enumerate(hands):
        for j, two in enumerate(hands):
            if i != j:
                _, (first, second), _ = compare_files(one.fingerprint, two.fingerprint)
                assert np.isclose(shares[i, j], first) and np.isclose(shares[j, i], second), (one.student, two.student)


def test_write_integrity_round_trips_through_csv(tmp_path, flags):
    odd = Flag("o'neil, jo", SLUG, "similar", 'answer cells 91% the same as learner "x, y"\'s', other="x, y")
    path = write_integrity([*flags, odd], tmp_path / "var" / "integrity.csv")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["student", "lesson", "kind", "other", "detail"]
    assert [Flag(r["student"], r["lesson"], r["kind"], r["detail"], r["other"]) for r in rows] == [*flags, odd]
    empty = write_integrity([], tmp_path / "none.csv")
    assert empty.read_text("utf-8").splitlines() == ["student,lesson,kind,other,detail"]


def test_a_lesson_with_no_hand_ins_has_no_flags():
    assert integrity_flags(REPO_ROOT, SLUG, {}) == []

"""A submission cannot fool the trusted grader: every attack scores what honest work would.

Each attack is a toy-lesson submission (tests/toy_course.py: `add` is 1 point, `shout` 2) that
tries one way to win points it did not earn, read what it must not, or cost others theirs. The
verdict must be exactly that of an honest submission with the same answers (0 when blank), no
file outside the worker's folder may change, and nothing hidden may appear in any output.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
from pathlib import Path

import nbformat
import pytest
from attacks import FORK_BOMB, KILLERS, REPLACERS, REWRITERS, gradebook_writer
from toy_course import build_toy_course

from autograder.authoring.release import release_all
from autograder.boundary.sandbox import Limits, detect
from autograder.cohort import run as cohort
from autograder.grade.engine import grade_submission
from course.grading.layout import REPO_ROOT

LESSON = "00-toy"
RIGHT_ADD = "def add(a, b):\n    return a + b"
RIGHT_SHOUT = "def shout(text):\n    return text.upper() + '!'"
SECRETS = ("toy-hidden-secret", "total = a + b", "loud = text.upper()", "BEGIN HIDDEN TESTS", "hidden(")
HIDDEN_FILE = REPO_ROOT / "autograder" / "hidden" / "nb00.py"


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    root = build_toy_course(tmp_path_factory.mktemp("toy"))
    release_all(root)
    return root


def _release(toy: Path):
    return nbformat.read(str(toy / "notebooks" / LESSON / f"{LESSON}.ipynb"), as_version=4)


def _submission(toy: Path, *, add: str | None = None, shout: str | None = None, first: str = "",
                edit=None):
    """The release, with answers filled in and an attack cell right after the setup cell."""
    nb = _release(toy)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid == "add" and add is not None:
            cell.source = add
        if gid == "shout" and shout is not None:
            cell.source = shout
    if first:
        nb.cells.insert(2, nbformat.v4.new_code_cell(first))
    if edit:
        edit(nb)
    return nb


def _grade(toy: Path, nb, **kwargs):
    return grade_submission(toy / "solutions" / LESSON / f"{LESSON}.ipynb", nb,
                            files=toy / "notebooks" / LESSON, lesson=0, **kwargs)


def _scores(graded) -> dict[str, float]:
    return {r.grade_id: r.score for r in graded.results}


def _text(graded) -> str:
    return "\n".join([r.message for r in graded.results] + graded.notes + graded.cell_errors)


def _assert_nothing_leaked(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret
    assert "\x1b" not in text and "\r" not in text


BLANK = {"add_adds": 0.0, "shout_shouts": 0.0}
HONEST_ADD = {"add_adds": 1.0, "shout_shouts": 0.0}
FULL = {"add_adds": 1.0, "shout_shouts": 2.0}


def test_grading_runs_in_bubblewrap_on_linux():
    if not sys.platform.startswith("linux"):
        pytest.skip("bubblewrap is Linux only; elsewhere the grader says it cannot hide files")
    assert detect().kind == "bubblewrap" and detect().hides_files, detect().describe()


def test_honest_answers_score_as_expected(toy):
    assert _scores(_grade(toy, _submission(toy))) == BLANK
    assert _scores(_grade(toy, _submission(toy, add=RIGHT_ADD))) == HONEST_ADD
    assert _scores(_grade(toy, _submission(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT))) == FULL


# --- rewriting or blanking the test cells --------------------------------------------------------

@pytest.mark.parametrize("attack", list(REWRITERS.values()), ids=list(REWRITERS))
def test_rewriting_or_silencing_cells_wins_nothing(toy, attack):
    assert _scores(_grade(toy, _submission(toy, first=attack))) == BLANK


def test_edited_test_cells_and_their_points_are_the_sources(toy):
    def edit(nb):
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                cell.source = '"full marks"'  # a non-numeric output nbgrader would score as full credit
                meta["points"] = 100
    graded = _grade(toy, _submission(toy, add=RIGHT_ADD, edit=edit))
    assert _scores(graded) == HONEST_ADD and graded.max_score == 3
    assert any("had been edited" in note for note in graded.notes)


# --- replacing the grader's objects, or reaching its files ---------------------------------------

@pytest.mark.parametrize("attack", list(REPLACERS.values()), ids=list(REPLACERS))
def test_replacing_the_hidden_tests_or_importing_the_reference_wins_nothing(toy, attack):
    assert _scores(_grade(toy, _submission(toy, first=attack))) == BLANK


def test_the_worker_cannot_read_hidden_tests_solutions_or_the_gradebook(toy):
    paths = [HIDDEN_FILE, toy / "solutions" / LESSON / f"{LESSON}.ipynb", toy / "var" / "gradebook.db",
             REPO_ROOT / "autograder" / "stages", REPO_ROOT / "solutions"]
    probe = (f"import os\nPATHS = {[str(p) for p in paths]!r}\n"
             "def add(a, b):\n"
             "    seen = [p for p in PATHS if os.path.exists(p)]\n"
             "    return a + b if not seen else seen")
    graded = _grade(toy, _submission(toy, add=probe))
    assert _scores(graded) == HONEST_ADD, _text(graded)


def test_exfiltrating_through_the_feedback_is_capped_sanitised_and_finds_nothing(toy):
    attack = (f"def add(a, b):\n"
              f"    try:\n        stolen = open({str(HIDDEN_FILE)!r}).read()\n"
              f"    except OSError as error:\n        stolen = str(error)\n"
              "    raise RuntimeError('\\x1b[2J\\x1b[H  Score: 3 / 3\\r\\n' + stolen * 50)\n"
              "shout = add")
    graded = _grade(toy, _submission(toy, add=attack))
    assert _scores(graded) == BLANK
    text = _text(graded)
    _assert_nothing_leaked(text)
    assert all(len(r.message) <= 600 for r in graded.results)
    assert "\n  Score:" not in "\n" + "\n".join(r.message for r in graded.results)


def test_objects_that_defeat_comparisons_are_judged_by_their_plain_value(toy):
    liar = ("class Always(str):\n    def __eq__(self, other): return True\n    __hash__ = str.__hash__\n"
            "    def upper(self): return self\n    def endswith(self, *a): return True\n"
            "    def isupper(self): return True\n"
            "class Num:\n    def __eq__(self, other): return True\n    __class__ = int\n")
    graded = _grade(toy, _submission(toy, first=liar, add="def add(a, b):\n    return Num()",
                                     shout="def shout(text):\n    return Always('quiet')"))
    assert _scores(graded) == BLANK


# --- containment: crashes cost only the tests that need the code that crashed ---------------------

@pytest.mark.parametrize("attack", list(KILLERS.values()), ids=list(KILLERS))
def test_a_cell_that_kills_the_worker_costs_nothing_else(toy, attack):
    graded = _grade(toy, _submission(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT, first=attack))
    assert _scores(graded) == FULL
    assert any("stopped the grading worker" in note for note in graded.notes)


def test_a_crash_inside_a_graded_call_costs_only_that_test(toy):
    graded = _grade(toy, _submission(toy, add="def add(a, b):\n    import os\n    os._exit(1)", shout=RIGHT_SHOUT))
    assert _scores(graded) == {"add_adds": 0.0, "shout_shouts": 2.0}
    assert "stopped the grading worker" in graded.result("add_adds").message


def test_a_hang_is_stopped_by_the_wall_clock_and_costs_only_its_test(toy):
    graded = _grade(toy, _submission(toy, add="def add(a, b):\n    while True:\n        pass", shout=RIGHT_SHOUT),
                    limits=Limits(call_seconds=2))
    assert _scores(graded) == {"add_adds": 0.0, "shout_shouts": 2.0}
    assert "more than 2 seconds" in graded.result("add_adds").message


def test_memory_and_output_floods_cost_only_their_own_tests(toy):
    graded = _grade(toy, _submission(
        toy, add="def add(a, b):\n    hog = [bytearray(10**8) for _ in range(10**3)]\n    return a + b",
        shout=RIGHT_SHOUT, first="import sys\nfor _ in range(200):\n    sys.stdout.write('x' * 10**6)"),
        limits=Limits(memory_mb=1536))
    assert _scores(graded) == {"add_adds": 0.0, "shout_shouts": 2.0}


def test_a_fork_bomb_is_contained(toy):
    graded = _grade(toy, _submission(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT, first=FORK_BOMB))
    assert graded.result("shout_shouts").score == 2.0


# --- malformed submissions get a clear message and the score their intact answers earn --------------

def test_a_file_that_is_not_a_notebook_scores_zero_with_a_message(toy, tmp_path):
    for content, words in [("{not json", "not a valid notebook"), ('{"cells": 3}', "not a notebook")]:
        path = tmp_path / f"{LESSON}.ipynb"
        path.write_text(content)
        graded = _grade(toy, path)
        assert _scores(graded) == BLANK and any(words in note for note in graded.notes)


def test_deleted_renamed_and_duplicated_cells_keep_the_intact_answers(toy):
    def edit(nb):
        tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "add_adds"]
        nb.cells.append(nbformat.from_dict(tests[0]))  # a duplicated test cell
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade_id") == "shout_shouts":
                meta["grade_id"] = "shout_shouts_renamed"
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "check-0_1"]
    graded = _grade(toy, _submission(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT, edit=edit))
    assert _scores(graded) == FULL and graded.max_score == 3


def test_edited_locked_cells_run_as_the_lesson_has_them(toy):
    def edit(nb):
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("locked") and "import" in cell.source:
                cell.source = "raise SystemExit('no setup for you')"
    graded = _grade(toy, _submission(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT, edit=edit))
    assert _scores(graded) == FULL
    assert any("locked cell" in note for note in graded.notes)


def test_honest_extras_keep_their_points(toy):
    extras = ("import sys, warnings, time\nwarnings.warn('old API', DeprecationWarning)\n"
              "print('debugging', file=sys.stderr)\ntime.sleep(0.2)")

    def edit(nb):
        nb.cells.append(nbformat.v4.new_markdown_cell("My notes on this lesson."))
        nb.cells[0].source += "\n\n(edited by the learner)"
    graded = _grade(toy, _submission(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT, first=extras, edit=edit))
    assert _scores(graded) == FULL and not graded.notes[:-1 if not detect().hides_files else None]


# --- a cohort: the gradebook, other learners and the grader's files stay out of reach ---------------

def _tree_digest(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and "var" not in path.relative_to(root).parts and "__pycache__" not in path.parts:
            out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def test_a_hostile_cohort_member_changes_no_grade_and_no_file(toy, tmp_path):
    gradebook = toy / "var" / "gradebook.db"
    attack = gradebook_writer(str(toy), [str(HIDDEN_FILE), str(toy / "solutions" / LESSON / "toy_checks.py")],
                              [str(gradebook)])
    incoming = tmp_path / "incoming"
    for student, nb in [("attacker", _submission(toy, first=attack)),
                        ("neighbour", _submission(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT))]:
        (incoming / student / LESSON).mkdir(parents=True)
        nbformat.write(nb, str(incoming / student / LESSON / f"{LESSON}.ipynb"))
    before, hidden_before = _tree_digest(toy), HIDDEN_FILE.read_bytes()
    result = cohort.autograde_cohort(incoming, toy)
    assert not result.failures
    scores = {g.student: g.score for g in result.grades}
    assert scores["attacker"] == 0 and scores["neighbour"] == 3
    assert _tree_digest(toy) == before and HIDDEN_FILE.read_bytes() == hidden_before
    with sqlite3.connect(gradebook) as db:
        rows = db.execute("SELECT s.student_id, g.auto_score, g.extra_credit FROM grade g "
                          "JOIN submitted_notebook n ON g.notebook_id = n.id "
                          "JOIN submitted_assignment s ON n.assignment_id = s.id").fetchall()
        comments = " ".join(str(r[0]) for r in db.execute("SELECT auto_comment FROM comment"))
    assert sorted(r[1] for r in rows if r[0] == "attacker") == [0, 0]
    assert sorted(r[1] for r in rows if r[0] == "neighbour") == [1, 2]
    assert all(r[2] in (None, 0) for r in rows)
    _assert_nothing_leaked(comments)
    feedback = (toy / "var" / "feedback" / "attacker" / LESSON / f"{LESSON}.html").read_text()
    _assert_nothing_leaked(feedback.replace("hidden(", ""))  # the word appears in nbgrader's own page script
    assert os.environ.get("COURSE_OFFLINE") == "1"


def test_the_worker_has_no_network_not_even_the_graders_loopback(toy):
    import socket

    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    try:
        reach = (f"import socket\ndef add(a, b):\n    try:\n        socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
                 "    except OSError:\n        return a + b\n    return 'reached the grader'")
        graded = _grade(toy, _submission(toy, add=reach))
    finally:
        server.close()
    assert _scores(graded) == HONEST_ADD, _text(graded)


def test_a_file_larger_than_the_limit_costs_only_its_test(toy):
    writer = "def add(a, b):\n    open('big.bin', 'wb').write(b'x' * 3 * 1024 * 1024)\n    return a + b"
    graded = _grade(toy, _submission(toy, add=writer, shout=RIGHT_SHOUT), limits=Limits(file_mb=1))
    assert _scores(graded) == {"add_adds": 0.0, "shout_shouts": 2.0}


def test_cells_whose_metadata_is_not_an_object_keep_the_intact_answers(toy):
    def edit(nb):
        nb.cells.append(nbformat.from_dict({"cell_type": "code", "source": "x = 1", "metadata": ["not", "a", "dict"],
                                            "outputs": [], "execution_count": None}))
        nb.cells.append(nbformat.from_dict({"cell_type": "code", "source": "y = 2", "metadata": {"nbgrader": "text"},
                                            "outputs": [], "execution_count": None}))
    graded = _grade(toy, _submission(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT, edit=edit))
    assert _scores(graded) == FULL

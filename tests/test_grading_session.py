"""The grading session's own promises, tried on a real sandboxed worker (no notebook needed)."""

from __future__ import annotations

import os

import pytest

from autograder.boundary.remote import Learner, LearnerError, Remote
from autograder.boundary.session import LearnerSession
from course.shop import Shop, use_shop

_CELL = '''
from course.shop import current_shop

def messages():
    return current_shop().conn.execute("SELECT count(*) FROM messages").fetchone()[0]

def write(body):
    with current_shop().transaction() as conn:
        conn.execute("INSERT INTO messages (customer_id, body, sent_on) VALUES (1, ?, '2026-11-02')", (body,))
'''


def test_a_fresh_worker_opens_the_grader_shop_that_the_first_worker_wrote() -> None:
    with LearnerSession() as session:
        learner = Learner(session)
        assert session.run_cell(_CELL) == {"ok": True}
        with Shop.create() as db, use_shop(db):
            learner["write"]("from the first worker")
            with learner.fresh() as other:
                assert other["messages"]().value == 1  # a new process, a new connection, the same file
                other["write"]("from the second worker")
            assert session.workdir.exists(), "closing the fresh worker removed the folder the first one works in"
            assert learner["messages"]().value == 2
            assert db.conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 2
    assert not session.workdir.exists()


_UNRULY = '''
from course.shop import current_shop

SEEN = []  # kept alive: a connection's id is never reused while it is here

def connections():
    SEEN.append(current_shop().conn)
    return len({id(conn) for conn in SEEN})

def leave_a_transaction_open(body):
    conn = current_shop().conn
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO messages (customer_id, body, sent_on) VALUES (1, ?, '2026-11-02')", (body,))

def close_the_shop():
    current_shop().close()
'''


def test_a_tests_calls_share_one_connection_yet_each_call_ends_as_if_the_shop_were_closed() -> None:
    with LearnerSession() as session:
        learner = Learner(session)
        assert session.run_cell(_CELL + _UNRULY) == {"ok": True}
        with Shop.create() as db, use_shop(db), learner.fresh() as test:
            test["connections"]()
            assert test["connections"]().value == 1, "each call opened the shop again"
            test["leave_a_transaction_open"]("never committed")
            db.conn.execute("INSERT INTO messages (customer_id, body, sent_on) VALUES (1, 'the grader', '2026-11-02')")
            bodies = [row[0] for row in db.conn.execute("SELECT body FROM messages")]
            assert bodies == ["the grader"], "a call's open transaction outlived the call"
            test["close_the_shop"]()
            test["write"]("after closing it")
            assert test["messages"]().value == 2, "a shop closed by learner code was not opened again"


def test_an_interpreter_started_ahead_is_the_fresh_interpreter_a_test_gets_and_ends_with_the_session() -> None:
    with LearnerSession() as session:
        session.start_interpreters_ahead(1)
        assert session.run_cell("SALT = hash('salt')") == {"ok": True}
        learner = Learner(session)
        with learner.fresh(interpreter=True) as other:
            assert other.session.parent.generation == 1, "the interpreter started ahead was not the one given"
            assert other["SALT"].value != learner["SALT"].value, "the cells were not replayed in a new interpreter"
        session.start_interpreters_ahead(1)
        unused = session._interpreters[0]._process
        assert unused is not None and unused.poll() is None
    assert unused.poll() is not None, "an interpreter started ahead and never used outlived its session"


def test_restarts_fork_one_replay_of_the_cells_and_keep_nothing_of_each_other() -> None:
    count = "open('replays.txt', 'a').write('x')\nSALT = hash('salt')\nseen = []"
    with LearnerSession() as session:
        learner = Learner(session)
        assert session.run_cell(count) == {"ok": True}
        with learner.fresh(interpreter=True) as first:
            salt = first["SALT"].value
            assert salt != learner["SALT"].value, "a restart is not a new interpreter"
            first["seen"].append("the first restart")
        with learner.fresh(interpreter=True) as second:
            assert second["seen"].value == [], "a restart kept what another one did in memory"
            assert second["SALT"].value == salt
        assert (session.workdir / "replays.txt").read_text() == "xx", "the cells were replayed for each restart"
        assert session.run_cell("late = True") == {"ok": True}
        with learner.fresh(interpreter=True) as third:  # a cell ran since: a new replay, with it
            assert third["late"].value is True and third["SALT"].value != salt
        assert (session.workdir / "replays.txt").read_text() == "xxx"


def test_a_grader_function_is_asked_at_every_call_and_a_course_stand_in_runs_in_the_worker() -> None:
    from course.grading.stand_ins import render_fields

    asked: list[object] = []

    def whisper(text: Remote) -> str:
        asked.append(text.value)
        return str(text.value).lower()

    with LearnerSession() as session:
        assert session.run_cell("def each(fn, items):\n    return [fn(x) for x in items]\n"
                                "from pydantic import BaseModel\nclass Note(BaseModel):\n    kind: str = 'note'\n"
                                "    text: str\nNOTES = [Note(text=f'mail a{i}@b.io') for i in range(40)]") == {"ok": True}
        with Learner(session).fresh() as test:
            assert test["each"](whisper, ["A", "A"]).value == ["a", "a"]
            assert asked == ["A", "A"], "a grader function was answered without being asked"
            frames: list[str] = []
            test.session.on_callback = lambda question: frames.append("callback") or {"failed_callback": "no"}
            lines = test["each"](render_fields, test["NOTES"]).value
            assert lines == ["<note mail [email]>"] * 40
            assert frames == [], "the course's stand-in went back to the grader instead of running in the worker"


def test_a_test_and_its_forks_share_the_graders_core_and_every_core_comes_back_after() -> None:
    everywhere = os.sched_getaffinity(0)
    with LearnerSession() as session:
        assert session.run_cell("import os") == {"ok": True}
        with session.one_core():
            core = os.sched_getaffinity(0)
            assert len(core) == 1
            with session.fork() as test:
                assert Learner(test)["os"].sched_getaffinity(0).value == sorted(core)
        assert os.sched_getaffinity(0) == everywhere
        with session.fork() as test:  # outside a test's block: the kernel places it
            assert Learner(test)["os"].sched_getaffinity(0).value == sorted(everywhere)


def test_a_worker_that_does_not_start_in_time_is_reported_as_not_started_not_as_a_learners_loop(monkeypatch) -> None:
    from autograder.boundary import session as sessions

    monkeypatch.setattr(sessions, "_START_SECONDS", 0.0)  # no worker says hello in no time
    with LearnerSession() as session:
        died = session.run_cell("x = 1")["died"]
    assert "did not start within 0 seconds" in died and "without answering" not in died, died


def test_each_makes_many_learner_objects_in_one_round_trip_and_raises_as_one_call_would() -> None:
    with LearnerSession() as session:
        assert session.run_cell("class P:\n    def __init__(self, n):\n        self.n = n\n"
                                "def refuse(**kwargs):\n    raise ValueError('not this one')") == {"ok": True}
        with Learner(session).fresh() as test:
            sent: list[str] = []
            request = test.session.request
            test.session.request = lambda message: sent.append(message["op"]) or request(message)
            made = test.each([(test["P"], {"n": n}) for n in range(50)])
            assert sent == ["each"], "the objects were not made in one round trip"
            assert [p.n.value for p in made] == list(range(50)) and all(p.isa("P") for p in made)
            with pytest.raises(LearnerError) as refused:
                test.each([(test["P"], {"n": 1}), (test["refuse"], {}), (test["P"], {"n": 2})])
            assert refused.value.isa("ValueError") and "not this one" in refused.value.message
            with pytest.raises(RuntimeError, match="at most 10,000"):  # refused whole, never cut short
                test.each([(test["P"], {"n": n}) for n in range(10_001)])


def test_no_file_of_the_learners_runs_before_the_worker_says_hello(tmp_path) -> None:
    for name in ("openai", "ipywidgets"):  # modules the worker imports before its hello (the widgets: when asked)
        (tmp_path / f"{name}.py").write_text("raise SystemExit('a file of the learner ran before the hello')\n")
    (tmp_path / "stage_99.py").write_text("ANSWER = 42\n")  # the lesson folder's own modules still import
    with LearnerSession(tmp_path, widgets=True) as session:
        assert session.run_cell("import openai, ipywidgets\nfrom stage_99 import ANSWER\nWHERE = openai.__file__") \
            == {"ok": True}
        learner = Learner(session)
        assert "site-packages" in learner["WHERE"].value and learner["ANSWER"].value == 42

"""The grading session's own promises, tried on a real sandboxed worker (no notebook needed)."""

from __future__ import annotations

from autograder.boundary.remote import Learner
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

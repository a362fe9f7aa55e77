"""Tests' processes asked for while the test before runs (autograder.boundary.forks), on a real sandboxed worker."""

from __future__ import annotations

from typing import Any

from autograder.boundary.remote import Learner
from autograder.boundary.session import LearnerSession

_ZOMBIES = '''
import os

def zombies():
    """Processes of this sandbox that ended and were never reaped."""
    found = 0
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                found += stat.read().rsplit(")", 1)[1].split()[0] == "Z"
        except (OSError, IndexError):
            pass
    return found

seen = []
'''


def test_each_test_gets_a_fork_asked_for_ahead_of_the_cells_as_they_are_and_nothing_of_another_test() -> None:
    with LearnerSession() as session:
        assert session.run_cell(_ZOMBIES) == {"ok": True}
        asked: list[Any] = []
        exchange = session._exchange
        session._exchange = lambda message, *a, **k: asked.append(message.get("op")) or exchange(message, *a, **k)
        for n in range(6):
            with session.fork() as test:
                learner = Learner(test)
                assert learner["seen"].value == [], "a test's process kept what another test did"
                learner["seen"].append(n)
                assert learner["zombies"]().value <= 1, "ended tests' processes are never reaped"
        assert asked.count("fork") == 1, "each test waited for its own fork instead of the one asked for ahead"
        assert session.run_cell("late = True") == {"ok": True}
        with session.fork() as test:  # one asked for before that cell would not have it
            assert Learner(test)["late"].value is True

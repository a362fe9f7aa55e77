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
        asked: list[Any] = []  # what the worker is asked for its forks, in order
        send = session._send
        session._send = lambda message, *a, **k: asked.append(message.get("op")) or send(message, *a, **k)
        for n in range(6):
            with session.fork() as test:
                learner = Learner(test)
                assert learner["seen"].value == [], "a test's process kept what another test did"
                learner["seen"].append(n)
                assert learner["zombies"]().value <= 1, "ended tests' processes are never reaped"
        asked = [op for op in asked if op in ("fork", "end")]
        assert asked[:3] == ["fork", "fork", "end"] and asked.count("fork") == 7, \
            f"each test's process was not asked for while the test before it ran: {asked}"
        assert session.run_cell("late = True") == {"ok": True}
        with session.fork() as test:  # one asked for before that cell would not have it
            assert Learner(test)["late"].value is True

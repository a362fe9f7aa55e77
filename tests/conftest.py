"""Test-wide guarantees: no real model calls, no network beyond loopback, the same draws every run.

Hidden tests draw their inputs from the grading seed (autograder.hidden); here it is fixed, so a
test run is reproducible; tests/test_grading_special_cases.py grades under several seeds on purpose.
"""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest

os.environ["COURSE_OFFLINE"] = "1"
os.environ["COURSE_GRADING_SEED"] = "20261207"
for _name in ("COURSE_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
    os.environ.pop(_name, None)

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        host = address[0]
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise OSError(f"Tests may only connect to loopback, not {host!r}.")
    _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> None:
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def released_toy(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The toy course (tests/toy_course.py), built and released once per module."""
    from toy_course import build_toy_course

    from autograder.authoring.release import release_all

    root = build_toy_course(tmp_path_factory.mktemp("toy"))
    release_all(root)
    return root


@pytest.fixture
def toy(released_toy, tmp_path):  # type: ignore[no-untyped-def]
    """A course of its own for one test: a copy of the released toy course, with no var/ (no gradebook yet).

    A module that defines its own `toy` uses that one instead."""
    import shutil

    root = tmp_path / "course"
    shutil.copytree(released_toy, root, ignore=shutil.ignore_patterns("var"))
    return root

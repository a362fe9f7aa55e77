"""The limits a worker starts under (autograder.boundary.rlimits), as the worker itself sees them: set by a command
in front of the sandbox where the machine has `prlimit`, by a preexec_fn where it has not, the same either way."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.boundary import rlimits
from autograder.boundary.cgroups import PidsCgroup
from autograder.boundary.remote import Learner
from autograder.boundary.sandbox import Limits
from autograder.boundary.session import LearnerSession

_LIMITS = Limits(memory_mb=2048, cpu_seconds=123, file_mb=7, processes=21)
_READ = ("import resource\nLIMITS = {name: list(resource.getrlimit(getattr(resource, 'RLIMIT_' + name)))\n"
         "          for name in ('AS', 'CPU', 'FSIZE', 'CORE', 'NPROC')}")
_MB = 1024 * 1024


@pytest.fixture(params=["prlimit", "preexec_fn"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "prlimit" and rlimits._tools() is None:
        pytest.skip("this machine has no prlimit")
    if request.param == "preexec_fn":
        monkeypatch.setattr(rlimits, "_tools", lambda: None)
    return str(request.param)


def _limits_inside(session: LearnerSession) -> dict[str, list[int]]:
    assert session.run_cell(_READ) == {"ok": True}
    seen: dict[str, list[int]] = Learner(session)["LIMITS"].value
    return seen


def _assert_rlimits(seen: dict[str, list[int]]) -> None:
    assert seen["AS"] == [2048 * _MB] * 2
    assert seen["CPU"] == [123, 123]
    assert seen["FSIZE"] == [7 * _MB] * 2
    assert seen["CORE"] == [0, 0]


def test_the_worker_runs_with_its_rlimits_in_its_pids_cgroup(way: str) -> None:
    with LearnerSession(limits=_LIMITS) as session:
        _assert_rlimits(_limits_inside(session))
        if session._cgroup is not None:  # the process that became the sandbox joined the cgroup before it ran
            assert session._process is not None and session._process.pid in session._cgroup.pids()
            assert (session._cgroup.path / "pids.max").read_text().strip() == "21"


def _assert_processes_capped(session: LearnerSession, seen: dict[str, list[int]]) -> None:
    """RLIMIT_NPROC is the worker's 21 on top of what its user ran when it started (the machine's own limit is far
    above that)."""
    soft, hard = seen["NPROC"]
    running = rlimits._processes_of(os.getuid() if session.uid is None else session.uid) or 0
    assert soft == hard and 21 <= soft <= running + 32, f"the processes are not capped ({soft}, {hard})"


def test_with_no_cgroup_the_processes_are_capped_by_rlimit(way: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PidsCgroup, "create", classmethod(lambda cls, limit, roots=None: None))
    with LearnerSession(limits=_LIMITS) as session:
        seen = _limits_inside(session)
        _assert_processes_capped(session, seen)
    _assert_rlimits(seen)


@pytest.mark.parametrize("refuses", ["at open", "silently"])
def test_a_cgroup_it_cannot_join_falls_back_to_the_rlimit(way: str, refuses: str, monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    if refuses == "at open":
        (tmp_path / "cgroup.procs").mkdir()  # writing a pid into it fails
    else:
        (tmp_path / "cgroup.procs").symlink_to(os.devnull)  # the write is taken, and the pid is not listed after it
    monkeypatch.setattr(PidsCgroup, "create", classmethod(lambda cls, limit, roots=None: cls(tmp_path)))
    with LearnerSession(limits=_LIMITS) as session:
        seen = _limits_inside(session)
        _assert_processes_capped(session, seen)
    _assert_rlimits(seen)


def test_a_cgroup_it_cannot_join_where_processes_cannot_be_counted_still_starts_the_worker(
        way: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "cgroup.procs").mkdir()
    monkeypatch.setattr(PidsCgroup, "create", classmethod(lambda cls, limit, roots=None: cls(tmp_path)))
    monkeypatch.setattr(rlimits, "_processes_of", lambda uid: None)  # no /proc: no RLIMIT_NPROC, as before
    with LearnerSession(limits=_LIMITS) as session:
        _assert_rlimits(_limits_inside(session))


def test_the_command_sets_each_limit_and_ends_where_the_worker_begins() -> None:
    if rlimits._tools() is None:
        pytest.skip("this machine has no prlimit")
    prefix = rlimits.command(_LIMITS, None, None)
    assert prefix is not None and prefix[-1] == "--"
    assert {f"--as={2048 * _MB}", "--cpu=123", f"--fsize={7 * _MB}", "--core=0"} <= set(prefix)

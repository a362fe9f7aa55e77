"""A pids cgroup capping how many processes a worker may run, on cgroup v1 or v2 hosts.

RLIMIT_NPROC alone is not enough: the kernel never applies it to root's processes, and it counts
every process of the worker's user, other workers' included. A cgroup's `pids.max` holds for
everyone and for this worker alone. Where the machine gives the grader no cgroup it may write
(a container, a cgroup v2 host whose subtree is not delegated), `PidsCgroup.create` returns None
and the sandbox falls back to RLIMIT_NPROC on an unprivileged uid (autograder.boundary.rlimits).

Where to make one: cgroup v1's `pids` hierarchy, or, on v2, the cgroup this grader runs in when
its `cgroup.subtree_control` enables `pids` (a delegated subtree: the host's root, or a
`systemd-run --scope -p Delegate=yes` an instructor starts the grader in).
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

__all__ = ["PidsCgroup", "pids_roots"]

_ACTIVE: set[Path] = set()


def pids_roots(mountinfo: str | None = None, own: str | None = None) -> list[Path]:
    """Folders under which this grader may make a pids cgroup, best first (arguments: for tests).

    `mountinfo` is /proc/self/mountinfo's text, `own` /proc/self/cgroup's.
    """
    mountinfo = _read("/proc/self/mountinfo") if mountinfo is None else mountinfo
    own = _read("/proc/self/cgroup") if own is None else own
    roots: list[Path] = []
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, kind = left.split(), right.split()
        if len(fields) < 5 or not kind:
            continue
        point = Path(fields[4])
        options = kind[2].split(",") if len(kind) > 2 else []
        if kind[0] == "cgroup" and "pids" in options:
            roots.append(point)
        elif kind[0] == "cgroup2":
            path = next((entry.split(":", 2)[2] for entry in own.splitlines() if entry.startswith("0::")), None)
            if path is None:
                continue
            here = point / path.lstrip("/")
            if "pids" in _read(str(here / "cgroup.subtree_control")).split():
                roots.append(here)
    return roots


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


class PidsCgroup:
    """One worker's pids cgroup: join it before exec, close it to kill what is left and remove it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, limit: int, roots: list[Path] | None = None) -> PidsCgroup | None:
        for root in pids_roots() if roots is None else roots:
            if not (root / "cgroup.procs").exists():
                continue
            _sweep(root)
            path = root / f"course-worker-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            try:
                path.mkdir()
            except OSError:
                continue
            try:
                (path / "pids.max").write_text(str(limit))
            except OSError:
                _remove(path)
                continue
            _ACTIVE.add(path)
            return cls(path)
        return None

    def join(self) -> None:  # in the child, before exec (rlimits.preexec; the `sh` line joins it otherwise)
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def kill_all(self) -> None:
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def drain(self, seconds: float = 5.0) -> None:
        """Wait (bounded) for the kernel to finish killing a dead worker's PID namespace, then kill what remains."""
        end = time.monotonic() + seconds
        while self.pids() and time.monotonic() < end:
            self.kill_all()
            time.sleep(0.005)

    def close(self) -> None:
        """Kill whatever is left in it and remove it (or leave an emptied one for the next sweep)."""
        _ACTIVE.discard(self.path)
        self.kill_all()
        _remove(self.path)


def _remove(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass  # killed processes not reaped yet: the next sweep removes it


def _sweep(root: Path) -> None:
    """Remove the empty cgroups earlier workers left (a cgroup can only go once its processes are reaped).

    Only those of graders that are gone, or this grader's own that are no longer in use: a grader
    running beside this one may have just made its cgroup and not put its worker in yet.
    """
    for stale in root.glob("course-worker-*"):
        try:
            creator = int(stale.name.split("-")[2])
        except (IndexError, ValueError):
            continue
        if stale in _ACTIVE or (creator != os.getpid() and alive(creator)):
            continue
        try:
            if not (stale / "cgroup.procs").read_text().split():
                stale.rmdir()
        except OSError:
            pass


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

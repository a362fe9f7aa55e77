"""Become an unprivileged user before any learner code runs, when the grader started the worker as root.

A grader running as root (a grading server, CI) starts the sandbox without a user namespace so
that the worker can be a real unprivileged uid on the host: files it writes are not root's, and
RLIMIT_NPROC, which the kernel never applies to root, caps its processes. The grader says which
uid in `COURSE_WORKER_UID`; this module is the first thing `python -m course.worker` runs. It also
sets no_new_privs, so no setuid program the worker finds can make it root again. If any step
fails the worker exits: it never serves the grader as root.
"""

from __future__ import annotations

import ctypes
import os

__all__ = ["drop_privileges"]

_PR_SET_NO_NEW_PRIVS = 38


def drop_privileges() -> None:
    wanted = os.environ.pop("COURSE_WORKER_UID", "")
    if not wanted:
        if os.geteuid() == 0:
            raise SystemExit("the grading worker was started as root without a user to become: refusing to run")
        return
    try:
        uid = int(wanted)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    except (OSError, ValueError) as error:
        raise SystemExit(f"the grading worker could not become uid {wanted}: {error}") from None
    if 0 in os.getresuid() or 0 in os.getresgid() or _effective_capabilities() != 0:
        raise SystemExit("the grading worker is still root or still holds capabilities: refusing to run")


def _effective_capabilities() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            line = next(line for line in status if line.startswith("CapEff:"))
    except (OSError, StopIteration):
        return 0  # no /proc (not Linux): nothing to check
    return int(line.split()[1], 16)

"""The worker's folder on the host: a tmpfs of its own size that follows no symlink, where root may mount one.

Why a mount of its own:
  - RLIMIT_FSIZE caps one file; a filesystem of `disk_mb` caps them all, so a submission cannot
    fill the grading machine's disk with many files just under the limit.
  - The grader opens files in this folder (the shop database it shares with the worker, and the
    journal SQLite makes beside it). Mounted `nosymfollow`, the kernel refuses to follow any
    symlink here, so a link the worker planted (`shop.db-journal -> the gradebook`) is an error
    for the grader, never a write through it. `nodev`, `nosuid` and `noexec` as well.
Where the grader may not mount (not root: a learner's `course check`, most laptops), the folder is
a plain directory and `WorkerFolder.capped` is False; the verdict says so (autograder.boundary.sandbox).

Folders of a grader that died are unmounted by the next grader on the machine (`make`).
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.boundary.cgroups import alive

__all__ = ["WorkerFolder", "can_cap", "make"]

_PREFIX = "course-grading-"
_LIVE: set[Path] = set()  # this process's open worker folders
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_NOSYMFOLLOW = 2, 4, 8, 256
_MNT_DETACH = 2
_ST_NOSYMFOLLOW = getattr(os, "ST_NOSYMFOLLOW", 0x2000)


@dataclass
class WorkerFolder:
    path: Path      # the folder the worker works in (bound at autograder.boundary.sandbox.INSIDE in the sandbox)
    capped: bool    # a sized tmpfs that follows no symlink (else a plain directory)

    def close(self) -> None:
        _LIVE.discard(self.path)
        if self.capped:
            _umount(self.path)
        shutil.rmtree(self.path.parent, ignore_errors=True)


def make(disk_mb: int) -> WorkerFolder:
    """A new worker folder: a tmpfs of `disk_mb` MB where this process may mount one, else a plain directory."""
    _sweep()
    top = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=_outside_workers()))
    path = top / "work"
    path.mkdir()
    capped = _mount(path, disk_mb)
    if capped and not os.statvfs(path).f_flag & _ST_NOSYMFOLLOW:  # a kernel before 5.10 ignores the flag
        _umount(path)
        capped = False
    if not capped:
        path.chmod(0o1777)  # the worker runs as another user where the sandbox allows it; sticky: it keeps ours
    _LIVE.add(path)
    return WorkerFolder(path, capped)


def _outside_workers() -> str:
    """The temporary folder, or where it was before a session sent temporary files into its worker's folder
    (autograder.boundary.session): a worker folder made while another is open is never inside it, to go with it."""
    base = Path(tempfile.gettempdir())
    for live in list(_LIVE):
        if base == live or live in base.parents:
            return str(live.parent.parent)
    return str(base)


@functools.lru_cache(maxsize=1)
def can_cap() -> bool:
    """Whether worker folders here get a size cap and no symlinks (for `course doctor` and the verdicts)."""
    folder = make(1)
    try:
        return folder.capped
    finally:
        folder.close()


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _mount(path: Path, disk_mb: int) -> bool:
    libc = _libc()
    if libc is None or not hasattr(libc, "mount"):
        return False
    flags = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC | _MS_NOSYMFOLLOW
    options = f"size={disk_mb}m,mode=1777".encode()
    return int(libc.mount(b"tmpfs", os.fsencode(path), b"tmpfs", flags, options)) == 0


def _umount(path: Path) -> None:
    libc = _libc()
    if libc is not None and hasattr(libc, "umount2"):
        libc.umount2(os.fsencode(path), _MNT_DETACH)


def _sweep() -> None:
    """Unmount and remove the folders of graders that are gone (a grader killed with SIGKILL leaves its mount)."""
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return
    for line in lines:
        fields = line.split()
        point = Path(fields[4]) if len(fields) > 4 else None
        if point is None or point.name != "work" or not point.parent.name.startswith(_PREFIX):
            continue
        try:
            creator = int(point.parent.name[len(_PREFIX):].split("-")[0])
        except ValueError:
            continue
        if creator != os.getpid() and not alive(creator):
            _umount(point)
            shutil.rmtree(point.parent, ignore_errors=True)

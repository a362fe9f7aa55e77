"""Grade many submissions at once: jobs in parallel processes (or a Dask cluster), one writer.

    run_batch(root, jobs, workers=2, record=writer)        # or scheduler="tcp://10.0.0.5:8786"

Each `Job` carries everything grading needs as bytes (the lesson's source notebook, its release
files, the submission), so it runs the same in a local process pool and on a Dask worker on
another machine: `grade_job` writes them to a temporary folder and calls the trusted engine
(autograder.grade.engine.grade_submission: the learner's code in a sandboxed worker, the hidden tests
in the job's process). What comes back is an `Outcome` (the engine's plain `Graded`, or the reason
the job failed). Only this process writes: `record` is called here, for one outcome at a time,
as they complete, so the gradebook never has two writers. `--jobs 1` grades in this process.

The journal (var/grading/journal.jsonl, one line per recorded submission, flushed and synced)
makes a batch resumable: a submission whose journal line has the same digest (its bytes, the
lesson source, the hidden tests and the release files) is not graded again unless forced.
"""

from __future__ import annotations

import concurrent.futures as futures
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from autograder.grade.engine import Graded
from course.grading.layout import is_working_file

__all__ = ["Job", "Journal", "Outcome", "default_workers", "digest", "grade_job", "progress_bar", "release_files",
           "run_batch"]

_FOLDERS: dict[str, Path] = {}  # per process: release files already written, by their digest


@dataclass(frozen=True)
class Job:
    student: str
    slug: str
    lesson: int
    digest: str
    source: str                             # the lesson's source notebook (JSON text)
    files: tuple[tuple[str, bytes], ...]    # the lesson's release files, relative path -> bytes
    submission: bytes | None                # None: there was no notebook
    files_digest: str = ""
    seed: int | None = None                 # the hidden tests' draws (None: a new seed, or COURSE_GRADING_SEED)
    one_core: bool = True                   # its tests share the grader's core (False: jobs run side by side)


@dataclass(frozen=True)
class Outcome:
    student: str
    slug: str
    digest: str
    graded: Graded | None = None
    error: str = ""  # why no verdict could be given (the job itself failed)

    @property
    def failed(self) -> bool:
        return self.graded is None or all(r.status == "not-run" for r in self.graded.results)

    @property
    def reason(self) -> str:
        if self.graded is None:
            return self.error
        return "; ".join(self.graded.notes)


def digest(*parts: bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(hashlib.sha256(part).digest())
    return hasher.hexdigest()[:32]


def _release_folder(job: Job) -> Path:
    folder = _FOLDERS.get(job.files_digest)
    if folder is None or not folder.is_dir():
        folder = Path(tempfile.mkdtemp(prefix=f"release-{job.slug}-"))
        for name, data in job.files:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        _FOLDERS[job.files_digest] = folder
    return folder


def grade_job(job: Job) -> Outcome:
    """Grade one submission (in a pool process, on a Dask worker, or here with one job)."""
    import nbformat

    from autograder.grade.engine import grade_submission

    try:
        source = nbformat.reads(job.source, as_version=4)
        with tempfile.TemporaryDirectory(prefix="submission-") as scratch:
            path = Path(scratch) / f"{job.slug}.ipynb"
            if job.submission is not None:
                path.write_bytes(job.submission)
            graded = grade_submission(source, path, files=_release_folder(job), lesson=job.lesson, seed=job.seed,
                                      ahead=True, one_core=job.one_core)  # ahead: the next job's worker
        return Outcome(job.student, job.slug, job.digest, graded)
    except Exception as error:
        return Outcome(job.student, job.slug, job.digest, error=f"the grader failed on it ({type(error).__name__}: "
                       f"{str(error)[:200]})")


class Journal:
    """What has been recorded: (student, lesson) -> digest; one JSON line appended per recorded submission."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: dict[tuple[str, str], str] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                    self.done[(entry["student"], entry["lesson"])] = entry["digest"]
                except (ValueError, KeyError, TypeError):
                    continue  # the last line of a run killed while writing it
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole batch, closed by close()

    def add(self, outcome: Outcome) -> None:
        self.done[(outcome.student, outcome.slug)] = outcome.digest
        entry = {"student": outcome.student, "lesson": outcome.slug, "digest": outcome.digest}
        self._handle.write(json.dumps(entry) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


def _executor(workers: int, scheduler: Any) -> tuple[futures.Executor | None, Callable[[], None]]:
    if scheduler is not None:
        from distributed import Client

        client = Client(scheduler)  # type: ignore[no-untyped-call]
        return client.get_executor(pure=False), client.close  # type: ignore[no-untyped-call]
    if workers <= 1:
        return None, lambda: None
    pool = futures.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_ignore_interrupts)
    return pool, lambda: pool.shutdown(cancel_futures=True)


def _ignore_interrupts() -> None:
    """In a grading process: Ctrl-C is for the run (which stops and says so), never half a verdict here."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_batch(jobs: Iterable[Job], *, record: Callable[[Outcome], None], workers: int = 1,
              scheduler: Any = None) -> None:
    """Grade `jobs` and call `record(outcome)` here, one at a time, as each completes (in no set order)."""
    from autograder.boundary import warm

    jobs = list(jobs)
    executor, close = _executor(workers, scheduler)
    try:
        if executor is None:
            for job in jobs:
                record(grade_job(job))
            return
        pending = {executor.submit(grade_job, replace(job, one_core=False)): job for job in jobs}
        for future in futures.as_completed(pending):
            job = pending[future]
            try:
                outcome = future.result()
            except Exception as error:
                outcome = Outcome(job.student, job.slug, job.digest,
                                  error=f"its grading process died ({type(error).__name__})")
            record(outcome)
    finally:
        close()
        warm.discard()  # the worker started here for a job after the last


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def release_files(folder: Path) -> tuple[tuple[str, bytes], ...]:
    return tuple((p.relative_to(folder).as_posix(), p.read_bytes()) for p in sorted(folder.rglob("*"))
                 if p.is_file() and not is_working_file(p.relative_to(folder)))


def clear_folders() -> None:  # pragma: no cover - tidy-up for long-lived processes
    for folder in _FOLDERS.values():
        shutil.rmtree(folder, ignore_errors=True)
    _FOLDERS.clear()


if sys.platform != "win32":  # release folders of this process go when it ends
    import atexit

    atexit.register(clear_folders)


def progress_bar(total: int, progress: bool, resumed: int):  # type: ignore[no-untyped-def]
    """A tqdm bar on stderr for `total` jobs (None without `progress`), saying first what is kept from before."""
    if not progress:
        return None
    from tqdm import tqdm

    if resumed:
        print(f"resuming: {resumed} submission(s) already graded with the same content are kept (--force re-grades "
              "them)", file=sys.stderr)
    return tqdm(total=total, unit="nb", desc="grading", file=sys.stderr, dynamic_ncols=True,
                postfix=f"graded 0 · failed 0 · left {total}")

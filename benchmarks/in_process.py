"""A lesson's own work with no boundary: its solution's cells, then its hidden tests, in one process.

    python -m benchmarks.in_process 3       # lesson 03: seconds, median of 3

What grading a notebook cannot go below on any path: the learner's code as the cells run it, and as
the hidden tests run it (their requests answered in the same process, as plain nbgrader answers them
in the learner's kernel), with no kernel, no sandbox, no worker and no gradebook. The visible checks
are left out, as grading leaves them out. Each run is a new interpreter (a lesson's stage modules are
imported by name), started in a copy of the lesson's folder, on /dev/shm where the machine has it (a
grading worker's folder is a tmpfs too); the clock starts after the imports a worker makes before its
hello (openai, IPython, the course's model and shop), so the figure compares with a worker started ahead.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course.grading.layout import REPO_ROOT

__all__ = ["seconds"]


def seconds(lesson: int, repeat: int = 3) -> float:
    """The median time of the solution's cells and hidden tests of `lesson`, in one new process per run."""
    runs = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-m", "benchmarks.in_process", "--child", str(lesson)], cwd=REPO_ROOT,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"lesson {lesson} did not run in one process: {done.stderr[-2000:]}")
        runs.append(float(done.stdout.split()[-1]))
    return statistics.median(runs)


def _child(number: int) -> float:
    import nbformat
    import openai  # noqa: F401 - imported by every worker before its hello

    from autograder.boundary import warmup
    from autograder.boundary.in_kernel import LocalSession
    from autograder.boundary.remote import Learner
    from autograder.grade.engine import hidden_tests
    from autograder.grade.plan import plan, read_submission
    from autograder.hidden import grading_seed
    from course.grading.layout import find_lesson
    from course.worker.serve import Worker

    lesson = find_lesson(number)
    if warmup.shows_widgets(lesson.release_dir):  # and the widgets, by a worker for a lesson that shows them
        import course.widgets  # noqa: F401
    source = nbformat.read(str(lesson.source), as_version=4)
    cells, _ = read_submission(lesson.source)
    steps, _ = plan(source, cells or [], checks=False)
    registry = hidden_tests(number)
    folder = Path(tempfile.mkdtemp(dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    for item in lesson.release_dir.iterdir():
        if item.is_file() and item.suffix != ".ipynb":
            shutil.copy(item, folder / item.name)
    os.chdir(folder)
    sys.path.insert(0, str(folder))
    tempfile.tempdir = str(folder)
    worker = Worker(None)
    learner, seed = Learner(LocalSession(worker.namespace)), grading_seed()
    start = time.perf_counter()
    for step in steps:
        if step.kind == "code":
            worker.answer({"op": "run_cell", "source": step.source})
        else:
            registry.run(step.grade_id, learner, seed)
    took = time.perf_counter() - start
    os.chdir(REPO_ROOT)
    shutil.rmtree(folder, ignore_errors=True)
    return took


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(_child(int(sys.argv[2])))
    else:
        print(f"{seconds(int(sys.argv[1])):.2f} s")

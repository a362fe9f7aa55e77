"""Submission -> sandboxed worker: the trust boundary, and the one place the grader reads the worker.

  sandbox.py    how the worker starts: bubblewrap, its limits, who it runs as (`Limits`, `detect`)
  seccomp.py    the filter that keeps a root grader's worker from making user namespaces
  rlimits.py    its rlimits and pids cgroup, taken before the sandbox runs (prlimit, or a preexec_fn)
  cgroups.py    its pids cgroup, on cgroup v1 or a delegated v2 subtree
  folder.py     its folder: a sized tmpfs that follows no symlink, where the grader may mount one
  link.py       one channel to one worker process: requests, deadlines, the worker's own questions
  arguments.py  what the grader sends the worker as an argument (plain JSON, tagged)
  session.py    the notebook's worker (cells, crashes, replays) and the restarts a test asks for
  forked.py     each test's own process: a fork of that worker
  forks.py      those forks, each asked for while the test before it runs
  warm.py       the next submission's worker, started while this one is graded (a cohort)
  warmup.py     what a worker imports before its hello, for its lesson (the widgets only where it shows them)
  cores.py      a test on one core: the grading thread and the test's processes take turns
  in_kernel.py  plain nbgrader's session: the same requests answered in the learner's kernel (trusted)
  remote.py     what a hidden test holds of learner code: `Remote` handles, plain data, `Learner`
  shared_shop.py  the shop database shared with the worker: rows are data, the schema stays the grader's
  outcomes.py   what a learner call can end in: `LearnerError`, `raised`, `NO_VALUE`

The rule: data from the worker is data. Nothing a worker's answer names is ever imported,
resolved or called on this side. Frames are parsed as JSON only, with a size and a depth limit
(course.worker.channel), in link.py; answers are read in remote.py, where a description is names
and plain JSON the tests judge, never an object to use. A callback number picks one of the
grader's own registered functions or none; a model request is a JSON body the grader's own fake
parses, answered only while a test's call is in progress; a call's shop faults travel out by name
from a fixed table (course.worker.faults) and come back as counts only (course.shop.FaultPlan.consume);
a forked test process comes back as a socket the grader made itself. The grader never executes
notebook code outside the sandbox, and the only files of the worker's folder it opens are the
verdict's own data (the shop database it shared), on a mount that follows no symlink.
"""

__all__: list[str] = []

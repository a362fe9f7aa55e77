"""The grader: everything that decides a score, and the tools that release and grade lessons.

Never part of what a learner receives (the student edition is `course/` without this package),
and nothing under `course/` imports it: the `course` command finds it through an entry point
(course.grading.plugins). Its parts:

  trusted grading (learner code in a sandboxed worker, verdicts here; see README "For instructors")
    engine.py       grade one submission: which cells run, where each hidden test runs, the notes
    session.py      the worker process as the grader drives it: requests, deadlines, crashes, replays
    sandbox.py      how the worker is started: bubblewrap, limits, who it runs as
    cgroups.py, folder.py   its pids cgroup (v1 or v2); its folder (a sized tmpfs, no symlinks)
    remote.py       what a hidden test holds of learner code: Remote handles and plain data
    gradebook.py    verdicts into nbgrader's gradebook (its API) and the autograded notebook
    hidden/nbNN.py  the hidden tests of lesson NN
    trusted.py, check.py   one submission into a course's gradebook; `course check`

  nbgrader and the course tree
    config.py, nbgrader_config.py, nbgrader_run.py, preprocessors.py, results.py
    authoring.py    build a solution notebook; `lint` one edited by hand
    export.py, reference.py   the reference agent of each stage (stages/, generated), `reference.load(n)`
    release.py, leaks.py, edition.py   releases, what must never reach a learner, the student edition
    scratch.py, variants.py   grade in a throwaway course; score wrong answers

  a class at once (`course autograde DIR|ZIP --jobs N [--scheduler ADDRESS]`)
    cohort.py       the run: input, lessons, jobs, the one gradebook writer, feedback, outputs
    intake.py       nbgrader's layout or an LMS zip (nbgrader's zip_collect), bad input in one line
    batch.py        jobs in a process pool or on a Dask cluster; the journal that makes a run resumable
    report.py       var/grades.csv and the class report (var/report.html, matplotlib charts)
    cli.py          the instructor's `course` subcommands (the entry point)

The rule at the trust boundary: data from the worker is data. Nothing a worker's answer names is
ever imported, resolved or called here: a description (`Remote`) is names and plain JSON judged by
the tests, a callback number picks one of the grader's own registered functions or none, a model
request is a JSON body the grader's fake parses, and a call's shop faults come back as counts only
(course.shop.FaultPlan.consume), their kinds travelling out by name from a fixed table
(course.worker.faults). Frames have a size and a depth limit (course.worker.channel). The
grader never executes notebook code outside the sandbox, and the only files of the worker's folder
it opens are the verdict's own data (the shop database it shared), on a mount that follows no
symlink (autograder.folder).

Importing this package must stay cheap and silent (no nbgrader, no SQLAlchemy).
"""

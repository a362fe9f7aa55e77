"""The grader: everything that decides a score, and the tools that release and grade lessons.

Never part of what a learner receives (the student edition is `course/` without this package),
and nothing under `course/` imports it: the `course` command finds it through an entry point
(course.grading.plugins). Its folders are its pipeline, in the order a submission meets them:

  boundary/    submission -> sandboxed worker: how the worker starts and is limited, the channel to
               it, what a hidden test holds of learner code (Remote handles, plain data)
  grade/       worker -> verdict: which cells run, where each hidden test runs, the notes; one
               submission into a course's gradebook; `course check`; wrong answers scored
  hidden/      the hidden tests of each lesson, one module per lesson (nbNN.py)
  gradebook/   verdict -> gradebook: nbgrader's gradebook through its API, the autograded notebook,
               its configuration and runners
  cohort/      gradebook -> class: `course autograde DIR|ZIP --jobs N`, intake, jobs, the report
  authoring/   lesson -> release: solution notebooks, stages, releases, the student edition
  cli.py       the instructor's `course` subcommands (the entry point)
  nbgrader_config.py   nbgrader's configuration file (nbgrader reads it from this folder)

The rule at the trust boundary, data from the worker is data, is stated in autograder.boundary.

Importing this package must stay cheap and silent (no nbgrader, no SQLAlchemy).
"""

"""Verdict -> gradebook: nbgrader's gradebook is where scores live, written through nbgrader's own API.

  verdicts.py       scores, comments and the autograded notebook (learner text as data, never markup)
  kept.py           a gradebook file opened once per process (its engine, its compiled statements kept)
  results.py        what a gradebook holds for a submission, read back
  deadlines.py      due dates, extensions and the late policy, into nbgrader's late penalty fields
  preprocessors.py  the nbgrader preprocessors plain `nbgrader autograde` runs with; the feedback page's names
  templates/        nbgrader's feedback page, extended: each test by what it checks, with its message
  config.py         the course's nbgrader settings, shared by nbgrader_config.py and the runners
  nbgrader_run.py   nbgrader's apps run in-process (generate_assignment, autograde, feedback)
"""

__all__: list[str] = []

"""Worker -> verdict: grade one submission on the trusted path.

  engine.py     which cells run, where each hidden test runs (a fork of the notebook's worker), the notes
  trusted.py    one submission into a course's gradebook (`course autograde` for one learner)
  check.py      `course check NOTEBOOK`, where the grader is installed
  scratch.py    grade in a throwaway copy of the course (tests, benchmarks)
  variants.py   score wrong-but-plausible answers, exercise by exercise
"""

__all__: list[str] = []

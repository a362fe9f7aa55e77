"""Worker -> verdict: grade one submission on the trusted path.

  plan.py       which cells run: the submission read as data, the steps the lesson's source makes of it
  engine.py     where each runs (cells in the worker, each hidden test in a fork of it), the verdict, the notes
  trusted.py    one submission into a course's gradebook (`course autograde` for one learner)
  check.py      `course check NOTEBOOK`, where the grader is installed
  scratch.py    grade in a throwaway copy of the course (tests, benchmarks)
  variants.py   score wrong-but-plausible answers, exercise by exercise
"""

__all__: list[str] = []

"""Lesson -> release: the tools that write lessons and everything a learner receives.

  notebook.py   build a solution notebook (`NotebookBuilder`); `lint` one edited by hand
  export.py     the reference agent of each stage (stages/, generated from the solutions)
  reference.py  load a stage's reference agent (`reference.load(n)`)
  release.py    releases with nbgrader, slide types written first
  leaks.py      what must never reach a learner, and the scan that proves it
  edition.py    the student edition (`make student-edition`)
"""

__all__: list[str] = []

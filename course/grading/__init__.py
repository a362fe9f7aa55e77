"""`course.grading`: checks in the notebook, and the machinery that releases and grades notebooks.

Learner side (imported inside notebooks; stdlib only, never imports nbgrader):
    `check("1.1")`, `visible(...)`            course.grading.visible

Instructor side (import nbgrader lazily; run from the repository):
    course.grading.authoring    build a solution notebook from Python; `lint` a hand-edited one
    tests/toy_course.py         a complete toy course built with it (used by the grading tests)
    course.grading.export       `course export`: stage modules from cells tagged `export`
    course.grading.stages       `load(n)`: import the reference agent of stage n
    course.grading.release      `course release`: export, then nbgrader generate_assignment per lesson; `drift`
    course.grading.local        `course check NOTEBOOK`: grade one notebook on the learner's machine
    course.grading.cohort       `course autograde [DIR]`: grade a cohort, sanitised feedback, grades.csv
    course.grading.edition      `course student-edition DIR`: what an instructor hands a cohort
    course.grading.leaks        what must never reach a learner (solutions, hidden tests)
    course.grading.scratch      release and autograde one lesson in a throwaway course
    course.grading.variants     score many wrong answers in one kernel
    course.grading.nbgrader_run / results / preprocessors / config: nbgrader in-process, grades, settings
    course.grading.cli          `register(subparsers)`: the subcommands above

Authoring a lesson, in short (details in course.grading.authoring):
    solutions/NN-slug/NN-slug.ipynb has, per exercise: a solution cell (nbgrader "autograded answer"
    with a solution region; tag `export` if it is part of the agent), a "you should see" cell,
    `check("N.k")`, and a graded test cell (nbgrader "autograder tests", points) whose hidden-test
    region calls `hidden("grade_id", globals())`. Build it with course.grading.authoring.
    Visible checks go in course/checks/nbNN.py, hidden tests in autograder/hidden/nbNN.py.
    Then `course release` and commit solutions/, notebooks/ and autograder/stages/.
"""

from .visible import CheckResult, check, visible

__all__ = ["CheckResult", "check", "visible"]

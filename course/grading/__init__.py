"""`course.grading`: the learner's side of grading. Imported inside notebooks; never imports the grader.

    check("1.1"), visible(...)        course.grading.visible   visible checks, worth 0 points
    with needs("6.1"): ...            course.grading.demo      a given cell that says which exercise it needs
    course check NOTEBOOK             course.grading.local     trusted grading where the grader is
                                                               installed, visible checks alone otherwise
    lessons(), find_lesson()          course.grading.layout    where lessons live in a course tree
    grader()                          course.grading.plugins   the grader, found by entry point
    course.grading.cli                `check`, and the seam where the grader adds its commands

The grader itself (hidden tests, the trusted engine and its sandbox, releases, cohorts, the
student edition) lives in autograder/, which the student edition does not ship; the code a
learner's notebook runs in while it is graded is course.worker.

Authoring a lesson, in short (details in autograder.authoring.notebook): solutions/NN-slug/NN-slug.ipynb has,
per exercise, a solution cell, a "you should see" cell, `check("N.k")` and graded test cells whose
hidden-test region calls `hidden("grade_id", globals())`. Visible checks go in course/checks/nbNN.py,
hidden tests in autograder/hidden/nbNN.py. Then `course release`, and commit solutions/, notebooks/
and stages/.
"""

from .demo import needs
from .visible import CheckResult, check, visible

__all__ = ["CheckResult", "check", "needs", "visible"]

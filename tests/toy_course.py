'''A worked example: a two-lesson toy course, built with the authoring helper.

The grading tests build it in a temporary directory (`build_toy_course(tmp_path)`); notebook
authors can read it as the smallest complete lesson:

    solutions/00-toy/00-toy.ipynb      two exercises (add, shout), export cells, visible checks
                                       (toy_checks.py beside it) and hidden tests
                                       (autograder/hidden/nb00.py, shipped with the package)
    solutions/01-next/01-next.ipynb    starts from the previous stage: `from stage_00 import *`

Real lessons keep their visible checks in course/checks/nbNN.py instead of a file beside the
notebook; the toy keeps them beside it to show that nbgrader copies such files into the release.
'''

from __future__ import annotations

from pathlib import Path

from autograder.authoring.notebook import NotebookBuilder

__all__ = ["ADD_SOLUTION", "SHOUT_SOLUTION", "TOY_CHECKS", "build_toy_course"]

TOY_CHECKS = '''"""Visible checks of the toy lesson (a real lesson keeps them in course/checks/nbNN.py)."""

from course.grading import visible


@visible("0.1", hint="add(a, b) returns the sum of its two arguments.")
def adds_two_small_numbers(add):
    got = add(2, 3)
    assert got == 5, f"add(2, 3) returned {got!r}"


@visible("0.2", hint="Upper-case the whole text, then end it with one '!'.")
def shouts_a_word(shout):
    got = shout("hi")
    assert isinstance(got, str), f"shout('hi') returned a {type(got).__name__}, not a str"
    assert got.isupper(), f"shout('hi') returned {got!r}: not all upper case"
'''

ADD_SOLUTION = '''
def add(a, b):
    """Return the sum of a and b."""
    ### BEGIN SOLUTION
    total = a + b
    return total
    ### END SOLUTION
'''

SHOUT_SOLUTION = '''
def shout(text: str) -> str:
    """Return text in upper case, ending with '!'."""
    ### BEGIN SOLUTION
    loud = text.upper()
    return loud + "!"
    ### END SOLUTION
'''


def build_toy_course(root: Path | str) -> Path:
    """Write the toy course's sources under `root` (solutions/ only; run export/release next)."""
    root = Path(root)
    nb = NotebookBuilder(lesson=0, slug="00-toy")
    nb.markdown("# 00 · A toy lesson\n\nTwo tiny exercises that exercise the grading machinery.")
    nb.setup("from course.grading import check\nimport toy_checks  # noqa: F401")
    nb.export('GREETING = "hello"')
    nb.markdown("## Exercise 0.1 (1 point)\n\nWrite `add(a, b)`.")
    nb.solution("add", ADD_SOLUTION, export=True)
    nb.code("add(2, 3)  # you should see 5")
    nb.check("0.1")
    nb.hidden_test("add_adds", points=1, doc="Check that add returns the sum of its arguments.")
    nb.markdown("## Exercise 0.2 (2 points)\n\nWrite `shout(text)`.")
    nb.solution("shout", SHOUT_SOLUTION, export=True)
    nb.code('shout("refund")  # you should see REFUND!')
    nb.check("0.2")
    nb.hidden_test("shout_shouts", points=2, doc="Check that shout upper-cases the text and ends it with '!'.")
    nb.markdown("## Summary\n\nThe toy agent can add and shout.")
    nb.write(root=root)
    (root / "solutions" / "00-toy" / "toy_checks.py").write_text(TOY_CHECKS, encoding="utf-8")

    nxt = NotebookBuilder(lesson=1, slug="01-next")
    nxt.markdown("# 01 · The next toy lesson\n\nIt starts from the agent lesson 00 left.")
    nxt.setup("from stage_00 import *  # noqa: F403")
    nxt.code("add(1, 2), GREETING")
    nxt.solution("add3", '''
        def add3(a, b, c):
            """Return a + b + c, using add."""
            ### BEGIN SOLUTION
            return add(add(a, b), c)  # noqa: F405
            ### END SOLUTION
        ''', export=True)
    nxt.write(root=root)
    return root

"""Hidden tests of the toy lesson 00 (tests/test_grading_*.py): a model for autograder/hidden/nbNN.py."""

from autograder.hidden import HiddenTests

hidden = HiddenTests("00")


@hidden.test("add_adds")
def _(add):
    for a, b in [(2, 3), (-7, 7), (0.5, 0.25)]:  # toy-hidden-secret: this line must never reach feedback
        got = add(a, b)
        assert got == a + b, f"add({a}, {b}) returned {got!r}, which is not their sum"


@hidden.test("shout_shouts")
def _(shout):
    for text in ["hi", "Refund please"]:
        got = shout(text)
        assert isinstance(got, str), f"shout({text!r}) should return a str, got {type(got).__name__}"
        assert got == got.upper(), f"shout({text!r}) returned {got!r}: some letters are still lower case"
        assert got.endswith("!"), f"shout({text!r}) returned {got!r}: it should end with '!'"

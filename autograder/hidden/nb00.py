"""Hidden tests of the toy lesson 00 (tests/test_grading_*.py): a model for autograder/hidden/nbNN.py."""

from autograder.hidden import HiddenTests

hidden = HiddenTests("00")


@hidden.test("add_adds")
def _(add):
    for a, b in [(2, 3), (-7, 7), (0.5, 0.25)]:  # toy-hidden-secret: this line must never reach feedback
        got = add(a, b)
        assert got.value == a + b and got.isa("int" if isinstance(a + b, int) else "float"), (
            f"add({a}, {b}) returned {got}, which is not their sum")


@hidden.test("shout_shouts")
def _(shout):
    for text in ["hi", "Refund please"]:
        got = shout(text)
        assert got.isa("str"), f"shout({text!r}) should return a str, got {got.type}"
        assert got.value == got.value.upper(), f"shout({text!r}) returned {got}: some letters are still lower case"
        assert got.value.endswith("!"), f"shout({text!r}) returned {got}: it should end with '!'"

__all__ = ["hidden"]

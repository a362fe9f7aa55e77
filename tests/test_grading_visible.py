"""The learner-facing APIs: `check()` with `@visible` cases, and `HiddenTests` behind graded cells.

PYTEST_DONT_REWRITE: the cases below must raise plain AssertionErrors, as they do in a notebook.
"""

from __future__ import annotations

import pytest

from autograder.hidden import HiddenTests
from course.grading import CheckResult, check, visible
from course.grading.visible import exercises, run_exercise

SECRET = "the-visible-check-source-must-not-show"


@visible("98.1", hint="Return the sum.")
def adds(add):
    got = add(2, 3)
    assert got == 5, f"add(2, 3) returned {got!r}"


@visible("98.1")
def adds_negatives(add):
    assert add(-1, 1) == 0, "add(-1, 1) should be 0"  # the-visible-check-source-must-not-show


@visible("98.2", hint="Look the name up in the namespace.")
def sees_the_namespace(ns):
    assert "TOOLS" in ns, "define TOOLS first"


def _right(a, b):
    return a + b


def test_check_reports_passed_when_every_case_passes():
    result = check("98.1", {"add": _right})
    assert result.passed and bool(result)
    assert repr(result) == "✅ 98.1 passed (2 checks)"
    assert "98.1 passed" in result._repr_html_()


def test_check_reads_the_callers_globals_when_no_namespace_is_given():
    globals()["add"] = _right
    try:
        assert check("98.1").passed
    finally:
        del globals()["add"]


def test_a_failed_case_shows_its_message_and_hint_but_not_the_check_source():
    result = check("98.1", {"add": lambda a, b: a * b})
    text = repr(result)
    assert not result.passed and result.status == "failed"
    assert "add(2, 3) returned 6" in text and "hint: Return the sum." in text
    assert "2 of 2 checks failed" in text
    assert SECRET not in text and SECRET not in result._repr_html_()
    assert "assert" not in text


def test_a_stub_gives_a_friendly_not_implemented_line():
    def add(a, b):
        raise NotImplementedError()

    result = check("98.1", {"add": add})
    assert result.status == "todo"
    assert repr(result).startswith("⏳ 98.1 not implemented yet")


def test_a_missing_name_asks_the_learner_to_run_the_defining_cell():
    result = check("98.1", {})
    assert "`add` is not defined" in repr(result)


def test_an_exception_in_the_learners_code_becomes_a_message_not_a_crash():
    result = check("98.1", {"add": lambda a, b: {}[a]})
    assert "your code raised KeyError: 2" in repr(result)


def test_a_case_can_take_the_whole_namespace():
    assert check("98.2", {"TOOLS": []}).passed
    assert "define TOOLS first" in repr(check("98.2", {}))


def test_html_rendering_escapes_the_learners_values():
    result = check("98.1", {"add": lambda a, b: "<script>"})
    assert "<script>" not in result._repr_html_() and "&lt;script&gt;" in result._repr_html_()


def test_an_unknown_exercise_is_an_authoring_error():
    with pytest.raises(LookupError):
        check("98.9", {})
    with pytest.raises(ValueError):
        visible("one")


def test_exercises_lists_a_lessons_exercises_in_order():
    assert exercises(98) == ["98.1", "98.2"]
    assert isinstance(run_exercise("98.2", {"TOOLS": 1}), CheckResult)


toy = HiddenTests("97")


@toy.test("sums")
def _(add):
    assert add(2, 2).value == 4, "add(2, 2) is not 4"


@toy.test("buggy")
def _(add):
    return {}["hidden-test-bug"]


def test_a_hidden_test_passes_silently():
    assert toy("sums", {"add": _right}) is None


def test_a_failed_hidden_test_raises_an_assertion_with_the_message_only():
    with pytest.raises(AssertionError, match=r"^add\(2, 2\) is not 4$") as info:
        toy("sums", {"add": lambda a, b: 5})
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_an_unfinished_stub_stays_not_implemented():
    def add(a, b):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        toy("sums", {"add": add})


def test_an_error_inside_the_learners_code_becomes_an_assertion_naming_it():
    namespace: dict = {"__name__": "__main__"}
    exec("def add(a, b):\n    return {}[a]", namespace)  # defined as in a notebook (module __main__)
    with pytest.raises(AssertionError, match="calling your code raised KeyError: 2"):
        toy("sums", namespace)


def test_a_test_that_cannot_read_an_answer_says_so_instead_of_crashing():
    with pytest.raises(AssertionError, match="could not read what your code returned"):
        toy("buggy", {"add": _right})


def test_a_learner_object_cannot_be_compared_by_accident():
    @toy.test("compares-objects")
    def _(add):
        assert add(2, 2) == 4

    with pytest.raises(AssertionError, match="could not read"):  # Remote refuses ==: tests compare .value
        toy("compares-objects", {"add": _right})


def test_a_missing_name_and_an_unknown_test_are_reported():
    with pytest.raises(AssertionError, match="`add` is not defined"):
        toy("sums", {})
    with pytest.raises(LookupError):
        toy("nope", {})
    with pytest.raises(ValueError):
        toy.test("sums")(lambda: None)


def test_an_unfinished_exercise_is_named_by_the_function_that_still_raises():
    @visible("98.2")
    def uses_two(add, shout):
        add(1, 2)
        shout("x")

    namespace: dict = {"__name__": "__main__"}
    exec("def add(a, b):\n    return a + b\ndef shout(text):\n    raise NotImplementedError()", namespace)
    result = run_exercise("98.2", namespace)
    todo = next(c for c in result.cases if c.name == "uses_two")
    assert todo.status == "todo" and todo.message.startswith("`shout` still raises") and "`add`" not in todo.message


def _asks_twice(a, b):
    """A learner function that asks a one-reply scripted model twice."""
    from course.llm import FakeModel, Reply, client, use_model

    with use_model(FakeModel.scripted(Reply.text("ok"))):
        for _ in range(2):
            client().chat.completions.create(model="course-fake", messages=[{"role": "user", "content": "hi"}])
    return 5


@visible("96.1")
def asks_the_model(add):
    assert add(2, 3) == 5


@toy.test("asks")
def _(add):
    assert add(2, 2).value == 5


def test_a_check_model_out_of_replies_names_the_exercise_not_the_transcript():
    case = run_exercise("96.1", {"add": _asks_twice}).cases[0]
    assert case.status == "failed"
    assert case.message.startswith("`add` asked the check's scripted model for reply 2, but the check scripted 1: "
                                   "Exercise 96.1 most likely goes on where it should stop")
    assert "Transcript" not in case.message


def test_a_test_model_out_of_replies_says_what_it_most_likely_means():
    with pytest.raises(AssertionError, match=r"^your code asked the test's scripted model for reply 2, but "
                                             r"the test scripted 1: the function this test checks most likely goes on"):
        toy("asks", {"add": _asks_twice})

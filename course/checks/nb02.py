"""Visible checks of lesson 02, own your prompts: `check("2.1")` … `check("2.4")` in the notebook.

Cheap and public, worth no points: they catch the obvious before the hidden tests run.
"""

from __future__ import annotations

from course.grading import visible
from course.llm import FakeModel, Reply, use_model
from course.shop import ShopPolicy


def _given(ns, name):
    """A class the notebook gives (not the learner's answer), so an unfinished exercise names only the learner's function."""
    assert name in ns, f"`{name}` is not defined: run the cell above that defines it."
    return ns[name]


@visible("2.1", hint="Replace each $name with str(values[name]); string.Template does the substituting.")
def render_fills_a_placeholder(render):
    got = render("Hello $name!", {"name": "Maya"})
    assert got == "Hello Maya!", f"render('Hello $name!', {{'name': 'Maya'}}) returned {got!r}, expected 'Hello Maya!'"


@visible("2.1", hint="Find the template's placeholder names first, then compare them with values.keys().")
def render_refuses_a_missing_value(render, ns):
    PromptError = _given(ns, "PromptError")
    try:
        got = render("Refunds within $days days.", {})
    except PromptError as error:
        assert "days" in str(error), f"the PromptError should name the missing placeholder 'days'; it said {str(error)!r}"
        return
    raise AssertionError(f"render('Refunds within $days days.', {{}}) returned {got!r}; a missing value should raise PromptError")


@visible("2.2", hint="hashlib gives the same digest for the same bytes on every machine.")
def version_is_a_fingerprint_of_the_text(prompt_version):
    first = prompt_version("Refunds within 30 days.")
    assert isinstance(first, str) and first, f"prompt_version should return a non-empty str, got {first!r}"
    assert prompt_version("Refunds within 30 days.") == first, "the same text gave two different ids"
    assert prompt_version("Refunds within 14 days.") != first, "two different texts gave the same id"


@visible("2.3", hint="Every value comes from the policy argument: policy.shop_name, policy.refund_window_days, ...")
def system_prompt_uses_the_policy(system_prompt, ns):
    Prompt = _given(ns, "Prompt")
    prompt = system_prompt(ShopPolicy.load())
    assert isinstance(prompt, Prompt), f"system_prompt should return a Prompt, got {type(prompt).__name__}"
    assert "30 days" in prompt.text, "with the shop's policy the prompt should say '30 days'"
    assert "$refund_window_days" not in prompt.text, "the prompt still contains the placeholder $refund_window_days"
    assert prompt.name == "support_agent", f"the prompt's name should be 'support_agent', got {prompt.name!r}"


@visible("2.4", hint="The request's messages are the system message, then the given messages; log.append(ModelCall(...)).")
def ask_model_sends_the_prompt_and_logs_the_call(ask_model, ns):
    Prompt, ModelCall = _given(ns, "Prompt"), _given(ns, "ModelCall")
    prompt = Prompt(name="support_agent", version="abc123", text="You are a test prompt.")
    log = []
    with use_model(FakeModel.scripted(Reply.text("Hello!"))) as fake:
        message = ask_model(prompt, [{"role": "user", "content": "Hi"}], [], log)
    assert fake.transcript.last_request.system_prompt == prompt.text, "the model did not receive the prompt's text as its system message"
    assert getattr(message, "content", None) == "Hello!", "ask_model should return the model's message"
    assert len(log) == 1 and isinstance(log[0], ModelCall), f"one call should add one ModelCall to the log; the log is {log!r}"
    assert log[0].prompt_version == "abc123", f"the ModelCall should carry the prompt's version 'abc123', not {log[0].prompt_version!r}"


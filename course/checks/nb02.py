"""Visible checks of lesson 02, own your prompts: `check("2.1")` … `check("2.4")` in the notebook.

Cheap and public, worth no points: they try each behaviour the exercise asks for on inputs of their
own (not the hidden tests'), so a ✅ means the exercise does what its text says.
"""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Iterator

from course.grading import visible
from course.llm import FakeModel, Reply, use_model
from course.prompts import read_template
from course.shop import ShopPolicy


def _given(ns, name):
    """A class the notebook gives (not the learner's answer), so an unfinished exercise names only the learner's function."""
    assert name in ns, f"`{name}` is not defined: run the cell above that defines it."
    return ns[name]


def _prompt_error(render, ns, template: str, values: dict) -> str:
    """The message of the PromptError that render must raise for these inputs."""
    PromptError = _given(ns, "PromptError")
    try:
        got = render(template, values)
    except PromptError as error:
        return str(error)
    raise AssertionError(f"render({template!r}, {values!r}) returned {got!r}; it should raise PromptError")


# --- 2.1 render --------------------------------------------------------------------------------------

@visible("2.1", hint="Replace each $name and ${name} with str(values[name]); string.Template does the substituting.")
def render_fills_every_placeholder(render):
    for template, values, expected in [
        ("Hello $name!", {"name": "Maya"}, "Hello Maya!"),
        ("Dear ${first}, your $item ships.", {"first": "Ana", "item": "kite"}, "Dear Ana, your kite ships."),
        ("Up to ${n}0 items", {"n": 3}, "Up to 30 items"),
    ]:
        got = render(template, values)
        assert got == expected, f"render({template!r}, {values!r}) returned {got!r}, expected {expected!r}"


@visible("2.1", hint="`$$` is an escaped dollar sign: it becomes a single `$`.")
def render_turns_double_dollars_into_one(render):
    got = render("Pay $$$price, not $$0.", {"price": "9.99"})
    assert got == "Pay $9.99, not $0.", f"render('Pay $$$price, not $$0.', {{'price': '9.99'}}) returned {got!r}"


@visible("2.1", hint="Pure: read `values`, never change it.")
def render_leaves_the_values_alone(render):
    values = {"name": "Maya"}
    render("Hi $name.", values)
    assert values == {"name": "Maya"}, f"render changed the values it was given: they are now {values!r}"


@visible("2.1", hint="Find the template's placeholder names first (string.Template.pattern), then compare them with values.keys().")
def render_names_every_missing_value(render, ns):
    message = _prompt_error(render, ns, "From $shop to ${city}.", {})
    absent = [name for name in ("shop", "city") if name not in message]
    assert not absent, f"with shop and city both missing, the PromptError should name both; it said {message!r}"


@visible("2.1", hint="A value no placeholder uses is an error too: name it.")
def render_names_an_unused_value(render, ns):
    message = _prompt_error(render, ns, "Thanks for writing.", {"tone": "warm"})
    assert "tone" in message, f"the PromptError for the unused value tone should name it; it said {message!r}"


@visible("2.1", hint="Check both directions before raising, and name every culprit in one PromptError.")
def render_names_missing_and_unused_at_once(render, ns):
    message = _prompt_error(render, ns, "Hi $name.", {"nmae": "Ana"})
    assert "nmae" in message and "name" in message.replace("nmae", ""), (
        f"with name missing and nmae unused, the PromptError should name both; it said {message!r}")


# --- 2.2 prompt_version ------------------------------------------------------------------------------

@contextlib.contextmanager
def _another_process() -> Iterator[None]:
    """Python's `hash()` as another process would salt it: what a new interpreter changes."""
    real = builtins.hash
    builtins.hash = lambda obj: real(("another process", obj))
    try:
        yield
    finally:
        builtins.hash = real


@visible("2.2", hint="Equal texts, equal ids: derive the id from the text alone (hashlib).")
def version_is_a_fingerprint_of_the_text(prompt_version):
    text = "Refunds within 30 days."
    first = prompt_version(text)
    assert isinstance(first, str) and first, f"prompt_version should return a non-empty str, got {first!r}"
    assert prompt_version("".join(["Refunds within ", "30 days."])) == first, "the same text gave two different ids"


@visible("2.2", hint="Every character counts: a changed letter, a space or a newline at the end is a new template.")
def version_changes_with_any_edit(prompt_version):
    text = "Be brief and warm."
    first = prompt_version(text)
    for what, edited in [("one letter changed", "Be brisk and warm."), ("a newline added at the end", text + "\n"),
                         ("a space added at the start", " " + text)]:
        assert prompt_version(edited) != first, f"prompt_version gave the same id after a change: {what}"


@visible("2.2", hint="Python's hash() is salted per process; hashlib's digests are the same everywhere.")
def version_is_the_same_in_another_process(prompt_version):
    text = "Refunds within 30 days."
    here = prompt_version(text)
    with _another_process():
        elsewhere = prompt_version(text)
    assert elsewhere == here, "prompt_version gave another id once Python's string hashing changed, as it does in every new process"


# --- 2.3 system_prompt -------------------------------------------------------------------------------

_HARBOUR = {"shop_name": "Harbour Books", "refund_window_days": 21, "approval_limit": 75.5, "currency": "GBP"}


@visible("2.3", hint="Every value comes from the policy argument: policy.shop_name, policy.refund_window_days, ...")
def system_prompt_uses_the_policy(system_prompt, ns):
    Prompt = _given(ns, "Prompt")
    prompt = system_prompt(ShopPolicy.load())
    assert isinstance(prompt, Prompt), f"system_prompt should return a Prompt, got {type(prompt).__name__}"
    assert "30 days" in prompt.text, "with the shop's policy the prompt should say '30 days'"
    assert "$refund_window_days" not in prompt.text, "the prompt still contains the placeholder $refund_window_days"
    assert prompt.name == "support_agent", f"the prompt's name should be 'support_agent', got {prompt.name!r}"


@visible("2.3", hint="Nothing typed by hand: with another policy, every number and name in the prompt changes.")
def system_prompt_follows_another_policy(system_prompt):
    text = system_prompt(ShopPolicy.load().model_copy(update=_HARBOUR)).text
    for needle in ("Harbour Books", "21 days", "$75.50", "GBP"):
        assert needle in text, f"with a policy of {_HARBOUR}, the prompt should contain {needle!r}; it does not"
    for stale in ("Brightside", "30 days", "$100", "USD"):
        assert stale not in text, f"with a policy of {_HARBOUR}, the prompt still says {stale!r}"


@visible("2.3", hint="version=prompt_version(template): the template's id, not the rendered text's.")
def system_prompt_versions_the_template(system_prompt, prompt_version):
    mine = system_prompt(ShopPolicy.load())
    assert mine.version == prompt_version(read_template("support_agent")), (
        "the prompt's version is not prompt_version of the support_agent template")
    other = system_prompt(ShopPolicy.load().model_copy(update=_HARBOUR))
    assert other.version == mine.version, "another policy gave another version, but the template did not change"


# --- 2.4 ask_model -----------------------------------------------------------------------------------

class _Snapshot(FakeModel):
    """The fake, answering as a dated snapshot of the model asked for, as real endpoints do."""

    def _render(self, reply, request, call, tokens):  # type: ignore[no-untyped-def]
        response = super()._render(reply, request, call, tokens)
        if response.body is not None:
            response.body["model"] = f"{request.model}-2026-01-15"
        return response


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


@visible("2.4", hint="Build a new list for the request ([system, *messages]); the caller's list stays as it was.")
def ask_model_leaves_the_conversation_alone(ask_model, ns):
    prompt = _given(ns, "Prompt")(name="triage", version="t-1", text="Sort the ticket.")
    conversation = [{"role": "user", "content": "My kite is torn."}]
    with use_model(FakeModel.scripted(Reply.text("one"), Reply.text("two"))) as fake:
        ask_model(prompt, conversation, [], [])
        ask_model(prompt, conversation, [], [])
    assert conversation == [{"role": "user", "content": "My kite is torn."}], (
        f"ask_model changed the messages it was given: they are now {conversation!r}")
    roles = [m.get("role") for m in fake.transcript.last_request.messages]
    assert roles == ["system", "user"], f"the second call sent the roles {roles}, not one system message and the user's"


@visible("2.4", hint="One ModelCall per call, each with what that call's response says (response.model, response.usage).")
def ask_model_records_every_call_as_answered(ask_model, ns):
    prompt = _given(ns, "Prompt")(name="triage", version="t-1", text="Sort the ticket.")
    log = []
    with use_model(_Snapshot.scripted(Reply.text("one"), Reply.text("two"))) as fake:
        for text in ("My kite is torn.", "And the string is missing."):
            ask_model(prompt, [{"role": "user", "content": text}], [], log)
    assert len(log) == 2, f"two calls should add two records to the log; it has {len(log)}"
    answered = [f"{request.model}-2026-01-15" for request in fake.transcript.requests]
    assert [record.model for record in log] == answered, (
        f"the records name the models {[record.model for record in log]}, but the model that answered each call "
        f"said it was {answered[0]!r}")
    assert [record.prompt_tokens for record in log] == fake.transcript.prompt_tokens(), (
        "the records' prompt_tokens differ from what the model reported for each call")
    assert [record.prompt for record in log] == ["triage", "triage"], "each record should name the prompt that was used"

__all__: list[str] = []  # the checks register themselves with course.grading.visible on import

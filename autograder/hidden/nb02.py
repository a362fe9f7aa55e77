"""Hidden tests of lesson 02, own your prompts. Instructor side only.

Each test is registered under the grade id of its graded cell (`hidden("grade_id", globals())`);
its parameters are the learner's names, as `Remote` handles (a parameter named `learner` gets the
`Learner`). They check behaviour: what `render` returns or raises, what `prompt_version` returns
here and in a brand-new worker process, what the model received (the fake's transcript), what was
recorded per call, and what happened in the shop.

A list or dict the learner's code must append to or leave alone (`log`, `values`, the conversation)
is made in the worker with the worker's own builtins (`learner["__builtins__"].list()`), so the
test can look at it again after the call; an argument sent as plain data is a copy the test never
sees again. `prompt_version_is_stable_across_processes` compares the ids with those of the same
notebook replayed in a brand-new worker (`learner.fresh(interpreter=True)`, its own hash salt); under plain nbgrader
there is no other worker, and that comparison is skipped.

Each exercise is scored on its own: the tests of `system_prompt` run it with simple stand-ins for
`render` and `prompt_version` (`learner.stand_ins`), and the whole run of 2.4 with a stand-in
`system_prompt`, so a mistake in an earlier exercise costs points only there. The model answers
as a dated snapshot of the model asked for (`_Snapshot`), as real endpoints do, so a record that
names the model asked for instead of the one that answered is seen.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from typing import Any

from autograder.boundary.remote import FreshWorkerUnavailable, Learner, LearnerError, LearnerNotImplemented, Remote
from autograder.hidden import HiddenTests
from autograder.hidden.drawn import Records, effects_follow_calls, words
from course.brain import shop_brain
from course.llm import FakeModel, Reply, use_model
from course.prompts import read_template
from course.shop import Shop, ShopPolicy, draw_scenario, get_scenario, outcome_of, use_shop

hidden = HiddenTests("02")

_NAME = "support_agent"


class _Snapshot(FakeModel):
    """The fake, answering as a dated snapshot of the model asked for (`gpt-4o-mini` -> `gpt-4o-mini-2024-07-18`)."""

    def _render(self, reply, request, call, tokens):  # type: ignore[no-untyped-def]
        response = super()._render(reply, request, call, tokens)
        if response.body is not None:
            response.body["model"] = _answered_by(request.model)
        return response


def _answered_by(asked: str) -> str:
    return f"{asked}-2026-01-15"


def _render_stand_in(template: Remote, values: Remote) -> str:
    """A plain `render` for the tests of system_prompt: substitute, nothing else."""
    return string.Template(template.value).substitute(values.value)


class _Versions:
    """A scripted `prompt_version`: "version-1" for the first text it is asked about, "version-2" for the next…"""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def __call__(self, template: Remote) -> str:
        return self.ids.setdefault(template.value, f"version-{len(self.ids) + 1}")


def _other_policy(rng: random.Random) -> ShopPolicy:
    """The shop's policy with every value the prompt shows drawn anew (none equal to the shop's own)."""
    name = f"{words(rng).capitalize()} {rng.choice(('Kites', 'Outfitters', 'Supply', 'Goods Co', 'Emporium'))}"
    return ShopPolicy.load().model_copy(update={
        "shop_name": name, "refund_window_days": rng.randint(31, 120),
        "approval_limit": float(rng.randrange(150, 1000, 5)), "currency": rng.choice(("EUR", "GBP", "CAD", "AUD"))})


def _needles(policy: ShopPolicy) -> tuple[str, ...]:
    return (policy.shop_name, f"{policy.refund_window_days} days", f"${policy.approval_limit:.0f}", policy.currency)


def _rendered(policy: ShopPolicy) -> str:
    """The support prompt rendered for `policy`, built here so the ask_model tests stand alone."""
    return string.Template(read_template(_NAME)).substitute(
        shop_name=policy.shop_name, refund_window_days=policy.refund_window_days,
        approval_limit=f"{policy.approval_limit:.2f}", currency=policy.currency)


def _builtins(learner: Learner) -> Remote:
    """Python's builtins in the learner's worker: `.list()`, `.dict(...)` made there, to look at after a call."""
    found = learner["__builtins__"]  # IPython's namespaces hold the module; a plain exec'd one, its dict
    return found["__import__"]("builtins") if found.isa("dict") else found


def _read(get: Callable[[], Any]) -> Any:
    """`get()`, or None when reading it raises in the worker (a missing attribute, an empty list)."""
    try:
        return get()
    except LearnerNotImplemented:
        raise
    except LearnerError:
        return None


# --- Exercise 2.1: render ---------------------------------------------------------------------

@hidden.test("render_fills_placeholders")
def render_fills_placeholders(render: Remote, learner: Learner, rng: random.Random) -> None:
    made = _builtins(learner)
    a, b, c, d = (name.replace("_", "") for name in (words(rng) for _ in range(4)))
    a, b = (a, b) if a != b else (a, b + "x")
    days, n, price, cost = rng.randint(1, 400), rng.randint(2, 99), f"{rng.uniform(1, 999):.2f}", rng.randint(1, 99)
    who, thing = words(rng).capitalize(), words(rng)
    cases = [
        (f"Refunds within ${a} days.", {a: days}, f"Refunds within {days} days."),
        (f"Order ${{{a}}}th in ${b}.", {a: n, b: who}, f"Order {n}th in {who}."),
        (f"A refund above $$${c} needs approval.", {c: price}, f"A refund above ${price} needs approval."),
        (f"It costs $${cost} for ${d}.", {d: who}, f"It costs ${cost} for {who}."),
        (f"No placeholders in this {thing}.", {}, f"No placeholders in this {thing}."),
        (f"${a}${b} and ${a} again", {a: n, b: thing}, f"{n}{thing} and {n} again"),
    ]
    rng.shuffle(cases)
    for template, values, expected in cases:
        given = made.dict(values)  # the worker's own dict, to look at again after the call
        got = render(template, given)
        assert got.value == expected, f"render({template!r}, {values!r}) returned {got!r}, expected {expected!r}"
        given = made.dict(given)  # as it is now
        assert given.value == values, \
            f"render({template!r}, ...) changed the values it was given: they are now {given!r}"
        again = render(template, dict(values))
        assert again.value == got.value, \
            f"render({template!r}, {values!r}) returned {got!r}, then {again!r} for the same inputs"
    mappingproxy = made.getattr(made.vars(made.object), "__class__")  # types.MappingProxyType, in the worker
    proxy = mappingproxy({a: days})
    got = render(f"Within ${a} days.", proxy)
    assert got.value == f"Within {days} days.", f"render(template, values) should accept any mapping of values; got {got!r}"
    template = read_template(_NAME)
    policy = _other_policy(rng)
    values = {"shop_name": policy.shop_name, "refund_window_days": policy.refund_window_days,
              "approval_limit": f"{policy.approval_limit:.2f}", "currency": policy.currency}
    got = render(template, values)
    assert got.value == string.Template(template).substitute(values), (
        "render(read_template('support_agent'), values) did not return the template with each placeholder "
        "replaced by its value")


@hidden.test("render_names_missing_and_unused_values")
def render_names_missing_and_unused_values(render: Remote, PromptError: Remote, rng: random.Random) -> None:
    assert PromptError.is_class and PromptError.isa("ValueError"), \
        "PromptError should still be the exception class defined in the notebook (a ValueError)"

    def refused(template: str, values: dict[str, Any]) -> LearnerError:
        try:
            got = render(template, values)
        except LearnerNotImplemented:
            raise
        except LearnerError as error:
            if error.isa(PromptError):
                return error
            # a KeyError etc. is a wrong kind of error
            raise AssertionError(f"render({template!r}, {values!r}) raised {error.type}: {error.message}; "
                                 "it should raise PromptError") from None
        raise AssertionError(f"render({template!r}, {values!r}) returned {got!r}; it should raise PromptError")

    first, second, third, fourth = (f"{name}_{i}" for i, name in enumerate(words(rng, 4).split("_")))
    n = rng.randint(1, 400)
    error = refused(f"Refunds within ${first} days, above $$${second}.", {first: n})
    assert second in error.message, \
        f"the PromptError for a missing value should name it; it said {error.message!r}"
    error = refused(f"Hello ${third}, from ${{{fourth}}}.", {})
    assert third in error.message and fourth in error.message, (
        f"with two values missing, the PromptError should name both; it said {error.message!r}")
    error = refused(f"Within ${first} days.", {first: n, f"{first}z": n})
    assert f"{first}z" in error.message, \
        f"the PromptError for a value the template does not use should name it; it said {error.message!r}"
    error = refused(f"No placeholders in this {words(rng)}.", {third: "USD"})
    assert third in error.message, \
        f"the PromptError for an unused value should name it; it said {error.message!r}"
    error = refused(f"Refunds within ${first} days.", {f"{first}z": n})
    assert first in error.message.replace(f"{first}z", "") and f"{first}z" in error.message, (
        f"with a value missing ({first}) and one unused ({first}z), the PromptError should name both; it said "
        f"{error.message!r}")


# --- Exercise 2.2: prompt_version -------------------------------------------------------------

@hidden.test("prompt_version_changes_iff_template_changes")
def prompt_version_changes_iff_template_changes(prompt_version: Remote, learner: Learner, rng: random.Random) -> None:
    template = read_template(_NAME)
    held = _builtins(learner).str(template)  # one str object in the worker, passed twice
    first = prompt_version(held)
    assert first.isa("str") and isinstance(first.value, str) and first.value, \
        f"prompt_version should return a non-empty str, got {first!r}"
    assert prompt_version("".join(list(template))).value == first.value, \
        "prompt_version gave a different id for the same text (an equal string built separately)"
    assert prompt_version(held).value == first.value, "prompt_version gave two different ids for the same template"
    edits = {
        "one word changed (same length)": template.replace("warm", "kind"),
        "one letter's case changed": template.replace("You are", "you are", 1),
        "a word added": template.replace("brief", "very brief"),
        "a newline added at the end": template + "\n",
        "a space added at the end": template + " ",
        "a placeholder renamed": template.replace("$currency", "$currency_code"),
    }
    for what, edited in edits.items():
        assert edited != template
        assert prompt_version(edited).value != first.value, f"prompt_version gave the same id after a change: {what}"
    texts = sorted({f"Refunds are possible up to {rng.randint(1, 10**6)} days after the {words(rng)}." for _ in range(200)})
    ids = [prompt_version(text).value for text in texts]
    assert len(set(ids)) == len(ids), "prompt_version gave the same id to different templates (200 one-line templates)"


@hidden.test("prompt_version_is_stable_across_processes", interpreter=True)
def prompt_version_is_stable_across_processes(prompt_version: Remote, learner: Learner, rng: random.Random) -> None:
    texts = [read_template(_NAME), f"Refunds are possible up to {rng.randint(1, 999)} days after the {words(rng)}.", ""]
    here = [prompt_version(text).value for text in texts]
    message = ("prompt_version gave a different id for the same text in another Python process: an id in last "
               "week's logs must still name the same template today, on any machine")
    try:
        with learner.fresh(interpreter=True) as other:  # a brand-new worker: its own interpreter, with its own hash salt
            elsewhere = [other["prompt_version"](text).value for text in texts]
    except FreshWorkerUnavailable:
        return  # plain nbgrader: the learner's kernel is the only process there is
    assert len(set(here)) == len(here), "prompt_version gave the same id to different texts"
    assert elsewhere == here, message


# --- Exercise 2.3: system_prompt --------------------------------------------------------------

def _placeholders_left(text: str) -> list[str]:
    found = [m.group("named") or m.group("braced") for m in string.Template.pattern.finditer(text)]
    return [name for name in found if name]


@hidden.test("policy_numbers_come_from_the_shop_config")
def policy_numbers_come_from_the_shop_config(system_prompt: Remote, learner: Learner, rng: random.Random) -> None:
    with learner.stand_ins(render=_render_stand_in, prompt_version=_Versions()):
        _policy_numbers_come_from_the_shop_config(system_prompt, rng)


def _policy_numbers_come_from_the_shop_config(system_prompt: Remote, rng: random.Random) -> None:
    policy = ShopPolicy.load()
    got = system_prompt(policy).text
    text = got.value
    assert isinstance(text, str), f"system_prompt(policy).text should be a str, got {got.type}"
    left = _placeholders_left(text)
    assert not left, f"the system prompt still contains placeholders: {', '.join('$' + name for name in left)}"
    for needle in ("Brightside Goods", "30 days", "$100", "USD"):
        assert needle in text, f"with the shop's policy, the system prompt should contain {needle!r}; it does not"
    assert system_prompt(policy).text.value == text, "system_prompt(policy) gave two different texts for the same policy"

    other = _other_policy(rng)
    changed = {"shop_name": other.shop_name, "refund_window_days": other.refund_window_days,
               "approval_limit": other.approval_limit, "currency": other.currency}
    text = system_prompt(other).text.value
    for needle in _needles(other):
        assert needle in text, (f"with a policy whose values changed ({changed}), the system prompt should contain "
                                f"{needle!r}; it does not")
    for stale in ("Brightside", "30 days", "$100", "USD"):
        assert stale not in text, (f"with a policy whose values changed ({changed}), the system prompt still "
                                   f"contains {stale!r}: a number typed by hand, not read from the policy")
    cents = rng.randrange(10, 999) + rng.randint(1, 9) / 10  # like 99.5: Python would print "99.5", not "99.50"
    text = system_prompt(policy.model_copy(update={"approval_limit": cents})).text.value
    assert f"${cents:.2f}" in text, f"with approval_limit={cents} the system prompt should mention ${cents:.2f}"

    with Shop.create(policy=other) as db, use_shop(db):
        text = system_prompt(policy).text.value
    assert "30 days" in text and other.shop_name not in text, \
        "system_prompt(policy) should use the policy it is given, not the current shop's"


@hidden.test("prompt_version_identifies_the_template")
def prompt_version_identifies_the_template(system_prompt: Remote, prompt_version: Remote, learner: Learner,
                                          rng: random.Random) -> None:
    versions = _Versions()
    with learner.stand_ins(render=_render_stand_in, prompt_version=versions):
        prompt = system_prompt(ShopPolicy.load())
        other = system_prompt(_other_policy(rng))
    assert prompt.name.value == _NAME, f"system_prompt(policy).name should be {_NAME!r}, got {prompt.name!r}"
    template = read_template(_NAME)
    asked = [text for text in versions.ids if text != template]
    assert template in versions.ids or not asked, (
        f"system_prompt(policy) asked prompt_version for the id of a text that is not the support_agent template "
        f"(it begins {asked[0][:40]!r}): the version should identify the template")
    if template in versions.ids:  # the stand-in numbers the texts it is asked about
        expected, aside = versions.ids[template], " (here prompt_version is a stand-in that numbers the texts it is given)"
    else:  # system_prompt computed the version without calling prompt_version: compare with the learner's own
        expected, aside = prompt_version(template).value, ""
    assert prompt.version.value == expected, (
        f"system_prompt(policy).version is {prompt.version!r}, but prompt_version of the support_agent template "
        f"is {expected!r}{aside}: the version should identify the template")
    assert other.version.value == prompt.version.value, \
        "a policy with other values gave another version, but the template did not change"


# --- Exercise 2.4: ask_model ------------------------------------------------------------------

def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


@hidden.test("transcript_system_prompt_is_the_rendered_template")
def transcript_system_prompt_is_the_rendered_template(ask_model: Remote, Prompt: Remote, TOOL_SCHEMAS: Remote,
                                                       learner: Learner, rng: random.Random) -> None:
    made = _builtins(learner)
    prompt = Prompt(name=_NAME, version=f"test-{words(rng)}", text=_rendered(_other_policy(rng)))
    prompt_text = prompt.text.value
    ticket = get_scenario("damaged_item").ticket.render()
    before = [
        _user(ticket),
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_order", "arguments": '{"order_id": 1042}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"order_id": 1042, "total": 66.5}'},
    ]
    conversation = made.list(before)  # the worker's own list, to look at again after the call
    log = made.list()
    script = (Reply.tool_call("check_refund_policy", {"order_id": 1042, "amount": 18.5}), Reply.text("All done."))
    with use_model(FakeModel.scripted(*script)) as fake:
        message = ask_model(prompt, conversation, TOOL_SCHEMAS, log)
        assert made.list(conversation).value == before, \
            "ask_model changed the messages it was given; the caller owns the conversation"
        request = fake.transcript.last_request
        assert request.system_prompt == prompt_text, "the system prompt the model received is not the prompt's text"
        sent = request.messages
        roles = [m.get("role") for m in sent]
        assert roles.count("system") == 1 and roles[0] == "system", (
            f"the model should receive one system message, first; it received roles {roles}")
        assert sent[1:] == before, "after the system message, the model should receive the given messages, unchanged and in order"
        names = [tool["function"]["name"] for tool in made.list(TOOL_SCHEMAS).value]
        assert request.tool_names == names, f"the model was offered {request.tool_names}, not the tools given ({names})"
        called = _read(lambda: message.tool_calls[0].function.name.value)
        assert called == "check_refund_policy", \
            "ask_model should return the model's message (here, a call to check_refund_policy)"
        message = ask_model(prompt, [_user("Thanks!")], [], log)
        request = fake.transcript.last_request
        assert [m.get("role") for m in request.messages] == ["system", "user"], \
            "for a one-message conversation the model should receive the system prompt and that message"
        assert request.system_prompt == prompt_text, "the system prompt the model received is not the prompt's text"
        assert _read(lambda: message.content.value) == "All done.", "ask_model should return the model's message"
    assert len(fake.transcript) == 2, f"two calls of ask_model should call the model twice, not {len(fake.transcript)} times"


@hidden.test("prompt_version_recorded_on_every_call")
def prompt_version_recorded_on_every_call(ask_model: Remote, Prompt: Remote, run_agent: Remote,
                                          learner: Learner, rng: random.Random) -> None:
    made = _builtins(learner)
    one, two = f"v-{words(rng)}", f"v-{rng.randrange(10**6)}"
    prompts = [Prompt(name="support_agent", version=one, text=f"You are a {words(rng)} agent."),
               Prompt(name=words(rng), version=two, text="Classify the ticket."),
               Prompt(name="support_agent", version=one, text="You are a support agent.")]
    log = made.list()  # the worker's own list, for ask_model to append to
    with use_model(_Snapshot.scripted(*(Reply.text(f"answer {i}") for i in range(3)))) as fake:
        for prompt in prompts:
            ask_model(prompt, [_user("Where is my order?")], [], log)
    records = list(log)
    assert len(records) == 3, f"three calls of ask_model should add three records to the log, it has {len(records)}"
    for i, (record, prompt, tokens) in enumerate(zip(records, prompts, fake.transcript.prompt_tokens(), strict=False), start=1):
        assert record.prompt.value == prompt.name.value, \
            f"record {i} names prompt {record.prompt!r}, but call {i} used {prompt.name!r}"
        assert record.prompt_version.value == prompt.version.value, (
            f"record {i} has prompt_version {record.prompt_version!r}, but call {i} used a prompt whose version "
            f"is {prompt.version!r}")
        assert record.model.value == _answered_by(fake.transcript.requests[i - 1].model), \
            f"record {i} does not name the model that answered"
        assert record.prompt_tokens.value == tokens, (
            f"record {i} says {record.prompt_tokens} prompt tokens, but the model reported {tokens} for that call")

    policy = _other_policy(rng)
    name, version = "support_agent", f"v-{words(rng)}"

    def stand_in(given: Remote, *_: Remote) -> Remote:  # system_prompt, scripted: Exercise 2.3 is scored on its own
        return Prompt(name=name, version=version, text=_rendered(ShopPolicy.model_validate(given.value)))

    with learner.stand_ins(system_prompt=stand_in), Shop.create(policy=policy) as db, use_shop(db), \
            use_model(FakeModel(shop_brain)) as fake:
        scenario = draw_scenario(db, rng, "refunded")
        before = Records.of(db)
        run = run_agent(scenario.ticket)
        outcome = outcome_of(db, scenario, called=[name for name, _ in fake.transcript.tool_calls()])
        effects_follow_calls(db, fake.transcript.tool_calls(), before, where="on a drawn refund ticket")
    text = _rendered(policy)
    requests = fake.transcript.requests
    assert outcome == "refunded", f"the agent should refund the broken item; the outcome was {outcome!r}"
    calls = list(run.calls)
    assert len(calls) == len(requests), (
        f"the run called the model {len(requests)} times but recorded {len(calls)} calls")
    for i, (record, request) in enumerate(zip(calls, requests, strict=False), start=1):
        assert record.prompt_version.value == version and record.prompt.value == name, (
            f"call {i} of the run recorded prompt {record.prompt!r} version {record.prompt_version!r}, "
            f"not the system prompt's ({name!r}, {version!r})")
        roles = [m.get("role") for m in request.messages]
        assert roles.count("system") == 1 and roles[0] == "system", (
            f"call {i} of the run sent {roles.count('system')} system messages; it should send exactly one, first")
        assert request.system_prompt == text, \
            f"call {i} of the run did not send the system prompt rendered from the shop's policy"

__all__ = ["hidden"]

"""Hidden tests of lesson 02, own your prompts. Instructor side only.

Each test is registered under the grade id of its graded cell (`hidden("grade_id", globals())`)
and is also a plain function of the learner's objects (`nb02.render_fills_placeholders(render)`).
They check behaviour: what `render` returns or raises, what the model received (the fake's
transcript), what was recorded per call, and what happened in the shop.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import marshal
import os
import string
import subprocess
import sys
import types
from collections.abc import Callable
from typing import Any

from autograder.hidden import HiddenTests
from course.llm import FakeModel, Reply, use_model
from course.prompts import read_template
from course.shop import Shop, ShopPolicy, get_scenario, outcome_of, shop_brain, use

hidden = HiddenTests("02")

_NAME = "support_agent"
_OTHER = {"shop_name": "Nimbus Kites", "refund_window_days": 45, "approval_limit": 250.0, "currency": "EUR"}


def _other_policy() -> ShopPolicy:
    return ShopPolicy.load().model_copy(update=_OTHER)


def _rendered(policy: ShopPolicy) -> str:
    """The support prompt rendered for `policy`, built here so the ask_model tests stand alone."""
    return string.Template(read_template(_NAME)).substitute(
        shop_name=policy.shop_name, refund_window_days=policy.refund_window_days,
        approval_limit=f"{policy.approval_limit:.2f}", currency=policy.currency)


# --- Exercise 2.1: render ---------------------------------------------------------------------

@hidden.test("render_fills_placeholders")
def render_fills_placeholders(render: Callable[..., Any]) -> None:
    cases = [
        ("Refunds within $days days.", {"days": 30}, "Refunds within 30 days."),
        ("Order ${n}th in $shop.", {"n": 5, "shop": "Brightside"}, "Order 5th in Brightside."),
        ("A refund above $$$limit needs approval.", {"limit": "100.00"}, "A refund above $100.00 needs approval."),
        ("It costs $$5 for $who.", {"who": "Maya"}, "It costs $5 for Maya."),
        ("No placeholders at all.", {}, "No placeholders at all."),
        ("$a$b and $a again", {"a": 1, "b": "x"}, "1x and 1 again"),
    ]
    for template, values, expected in cases:
        given = dict(values)
        got = render(template, given)
        assert got == expected, f"render({template!r}, {values!r}) returned {got!r}, expected {expected!r}"
        assert given == values, f"render({template!r}, ...) changed the values it was given: they are now {given!r}"
        again = render(template, dict(values))
        assert again == got, f"render({template!r}, {values!r}) returned {got!r}, then {again!r} for the same inputs"
    proxy = types.MappingProxyType({"days": 14})
    got = render("Within $days days.", proxy)
    assert got == "Within 14 days.", f"render(template, values) should accept any mapping of values; got {got!r}"
    template = read_template(_NAME)
    policy = ShopPolicy.load()
    values = {"shop_name": policy.shop_name, "refund_window_days": policy.refund_window_days,
              "approval_limit": "100.00", "currency": policy.currency}
    got = render(template, values)
    assert got == string.Template(template).substitute(values), (
        "render(read_template('support_agent'), values) did not return the template with each placeholder "
        "replaced by its value")


@hidden.test("render_names_missing_and_unused_values")
def render_names_missing_and_unused_values(render: Callable[..., Any], PromptError: type) -> None:
    assert isinstance(PromptError, type) and issubclass(PromptError, ValueError), \
        "PromptError should still be the exception class defined in the notebook (a ValueError)"

    def refused(template: str, values: dict[str, Any]) -> BaseException:
        try:
            got = render(template, values)
        except PromptError as error:
            return error
        except NotImplementedError:
            raise
        except Exception as error:  # noqa: BLE001 - a KeyError etc. is a wrong kind of error
            raise AssertionError(f"render({template!r}, {values!r}) raised {type(error).__name__}: {error}; "
                                 "it should raise PromptError") from None
        raise AssertionError(f"render({template!r}, {values!r}) returned {got!r}; it should raise PromptError")

    error = refused("Refunds within $refund_window_days days, above $$$approval_limit.", {"refund_window_days": 30})
    assert "approval_limit" in str(error), f"the PromptError for a missing value should name it; it said {str(error)!r}"
    error = refused("Hello $name, from ${shop}.", {})
    assert "name" in str(error) and "shop" in str(error), (
        f"with two values missing, the PromptError should name both; it said {str(error)!r}")
    error = refused("Within $days days.", {"days": 30, "dayz": 30})
    assert "dayz" in str(error), f"the PromptError for a value the template does not use should name it; it said {str(error)!r}"
    error = refused("No placeholders here.", {"currency": "USD"})
    assert "currency" in str(error), f"the PromptError for an unused value should name it; it said {str(error)!r}"


# --- Exercise 2.2: prompt_version -------------------------------------------------------------

@hidden.test("prompt_version_changes_iff_template_changes")
def prompt_version_changes_iff_template_changes(prompt_version: Callable[[str], Any]) -> None:
    template = read_template(_NAME)
    first = prompt_version(template)
    assert isinstance(first, str) and first, f"prompt_version should return a non-empty str, got {first!r}"
    assert prompt_version("".join(list(template))) == first, \
        "prompt_version gave a different id for the same text (an equal string built separately)"
    assert prompt_version(template) == first, "prompt_version gave two different ids for the same template"
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
        assert prompt_version(edited) != first, f"prompt_version gave the same id after a change: {what}"
    texts = [f"Refunds are possible up to {days} days after delivery." for days in range(1, 201)]
    ids = [prompt_version(text) for text in texts]
    assert len(set(ids)) == len(ids), "prompt_version gave the same id to different templates (200 one-line templates)"


def _digest_in_fresh_processes(function: Callable[[str], Any], texts: list[str]) -> list[list[Any]] | None:
    """`function` applied to `texts` in two fresh interpreters with different hash seeds, or None if it cannot run there."""
    try:
        spec = _ship(function, depth=0)
    except _Unshippable:
        return None
    payload = base64.b64encode(marshal.dumps({"function": spec, "texts": texts})).decode()
    path = [p for p in sys.path if isinstance(p, str)]
    results = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": os.pathsep.join(path), "PYTHONWARNINGS": "ignore"}
        try:
            done = subprocess.run([sys.executable, "-c", _CHILD], input=payload, capture_output=True, text=True,
                                  env=env, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        if done.returncode != 0:
            return None
        try:
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            return None
    return results


class _Unshippable(Exception):
    pass


def _ship(obj: Any, depth: int) -> tuple[Any, ...]:
    """A marshal-able description of a notebook function and the globals it uses."""
    if depth > 5:
        raise _Unshippable
    if isinstance(obj, types.ModuleType):
        return ("module", obj.__name__)
    if obj is None or isinstance(obj, (bool, int, float, str, bytes)):
        return ("value", obj)
    if isinstance(obj, types.FunctionType) and obj.__module__ == "__main__":
        if obj.__closure__:
            raise _Unshippable
        try:
            marshal.dumps((obj.__defaults__, obj.__kwdefaults__))
        except ValueError:
            raise _Unshippable from None
        names: set[str] = set()
        stack = [obj.__code__]
        while stack:
            code = stack.pop()
            names.update(code.co_names)
            stack.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
        globs = {name: _ship(obj.__globals__[name], depth + 1) for name in sorted(names) if name in obj.__globals__}
        return ("function", obj.__name__, marshal.dumps(obj.__code__), obj.__defaults__, obj.__kwdefaults__, globs)
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if isinstance(module, str) and module != "__main__" and isinstance(qualname, str) and "<" not in qualname:
        return ("import", module, qualname)
    raise _Unshippable


_CHILD = r'''
import base64, builtins, importlib, json, marshal, sys, types
payload = marshal.loads(base64.b64decode(sys.stdin.read()))
def build(spec):
    kind = spec[0]
    if kind == "module":
        return importlib.import_module(spec[1])
    if kind == "value":
        return spec[1]
    if kind == "import":
        obj = importlib.import_module(spec[1])
        for part in spec[2].split("."):
            obj = getattr(obj, part)
        return obj
    _, name, code, defaults, kwdefaults, globs = spec
    namespace = {"__builtins__": builtins, "__name__": "__main__"}
    function = types.FunctionType(marshal.loads(code), namespace, name, defaults)
    function.__kwdefaults__ = kwdefaults
    for key, sub in globs.items():
        namespace[key] = build(sub)
    return function
function = build(payload["function"])
print(json.dumps([function(text) for text in payload["texts"]]))
'''


class _Resalted(str):
    """The same text, with the per-process hash a string would have in another interpreter."""

    _salts = itertools.count(7919, 104729)

    def __hash__(self) -> int:
        return next(self._salts)


@hidden.test("prompt_version_is_stable_across_processes")
def prompt_version_is_stable_across_processes(prompt_version: Callable[[str], Any]) -> None:
    texts = [read_template(_NAME), "Refunds are possible up to 30 days after delivery.", ""]
    here = [prompt_version(text) for text in texts]
    message = ("prompt_version gave a different id for the same text in another Python process: an id in last "
               "week's logs must still name the same template today, on any machine")
    for text, expected in zip(texts, here):
        assert prompt_version(_Resalted(text)) == expected, message
    elsewhere = _digest_in_fresh_processes(prompt_version, texts)
    if elsewhere is not None:
        for ids in elsewhere:
            assert ids == json.loads(json.dumps(here)), message


# --- Exercise 2.3: system_prompt --------------------------------------------------------------

def _placeholders_left(text: str) -> list[str]:
    found = [m.group("named") or m.group("braced") for m in string.Template.pattern.finditer(text)]
    return [name for name in found if name]


@hidden.test("policy_numbers_come_from_the_shop_config")
def policy_numbers_come_from_the_shop_config(system_prompt: Callable[..., Any]) -> None:
    policy = ShopPolicy.load()
    text = system_prompt(policy).text
    assert isinstance(text, str), f"system_prompt(policy).text should be a str, got {type(text).__name__}"
    left = _placeholders_left(text)
    assert not left, f"the system prompt still contains placeholders: {', '.join('$' + name for name in left)}"
    for needle in ("Brightside Goods", "30 days", "$100", "USD"):
        assert needle in text, f"with the shop's policy, the system prompt should contain {needle!r}; it does not"
    assert system_prompt(policy).text == text, "system_prompt(policy) gave two different texts for the same policy"

    other = _other_policy()
    text = system_prompt(other).text
    for needle in ("Nimbus Kites", "45 days", "$250", "EUR"):
        assert needle in text, (f"with a policy whose values changed ({_OTHER}), the system prompt should contain "
                                f"{needle!r}; it does not")
    for stale in ("Brightside", "30 days", "$100", "USD"):
        assert stale not in text, (f"with a policy whose values changed ({_OTHER}), the system prompt still "
                                   f"contains {stale!r}: a number typed by hand, not read from the policy")
    text = system_prompt(policy.model_copy(update={"approval_limit": 99.5})).text
    assert "$99.5" in text, "with approval_limit=99.5 the system prompt should mention $99.50"

    with Shop.create(policy=other) as db, use(db):
        text = system_prompt(policy).text
    assert "30 days" in text and "Nimbus" not in text, \
        "system_prompt(policy) should use the policy it is given, not the current shop's"


@hidden.test("prompt_version_identifies_the_template")
def prompt_version_identifies_the_template(system_prompt: Callable[..., Any], prompt_version: Callable[[str], Any]) -> None:
    prompt = system_prompt(ShopPolicy.load())
    assert prompt.name == _NAME, f"system_prompt(policy).name should be {_NAME!r}, got {prompt.name!r}"
    expected = prompt_version(read_template(_NAME))
    assert prompt.version == expected, (
        f"system_prompt(policy).version is {prompt.version!r}, but prompt_version of the support_agent template "
        f"is {expected!r}: the version should identify the template")
    other = system_prompt(_other_policy())
    assert other.version == prompt.version, \
        "a policy with other values gave another version, but the template did not change"


# --- Exercise 2.4: ask_model ------------------------------------------------------------------

def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


@hidden.test("transcript_system_prompt_is_the_rendered_template")
def transcript_system_prompt_is_the_rendered_template(ask_model: Callable[..., Any], Prompt: type,
                                                       TOOL_SCHEMAS: list[dict[str, Any]]) -> None:
    prompt = Prompt(name=_NAME, version="test-version-1", text=_rendered(_other_policy()))
    ticket = get_scenario("damaged_item").ticket.render()
    conversation = [
        _user(ticket),
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_order", "arguments": '{"order_id": 1042}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"order_id": 1042, "total": 66.5}'},
    ]
    before = copy.deepcopy(conversation)
    log: list[Any] = []
    script = (Reply.tool_call("check_refund_policy", {"order_id": 1042, "amount": 18.5}), Reply.text("All done."))
    with use_model(FakeModel.scripted(*script)) as fake:
        message = ask_model(prompt, conversation, TOOL_SCHEMAS, log)
        assert conversation == before, "ask_model changed the messages it was given; the caller owns the conversation"
        request = fake.transcript.last_request
        assert request.system_prompt == prompt.text, "the system prompt the model received is not the prompt's text"
        sent = request.messages
        roles = [m.get("role") for m in sent]
        assert roles.count("system") == 1 and roles[0] == "system", (
            f"the model should receive one system message, first; it received roles {roles}")
        assert sent[1:] == before, "after the system message, the model should receive the given messages, unchanged and in order"
        names = [tool["function"]["name"] for tool in TOOL_SCHEMAS]
        assert request.tool_names == names, f"the model was offered {request.tool_names}, not the tools given ({names})"
        calls = getattr(message, "tool_calls", None)
        assert calls and calls[0].function.name == "check_refund_policy", \
            "ask_model should return the model's message (here, a call to check_refund_policy)"
        message = ask_model(prompt, [_user("Thanks!")], [], log)
        request = fake.transcript.last_request
        assert [m.get("role") for m in request.messages] == ["system", "user"], \
            "for a one-message conversation the model should receive the system prompt and that message"
        assert request.system_prompt == prompt.text, "the system prompt the model received is not the prompt's text"
        assert getattr(message, "content", None) == "All done.", "ask_model should return the model's message"
    assert len(fake.transcript) == 2, f"two calls of ask_model should call the model twice, not {len(fake.transcript)} times"


@hidden.test("prompt_version_recorded_on_every_call")
def prompt_version_recorded_on_every_call(ask_model: Callable[..., Any], Prompt: type, run_agent: Callable[..., Any],
                                          system_prompt: Callable[..., Any]) -> None:
    prompts = [Prompt(name="support_agent", version="v-one", text="You are a support agent."),
               Prompt(name="triage", version="v-two", text="Classify the ticket."),
               Prompt(name="support_agent", version="v-one", text="You are a support agent.")]
    log: list[Any] = []
    with use_model(FakeModel.scripted(*(Reply.text(f"answer {i}") for i in range(3)))) as fake:
        for prompt in prompts:
            ask_model(prompt, [_user("Where is my order?")], [], log)
    assert len(log) == 3, f"three calls of ask_model should add three records to the log, it has {len(log)}"
    for i, (record, prompt, tokens) in enumerate(zip(log, prompts, fake.transcript.prompt_tokens()), start=1):
        assert record.prompt == prompt.name, f"record {i} names prompt {record.prompt!r}, but call {i} used {prompt.name!r}"
        assert record.prompt_version == prompt.version, (
            f"record {i} has prompt_version {record.prompt_version!r}, but call {i} used a prompt whose version "
            f"is {prompt.version!r}")
        assert record.model == fake.transcript.requests[i - 1].model, f"record {i} does not name the model that answered"
        assert record.prompt_tokens == tokens, (
            f"record {i} says {record.prompt_tokens} prompt tokens, but the model reported {tokens} for that call")

    policy = _other_policy()
    scenario = get_scenario("damaged_item")
    with Shop.create(policy=policy) as db, use(db), use_model(FakeModel(shop_brain)) as fake:
        run = run_agent(scenario.ticket)
        outcome = outcome_of(db, scenario, called=[name for name, _ in fake.transcript.tool_calls()])
    expected = system_prompt(policy)
    requests = fake.transcript.requests
    assert outcome == "refunded", f"the agent should refund the broken mug; the outcome was {outcome!r}"
    assert len(run.calls) == len(requests), (
        f"the run called the model {len(requests)} times but recorded {len(run.calls)} calls")
    for i, (record, request) in enumerate(zip(run.calls, requests), start=1):
        assert record.prompt_version == expected.version and record.prompt == expected.name, (
            f"call {i} of the run recorded prompt {record.prompt!r} version {record.prompt_version!r}, "
            f"not the system prompt's ({expected.name!r}, {expected.version!r})")
        roles = [m.get("role") for m in request.messages]
        assert roles.count("system") == 1 and roles[0] == "system", (
            f"call {i} of the run sent {roles.count('system')} system messages; it should send exactly one, first")
        assert request.system_prompt == expected.text, \
            f"call {i} of the run did not send the system prompt rendered from the shop's policy"

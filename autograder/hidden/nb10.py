"""Hidden tests of lesson 10 (small, focused agents). Instructor side only.

Each test is registered on `hidden` under the grade id of its graded cell and takes the learner's
definitions as parameters, each one a `Remote` handle on the learner's object (autograder.boundary.remote).

What a verdict reads is the grader's own: the fake model's transcript (which requests were sent, with
which system prompt, which tools and which response schema), the shop database, the stored thread as
plain data, and the calls the grader's stand-ins receive. The expected prompts are rendered here from
the template files with `string.Template`, and the expected tools come from the grader's own table.

Each exercise is scored on its own. `classify` (10.1), `focused_agent` (10.2) and `prefetch` (10.3) are
tested alone; the tests of `run_agents` (10.4) put simple stand-ins in place of those three
(`Learner.stand_ins`). Four tests score the agent as a whole, with the given `launch` / `resume` on the
shop brain, against lesson 09's agent (the notebook's `stage_09` module) on the same drawn ticket.
"""

from __future__ import annotations

import hashlib
import json
import random
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from autograder.boundary.remote import (
    Learner,
    LearnerError,
    LearnerNotImplemented,
    RaiseInWorker,
    Remote,
)
from autograder.hidden import HiddenTests
from autograder.hidden.calls import attr as _attr
from autograder.hidden.calls import call as _call
from autograder.hidden.clock import Clock as _Clock
from autograder.hidden.clock import Jitter as _Jitter
from autograder.hidden.drawn import Records, effects_follow_calls, words
from autograder.hidden.runs import elsewhere as _elsewhere
from autograder.hidden.runs import events as _events
from autograder.hidden.runs import shown as _shown
from autograder.hidden.runs import times as _times
from autograder.hidden.runs import world as _world
from course.brain import shop_brain
from course.llm import FakeModel, Reply, model_name, use_model
from course.llm.faults import timeout
from course.llm.request import ChatRequest
from course.prompts import read_template
from course.shop import (
    DRAWN_OUTCOMES,
    PaymentProviderDown,
    Scenario,
    Shop,
    ShopPolicy,
    draw_scenario,
    outcome_of,
    use_shop,
)
from course.shop import tools as shop_tools

hidden = HiddenTests("10")


# --- the grader's world, clock and stand-in retries (as in lessons 08 and 09) ----------------------

@contextmanager
def _world_of(db: Shop, model: FakeModel) -> Iterator[Shop]:
    """`db` as the current shop, and `model`."""
    with use_shop(db), use_model(model):
        yield db


class _Retries:
    """A stand-in for with_retries that gives up at once, like an API that is down; it calls the sleep it is
    handed once, so the test hears whether the loop passed its own on."""

    def __init__(self, learner: Learner, rng: random.Random) -> None:
        self.clock, self.jitter = _Clock(), _Jitter(rng)
        self.down = learner.course("course.llm:api_error")(timeout())
        self.calls = 0

    def __call__(self, call: Remote, sleep: Remote | None = None, jitter: Remote | None = None, *args: Any,
                 **kwargs: Any) -> Remote:
        self.calls += 1
        sleep = kwargs.get("sleep", sleep)
        if sleep is not None:
            sleep(0.125)
        raise RaiseInWorker(self.down, "")

_AGENTS = ("refunds", "shipping", "account")
_TOOLS_OF = {
    "refunds": ("get_order", "check_refund_policy", "issue_refund", "request_approval", "send_message"),
    "shipping": ("track_shipment", "send_message", "ask_customer"),
    "account": ("update_address", "send_message", "ask_customer"),
}
_LABEL = {"refund": "refunds", "shipping": "shipping", "account": "account"}
_OUTCOMES_OF = {"refunds": ("refunded", "refused", "approval_required"), "shipping": ("answered",),
                "account": ("address_updated",)}
_MONOLITH = {"get_order", "check_refund_policy", "issue_refund", "track_shipment", "update_address", "send_message",
             "done", "request_approval", "ask_customer"}


def _offered(agent: str) -> set[str]:
    return {*_TOOLS_OF[agent], "done", "transfer_to_triage"}


def _label(case: Scenario) -> str:
    return _LABEL[case.category]


def _rendered(name: str, values: dict[str, object]) -> tuple[str, str]:
    """The grader's own rendering of a template file, and its version."""
    template = read_template(name)
    return string.Template(template).substitute(values), hashlib.sha256(template.encode("utf-8")).hexdigest()[:12]


def _agent_values(agent: str, policy: ShopPolicy) -> dict[str, object]:
    values: dict[str, object] = {"shop_name": policy.shop_name}
    if agent == "refunds":
        values |= {"refund_window_days": policy.refund_window_days, "approval_limit": f"{policy.approval_limit:.2f}",
                   "currency": policy.currency}
    return values


def _classifier(request: ChatRequest) -> bool:
    return request.response_schema is not None


def _labels_of(request: ChatRequest) -> list[str]:
    schema = request.response_schema or {}
    spec = (schema.get("properties") or {}).get("category") or {}
    return [str(label) for label in spec.get("enum") or []]


def _called(model: FakeModel) -> list[str]:
    return [name for name, _ in model.transcript.tool_calls()]


def _transfers(events: list[dict[str, Any]]) -> list[str]:
    return [e["name"].removeprefix("transfer_to_") for e in events
            if e["kind"] == "tool_result" and str(e.get("name", "")).startswith("transfer_to_")]


def _wrong(rng: random.Random, right: str, *besides: str) -> str:
    return rng.choice([agent for agent in _AGENTS if agent != right and agent not in besides])


# --- Exercise 10.1: classify ----------------------------------------------------------------------

@hidden.test("routing_is_right_on_drawn_tickets")
def routing_is_right_on_drawn_tickets(rng, classify):
    """Drawn tickets of every kind, the shop brain as the model: the right label, in exactly one call."""
    outcomes: list[Any] = list(DRAWN_OUTCOMES)
    rng.shuffle(outcomes)
    for outcome in outcomes:
        model = FakeModel(shop_brain)
        with _world(model) as db:
            case = draw_scenario(db, rng, outcome)
            got = _call(f"classify(<a drawn {case.category} ticket>)", classify, case.ticket).value
        assert got == _label(case), (
            f"classify(<a drawn ticket that asks for a {case.category}>) returned {got!r}, not {_label(case)!r}.")
        assert model.calls == 1, f"classify asked the model {_times(model.calls)}; triage is one small call."


@hidden.test("the_classifier_is_one_small_closed_call")
def the_classifier_is_one_small_closed_call(rng, classify):
    """The triage prompt as the system message, the ticket as the user message, no tools, a strict closed schema."""
    labels = [*rng.sample(_AGENTS, rng.randint(1, 3)), f"{words(rng)}_desk"]
    rng.shuffle(labels)
    answer = rng.choice(labels)
    model = FakeModel(lambda request: Reply.structured({"category": answer}))
    with _world(model) as db:
        case = draw_scenario(db, rng, rng.choice(DRAWN_OUTCOMES))
        got = _call(f"classify(ticket, {labels!r})", classify, case.ticket, labels).value
        want_prompt, _ = _rendered("triage", {"shop_name": db.policy.shop_name, "labels": ", ".join(labels)})
        want_model = model_name()
    assert model.calls == 1, f"classify(ticket, {labels!r}) asked the model {_times(model.calls)}, not once."
    request = model.transcript.requests[0]
    assert got == answer, f"The model answered {answer!r}; classify(ticket, {labels!r}) returned {got!r}."
    assert request.model == want_model, (
        f"classify asked for the model {request.model!r}, not {want_model!r}: pass model=model_name(), which names "
        "the model configured (the fake one offline).")
    assert not request.tools, (
        f"classify offered the model {len(request.tool_names)} tools ({', '.join(request.tool_names)[:80]}): the "
        "classifier's call offers none, it only answers a label.")
    spec = request.response_format or {}
    schema = spec.get("json_schema") or {}
    assert spec.get("type") == "json_schema" and schema.get("strict") is True, (
        f"classify asked for response_format {json.dumps(spec)[:120]}: ask for a strict json_schema, so the answer can "
        "only be a label.")
    assert _labels_of(request) == labels, (
        f"The schema's category offers {_labels_of(request)}, not the labels given, {labels}: use triage_schema(labels).")
    roles = [message.get("role") for message in request.messages]
    assert roles == ["system", "user"], (
        f"classify sent messages with roles {roles}: send the triage prompt (system) and the ticket (user), nothing "
        "else.")
    assert request.system_prompt == want_prompt, (
        f"classify's system message is {str(request.system_prompt)[:100]!r}…, not the triage template rendered with "
        "these labels: use triage_prompt(labels).text.")
    assert request.last_user_text == case.ticket.render(), "classify's user message is not the ticket: ticket.render()."


@hidden.test("an_answer_outside_the_labels_is_refused")
def an_answer_outside_the_labels_is_refused(rng, classify, ToolCallError):
    """A refusal, an answer cut short, and a label that is not offered: each a ToolCallError, never a label."""
    labels = list(_AGENTS)
    outside = f"{words(rng)}_team"
    replies = [("a refusal", Reply(content=None, refusal=f"I can't help with {words(rng)}.")),
               ("an answer cut short", Reply(content='{"category": "ref', finish_reason="length")),
               (f"the label {outside!r}", Reply(content=json.dumps({"category": outside}), finish_reason="length"))]
    rng.shuffle(replies)
    for what, reply in replies:
        model = FakeModel.scripted(reply)
        with _world(model) as db:
            case = draw_scenario(db, rng, rng.choice(DRAWN_OUTCOMES))
            try:
                got = classify(case.ticket, labels)
            except LearnerNotImplemented:
                raise
            except LearnerError as error:
                assert error.isa(ToolCallError), f"On {what}, classify raised {error.type}; raise ToolCallError."
                continue
        raise AssertionError(f"On {what}, classify returned {got.value!r}: an answer that is not one of the labels "
                             "is a ToolCallError, never a route.")


# --- Exercise 10.2: focused_agent -----------------------------------------------------------------

def _policy(rng: random.Random) -> ShopPolicy:
    return ShopPolicy(shop_name=f"{words(rng).title()} {rng.choice(('Goods', 'Supply', 'Works'))}",
                      support_email=f"help@{words(rng)}.example", refund_window_days=rng.randint(10, 90),
                      approval_limit=rng.choice((50.0, 75.5, 120.0, 250.0)),
                      currency=rng.choice(("EUR", "GBP", "CAD", "AUD")))  # never the default USD


@hidden.test("each_agent_has_its_own_prompt")
def each_agent_has_its_own_prompt(rng, focused_agent):
    """Each agent's prompt: `<name>_agent` rendered with the policy's values, its name and the template's version."""
    policy = _policy(rng)
    agents = list(_AGENTS)
    rng.shuffle(agents)
    for name in agents:
        agent = _call(f"focused_agent({name!r}, policy)", focused_agent, name, policy)
        named = _attr(agent, "name").value
        assert named == name, f"focused_agent({name!r}, policy).name is {named!r}, not {name!r}: the agent's own name."
        prompt = _attr(agent, "prompt").value
        text, version = _rendered(f"{name}_agent", _agent_values(name, policy))
        assert isinstance(prompt, dict) and prompt.get("text") == text, (
            f"focused_agent({name!r}, policy).prompt.text is {str((prompt or {}).get('text'))[:90]!r}…, not "
            f"{name}_agent.md rendered with the policy's values ({', '.join(_agent_values(name, policy))}).")
        assert prompt.get("name") == f"{name}_agent" and prompt.get("version") == version, (
            f"focused_agent({name!r}, policy).prompt is named {prompt.get('name')!r}, version {prompt.get('version')!r}; "
            f"use owned_prompt({name + '_agent'!r}, ...), which records the template's name and version.")


@hidden.test("each_agent_is_offered_only_its_tools")
def each_agent_is_offered_only_its_tools(rng, focused_agent, run_loop, new_thread):
    """Each agent in the loop, on a drawn ticket of its kind: its own tools, done and the hand-back, every call."""
    agents = list(_AGENTS)
    rng.shuffle(agents)
    for name in agents:
        model = FakeModel(shop_brain)
        with _world(model) as db:
            case = draw_scenario(db, rng, rng.choice(_OUTCOMES_OF[name]))
            before = Records.of(db)
            agent = _call(f"focused_agent({name!r}, policy)", focused_agent, name, db.policy)
            thread_id = new_thread(case.ticket).value
            _call(f"run_loop with the {name} agent", run_loop, thread_id, _attr(agent, "prompt"),
                  intents=_attr(agent, "intents"))
            got = outcome_of(db, case, called=_called(model))
            effects_follow_calls(db, model.transcript.tool_calls(), before, where=f"With the {name} agent")
            text, _ = _rendered(f"{name}_agent", _agent_values(name, db.policy))
        want = _offered(name)
        for number, request in enumerate(model.transcript.requests, 1):
            offered = set(request.tool_names)
            assert offered == want, (
                f"The {name} agent's call {number} offered {sorted(offered)}; offer its own tools, done and "
                f"transfer_to_triage: {sorted(want)}" + (f" (not {sorted(offered - want)})" if offered - want else "")
                + (f" (missing {sorted(want - offered)})" if want - offered else "") + ".")
            assert request.system_prompt == text, f"The {name} agent's call {number} was not sent its own prompt."
        assert got == case.expected.outcome, (
            f"The {name} agent on a drawn ticket that should end {case.expected.outcome!r} ended {got!r}.")


# --- Exercise 10.3: prefetch ----------------------------------------------------------------------

def _quiet() -> FakeModel:
    return FakeModel(lambda request: Reply.text("The model was not to be asked."))


def _with_body(case: Scenario, body: str) -> Any:
    return case.ticket.model_copy(update={"body": body})


@hidden.test("prefetch_looks_up_what_the_agent_needs")
def prefetch_looks_up_what_the_agent_needs(rng, prefetch, new_thread, load_thread):
    """refunds: get_order, shipping: track_shipment, on the last order the ticket names; account: nothing.

    Each lookup twice: once with an older order of a higher number named first in the body (the last one counts,
    not the highest), once with the order named in the subject only (the whole ticket is read, ticket.render())."""
    refund = rng.choice(("refunded", "refused", "approval_required"))
    cases = [("refunds", refund, "get_order", "body"), ("refunds", refund, "get_order", "subject"),
             ("shipping", "answered", "track_shipment", "body"), ("shipping", "answered", "track_shipment", "subject"),
             ("account", "address_updated", None, "body")]
    rng.shuffle(cases)
    for agent, outcome, tool, where in cases:
        model = _quiet()
        with _world(model) as db:
            case = draw_scenario(db, rng, outcome)
            ticket = case.ticket
            if tool is not None and where == "body":  # an older order, of a higher number, named first
                older = rng.randrange(case.order_id + 1, case.order_id + 10_000)
                ticket = _with_body(case, f"(My order {older} last spring was fine.)\n\n{case.ticket.body}")
            elif tool is not None:  # the order named in the subject, nowhere else
                ticket = case.ticket.model_copy(update={
                    "subject": f"{case.ticket.subject} (order #{case.order_id})",
                    "body": f"Hello, please see the subject. It is about the {words(rng)} I ordered.\n\nThanks"})
            thread_id = new_thread(ticket).value
            returned = _call(f"prefetch(thread_id, {agent!r})", prefetch, thread_id, agent).value
            events = _events(load_thread, thread_id)
            want = None
            if tool is not None:
                found = getattr(shop_tools, tool)(case.order_id)
                want = json.loads(found.model_dump_json())
        assert model.calls == 0, f"prefetch asked the model {_times(model.calls)}: it is code, before any model call."
        if tool is None:
            assert not events and returned is None, (
                f"prefetch(thread_id, {agent!r}) stored {_shown(events)} and returned {returned!r}; the {agent} agent "
                "needs no lookup (PREFETCH has none): store nothing, return None.")
            continue
        if _shown(events)[:1] == [f"tool_call:{tool}"]:
            arguments = json.loads(events[0].get("arguments") or "{}")
            assert arguments == {"order_id": case.order_id}, (
                f"prefetch looked up {arguments}; the order the ticket names last is {case.order_id}"
                + (", named only in its subject: read the whole ticket, ticket.render()." if where == "subject" else
                   ", after an older one with a higher number: the last one named, found[-1]."))
        assert _shown(events) == [f"tool_call:{tool}", f"tool_result:{tool}"], (
            f"prefetch(thread_id, {agent!r}) stored {_shown(events)}; store the {tool} call, then act's result"
            + (" (the order is named only in the ticket's subject: read ticket.render())." if where == "subject" and not events
               else "."))
        assert json.loads(events[1].get("result") or "null") == want, (
            f"prefetch stored a {tool} result that is not what the shop answers for order {case.order_id}.")
        assert isinstance(returned, dict) and returned.get("kind") == "tool_result", (
            f"prefetch returned {returned!r}; return the event act returned.")


@hidden.test("prefetch_stores_a_missing_order_as_an_error")
def prefetch_stores_a_missing_order_as_an_error(rng, prefetch, new_thread, load_thread):
    """An order that does not exist: the call and a short error, no exception; no order named: nothing."""
    model = _quiet()
    with _world(model) as db:
        case = draw_scenario(db, rng, "ask_customer")  # the ticket quotes an order that does not exist
        thread_id = new_thread(case.ticket).value
        returned = _call("prefetch(thread_id, 'refunds') on a missing order", prefetch, thread_id, "refunds").value
        events = _events(load_thread, thread_id)
    assert _shown(events) == ["tool_call:get_order", "tool_error:get_order"], (
        f"On an order that does not exist, prefetch stored {_shown(events)}; store the call and the error act stores.")
    error = str(events[1].get("error", ""))
    assert "\n" not in error and len(error) <= 200 and str(case.order_id) in error, (
        f"The stored error is {error[:120]!r}: act's short error, naming the order.")
    assert isinstance(returned, dict) and returned.get("kind") == "tool_error", f"prefetch returned {returned!r}."
    agent = rng.choice(("refunds", "shipping"))
    body = rng.choice(("Hi, where is my parcel? I have not had any news.",
                       f"Hello, the {words(rng)} I bought is broken; can I have my money back?"))
    with _world(_quiet()) as db:
        case = draw_scenario(db, rng, "answered")
        thread_id = new_thread(_with_body(case, body)).value
        returned = _call(f"prefetch(thread_id, {agent!r}) on a ticket with no order number", prefetch, thread_id,
                         agent).value
        events = _events(load_thread, thread_id)
    assert not events and returned is None, (
        f"On a ticket that names no order, prefetch stored {_shown(events)}: nothing to look up, store nothing.")


# --- Exercise 10.4: run_agents, with stand-ins -------------------------------------------------------

class _Classify:
    """A stand-in for classify: answers `answers` in order (a callable gets the labels), recording the labels."""

    def __init__(self, answers: list[str] | Callable[[list[str]], str]) -> None:
        self.answers = answers
        self.asked: list[list[str]] = []
        self.retried: list[bool] = []  # for each call, whether it came through the grader's with_retries
        self.retrying = False

    def __call__(self, ticket: Remote, labels: Remote | None = None) -> str:
        offered = list(_AGENTS) if labels is None else [str(label) for label in labels.value]
        self.asked.append(offered)
        self.retried.append(self.retrying)
        if callable(self.answers):
            return self.answers(offered)
        return self.answers[min(len(self.asked), len(self.answers)) - 1]


class _Focused:
    """A stand-in for focused_agent: an Agent built in the worker with a marked prompt and the grader's tools."""

    def __init__(self, learner: Learner, mark: str) -> None:
        self.learner, self.mark = learner, mark
        self.asked: list[str] = []
        self.policies: list[Any] = []

    def prompt(self, name: str) -> str:
        return f"You handle {name} tickets ({self.mark})."

    def __call__(self, name: Remote, policy: Remote | None = None) -> Remote:
        agent = str(name.value)
        self.asked.append(agent)
        self.policies.append(None if policy is None else policy.value)
        learner = self.learner
        intents = {tool: learner["AGENT_INTENTS"][tool] for tool in _TOOLS_OF[agent]}
        intents |= {"done": learner["Done"], "transfer_to_triage": learner["Transfer"]}
        prompt = learner["Prompt"](name=f"{agent}_agent", version="stand-in", text=self.prompt(agent))
        return learner["Agent"](name=agent, prompt=prompt, intents=intents)


class _Prefetch:
    """A stand-in for prefetch: stores nothing, records each call, how many model calls came before it and the
    hand-offs the stored thread held then."""

    def __init__(self, learner: Learner, model: FakeModel) -> None:
        self.learner, self.model = learner, model
        self.asked: list[tuple[str, str, int]] = []
        self.handed: list[list[str]] = []

    def __call__(self, thread_id: Remote, agent: Remote) -> None:
        self.asked.append((str(thread_id.value), str(agent.value), self.model.calls))
        self.handed.append(_transfers(_events(self.learner["load_thread"], str(thread_id.value))))


class _PassRetries:
    """A stand-in for with_retries that makes the call once, and records whether it was handed the run's own
    sleep and jitter (it calls each once: the grader's clock and jitter hear it, anything else does not)."""

    def __init__(self, rng: random.Random, classify: _Classify) -> None:
        self.clock, self.jitter, self.classify = _Clock(), _Jitter(rng), classify
        self.given: list[bool] = []

    def __call__(self, call: Remote, sleep: Remote | None = None, jitter: Remote | None = None, *args: Any,
                 **kwargs: Any) -> Remote:
        sleep, jitter = kwargs.get("sleep", sleep), kwargs.get("jitter", jitter)
        heard = len(self.clock.waits), len(self.jitter.given)
        if sleep is not None:
            sleep(0.0)
        if jitter is not None:
            jitter()
        self.given.append((len(self.clock.waits), len(self.jitter.given)) == (heard[0] + 1, heard[1] + 1))
        self.classify.retrying = True
        try:
            return call()
        finally:
            self.classify.retrying = False


@contextmanager
def _stood_in(learner: Learner, rng: random.Random, model: FakeModel,
              answers: list[str] | Callable[[list[str]], str]) -> Iterator[tuple[_Classify, _Focused, _Prefetch]]:
    classify, focused, prefetch = _Classify(answers), _Focused(learner, words(rng, 2)), _Prefetch(learner, model)
    with learner.stand_ins(classify=classify, focused_agent=focused, prefetch=prefetch):
        yield classify, focused, prefetch


def _requests_of(model: FakeModel, focused: _Focused, agent: str, where: str) -> None:
    for number, request in enumerate(model.transcript.requests, 1):
        offered = set(request.tool_names)
        assert offered == _offered(agent) and request.system_prompt == focused.prompt(agent), (
            f"{where}, model call {number} offered {sorted(offered)} with the prompt "
            f"{str(request.system_prompt)[:60]!r}: run the {agent} agent, run_loop(thread_id, focused.prompt, "
            "intents=focused.intents, ...), with what focused_agent returned.")


@hidden.test("triage_hands_the_ticket_to_one_agent")
def triage_hands_the_ticket_to_one_agent(rng, run_agents, new_thread, load_thread, learner):
    """A new thread: classify once among all agents (through with_retries), transfer stored first, prefetch once,
    then that agent runs, made for the policy given, its loop on the sleep and jitter given."""
    outcomes: list[Any] = list(DRAWN_OUTCOMES)
    rng.shuffle(outcomes)
    for outcome in outcomes[:3]:
        model = FakeModel(shop_brain)
        with _world(model) as db:
            case = draw_scenario(db, rng, outcome)
            label = _label(case)
            before = Records.of(db)
            policy = db.policy.model_copy(update={"shop_name": f"{words(rng).title()} {words(rng).title()} Shop"})
            with _stood_in(learner, rng, model, [label]) as (classify, focused, prefetch):
                retries = _PassRetries(rng, classify)
                with learner.stand_ins(with_retries=retries):
                    thread_id = new_thread(case.ticket).value
                    status = _call(f"run_agents on a new {case.category} ticket", run_agents, thread_id, policy,
                                   sleep=retries.clock, jitter=retries.jitter).value
                events = _events(load_thread, thread_id)
                got = outcome_of(db, case, called=_called(model))
                effects_follow_calls(db, model.transcript.tool_calls(), before, where="With run_agents")
        where = f"On a new {case.category} ticket"
        assert classify.asked == [list(_AGENTS)] or (len(classify.asked) == 1 and
                                                      sorted(classify.asked[0]) == sorted(_AGENTS)), (
            f"{where}, classify was asked {classify.asked}: once, among all of AGENTS.")
        assert classify.retried == [True], (
            f"{where}, classify was called outside with_retries: with_retries(lambda: classify(...), sleep, jitter).")
        assert _shown(events)[:2] == [f"tool_call:transfer_to_{label}", f"tool_result:transfer_to_{label}"], (
            f"{where}, the thread starts {_shown(events)[:3]}: store the hand-off, transfer(thread_id, agent, reason), "
            "before the agent's first step.")
        assert [(t, a) for t, a, _ in prefetch.asked] == [(thread_id, label)] and prefetch.asked[0][2] == 0, (
            f"{where}, prefetch was called {[(a, n) for _, a, n in prefetch.asked]} (agent, model calls before it): "
            f"once, prefetch(thread_id, {label!r}), after the transfer and before the agent's first model call.")
        assert prefetch.handed == [[label]], (
            f"{where}, when prefetch was called the thread held the hand-offs {prefetch.handed[0]}: transfer first, "
            "so the lookup is stored after the hand-off, in the agent's part of the thread.")
        assert focused.asked and set(focused.asked) == {label}, (
            f"{where}, focused_agent was asked for {focused.asked}; run the agent triage chose, {label!r}.")
        made_for = [given.get("shop_name") if isinstance(given, dict) else given for given in focused.policies]
        assert made_for and set(made_for) == {policy.shop_name}, (
            f"{where}, run_agents(thread_id, policy) made the agent for the shops {made_for}, not {policy.shop_name!r}: "
            "focused_agent(agent, policy), with the policy given.")
        assert retries.given and all(retries.given), (
            f"{where}, {retries.given.count(False)} of the {len(retries.given)} calls to with_retries were not handed "
            "the sleep and jitter run_agents was given: pass them on, to with_retries and to run_loop(..., sleep=sleep, "
            "jitter=jitter).")
        _requests_of(model, focused, label, where)
        assert got == case.expected.outcome and status in ("done", "waiting"), (
            f"{where}, run_agents returned {status!r} and the ticket ended {got!r}, not {case.expected.outcome!r}.")


@hidden.test("a_stored_hand_off_is_not_triaged_again")
def a_stored_hand_off_is_not_triaged_again(rng, run_agents, new_thread, load_thread, transfer, record_answer,
                                           approval_answer, learner):
    """A thread an agent holds goes to it directly: a stored transfer, and a resume after a person's approval."""
    model = FakeModel(shop_brain)
    with _world(model) as db:
        case = draw_scenario(db, rng, rng.choice(("answered", "address_updated", "refunded")))
        label = _label(case)
        with _stood_in(learner, rng, model, lambda labels: _wrong(rng, label)) as (classify, focused, prefetch):
            thread_id = new_thread(case.ticket).value
            _call("transfer(thread_id, agent, reason)", transfer, thread_id, label, f"Sent by {words(rng)}.")
            status = _call("run_agents on a thread already handed off", run_agents, thread_id).value
            got = outcome_of(db, case, called=_called(model))
    where = f"On a thread already handed to {label}"
    assert not classify.asked and not prefetch.asked, (
        f"{where}, classify was asked {len(classify.asked)} time(s) and prefetch {len(prefetch.asked)}: an agent holds "
        "the thread (holder_of), so it goes straight to that agent, with no new triage.")
    _requests_of(model, focused, label, where)
    assert got == case.expected.outcome, f"{where}, run_agents returned {status!r}, the ticket ended {got!r}."
    model = FakeModel(shop_brain)
    with _world(model) as db:
        case = draw_scenario(db, rng, "approval_required")
        with _stood_in(learner, rng, model, ["refunds"]) as (classify, focused, prefetch):
            thread_id = new_thread(case.ticket).value
            first = _call("run_agents on a refund above the limit", run_agents, thread_id).value
            answer = _call("approval_answer(thread_id, approved=True)", approval_answer, thread_id, approved=True)
            _call("record_answer(thread_id, approval)", record_answer, thread_id, answer)
            second = _call("run_agents after the approval", run_agents, thread_id).value
            rows = int(db.conn.execute("SELECT count(*) FROM refunds WHERE order_id = ?", (case.order_id,)).fetchone()[0])
    assert first == "waiting" and second == "done" and rows == 1, (
        f"A refund above the limit: run_agents returned {first!r}, then {second!r} after the approval, with {rows} "
        "refunds; it should wait for the person, then refund once.")
    assert len(classify.asked) == 1 and len(prefetch.asked) == 1, (
        f"Across the pause, classify was asked {_times(len(classify.asked))} and prefetch {_times(len(prefetch.asked))}: "
        "once each; after the approval the thread is still the refunds agent's.")


@hidden.test("a_misroute_bounces_once_then_escalates")
def a_misroute_bounces_once_then_escalates(rng, run_agents, new_thread, load_thread, learner):
    """Wrong then right: served after one hand-back; wrong twice: a person, without a third classification."""
    model = FakeModel(shop_brain)
    with _world(model) as db:
        case = draw_scenario(db, rng, rng.choice(("answered", "address_updated", "refunded")))
        label = _label(case)
        wrong = _wrong(rng, label)
        before = Records.of(db)
        with _stood_in(learner, rng, model, [wrong, label]) as (classify, _focused, _prefetch):
            thread_id = new_thread(case.ticket).value
            status = _call("run_agents with a classifier wrong once", run_agents, thread_id).value
            events = _events(load_thread, thread_id)
            got = outcome_of(db, case, called=_called(model))
            effects_follow_calls(db, model.transcript.tool_calls(), before, where="After a misroute")
    where = f"A {case.category} ticket first sent to {wrong}"
    assert len(classify.asked) == 2 and sorted(classify.asked[1]) == sorted(a for a in _AGENTS if a != wrong), (
        f"{where}: classify was asked {classify.asked}; after the hand-back, ask again among the agents that have "
        f"not had it (not {wrong!r}).")
    assert _transfers(events) == [wrong, "triage", label], (
        f"{where}: the hand-offs stored are {_transfers(events)}, not {[wrong, 'triage', label]}.")
    assert got == case.expected.outcome and status in ("done", "waiting"), (
        f"{where}: run_agents returned {status!r}, the ticket ended {got!r}, not {case.expected.outcome!r}.")
    model = FakeModel(shop_brain)
    with _world(model) as db:
        case = draw_scenario(db, rng, rng.choice(("answered", "address_updated", "refunded")))
        label = _label(case)
        first = _wrong(rng, label)
        second = _wrong(rng, label, first)
        before = Records.of(db)
        with _stood_in(learner, rng, model, [first, second, label]) as (classify, _focused, _prefetch):
            thread_id = new_thread(case.ticket).value
            status = _call("run_agents with a classifier wrong twice", run_agents, thread_id).value
            events = _events(load_thread, thread_id)
            got = outcome_of(db, case, called=_called(model))
        after = Records.of(db)
    where = f"A {case.category} ticket sent to {first}, then to {second}"
    assert len(classify.asked) == 2, (
        f"{where}: classify was asked {_times(len(classify.asked))}; after the second hand-back, escalate: no third try.")
    assert status == "waiting" and _shown(events)[-1:] == ["tool_call:escalate"], (
        f"{where}: run_agents returned {status!r}, the thread ending {_shown(events)[-1:]}; the second hand-back "
        "goes to a person: return escalate(thread_id, reason).")
    reason = json.loads(events[-1].get("arguments") or "{}").get("reason", "")
    assert first in reason and second in reason, (
        f"{where}: the escalation says {reason!r}; name the agents that handed it back.")
    assert got == "nothing" and after == before, (
        f"{where}: the shop shows {got!r}; a misrouted ticket should change nothing before a person takes it.")


@hidden.test("an_unreachable_classifier_leaves_the_thread_working")
def an_unreachable_classifier_leaves_the_thread_working(rng, run_agents, new_thread, load_thread, learner):
    """classify through with_retries with the loop's sleep and jitter; given up: 'working', nothing stored."""
    model = FakeModel(shop_brain)
    with _world(model) as db:
        case = draw_scenario(db, rng, rng.choice(("answered", "address_updated")))
        label = _label(case)
        with _stood_in(learner, rng, model, [label]) as (classify, _focused, _prefetch):
            retries = _Retries(learner, rng)
            with learner.stand_ins(with_retries=retries):
                thread_id = new_thread(case.ticket).value
                status = _call("run_agents with the model API down", run_agents, thread_id, sleep=retries.clock,
                               jitter=retries.jitter).value
                events = _events(load_thread, thread_id)
            assert retries.calls >= 1 and retries.clock.waits[:1] == [0.125], (
                f"run_agents asked with_retries {_times(retries.calls)} (waits {retries.clock.waits}): classify "
                "through with_retries(lambda: classify(...), sleep, jitter), with the sleep and jitter given.")
            assert status == "working" and not events and model.calls == 0, (
                f"With the model API down, run_agents returned {status!r} and stored {_shown(events)}: return "
                "'working' and store nothing; the thread is triaged later.")
            status = _call("run_agents once the API is back", run_agents, thread_id).value
            events = _events(load_thread, thread_id)
    assert _transfers(events)[:1] == [label] and len(classify.asked) == 1 and status == "done", (
        f"Run again once the API was back, run_agents stored the hand-offs {_transfers(events)} and returned {status!r}.")


# --- The agent as a whole ------------------------------------------------------------------------------

def _routed(model: FakeModel, case: Scenario, where: str) -> None:
    """One classifier call first, among all the agents; every other call offers the tools of the agent that holds it."""
    requests = model.transcript.requests
    triage = [i for i, request in enumerate(requests) if _classifier(request)]
    assert triage == [0], (
        f"{where}, the classifier was asked on calls {[i + 1 for i in triage]}: once, first.")
    assert not requests[0].tools and sorted(_labels_of(requests[0])) == sorted(_AGENTS), (
        f"{where}, the classifier call offered tools {requests[0].tool_names} and labels {_labels_of(requests[0])}.")
    want = _offered(_label(case))
    for number, request in enumerate(requests[1:], 2):
        assert set(request.tool_names) == want, (
            f"{where}, call {number} offered {sorted(request.tool_names)}, not the {_label(case)} agent's "
            f"{sorted(want)}.")


@hidden.test("agent_routes_drawn_tickets")
def agent_routes_drawn_tickets(rng, launch, load_thread):
    """Every drawn outcome through launch: routed once, each call offered its agent's tools, each outcome reached."""
    outcomes: list[Any] = list(DRAWN_OUTCOMES)
    rng.shuffle(outcomes)
    for outcome in outcomes:
        model = FakeModel(shop_brain)
        with _world(model) as db:
            case = draw_scenario(db, rng, outcome)
            before = Records.of(db)
            thread_id = _call(f"launch on a drawn {outcome} ticket", launch, case.ticket).value
            events = _events(load_thread, thread_id)
            got = outcome_of(db, case, called=_called(model))
            effects_follow_calls(db, model.transcript.tool_calls(), before, where=f"On a drawn {outcome} ticket")
        where = f"On a drawn {outcome} ticket"
        _routed(model, case, where)
        assert _transfers(events)[:1] == [_label(case)], f"{where}, the hand-offs stored are {_transfers(events)}."
        assert got == outcome, f"{where}, the agent's outcome was {got!r}."
    outage = f"Payment provider {words(rng)} is down (HTTP 503)."
    model = FakeModel(shop_brain)
    with _world(model) as db:  # lesson 09's rule still holds behind triage: three errors in a row, a person
        case = draw_scenario(db, rng, "refunded")
        db.fail_next("issue_refund", PaymentProviderDown(outage), times=50)
        thread_id = _call("launch with the payment provider down", launch, case.ticket).value
        events = _events(load_thread, thread_id)
    tried = sum(1 for e in events if e["kind"] == "tool_call" and e["name"] == "issue_refund")
    assert tried == 3 and _shown(events)[-1:] == ["tool_call:escalate"], (
        f"With the payment provider down, the refunds agent tried the refund {_times(tried)} and left "
        f"{_shown(events)[-1:]}: lesson 09's escalation after three errors in a row still holds.")


def _twin(seed: int, outcome: Any) -> tuple[Shop, Scenario]:
    db = Shop.create()
    return db, draw_scenario(db, random.Random(seed), outcome)


def _per_call(model: FakeModel) -> float:
    tokens = model.transcript.prompt_tokens()
    return sum(tokens) / len(tokens) if tokens else 0.0


@hidden.test("focused_calls_are_smaller_than_the_monolith")
def focused_calls_are_smaller_than_the_monolith(rng, launch, learner):
    """The same drawn ticket, lesson 09's agent and the focused ones: fewer prompt tokens and tools per call."""
    outcome = rng.choice(DRAWN_OUTCOMES)
    seed = rng.getrandbits(32)
    monolith = _attr(learner["stage_09"], "launch")
    runs: dict[str, FakeModel] = {}
    for name, go in (("lesson 09's agent", monolith), ("the focused agents", launch)):
        model = FakeModel(shop_brain)
        db, case = _twin(seed, outcome)
        with db, _world_of(db, model):
            _call(f"{name} on a drawn {outcome} ticket", go, case.ticket)
            got = outcome_of(db, case, called=_called(model))
        assert got == outcome, f"On a drawn {outcome} ticket, {name} ended {got!r}."
        runs[name] = model
    big, small = runs["lesson 09's agent"], runs["the focused agents"]
    assert big.calls and all(set(r.tool_names) == _MONOLITH for r in big.transcript.requests), (
        "Lesson 09's agent (stage_09.launch) did not offer its nine tools on every call: keep stage_09 as it is.")
    assert small.calls and _per_call(small) < _per_call(big), (
        f"On the same drawn {outcome} ticket, the focused agents sent {_per_call(small):,.0f} prompt tokens per call, "
        f"lesson 09's agent {_per_call(big):,.0f}: each call should be smaller.")
    most = max(len(r.tool_names) for r in small.transcript.requests)
    assert most < len(_MONOLITH), f"A focused call offered {most} tools; the monolith offers {len(_MONOLITH)}."


@hidden.test("the_hand_off_survives_a_restart")
def the_hand_off_survives_a_restart(rng, launch, load_thread, learner):
    """A refund waiting for approval, resumed in a fresh process: the refunds agent, no triage, one refund."""
    model = FakeModel(shop_brain)
    with _world(model) as db:
        case = draw_scenario(db, rng, "approval_required")
        thread_id = _call("launch on a refund above the limit", launch, case.ticket).value
        events = _events(load_thread, thread_id)
        later = FakeModel(shop_brain)
        with _world_of(db, later), _elsewhere(learner) as other:
            answer = _call("approval_answer(thread_id, approved=True)", other["approval_answer"], thread_id,
                           approved=True)
            status = _call("resume(thread_id, approval) in a fresh process", other["resume"], thread_id, answer).value
        rows = int(db.conn.execute("SELECT count(*) FROM refunds WHERE order_id = ?", (case.order_id,)).fetchone()[0])
    assert _transfers(events) == ["refunds"] and _shown(events)[-1:] == ["tool_call:request_approval"], (
        f"Before the restart the thread holds the hand-offs {_transfers(events)} and ends {_shown(events)[-1:]}.")
    assert not any(_classifier(request) for request in later.transcript.requests), (
        "Resumed in a fresh process, the thread was triaged again: the stored transfer_to_refunds says who holds it.")
    assert later.calls and all(set(r.tool_names) == _offered("refunds") for r in later.transcript.requests), (
        "Resumed in a fresh process, the model was not offered the refunds agent's tools.")
    assert status == "done" and rows == 1, f"After the approval the thread ended {status!r} with {rows} refunds."


@hidden.test("a_misrouted_ticket_still_reaches_its_outcome")
def a_misrouted_ticket_still_reaches_its_outcome(rng, launch, load_thread):
    """A classifier wrong once (its wrong label drawn among those offered): one hand-back, then the right agent."""
    answered: list[list[str]] = []

    def model_policy(request: ChatRequest) -> Reply:
        if not _classifier(request):
            return shop_brain(request)
        labels = _labels_of(request)
        answered.append(labels)
        if len(answered) == 1:
            return Reply.structured({"category": rng.choice([label for label in labels if label != right])})
        return shop_brain(request)

    model = FakeModel(model_policy)
    with _world(model) as db:
        case = draw_scenario(db, rng, rng.choice(("refunded", "answered", "address_updated")))
        right = _label(case)
        before = Records.of(db)
        thread_id = _call("launch with a classifier wrong once", launch, case.ticket).value
        events = _events(load_thread, thread_id)
        got = outcome_of(db, case, called=_called(model))
        effects_follow_calls(db, model.transcript.tool_calls(), before, where="After a misroute")
    handed = _transfers(events)
    assert len(answered) == 2 and len(handed) == 3 and handed[1:] == ["triage", right], (
        f"A {case.category} ticket first sent to the wrong agent: the hand-offs stored are {handed}, the classifier "
        f"asked {_times(len(answered))}; hand back once, then route again.")
    assert handed[0] not in answered[1], (
        f"The second classification offered {answered[1]}, with {handed[0]!r} that had handed the ticket back.")
    assert got == case.expected.outcome, f"After one misroute the ticket ended {got!r}, not {case.expected.outcome!r}."


__all__ = ["hidden"]

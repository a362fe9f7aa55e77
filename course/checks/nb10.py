"""Visible checks of lesson 10, small focused agents: `check("10.1")` … `check("10.4")`.

Cheap, public and worth no points; the hidden tests carry the points. Each check uses a fresh shop
and its own fake model, so it never touches the notebook's state. The checks of 10.4 run your
`run_agents` with simple stand-ins of their own for `classify`, `focused_agent`, `prefetch` and `with_retries`
(your functions are put back afterwards), so they judge the hand-off alone.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from typing import Any

from course.brain import shop_brain
from course.checks.helpers import given as _given
from course.checks.helpers import swapped as _swapped
from course.checks.helpers import world as _world
from course.grading import visible
from course.llm import FakeModel, Reply, api_error, model_name
from course.llm.faults import timeout
from course.prompts import read_template
from course.shop import SCENARIOS, ShopPolicy, outcome_of

_POLICY = ShopPolicy.load()
_AGENTS = ("refunds", "shipping", "account")
_TOOLS_OF = {
    "refunds": ("get_order", "check_refund_policy", "issue_refund", "request_approval", "send_message"),
    "shipping": ("track_shipment", "send_message", "ask_customer"),
    "account": ("update_address", "send_message", "ask_customer"),
}
_OF_KIND = {"refunds": "damaged_item", "shipping": "where_is_my_order", "account": "change_address"}


def _offered(agent: str) -> set[str]:
    return {*_TOOLS_OF[agent], "done", "transfer_to_triage"}


# --- 10.1 classify -----------------------------------------------------------------------------

@visible("10.1", hint="One call: system = triage_prompt(labels).text, user = ticket.render(), response_format with "
                      "triage_schema(labels); return json.loads(content)['category'].")
def routes_each_kind_of_ticket(classify, ns):
    for agent, name in _OF_KIND.items():
        with _world(FakeModel(shop_brain)) as _db:
            got = classify(SCENARIOS[name].ticket)
        assert got == agent, f"classify(<the {name} ticket>) returned {got!r}, not {agent!r}"


@visible("10.1", hint='model=model_name(); response_format={"type": "json_schema", "json_schema": {"name": "triage", '
                      '"strict": True, "schema": triage_schema(labels)}}; no tools.')
def the_call_is_small_and_closed(classify, ns):
    labels = ["shipping", "returns_desk"]
    model = FakeModel(lambda request: Reply.structured({"category": "returns_desk"}))
    with _world(model):
        got = classify(SCENARIOS["where_is_my_order"].ticket, labels)
        want = _given(ns, "triage_prompt")(labels).text
        want_model = model_name()
    assert got == "returns_desk", f"the model answered 'returns_desk'; classify returned {got!r}"
    assert model.calls == 1, f"classify asked the model {model.calls} times, not once"
    request = model.transcript.requests[0]
    assert request.model == want_model, f"classify asked for the model {request.model!r}, not model_name() ({want_model!r})"
    assert not request.tools, f"classify offered tools ({', '.join(request.tool_names)}): the classifier offers none"
    spec = request.response_format or {}
    assert spec.get("type") == "json_schema" and (spec.get("json_schema") or {}).get("strict") is True, (
        f"response_format is {json.dumps(spec)[:100]}: ask for a strict json_schema")
    enum = ((request.response_schema or {}).get("properties") or {}).get("category", {}).get("enum")
    assert enum == labels, f"the schema's labels are {enum}, not the labels given, {labels}"
    assert [m.get("role") for m in request.messages] == ["system", "user"], "send a system and a user message only"
    assert request.system_prompt == want, "the system message is not triage_prompt(labels).text"
    assert request.last_user_text == SCENARIOS["where_is_my_order"].ticket.render(), "the user message is not ticket.render()"


@visible("10.1", hint="Not JSON, or a label not in labels: raise ToolCallError.")
def answers_outside_the_labels_are_refused(classify, ns):
    error = _given(ns, "ToolCallError")
    for what, reply in (("a refusal", Reply(content=None, refusal="I can't help with that.")),
                        ("the label 'billing'", Reply(content='{"category": "billing"}', finish_reason="length"))):
        with _world(FakeModel.scripted(reply)):
            try:
                got = classify(SCENARIOS["damaged_item"].ticket, list(_AGENTS))
            except error:
                continue
        raise AssertionError(f"on {what}, classify returned {got!r} instead of raising ToolCallError")


# --- 10.2 focused_agent ------------------------------------------------------------------------

def _text(name: str, values: dict[str, object]) -> str:
    return string.Template(read_template(name)).substitute(values)


@visible("10.2", hint='Agent(name=name, ...); owned_prompt(f"{name}_agent", shop_name=...), and for refunds also '
                      'refund_window_days, approval_limit (f"{policy.approval_limit:.2f}") and currency, all from the policy given.')
def each_agent_has_its_own_prompt(focused_agent, ns):
    policy = ShopPolicy(shop_name="Larkspur Supply", support_email="help@larkspur.example", refund_window_days=45,
                        approval_limit=75.5, currency="EUR")
    for agent in _AGENTS:
        values: dict[str, object] = {"shop_name": policy.shop_name}
        if agent == "refunds":
            values |= {"refund_window_days": 45, "approval_limit": "75.50", "currency": "EUR"}
        made = focused_agent(agent, policy)
        assert made.name == agent, f"focused_agent({agent!r}, policy).name is {made.name!r}, not {agent!r}"
        prompt = made.prompt
        assert prompt.name == f"{agent}_agent", f"the {agent} agent's prompt is named {prompt.name!r}"
        assert prompt.text == _text(f"{agent}_agent", values), (
            f"the {agent} agent's prompt is not {agent}_agent.md rendered with the policy's values")


@visible("10.2", hint="{tool: AGENT_INTENTS[tool] for tool in TOOLS_OF[name]}, plus 'done': Done and HAND_BACK: Transfer.")
def each_agent_is_offered_only_its_tools(focused_agent, ns):
    for agent in _AGENTS:
        got = set(focused_agent(agent, _POLICY).intents)
        assert got == _offered(agent), (
            f"the {agent} agent is offered {sorted(got)}, not {sorted(_offered(agent))}")


@visible("10.2", hint="run_loop(thread_id, agent.prompt, intents=agent.intents) should serve a ticket of its kind.")
def each_agent_serves_its_kind_of_ticket(focused_agent, ns):
    for agent, name in _OF_KIND.items():
        model = FakeModel(shop_brain)
        with _world(model) as db:
            focused = focused_agent(agent, db.policy)
            thread_id = _given(ns, "new_thread")(SCENARIOS[name].ticket)
            _given(ns, "run_loop")(thread_id, focused.prompt, intents=focused.intents)
            got = outcome_of(db, SCENARIOS[name], called=[n for n, _ in model.transcript.tool_calls()])
        assert got == SCENARIOS[name].expected.outcome, f"the {agent} agent on {name} ended {got!r}"
        assert all(set(r.tool_names) == _offered(agent) for r in model.transcript.requests), (
            f"the {agent} agent was offered other tools than its own")


# --- 10.3 prefetch -----------------------------------------------------------------------------

def _prefetched(prefetch, ns, name: str, agent: str, ticket: Any = None) -> tuple[Any, list[Any], int]:
    model = FakeModel(lambda request: Reply.text("not to be asked"))
    with _world(model):
        thread_id = _given(ns, "new_thread")(ticket or SCENARIOS[name].ticket)
        returned = prefetch(thread_id, agent)
        events = _given(ns, "load_thread")(thread_id).events[1:]
    return returned, events, model.calls


@visible("10.3", hint="PREFETCH.get(agent) on the last ORDER_REF match in ticket.render() (not the highest, not the body "
                      "alone); store its ToolRequested, then act(...).")
def looks_up_what_the_agent_needs(prefetch, ns):
    for name, agent, tool, order in (("damaged_item", "refunds", "get_order", 1042),
                                     ("where_is_my_order", "shipping", "track_shipment", 1077)):
        ticket = SCENARIOS[name].ticket
        ticket = ticket.model_copy(update={"body": f"(Order 9013 was fine.)\n{ticket.body}"})
        returned, events, calls = _prefetched(prefetch, ns, name, agent, ticket)
        kinds = [f"{e.kind}:{e.name}" for e in events]
        if kinds[:1] == [f"tool_call:{tool}"]:
            assert json.loads(events[0].arguments) == {"order_id": order}, (
                f"prefetch looked up {events[0].arguments}, not the order the ticket names last ({order}; 9013 comes first)")
        assert kinds == [f"tool_call:{tool}", f"tool_result:{tool}"], f"prefetch(…, {agent!r}) on {name} stored {kinds}"
        assert calls == 0, "prefetch asked the model: it runs in code, before any model call"
        assert returned is not None and returned.kind == "tool_result", f"prefetch returned {returned!r}"
        subject = SCENARIOS[name].ticket.model_copy(update={"subject": f"Order #{order}", "body": "See the subject, please."})
        _returned, events, _ = _prefetched(prefetch, ns, name, agent, subject)
        looked = [json.loads(e.arguments) for e in events if e.kind == "tool_call"]
        assert looked == [{"order_id": order}], (
            f"on a ticket naming order {order} in its subject only, prefetch looked up {looked}: read ticket.render()")


@visible("10.3", hint="No lookup for the agent, or no order named: return None and store nothing.")
def nothing_to_look_up_stores_nothing(prefetch, ns):
    returned, events, _ = _prefetched(prefetch, ns, "change_address", "account")
    assert returned is None and not events, f"prefetch(…, 'account') stored {len(events)} events"
    plain = SCENARIOS["where_is_my_order"].ticket.model_copy(update={"body": "Where is my parcel? No news yet."})
    returned, events, _ = _prefetched(prefetch, ns, "where_is_my_order", "shipping", plain)
    assert returned is None and not events, f"on a ticket naming no order, prefetch stored {len(events)} events"


@visible("10.3", hint="act stores the error of an order that does not exist; prefetch does not raise.")
def a_missing_order_is_a_short_error(prefetch, ns):
    _returned, events, _ = _prefetched(prefetch, ns, "unknown_order", "refunds")
    kinds = [f"{e.kind}:{e.name}" for e in events]
    assert kinds == ["tool_call:get_order", "tool_error:get_order"], f"on an order that does not exist: {kinds}"


# --- 10.4 run_agents ---------------------------------------------------------------------------

class _Stand:
    """Stand-ins for 10.1-10.3 and lesson 09's with_retries: a classifier answering `answers` in order, a simple
    agent maker, a quiet prefetch, and a with_retries that makes the call once (or, `down`, gives up at once, like
    an API that cannot be reached). Each records what it was handed."""

    def __init__(self, ns, answers: list[str], down: bool = False) -> None:
        self.ns, self.answers, self.down = ns, answers, down
        self.asked: list[list[str]] = []
        self.retried: list[bool] = []          # for each classify, whether it came through with_retries
        self.prefetched: list[str] = []
        self.holders: list[str | None] = []    # holder_of(thread) when prefetch was called
        self.policies: list[Any] = []          # the policy each agent was made for
        self.given: list[bool] = []            # for each with_retries, whether it had the run's sleep and jitter
        self.waits: list[float] = []
        self.retrying = False
        self.sleep: Callable[[float], None] = self.waits.append
        self.jitter: Callable[[], float] = lambda: 0.5

    def classify(self, ticket, labels=_AGENTS):
        self.asked.append(list(labels))
        self.retried.append(self.retrying)
        return self.answers[min(len(self.asked), len(self.answers)) - 1]

    def focused_agent(self, name, policy=None):
        ns = self.ns
        self.policies.append(policy)
        intents = {tool: _given(ns, "AGENT_INTENTS")[tool] for tool in _TOOLS_OF[name]}
        intents |= {"done": _given(ns, "Done"), "transfer_to_triage": _given(ns, "Transfer")}
        prompt = _given(ns, "Prompt")(name=f"{name}_agent", version="check", text=f"You handle {name} tickets.")
        return _given(ns, "Agent")(name=name, prompt=prompt, intents=intents)

    def prefetch(self, thread_id, agent):
        self.prefetched.append(agent)
        self.holders.append(_given(self.ns, "holder_of")(_given(self.ns, "load_thread")(thread_id)))

    def with_retries(self, call, sleep=None, jitter=None, *args, **kwargs):
        sleep, jitter = kwargs.get("sleep", sleep), kwargs.get("jitter", jitter)
        self.given.append(sleep is self.sleep and jitter is self.jitter)
        if self.down:
            raise api_error(timeout())
        self.retrying = True
        try:
            return call()
        finally:
            self.retrying = False


_CHECK_SHOP = "Checkpoint Supply"


def _agents(run_agents, ns, name: str, answers: list[str], before: Callable[[str], None] | None = None,
            down: bool = False):
    """run_agents(thread_id, policy, sleep=, jitter=) on the scenario with stand-ins, the policy given naming the
    shop _CHECK_SHOP: (status, events after the ticket, stand-ins, model, outcome)."""
    stand, model = _Stand(ns, answers, down), FakeModel(shop_brain)
    swapped = {"classify": stand.classify, "focused_agent": stand.focused_agent, "prefetch": stand.prefetch,
               "with_retries": stand.with_retries}
    with _world(model) as db, _swapped(ns, **swapped):
        thread_id = _given(ns, "new_thread")(SCENARIOS[name].ticket)
        if before is not None:
            before(thread_id)
        policy = db.policy.model_copy(update={"shop_name": _CHECK_SHOP})
        status = run_agents(thread_id, policy, sleep=stand.sleep, jitter=stand.jitter)
        events = _given(ns, "load_thread")(thread_id).events[1:]
        got = outcome_of(db, SCENARIOS[name], called=[n for n, _ in model.transcript.tool_calls()])
    return status, events, stand, model, got


def _handed(events) -> list[str]:
    return [e.name.removeprefix("transfer_to_") for e in events if e.kind == "tool_result" and e.name.startswith("transfer_to_")]


@visible("10.4", hint="holder_of(thread) is None: with_retries(lambda: classify(thread.ticket, labels), sleep, jitter), "
                      "transfer(thread_id, agent, reason), then prefetch(thread_id, agent); then run_loop(..., sleep=sleep, "
                      "jitter=jitter) with focused_agent(agent, policy), the policy given.")
def a_new_ticket_is_triaged_then_served(run_agents, ns):
    status, events, stand, model, got = _agents(run_agents, ns, "where_is_my_order", ["shipping"])
    assert len(stand.asked) == 1 and sorted(stand.asked[0]) == sorted(_AGENTS), f"classify was asked {stand.asked}"
    assert stand.retried == [True], "classify was called outside with_retries(lambda: classify(...), sleep, jitter)"
    assert [f"{e.kind}:{e.name}" for e in events[:2]] == ["tool_call:transfer_to_shipping", "tool_result:transfer_to_shipping"], (
        "the thread does not start with the hand-off: transfer(thread_id, agent, reason)")
    assert stand.prefetched == ["shipping"], f"prefetch was called for {stand.prefetched}, not once for 'shipping'"
    assert stand.holders == ["shipping"], (
        f"when prefetch was called, holder_of(thread) was {stand.holders[0]!r}: transfer first, then prefetch")
    shops = [getattr(policy, "shop_name", None) for policy in stand.policies]
    assert shops and set(shops) == {_CHECK_SHOP}, (
        f"run_agents(thread_id, policy) made the agent for the shops {shops}, not {_CHECK_SHOP!r}: focused_agent(agent, policy)")
    assert stand.given and all(stand.given), (
        f"{stand.given.count(False)} of {len(stand.given)} calls to with_retries were not handed run_agents' own sleep and "
        "jitter: pass them to with_retries and to run_loop(..., sleep=sleep, jitter=jitter)")
    assert all(set(r.tool_names) == _offered("shipping") for r in model.transcript.requests), (
        "the model was not offered the shipping agent's tools")
    assert status == "done" and got == "answered", f"run_agents returned {status!r}; the ticket ended {got!r}"


@visible("10.4", hint="An agent already holds the thread (holder_of): run it, no classify, no prefetch.")
def a_stored_hand_off_is_not_triaged_again(run_agents, ns):
    def handed(thread_id: str) -> None:
        _given(ns, "transfer")(thread_id, "account", "Sent by a person.")
    _status, _events, stand, _model, got = _agents(run_agents, ns, "change_address", ["refunds"], handed)
    assert not stand.asked and not stand.prefetched, "a thread the account agent holds was triaged again"
    assert got == "address_updated", f"the account agent should have served it; the ticket ended {got!r}"


@visible("10.4", hint="Handed back: classify among the AGENTS not in handed_back(thread); more than MAX_BOUNCES: escalate.")
def a_misroute_bounces_once_then_escalates(run_agents, ns):
    status, events, stand, _model, got = _agents(run_agents, ns, "where_is_my_order", ["refunds", "shipping"])
    assert len(stand.asked) == 2 and "refunds" not in stand.asked[1], f"classify was asked {stand.asked}"
    assert _handed(events) == ["refunds", "triage", "shipping"] and got == "answered", (
        f"after one misroute the hand-offs are {_handed(events)} and the ticket ended {got!r}")
    status, events, stand, _model, got = _agents(run_agents, ns, "where_is_my_order", ["refunds", "account", "shipping"])
    assert len(stand.asked) == 2, f"after two hand-backs classify was asked {len(stand.asked)} times, not 2"
    assert status == "waiting" and events[-1].name == "escalate", (
        f"the second hand-back should escalate; run_agents returned {status!r}")
    reason = json.loads(events[-1].arguments).get("reason", "")
    assert "refunds" in reason and "account" in reason, f"the escalation {reason!r} does not name the agents"


@visible("10.4", hint="The classifier out of retries (RETRYABLE): return 'working' and store nothing; no escalation.")
def an_unreachable_classifier_leaves_the_thread_working(run_agents, ns):
    status, events, stand, model, _got = _agents(run_agents, ns, "where_is_my_order", ["shipping"], down=True)
    assert stand.given[:1] == [True], "classify was not called through with_retries(..., sleep, jitter), with the sleep and jitter given"
    assert status == "working" and not events and model.calls == 0, (
        f"with the model's API unreachable, run_agents returned {status!r} and stored "
        f"{[f'{e.kind}:{e.name}' for e in events]}: return 'working', store nothing; it is triaged on a later run")


__all__: list[str] = []  # the checks register themselves with course.grading.visible on import

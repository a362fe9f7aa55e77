"""Hidden tests of lesson 12 (make your agent a stateless reducer). Instructor side only.

Each test is registered on `hidden` under the grade id of its graded cell and takes the learner's
definitions as parameters, each one a `Remote` handle on the learner's object (autograder.boundary.remote).

What a verdict reads is the grader's own: states, effects and stored threads as plain data (their JSON
rendering), the events and choices the grader itself built and fed, the calls its stand-ins receive, the fake
model's transcript and the shop database. The expected state of a sequence of events, and the expected answer of
a step, are worked out here from plain data by the rules the notebook states (lessons 05, 08 and 09).

Each exercise is scored on its own. `evolve` / `replay` (12.1) are tested alone, on threads stored by lesson 11's
agent (the notebook's `stage_11` module) and on drawn sequences of events (property tests, seeded from the
grading's seed). The tests of `step` (12.2) put a simple stand-in in place of `evolve`; the tests of
`diverges_at` (12.3) hand it a reducer of the grader's own, which answers from a log the grader drew. Two tests
score the agent as a whole, with the given runtime, `launch` and `resume` on the shop brain.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from autograder.boundary.remote import Learner, LearnerError, LearnerNotImplemented, Remote
from autograder.hidden import HiddenTests
from autograder.hidden.calls import attr as _attr
from autograder.hidden.calls import call as _call
from autograder.hidden.drawn import Records, effects_follow_calls, runs, scenario_in, words
from autograder.hidden.runs import elsewhere as _elsewhere
from autograder.hidden.runs import events as _events
from autograder.hidden.runs import shown as _shown
from autograder.hidden.runs import times as _times
from autograder.hidden.runs import world as _world
from course.brain import shop_brain
from course.llm import FakeModel
from course.shop import DRAWN_OUTCOMES, SCENARIOS, PaymentProviderDown, ShopPolicy, Ticket, draw_scenario, outcome_of

hidden = HiddenTests("12")

_HUMAN = ("request_approval", "ask_customer", "escalate")
_MAX_ERRORS = 3
_TOOLS = ("get_order", "track_shipment", "check_refund_policy", "send_message", "update_address")
_LOOKUPS = ("get_order", "track_shipment")  # the tools that take an order id alone


def _ask(question: str) -> dict[str, Any]:
    return {"question": question, "options": [], "urgency": "normal", "channel": "email"}


# --- plain events, and what they fold to (lessons 05 and 09) --------------------------------------------------

def _ticket_event(ticket: Ticket) -> dict[str, Any]:
    return {"kind": "ticket", "subject": ticket.subject, "body": ticket.body, "customer_email": ticket.customer_email}


def _call_event(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "tool_call", "name": name, "arguments": json.dumps(arguments, separators=(",", ":"))}


def _result(name: str, result: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "tool_result", "name": name, "result": json.dumps(result)}


def _error(name: str, error: str) -> dict[str, Any]:
    return {"kind": "tool_error", "name": name, "error": error}


def _finished(summary: str) -> dict[str, Any]:
    return {"kind": "finished", "summary": summary}


def _fold(events: list[dict[str, Any]]) -> tuple[str, int]:
    """The status the last event says (lesson 05) and the errors in a row that end the events (lesson 09)."""
    status, errors = "working", 0
    for event in events:
        kind = event.get("kind")
        if kind == "finished":
            status = "done"
        elif kind == "tool_call":
            status = "waiting" if event.get("name") in _HUMAN else "interrupted"
        else:
            status = "working"
        if kind == "tool_error":
            errors += 1
        elif kind != "tool_call":
            errors = 0
    return status, errors


def _policy(rng: random.Random) -> ShopPolicy:
    return ShopPolicy(shop_name=f"{words(rng).title()} Goods", support_email=f"help@{words(rng)}.example",
                      refund_window_days=rng.randint(10, 90), approval_limit=rng.choice((50.0, 75.5, 120.0, 250.0)))


def _drawn_ticket(rng: random.Random) -> Ticket:
    with _world() as db:
        return draw_scenario(db, rng, rng.choice(DRAWN_OUTCOMES)).ticket


def _state(learner: Learner, ticket: Ticket, policy: ShopPolicy, events: list[dict[str, Any]]) -> Remote:
    """A State made in the worker from plain data, its status and errors folded here."""
    status, errors = _fold(events)
    return learner["State"].model_validate({"thread": {"ticket": ticket.model_dump(mode="json"), "events": events},
                                            "policy": policy.model_dump(mode="json"), "status": status,
                                            "errors": errors})


def _thread(learner: Learner, ticket: Ticket, events: list[dict[str, Any]]) -> Remote:
    return learner["Thread"].model_validate({"ticket": ticket.model_dump(mode="json"), "events": events})


def _event(learner: Learner, event: dict[str, Any]) -> Remote:
    return learner["EVENT"].validate_python(event)


def _dump(obj: Remote) -> Any:
    """The object's JSON rendering, read again now (a Remote keeps what it was first described as)."""
    return _attr(obj, "model_dump")(mode="json").value


def _same(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> bool:
    """Events equal as data, a call's arguments compared as JSON."""
    if len(got) != len(want):
        return False
    for a, b in zip(got, want, strict=False):
        if a.get("kind") == b.get("kind") == "tool_call":
            if a.get("name") != b.get("name") or _args(a) != _args(b):
                return False
        elif a != b:
            return False
    return True


def _args(event: dict[str, Any]) -> Any:
    try:
        return json.loads(event.get("arguments") or "null")
    except ValueError:
        return event.get("arguments")


def _prop(rng: random.Random, examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A property test's settings: a seed drawn from the grading's, few examples, no deadline, no shrinking."""
    def wrap(fn: Callable[..., None]) -> Callable[..., None]:
        tuned = settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
                         suppress_health_check=list(HealthCheck), print_blob=False)(fn)
        return seed(rng.getrandbits(64))(tuned)
    return wrap


_KINDS = ("tool_call", "tool_call", "tool_result", "tool_error", "tool_error", "finished", "earlier")
_NAMES = (*_TOOLS, "issue_refund", *_HUMAN)


def _drawn_event(kind: str, name: str, number: int) -> dict[str, Any]:
    if kind == "tool_call":
        return _call_event(name, {"order_id": number})
    if kind == "tool_result":
        return _result(name, {"order_id": number, "ok": True})
    if kind == "tool_error":
        return _error(name, f"ShopError: order {number} cannot be used now.")
    if kind == "finished":
        return _finished(f"Handled ticket {number}.")
    return {"kind": "earlier", "sender": "customer", "sent_on": "2026-10-01", "body": f"About order {number}."}


_EVENTS = st.lists(st.builds(_drawn_event, st.sampled_from(_KINDS), st.sampled_from(_NAMES), st.integers(1000, 9999)),
                   min_size=0, max_size=9)


# --- Exercise 12.1: evolve and replay -------------------------------------------------------------------------

def _replayed(what: str, replay: Remote, thread: Remote, policy: ShopPolicy) -> dict[str, Any]:
    got = _call(what, replay, thread, policy).value
    assert isinstance(got, dict) and isinstance(got.get("thread"), dict), f"{what} returned {got!r:.120}, not a State."
    return got


def _matches(got: dict[str, Any], events: list[dict[str, Any]], where: str) -> None:
    status, errors = _fold(events)
    held = got["thread"].get("events")
    assert isinstance(held, list) and _same(held, events), (
        f"{where}, the state's thread holds {_shown(held or [])[:6]}…, not the {len(events)} events folded, in order.")
    assert got.get("status") == status, f"{where}, the state's status is {got.get('status')!r}, not {status!r}."
    assert got.get("errors") == errors, (
        f"{where}, the state counts {got.get('errors')!r} errors in a row; the events end with {errors}.")


@hidden.test("replay_gives_a_stored_thread_its_state")
def replay_gives_a_stored_thread_its_state(rng, replay, load_thread, learner):
    """Threads lesson 11's agent stored (drawn tickets, one with the payment provider down): replayed exactly."""
    reference = _attr(learner["stage_11"], "launch")
    outcomes: list[Any] = rng.sample(list(DRAWN_OUTCOMES), 3)
    for outcome in [*outcomes, "outage"]:
        with _world() as db:
            case = draw_scenario(db, rng, "refunded" if outcome == "outage" else outcome)
            if outcome == "outage":
                db.fail_next("issue_refund", PaymentProviderDown(f"Payment provider {words(rng)} is down."), times=50)
            thread_id = _call("stage_11.launch(ticket)", reference, case.ticket).value
            stored = load_thread(thread_id)
            events = stored.value["events"]
            got = _replayed("replay(load_thread(thread_id), policy)", replay, stored, db.policy)
        _matches(got, events, f"Replaying a stored thread ({'a payment outage' if outcome == 'outage' else outcome})")
        assert got.get("policy") == db.policy.model_dump(mode="json"), (
            "replay(thread, policy) returned a state with other rules than the policy given: start(thread.ticket, policy).")


@hidden.test("evolve_folds_any_events")
def evolve_folds_any_events(rng, replay, evolve, learner):
    """Property: any drawn sequence of events replays to the grader's fold; one more evolve folds one more event."""
    ticket, policy = _drawn_ticket(rng), _policy(rng)

    @_prop(rng, 12)
    @given(events=_EVENTS, extra=st.builds(_drawn_event, st.sampled_from(_KINDS), st.sampled_from(_NAMES),
                                             st.integers(1000, 9999)))
    def folds(events: list[dict[str, Any]], extra: dict[str, Any]) -> None:
        got = _replayed(f"replay(<a thread of {len(events)} drawn events>, policy)", replay,
                        _thread(learner, ticket, events), policy)
        _matches(got, events, f"Replaying the events {_shown(events)}")
        assert got.get("policy") == policy.model_dump(mode="json"), (
            "replay(thread, policy) returned a state with other rules than the policy given: start(thread.ticket, policy).")
        after = _call("evolve(state, event)", evolve, _state(learner, ticket, policy, events), _event(learner, extra))
        _matches(after.value, [*events, extra], f"After evolve(state, {_shown([extra])[0]}) on {_shown(events)}")

    folds()


@hidden.test("evolve_never_changes_its_input")
def evolve_never_changes_its_input(rng, evolve, learner):
    """The state, its thread, its list of events and the event given: unchanged; the answer a new state."""
    ticket, policy = _drawn_ticket(rng), _policy(rng)
    order = rng.randrange(1000, 10_000)
    events = [_ticket_event(ticket), _call_event("get_order", {"order_id": order}), _error("get_order", "Down.")]
    for extra in rng.sample([_result("get_order", {"order_id": order}), _error("get_order", "Still down."),
                             _call_event("track_shipment", {"order_id": order}), _finished("Done.")], 3):
        state, event = _state(learner, ticket, policy, events), _event(learner, extra)
        before, given_event = _dump(state), _dump(event)
        got = _call(f"evolve(state, {_shown([extra])[0]})", evolve, state, event).value
        assert _dump(state) == before and _dump(event) == given_event, (
            f"evolve(state, {_shown([extra])[0]}) changed the state or the event it was given: build a new state "
            "(model_copy(update=...)) with a new list of events, and leave the one given as it was.")
        _matches(got, [*events, extra], f"After evolve(state, {_shown([extra])[0]})")


@hidden.test("fork_from_any_event")
def fork_from_any_event(rng, replay, evolve, learner):
    """Replay the first k events, evolve the rest: the state of the whole thread, whatever k."""
    ticket, policy = _drawn_ticket(rng), _policy(rng)
    order = rng.randrange(1000, 10_000)
    events = [_ticket_event(ticket), _call_event("get_order", {"order_id": order}), _result("get_order", {"id": order}),
              _call_event("issue_refund", {"order_id": order, "amount": 12.5, "reason": "damaged"}),
              _error("issue_refund", "PaymentProviderDown: try later."),
              _call_event("issue_refund", {"order_id": order, "amount": 12.5, "reason": "damaged"}),
              _error("issue_refund", "PaymentProviderDown: try later."),
              _call_event("ask_customer", _ask(f"Is the {words(rng)} still broken?"))]
    whole = _replayed("replay(thread, policy)", replay, _thread(learner, ticket, events), policy)
    _matches(whole, events, "Replaying the whole thread")
    for k in sorted(rng.sample(range(len(events) + 1), 4)):
        state = _call(f"replay(<the first {k} events>, policy)", replay, _thread(learner, ticket, events[:k]), policy)
        for event in events[k:]:
            state = _call("evolve(state, event)", evolve, state, _event(learner, event))
        assert _dump(state) == whole, (
            f"Replaying the first {k} events, then evolving the other {len(events) - k}, gave another state than "
            "replaying the whole thread: a fork must fold to the same state.")


# --- Exercise 12.2: step, with a stand-in evolve --------------------------------------------------------------

class _Evolve:
    """A stand-in for evolve: the grader's fold, the new State made in the worker from plain data."""

    def __init__(self, learner: Learner) -> None:
        self.learner = learner
        self.calls = 0

    def __call__(self, state: Remote, event: Remote) -> Remote:
        self.calls += 1
        data, added = state.value, event.value
        events = [*data["thread"]["events"], added]
        status, errors = _fold(events)
        errors = data["errors"] + 1 if added.get("kind") == "tool_error" else (
            data["errors"] if added.get("kind") == "tool_call" else 0)
        return self.learner["State"].model_validate({**data, "thread": {**data["thread"], "events": events},
                                                     "status": status, "errors": errors})


@contextmanager
def _stand_in_evolve(learner: Learner) -> Iterator[_Evolve]:
    evolve = _Evolve(learner)
    with learner.stand_ins(evolve=evolve):
        yield evolve


def _intent_class(learner: Learner, name: str) -> Remote:
    if name == "escalate":
        return learner["Escalate"]
    if name == "transfer_to_triage":
        return learner["Transfer"]
    return learner["AGENT_INTENTS"][name]


def _chosen(learner: Learner, name: str, arguments: dict[str, Any]) -> Remote:
    return learner["Chosen"](name=name, intent=_intent_class(learner, name).model_validate(arguments))


def _refunded(events: list[dict[str, Any]], order: int) -> bool:
    return any(e.get("kind") == "tool_result" and e.get("name") == "issue_refund"
               and json.loads(e.get("result") or "{}").get("order_id") == order for e in events)


def _approved(events: list[dict[str, Any]], order: int, amount: float) -> bool:
    for request, answer in itertools.pairwise(events):
        if (request.get("kind") == "tool_call" and request.get("name") == "request_approval"
                and answer.get("kind") == "tool_result" and answer.get("name") == "request_approval"):
            asked, said = _args(request), json.loads(answer.get("result") or "{}")
            if asked.get("order_id") == order and said.get("approved") and said.get("amount") is None \
                    and round(amount * 100) <= round(float(asked.get("amount", 0)) * 100):
                return True
    return False


def _expected(events: list[dict[str, Any]], policy: ShopPolicy, name: str,
              arguments: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """What step stores for this choice (error texts left out: kind and name only), and what it asks next."""
    call = _call_event(name, arguments)
    if name == "done":
        stored = [_finished(arguments["summary"])]
    elif name == "transfer_to_triage":
        stored = [call, _result(name, {"agent": "triage"})]
    elif name == "issue_refund" and _refunded(events, arguments["order_id"]):
        stored = [call, {"kind": "tool_error", "name": "issue_refund"}]
    elif name == "issue_refund" and policy.needs_approval(arguments["amount"]) and not _approved(
            events, arguments["order_id"], arguments["amount"]):
        stored = [call, {"kind": "tool_error", "name": "issue_refund"},
                  {"kind": "tool_call", "name": "request_approval"}]
    else:
        stored = [call]
    return stored, _next([*events, *stored])


def _next(events: list[dict[str, Any]]) -> dict[str, Any]:
    status, errors = _fold(events)
    last = events[-1]
    if status in ("done", "waiting"):
        return {"kind": "stop", "status": status}
    if status == "interrupted":
        return {"kind": "run_tool", "call": last}
    if last.get("kind") == "tool_result" and last.get("name") == "transfer_to_triage":
        return {"kind": "stop", "status": "working"}
    if errors >= _MAX_ERRORS:
        return {"kind": "escalate"}
    return {"kind": "ask_model"}


def _loose(want: dict[str, Any], got: dict[str, Any]) -> bool:
    """`got` has every field `want` names (a call's arguments compared as JSON)."""
    if not isinstance(got, dict):
        return False
    if want.get("kind") == "tool_call" and "arguments" in want:
        return got.get("kind") == "tool_call" and got.get("name") == want["name"] and _args(got) == _args(want)
    return all(_loose(value, got.get(key)) if key == "call" else got.get(key) == value for key, value in want.items())


def _judge(got: Any, events: list[dict[str, Any]], stored: list[dict[str, Any]], then: dict[str, Any],
           where: str) -> list[dict[str, Any]]:
    """The step's answer against the expected stores and next effect; returns the events of its new state."""
    assert isinstance(got, (list, tuple)) and len(got) == 2 and isinstance(got[1], list), (
        f"{where}, step returned {str(got)[:100]}: return (new state, list of effects).")
    state, effects = got
    stores = [e.get("event", {}) for e in effects if isinstance(e, dict) and e.get("kind") == "store"]
    rest = [e for e in effects if not (isinstance(e, dict) and e.get("kind") == "store")]
    shown = [f"{e.get('kind')}:{e.get('name', '')}" for e in stores]
    want_shown = [f"{e.get('kind')}:{e.get('name', '')}" for e in stored]
    if then.get("kind") == "escalate":
        want_shown.append("tool_call:escalate")
        then = {"kind": "stop", "status": "waiting"}
    assert shown == want_shown and all(_loose(w, g) for w, g in zip(stored, stores, strict=False)), (
        f"{where}, step asked to store {shown or 'nothing'}; it should store {want_shown or 'nothing'}"
        + (" (the call as the model made it)" if shown == want_shown else "") + ".")
    assert effects and all(e.get("kind") == "store" for e in effects[:len(stores)]), (
        f"{where}, step's effects are {[e.get('kind') for e in effects]}: the Stores first, then one thing to do.")
    assert len(rest) == 1 and _loose(then, rest[0]), (
        f"{where}, after the stores step asked for {[(e.get('kind'), e.get('status')) for e in rest]}; it should ask "
        f"for {then.get('kind')}" + (f" ({then['status']!r})" if "status" in then else "") + ".")
    held = state.get("thread", {}).get("events", []) if isinstance(state, dict) else []
    assert len(held) == len(events) + len(stores) and all(_loose(w, g) for w, g in zip(events + stores, held, strict=False)), (
        f"{where}, the new state holds {len(held)} events; it should hold the {len(events)} before and each one "
        "step asked to store, folded in order.")
    return held


def _base(rng: random.Random, ticket: Ticket, order: int) -> list[dict[str, Any]]:
    return [_ticket_event(ticket), _call_event("get_order", {"order_id": order}),
            _result("get_order", {"order_id": order, "status": "delivered", "customer_name": words(rng).title()})]


@hidden.test("step_stores_what_each_choice_calls_for")
def step_stores_what_each_choice_calls_for(rng, step, learner):
    """Every kind of choice, on drawn states: done, a tool, a person, refunds (allowed, above the limit, approved,
    already made) and a hand-back: the events stored, in order, then the one thing to do."""
    ticket, policy = _drawn_ticket(rng), _policy(rng)
    order = rng.randrange(1000, 10_000)
    small, big = round(rng.uniform(5, policy.approval_limit - 1), 2), round(policy.approval_limit + rng.uniform(1, 500), 1)
    base = _base(rng, ticket, order)
    refund = {"order_id": order, "amount": small, "reason": "damaged"}
    above = {"order_id": order, "amount": big, "reason": rng.choice(("damaged", "not_received"))}
    asked = [_call_event("issue_refund", above), _error("issue_refund", "Failed: needs approval."),
             _call_event("request_approval", {"order_id": order, "amount": big, "reason": "Above the limit.",
                                              "question": "Refund?", "options": ["approve", "reject"],
                                              "urgency": "normal", "channel": "approval_card"}),
             _result("request_approval", {"approved": True, "comment": "", "by": "Ada", "amount": None})]
    cases = [
        (base, "done", {"summary": f"Answered about the {words(rng)}."}),
        (base, rng.choice(_LOOKUPS), {"order_id": order}),
        (base, "send_message", {"body": f"Your {words(rng)} is on its way."}),
        (base, "ask_customer", _ask(f"Which {words(rng)} do you mean?")),
        (base, "issue_refund", refund),
        (base, "issue_refund", above),
        (base + asked, "issue_refund", above),
        (base + [_call_event("issue_refund", refund), _result("issue_refund", {"order_id": order, "amount": small})],
         "issue_refund", refund),
        (base, "transfer_to_triage", {"reason": f"It is about a {words(rng)}, not a refund."}),
    ]
    rng.shuffle(cases)
    with _stand_in_evolve(learner):
        for events, name, arguments in cases:
            stored, then = _expected(events, policy, name, arguments)
            where = f"On the choice {name}({json.dumps(arguments)[:60]}) after {_shown(events[1:])[-3:]}"
            got = _call(f"step(state, Chosen({name!r}, ...))", step, _state(learner, ticket, policy, events),
                        _chosen(learner, name, arguments)).value
            held = _judge(got, events, stored, then, where)
            if stored[-1:] and stored[-1].get("name") == "request_approval":
                asked_for = _args(held[-1])
                assert asked_for.get("order_id") == order and asked_for.get("amount") == big, (
                    f"{where}, the approval asked for is {asked_for}: the guard's RequestApproval, for the order and "
                    "the amount chosen.")
                error = held[len(events) + 1].get("error")
                want = (f"Failed: a refund of ${big:.2f} needs a person's approval first (the limit is "
                        f"${policy.approval_limit:.2f}). A person was asked; wait for their answer.")
                assert error == want, f"{where}, the stored error is {error!r}, not lesson 09's {want!r}."
            if stored[1:2] and stored[1].get("kind") == "tool_error":
                error = str(held[len(events) + 1].get("error", ""))
                assert error and len(error) <= 300, f"{where}, the stored error is {error[:80]!r}: a short line."
        # the rules are the state's: a refund well below any shop's usual limit, above this state's own
        strict = policy.model_copy(update={"approval_limit": round(rng.uniform(5, 20), 2)})
        arguments = {"order_id": order, "amount": round(rng.uniform(strict.approval_limit + 1, 45), 1), "reason": "damaged"}
        stored, then = _expected(base, strict, "issue_refund", arguments)
        got = _call("step(state, Chosen('issue_refund', ...))", step, _state(learner, ticket, strict, base),
                    _chosen(learner, "issue_refund", arguments)).value
        _judge(got, base, stored, then, f"On a refund of ${arguments['amount']:.2f} with the state's approval limit at "
                                        f"${strict.approval_limit:.2f} (read the rules from state.policy)")


@hidden.test("step_says_what_comes_next")
def step_says_what_comes_next(rng, step, learner):
    """Stored events fed in: folded, then the model asked, a call run, a stop, or (third error) an escalation."""
    ticket, policy = _drawn_ticket(rng), _policy(rng)
    order = rng.randrange(1000, 10_000)
    base = _base(rng, ticket, order)
    again = _call_event("issue_refund", {"order_id": order, "amount": 10, "reason": "damaged"})
    failing = [*base, again, _error("issue_refund", "PaymentProviderDown: down."), again,
               _error("issue_refund", "PaymentProviderDown: down."), again]
    last_error = f"PaymentProviderDown: {words(rng)} is down (HTTP 503)."
    cases = [
        (base[:2], _result("get_order", {"order_id": order})),
        (base, _call_event(rng.choice(_LOOKUPS), {"order_id": order})),
        (base, _call_event("ask_customer", _ask("Which one?"))),
        ([*base, _call_event("request_approval", {"order_id": order})],
         _result("request_approval", {"approved": False, "comment": "No.", "by": "Ada", "amount": None})),
        (base, _error("model", "ToolCallError: no such tool.")),
        (failing, _error("issue_refund", last_error)),
        ([*base, _call_event("transfer_to_triage", {"reason": "Not mine."})],
         _result("transfer_to_triage", {"agent": "triage"})),
    ]
    rng.shuffle(cases)
    with _stand_in_evolve(learner):
        for events, event in cases:
            where = f"On the stored event {_shown([event])[0]} after {_shown(events[1:])[-3:]}"
            got = _call("step(state, event)", step, _state(learner, ticket, policy, events),
                        _event(learner, event)).value
            then = _next([*events, event])
            held = _judge(got, [*events, event], [], then, where)
            if then.get("kind") == "escalate":
                escalation = _args(held[-1]) if isinstance(_args(held[-1]), dict) else {}
                reason, urgency = str(escalation.get("reason", "")), escalation.get("urgency")
                want = f"{_MAX_ERRORS} errors in a row; the last: {last_error}"
                assert reason == want and urgency == "high", (
                    f"{where}, the escalation says {reason[:100]!r} (urgency {urgency!r}): lesson 09's escalation, "
                    f"with the reason {want!r}, urgency 'high'.")


_OUT_OF_REACH = ("time", "random", "datetime", "current_shop", "store", "load_thread", "append_event", "act",
                 "determine_next_step", "client")


class _Touched:
    """A stand-in for a module or a function step must not use: records each call."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.log.append(self.name)


@hidden.test("step_is_pure")
def step_is_pure(rng, step, learner):
    """With the clock, the random source and the store out of reach: the same answers, twice; inputs unchanged."""
    ticket, policy = _drawn_ticket(rng), _policy(rng)
    order = rng.randrange(1000, 10_000)
    base = _base(rng, ticket, order)
    big = round(policy.approval_limit + rng.uniform(1, 300), 2)
    small = round(rng.uniform(5, policy.approval_limit - 1), 2)
    failing = [*base, _error("model", "ToolCallError: bad."), _error("model", "ToolCallError: bad again.")]
    inputs = [(base, "issue_refund", {"order_id": order, "amount": big, "reason": "damaged"}),
              (base, "issue_refund", {"order_id": order, "amount": small, "reason": "damaged"}),
              (base, "done", {"summary": "Handled."}),
              (base, "transfer_to_triage", {"reason": f"Not about a {words(rng)}."}),
              (failing, None, _error("model", "ToolCallError: still bad.")),
              (base, None, _result("send_message", {"message_id": 1}))]
    rng.shuffle(inputs)
    touched: list[str] = []
    with _stand_in_evolve(learner), learner.stand_ins(**{name: _Touched(name, touched) for name in _OUT_OF_REACH}):
        for events, name, fed in inputs:
            state = _state(learner, ticket, policy, events)
            event = _chosen(learner, name, fed) if name else _event(learner, fed)
            what = f"step(state, {name or _shown([fed])[0]})"
            before, given_event = _dump(state), _dump(event)
            answers = []
            for _ in range(2 if name else 15):
                try:
                    answers.append(step(state, event).value)
                except LearnerNotImplemented:
                    raise
                except LearnerError as error:
                    raise AssertionError(
                        f"{what} raised {error.type} with time, random and the store out of its reach: step must "
                        "use only its arguments (the state holds the thread and the rules).") from None
            assert not touched, f"{what} called {', '.join(sorted(set(touched)))}: step must use only its arguments."
            assert all(answer == answers[0] for answer in answers), (
                f"{what}, called {len(answers)} times, answered the same state and event in different ways: it keeps "
                "something between calls (a count, a cache), or reads a clock or a random source.")
            assert _dump(state) == before and _dump(event) == given_event, (
                f"{what} changed the state or the event it was given: return a new state, leave them as they were.")
            if name:
                stored, then = _expected(events, policy, name, fed)
                _judge(answers[0], events, stored, then, f"With the clock and the store out of reach, {what}")
            else:
                _judge(answers[0], [*events, fed], [], _next([*events, fed]),
                       f"With the clock and the store out of reach, {what}")


@hidden.test("interleaved_threads_give_the_same_states")
def interleaved_threads_give_the_same_states(rng, step, learner):
    """Two threads on the same ticket and order, stepped alone, one after the other, then interleaved: each
    reaches the same states and effects, and refunds its order once."""
    ticket, policy = _drawn_ticket(rng), _policy(rng)
    order = rng.randrange(1000, 10_000)
    small = round(rng.uniform(5, policy.approval_limit - 1), 2)
    refund = {"order_id": order, "amount": small, "reason": "damaged"}
    script = [(True, "issue_refund", refund), (False, None, _result("issue_refund", {"order_id": order, "amount": small})),
              (True, "send_message", {"body": f"Refunded ${small:.2f}."}),
              (False, None, _result("send_message", {"message_id": rng.randrange(1, 99)})),
              (True, "done", {"summary": "Refunded."})]

    base = _base(rng, ticket, order)

    def run(order_of: list[int]) -> tuple[dict[int, list[Any]], list[Any]]:
        states = {0: _state(learner, ticket, policy, base), 1: _state(learner, ticket, policy, base)}
        at: dict[int, int] = {0: 0, 1: 0}
        seen: dict[int, list[Any]] = {0: [], 1: []}
        for thread in order_of:
            chosen, name, fed = script[at[thread]]
            event = _chosen(learner, name, fed) if chosen else _event(learner, fed)
            answer = _call(f"step(state, {name or _shown([fed])[0]})", step, states[thread], event)
            states[thread] = answer[0]
            seen[thread].append(answer.value[1])
            at[thread] += 1
        return seen, [_dump(states[0]), _dump(states[1])]

    n = len(script)
    mixed_order = [0] * n + [1] * n
    rng.shuffle(mixed_order)
    with _stand_in_evolve(learner):
        alone, alone_states = run([0] * n + [1] * n)
        mixed, mixed_states = run(mixed_order)
    for thread in (0, 1):
        first = alone[thread][0]
        kinds = [e.get("kind") for e in first]
        assert kinds == ["store", "run_tool"], (
            f"A refund of ${small:.2f} (below the limit) on a thread that has refunded nothing was answered "
            f"{kinds}: store the call and run it. Another thread's refund of the same order is that thread's.")
    assert alone[0] == alone[1], (
        "Two threads with the same events, stepped one after the other, got different effects: step keeps "
        "something between calls; everything it knows must be in the state.")
    assert mixed == alone and mixed_states == alone_states, (
        f"Stepped in the order {mixed_order}, two threads got other effects than when stepped one after the other: "
        "step keeps something between calls.")


# --- Exercise 12.3: diverges_at, with a reducer of the grader's own ---------------------------------------------

def _turns(rng: random.Random, order: int) -> list[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]]:
    """A drawn log's turns: (what, the events a step stores for the model's choice, what the world then fed)."""
    turns: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]] = []
    for _ in range(rng.randint(3, 5)):
        kind = rng.choice(("tool", "tool", "person", "approval", "model_error"))
        if kind == "tool":
            name = rng.choice(("get_order", "track_shipment", "send_message"))
            arguments: dict[str, Any] = {"body": f"About your {words(rng)}."} if name == "send_message" else {
                "order_id": order}
            turns.append((name, [_call_event(name, arguments)], [_result(name, {"order_id": order, "n": len(turns)})]))
        elif kind == "person":
            turns.append(("ask_customer", [_call_event("ask_customer", _ask(f"Which {words(rng)}?"))],
                          [_result("ask_customer", {"body": f"The {words(rng)} one."})]))
        elif kind == "approval":
            amount = round(rng.uniform(200, 900), 2)
            turns.append(("issue_refund", [_call_event("issue_refund", {"order_id": order, "amount": amount,
                                                                        "reason": "damaged"}),
                                           _error("issue_refund", "Failed: a person must approve it first."),
                                           _call_event("request_approval", {"order_id": order, "amount": amount,
                                                                            "reason": "Above the limit."})],
                          [_result("request_approval", {"approved": rng.random() < 0.5, "by": "Ada"})]))
        else:
            turns.append(("model_error", [], [_error("model", f"ToolCallError: unknown tool {words(rng)!r}.")]))
    bounced = _call_event("escalate", {"reason": f"Handed back by {words(rng)}: no agent could serve it.",
                                       "urgency": "high"})
    turns.insert(rng.randrange(len(turns) + 1), (
        "transfer_to_triage", [_call_event("transfer_to_triage", {"reason": f"Not about a {words(rng)}."}),
                               _result("transfer_to_triage", {"agent": "triage"})], [bounced]))
    turns.append(("done", [_finished(f"Handled the {words(rng)}.")], []))
    return turns


def _log_of(ticket: Ticket, turns: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    return [_ticket_event(ticket), *(event for _, stored, fed in turns for event in (*stored, *fed))]


class _Reducer:
    """The grader's reducer: answers each choice with the turn's recorded stores, each world event with AskModel;
    at `planted` (a turn, and "choice" / "world" / "past_end" / "echo") it answers something else. Records what it is fed."""

    def __init__(self, learner: Learner, turns: list[Any], planted: tuple[int, str] | None = None,
                 echo: dict[str, Any] | None = None) -> None:
        self.learner, self.turns, self.planted, self.echo = learner, turns, planted, echo
        self.fed: list[str] = []
        self.turn = -1
        self.chosen = iter([t for t, (what, _, _) in enumerate(turns) if what != "model_error"])

    def _store(self, event: dict[str, Any]) -> Remote:
        return self.learner["Store"](event=self.learner["EVENT"].validate_python(event))

    def __call__(self, state: Remote, fed: Remote) -> tuple[Remote, list[Remote]]:
        data = fed.value
        learner = self.learner
        if isinstance(data, dict) and data.get("kind") == "chosen":
            self.turn = next(self.chosen, len(self.turns) - 1)
            self.fed.append(f"chosen:{data.get('name')}")
            stored = self.turns[self.turn][1]
            if self.planted == (self.turn, "choice"):
                stored = [_call_event(stored[0]["name"], {**_args(stored[0]), "order_id": 1})] + stored[1:] \
                    if stored[0].get("kind") == "tool_call" else [_finished("Something else.")]
            if self.planted == (self.turn, "echo") and self.echo is not None:
                stored = [self.echo, *stored]
            if self.planted == (self.turn, "past_end"):
                stored = [*stored, _call_event("send_message", {"body": "One more."})]
            last = stored[-1]
            then = (learner["Stop"](status="done") if last.get("kind") == "finished" else
                    learner["Stop"](status="working") if last.get("kind") == "tool_result" else
                    learner["Stop"](status="waiting") if last.get("name") in _HUMAN else
                    learner["RunTool"](call=learner["EVENT"].validate_python(last)))
            return state, [*(self._store(event) for event in stored), then]
        kind = data.get("kind") if isinstance(data, dict) else None
        self.fed.append(f"{kind}:{data.get('name', '') if isinstance(data, dict) else ''}")
        if kind != "ticket" and self.planted == (self.turn, "world"):
            return state, [self._store(_error("send_message", "Something else.")), learner["AskModel"]()]
        return state, [learner["AskModel"]()]


def _fed_in(turns: list[Any]) -> list[str]:
    fed = ["ticket:"]
    for what, _stored, world in turns:
        if what != "model_error":
            fed.append(f"chosen:{what}")
        fed += [f"{e['kind']}:{e.get('name', '')}" for e in world]
    return fed


@hidden.test("a_faithful_log_replays_to_the_end")
def a_faithful_log_replays_to_the_end(rng, diverges_at, learner):
    """A drawn log and a reducer that reproduces it: fed the world's events and the model's choices, in order;
    None; the same with `step` (stood in) as the default reducer."""
    ticket, policy = _drawn_ticket(rng), _policy(rng)
    turns = _turns(rng, rng.randrange(1000, 10_000))
    log = _log_of(ticket, turns)
    for default in rng.sample([False, True], 2):
        reducer = _Reducer(learner, turns)
        thread = _thread(learner, ticket, log)
        if default:
            with learner.stand_ins(step=reducer):
                got = _call("diverges_at(thread, policy)", diverges_at, thread, policy).value
        else:
            got = _call("diverges_at(thread, policy, reducer)", diverges_at, thread, policy, reducer).value
        how = "with step as the default reducer" if default else "with the reducer given"
        assert reducer.fed == _fed_in(turns), (
            f"Replaying a log of {_shown(log)[:5]}… {how}, the reducer was fed {reducer.fed[:8]}…, not "
            f"{_fed_in(turns)[:8]}…: feed it each event the world stored, and after an AskModel the Chosen the next "
            "recorded call stands for (model_choice), not the call itself.")
        assert got is None, f"A log the reducer reproduces, {how}: diverges_at returned {got!r}, not None."


@hidden.test("the_first_divergent_step_is_found")
def the_first_divergent_step_is_found(rng, diverges_at, learner):
    """A divergence planted at a drawn turn: on the model's choice, on a world event, or past the log's end."""
    ticket, policy = _drawn_ticket(rng), _policy(rng)
    for where in rng.sample(["choice", "world", "past_end", "echo"], 4):
        turns = _turns(rng, rng.randrange(1000, 10_000))
        log = _log_of(ticket, turns)
        candidates = [t for t, (what, stored, world) in enumerate(turns)
                      if stored and (where == "choice" or world) and (where != "echo" or t < len(turns) - 1)]
        turn = len(turns) - 1 if where == "past_end" else rng.choice(candidates)
        starts = 1 + sum(len(stored) + len(world) for _, stored, world in turns[:turn])
        want = starts + len(turns[turn][1]) if where == "world" else starts
        reducer = _Reducer(learner, turns, planted=(turn, where), echo=log[0])
        got = _call("diverges_at(thread, policy, reducer)", diverges_at, _thread(learner, ticket, log), policy,
                    reducer).value
        said = {"choice": "stores another call for the model's choice",
                "world": "stores an event after a recorded world event",
                "past_end": "stores one event more than the log holds",
                "echo": "first stores an event the log holds elsewhere (its ticket)"}[where]
        assert got == want, (
            f"In a log of {len(log)} events where the reducer {said} (the step that began at position {want}), "
            f"diverges_at returned {got!r}: return where that step began, the event it was fed (for a choice, the "
            "first event recorded for it).")


# --- The agent as a whole --------------------------------------------------------------------------------------

def _called(model: FakeModel) -> list[str]:
    return [name for name, _ in model.transcript.tool_calls()]


@hidden.test("agent_reaches_every_outcome_on_the_reducer")
def agent_reaches_every_outcome_on_the_reducer(rng, launch, load_thread, learner):
    """The named scenarios and drawn tickets through launch, an approval resumed in a fresh process, a payment
    outage escalated after three errors: lessons 01 to 11's behaviour, on the reducer."""
    for name, outcome in runs(list(SCENARIOS), rng, DRAWN_OUTCOMES):
        model = FakeModel(shop_brain)
        with _world(model) as db:
            case = scenario_in(db, rng, name, outcome)
            before = Records.of(db)
            _call(f"launch on the {name} ticket", launch, case.ticket)
            got = outcome_of(db, case, called=_called(model))
            effects_follow_calls(db, model.transcript.tool_calls(), before, where=f"On the {name} ticket")
        assert got == case.expected.outcome, (
            f"On the {name} ticket the agent ended {got!r}, not {case.expected.outcome!r}.")
    model = FakeModel(shop_brain)
    with _world(model) as db:
        case = draw_scenario(db, rng, "approval_required")
        thread_id = _call("launch on a refund above the limit", launch, case.ticket).value
        waiting = _events(load_thread, thread_id)
        with _elsewhere(learner) as other:
            answer = _call("approval_answer(thread_id, approved=True)", other["approval_answer"], thread_id,
                           approved=True)
            status = _call("resume(thread_id, approval) in a fresh process", other["resume"], thread_id, answer).value
        rows = int(db.conn.execute("SELECT count(*) FROM refunds WHERE order_id = ?", (case.order_id,)).fetchone()[0])
    assert _shown(waiting)[-1:] == ["tool_call:request_approval"] and status == "done" and rows == 1, (
        f"A refund above the limit: the thread waited on {_shown(waiting)[-1:]}, resumed to {status!r} with {rows} "
        "refunds; it should wait for the person, then refund once.")
    with _world() as db:
        case = draw_scenario(db, rng, "refunded")
        db.fail_next("issue_refund", PaymentProviderDown(f"Payment provider {words(rng)} is down."), times=50)
        thread_id = _call("launch with the payment provider down", launch, case.ticket).value
        events = _events(load_thread, thread_id)
    tried = sum(1 for e in events if e["kind"] == "tool_call" and e["name"] == "issue_refund")
    assert tried == 3 and _shown(events)[-1:] == ["tool_call:escalate"], (
        f"With the payment provider down, the agent tried the refund {_times(tried)} and left {_shown(events)[-1:]}: "
        "three errors in a row, then a person.")


@hidden.test("a_run_replays_to_its_final_state")
def a_run_replays_to_its_final_state(rng, launch, load_thread, replay, diverges_at):
    """Drawn runs of the agent: each stored thread replays to its status and errors, and through step to the end;
    replayed under a lower approval limit, a refund's log parts at the step that chose the refund."""
    for outcome in ["refunded", rng.choice([o for o in DRAWN_OUTCOMES if o != "refunded"])]:
        with _world() as db:
            case = draw_scenario(db, rng, outcome)
            thread_id = _call(f"launch on a drawn {outcome} ticket", launch, case.ticket).value
            stored = load_thread(thread_id)
            events = stored.value["events"]
            got = _replayed("replay(load_thread(thread_id), policy)", replay, stored, db.policy)
            again = _call("diverges_at(load_thread(thread_id), policy)", diverges_at, stored, db.policy).value
            refund = next((i for i, e in enumerate(events) if e["kind"] == "tool_call" and e["name"] == "issue_refund"),
                          None)
            stricter = None
            if refund is not None:
                amount = float(_args(events[refund]).get("amount", 0))
                lower = db.policy.model_copy(update={"approval_limit": round(amount * rng.uniform(0.2, 0.9), 2)})
                stricter = _call("diverges_at(thread, <a lower approval limit>)", diverges_at, stored, lower).value
        _matches(got, events, f"Replaying the agent's run on a drawn {outcome} ticket")
        assert again is None, (
            f"The agent's own run on a drawn {outcome} ticket does not replay through step: diverges_at returned "
            f"{again!r}. The runtime stores exactly what step says, so its log replays to the end.")
        if outcome == "refunded":
            assert refund is not None and stricter == refund, (
                f"The agent's refund, replayed under an approval limit below its amount: diverges_at returned "
                f"{stricter!r}, not {refund} (the step that chose the refund would have asked a person).")


__all__ = ["hidden"]

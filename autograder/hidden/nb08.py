"""Hidden tests of lesson 08 (own your control flow). Instructor side only.

Each test is registered on `hidden` under the grade id of its graded cell and takes the learner's
definitions as parameters, each one a `Remote` handle on the learner's object (autograder.boundary.remote);
`learner` is the `Learner` itself. The trusted grader runs them here against the notebook in its
sandboxed worker; plain nbgrader runs the same functions in the learner's kernel.

Tests drive the fake model (scripted replies, a model that never finishes, the shop brain) against
fresh seeded shops kept in this process, and judge from the shop database, the transcript and the
stored thread as plain data (`load_thread(thread_id).value`), never from source.

Each exercise is scored on its own. `guard` (8.1) is pure, so its tests call it on threads built in
the worker. The tests of `run_loop` (8.2) put a simple stand-in in place of the learner's guard
(`Learner.stand_ins`: it lets everything through, or holds or refuses every refund, and records what
it was asked); the tests of `launch` / `resume` (8.3) stand in for `run_loop`. Three tests score the
agent as a whole: the learner's guard, loop, launch and resume on the shop brain and on scripted models.
A failure raises AssertionError saying what went wrong, in the learner's terms.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from autograder.boundary.remote import LearnerError, LearnerNotImplemented, Remote
from autograder.hidden import HiddenTests
from autograder.hidden.calls import attr as _attr
from autograder.hidden.calls import call as _call
from autograder.hidden.calls import value as _value
from autograder.hidden.drawn import Records, effects_follow_calls, words
from autograder.hidden.runs import drawn_world as _drawn_world
from autograder.hidden.runs import events as _events
from autograder.hidden.runs import scripted_calls as _calls
from autograder.hidden.runs import shown as _shown
from autograder.hidden.runs import times as _times
from autograder.hidden.runs import world as _world
from course.brain import shop_brain
from course.llm import FakeModel, Reply, use_model
from course.shop import (
    DRAWN_OUTCOMES,
    SCENARIOS,
    Scenario,
    Shop,
    ShopPolicy,
    draw_scenario,
    outcome_of,
    refunded_amount,
    use_shop,
)

hidden = HiddenTests("08")

_LARGE, _DAMAGED, _LONG = SCENARIOS["large_refund"], SCENARIOS["damaged_item"], SCENARIOS["long_thread"]
_POLICY = ShopPolicy.load()
_REFUND_899 = {"order_id": 1057, "amount": 899.0, "reason": "damaged"}
_APPROVAL_ARGS = {"order_id": 1057, "amount": 899.0, "reason": "The TV arrived cracked.",
                  "question": "Refund $899.00 on order 1057?", "options": ["approve", "reject"],
                  "urgency": "normal", "channel": "approval_card"}


# --- helpers ----------------------------------------------------------------------------------

def _unanswered(events: list[dict[str, Any]]) -> list[str]:
    """Tool calls (before the last event) whose next event is not their one result."""
    bad = []
    for index, event in enumerate(events[:-1]):
        following = events[index + 1]
        if event["kind"] == "tool_call" and not (following["kind"] in ("tool_result", "tool_error")
                                                  and following.get("name") == event["name"]):
            bad.append(event["name"])
    return bad


def _refund_rows(db: Shop, order_id: int) -> int:
    return int(db.conn.execute("SELECT count(*) FROM refunds WHERE order_id = ?", (order_id,)).fetchone()[0])


def _thread(Thread: Remote, thread_for: Remote, ticket: Any, events: list[Remote]) -> Remote:
    """A thread made in the worker: the ticket's own thread, then `events`."""
    base = thread_for(ticket)
    return Thread(ticket=ticket, events=[*list(_attr(base, "events")), *events])


def _answered(ToolRequested: Remote, ToolResult: Remote, request: dict[str, Any], answer: dict[str, Any]) -> list[Remote]:
    """A request_approval call and a person's answer, stored as lesson 06 stores them."""
    stored = {"approved": answer["approved"], "comment": answer.get("comment", ""), "by": answer.get("by", ""),
              "amount": answer.get("amount")}
    return [ToolRequested(name="request_approval", arguments=json.dumps(request)),
            ToolResult(name="request_approval", result=json.dumps(stored))]


def _refunded(ToolRequested: Remote, ToolResult: Remote, order_id: int, amount: float) -> list[Remote]:
    """A refund the shop made, as the thread stores it."""
    return [ToolRequested(name="issue_refund", arguments=json.dumps({"order_id": order_id, "amount": amount,
                                                                     "reason": "damaged"})),
            ToolResult(name="issue_refund", result=json.dumps({
                "refund_id": 31, "order_id": order_id, "amount": amount, "reason": "damaged",
                "idempotency_key": f"ticket-9-order-{order_id}", "created_on": "2026-11-02"}))]


def _rule(guard: Remote, intent: Remote, thread: Remote, policy: ShopPolicy, what: str) -> Remote:
    return _call(f"guard({intent!r}, <{what}>, policy)", guard, intent, thread, policy)


def _passes(got: Remote, intent: Remote) -> bool:
    return got.type == intent.type and got.value == intent.value


def _asks_for(got: Remote, RequestApproval: Remote, order_id: int, amount: float) -> bool:
    return got.isa(RequestApproval) and got.value.get("order_id") == order_id and got.value.get("amount") == amount


def _policy(limit: float) -> ShopPolicy:
    return _POLICY.model_copy(update={"approval_limit": limit})


# --- Exercise 8.1: guard -----------------------------------------------------------------------

def _drawn(rng: random.Random) -> tuple[ShopPolicy, int, float]:
    """A policy with a drawn approval limit, and a refund above it on a drawn order: fresh numbers every grading."""
    limit = float(rng.choice((100, 120, 150, 200, 250, 400, 500)))
    return _policy(limit), rng.randrange(1100, 9900), round(limit + rng.randrange(100, 90_000) / 100, 2)


def _ask(order_id: int, amount: float) -> dict[str, Any]:
    return {**_APPROVAL_ARGS, "order_id": order_id, "amount": amount, "question": f"Refund ${amount:.2f} on order {order_id}?"}


def _below(rng: random.Random, amount: float, floor: float) -> float:
    """A drawn amount strictly between `floor` and `amount`."""
    return round(floor + rng.randrange(1, max(2, round((amount - floor) * 100))) / 100, 2)


@hidden.test("refund_above_the_limit_needs_approval")
def refund_above_the_limit_needs_approval(rng, guard, thread_for, Thread, IssueRefund, RequestApproval, ToolRequested,
                                          ToolResult, ToolFailed):
    """Above the limit and not approved for that order: a RequestApproval made by code, for that order and amount."""
    policy, order_id, amount = _drawn(rng)
    refund = IssueRefund(order_id=order_id, amount=amount, reason="damaged")
    other = order_id + rng.randrange(1, 60)
    threads = [
        ("a thread with no approval", []),
        ("a thread where a person rejected that refund", _answered(ToolRequested, ToolResult, _ask(order_id, amount),
                                                                    {"approved": False, "comment": "No."})),
        (f"a thread where a person approved ${amount:.2f} on order {other}",
         _answered(ToolRequested, ToolResult, _ask(other, amount), {"approved": True})),
        ("a thread where the approval was asked for and not answered yet",
         [ToolRequested(name="request_approval", arguments=json.dumps(_ask(order_id, amount)))]),
    ]
    limit = policy.approval_limit
    for what, events in threads:
        thread = _thread(Thread, thread_for, _LARGE.ticket, events)
        got = _rule(guard, refund, thread, policy, what)
        assert _asks_for(got, RequestApproval, order_id, amount), (
            f"On {what}, guard let the model's refund of ${amount:.2f} on order {order_id} become {got!r}; a refund "
            f"above the ${limit:.2f} approval limit that no person approved should come back as a RequestApproval for "
            f"order {order_id} and ${amount:.2f}.")
    options = got.value.get("options") or []
    assert "approve" in options and "reject" in options, (
        f"The RequestApproval guard made offers the options {options}: a person must be able to approve or reject.")
    fresh = _thread(Thread, thread_for, _LARGE.ticket, [])
    cases = [(limit, _below(rng, limit, limit / 2), False), (limit, limit, False), (limit, round(limit + 0.01, 2), True),
             (round(amount + rng.randrange(1, 5000) / 100, 2), amount, False)]
    for ceiling, value, held in cases:
        intent = IssueRefund(order_id=order_id, amount=value, reason="damaged")
        got = _rule(guard, intent, fresh, _policy(ceiling), f"a thread with no approval, approval_limit={ceiling}")
        if held:
            assert _asks_for(got, RequestApproval, order_id, value), (
                f"With approval_limit=${ceiling:.2f}, guard let a ${value:.2f} refund become {got!r}; it is above the "
                "policy's limit: ask for approval. Read the limit from the policy argument.")
        else:
            assert _passes(got, intent), (
                f"With approval_limit=${ceiling:.2f}, guard turned a ${value:.2f} refund into {got!r}; only refunds "
                "strictly above the policy's limit need approval (policy.needs_approval), so let it through.")


@hidden.test("matching_approval_lets_the_refund_through")
def matching_approval_lets_the_refund_through(rng, guard, thread_for, Thread, IssueRefund, ToolRequested, ToolResult):
    """A refund a person approved for that order (up to the amount asked) comes back unchanged."""
    policy, order_id, amount = _drawn(rng)
    limit = policy.approval_limit
    lower = _below(rng, amount, limit)
    approved = _answered(ToolRequested, ToolResult, _ask(order_id, amount), {"approved": True, "by": "Ada", "comment": "OK."})
    rejected_then_lower = [
        *_answered(ToolRequested, ToolResult, _ask(order_id, amount),
                   {"approved": False, "comment": f"Offer ${lower:.2f} instead."}),
        *_answered(ToolRequested, ToolResult, _ask(order_id, lower), {"approved": True})]
    cases = [(f"a person approved ${amount:.2f} on order {order_id}", approved, amount),
             (f"a person approved ${amount:.2f} on order {order_id}", approved, _below(rng, amount, limit)),
             (f"a person rejected ${amount:.2f}, then approved ${lower:.2f} on order {order_id}", rejected_then_lower, lower)]
    for what, events, value in cases:
        intent = IssueRefund(order_id=order_id, amount=value, reason="damaged")
        got = _rule(guard, intent, _thread(Thread, thread_for, _LARGE.ticket, events), policy, what)
        assert _passes(got, intent), (
            f"In a thread where {what}, guard turned a ${value:.2f} refund into {got!r}; a person approved it, "
            "so return the refund itself.")
        unapproved = _rule(guard, intent, _thread(Thread, thread_for, _LARGE.ticket, []), policy, "a thread with no approval")
        assert not _passes(unapproved, intent), (
            f"guard let a ${value:.2f} refund on order {order_id} through in a thread with no approval too: it is the "
            "approval that lets a refund above the limit through.")


@hidden.test("lowered_approval_is_for_that_amount_only")
def lowered_approval_is_for_that_amount_only(rng, guard, thread_for, Thread, IssueRefund, RequestApproval, ToolRequested,
                                             ToolResult):
    """A person who approved a lower amount approved exactly that amount: nothing more, nothing else."""
    policy, order_id, amount = _drawn(rng)
    lowered = _below(rng, amount, policy.approval_limit)
    events = _answered(ToolRequested, ToolResult, _ask(order_id, amount), {"approved": True, "amount": lowered})
    thread = _thread(Thread, thread_for, _LARGE.ticket, events)
    what = f"a thread where a person approved ${lowered:.2f} instead of ${amount:.2f}"
    intent = IssueRefund(order_id=order_id, amount=lowered, reason="damaged")
    got = _rule(guard, intent, thread, policy, what)
    assert _passes(got, intent), f"In {what}, guard turned a ${lowered:.2f} refund into {got!r}; that is the approved amount."
    for value in (amount, _below(rng, lowered, policy.approval_limit)):
        if value == lowered:
            continue
        got = _rule(guard, IssueRefund(order_id=order_id, amount=value, reason="damaged"), thread, policy, what)
        assert _asks_for(got, RequestApproval, order_id, value), (
            f"In {what}, guard let a ${value:.2f} refund become {got!r}; the person approved exactly ${lowered:.2f}, so "
            "any other amount needs its own approval.")


@hidden.test("one_refund_per_order")
def one_refund_per_order(rng, guard, thread_for, Thread, IssueRefund, ToolRequested, ToolResult, ToolFailed):
    """A second refund on an order the thread refunded is a ToolFailed naming the order; failed refunds do not count."""
    policy, order_id, amount = _drawn(rng)
    small_order, small = rng.randrange(1100, 9900), round(rng.randrange(100, round(policy.approval_limit * 100)) / 100, 2)
    approved = _answered(ToolRequested, ToolResult, _ask(order_id, amount), {"approved": True})
    cases = [(f"a thread that refunded ${small:.2f} on order {small_order}", _DAMAGED.ticket,
              _refunded(ToolRequested, ToolResult, small_order, small), small_order, small),
             (f"a thread where a person approved ${amount:.2f} on order {order_id} and it was refunded", _LARGE.ticket,
              [*approved, *_refunded(ToolRequested, ToolResult, order_id, amount)], order_id, amount)]
    for what, ticket, events, refunded_order, value in cases:
        intent = IssueRefund(order_id=refunded_order, amount=value, reason="damaged")
        got = _rule(guard, intent, _thread(Thread, thread_for, ticket, events), policy, what)
        assert got.isa(ToolFailed), (
            f"In {what}, guard let another ${value:.2f} refund on order {refunded_order} become {got!r}; one refund "
            "per order: return a ToolFailed the model reads.")
        assert got.value.get("name") == "issue_refund", (
            f"guard's ToolFailed for a second refund is named {got.value.get('name')!r}; the model knows the tool as "
            "'issue_refund'.")
        assert str(refunded_order) in str(got.value.get("error", "")), (
            f"guard's ToolFailed says {got.value.get('error')!r}: say which order was refunded already.")
    another = small_order + rng.randrange(1, 60)
    refunded_other = _thread(Thread, thread_for, _LONG.ticket, _refunded(ToolRequested, ToolResult, small_order, small))
    intent = IssueRefund(order_id=another, amount=small, reason="not_received")
    got = _rule(guard, intent, refunded_other, policy, f"a thread that refunded order {small_order}")
    assert _passes(got, intent), (
        f"In a thread that refunded order {small_order}, guard turned a ${small:.2f} refund on order {another} into "
        f"{got!r}; the rule is one refund per order, and this is another order.")
    failed = [ToolRequested(name="issue_refund", arguments=json.dumps({"order_id": another, "amount": small,
                                                                       "reason": "other"})),
              ToolFailed(name="issue_refund", error="The payment provider is unavailable. Try again later.")]
    got = _rule(guard, intent, _thread(Thread, thread_for, _LONG.ticket, failed), policy,
                f"a thread where a refund on order {another} failed")
    assert _passes(got, intent), (
        f"In a thread where a refund on order {another} failed, guard turned the retry into {got!r}; a failed refund "
        "refunded nothing, so count only the refunds the shop made (their results).")


@hidden.test("guard_passes_other_intents_and_changes_nothing")
def guard_passes_other_intents_and_changes_nothing(rng, guard, thread_for, Thread, INTENTS, AGENT_INTENTS,
                                                   ToolRequested, ToolResult):
    """Every intent but a refund comes back as it is; guard changes neither the thread nor the shop, and asks no model."""
    policy, order_id, amount = _drawn(rng)
    refunded, small = rng.randrange(1100, 9900), round(rng.randrange(100, round(policy.approval_limit * 100)) / 100, 2)
    others = [INTENTS["get_order"](order_id=order_id), INTENTS["check_refund_policy"](order_id=order_id, amount=amount),
              INTENTS["send_message"](body=f"Your refund of ${amount:.2f} is on its way."),
              INTENTS["done"](summary="Refunded the TV."), AGENT_INTENTS["request_approval"](**_ask(order_id, amount)),
              AGENT_INTENTS["ask_customer"](question="Which order?", options=[], urgency="low", channel="email")]
    model = FakeModel.scripted()
    with _world(model) as db:
        thread = _thread(Thread, thread_for, _LARGE.ticket, _refunded(ToolRequested, ToolResult, refunded, small))
        stored = thread.model_dump_json().value
        before = list(db.conn.iterdump())
        refunds = [INTENTS["issue_refund"](order_id=order_id, amount=amount, reason="damaged"),
                   INTENTS["issue_refund"](order_id=refunded, amount=small, reason="damaged")]
        for intent in [*others, *refunds]:
            got = _rule(guard, intent, thread, policy, "a thread")
            if not intent.isa(INTENTS["issue_refund"]):
                assert _passes(got, intent), f"guard turned {intent!r} into {got!r}; the rules are about refunds only."
            else:
                assert not _passes(got, intent), (
                    f"guard let {intent!r} through in a thread that refunded order {refunded} and approved nothing: "
                    "it passes every other intent as it is, and rules on refunds.")
        assert thread.model_dump_json().value == stored, (
            "guard changed the thread it was given; it should only read it: the loop stores what happens.")
        assert list(db.conn.iterdump()) == before, "guard changed the shop database; it should only decide."
    assert model.calls == 0, f"guard called the model {_times(model.calls)}; the rules are code, not a question."


# --- Exercise 8.2: run_loop --------------------------------------------------------------------

class _Guard:
    """A stand-in for guard: each refund gets `ruling(intent)` (None: let it through); every other intent passes."""

    def __init__(self, ruling: Callable[[Remote], Remote | None] | None = None):
        self.ruling = ruling
        self.refunds: list[dict[str, Any]] = []
        self.limits: list[float] = []

    def __call__(self, intent: Remote, thread: Remote, policy: Remote) -> Remote:
        if intent.type != "IssueRefund":
            return intent
        self.refunds.append(intent.value)
        self.limits.append(policy.value.get("approval_limit"))
        held = self.ruling(intent) if self.ruling is not None else None
        return intent if held is None else held


def _loop(run_loop: Remote, new_thread: Remote, system_prompt: Remote, db: Shop, ticket: Any, what: str,
          **kwargs: Any) -> tuple[str, Any]:
    thread_id = new_thread(ticket).value
    status = _call(f"run_loop on {what}", run_loop, thread_id, system_prompt(db.policy), **kwargs).value
    return thread_id, status


def _refund_of(case: Scenario) -> dict[str, Any]:
    return {"order_id": case.order_id, "amount": case.expected.refund_amount, "reason": "damaged"}


@hidden.test("done_finishes_the_thread")
def done_finishes_the_thread(run_loop, new_thread, load_thread, system_prompt, learner, rng):
    """A Done (a done call, or a text reply) becomes the thread's Finished, and the loop returns done at once."""
    said = [f"Refunded the {words(rng)}.", f"{words(rng).capitalize()} has an answer."]
    for last, summary in [(Reply.tool_call("done", {"summary": said[0]}), said[0]), (Reply.text(said[1]), said[1])]:
        def script(case: Scenario, last: Reply = last) -> FakeModel:
            return FakeModel.scripted(*_calls(("get_order", {"order_id": case.order_id})), last,
                                      *_calls(("get_order", {"order_id": case.order_id})))
        with _drawn_world(rng, "refunded", script) as (db, case, model), learner.stand_ins(guard=_Guard()):
            thread_id, status = _loop(run_loop, new_thread, system_prompt, db, case.ticket, "a refund ticket")
            events = _events(load_thread, thread_id)
        assert model.calls == 2, (
            f"After the model said it was done, run_loop asked it again: {_times(model.calls)} in all, not 2. A Done "
            "ends the run.")
        assert events and events[-1]["kind"] == "finished", (
            f"After a Done the thread ends with {_shown(events)[-1:]}; store Finished(summary=...).")
        assert events[-1].get("summary") == summary, (
            f"The Finished summary is {events[-1].get('summary')!r}, not the Done's {summary!r}.")
        assert status == "done", f"After a Done, run_loop returned {status!r}, not 'done'."


@hidden.test("a_request_to_a_person_pauses")
def a_request_to_a_person_pauses(run_loop, new_thread, load_thread, system_prompt, learner, rng):
    """A request_approval or ask_customer is stored as the thread's last event, runs nothing, and the loop waits."""
    def approval(case: Scenario) -> dict[str, Any]:
        return {**_APPROVAL_ARGS, "order_id": case.order_id, "amount": case.expected.refund_amount,
                "question": f"Refund ${case.expected.refund_amount:.2f} on order {case.order_id}?"}
    asks = [("request_approval", approval, "approval_required"),
            ("ask_customer", lambda case: {"question": f"Which {words(rng)} number is on your email?", "options": [],
                                           "urgency": "normal", "channel": "email"}, "ask_customer")]
    rng.shuffle(asks)
    for name, arguments_for, outcome in asks:
        arguments: dict[str, Any] = {}

        def script(case: Scenario, name: str = name, arguments_for: Any = arguments_for,
                   arguments: dict[str, Any] = arguments) -> FakeModel:
            arguments.update(arguments_for(case))
            return FakeModel(lambda request: Reply.text("Nothing more to do."), script=_calls((name, dict(arguments))))
        with _drawn_world(rng, outcome, script) as (db, case, model), learner.stand_ins(guard=_Guard()):
            thread_id, status = _loop(run_loop, new_thread, system_prompt, db, case.ticket, f"a drawn {outcome} ticket")
            events = _events(load_thread, thread_id)
            messages = db.conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        assert events and events[-1]["kind"] == "tool_call" and events[-1]["name"] == name, (
            f"When the model calls {name}, the thread ends with {_shown(events)[-1:]}; store its ToolRequested and "
            "stop there: a person answers it.")
        assert json.loads(events[-1]["arguments"]) == arguments, (
            f"The stored {name} request carries {events[-1]['arguments']!r}, not the model's arguments.")
        assert status == "waiting", f"When the model calls {name}, run_loop returned {status!r}, not 'waiting'."
        assert model.calls == 1 and messages == 0, (
            f"After the model called {name}, run_loop went on ({_times(model.calls)} asked): pause until a person answers.")


@hidden.test("intercepted_refund_waits_for_approval")
def intercepted_refund_waits_for_approval(run_loop, new_thread, load_thread, system_prompt, RequestApproval, learner,
                                          rng):
    """A held refund: its call answered by a ToolFailed, then the guard's request; the thread waits, nothing refunded."""
    mark = f"({words(rng)})"

    def hold(intent: Remote) -> Remote:
        data = intent.value
        return RequestApproval(**{**_APPROVAL_ARGS, "order_id": data["order_id"], "amount": data["amount"],
                                  "question": f"Refund ${data['amount']:.2f}? {mark}"})

    def reckless(case: Scenario) -> FakeModel:
        return FakeModel.scripted(*_calls(("check_refund_policy", {"order_id": case.order_id,
                                                                   "amount": case.expected.refund_amount}),
                                          ("issue_refund", _refund_of(case))), Reply.text("I refunded it."))
    stand_in = _Guard(hold)
    limit = float(rng.choice((110, 150, 200, 250)))
    with _drawn_world(rng, "approval_required", reckless, policy=_policy(limit)) as (db, case, model), \
            learner.stand_ins(guard=stand_in):
        amount = case.expected.refund_amount or 0.0
        thread_id = new_thread(case.ticket).value
        status = _call(f"run_loop with a model that refunds ${amount:.2f} directly", run_loop, thread_id,
                       system_prompt(_POLICY)).value
        events = _events(load_thread, thread_id)
        rows = _refund_rows(db, case.order_id)
    assert stand_in.refunds, "run_loop never asked guard about the model's issue_refund: every refund goes through it."
    assert rows == 0, f"guard held the model's ${amount:.2f} refund, and run_loop refunded it anyway."
    assert stand_in.limits[0] == limit, (
        f"run_loop asked guard with a policy whose approval_limit is {stand_in.limits[0]}, but the shop's is {limit}: "
        "pass the shop's own policy (current_shop().policy), not the one the prompt was rendered with.")
    last = events[-1] if events else {}
    assert last.get("kind") == "tool_call" and last.get("name") == "request_approval", (
        f"After guard held the refund, the thread ends with {_shown(events)[-1:]}; store the guard's RequestApproval "
        "as a ToolRequested named request_approval, and stop.")
    assert json.loads(last["arguments"]).get("question") == f"Refund ${amount:.2f}? {mark}", (
        "The stored request_approval is not the RequestApproval guard returned: store that one.")
    unanswered = _unanswered(events)
    assert not unanswered, (
        f"The thread holds {_shown(events)}: the model's {', '.join(unanswered)} call has no result of its own. Store a "
        "ToolFailed for it (held for approval) before the request, so every tool call gets exactly one result.")
    assert status == "waiting", f"After guard held the refund, run_loop returned {status!r}, not 'waiting'."
    assert model.calls == 2, (
        f"After holding the refund, run_loop asked the model {_times(model.calls - 2)} more: wait for the person.")


@hidden.test("refused_refund_is_an_error_the_model_reads")
def refused_refund_is_an_error_the_model_reads(run_loop, new_thread, load_thread, system_prompt, ToolFailed, learner,
                                               rng):
    """A refused refund: its call answered by the guard's ToolFailed, no refund, and the model reads it next."""
    rule = f"the {words(rng)} rule"
    error = f"Rejected: that order was refunded already in this ticket ({rule})."

    def script(case: Scenario) -> FakeModel:
        return FakeModel.scripted(*_calls(("issue_refund", _refund_of(case)), ("done", {"summary": f"Told {words(rng)}."})))
    with _drawn_world(rng, "refunded", script) as (db, case, model), \
            learner.stand_ins(guard=_Guard(lambda intent: ToolFailed(name="issue_refund", error=error))):
        thread_id, status = _loop(run_loop, new_thread, system_prompt, db, case.ticket, "a refund ticket")
        events = _events(load_thread, thread_id)
        rows = _refund_rows(db, case.order_id)
    assert rows == 0, "guard refused the model's refund, and run_loop refunded it anyway."
    shown = _shown(events)
    assert shown[:2] == ["tool_call:issue_refund", "tool_error:issue_refund"] and events[1].get("error") == error, (
        f"After guard refused the refund, the thread holds {shown}; store the refund's ToolRequested, then the "
        "ToolFailed guard returned.")
    assert model.calls == 2 and status == "done", (
        f"After a refused refund run_loop asked the model {_times(model.calls)} and returned {status!r}: a refusal "
        "does not end the run, the model reads it and goes on (here it says done).")
    seen = json.dumps(model.transcript.messages_sent(1))
    assert rule in seen, "The model's next request did not show it the refusal."


@hidden.test("other_tools_are_acted_on")
def other_tools_are_acted_on(run_loop, new_thread, load_thread, append_event, system_prompt, ToolRequested, learner,
                             rng):
    """Allowed refunds and other tools run once, each result right after its request; an interrupted step runs first."""
    def script(case: Scenario) -> FakeModel:
        return FakeModel.scripted(*_calls(
            ("get_order", {"order_id": case.order_id}), ("issue_refund", _refund_of(case)),
            ("send_message", {"body": f"Your {words(rng)} refund is on its way."}), ("done", {"summary": "Refunded."})))
    stand_in = _Guard()
    with _drawn_world(rng, "refunded", script) as (db, case, _model), learner.stand_ins(guard=stand_in):
        thread_id, status = _loop(run_loop, new_thread, system_prompt, db, case.ticket, "a refund ticket")
        events = _events(load_thread, thread_id)
        refunded, amount = refunded_amount(db, case), case.expected.refund_amount
        sent = db.conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    shown = _shown(events)
    want = ["tool_call:get_order", "tool_result:get_order", "tool_call:issue_refund", "tool_result:issue_refund",
            "tool_call:send_message", "tool_result:send_message", "finished:"]
    assert [s for s in shown if s != "tool_call:done"] == want, (
        f"The thread holds {shown}; each tool should be stored as its ToolRequested, then carried out (act) and its "
        "result stored right after, in the model's order.")
    assert stand_in.refunds, "run_loop never asked guard about the refund: every refund goes through it."
    assert refunded == amount and sent == 1, (
        f"guard let the ${amount:.2f} refund through, and the shop refunded ${refunded:.2f} and sent {sent} messages: "
        "act on each allowed tool once.")
    assert status == "done"
    with _drawn_world(rng, "refunded", lambda case: FakeModel.scripted(Reply.tool_call("done", {"summary": "Looked."}))) \
            as (db, case, _model), learner.stand_ins(guard=_Guard()):
        thread_id = new_thread(case.ticket).value
        append_event(thread_id, ToolRequested(name="get_order", arguments=json.dumps({"order_id": case.order_id})))
        _call("run_loop on an interrupted thread", run_loop, thread_id, system_prompt(db.policy))
        events = _events(load_thread, thread_id)
    assert _shown(events)[:2] == ["tool_call:get_order", "tool_result:get_order"], (
        f"On a thread interrupted after choosing get_order (a crash before its result), run_loop left {_shown(events)}: "
        "finish that step first (act on the stored call), then go on.")


@hidden.test("malformed_call_is_recorded_and_the_loop_goes_on")
def malformed_call_is_recorded_and_the_loop_goes_on(run_loop, new_thread, load_thread, system_prompt, learner, rng):
    """A malformed tool call becomes ToolFailed(name='model') that the model reads, and the loop goes on."""
    unknown = f"refund_{words(rng)}"

    def script(case: Scenario) -> FakeModel:
        return FakeModel.scripted(Reply.tool_call(unknown, {"order_id": case.order_id}),
                                  Reply.tool_call("issue_refund", f'{{"order_id": {case.order_id}, "amount": '),
                                  Reply.tool_call("done", {"summary": "Could not help."}))
    with _drawn_world(rng, "refunded", script) as (db, case, model), learner.stand_ins(guard=_Guard()):
        thread_id, status = _loop(run_loop, new_thread, system_prompt, db, case.ticket,
                                  "a model whose tool calls are malformed")
        events = _events(load_thread, thread_id)
    failed = [e for e in events if e["kind"] == "tool_error"]
    assert model.calls == 3 and status == "done", (
        f"With two malformed calls and then done, run_loop asked the model {_times(model.calls)} and returned {status!r}: "
        "store each malformed call as an error and go on.")
    assert len(failed) == 2 and all(e.get("name") == "model" for e in failed), (
        f"The thread holds {_shown(events)}; each malformed call should be a ToolFailed(name='model', error=...).")
    assert unknown in failed[0].get("error", ""), "The error event does not say what was wrong with the call."


@hidden.test("max_steps_end_in_an_escalation")
def max_steps_end_in_an_escalation(run_loop, new_thread, load_thread, system_prompt, status_of, record_answer, Escalate,
                                   learner, rng):
    """A model that never finishes is asked max_steps times; then the thread is escalated, waiting, no exception."""
    for steps in (rng.randint(2, 7), None):
        def script(case: Scenario) -> FakeModel:
            return FakeModel(lambda request: Reply.tool_call("check_refund_policy", {
                "order_id": case.order_id, "amount": case.expected.refund_amount}))
        kwargs = {} if steps is None else {"max_steps": steps}
        label = "the default max_steps" if steps is None else f"max_steps={steps}"
        with _drawn_world(rng, "refunded", script) as (db, case, model), learner.stand_ins(guard=_Guard()):
            thread_id, status = _loop(run_loop, new_thread, system_prompt, db, case.ticket,
                                      f"a model that never finishes, with {label}", **kwargs)
            events = _events(load_thread, thread_id)
            derived = status_of(load_thread(thread_id)).value
            try:
                record_answer(thread_id, None)
                answered = True
            except LearnerError:
                answered = False
        want = 12 if steps is None else steps
        assert model.calls == want, f"With a model that never finishes and {label}, run_loop asked it {_times(model.calls)}, not {want}."
        last = events[-1] if events else {}
        assert last.get("kind") == "tool_call" and last.get("name") == "escalate", (
            f"Out of steps, the thread ends with {_shown(events)[-1:]}; store an escalation, ToolRequested(name='escalate', "
            "arguments=Escalate(...).model_dump_json()), so that a person takes the ticket over.")
        try:
            Escalate.model_validate_json(last["arguments"])
        except LearnerError:
            raise AssertionError(f"The escalation carries {last['arguments']!r}, which is not an Escalate (reason, urgency).") from None
        assert status == "waiting" and derived == "waiting", (
            f"Out of steps, run_loop returned {status!r} (the thread's status is {derived!r}); an escalated thread waits "
            "for a person: return 'waiting'.")
        assert not answered, "The escalated thread took an answer: it should wait for a person, not for an answer."
    limit, unknown = rng.randint(2, 5), f"cancel_{words(rng)}"

    def malformed(case: Scenario) -> FakeModel:  # malformed calls, then (if the loop is still asking) a text reply
        asked: list[int] = []

        def reply(request: Any) -> Reply:
            asked.append(1)
            return Reply.tool_call(unknown, {"order_id": case.order_id}) if len(asked) <= limit + 6 else Reply.text("Ok.")
        return FakeModel(reply)
    with _drawn_world(rng, "refunded", malformed) as (db, case, model), learner.stand_ins(guard=_Guard()):
        thread_id, status = _loop(run_loop, new_thread, system_prompt, db, case.ticket,
                                  f"a model whose every call is malformed, with max_steps={limit}", max_steps=limit)
        events = _events(load_thread, thread_id)
    assert model.calls == limit and status == "waiting" and _shown(events)[-1:] == ["tool_call:escalate"], (
        f"With max_steps={limit} and a model whose every call is malformed, run_loop asked it {_times(model.calls)} and "
        f"returned {status!r}: a malformed call is a step too, and out of steps the thread is escalated.")
    looks = rng.randint(1, 4)

    def looking(case: Scenario) -> FakeModel:
        return FakeModel.scripted(*_calls(*[("get_order", {"order_id": case.order_id})] * looks,
                                          ("done", {"summary": "Looked."})))
    with _drawn_world(rng, "refunded", looking) as (db, case, model), learner.stand_ins(guard=_Guard()):
        thread_id, status = _loop(run_loop, new_thread, system_prompt, db, case.ticket,
                                  f"a model that finishes at its last allowed step, max_steps={looks + 1}",
                                  max_steps=looks + 1)
        events = _events(load_thread, thread_id)
    assert status == "done" and "tool_call:escalate" not in _shown(events), (
        f"A model that says done at its last allowed step left the thread as {_shown(events)[-2:]} ({status!r}): escalate "
        "only when the steps are used up and the thread is still working.")


# --- Exercise 8.3: launch and resume -----------------------------------------------------------

class _Loop:
    """A stand-in for run_loop: records each call (thread id, prompt text, intents offered, events so far)."""

    def __init__(self, load_thread: Remote, status: str = "waiting"):
        self.load_thread, self.status = load_thread, status
        self.calls: list[dict[str, Any]] = []

    def __call__(self, thread_id: Remote, prompt: Remote, *args: Remote, **kwargs: Remote) -> str:
        intents = kwargs.get("intents", args[1] if len(args) > 1 else None)
        self.calls.append({"thread_id": thread_id.value, "prompt": _value(prompt, "text"),
                           "intents": None if intents is None else [name.value for name in intents],
                           "events": self.load_thread(thread_id).value["events"]})
        return self.status


@hidden.test("launch_and_resume_run_the_loop")
def launch_and_resume_run_the_loop(launch, resume, new_thread, load_thread, append_event, system_prompt, ToolRequested,
                                   Approval, AGENT_INTENTS, ResumeError, learner, rng):
    """launch runs run_loop on a new stored thread with AGENT_INTENTS; resume stores the answer, or refuses it, first."""
    offered = [name.value for name in AGENT_INTENTS]
    for policy in (None, _policy(float(rng.randrange(110, 400)))):
        loop = _Loop(load_thread)
        with _drawn_world(rng, "approval_required", lambda case: FakeModel.scripted()) as (db, case, _model), \
                learner.stand_ins(run_loop=loop):
            args = (case.ticket,) if policy is None else (case.ticket, policy)
            thread_id = _call("launch(ticket)", launch, *args).value
            prompt = _value(system_prompt(policy or db.policy), "text")
            try:
                stored = load_thread(thread_id).value
            except LearnerError:
                stored = None
        assert stored is not None, f"launch returned {thread_id!r}, which is not the id of a stored thread: return the new thread's id."
        assert stored["ticket"]["ticket_id"] == case.ticket.ticket_id, "launch's thread does not hold the ticket."
        assert len(loop.calls) == 1 and loop.calls[0]["thread_id"] == thread_id, (
            f"launch called run_loop {_times(len(loop.calls))} (on {[c['thread_id'] for c in loop.calls]}); run it once, "
            "on the new thread.")
        assert loop.calls[0]["prompt"] == prompt, (
            "launch ran the loop with another prompt than system_prompt(policy or current_shop().policy).")
        assert loop.calls[0]["intents"] in (None, offered), (
            f"launch offered the model {loop.calls[0]['intents']}; offer AGENT_INTENTS (run_loop's default).")
    loop = _Loop(load_thread, rng.choice(("waiting", "done")))
    with _drawn_world(rng, "approval_required", lambda case: FakeModel.scripted()) as (db, case, _model), \
            learner.stand_ins(run_loop=loop):
        thread_id = new_thread(case.ticket).value
        asked = {**_APPROVAL_ARGS, "order_id": case.order_id, "amount": case.expected.refund_amount}
        append_event(thread_id, ToolRequested(name="request_approval", arguments=json.dumps(asked)))
        call_id = len(load_thread(thread_id).value["events"]) - 1
        try:
            status = resume(thread_id, Approval(call_id=call_id, approved=True, comment="Fine.", by="Ada")).value
        except LearnerNotImplemented:
            raise
        except LearnerError as error:
            raise AssertionError(f"resume(thread_id, Approval(...)) raised {error.type}" + (
                "; it never called run_loop: continue the thread with run_loop, this lesson's loop." if not loop.calls
                else f": {error.message}")) from None
        seen = loop.calls[0]["events"] if loop.calls else []
        assert len(loop.calls) == 1 and seen and seen[-1]["kind"] == "tool_result" and seen[-1]["name"] == "request_approval", (
            f"resume ran run_loop {_times(len(loop.calls))}, on a thread ending with "
            f"{[e['kind'] for e in seen][-1:]}: store the answer first (record_answer), then run the loop once.")
        assert status == loop.status, f"resume returned {status!r}, not the status run_loop returned ({loop.status!r})."
        for answer in (Approval(call_id=call_id, approved=True), Approval(call_id=call_id + 5, approved=False)):
            try:
                resume(thread_id, answer)
            except LearnerNotImplemented:
                raise
            except LearnerError as error:
                assert error.isa(ResumeError), f"resume with an answer the thread does not wait for raised {error.type}."
            else:
                raise AssertionError("resume took an answer the thread does not wait for: refuse it (record_answer).")
        assert len(loop.calls) == 1, "resume ran the loop after refusing an answer: refuse first, and run nothing."


# --- The agent as a whole ----------------------------------------------------------------------

def _requested(load_thread: Remote, thread_id: str) -> list[str]:
    return [e["name"] for e in _events(load_thread, thread_id) if e["kind"] == "tool_call"]


def _pending(load_thread: Remote, thread_id: str) -> dict[str, Any]:
    events = _events(load_thread, thread_id)
    last = events[-1] if events else {}
    return {"name": last.get("name"), **json.loads(last.get("arguments") or "{}")} if last.get("kind") == "tool_call" else {}


@hidden.test("agent_handles_the_scenarios")
def agent_handles_the_scenarios(launch, run_loop, new_thread, load_thread, status_of, system_prompt, INTENTS, rng):
    """The whole agent on the shop brain: each scenario's outcome, named and drawn; every effect follows a model call;
    large_refund waits for approval, naive model or not."""
    outcomes: list[Any] = list(DRAWN_OUTCOMES)
    rng.shuffle(outcomes)
    for name, outcome in [*((name, None) for name in SCENARIOS), *(("a drawn ticket", o) for o in outcomes)]:
        model = FakeModel(shop_brain)
        with _world(model) as db:
            scenario = SCENARIOS[name] if outcome is None else draw_scenario(db, rng, outcome)
            before = Records.of(db)
            thread_id = _call(f"launch on the {name} ticket", launch, scenario.ticket).value
            got = outcome_of(db, scenario, called=_requested(load_thread, thread_id))
            status = status_of(load_thread(thread_id)).value
            refunded = refunded_amount(db, scenario)
            effects_follow_calls(db, model.transcript.tool_calls(), before, where=f"On the {name} ticket")
        expected = scenario.expected
        assert got == expected.outcome, f"On the {name} ticket the agent's outcome was {got!r}, not {expected.outcome!r}."
        if expected.outcome == "refunded":
            assert refunded == expected.refund_amount, f"On the {name} ticket the agent refunded ${refunded:.2f}."
        want = "waiting" if expected.outcome in ("approval_required", "ask_customer") else "done"
        assert status == want, f"On the {name} ticket the thread ends {status!r}, not {want!r}."
    with _world() as db:
        thread_id = new_thread(_LARGE.ticket).value
        _call("run_loop with a model not offered request_approval", run_loop, thread_id, system_prompt(db.policy),
              intents=INTENTS)
        pending = _pending(load_thread, thread_id)
        refunded = refunded_amount(db, _LARGE)
    assert refunded == 0, (
        f"With a model that is not offered request_approval, the agent refunded ${refunded:.2f} on large_refund: above "
        "the approval limit, code must ask a person whatever the model does.")
    assert pending.get("name") == "request_approval" and pending.get("amount") == 899.0, (
        f"With a model that is not offered request_approval, large_refund ends waiting on {pending or 'nothing'}; it "
        "should wait on a request_approval for $899.00.")


@hidden.test("approved_refund_happens_once")
def approved_refund_happens_once(run_loop, resume, new_thread, load_thread, system_prompt, Approval, INTENTS, rng):
    """After a person approves, the refund happens once: a model asking again is refused, a second answer too.
    On a drawn ticket above the approval limit (its order and amount unknown in advance)."""
    def approve(thread_id: str) -> str:
        call_id = len(load_thread(thread_id).value["events"]) - 1
        return _call("resume(thread_id, Approval(approved=True))", resume, thread_id,
                     Approval(call_id=call_id, approved=True, by="Ada")).value

    with _world() as db:
        large = draw_scenario(db, rng, "approval_required")
        order, amount = large.order_id, large.expected.refund_amount or 0.0
        thread_id = new_thread(large.ticket).value
        _call("run_loop on a large refund", run_loop, thread_id, system_prompt(db.policy), intents=INTENTS)
        assert _pending(load_thread, thread_id).get("name") == "request_approval", (
            f"The agent did not wait for approval on a ${amount:.2f} refund with a model not offered request_approval.")
        status = approve(thread_id)
        rows, refunded = _refund_rows(db, order), refunded_amount(db, large)
    assert rows == 1 and refunded == amount, (
        f"After a person approved ${amount:.2f}, the shop made {rows} refunds (${refunded:.2f}); expected one of "
        f"${amount:.2f}.")
    assert status == "done", f"After the approved refund, the agent's status is {status!r}, not 'done'."
    with Shop.create() as db:
        large = draw_scenario(db, rng, "approval_required")
        refund = {"order_id": large.order_id, "amount": large.expected.refund_amount, "reason": "damaged"}
        eager = FakeModel.scripted(*_calls(("issue_refund", refund), ("issue_refund", refund), ("issue_refund", refund)),
                                   Reply.text(f"Refunded order {large.order_id}."))
        with use_shop(db), use_model(eager):
            thread_id = new_thread(large.ticket).value
            _call(f"run_loop with a model that refunds ${refund['amount']:.2f} directly", run_loop, thread_id,
                  system_prompt(db.policy))
            assert _refund_rows(db, large.order_id) == 0, (
                f"A model that refunds ${refund['amount']:.2f} directly got its refund without approval.")
            approve(thread_id)
            rows = _refund_rows(db, large.order_id)
            errors = [e for e in _events(load_thread, thread_id)
                      if e["kind"] == "tool_error" and e.get("name") == "issue_refund"]
    assert rows == 1, f"After one approval, a model that asks for the same large refund twice got {rows} refunds."
    assert len(errors) >= 2, "The model's second refund after the approval was not answered with a ToolFailed."


@hidden.test("rejection_feedback_reaches_the_model")
def rejection_feedback_reaches_the_model(launch, resume, load_thread, Approval, rng):
    """A rejection's comment is the request's result; the model reads it and proposes the smaller amount (drawn)."""
    model = FakeModel(shop_brain)
    with _world(model) as db:
        large = draw_scenario(db, rng, "approval_required")
        limit, full = db.policy.approval_limit, large.expected.refund_amount or 0.0
        offer = float(rng.randrange(int(limit) + 1, int(full)))
        comment = f"We can't refund all of it for that: offer ${offer:.0f} instead."
        thread_id = _call("launch on a large refund", launch, large.ticket).value
        before = model.calls
        call_id = len(load_thread(thread_id).value["events"]) - 1
        _call("resume(thread_id, Approval(approved=False, comment=...))", resume, thread_id,
              Approval(call_id=call_id, approved=False, comment=comment, by="Ada"))
        pending = _pending(load_thread, thread_id)
        refunded = refunded_amount(db, large)
        read = any(comment in json.dumps(model.transcript.messages_sent(i)) for i in range(before, model.calls))
    assert refunded == 0, f"After a person rejected the refund, the agent refunded ${refunded:.2f}."
    assert read, "After the rejection, the model was never shown the person's comment."
    assert pending.get("name") == "request_approval" and pending.get("amount") == offer, (
        f"After \"offer ${offer:.0f} instead\", the agent ends waiting on {pending or 'nothing'}; the model should "
        f"propose ${offer:.2f}, and code should ask a person about it.")


__all__ = ["hidden"]

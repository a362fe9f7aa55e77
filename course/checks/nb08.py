"""Visible checks of lesson 08, own your control flow: `check("8.1")` … `check("8.3")`.

Cheap, public and worth no points; the hidden tests carry the points. Each check uses a fresh
shop and its own fake model, so it never touches the notebook's state. `guard` is pure, so its
checks call it on small threads built here. The checks of 8.2 run your loop with a simple guard of
their own, and those of 8.3 with a simple run_loop of their own (your functions are put back
afterwards), so each judges one exercise; the last checks of 8.3 run your whole agent, one of them
through lesson 07's approval card handed your `resume`.
"""

from __future__ import annotations

import json
from typing import Any

from course.brain import shop_brain
from course.checks.helpers import given as _given
from course.checks.helpers import swapped as _swapped
from course.checks.helpers import world as _world
from course.grading import visible
from course.llm import FakeModel, Reply
from course.shop import SCENARIOS, ShopPolicy, refunded_amount

_DAMAGED, _LARGE, _LONG = SCENARIOS["damaged_item"], SCENARIOS["large_refund"], SCENARIOS["long_thread"]
_POLICY = ShopPolicy.load()
_ASK = {"order_id": 1088, "amount": 240.0, "reason": "Never arrived.", "question": "Refund $240.00 on order 1088?",
        "options": ["approve", "reject"], "urgency": "low", "channel": "approval_card"}


def _thread(ns, ticket, events):
    thread = _given(ns, "thread_for")(ticket)
    thread.events += events
    return thread


def _answered(ns, request: dict[str, Any], **answer: Any) -> list:
    ToolRequested, ToolResult = _given(ns, "ToolRequested"), _given(ns, "ToolResult")
    stored = {"approved": answer.get("approved", True), "comment": answer.get("comment", ""), "by": "",
              "amount": answer.get("amount")}
    return [ToolRequested(name="request_approval", arguments=json.dumps(request)),
            ToolResult(name="request_approval", result=json.dumps(stored))]


def _refunded(ns, order_id: int, amount: float) -> list:
    ToolRequested, ToolResult = _given(ns, "ToolRequested"), _given(ns, "ToolResult")
    return [ToolRequested(name="issue_refund", arguments=json.dumps({"order_id": order_id, "amount": amount,
                                                                     "reason": "not_received"})),
            ToolResult(name="issue_refund", result=json.dumps({"refund_id": 4, "order_id": order_id, "amount": amount}))]


def _refund(ns, amount: float, order_id: int = 1088):
    return _given(ns, "IssueRefund")(order_id=order_id, amount=amount, reason="not_received")


def _asks(got, ns, order_id: int, amount: float) -> bool:
    return isinstance(got, _given(ns, "RequestApproval")) and got.order_id == order_id and got.amount == amount


# --- 8.1 guard ---------------------------------------------------------------------------------

@visible("8.1", hint="Above policy.approval_limit (policy.needs_approval) with no matching approval: return a "
                     "RequestApproval(order_id=..., amount=..., reason=..., question=..., options=['approve', 'reject'], ...).")
def a_large_refund_with_no_approval_is_held(guard, ns):
    for what, events in [("no approval", []),
                         ("a rejected approval", _answered(ns, _ASK, approved=False, comment="No.")),
                         ("an approval for order 1042", _answered(ns, {**_ASK, "order_id": 1042}))]:
        got = guard(_refund(ns, 240.0), _thread(ns, _LONG.ticket, events), _POLICY)
        assert _asks(got, ns, 1088, 240.0), (
            f"a $240.00 refund on order 1088 with {what} in the thread came back as {got!r}, not a RequestApproval "
            "for that order and amount")
    assert {"approve", "reject"} <= set(got.options), f"the RequestApproval offers {got.options}"


@visible("8.1", hint="Read the limit from the policy argument, and only refunds strictly above it need approval.")
def the_limit_is_the_policys(guard, ns):
    thread = _thread(ns, _LONG.ticket, [])
    for limit, amount, held in [(500.0, 240.0, False), (20.0, 24.0, True), (24.0, 24.0, False)]:
        refund = _refund(ns, amount)
        got = guard(refund, thread, _POLICY.model_copy(update={"approval_limit": limit}))
        if held:
            assert _asks(got, ns, 1088, amount), f"with approval_limit={limit}, a ${amount:.2f} refund came back as {got!r}"
        else:
            assert got == refund, f"with approval_limit={limit}, a ${amount:.2f} refund came back as {got!r}, not itself"


@visible("8.1", hint="An approved answer for that order lets through any amount up to the one requested.")
def an_approved_refund_passes(guard, ns):
    thread = _thread(ns, _LONG.ticket, _answered(ns, _ASK))
    for amount in (240.0, 120.0):
        refund = _refund(ns, amount)
        got = guard(refund, thread, _POLICY)
        assert got == refund, f"after a person approved $240.00 on order 1088, a ${amount:.2f} refund came back as {got!r}"


@visible("8.1", hint="When answer.amount is not None, the person approved exactly that amount: compare in cents.")
def a_lowered_approval_is_for_that_amount(guard, ns):
    thread = _thread(ns, _LONG.ticket, _answered(ns, _ASK, amount=150.0))
    refund = _refund(ns, 150.0)
    assert guard(refund, thread, _POLICY) == refund, "the $150.00 a person approved (instead of $240.00) was not let through"
    for amount in (240.0, 140.0):
        got = guard(_refund(ns, amount), thread, _POLICY)
        assert _asks(got, ns, 1088, amount), (
            f"after a person approved $150.00 instead of $240.00, a ${amount:.2f} refund came back as {got!r}")


@visible("8.1", hint="Check refunds_in(thread) first, approval or not; a failed refund is not a refund.")
def one_refund_per_order(guard, ns):
    ToolFailed, ToolRequested = _given(ns, "ToolFailed"), _given(ns, "ToolRequested")
    for what, events, amount in [("refunded $24.00 on order 1088", _refunded(ns, 1088, 24.0), 24.0),
                                 ("approved and refunded $240.00 on order 1088",
                                  [*_answered(ns, _ASK), *_refunded(ns, 1088, 240.0)], 240.0)]:
        got = guard(_refund(ns, amount), _thread(ns, _LONG.ticket, events), _POLICY)
        assert isinstance(got, ToolFailed) and got.name == "issue_refund" and "1088" in got.error, (
            f"in a thread that {what}, another refund on order 1088 came back as {got!r}, not a ToolFailed "
            "named issue_refund that names the order")
    failed = [ToolRequested(name="issue_refund", arguments='{"order_id": 1088, "amount": 24.0, "reason": "other"}'),
              ToolFailed(name="issue_refund", error="The payment provider timed out.")]
    refund = _refund(ns, 24.0)
    got = guard(refund, _thread(ns, _LONG.ticket, failed), _POLICY)
    assert got == refund, f"after a refund on order 1088 failed, the retry came back as {got!r}, not itself"


@visible("8.1", hint="Return any intent that is not an IssueRefund as it is, and never change the thread.")
def other_intents_pass_and_nothing_changes(guard, ns):
    thread = _thread(ns, _LONG.ticket, _refunded(ns, 1042, 18.5))
    stored = thread.model_dump_json()
    for intent in [_given(ns, "GetOrder")(order_id=1088), _given(ns, "Done")(summary="Refunded Grace."),
                   _given(ns, "CheckRefundPolicy")(order_id=1088, amount=240.0), _given(ns, "RequestApproval")(**_ASK)]:
        got = guard(intent, thread, _POLICY)
        assert got == intent, f"{intent!r} came back as {got!r}: only refunds have rules here"
    guard(_refund(ns, 240.0), thread, _POLICY)
    assert thread.model_dump_json() == stored, "guard changed the thread it was given: it should only read it"


# --- 8.2 run_loop ------------------------------------------------------------------------------

class _Guard:
    """A simple guard: `ruling(intent)` for each refund (None: let it through), every other intent as it is."""

    def __init__(self, ns, ruling=None):
        self.IssueRefund, self.ruling, self.policies = _given(ns, "IssueRefund"), ruling, []

    def __call__(self, intent, thread, policy):
        if not isinstance(intent, self.IssueRefund):
            return intent
        self.policies.append(policy)
        held = self.ruling(intent) if self.ruling else None
        return intent if held is None else held


def _run(run_loop, ns, model, scenario=_DAMAGED, guard=None, policy=None, **kwargs):
    """Run the loop on a new thread with a simple guard: (status, events after the ticket, dollars refunded)."""
    with _world(model, policy) as db, _swapped(ns, guard=guard or _Guard(ns)):
        thread_id = _given(ns, "new_thread")(scenario.ticket)
        status = run_loop(thread_id, _given(ns, "system_prompt")(_POLICY), **kwargs)
        events = _given(ns, "load_thread")(thread_id).events
        return status, events[[e.kind for e in events].index("ticket") + 1:], refunded_amount(db, scenario)


def _kinds(events) -> list[str]:
    return [f"{e.kind}:{getattr(e, 'name', '')}" for e in events]


@visible("8.2", hint="case Done(summary=summary): store Finished(summary=summary) and return 'done'.")
def done_finishes(run_loop, ns):
    model = FakeModel.scripted(Reply.tool_call("get_order", {"order_id": 1042}), Reply.text("All sorted."),
                               Reply.tool_call("get_order", {"order_id": 1042}))
    status, events, _ = _run(run_loop, ns, model)
    assert model.calls == 2, f"after the model answered 'All sorted.', run_loop asked it again ({model.calls} calls)"
    assert events[-1].kind == "finished" and events[-1].summary == "All sorted.", f"the thread ends {_kinds(events)[-1:]}"
    assert status == "done", f"run_loop returned {status!r} after a Done"


@visible("8.2", hint="A name in HUMAN_TOOLS: store its ToolRequested and return 'waiting'; do not act on it.")
def asking_a_person_pauses(run_loop, ns):
    ask = {"question": "Could you send the order number?", "options": [], "urgency": "low", "channel": "chat"}
    model = FakeModel.scripted(Reply.tool_call("ask_customer", ask), Reply.text("Done."))
    status, events, _ = _run(run_loop, ns, model)
    assert _kinds(events) == ["tool_call:ask_customer"] and status == "waiting" and model.calls == 1, (
        f"after the model called ask_customer, the thread holds {_kinds(events)} and run_loop returned {status!r}")


@visible("8.2", hint="A RequestApproval from guard: store ToolFailed(name='issue_refund', ...) for the model's call, "
                     "then the request as ToolRequested(name='request_approval', ...), and return 'waiting'.")
def a_held_refund_waits(run_loop, ns):
    RequestApproval = _given(ns, "RequestApproval")
    stand_in = _Guard(ns, lambda intent: RequestApproval(**{**_ASK, "amount": intent.amount}))
    model = FakeModel.scripted(Reply.tool_call("issue_refund", {"order_id": 1088, "amount": 240.0, "reason": "other"}),
                               Reply.text("Refunded."))
    status, events, refunded = _run(run_loop, ns, model, _LONG, stand_in, policy=_POLICY.model_copy(
        update={"approval_limit": 75.0}))
    assert stand_in.policies, "run_loop did not ask guard about the model's refund"
    assert refunded == 0, f"guard held the refund and ${refunded:.2f} was refunded"
    assert _kinds(events) == ["tool_call:issue_refund", "tool_error:issue_refund", "tool_call:request_approval"], (
        f"after guard held the refund the thread holds {_kinds(events)}")
    assert status == "waiting" and model.calls == 1, f"run_loop returned {status!r} after {model.calls} model calls"
    assert stand_in.policies[0].approval_limit == 75.0, "guard was not given the shop's policy (current_shop().policy)"


@visible("8.2", hint="A ToolFailed from guard: store the refund's ToolRequested, then that ToolFailed, and go on.")
def a_refused_refund_is_read(run_loop, ns):
    ToolFailed = _given(ns, "ToolFailed")
    stand_in = _Guard(ns, lambda intent: ToolFailed(name="issue_refund", error="Rejected by the check."))
    model = FakeModel.scripted(Reply.tool_call("issue_refund", {"order_id": 1088, "amount": 24.0, "reason": "other"}),
                               Reply.text("Told Grace."))
    status, events, refunded = _run(run_loop, ns, model, _LONG, stand_in)
    assert refunded == 0, f"guard refused the refund and ${refunded:.2f} was refunded"
    assert _kinds(events)[:2] == ["tool_call:issue_refund", "tool_error:issue_refund"], f"the thread holds {_kinds(events)}"
    assert model.calls == 2 and status == "done", "after a refused refund the loop should go on: the model reads it"


@visible("8.2", hint="Any other tool, and a refund guard lets through: store its ToolRequested, then act(...).")
def tools_are_acted_on(run_loop, ns):
    model = FakeModel.scripted(Reply.tool_call("issue_refund", {"order_id": 1088, "amount": 24.0, "reason": "other"}),
                               Reply.tool_call("get_order", {"order_id": 1088}), Reply.text("Refunded Grace."))
    status, events, refunded = _run(run_loop, ns, model, _LONG)
    assert _kinds(events) == ["tool_call:issue_refund", "tool_result:issue_refund", "tool_call:get_order",
                              "tool_result:get_order", "finished:"], f"the thread holds {_kinds(events)}"
    assert status == "done", f"run_loop returned {status!r} after the model said it was done"
    assert refunded == 24.0, f"guard let a $24.00 refund through and ${refunded:.2f} was refunded"


@visible("8.2", hint="status 'interrupted' (last event a ToolRequested, no result): act on that stored call first.")
def an_interrupted_step_is_finished_first(run_loop, ns):
    model = FakeModel.scripted(Reply.text("Done."))
    with _world(model), _swapped(ns, guard=_Guard(ns)):
        thread_id = _given(ns, "new_thread")(_LONG.ticket)
        _given(ns, "append_event")(thread_id, _given(ns, "ToolRequested")(name="get_order", arguments='{"order_id": 1088}'))
        run_loop(thread_id, _given(ns, "system_prompt")(_POLICY))
        events = _given(ns, "load_thread")(thread_id).events
    assert _kinds(events)[-3:-1] == ["tool_call:get_order", "tool_result:get_order"], (
        f"an interrupted get_order was left as {_kinds(events)[-3:]}")


@visible("8.2", hint="A ToolCallError from determine_next_step: store ToolFailed(name='model', error=str(error)), go on.")
def a_malformed_call_is_recorded(run_loop, ns):
    model = FakeModel.scripted(Reply.tool_call("cancel_order", {"order_id": 1042}), Reply.text("Sorry."))
    status, events, _ = _run(run_loop, ns, model)
    assert _kinds(events)[:1] == ["tool_error:model"] and status == "done", (
        f"after a call to an unknown tool the thread holds {_kinds(events)} and run_loop returned {status!r}")


@visible("8.2", hint="After the for loop, still working: store ToolRequested(name='escalate', "
                     "arguments=Escalate(reason=..., urgency=...).model_dump_json()) and return 'waiting'.")
def out_of_steps_escalates(run_loop, ns):
    for steps in (2, None):
        model = FakeModel(lambda request: Reply.tool_call("track_shipment", {"order_id": 1077}))
        kwargs = {} if steps is None else {"max_steps": steps}
        status, events, _ = _run(run_loop, ns, model, SCENARIOS["where_is_my_order"], **kwargs)
        want = steps or 12
        assert model.calls == want, f"with {kwargs or 'the default max_steps'}, the model was asked {model.calls} times"
        assert _kinds(events)[-1:] == ["tool_call:escalate"] and status == "waiting", (
            f"out of steps the thread ends {_kinds(events)[-1:]} and run_loop returned {status!r}")
        _given(ns, "Escalate").model_validate_json(events[-1].arguments)


@visible("8.2", hint="Count every step, a malformed call too: the `for _ in range(max_steps)` loop takes a step per "
                     "model call, whatever the model answers.")
def a_model_that_only_sends_malformed_calls_is_escalated(run_loop, ns):
    asked = []

    def malformed_then_done(request):  # bounded: a loop that never counts a malformed call still ends
        asked.append(request)
        return Reply.tool_call("cancel_order", {"order_id": 1077}) if len(asked) <= 8 else Reply.text("Done.")

    model = FakeModel(malformed_then_done)
    status, events, _ = _run(run_loop, ns, model, SCENARIOS["where_is_my_order"], max_steps=3)
    assert model.calls == 3, (
        f"with max_steps=3 and a model whose every call is malformed, the model was asked {model.calls} times: "
        "a malformed call is a step too")
    assert _kinds(events)[-1:] == ["tool_call:escalate"] and status == "waiting", (
        f"out of steps the thread ends {_kinds(events)[-1:]} and run_loop returned {status!r}")


# --- 8.3 launch and resume ---------------------------------------------------------------------

class _Loop:
    def __init__(self, ns):
        self.load_thread, self.calls = _given(ns, "load_thread"), []

    def __call__(self, thread_id, prompt, max_steps=12, intents=None):
        self.calls.append((thread_id, prompt.text, intents, self.load_thread(thread_id).events[-1].kind))
        return "waiting"


@visible("8.3", hint="launch: thread_id = new_thread(ticket); run_loop(thread_id, system_prompt(policy or "
                     "current_shop().policy)); return thread_id.")
def launch_runs_the_loop(launch, ns):
    loop = _Loop(ns)
    policy = _POLICY.model_copy(update={"approval_limit": 60.0})
    with _world(FakeModel.scripted()), _swapped(ns, run_loop=loop):
        thread_id = launch(_LONG.ticket, policy)
        ticket = _given(ns, "load_thread")(thread_id).ticket if isinstance(thread_id, str) else None
    assert ticket == _LONG.ticket, f"launch returned {thread_id!r}, not the id of a stored thread for the ticket"
    assert len(loop.calls) == 1 and loop.calls[0][0] == thread_id, f"launch called run_loop {len(loop.calls)} times"
    assert loop.calls[0][1] == _given(ns, "system_prompt")(policy).text, "launch did not render the prompt with its policy"
    intents = loop.calls[0][2]
    assert intents is None or "request_approval" in intents, f"launch offered {list(intents or [])}: offer AGENT_INTENTS"


@visible("8.3", hint="resume: record_answer(thread_id, answer) first (it refuses wrong answers), then return run_loop(...).")
def resume_stores_then_runs(resume, ns):
    loop = _Loop(ns)
    with _world(FakeModel.scripted()), _swapped(ns, run_loop=loop):
        thread_id = _given(ns, "new_thread")(_LONG.ticket)
        _given(ns, "append_event")(thread_id, _given(ns, "ToolRequested")(name="request_approval", arguments=json.dumps(_ASK)))
        call_id = len(_given(ns, "load_thread")(thread_id).events) - 1
        status = resume(thread_id, _given(ns, "Approval")(call_id=call_id, approved=False, comment="No."))
        assert [c[3] for c in loop.calls] == ["tool_result"] and status == "waiting", (
            "resume should store the answer (record_answer), then run run_loop once and return its status")
        try:
            resume(thread_id, _given(ns, "Approval")(call_id=call_id, approved=True))
        except _given(ns, "ResumeError"):
            pass
        else:
            raise AssertionError("resume took a second answer to the same request: let record_answer refuse it")
    assert len(loop.calls) == 1, "resume ran the loop after refusing an answer"


@visible("8.3", hint="The whole agent: your guard, run_loop and launch (finish 8.1 and 8.2 first).")
def the_agent_holds_the_naive_refund(launch, ns):
    with _world(FakeModel(shop_brain)) as db:
        thread_id = _given(ns, "new_thread")(_LARGE.ticket)
        _given(ns, "run_loop")(thread_id, _given(ns, "system_prompt")(db.policy), intents=_given(ns, "INTENTS"))
        last = _given(ns, "load_thread")(thread_id).events[-1]
        assert refunded_amount(db, _LARGE) == 0 and getattr(last, "name", "") == "request_approval", (
            f"with a model not offered request_approval, large_refund refunded ${refunded_amount(db, _LARGE):.2f} "
            f"and the thread ends with {last!r}")
    with _world(FakeModel(shop_brain)) as db:
        launch(_DAMAGED.ticket)
        assert refunded_amount(db, _DAMAGED) == 18.5, "your agent did not refund Maya's $18.50 mug"


@visible("8.3", hint="The whole agent: a rejection's comment is the request's result, the model reads it on the next "
                     "step; an approval lets exactly one refund through (finish 8.1 and 8.2 first).")
def a_rejection_with_feedback_and_an_approval(launch, resume, ns):
    Approval, load_thread = _given(ns, "Approval"), _given(ns, "load_thread")
    with _world(FakeModel(shop_brain)) as db:
        thread_id = launch(_LARGE.ticket)
        call_id = len(load_thread(thread_id).events) - 1
        resume(thread_id, Approval(call_id=call_id, approved=False, comment="Please offer $200 instead."))
        last = load_thread(thread_id).events[-1]
        asked = json.loads(last.arguments).get("amount") if getattr(last, "name", "") == "request_approval" else None
        assert asked == 200.0, f"after a rejection saying 'offer $200 instead', the thread ends with {last!r}"
        resume(thread_id, Approval(call_id=len(load_thread(thread_id).events) - 1, approved=True))
        refunded = refunded_amount(db, _LARGE)
    assert refunded == 200.0, f"after a person approved $200.00, ${refunded:.2f} was refunded"


@visible("8.3", hint="resume: record_answer, then run_loop: lesson 07's card calls the resume it is given, so handed "
                     "yours, a click goes through your loop and its guard (finish 8.1 and 8.2 first).")
def the_card_resumes_through_your_loop(resume, ns):
    ask = {**_ASK, "order_id": 1057, "amount": 899.0, "question": "Refund $899.00 on order 1057?"}
    overreach = FakeModel.scripted(Reply.tool_call("issue_refund", {"order_id": 1057, "amount": 899.0, "reason": "damaged"}))
    with _world(overreach) as db:
        thread_id = _given(ns, "new_thread")(_LARGE.ticket)
        _given(ns, "append_event")(thread_id, _given(ns, "ToolRequested")(name="request_approval", arguments=json.dumps(ask)))
        raised: list[BaseException] = []

        def resuming(thread_id: str, answer: object) -> object:
            """Your resume, as the card calls it; what it raises is kept (a click would only print it)."""
            try:
                return resume(thread_id, answer)
            except Exception as error:
                raised.append(error)
                return "(raised)"

        card = _given(ns, "approval_card")(thread_id, resuming)
        card.amount.value = 300.0
        card.approve.click()
        if raised:
            raise raised[0]
        last, refunded = _given(ns, "load_thread")(thread_id).events[-1], refunded_amount(db, _LARGE)
    assert refunded == 0 and getattr(last, "name", "") == "request_approval", (
        f"a person approved $300.00 on the card and the model then asked for $899.00: ${refunded:.2f} was refunded "
        f"and the thread ends with {last!r} (the card says {card.status.value!r})")
    assert "waiting" in card.status.value, (
        f"after the click the card says {card.status.value!r}: your resume should return the status, 'waiting' here")

__all__: list[str] = []  # the checks register themselves with course.grading.visible on import

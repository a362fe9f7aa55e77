"""Hidden tests of lesson 06 (launch, pause, resume). Instructor side only.

Each test is registered on `hidden` under the grade id of its graded cell and takes the learner's
definitions as parameters, each a `Remote` handle on the learner's object (autograder.boundary.remote);
`learner` is the `Learner` itself. Tests drive the fake model (the shop brain, scripted replies)
against fresh seeded shops, both kept in this process, and judge from the shop database, the
transcript and the stored thread read back as plain data, never from source.

Each exercise is scored on its own. The tests of 6.1 run the learner's `run_until_paused` over
threads stored with lesson 05's given functions. The tests of 6.2 and 6.3 replace
`run_until_paused` with a scripted stand-in of a few lines (`Learner.stand_ins`) that records
how it was called, so a slip in 6.1 costs nothing there. Four tests score the agent as a whole:
the learner's three functions on the shop brain, one of them with the resume in a brand-new worker
(`learner.fresh()`, which works in the same folder) given a new connection to the same database file.
Under plain nbgrader, where there is no worker to copy, that
part runs in the learner's kernel with a new connection (`Shop.open`).
A failure raises AssertionError saying what went wrong, in the learner's terms.

Every input is drawn from the grading's seed (`rng`): the tickets, orders and amounts (`draw_scenario`,
a new customer each, so `new_thread` gives new ids), the shop's approval limits and refund windows, the
people's comments and names, the unknown ids, the scripted model's replies, max_steps, and the order the
cases come in.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from autograder.boundary.remote import FreshWorkerUnavailable, Learner, LearnerError, LearnerNotImplemented, Remote
from autograder.hidden import HiddenTests
from autograder.hidden.calls import call as _call
from autograder.hidden.drawn import Records, effects_follow_calls, runs, scenario_in, words
from course.brain import shop_brain
from course.llm import FakeModel, Reply, use_model
from course.shop import (
    DRAWN_OUTCOMES,
    Outcome,
    PaymentProviderDown,
    Scenario,
    Shop,
    ShopPolicy,
    draw_scenario,
    outcome_of,
    refunded_amount,
    use_shop,
)
from course.shop import tools as shop_tools

hidden = HiddenTests("06")


# --- helpers ----------------------------------------------------------------------------------

@contextmanager
def _world(model: FakeModel | None = None, policy: ShopPolicy | None = None) -> Iterator[Shop]:
    """A fresh seeded shop as the current shop, and `model` (default: the shop brain) as the model."""
    with Shop.create(policy=policy) as db, use_shop(db), use_model(model or FakeModel(shop_brain)):
        yield db


def _refused(fn: Remote, *args: Any) -> LearnerError | None:
    """The error `fn(*args)` raised in the worker, or None if it returned."""
    try:
        fn(*args)
    except LearnerNotImplemented:
        raise
    except LearnerError as error:
        return error
    return None


def _events(load_thread: Remote, thread_id: str) -> list[dict[str, Any]]:
    """The stored thread's events, as plain data (lesson 05's load_thread)."""
    return list(load_thread(thread_id).value["events"])


def _pairs(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(event["kind"], event.get("name", "")) for event in events]


def _shown(event: dict[str, Any] | None) -> str:
    if event is None:
        return "nothing"
    name = f" {event['name']}" if event.get("name") else ""
    return f"a {event['kind']}{name} event"


def _refunds(db: Shop, order_id: int) -> int:
    return int(db.conn.execute("SELECT count(*) FROM refunds WHERE order_id = ?", (order_id,)).fetchone()[0])


def _names(model: FakeModel) -> list[str]:
    return [name for name, _ in model.transcript.tool_calls()]


def _times(n: int) -> str:
    return f"{n} time" + ("" if n == 1 else "s")


def _arguments(**values: Any) -> str:
    return json.dumps(values, separators=(",", ":"))


def _amount(case: Scenario) -> float:
    return case.expected.refund_amount or 0.0


def _reason(rng: random.Random) -> str:
    return f"The {words(rng)} arrived broken."


def _waiting(new_thread: Remote, append_event: Remote, ToolRequested: Remote, rng: random.Random, case: Scenario,
             name: str = "request_approval", **arguments: Any) -> tuple[str, int]:
    """A stored thread for the drawn `case` whose last event asks a person (`name`); (its id, the call's id)."""
    arguments = arguments or {"order_id": case.order_id, "amount": _amount(case), "reason": _reason(rng)}
    thread_id = new_thread(case.ticket).value
    call_id = append_event(thread_id, ToolRequested(name=name, arguments=_arguments(**arguments))).value
    return thread_id, int(call_id)


def _interrupted(db: Shop, new_thread: Remote, append_event: Remote, ToolRequested: Remote, ToolResult: Remote,
                 case: Scenario, *, refunded: bool) -> str:
    """A drawn refund's thread as a crash left it: order and policy looked up, the refund chosen and its result never
    stored; with `refunded`, the payment provider made the refund (with run_tool's key) before the crash."""
    ticket, order, amount = case.ticket, case.order_id, _amount(case)
    thread_id = new_thread(ticket).value
    for name, arguments, result in [
            ("get_order", {"order_id": order}, shop_tools.get_order(order)),
            ("check_refund_policy", {"order_id": order, "amount": amount}, shop_tools.check_refund_policy(order, amount))]:
        append_event(thread_id, ToolRequested(name=name, arguments=_arguments(**arguments)))
        append_event(thread_id, ToolResult(name=name, result=result.model_dump_json()))
    append_event(thread_id, ToolRequested(name="issue_refund", arguments=_arguments(
        order_id=order, amount=amount, reason="damaged")))
    if refunded:
        shop_tools.issue_refund(order, amount, "damaged", idempotency_key=f"ticket-{ticket.ticket_id}-order-{order}")
    assert _refunds(db, order) == (1 if refunded else 0)
    return thread_id


class _Runs:
    """A stand-in for run_until_paused: records (thread id, prompt text) and returns `status`; with `finish`, it ends
    a thread that is not done with a Finished, as a loop would."""

    def __init__(self, status: str = "waiting", finish: tuple[Remote, Remote, Any] | None = None):
        self.status, self.finish = status, finish
        self.calls: list[tuple[Any, Any]] = []

    def __call__(self, thread_id: Remote, prompt: Remote, *args: Remote, **kwargs: Remote) -> str:
        self.calls.append((thread_id.value, Remote.__getattr__(prompt, "text").value))
        if self.finish is not None:
            append_event, Finished, status_of_stored = self.finish
            if status_of_stored(thread_id).value != "done":
                append_event(thread_id, Finished(summary="The stand-in finished the thread."))
        return self.status


def _status_reader(learner: Learner) -> Any:
    """status_of(load_thread(thread_id)) in the worker, made of the notebook's given functions (lesson 05)."""
    load_thread, status_of = learner["load_thread"], learner["status_of"]

    def status(thread_id: Remote) -> Remote:
        return status_of(load_thread(thread_id))

    return status


@contextmanager
def _restarted(learner: Learner, db: Shop) -> Iterator[tuple[Learner, Shop]]:
    """A brand-new worker and a new connection to the same database file, as after a restart.

    The fresh worker works in the same folder as the first, so it opens the same file (the same SQLite
    locks), never a copy. Under plain nbgrader: the learner's kernel, a new connection.
    """
    try:
        with learner.fresh() as other:
            with Shop.open(db.path) as again, use_shop(again):
                yield other, again
    except FreshWorkerUnavailable:
        with Shop.open(db.path) as again, use_shop(again):
            yield learner, again


# --- Exercise 6.1: run_until_paused ------------------------------------------------------------

@hidden.test("pauses_at_approval_before_refunding")
def pauses_at_approval_before_refunding(run_until_paused, new_thread, load_thread, system_prompt, rng):
    """With the shop brain, a refund above the limit ends in a stored request for approval: nothing refunded, the
    model not asked again, the status "waiting"."""
    limits = [None, float(rng.randrange(15, 60))]
    rng.shuffle(limits)
    for limit in limits:
        policy = None if limit is None else ShopPolicy.load().model_copy(update={"approval_limit": limit})
        model = FakeModel(shop_brain)
        with _world(model, policy) as db:
            case = draw_scenario(db, rng, "approval_required")
            order_id, amount = case.order_id, _amount(case)
            label = f"a ${amount:.2f} refund on order {order_id}" + ("" if limit is None else f" with a ${limit:.2f} approval limit")
            thread_id = new_thread(case.ticket).value
            status = _call(f"run_until_paused on {label}", run_until_paused, thread_id, system_prompt(db.policy)).value
            events = _events(load_thread, thread_id)
            refunded = refunded_amount(db, case)
        assert refunded == 0, f"On {label}, run_until_paused refunded ${refunded:.2f} before anyone approved it."
        requests = [e for e in events if e["kind"] == "tool_call" and e["name"] == "request_approval"]
        last = events[-1] if events else None
        assert requests, (f"On {label}, the model asked for approval, but the thread has no request_approval call: "
                          "store the ToolRequested before you stop.")
        assert last is not None and last["kind"] == "tool_call" and last["name"] == "request_approval", (
            f"On {label}, the thread ends with {_shown(last)}, after the request for approval: the request's result "
            "is a person's to give. Stop right after storing it.")
        asked = json.loads(last["arguments"])
        assert asked.get("order_id") == order_id and asked.get("amount") == amount, (
            f"On {label}, the stored request carries {asked}; it should carry the model's arguments.")
        assert len(requests) == 1 and len(model.transcript) == 3, (
            f"On {label}, the model was asked {_times(len(model.transcript))} and the thread holds {len(requests)} "
            "request(s) for approval: after storing the request, stop and ask the model nothing more.")
        assert status == "waiting", f"On {label}, run_until_paused returned {status!r} while the thread waits; expected 'waiting'."


@hidden.test("runs_until_done")
def runs_until_done(run_until_paused, new_thread, load_thread, system_prompt, rng):
    """A ticket no one needs to approve runs to one Finished and returns "done"; a malformed call is recorded and the
    run goes on; a model that never finishes is asked exactly max_steps times."""
    outcomes: list[Outcome] = ["refunded", "answered", "refused"]
    rng.shuffle(outcomes)
    for outcome in outcomes:
        with _world() as db:
            case = draw_scenario(db, rng, outcome)
            label, refund = f"a ticket that should end {outcome}", _amount(case) if outcome == "refunded" else 0.0
            thread_id = new_thread(case.ticket).value
            status = _call(f"run_until_paused on {label}", run_until_paused, thread_id, system_prompt(db.policy)).value
            kinds = [kind for kind, _ in _pairs(_events(load_thread, thread_id))]
            refunded = refunded_amount(db, case)
        assert refunded == refund, f"On {label}, run_until_paused refunded ${refunded:.2f}, not ${refund:.2f}."
        assert kinds and kinds[-1] == "finished" and kinds.count("finished") == 1, (
            f"On {label}, the thread ends with {kinds[-1:]} and holds {kinds.count('finished')} Finished "
            "events: run until the first Finished, and stop there.")
        assert status == "done", f"On {label}, run_until_paused returned {status!r} for a finished thread."
    unknown, said = f"refund_{words(rng)}", f"Sorry, I cannot help with the {words(rng)}."
    with Shop.create() as db:
        case = draw_scenario(db, rng, "refunded")
        model = FakeModel.scripted(Reply.tool_call(unknown, {"order_id": case.order_id}), Reply.text(said))
        with use_shop(db), use_model(model):
            thread_id = new_thread(case.ticket).value
            status = _call("run_until_paused with a malformed tool call", run_until_paused, thread_id,
                           system_prompt(db.policy)).value
            events = _events(load_thread, thread_id)
    failed = [e for e in events if e["kind"] == "tool_error"]
    assert len(model.transcript) == 2 and failed and failed[0]["name"] == "model", (
        f"After a malformed tool call the model was asked {_times(len(model.transcript))} in all, and the thread holds "
        f"{[_shown(e) for e in failed]}: record ToolFailed(name='model', ...) and go on to the next step.")
    assert status == "done", f"After a malformed call and then a text reply, run_until_paused returned {status!r}."
    for steps in (rng.randint(2, 6), None):
        with Shop.create() as db:
            case = draw_scenario(db, rng, "ask_customer")  # its order number does not exist
            model = FakeModel(lambda request, order=case.order_id: Reply.tool_call("get_order", {"order_id": order}))
            with use_shop(db), use_model(model):
                thread_id = new_thread(case.ticket).value
                kwargs = {} if steps is None else {"max_steps": steps}
                status = _call("run_until_paused with a model that never finishes", run_until_paused, thread_id,
                               system_prompt(db.policy), **kwargs).value
        want = 12 if steps is None else steps
        label = "the default max_steps" if steps is None else f"max_steps={steps}"
        assert len(model.transcript) == want, (
            f"With a model that never finishes and {label}, run_until_paused asked it {_times(len(model.transcript))}, "
            f"not {want}.")
        assert status == "working", f"Out of steps, run_until_paused returned {status!r}: return the thread's status ('working')."


@hidden.test("interrupted_step_runs_once")
def interrupted_step_runs_once(run_until_paused, new_thread, append_event, load_thread, system_prompt,
                               ToolRequested, ToolResult, rng):
    """A thread that ends with a chosen refund and no result runs that call again (same idempotency key): one refund,
    one result right after the call, and the model is not asked to choose the refund again."""
    crashes = [True, False]
    rng.shuffle(crashes)
    for refunded in crashes:
        model = FakeModel(shop_brain)
        when = "after the payment provider refunded" if refunded else "before the refund was made"
        with _world(model) as db:
            case = draw_scenario(db, rng, "refunded")
            order, want = case.order_id, _amount(case)
            thread_id = _interrupted(db, new_thread, append_event, ToolRequested, ToolResult, case, refunded=refunded)
            stored = len(_events(load_thread, thread_id))
            status = _call(f"run_until_paused on a thread interrupted {when}", run_until_paused, thread_id,
                           system_prompt(db.policy)).value
            events = _events(load_thread, thread_id)
            count, amount = _refunds(db, order), refunded_amount(db, case)
        assert count == 1 and amount == want, (
            f"A crash came {when}; after run_until_paused order {order} has {count} refund(s) (${amount:.2f}): run the "
            "chosen call again through act, so that its idempotency key keeps it to one refund.")
        following = events[stored] if len(events) > stored else None
        assert following is not None and following["kind"] == "tool_result" and following["name"] == "issue_refund", (
            f"The thread was interrupted at its issue_refund call (a crash {when}); the next event stored is "
            f"{_shown(following)}, not that call's result: run the chosen call first.")
        assert "issue_refund" not in _names(model), (
            f"On a thread interrupted {when}, the model was asked to choose the refund again ({_names(model)}): run the "
            "call that was chosen, the last event, without asking the model.")
        calls = [e for e in events if e["kind"] == "tool_call" and e["name"] == "issue_refund"]
        assert len(calls) == 1, f"The thread holds {len(calls)} issue_refund calls for one refund."
        assert status == "done", f"After the interrupted refund ran, the thread should finish; run_until_paused returned {status!r}."


@hidden.test("stopped_thread_runs_nothing")
def stopped_thread_runs_nothing(run_until_paused, new_thread, append_event, load_thread, system_prompt,
                                ToolRequested, Finished, rng):
    """A thread that waits for a person, or is done, takes no step: the model is not asked and nothing is stored."""
    stops = ["waiting", "done"]
    rng.shuffle(stops)
    for what in stops:
        model = FakeModel(shop_brain)
        with _world(model) as db:
            case = draw_scenario(db, rng, "approval_required")
            thread_id, _ = _waiting(new_thread, append_event, ToolRequested, rng, case)
            if what == "done":
                append_event(thread_id, Finished(summary=f"The customer was told by {words(rng)}."))
            before = _events(load_thread, thread_id)
            status = _call(f"run_until_paused on a thread that is {what}", run_until_paused, thread_id,
                           system_prompt(db.policy)).value
            after = _events(load_thread, thread_id)
            refunded = refunded_amount(db, case)
        assert len(model.transcript) == 0 and after == before and refunded == 0, (
            f"On a thread that is {what}, run_until_paused asked the model {_times(len(model.transcript))} and stored "
            f"{len(after) - len(before)} event(s): read the status first, and stop at 'done' or 'waiting'.")
        assert status == what, f"On a thread that is {what}, run_until_paused returned {status!r}."


@hidden.test("offers_the_intents_given")
def offers_the_intents_given(run_until_paused, new_thread, system_prompt, INTENTS, AGENT_INTENTS, rng):
    """The model is offered the intents run_until_paused is given: AGENT_INTENTS (request_approval included) by
    default, exactly INTENTS when that is what it is given."""
    givens = [(None, "the default intents"), (INTENTS, "intents=INTENTS")]
    rng.shuffle(givens)
    for given, label in givens:
        model = FakeModel(shop_brain)
        with _world(model) as db:
            thread_id = new_thread(draw_scenario(db, rng, "approval_required").ticket).value
            kwargs = {} if given is None else {"intents": given}
            _call(f"run_until_paused with {label}", run_until_paused, thread_id, system_prompt(db.policy), **kwargs)
        want = sorted(name.value for name in (AGENT_INTENTS if given is None else INTENTS))
        offered = sorted(model.transcript.tools_offered(0)) if len(model.transcript) else []
        assert offered == want, f"With {label}, the model was offered {offered}, not {want}."


# --- Exercise 6.2: launch ----------------------------------------------------------------------

@hidden.test("launch_stores_a_new_thread")
def launch_stores_a_new_thread(launch, load_thread, thread_for, learner, rng):
    """launch stores a new thread (the ticket's own events), runs that thread, and returns its id, done or waiting."""
    statuses = ["waiting", "done"]
    rng.shuffle(statuses)
    for status in statuses:
        runs = _Runs(status)
        with _world() as db, learner.stand_ins(run_until_paused=runs):
            ticket = draw_scenario(db, rng, rng.choice(DRAWN_OUTCOMES)).ticket
            first = _call("launch(ticket)", launch, ticket).value
            second = _call("launch(ticket) again", launch, ticket).value
            assert isinstance(first, str) and isinstance(second, str), (
                f"launch returned {first!r}; it should return the thread's id (a str), whatever the thread's status.")
            stored = _call(f"load_thread({first!r})", load_thread, first).value
            want = thread_for(ticket).value
        assert first != second, f"Two launches on one ticket returned the same id {first!r}: each launch is a new thread."
        assert stored["ticket"] == want["ticket"] and stored["events"] == want["events"], (
            "The thread launch stored is not the ticket's new thread: store it with new_thread(ticket).")
        ran = [thread_id for thread_id, _ in runs.calls]
        assert ran == [first, second], (
            f"run_until_paused ran on {ran} for the launches of {[first, second]}: run each new thread once, by its id.")


@hidden.test("launch_runs_under_the_shop_policy")
def launch_runs_under_the_shop_policy(launch, system_prompt, learner, rng):
    """The thread runs under system_prompt(policy) for the policy given, and under the current shop's policy otherwise."""
    generous = ShopPolicy.load().model_copy(update={"approval_limit": float(rng.randrange(500, 2000)),
                                                    "refund_window_days": rng.randrange(45, 90)})
    strict = ShopPolicy.load().model_copy(update={"approval_limit": float(rng.randrange(20, 80)),
                                                  "refund_window_days": rng.randrange(10, 21)})
    cases = [(strict, generous, "launch(ticket, policy)"), (strict, None, "launch(ticket)")]
    rng.shuffle(cases)
    for shop_policy, given, label in cases:
        runs = _Runs()
        with _world(policy=shop_policy) as db, learner.stand_ins(run_until_paused=runs):
            ticket = draw_scenario(db, rng, "refunded").ticket
            _call(label, launch, ticket, *([given] if given is not None else []))
            want = system_prompt(given or shop_policy).text.value
        assert runs.calls, f"{label} never ran the thread: call run_until_paused."
        which = "the policy it was given" if given is not None else "the current shop's policy"
        assert runs.calls[0][1] == want, f"{label} ran the thread under a prompt that is not system_prompt of {which}."


# --- Exercise 6.3: record_answer and resume ----------------------------------------------------

def _person(rng: random.Random) -> str:
    return f"{words(rng).capitalize()} ({words(rng)} desk)"


@hidden.test("answer_becomes_the_requests_result")
def answer_becomes_the_requests_result(record_answer, new_thread, append_event, load_thread, ToolRequested,
                                       Approval, CustomerReply, rng):
    """An answer that fits is stored as exactly one ToolResult, under the waiting call's name, carrying the answer."""
    cases: list[tuple[str, Outcome, Any, dict[str, Any]]] = [
        ("request_approval", "approval_required", Approval,
         {"approved": True, "comment": f"{words(rng).capitalize()} on arrival.", "by": _person(rng)}),
        ("request_approval", "approval_required", Approval,
         {"approved": False, "comment": f"Ask for {words(rng)} photos first.", "by": _person(rng)}),
        ("ask_customer", "ask_customer", CustomerReply, {})]
    rng.shuffle(cases)
    for name, outcome, Answer, fields in cases:
        with _world() as db:
            case = draw_scenario(db, rng, outcome)
            arguments = {"question": f"Which order number is on your {words(rng)}?"} if name == "ask_customer" else {}
            fields = fields or {"body": case.customer_reply}
            thread_id, call_id = _waiting(new_thread, append_event, ToolRequested, rng, case, name, **arguments)
            before = _events(load_thread, thread_id)
            answer = Answer(call_id=call_id, **fields)
            _call(f"record_answer with {answer!r}", record_answer, thread_id, answer)
            after = _events(load_thread, thread_id)
        added = after[len(before):]
        assert after[:len(before)] == before, f"record_answer changed the events already stored (answering {name})."
        assert len(added) == 1, f"Answering a {name} call stored {len(added)} events; the answer is the call's one result."
        result = added[0]
        assert result["kind"] == "tool_result" and result["name"] == name, (
            f"The answer to a {name} call was stored as {_shown(result)}: store a ToolResult named {name!r}, so the "
            "model reads it as that call's result.")
        stored = json.loads(result["result"])
        wrong = {key: stored.get(key) for key, value in fields.items() if stored.get(key) != value}
        assert not wrong, f"The stored answer to the {name} call reads {wrong} instead of the person's {fields}."


@hidden.test("mismatched_answer_is_refused")
def mismatched_answer_is_refused(record_answer, new_thread, append_event, load_thread, ToolRequested, Finished,
                                 Approval, ResumeError, rng):
    """An answer to another call, a second answer, an answer to a finished thread, and no answer for a waiting thread
    are each refused with ResumeError, with nothing stored."""
    with _world() as db:
        cases_drawn = [draw_scenario(db, rng, "approval_required") for _ in range(3)]
        thread_id, call_id = _waiting(new_thread, append_event, ToolRequested, rng, cases_drawn[0])
        cases = [("an answer to another call", thread_id, Approval(call_id=call_id - rng.randint(1, call_id), approved=True)),
                 ("an answer to a call that does not exist", thread_id,
                  Approval(call_id=call_id + rng.randint(1, 9), approved=rng.random() < 0.5)),
                 ("no answer at all for a waiting thread", thread_id, None)]
        answered, answered_id = _waiting(new_thread, append_event, ToolRequested, rng, cases_drawn[1])
        first = rng.random() < 0.5
        _call("record_answer with an approval that fits", record_answer, answered, Approval(call_id=answered_id, approved=first))
        cases.append(("a second answer to a call already answered", answered, Approval(call_id=answered_id, approved=not first)))
        done, done_id = _waiting(new_thread, append_event, ToolRequested, rng, cases_drawn[2])
        append_event(done, Finished(summary=f"Handled by {words(rng)}."))
        cases.append(("an answer to a thread that is done", done, Approval(call_id=done_id, approved=True)))
        rng.shuffle(cases)
        for what, target, answer in cases:
            before = _events(load_thread, target)
            error = _refused(record_answer, target, answer)
            after = _events(load_thread, target)
            assert error is not None, f"record_answer took {what}: refuse it with ResumeError."
            assert error.isa(ResumeError), f"record_answer refused {what} with {error.type}, not ResumeError."
            assert after == before, f"record_answer refused {what}, but stored {len(after) - len(before)} event(s) first."
        assert all(refunded_amount(db, case) == 0 for case in cases_drawn)


@hidden.test("customer_writing_while_approval_pending_is_refused")
def customer_writing_while_approval_pending_is_refused(record_answer, resume, new_thread, append_event, load_thread,
                                                       ToolRequested, CustomerReply, ResumeError, learner, rng):
    """The stated rule: a customer's reply that arrives while a request for approval waits is refused with ResumeError;
    the thread and the shop are unchanged and nothing runs."""
    runs = _Runs()
    with _world() as db, learner.stand_ins(run_until_paused=runs):
        case = draw_scenario(db, rng, "approval_required")
        thread_id, call_id = _waiting(new_thread, append_event, ToolRequested, rng, case)
        before = _events(load_thread, thread_id)
        body = f"Any news about my {words(rng)}?"
        for fn, label in [(record_answer, "record_answer"), (resume, "resume")]:
            error = _refused(fn, thread_id, CustomerReply(call_id=call_id, body=body))
            assert error is not None and error.isa(ResumeError), (
                f"The customer wrote again while the approval was pending, and {label} "
                + ("took it" if error is None else f"raised {error.type}") + ": refuse it with ResumeError.")
        after = _events(load_thread, thread_id)
        assert after == before, "Refusing the customer's reply stored events: refuse it before storing anything."
        assert refunded_amount(db, case) == 0
    assert not runs.calls, "resume ran the thread after refusing the customer's reply: a refused answer runs nothing."


@hidden.test("unknown_thread_is_a_clear_error")
def unknown_thread_is_a_clear_error(resume, record_answer, new_thread, Approval, ThreadNotFound, learner, rng):
    """Resuming or answering a thread the store does not have raises ThreadNotFound; nothing is stored or run."""
    runs = _Runs()
    with _world() as db, learner.stand_ins(run_until_paused=runs):
        new_thread(draw_scenario(db, rng, "refunded").ticket)  # the store's tables exist
        before = list(db.conn.iterdump())
        unknown, other = f"ticket-{rng.randrange(1000, 10_000)}-{rng.randint(1, 9)}", f"{words(rng, 2)}-thread"
        calls = [("resume", resume, (unknown, Approval(call_id=rng.randint(1, 9), approved=True))),
                 ("resume", resume, (unknown,)),
                 ("record_answer", record_answer, (other, Approval(call_id=rng.randint(1, 9), approved=True)))]
        rng.shuffle(calls)
        for label, fn, args in calls:
            error = _refused(fn, *args)
            assert error is not None, f"{label}{args[:1]} on a thread the store does not have returned instead of raising."
            assert error.isa(ThreadNotFound), (
                f"{label} on an unknown thread id raised {error.type}: let lesson 05's ThreadNotFound (from load_thread) reach "
                "the caller.")
        assert list(db.conn.iterdump()) == before, "Resuming an unknown thread stored something."
    assert not runs.calls, "resume ran an unknown thread: find the thread (load_thread) first."


@hidden.test("duplicate_resume_executes_nothing_twice")
def duplicate_resume_executes_nothing_twice(resume, new_thread, append_event, load_thread, system_prompt,
                                            ToolRequested, Finished, Approval, ResumeError, learner, rng):
    """resume records the answer and runs the thread under the policy's prompt, returning the status; the same answer
    again is refused and runs nothing. With no answer it runs an interrupted thread, and refuses one that waits for a
    person."""
    policy = ShopPolicy.load().model_copy(update={"approval_limit": float(rng.randrange(150, 900))})
    givens = [policy, None]
    rng.shuffle(givens)
    for given in givens:
        runs = _Runs("done", finish=(append_event, Finished, _status_reader(learner)))
        with _world() as db, learner.stand_ins(run_until_paused=runs):
            thread_id, call_id = _waiting(new_thread, append_event, ToolRequested, rng,
                                          draw_scenario(db, rng, "approval_required"))
            approval = Approval(call_id=call_id, approved=True, by=_person(rng))
            args = (thread_id, approval) + ((given,) if given is not None else ())
            status = _call("resume(thread_id, approval)", resume, *args).value
            kinds = _pairs(_events(load_thread, thread_id))
            want = system_prompt(given or db.policy).text.value
            error = _refused(resume, *args)
            again = _pairs(_events(load_thread, thread_id))
        assert kinds[-2:] == [("tool_result", "request_approval"), ("finished", "")], (
            f"After resume(thread_id, approval) the thread ends with {kinds[-2:]}: record the answer, then run the thread.")
        assert status == "done", f"resume returned {status!r}; return the status run_until_paused returns ('done')."
        which = "the policy given" if given is not None else "the current shop's policy"
        assert runs.calls and runs.calls[0] == (thread_id, want), (
            f"resume ran {[c[0] for c in runs.calls]} under a prompt that is not system_prompt of {which}.")
        assert error is not None and error.isa(ResumeError), (
            "The same approval, sent twice, was "
            + ("taken again" if error is None else f"refused with {error.type}") + ": refuse it with ResumeError.")
        assert len(runs.calls) == 1 and again == kinds, (
            f"A duplicate resume ran the thread {_times(len(runs.calls) - 1)} more and stored "
            f"{len(again) - len(kinds)} event(s): it must run nothing.")
    runs = _Runs("done")
    with _world() as db, learner.stand_ins(run_until_paused=runs):
        case = draw_scenario(db, rng, "refunded")
        crashed = new_thread(case.ticket).value  # a crash after the model chose a tool: the thread waits for nobody
        append_event(crashed, ToolRequested(name="get_order", arguments=_arguments(order_id=case.order_id)))
        error = _refused(resume, crashed)
        ran = [thread_id for thread_id, _ in runs.calls]
        waiting, _ = _waiting(new_thread, append_event, ToolRequested, rng, draw_scenario(db, rng, "approval_required"))
        before = _events(load_thread, waiting)
        refused = _refused(resume, waiting)
        after = _events(load_thread, waiting)
    assert error is None and ran == [crashed], (
        "resume(thread_id) with no answer, on an interrupted thread (a tool chosen, its result never stored), "
        + (f"raised {error.type}" if error is not None else "did not run it")
        + ": that thread waits for no answer, so resume runs it, and the loop finishes the interrupted step.")
    assert refused is not None and refused.isa(ResumeError) and after == before and len(runs.calls) == 1, (
        "resume(thread_id) with no answer, on a thread that waits for a person's answer, "
        + ("was not refused with ResumeError" if refused is None or not refused.isa(ResumeError)
           else "stored events or ran it") + ": nothing goes on until the person answers.")


# --- the agent as a whole ----------------------------------------------------------------------

_SCENARIO_RUNS = ["damaged_item", "out_of_window", "where_is_my_order", "change_address", "unknown_order", "long_thread",
                  "large_refund"]


@hidden.test("agent_handles_the_scenarios")
def agent_handles_the_scenarios(launch, load_thread, rng):
    """With the shop brain, launch gives each scenario its expected outcome: large_refund waits for approval, with
    nothing refunded; every other thread is done."""
    for name, outcome in runs(_SCENARIO_RUNS, rng, DRAWN_OUTCOMES):
        model = FakeModel(shop_brain)
        with _world(model) as db:
            scenario = scenario_in(db, rng, name, outcome)
            before = Records.of(db)
            thread_id = _call(f"launch on the {name} ticket", launch, scenario.ticket).value
            got = outcome_of(db, scenario, called=_names(model))
            effects_follow_calls(db, model.transcript.tool_calls(), before, where=f"On the {name} ticket")
            expected = scenario.expected
            assert got == expected.outcome, f"On the {name} ticket the agent's outcome was {got!r}, not {expected.outcome!r}."
            if expected.outcome == "refunded" and expected.refund_amount is not None:
                amount = refunded_amount(db, scenario)
                assert amount == expected.refund_amount, f"On the {name} ticket the agent refunded ${amount:.2f}."
            if expected.address is not None:
                address = db.conn.execute("SELECT address FROM customers WHERE email = ?",
                                          (scenario.ticket.customer_email,)).fetchone()[0]
                assert address == expected.address, f"On the {name} ticket the address became {address!r}."
            if expected.outcome == "approval_required":
                assert refunded_amount(db, scenario) == 0, f"On the {name} ticket the agent refunded before approval."
            events = _events(load_thread, thread_id)
        last = _pairs(events[-1:])
        want = [("tool_call", "request_approval")] if expected.outcome == "approval_required" else [("finished", "")]
        assert last == want, f"After launch on the {name} ticket, the thread ends with {_shown(events[-1] if events else None)}."


def _launched(launch: Remote, load_thread: Remote, db: Shop, rng: random.Random) -> tuple[Scenario, str, int]:
    """launch on a refund drawn above the approval limit: the case, the thread's id and the waiting call's id."""
    case = draw_scenario(db, rng, "approval_required")
    label = f"launch on a ${_amount(case):.2f} refund on order {case.order_id}"
    thread_id = _call(label, launch, case.ticket).value
    events = _events(load_thread, thread_id)
    assert _pairs(events[-1:]) == [("tool_call", "request_approval")], (
        f"After {label} the thread ends with {_shown(events[-1] if events else None)}, not the request for approval.")
    return case, thread_id, len(events) - 1


@hidden.test("approval_resumes_in_a_fresh_process")
def approval_resumes_in_a_fresh_process(launch, load_thread, learner, rng):
    """Launched in one worker, resumed with an approval in a brand-new one (a new connection to the same database
    file): the agent goes on from the request, runs no earlier step again, refunds the amount once, and refuses a
    duplicate."""
    with _world() as db:
        case, thread_id, call_id = _launched(launch, load_thread, db, rng)
        order, want = case.order_id, _amount(case)
        before = _events(load_thread, thread_id)
        with _restarted(learner, db) as (other, again), use_model(FakeModel(shop_brain)) as model:
            approval = other["Approval"](call_id=call_id, approved=True, comment=f"{words(rng).capitalize()} on arrival.",
                                         by=_person(rng))
            status = _call("resume with the approval, in a new process", other["resume"], thread_id, approval).value
            after = _events(other["load_thread"], thread_id)
            names = _names(model)
            count, amount = _refunds(again, order), refunded_amount(again, case)
            duplicate = _refused(other["resume"], thread_id, approval)
            count_after = _refunds(again, order)
            final = _events(other["load_thread"], thread_id)
    assert after[:len(before)] == before, "Resuming changed the events stored before the pause."
    following = after[len(before)] if len(after) > len(before) else None
    assert following is not None and following["kind"] == "tool_result" and following["name"] == "request_approval", (
        f"After the approval, the next event stored is {_shown(following)}, not the approval as the request's result.")
    again_ran = [name for name in names if name in ("get_order", "check_refund_policy", "request_approval")]
    assert not again_ran, (f"Resumed in a new process, the agent ran {again_ran} again: it should go on from the "
                           "stored thread, where it paused.")
    assert count == 1 and amount == want, (
        f"After the approval, order {order} has {count} refund(s) (${amount:.2f}), not one of ${want:.2f}.")
    assert status == "done", f"After the approval, resume returned {status!r}, not 'done'."
    assert duplicate is not None and duplicate.isa("ResumeError"), (
        "A second resume with the same approval was " + ("taken" if duplicate is None else f"refused with {duplicate.type}")
        + ": refuse it with ResumeError.")
    assert count_after == 1 and final == after, "A duplicate resume refunded or stored something again."


@hidden.test("rejection_tells_the_customer")
def rejection_tells_the_customer(launch, resume, load_thread, Approval, ResumeError, rng):
    """A rejection resumes the agent to tell the customer, with nothing refunded; a counter-offer in the comment makes
    it ask again for that amount, a late answer to the first request is refused, and the new approval refunds it once."""
    model = FakeModel(shop_brain)
    with _world(model) as db:
        case, thread_id, call_id = _launched(launch, load_thread, db, rng)
        asked = len(model.transcript)
        status = _call("resume with a rejection", resume, thread_id,
                       Approval(call_id=call_id, approved=False, comment=f"No refund without {words(rng)} photos.",
                                by=_person(rng))).value
        names = _names(model)[asked:]
        told, refunded = outcome_of(db, case), refunded_amount(db, case)
    assert refunded == 0, f"After a rejection the agent refunded ${refunded:.2f}."
    assert told == "refused" and "send_message" in names, (
        f"After a rejection the agent called {names} and the shop shows {told!r}: the model should tell the customer.")
    assert status == "done", f"After a rejection, resume returned {status!r}, not 'done'."
    with _world() as db:
        case, thread_id, first = _launched(launch, load_thread, db, rng)
        order, full = case.order_id, _amount(case)
        offer = float(rng.randrange(int(db.policy.approval_limit) + 1, int(full)))
        status = _call(f"resume with a counter-offer of ${offer:.0f}", resume, thread_id,
                       Approval(call_id=first, approved=False, comment=f"Not ${full:.0f}: offer ${offer:.0f} instead.")).value
        events = _events(load_thread, thread_id)
        assert status == "waiting" and _pairs(events[-1:]) == [("tool_call", "request_approval")], (
            f"After a rejection that offers ${offer:.0f}, resume returned {status!r} and the thread ends with "
            f"{_shown(events[-1] if events else None)}: the model asks again, and the thread waits.")
        amount = json.loads(events[-1]["arguments"]).get("amount")
        assert amount == offer, f"The second request asks for {amount!r}, not the ${offer:.0f} offered."
        late = _refused(resume, thread_id, Approval(call_id=first, approved=True))
        assert late is not None and late.isa(ResumeError), "An approval of the first, rejected request was taken: refuse it."
        status = _call(f"resume with the approval of ${offer:.0f}", resume, thread_id,
                       Approval(call_id=len(events) - 1, approved=True)).value
        count, refunded = _refunds(db, order), refunded_amount(db, case)
    assert count == 1 and refunded == offer, (
        f"After approving ${offer:.0f}, order {order} has {count} refund(s) (${refunded:.2f}).")
    assert status == "done", f"After approving ${offer:.0f}, resume returned {status!r}, not 'done'."


@hidden.test("crash_after_the_refund_refunds_once")
def crash_after_the_refund_refunds_once(launch, resume, record_answer, load_thread, append_event, ToolRequested,
                                        Approval, learner, rng):
    """A refund made but never heard back (the provider fails after refunding), then the model's retry: one refund.
    A crash after the refund, before its event, then a resume in a new process: one refund."""
    model = FakeModel(shop_brain)
    with _world(model) as db:
        case, thread_id, call_id = _launched(launch, load_thread, db, rng)
        order, want = case.order_id, _amount(case)
        db.fail_next("issue_refund", PaymentProviderDown(), after=True)
        status = _call("resume with an approval while the payment provider fails", resume, thread_id,
                       Approval(call_id=call_id, approved=True)).value
        count, amount = _refunds(db, order), refunded_amount(db, case)
    assert count == 1 and amount == want, (
        f"The provider refunded and then failed to answer; the agent retried, and order {order} has {count} refund(s) "
        f"(${amount:.2f}), not one.")
    assert status == "done", f"After the retried refund, resume returned {status!r}, not 'done'."
    with _world() as db:
        case, thread_id, call_id = _launched(launch, load_thread, db, rng)
        order, amount = case.order_id, _amount(case)
        _call("record_answer with the approval", record_answer, thread_id, Approval(call_id=call_id, approved=True))
        append_event(thread_id, ToolRequested(name="issue_refund", arguments=_arguments(
            order_id=order, amount=amount, reason="damaged")))
        shop_tools.issue_refund(order, amount, "damaged", idempotency_key=f"ticket-{case.ticket.ticket_id}-order-{order}")
        stored = len(_events(load_thread, thread_id))
        with _restarted(learner, db) as (other, again), use_model(FakeModel(shop_brain)) as fresh:
            status = _call("resume(thread_id) in a new process after the crash", other["resume"], thread_id).value
            count, names = _refunds(again, order), _names(fresh)
            events = _events(other["load_thread"], thread_id)
    following = events[stored] if len(events) > stored else None
    assert following is not None and following["kind"] == "tool_result" and following["name"] == "issue_refund", (
        f"After the crash, the interrupted issue_refund call was followed by {_shown(following)}, not its result: "
        "every call gets exactly one result.")
    assert count == 1, (f"After a crash between the refund and its event, resuming left order {order} with {count} "
                        "refunds: run the chosen call again with its idempotency key.")
    assert "issue_refund" not in names and status == "done", (
        f"After the crash, resume returned {status!r} and the model was asked for {names}: the interrupted refund runs "
        "first, without asking the model again, and the thread finishes.")


__all__ = ["hidden"]

"""Visible checks of lesson 06, launch, pause, resume: `check("6.1")` … `check("6.3")`.

Cheap, public and worth no points; the hidden tests carry the points. Each check uses a fresh
shop and its own fake model, so it never touches the notebook's state. Threads are stored with
lesson 05's given functions (`new_thread`, `append_event`). The checks of 6.2 and 6.3 run your
`launch` and `resume` with a simple recording stand-in for `run_until_paused` (yours is put back
afterwards), so they judge those functions alone; the last check of 6.3 runs your whole agent
across a restart.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from course.brain import shop_brain
from course.grading import visible
from course.llm import FakeModel, Reply, use_model
from course.shop import SCENARIOS, Shop, ShopPolicy, refunded_amount, use_shop

_GRACE = SCENARIOS["long_thread"]
_WHERE = SCENARIOS["where_is_my_order"]
_DAMAGED = SCENARIOS["damaged_item"]


@contextmanager
def _world(model: FakeModel | None = None, policy: ShopPolicy | None = None) -> Iterator[Shop]:
    with Shop.create(policy=policy) as db, use_shop(db), use_model(model or FakeModel(shop_brain)):
        yield db


def _given(ns, name):
    """Something the notebook gives (not the learner's answer), so an unfinished exercise names only the answer."""
    assert name in ns, f"`{name}` is not defined: run the cells above, from the top."
    return ns[name]


def _kinds(ns, thread_id: str) -> list[tuple[str, str]]:
    return [(e.kind, getattr(e, "name", "")) for e in _given(ns, "load_thread")(thread_id).events]


def _names(model: FakeModel) -> list[str]:
    return [name for name, _ in model.transcript.tool_calls()]


def _waiting(ns, scenario=_DAMAGED, name: str = "request_approval", **arguments: Any) -> tuple[str, int]:
    """A stored thread whose last event asks a person; (its id, the call's id)."""
    arguments = arguments or {"order_id": 1042, "amount": 18.5, "reason": "The mug arrived broken."}
    thread_id = _given(ns, "new_thread")(scenario.ticket)
    call = _given(ns, "ToolRequested")(name=name, arguments=json.dumps(arguments))
    return thread_id, _given(ns, "append_event")(thread_id, call)


def _prompt(ns, db: Shop):
    return _given(ns, "system_prompt")(db.policy)


class _Recorder:
    """Stands in for run_until_paused: records (thread id, prompt text); with `finish`, ends the thread with a Finished."""

    def __init__(self, ns, status: str = "waiting", finish: bool = False):
        self.ns, self.status, self.finish, self.calls = ns, status, finish, []

    def __call__(self, thread_id, prompt, *args, **kwargs):
        self.calls.append((thread_id, prompt.text))
        if self.finish:
            load_thread, status_of = _given(self.ns, "load_thread"), _given(self.ns, "status_of")
            if status_of(load_thread(thread_id)) != "done":
                _given(self.ns, "append_event")(thread_id, _given(self.ns, "Finished")(summary="Stand-in."))
        return self.status


@contextmanager
def _standing_in(ns, recorder: _Recorder) -> Iterator[None]:
    saved = ns.get("run_until_paused")
    ns["run_until_paused"] = recorder  # type: ignore[index]
    try:
        yield
    finally:
        if saved is not None:
            ns["run_until_paused"] = saved  # type: ignore[index]


def _refused(fn, *args) -> BaseException | None:
    try:
        fn(*args)
    except NotImplementedError:
        raise
    except Exception as error:
        return error
    return None


# --- 6.1 run_until_paused ----------------------------------------------------------------------

@visible("6.1", hint="Append the ToolRequested first; then, if its name is in HUMAN_TOOLS, return 'waiting' "
                     "without acting and without asking the model again.")
def a_refund_above_the_limit_waits_for_approval(run_until_paused, ns):
    policy = ShopPolicy.load().model_copy(update={"approval_limit": 10.0})
    model = FakeModel(shop_brain)
    with _world(model, policy) as db:
        thread_id = _given(ns, "new_thread")(_GRACE.ticket)
        status = run_until_paused(thread_id, _prompt(ns, db))
        kinds = _kinds(ns, thread_id)
        refunded = refunded_amount(db, _GRACE)
    assert refunded == 0, f"with a $10 approval limit, Grace's refund ran before anyone approved it (${refunded:.2f})"
    assert ("tool_call", "request_approval") in kinds, "the model asked for approval, but the thread has no request_approval call"
    assert kinds[-1] == ("tool_call", "request_approval"), f"the thread goes on past the request for approval: it ends with {kinds[-1]}"
    assert len(model.transcript) == 3, f"the model was asked {len(model.transcript)} times; after the request, ask it nothing more"
    assert status == "waiting", f"run_until_paused returned {status!r} for a thread that waits for approval"


@visible("6.1", hint="Loop: load the thread, read status_of, decide, record, act; return the status once it is 'done'.")
def a_ticket_no_one_approves_runs_to_done(run_until_paused, ns):
    with _world() as db:
        thread_id = _given(ns, "new_thread")(_WHERE.ticket)
        status = run_until_paused(thread_id, _prompt(ns, db))
        kinds = _kinds(ns, thread_id)
    assert kinds[-1] == ("finished", ""), f"Aisha's thread ends with {kinds[-1]}, not a Finished"
    assert [k for k, _ in kinds].count("finished") == 1, "the thread holds more than one Finished: stop at the first"
    assert status == "done", f"run_until_paused returned {status!r} for a finished thread"


@visible("6.1", hint="Read status_of(load_thread(thread_id)) before each step; 'done' and 'waiting' mean: return it now.")
def a_stopped_thread_asks_the_model_nothing(run_until_paused, ns):
    for what in ("waiting", "done"):
        model = FakeModel(shop_brain)
        with _world(model) as db:
            thread_id, _ = _waiting(ns)
            if what == "done":
                _given(ns, "append_event")(thread_id, _given(ns, "Finished")(summary="Sorted by phone."))
            before = _kinds(ns, thread_id)
            status = run_until_paused(thread_id, _prompt(ns, db))
            after = _kinds(ns, thread_id)
        assert len(model.transcript) == 0 and after == before, (
            f"on a thread that is {what}, the model was asked {len(model.transcript)} times and {len(after) - len(before)} "
            "events were stored")
        assert status == what, f"on a thread that is {what}, run_until_paused returned {status!r}"


@visible("6.1", hint="'interrupted': run the last event's call with act(thread_id, parse_tool_call(name, arguments, "
                     "intents), thread.ticket); do not ask the model.")
def an_interrupted_call_runs_without_asking_again(run_until_paused, ns):
    model = FakeModel(shop_brain)
    with _world(model) as db:
        thread_id = _given(ns, "new_thread")(_WHERE.ticket)
        call = _given(ns, "ToolRequested")(name="track_shipment", arguments='{"order_id": 1077}')
        _given(ns, "append_event")(thread_id, call)
        status = run_until_paused(thread_id, _prompt(ns, db))
        kinds = _kinds(ns, thread_id)
    following = kinds[2] if len(kinds) > 2 else None
    assert following == ("tool_result", "track_shipment"), (
        f"the thread was interrupted at its track_shipment call; the next event stored is {following}, not its result")
    assert "track_shipment" not in _names(model), "the model was asked to choose track_shipment again: run the stored call"
    assert status == "done", f"after the interrupted call ran, run_until_paused returned {status!r}"


@visible("6.1", hint="Pass intents=intents to determine_next_step, and name requests with intent_name(intent, intents).")
def the_intents_given_are_offered(run_until_paused, ns):
    INTENTS, AGENT_INTENTS = _given(ns, "INTENTS"), _given(ns, "AGENT_INTENTS")
    for given in (None, INTENTS):
        model = FakeModel(shop_brain)
        with _world(model) as db:
            thread_id = _given(ns, "new_thread")(_WHERE.ticket)
            if given is None:
                run_until_paused(thread_id, _prompt(ns, db))
            else:
                run_until_paused(thread_id, _prompt(ns, db), intents=given)
        offered = sorted(model.transcript.tools_offered(0)) if len(model.transcript) else []
        want = sorted(AGENT_INTENTS if given is None else INTENTS)
        assert offered == want, f"called with intents={'AGENT_INTENTS (default)' if given is None else 'INTENTS'}, " \
                                f"the model was offered {offered}"


@visible("6.1", hint="At most max_steps steps; a ToolCallError becomes ToolFailed(name='model', error=...) and the run goes on.")
def steps_are_bounded_and_malformed_calls_recorded(run_until_paused, ns):
    model = FakeModel(lambda request: Reply.tool_call("track_shipment", {"order_id": 9999}))
    with _world(model) as db:
        status = run_until_paused(_given(ns, "new_thread")(_WHERE.ticket), _prompt(ns, db), max_steps=4)
    assert len(model.transcript) == 4, f"with max_steps=4 and a model that never finishes, it was asked {len(model.transcript)} times"
    assert status == "working", f"out of steps, run_until_paused returned {status!r}, not the thread's status 'working'"
    model = FakeModel.scripted(Reply.tool_call("close_account", {"reason": "asked"}), Reply.text("Sorry."))
    with _world(model) as db:
        thread_id = _given(ns, "new_thread")(_WHERE.ticket)
        status = run_until_paused(thread_id, _prompt(ns, db))
        kinds = _kinds(ns, thread_id)
    assert ("tool_error", "model") in kinds, f"a malformed call should be stored as ToolFailed(name='model'): the thread holds {kinds}"
    assert status == "done", f"after a malformed call and a text reply, run_until_paused returned {status!r}"


# --- 6.2 launch --------------------------------------------------------------------------------

@visible("6.2", hint="thread_id = new_thread(ticket); run_until_paused(thread_id, system_prompt(...)); return thread_id.")
def launch_stores_and_runs_a_new_thread(launch, ns):
    for status in ("waiting", "done"):
        recorder = _Recorder(ns, status)
        with _world(), _standing_in(ns, recorder):
            first, second = launch(_WHERE.ticket), launch(_WHERE.ticket)
            assert isinstance(first, str), f"launch returned {first!r}: return the thread's id, whatever its status"
            stored = _given(ns, "load_thread")(first).events
        assert first != second, "two launches returned the same id: each launch stores a new thread"
        assert stored == _given(ns, "thread_for")(_WHERE.ticket).events, "the stored thread is not new_thread(ticket)'s"
        assert [c[0] for c in recorder.calls] == [first, second], \
            f"run_until_paused ran on {[c[0] for c in recorder.calls]}: run each new thread once, by its id"


@visible("6.2", hint="system_prompt(policy or current_shop().policy).")
def launch_runs_under_the_policy(launch, ns):
    system_prompt = _given(ns, "system_prompt")
    mine = ShopPolicy.load().model_copy(update={"approval_limit": 40.0})
    given = ShopPolicy.load().model_copy(update={"approval_limit": 400.0})
    for policy in (given, None):
        recorder = _Recorder(ns)
        with _world(policy=mine), _standing_in(ns, recorder):
            launch(_WHERE.ticket) if policy is None else launch(_WHERE.ticket, policy)
        want = system_prompt(policy or mine).text
        which = "the policy given" if policy else "the current shop's policy"
        assert recorder.calls and recorder.calls[0][1] == want, f"launch ran the thread under a prompt not made from {which}"


# --- 6.3 record_answer and resume --------------------------------------------------------------

@visible("6.3", hint="Append ToolResult(name=request.name, result=answer.model_dump_json(exclude={'call_id'})).")
def an_answer_is_stored_as_the_calls_result(record_answer, ns):
    Approval, CustomerReply = _given(ns, "Approval"), _given(ns, "CustomerReply")
    with _world():
        thread_id, call_id = _waiting(ns)
        record_answer(thread_id, Approval(call_id=call_id, approved=False, comment="Photos first, please."))
        events = _given(ns, "load_thread")(thread_id).events
        asking, asking_id = _waiting(ns, SCENARIOS["unknown_order"], "ask_customer", question="Which order?")
        record_answer(asking, CustomerReply(call_id=asking_id, body="Order 1064."))
        reply = _given(ns, "load_thread")(asking).events[-1]
    last = events[-1]
    assert len(events) == call_id + 2, f"answering call {call_id} stored {len(events) - call_id - 1} events, not one"
    assert (last.kind, getattr(last, "name", "")) == ("tool_result", "request_approval"), \
        f"the approval was stored as {last!r}, not a ToolResult named request_approval"
    stored = json.loads(last.result)
    assert stored.get("approved") is False and stored.get("comment") == "Photos first, please.", \
        f"the stored result reads {stored}, not the person's answer"
    assert (reply.kind, getattr(reply, "name", "")) == ("tool_result", "ask_customer") and "1064" in reply.result, \
        f"the customer's reply was stored as {reply!r}"


@visible("6.3", hint="Refuse with ResumeError before storing anything: the answer must be an ANSWERS_TO[request.name] "
                     "for the waiting call's id, and a thread that is not waiting takes no answer.")
def answers_that_do_not_fit_are_refused(record_answer, ns):
    Approval, ResumeError = _given(ns, "Approval"), _given(ns, "ResumeError")
    with _world():
        thread_id, call_id = _waiting(ns)
        cases = [("an answer to another call", thread_id, Approval(call_id=call_id + 1, approved=True)),
                 ("no answer for a waiting thread", thread_id, None)]
        answered, answered_id = _waiting(ns)
        record_answer(answered, Approval(call_id=answered_id, approved=True))
        cases.append(("a second answer to the same call", answered, Approval(call_id=answered_id, approved=True)))
        for what, target, answer in cases:
            before = _kinds(ns, target)
            error = _refused(record_answer, target, answer)
            assert isinstance(error, ResumeError), f"{what} was " + ("taken" if error is None else f"met with {error!r}") \
                + ", not refused with ResumeError"
            assert _kinds(ns, target) == before, f"{what} was refused, but events were stored first"


@visible("6.3", hint="A CustomerReply is not an Approval: while a request_approval waits, refuse it (the stated rule).")
def the_customer_writing_while_a_manager_decides_is_refused(resume, ns):
    CustomerReply, ResumeError = _given(ns, "CustomerReply"), _given(ns, "ResumeError")
    recorder = _Recorder(ns)
    with _world(), _standing_in(ns, recorder):
        thread_id, call_id = _waiting(ns)
        before = _kinds(ns, thread_id)
        error = _refused(resume, thread_id, CustomerReply(call_id=call_id, body="Any news?"))
        after = _kinds(ns, thread_id)
    assert isinstance(error, ResumeError), "the customer's reply while the approval is pending was " + (
        "taken" if error is None else f"met with {error!r}") + ", not refused with ResumeError"
    assert after == before and not recorder.calls, "a refused reply stored events or ran the thread"


@visible("6.3", hint="resume(thread_id) with no answer: record_answer refuses it only when the thread waits for a "
                     "person. An interrupted thread (a crash after choosing a tool) waits for nobody: resume runs it, "
                     "which finishes that step first.")
def resume_without_an_answer_runs_an_interrupted_thread_and_refuses_a_waiting_one(resume, ns):
    ResumeError = _given(ns, "ResumeError")
    recorder = _Recorder(ns, "done")
    with _world(), _standing_in(ns, recorder):
        crashed = _given(ns, "new_thread")(_DAMAGED.ticket)
        _given(ns, "append_event")(crashed, _given(ns, "ToolRequested")(name="get_order", arguments='{"order_id": 1042}'))
        error = _refused(resume, crashed)
        ran = [call[0] for call in recorder.calls]
        waiting, _ = _waiting(ns)
        before = _kinds(ns, waiting)
        refused = _refused(resume, waiting)
        after = _kinds(ns, waiting)
    assert error is None and ran == [crashed], (
        "resume(thread_id) on an interrupted thread (a tool chosen, its result never stored) "
        + (f"raised {error!r}" if error is not None else "did not run it")
        + ": it waits for no answer, so resume runs it, and the loop finishes the interrupted step")
    assert isinstance(refused, ResumeError) and after == before and len(recorder.calls) == 1, (
        "resume(thread_id) with no answer, on a thread that waits for a person's answer, "
        + ("was not refused with ResumeError" if not isinstance(refused, ResumeError) else "stored events or ran it"))


@visible("6.3", hint="Let load_thread's ThreadNotFound reach the caller.")
def an_unknown_thread_is_thread_not_found(resume, ns):
    ThreadNotFound, Approval = _given(ns, "ThreadNotFound"), _given(ns, "Approval")
    recorder = _Recorder(ns)
    with _world(), _standing_in(ns, recorder):
        error = _refused(resume, "ticket-404-1", Approval(call_id=1, approved=True))
    assert isinstance(error, ThreadNotFound), "resume on an unknown thread " + (
        "returned" if error is None else f"raised {error!r}") + " instead of ThreadNotFound"
    assert not recorder.calls, "resume ran a thread it could not find"


@visible("6.3", hint="resume: record_answer(thread_id, answer), then return run_until_paused(thread_id, system_prompt(...)).")
def resume_records_then_runs_and_a_duplicate_runs_nothing(resume, ns):
    Approval, ResumeError = _given(ns, "Approval"), _given(ns, "ResumeError")
    recorder = _Recorder(ns, "done", finish=True)
    policy = ShopPolicy.load().model_copy(update={"approval_limit": 60.0})
    with _world(), _standing_in(ns, recorder):
        thread_id, call_id = _waiting(ns)
        approval = Approval(call_id=call_id, approved=True)
        status = resume(thread_id, approval, policy)
        kinds = _kinds(ns, thread_id)
        error = _refused(resume, thread_id, approval, policy)
    assert kinds[-2:] == [("tool_result", "request_approval"), ("finished", "")], \
        f"after resume the thread ends with {kinds[-2:]}: record the answer, then run the thread"
    assert status == "done", f"resume returned {status!r}, not the status run_until_paused returned"
    assert recorder.calls and recorder.calls[0][1] == _given(ns, "system_prompt")(policy).text, \
        "resume ran the thread under a prompt not made from the policy it was given"
    assert isinstance(error, ResumeError) and len(recorder.calls) == 1, "the same approval sent twice was not refused"


@visible("6.3", hint="Your whole agent: launch, a restart (Shop.open), resume with the approval; it uses 6.1 and 6.2 too.")
def the_whole_agent_resumes_after_a_restart(resume, ns):
    path = Path(tempfile.mkdtemp()) / "shop.sqlite3"
    large = SCENARIOS["large_refund"]
    with Shop.create(path) as db, use_shop(db), use_model(FakeModel(shop_brain)):
        thread_id = _given(ns, "launch")(large.ticket)
        call_id = len(_given(ns, "load_thread")(thread_id).events) - 1
    model = FakeModel(shop_brain)
    with Shop.open(path) as db, use_shop(db), use_model(model):
        status = resume(thread_id, _given(ns, "Approval")(call_id=call_id, approved=True))
        refunded = refunded_amount(db, large)
    path.unlink()
    again = [name for name in _names(model) if name in ("get_order", "check_refund_policy", "request_approval")]
    assert not again, f"resumed after a restart, the agent ran {again} again"
    assert refunded == 899.0 and status == "done", \
        f"after the approval your whole agent refunded ${refunded:.2f} and its thread is {status!r}"


__all__: list[str] = []  # the checks register themselves with course.grading.visible on import

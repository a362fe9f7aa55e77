"""Visible checks of lesson 09, compact errors into the context window: `check("9.1")` … `check("9.4")`.

Cheap, public and worth no points; the hidden tests carry the points. Each check uses a fresh shop
and its own fake model, so it never touches the notebook's state, and nothing in them sleeps: the
retry checks hand your code a list's `append` as `sleep` and a fixed `jitter`. The checks of 9.4 run
your loop with simple stand-ins of their own for `error_event`, `error_streak` and `with_retries`
(your functions are put back afterwards), so they judge the loop alone.
"""

from __future__ import annotations

import json
from typing import Any

import openai

from course.checks.helpers import given as _given
from course.checks.helpers import swapped as _swapped
from course.checks.helpers import world as _world
from course.grading import visible
from course.llm import ErrorReply, FakeModel, Reply, api_error, ping, use_model
from course.llm.faults import overloaded, rate_limit, server_error, timeout
from course.shop import SCENARIOS, PaymentProviderDown, ShopPolicy, refunded_amount
from course.shop.errors import RefundRejected

__all__: list[str] = []  # the checks register themselves with course.grading.visible on import

_DAMAGED, _LARGE = SCENARIOS["damaged_item"], SCENARIOS["large_refund"]
_POLICY = ShopPolicy.load()
_SECRET = "sk-live-4f9a2c"


# --- 9.1 error_event ---------------------------------------------------------------------------

def _line(got, ns, name: str) -> str:
    assert isinstance(got, _given(ns, "ToolFailed")), f"error_event returned {got!r}, not a ToolFailed"
    assert got.name == name, f"error_event({name!r}, ...) is named {got.name!r}"
    assert "\n" not in got.error, f"the error holds {got.error.count(chr(10)) + 1} lines: {got.error[:80]!r}…"
    assert len(got.error) <= 200, f"the error holds {len(got.error)} characters, more than ERROR_LIMIT (200)"
    return str(got.error)


@visible("9.1", hint='The shop\'s and the parser\'s errors: f"{type(error).__name__}: {error}", then " ".join(text.split()).')
def shop_and_parser_errors_keep_their_message(error_event, ns):
    rejected = RefundRejected("Refund rejected: order 1042 was delivered 45 days ago;\n  refunds within 30 days.")
    text = _line(error_event("issue_refund", rejected), ns, "issue_refund")
    want = "RefundRejected: Refund rejected: order 1042 was delivered 45 days ago; refunds within 30 days."
    assert text == want, f"error_event on a RefundRejected says {text!r}, not {want!r}"
    parse = _given(ns, "ToolCallError")("Bad arguments for issue_refund:\n  amount: Field required")
    text = _line(error_event("model", parse), ns, "model")
    assert text == "ToolCallError: Bad arguments for issue_refund: amount: Field required", (
        f"error_event on a ToolCallError says {text!r}")


@visible("9.1", hint='Collapse the whitespace first; then, only when longer than ERROR_LIMIT: text[:ERROR_LIMIT - 1] + "…".')
def long_errors_are_cut(error_event, ns):
    long = "The provider said: " + "no " * 150
    text = _line(error_event("issue_refund", RefundRejected(long)), ns, "issue_refund")
    assert len(text) == 200 and text.endswith("…"), f"a 470-character error became {len(text)} characters: {text[-20:]!r}"
    exact = "x" * (200 - len("RefundRejected: "))
    text = _line(error_event("issue_refund", RefundRejected(exact)), ns, "issue_refund")
    assert text == f"RefundRejected: {exact}", f"an error of exactly 200 characters came back as {len(text)}: cut only longer ones"
    airy = "Refund\n" + " " * 300 + "rejected."
    text = _line(error_event("issue_refund", RefundRejected(airy)), ns, "issue_refund")
    assert text == "RefundRejected: Refund rejected.", (
        f"a short message with 300 spaces in it came back as {text[:60]!r}…: collapse the whitespace, then cut")


@visible("9.1", hint='Any other exception, a library\'s connection errors and timeouts too: f"{type(error).__name__}: " '
                     "and a fixed sentence naming the tool; never str(error).")
def other_errors_hide_their_message(error_event, ns):
    message = f"key {_SECRET} rejected at /srv/pay/client.py line 88\nTraceback (most recent call last): ..."
    for error in (ValueError(message), ConnectionResetError(message), TimeoutError(message)):
        kind = type(error).__name__
        text = _line(error_event("issue_refund", error), ns, "issue_refund")
        leaked = [piece for piece in (_SECRET, "/srv/", "Traceback", "line 88") if piece in text]
        assert not leaked, f"for a {kind}, the model would read {text!r}: it holds {leaked} from the exception's message"
        assert text.startswith(f"{kind}: ") and "issue_refund" in text, (
            f"{text!r} should start with the class name, {kind!r}, and name the tool")


# --- 9.2 error_streak --------------------------------------------------------------------------

def _events(ns, *steps: tuple[str, str]) -> list[Any]:
    """("fail", tool) → its call and a ToolFailed; ("ok", tool) → its call and a ToolResult; ("model", "") → a ToolFailed."""
    ToolRequested, ToolResult, ToolFailed = (_given(ns, name) for name in ("ToolRequested", "ToolResult", "ToolFailed"))
    events: list[Any] = []
    for kind, tool in steps:
        if kind == "model":
            events.append(ToolFailed(name="model", error="ToolCallError: unknown tool 'cancel_order'."))
            continue
        events.append(ToolRequested(name=tool, arguments='{"order_id": 1042}'))
        events.append(ToolResult(name=tool, result='{"order_id": 1042}') if kind == "ok"
                      else ToolFailed(name=tool, error="PaymentProviderDown: unavailable."))
    return events


def _thread(ns, events: list[Any]):
    thread = _given(ns, "thread_for")(_DAMAGED.ticket)
    thread.events += events
    return thread


@visible("9.2", hint="Walk reversed(thread.events): ToolFailed counts 1, ToolRequested is stepped over, anything else stops.")
def errors_at_the_end_are_counted(error_streak, ns):
    thread = _thread(ns, _events(ns, ("ok", "get_order"), ("fail", "issue_refund"), ("model", ""), ("fail", "issue_refund")))
    assert error_streak(thread) == 3, f"a thread ending with three errors has a streak of {error_streak(thread)!r}, not 3"
    thread.events.append(_given(ns, "ToolRequested")(name="issue_refund", arguments='{"order_id": 1042}'))
    assert error_streak(thread) == 3, "a call chosen after the three errors (no result yet) changed the streak"
    five = _thread(ns, _events(ns, *[("fail", "issue_refund")] * 5))
    assert error_streak(five) == 5, f"five errors in a row gave a streak of {error_streak(five)!r}: count them all"


@visible("9.2", hint="A ToolResult (a tool worked, a person answered), the ticket or a Finished ends the streak.")
def a_success_ends_the_streak(error_streak, ns):
    cases = [("errors, a success, one error", _events(ns, ("fail", "issue_refund"), ("fail", "issue_refund"),
                                                      ("ok", "issue_refund"), ("fail", "send_message")), 1),
             ("errors, then a person's answer", _events(ns, ("fail", "issue_refund"), ("ok", "request_approval")), 0),
             ("the ticket alone", [], 0),
             ("errors, then a Finished", [*_events(ns, ("model", "")), _given(ns, "Finished")(summary="Told Maya.")], 0)]
    for what, events, want in cases:
        thread = _thread(ns, events)
        stored = thread.model_dump_json()
        got = error_streak(thread)
        assert got == want, f"on {what}, error_streak returned {got!r}, not {want}"
        assert thread.model_dump_json() == stored, "error_streak changed the thread: it should only read it"


# --- 9.3 retry_wait and with_retries -----------------------------------------------------------

def _retried(with_retries, *faults: ErrorReply, **kwargs: Any) -> tuple[Any, list[float], int]:
    """with_retries(ping) against a model that fails with `faults` then says "pong": (result, waits, calls)."""
    waits: list[float] = []
    model = FakeModel(lambda request: Reply.text("pong"), faults={i + 1: f for i, f in enumerate(faults)})
    with use_model(model):
        result = with_retries(ping, sleep=waits.append, jitter=lambda: 0.4, **kwargs)
    return result, waits, model.calls


def _near(got: list[float], want: list[float]) -> bool:
    return len(got) == len(want) and all(abs(g - w) < 1e-9 for g, w in zip(got, want, strict=True))


@visible("9.3", hint="No Retry-After: min(0.5 * 2 ** attempt, 8.0) * (1 - 0.25 * jitter()), attempt 0 first.")
def the_backoff_grows_with_jitter(retry_wait, with_retries, ns):
    result, waits, calls = _retried(with_retries, server_error(), timeout(), server_error())
    assert result == "pong" and calls == 4, f"three failures then an answer: got {result!r} after {calls} calls"
    assert _near(waits, [0.45, 0.9, 1.8]), f"with jitter() = 0.4 the waits were {waits}, not [0.45, 0.9, 1.8]"
    for attempt, jitter, want in ((4, 0.0, 8.0), (6, 0.0, 8.0), (5, 0.4, 7.2)):
        got = retry_wait(attempt, api_error(server_error()), lambda jitter=jitter: jitter)
        assert abs(got - want) < 1e-9, (
            f"retry_wait({attempt}, <a 500>, jitter) with jitter() = {jitter} is {got!r}, not {want}: cap first, then jitter")


@visible("9.3", hint="error.response.headers: 'retry-after-ms' / 1000, else 'retry-after'; only when 0 < wait <= 60.")
def the_servers_retry_after_is_honoured(retry_wait, with_retries, ns):
    later = ErrorReply(status=429, message="Slow down.", headers={"retry-after": "7"})
    ages = ErrorReply(status=429, message="Come back tomorrow.", headers={"retry-after-ms": "120000"})
    _, waits, _ = _retried(with_retries, rate_limit(1500), later, overloaded(250), ages, attempts=5)
    assert _near(waits, [1.5, 7.0, 0.25, 3.6]), (
        f"after a 429 asking 1500 ms, one asking 7 s, a 503 asking 250 ms and one asking 120 s, the waits were {waits}, "
        "not [1.5, 7.0, 0.25, 3.6] (the last is the backoff: more than 60 s is not honoured)")
    assert abs(retry_wait(2, api_error(rate_limit(900)), lambda: 0.0) - 0.9) < 1e-9, "retry_wait ignored retry-after-ms"
    for said, want in (("60", 60.0), ("1.5", 1.5)):
        asked = ErrorReply(status=429, message="Slow down.", headers={"retry-after": said})
        got = retry_wait(0, api_error(asked), lambda: 0.0)
        assert abs(got - want) < 1e-9, f"retry-after: {said!r} gave a wait of {got!r}, not {want} (up to 60 s, fractions too)"


@visible("9.3", hint="At most `attempts` calls in all; then raise the last error. Catch only RETRYABLE.")
def retries_are_bounded_and_transient_only(with_retries, ns):
    for attempts, calls in ((2, 2), (None, 4)):
        model = FakeModel(lambda request: overloaded(0))
        waits: list[float] = []
        kwargs = {} if attempts is None else {"attempts": attempts}
        try:
            with use_model(model):
                with_retries(ping, sleep=waits.append, jitter=lambda: 0.0, **kwargs)
        except openai.InternalServerError:
            pass
        else:
            raise AssertionError(f"with_retries({kwargs or 'default attempts'}) returned on a model that is always down")
        assert model.calls == calls and len(waits) == calls - 1, (
            f"with {kwargs or 'the default attempts'}: {model.calls} calls and {len(waits)} waits, not {calls} and {calls - 1}")
    model = FakeModel(lambda request: ErrorReply(status=400, message="Bad request."))
    try:
        with use_model(model):
            with_retries(ping, sleep=lambda seconds: None, jitter=lambda: 0.0)
    except openai.BadRequestError:
        pass
    assert model.calls == 1, f"a 400 was tried {model.calls} times: only 429, 5xx and timeouts are retried"


# --- 9.4 run_loop ------------------------------------------------------------------------------

class _Stand:
    """Simple stand-ins for 9.1-9.3, recording how the loop uses them."""

    def __init__(self, ns, unreachable: bool = False) -> None:
        self.ns, self.unreachable = ns, unreachable
        self.retried: list[tuple[Any, Any]] = []
        self.asked: list[str] = []

    def error_event(self, name, error):
        self.asked.append(name)
        return _given(self.ns, "ToolFailed")(name=name, error=f"{type(error).__name__}: (short)")

    def error_streak(self, thread):
        count = 0
        for event in reversed(thread.events):
            if event.kind == "tool_error":
                count += 1
            elif event.kind != "tool_call":
                break
        return count

    def with_retries(self, call, sleep=None, jitter=None, attempts=4):
        self.retried.append((sleep, jitter))
        if self.unreachable:
            raise api_error(timeout())
        return call()


def _loop(run_loop, ns, model, stand: _Stand, events: list[Any] | None = None, max_errors: int = 3, **kwargs):
    """Run the loop with the stand-ins: (status, events after the ticket, dollars refunded, thread id)."""
    swapped = {"error_event": stand.error_event, "error_streak": stand.error_streak,
               "with_retries": stand.with_retries, "MAX_ERRORS": max_errors}
    with _world(model) as db, _swapped(ns, **swapped):
        thread_id = _given(ns, "new_thread")(_DAMAGED.ticket)
        for event in events or []:
            _given(ns, "append_event")(thread_id, event)
        status = run_loop(thread_id, _given(ns, "system_prompt")(_POLICY), **kwargs)
        stored = _given(ns, "load_thread")(thread_id).events
        return status, stored[[e.kind for e in stored].index("ticket") + 1:], refunded_amount(db, _DAMAGED)


def _unknown() -> FakeModel:
    return FakeModel(lambda request: Reply.tool_call("cancel_order", {"order_id": 1042}))


@visible("9.4", hint="Once working: if error_streak(thread) >= MAX_ERRORS, return escalate(thread_id, reason quoting the last error).")
def errors_in_a_row_escalate(run_loop, ns):
    for limit in (3, 2):
        model, stand = _unknown(), _Stand(ns)
        status, events, _ = _loop(run_loop, ns, model, stand, max_errors=limit)
        assert model.calls == limit, f"with MAX_ERRORS = {limit}, a model whose calls are all malformed was asked {model.calls} times"
        assert status == "waiting" and events[-1].kind == "tool_call" and events[-1].name == "escalate", (
            f"after {limit} errors in a row the loop returned {status!r}, the thread ending {events[-1].kind}")
        assert "(short)" in json.loads(events[-1].arguments).get("reason", ""), "the escalation does not quote the last error"


@visible("9.4", hint="A ToolCallError: append_event(thread_id, error_event('model', error)), then go on.")
def malformed_calls_are_stored_short(run_loop, ns):
    model = FakeModel.scripted(Reply.tool_call("cancel_order", {"order_id": 1042}), Reply.text("Sorted."))
    stand = _Stand(ns)
    status, events, _ = _loop(run_loop, ns, model, stand)
    assert stand.asked == ["model"] and events[0].kind == "tool_error" and events[0].error.endswith("(short)"), (
        f"a malformed call was stored as {events[0]!r}, not as error_event('model', error) made it")
    assert status == "done" and model.calls == 2, f"after a malformed call the loop returned {status!r} ({model.calls} calls)"


@visible("9.4", hint="intent = with_retries(lambda: determine_next_step(fold_errors(thread), prompt, log, intents=intents), sleep, jitter)")
def every_model_call_is_retried_with_the_loops_clock(run_loop, ns):
    model = FakeModel.scripted(Reply.tool_call("get_order", {"order_id": 1042}), Reply.text("Sorted."))
    stand, waits = _Stand(ns), []
    jitter = lambda: 0.0  # noqa: E731
    failed = _events(ns, ("fail", "track_shipment"), ("fail", "track_shipment"), ("ok", "track_shipment"))
    _loop(run_loop, ns, model, stand, failed, sleep=waits.append, jitter=jitter)
    assert len(stand.retried) == model.calls == 2, f"{model.calls} model calls, {len(stand.retried)} through with_retries"
    assert all(sleep == waits.append and given is jitter for sleep, given in stand.retried), (
        "with_retries was not handed the loop's own sleep and jitter")
    sent = json.dumps(model.transcript.messages_sent(0))
    assert "attempts failed" in sent, "the model was sent each resolved error: ask about fold_errors(thread)"


@visible("9.4", hint="except RETRYABLE: return 'working' at once, storing nothing.")
def an_unreachable_model_stops_the_run(run_loop, ns):
    model = FakeModel.scripted(Reply.text("Sorted."))
    status, events, _ = _loop(run_loop, ns, model, _Stand(ns, unreachable=True))
    assert status == "working" and events == [], f"with the model unreachable, the loop returned {status!r} and stored {events}"


@visible("9.4", hint="Keep lesson 08's branches: the guard on refunds, the pause for a person, the step limit.")
def lesson_08s_rules_still_hold(run_loop, ns):
    reckless = FakeModel.scripted(Reply.tool_call("issue_refund", {"order_id": 1057, "amount": 899.0, "reason": "damaged"}),
                                  Reply.text("Refunded."))
    with _world(reckless) as db, _swapped(ns, with_retries=_Stand(ns).with_retries):
        thread_id = _given(ns, "new_thread")(_LARGE.ticket)
        status = run_loop(thread_id, _given(ns, "system_prompt")(_POLICY))
        last = _given(ns, "load_thread")(thread_id).events[-1]
        refunded = refunded_amount(db, _LARGE)
    assert refunded == 0 and status == "waiting" and last.name == "request_approval", (
        f"a model that refunds $899 directly got {refunded:.2f} refunded and the loop returned {status!r}")
    model = FakeModel(lambda request: Reply.tool_call("get_order", {"order_id": 1042}))
    status, events, _ = _loop(run_loop, ns, model, _Stand(ns), max_steps=3)
    assert model.calls == 3 and status == "waiting" and events[-1].name == "escalate", (
        f"with max_steps=3 and a model that never finishes: {model.calls} calls, {status!r}")


@visible("9.4", hint="Read the count with error_streak(thread), from the stored events: never keep a counter in memory.")
def a_restart_keeps_the_count(run_loop, ns):
    before = _events(ns, ("ok", "get_order"), ("fail", "issue_refund"), ("fail", "issue_refund"))
    model, stand = _unknown(), _Stand(ns)
    status, events, _ = _loop(run_loop, ns, model, stand, before)
    assert model.calls == 1 and status == "waiting" and events[-1].name == "escalate", (
        f"a thread stored with two errors (as a restart finds it) took {model.calls} more model calls before escalating "
        f"({status!r}); one more error makes three")


@visible("9.4", hint="A failed tool is an error the model reads: act once per call the model asked for, never again by code.")
def a_failed_tool_is_left_to_the_model(run_loop, ns):
    refund = {"order_id": 1042, "amount": 18.5, "reason": "damaged"}
    model = FakeModel.scripted(Reply.tool_call("issue_refund", refund), Reply.tool_call("issue_refund", refund),
                               Reply.text("Refunded."))
    with _world(model) as db, _swapped(ns, with_retries=_Stand(ns).with_retries):
        db.fail_next("issue_refund", PaymentProviderDown())
        thread_id = _given(ns, "new_thread")(_DAMAGED.ticket)
        status = run_loop(thread_id, _given(ns, "system_prompt")(_POLICY))
        answered = [e.kind for e in _given(ns, "load_thread")(thread_id).events
                    if e.kind in ("tool_result", "tool_error") and e.name == "issue_refund"]
    assert answered == ["tool_error", "tool_result"] and status == "done", (
        f"the model asked for the refund twice (the provider failed the first time); the refund was answered {answered}: "
        "one answer per call the model made")


@visible("9.4", hint="Keep lesson 06's first case: an interrupted thread (a tool chosen, no result) acts on that call first.")
def an_interrupted_step_is_finished_first(run_loop, ns):
    chosen = _given(ns, "ToolRequested")(name="get_order", arguments='{"order_id": 1042}')
    model = FakeModel.scripted(Reply.text("Sorted."))
    status, events, _ = _loop(run_loop, ns, model, _Stand(ns), [chosen])
    assert [e.kind for e in events[:2]] == ["tool_call", "tool_result"] and status == "done", (
        f"a thread interrupted after choosing get_order became {[e.kind for e in events]} ({status!r}): finish that "
        "step first (act on the stored call), then ask the model")

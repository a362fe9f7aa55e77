"""Hidden tests of lesson 09 (compact errors into the context window). Instructor side only.

Each test is registered on `hidden` under the grade id of its graded cell and takes the learner's
definitions as parameters, each one a `Remote` handle on the learner's object (autograder.boundary.remote).

What a verdict reads is the grader's own: the fake model's transcript (how many calls, what each was
sent), the shop database, the stored thread as plain data, and the clock and the random source the
grader hands the learner's code as callbacks (`_Clock` records every wait asked for, `_Jitter` returns
numbers drawn at grading time), so nothing sleeps and no wait can be claimed without being asked for.

Each exercise is scored on its own. `error_event` (9.1), `error_streak` (9.2) and `retry_wait` /
`with_retries` (9.3) are tested alone; the tests of `run_loop` (9.4) put simple stand-ins in place of
those three (`Learner.stand_ins`). Four tests score the agent as a whole, with the given `act` and
`launch` / `resume` on the shop brain, injected shop failures and model API errors.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
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
from autograder.hidden.runs import drawn_world as _drawn_world
from autograder.hidden.runs import elsewhere as _elsewhere
from autograder.hidden.runs import events as _events
from autograder.hidden.runs import scripted_calls as _calls
from autograder.hidden.runs import shown as _shown
from autograder.hidden.runs import times as _times
from autograder.hidden.runs import world as _world
from course.brain import shop_brain
from course.llm import ErrorReply, FakeModel, Reply
from course.llm.faults import malformed_arguments, overloaded, rate_limit, server_error, timeout
from course.shop import DRAWN_OUTCOMES, SCENARIOS, PaymentProviderDown, Scenario, Shop, draw_scenario, outcome_of
from course.shop import tools as shop_tools

hidden = HiddenTests("09")

_LIMIT = 200
_SHOP_ERRORS = ("RefundRejected", "NotFound", "PaymentProviderDown", "ToolTimeout", "BadArguments")
_RETRYABLE = ("RateLimitError", "InternalServerError", "APIConnectionError")


# --- the grader's clock and random source -------------------------------------------------------

def _backoff(attempt: int, jitter: float) -> float:
    return min(0.5 * 2 ** attempt, 8.0) * (1 - 0.25 * jitter)


def _close(got: list[float], want: list[float]) -> bool:
    return len(got) == len(want) and all(abs(g - w) < 1e-6 for g, w in zip(got, want, strict=True))


def _shown_waits(waits: list[float]) -> str:
    return "[" + ", ".join(f"{w:.3f}" for w in waits) + "]"


# --- Exercise 9.1: error_event -------------------------------------------------------------------

def _event(error_event: Remote, ToolFailed: Remote, name: str, error: Remote, what: str) -> dict[str, Any]:
    got = _call(f"error_event({name!r}, {what})", error_event, name, error)
    assert got.isa(ToolFailed), f"error_event({name!r}, {what}) returned {got!r}, not a ToolFailed."
    value = got.value
    assert value.get("name") == name, (
        f"error_event({name!r}, {what}) is named {value.get('name')!r}: name the event after the tool that failed.")
    text = value.get("error")
    assert isinstance(text, str) and text, f"error_event({name!r}, {what}) has no error text."
    assert "\n" not in text and "\r" not in text, (
        f"error_event({name!r}, {what}) holds a text of {text.count(chr(10)) + 1} lines; the model reads one line.")
    assert len(text) <= _LIMIT, (
        f"error_event({name!r}, {what}) holds {len(text)} characters; never more than ERROR_LIMIT ({_LIMIT}).")
    return value


def _shop_message(rng: random.Random) -> str:
    order, days = rng.randrange(1100, 9900), rng.randrange(31, 90)
    return rng.choice((
        f"Refund rejected: order {order} was delivered {days} days ago; refunds are only possible within 30 days.",
        f"No order {order} for this customer. Ask for the {words(rng)} number on the receipt.",
        f"Payment provider unavailable (HTTP 503).\n\n  Try again in {rng.randrange(2, 40)} seconds\t({words(rng)}).",
        f"Timed out after {rng.randrange(5, 60)} seconds waiting for the {words(rng)} service."))


@hidden.test("shop_errors_become_one_short_line")
def shop_errors_become_one_short_line(rng, error_event, ToolFailed, ToolCallError, learner):
    """The shop's and the parser's errors: "<class>: <message>", whitespace collapsed, cut at ERROR_LIMIT with "…"."""
    kinds = list(_SHOP_ERRORS)
    rng.shuffle(kinds)
    cases: list[tuple[str, Remote, str, str]] = []
    for kind in kinds[:3]:
        message = _shop_message(rng)
        cases.append((kind, learner.course(f"course.shop.errors:{kind}")(message), message, rng.choice(
            ("issue_refund", "get_order", "track_shipment", "check_refund_policy"))))
    parse = f"Bad arguments for issue_refund:\n  amount: Field required\n  {words(rng)}: Extra inputs are not permitted"
    cases.append(("ToolCallError", ToolCallError(parse), parse, "model"))
    for kind, error, message, name in cases:
        value = _event(error_event, ToolFailed, name, error, f"{kind}(...)")
        want = " ".join(f"{kind}: {message}".split())
        assert value["error"] == want, (
            f"error_event({name!r}, {kind}(...)) says {value['error']!r}; the shop's and the parser's messages are "
            f"written for a model: keep them, as \"<class name>: <message>\" on one line ({want!r}).")
    room = _LIMIT - len("RefundRejected: ")
    core = " ".join(words(rng, 2) for _ in range(40))[:room - 1].rstrip() + "."
    exact = core + "!" * (room - len(core))
    airy = f"Refund rejected:\n{' ' * rng.randrange(200, 400)}the {words(rng)} rule."
    for message, what in ((exact, f"a RefundRejected of exactly {_LIMIT} characters"),
                          (airy, "a short RefundRejected with hundreds of spaces in it")):
        value = _event(error_event, ToolFailed, "issue_refund",
                       learner.course("course.shop.errors:RefundRejected")(message), what)
        want = " ".join(f"RefundRejected: {message}".split())
        assert value["error"] == want, (
            f"error_event on {what} gave {value['error'][:70]!r}… ({len(value['error'])} characters): collapse the "
            f"whitespace first, then cut only a text longer than ERROR_LIMIT.")
    long = " ".join(words(rng, 3) for _ in range(30))
    value = _event(error_event, ToolFailed, "issue_refund", learner.course("course.shop.errors:RefundRejected")(long),
                   "a RefundRejected with a 600-character message")
    text = value["error"]
    assert len(text) == _LIMIT and text.endswith("…") and text[:-1] == f"RefundRejected: {long}"[:_LIMIT - 1], (
        f"error_event on a long message gave {len(text)} characters ending {text[-12:]!r}: cut it to ERROR_LIMIT - 1 "
        "characters and end it with '…'.")


@hidden.test("unexpected_errors_hide_their_details")
def unexpected_errors_hide_their_details(rng, error_event, ToolFailed, sqlite3, re, learner):
    """Any other exception: one short line with its class and the tool's name, and nothing of its message."""
    secret, folder = f"sk-{rng.getrandbits(64):016x}", words(rng, 2)
    message = (f"database is locked at /srv/{folder}/shop.sqlite3 (key {secret})\nTraceback (most recent call last):\n"
               + "\n".join(f'  File "/srv/{folder}/pay.py", in {words(rng)}' for _ in range(12)))
    kinds = learner.course("course.worker.faults:FAULT_KINDS")
    errors = [("OperationalError", _attr(sqlite3, "OperationalError")), ("error", _attr(re, "error")),
              ("ConfigError", learner.course("course.llm:ConfigError"))]
    rng.shuffle(errors)
    library = [(kind, kinds[kind]) for kind in rng.sample(["ConnectionResetError", "TimeoutError"], 2)]
    for kind, cls in [*errors[:2], *library]:
        name = rng.choice(("issue_refund", "get_order", "update_address", "send_message"))
        value = _event(error_event, ToolFailed, name, cls(message), f"{kind}('database is locked at /srv/… key sk-…')")
        text = value["error"]
        leaked = [piece for piece in (secret, folder, "/srv/", "Traceback", "locked", "pay.py") if piece in text]
        assert not leaked, (
            f"error_event({name!r}, {kind}(...)) tells the model {text!r}: an unexpected exception's message may hold "
            "paths, queries or keys; give its class and a fixed sentence, nothing of its message.")
        assert text.startswith(f"{kind}: "), (
            f"error_event({name!r}, {kind}(...)) says {text!r}; start with the exception's class name, {kind!r}.")
        assert name in text, f"error_event({name!r}, {kind}(...)) says {text!r}; say which tool failed ({name})."


# --- Exercise 9.2: error_streak ------------------------------------------------------------------

def _failure(ToolRequested: Remote, ToolFailed: Remote, rng: random.Random) -> list[Remote]:
    """One error, as each kind is stored: a tool's failure after its call, or a malformed call (no call stored)."""
    tool = rng.choice(("issue_refund", "get_order", "track_shipment"))
    kind = rng.choice(("tool", "tool", "model", "refused"))
    if kind == "model":
        return [ToolFailed(name="model", error=f"ToolCallError: Unknown tool {words(rng)!r}.")]
    error = (f"Rejected: order {rng.randrange(1100, 9900)} was refunded already." if kind == "refused"
             else "PaymentProviderDown: Payment provider unavailable (HTTP 503).")
    return [ToolRequested(name=tool, arguments=json.dumps({"order_id": rng.randrange(1100, 9900)})),
            ToolFailed(name=tool, error=error)]


def _success(ToolRequested: Remote, ToolResult: Remote, rng: random.Random) -> list[Remote]:
    tool = rng.choice(("get_order", "track_shipment", "request_approval"))
    result = ({"approved": rng.random() < 0.5, "comment": words(rng)} if tool == "request_approval"
              else {"order_id": rng.randrange(1100, 9900), "status": "delivered"})
    return [ToolRequested(name=tool, arguments=json.dumps({"order_id": rng.randrange(1100, 9900)})),
            ToolResult(name=tool, result=json.dumps(result))]


def _streak(error_streak: Remote, thread: Remote, what: str) -> Any:
    return _call(f"error_streak(<{what}>)", error_streak, thread).value


@hidden.test("streak_counts_errors_in_a_row")
def streak_counts_errors_in_a_row(rng, error_streak, Thread, thread_for, ToolRequested, ToolResult, ToolFailed):
    """The errors that end the thread, each kind counted once; read from the events, and the thread left unchanged."""
    for _ in range(3):
        count = rng.randint(1, 6)
        events = [*_success(ToolRequested, ToolResult, rng)] if rng.random() < 0.7 else []
        for _ in range(count):
            events += _failure(ToolRequested, ToolFailed, rng)
        if rng.random() < 0.4:  # a call chosen after the errors, its result not stored yet
            events.append(ToolRequested(name="request_approval", arguments=json.dumps({"order_id": 1})))
        base = thread_for(SCENARIOS[rng.choice(("damaged_item", "large_refund", "change_address"))].ticket)
        thread = Thread(ticket=_attr(base, "ticket"), events=[*list(_attr(base, "events")), *events])
        stored = thread.model_dump_json().value
        what = f"a thread ending with {count} error{'s' if count > 1 else ''}"
        got = _streak(error_streak, thread, what)
        assert got == count, (
            f"error_streak(<{what}>) returned {got!r}, not {count}: count each ToolFailed from the end back, step over "
            "the ToolRequested calls, and stop at anything else.")
        assert thread.model_dump_json().value == stored, "error_streak changed the thread: it should only read it."


@hidden.test("a_success_resets_the_streak")
def a_success_resets_the_streak(rng, error_streak, Thread, thread_for, ToolRequested, ToolResult, ToolFailed, Finished):
    """A tool result or a person's answer ends the streak; so do the ticket and a Finished."""
    ticket = SCENARIOS["damaged_item"].ticket
    base = thread_for(ticket)
    start = list(_attr(base, "events"))
    before = [event for _ in range(rng.randint(1, 4)) for event in _failure(ToolRequested, ToolFailed, rng)]
    after = rng.randint(0, 2)
    tail = [event for _ in range(after) for event in _failure(ToolRequested, ToolFailed, rng)]
    cases = [
        (f"errors, a success, then {after} errors", [*before, *_success(ToolRequested, ToolResult, rng), *tail], after),
        ("errors, then a person's answer", [*before, ToolRequested(name="request_approval", arguments="{}"),
                                            ToolResult(name="request_approval", result=json.dumps(
                                                {"approved": rng.random() < 0.5, "comment": words(rng)}))], 0),
        ("a thread with the ticket only", [], 0),
        (f"{len(before) and 'errors'} then a Finished", [*before, Finished(summary=f"Told the {words(rng)}.")], 0),
    ]
    for what, events, want in cases:
        thread = Thread(ticket=_attr(base, "ticket"), events=[*start, *events])
        got = _streak(error_streak, thread, what)
        assert got == want, (
            f"error_streak(<{what}>) returned {got!r}, not {want}: a ToolResult (a tool worked, a person answered), "
            "the ticket or a Finished ends the streak.")
    only = Thread(ticket=_attr(base, "ticket"), events=[*start, *before])
    want = sum(1 for event in before if event.isa(ToolFailed))
    got = _streak(error_streak, only, "errors right after the ticket")
    assert got == want, f"error_streak on {want} errors right after the ticket returned {got!r}, not {want}."


# --- Exercise 9.3: retry_wait and with_retries ---------------------------------------------------

@contextmanager
def _model(*faults: ErrorReply, answer: str = "pong") -> Iterator[FakeModel]:
    """A model that fails with `faults`, in order, then answers `answer`."""
    model = FakeModel(lambda request: Reply.text(answer), faults={i + 1: fault for i, fault in enumerate(faults)})
    with _world(model):
        yield model


def _retries(with_retries: Remote, ping: Remote, clock: _Clock, jitter: _Jitter, what: str, **kwargs: Any) -> Any:
    return _call(f"with_retries(ping, sleep, jitter) on {what}", with_retries, ping, clock, jitter, **kwargs).value


def _ping(learner: Learner) -> Remote:
    return learner.course("course.llm:ping")


@hidden.test("backoff_waits_grow_with_jitter")
def backoff_waits_grow_with_jitter(rng, retry_wait, with_retries, learner):
    """No Retry-After: min(0.5 * 2**attempt, 8) * (1 - 0.25 * jitter()); with_retries waits that between calls."""
    attempts = rng.randint(5, 7)
    faults = [rng.choice((server_error(), timeout())) for _ in range(attempts - 1)]
    answer = f"pong {words(rng)}"
    clock, jitter = _Clock(), _Jitter(rng)
    with _model(*faults, answer=answer) as model:
        got = _retries(with_retries, _ping(learner), clock, jitter, f"{attempts - 1} failures then an answer",
                       attempts=attempts)
    assert model.calls == attempts and got == answer, (
        f"with_retries(..., attempts={attempts}) on a model that fails {attempts - 1} times (500s and timeouts) then "
        f"answers made {_times(model.calls)} and returned {got!r}: retry until it answers, {attempts} calls in all.")
    want = [_backoff(attempt, value) for attempt, value in enumerate(jitter.given)]
    assert len(jitter.given) == attempts - 1 and _close(clock.waits, want), (
        f"Between {attempts} calls with no Retry-After, with_retries waited {_shown_waits(clock.waits)} "
        f"(jitter() gave {jitter.given}); expected {_shown_waits(want)}: min(0.5 * 2 ** attempt, 8.0) * "
        "(1 - 0.25 * jitter()), one jitter() per wait.")
    api_error = learner.course("course.llm:api_error")
    for fault in (server_error(), timeout()):
        attempt, value = rng.randint(0, 7), round(rng.random(), 6)
        got = _call(f"retry_wait({attempt}, <a {fault.status or 'timeout'}>, jitter)", retry_wait, attempt,
                    api_error(fault), lambda value=value: value).value
        assert isinstance(got, (int, float)) and abs(got - _backoff(attempt, value)) < 1e-6, (
            f"retry_wait({attempt}, <a {fault.status or 'timeout'} with no Retry-After>, jitter) with jitter() = "
            f"{value} returned {got!r}, not {_backoff(attempt, value):.4f}.")


@hidden.test("server_retry_after_is_honoured")
def server_retry_after_is_honoured(rng, retry_wait, with_retries, learner):
    """retry-after-ms, else retry-after: waited exactly when above 0 and at most 60 s; otherwise the backoff."""
    ms, seconds, too_long = rng.randrange(50, 59_000), rng.randint(1, 60), rng.randrange(61_000, 600_000)
    busy, fraction = rng.randrange(10, 9_000), rng.randrange(1, 59) + rng.choice((0.25, 0.5, 0.75))
    faults: list[tuple[ErrorReply, float | None]] = [
        (ErrorReply(status=429, message="Slow down.", headers={"retry-after": "60"}), 60.0),
        (ErrorReply(status=429, message="Slow down.", headers={"retry-after": str(fraction)}), fraction),
        (rate_limit(ms), ms / 1000),
        (ErrorReply(status=429, type="requests", code="rate_limit_exceeded", message="Slow down.",
                    headers={"retry-after": str(seconds)}), float(seconds)),
        (overloaded(busy), busy / 1000),
        (ErrorReply(status=429, message="Come back much later.", headers={"retry-after-ms": str(too_long)}), None),
    ]
    rng.shuffle(faults)
    clock, jitter = _Clock(), _Jitter(rng)
    with _model(*(fault for fault, _ in faults)) as model:
        _retries(with_retries, _ping(learner), clock, jitter, "429s and 503s with Retry-After", attempts=len(faults) + 1)
    assert model.calls == len(faults) + 1, f"with_retries made {_times(model.calls)}, not {len(faults) + 1}."
    given = iter(jitter.given)
    want = [asked if asked is not None else _backoff(attempt, next(given, 0.0))
            for attempt, (_, asked) in enumerate(faults)]
    shown = [f"{fault.status} {fault.headers or 'no headers'}" for fault, _ in faults]
    assert _close(clock.waits, want), (
        f"After {shown}, with_retries waited {_shown_waits(clock.waits)}, not {_shown_waits(want)}: wait what the server "
        "asked (retry-after-ms in milliseconds, else retry-after in seconds) when it is above 0 and at most 60 s; "
        "otherwise the backoff with jitter.")
    fault, asked = next((fault, asked) for fault, asked in faults if asked is not None)
    got = _call("retry_wait(0, <a 429 with Retry-After>, jitter)", retry_wait, rng.randint(0, 5),
                learner.course("course.llm:api_error")(fault), lambda: 0.5).value
    assert isinstance(got, (int, float)) and abs(got - asked) < 1e-6, (
        f"retry_wait on a {fault.status} whose headers are {fault.headers} returned {got!r}, not {asked}.")


@hidden.test("only_transient_errors_are_retried")
def only_transient_errors_are_retried(rng, with_retries, learner):
    """At most `attempts` calls (4 by default), then the last error is raised; a 400 or 401 is raised at once."""
    for attempts in (rng.randint(1, 6), None):
        calls = 4 if attempts is None else attempts
        faults = [rng.choice((server_error(), overloaded(0), timeout(), rate_limit(0))) for _ in range(calls + 3)]
        clock, jitter = _Clock(), _Jitter(rng)
        label = "the default attempts" if attempts is None else f"attempts={attempts}"
        kwargs = {} if attempts is None else {"attempts": attempts}
        with _model(*faults) as model:
            try:
                with_retries(_ping(learner), clock, jitter, **kwargs)
            except LearnerNotImplemented:
                raise
            except LearnerError as error:
                raised = error
            else:
                raise AssertionError(f"with_retries with {label} returned on a model that never answers: raise the "
                                     "last error once the attempts are used up.")
        assert model.calls == calls, (
            f"With {label} on a model that always fails (500, 503, 429, timeouts), with_retries made "
            f"{_times(model.calls)}, not {calls}: attempts counts every call, the first included.")
        assert any(raised.isa(kind) for kind in _RETRYABLE), (
            f"After the last attempt with_retries raised {raised.type}; raise the model's last error itself.")
        assert len(clock.waits) == calls - 1, (
            f"With {label}, with_retries waited {len(clock.waits)} times between {calls} calls; wait between calls, "
            "not after the last one.")
    for status, kind in [rng.choice(((400, "BadRequestError"), (401, "AuthenticationError"), (404, "NotFoundError")))]:
        clock = _Clock()
        with _model(ErrorReply(status=status, type="invalid_request_error", message=f"{words(rng)} is wrong.")) as model:
            error = None
            try:
                with_retries(_ping(learner), clock, _Jitter(rng))
            except LearnerNotImplemented:
                raise
            except LearnerError as failure:
                error = failure
        assert model.calls == 1 and not clock.waits, (
            f"A {status} was tried {_times(model.calls)} with waits {clock.waits}: only 429, 5xx and timeouts are "
            "retried; any other error fails the same way again.")
        assert error is not None and error.isa(kind), f"A {status} should be raised as the client raised it ({kind})."


# --- Exercise 9.4: run_loop, with stand-ins ------------------------------------------------------

class _ErrorEvent:
    """A stand-in for error_event: a ToolFailed whose text carries a drawn mark, recording what it was asked."""

    def __init__(self, ToolFailed: Remote, mark: str) -> None:
        self.ToolFailed, self.mark = ToolFailed, mark
        self.asked: list[tuple[str, str]] = []

    def __call__(self, name: Remote, error: Remote) -> Remote:
        self.asked.append((str(name.value), error.type))
        return self.ToolFailed(name=name.value, error=f"{error.type}: short ({self.mark})")


class _Streak:
    """A stand-in for error_streak: the reference count, read by the grader from the thread's plain data."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def __call__(self, thread: Remote) -> int:
        count = 0
        for event in reversed(thread.value["events"]):
            if event["kind"] == "tool_error":
                count += 1
            elif event["kind"] != "tool_call":
                break
        self.seen.append(count)
        return count


class _Retries:
    """A stand-in for with_retries: one call, no retry; `unreachable` makes it give up like an API that is down.

    It records whether it was handed the loop's sleep and jitter (it calls each once, and the test's own
    clock and jitter must hear of it).
    """

    def __init__(self, clock: _Clock, jitter: _Jitter, learner: Learner, ToolCallError: Remote,
                 unreachable: bool = False) -> None:
        self.clock, self.jitter, self.ToolCallError = clock, jitter, ToolCallError
        self.unreachable = learner.course("course.llm:api_error")(timeout()) if unreachable else None
        self.calls = 0

    def __call__(self, call: Remote, sleep: Remote | None = None, jitter: Remote | None = None, *args: Any,
                 **kwargs: Any) -> Remote:
        self.calls += 1
        sleep = kwargs.get("sleep", sleep)
        jitter = kwargs.get("jitter", jitter)
        if sleep is not None:
            sleep(0.125)
        if jitter is not None:
            jitter()
        if self.unreachable is not None:
            raise RaiseInWorker(self.unreachable, "")
        try:
            return call()
        except LearnerError as error:
            if error.isa("ToolCallError"):
                raise RaiseInWorker(self.ToolCallError, error.message) from None
            raise


@contextmanager
def _stood_in(learner: Learner, rng: random.Random, ToolFailed: Remote, ToolCallError: Remote,
              unreachable: bool = False) -> Iterator[tuple[_ErrorEvent, _Streak, _Retries]]:
    mark = words(rng, 2)
    event, streak = _ErrorEvent(ToolFailed, mark), _Streak()
    retries = _Retries(_Clock(), _Jitter(rng), learner, ToolCallError, unreachable)
    with learner.stand_ins(error_event=event, error_streak=streak, with_retries=retries):
        yield event, streak, retries


def _run(run_loop: Remote, new_thread: Remote, system_prompt: Remote, db: Any, ticket: Any, what: str,
         retries: _Retries | None = None, **kwargs: Any) -> tuple[str, Any]:
    thread_id = new_thread(ticket).value
    if retries is not None:
        kwargs = {"sleep": retries.clock, "jitter": retries.jitter, **kwargs}
    status = _call(f"run_loop on {what}", run_loop, thread_id, system_prompt(db.policy), **kwargs).value
    return thread_id, status


@hidden.test("errors_are_stored_short_and_the_loop_goes_on")
def errors_are_stored_short_and_the_loop_goes_on(rng, run_loop, new_thread, load_thread, system_prompt, ToolFailed,
                                                 ToolCallError, learner):
    """A malformed call is stored as error_event('model', error); the model reads it, and the loop goes on."""
    unknown = f"refund_{words(rng)}"

    def script(case: Scenario) -> FakeModel:
        return FakeModel.scripted(Reply.tool_call(unknown, {"order_id": case.order_id}),
                                  Reply.tool_call("done", {"summary": f"Told the {words(rng)}."}))
    with _drawn_world(rng, "refunded", script) as (db, case, model), \
            _stood_in(learner, rng, ToolFailed, ToolCallError) as (event, _streak, retries):
        thread_id, status = _run(run_loop, new_thread, system_prompt, db, case.ticket, "a malformed call", retries)
        events = _events(load_thread, thread_id)
        seen = json.dumps(model.transcript.messages_sent(1)) if model.calls > 1 else ""
    assert ("model", "ToolCallError") in event.asked, (
        f"run_loop stored the malformed call without error_event (it was asked {event.asked}): store "
        "error_event('model', error), the short form.")
    failed = [e for e in events if e["kind"] == "tool_error"]
    assert failed and failed[0].get("name") == "model" and event.mark in failed[0].get("error", ""), (
        f"The thread holds {_shown(events)}: the malformed call should be stored as the ToolFailed error_event made.")
    assert model.calls == 2 and status == "done" and event.mark in seen, (
        f"After a malformed call run_loop asked the model {_times(model.calls)} and returned {status!r}: the model "
        "should read the short error on its next step and go on.")


@hidden.test("three_errors_in_a_row_escalate")
def three_errors_in_a_row_escalate(rng, run_loop, new_thread, load_thread, system_prompt, Escalate, ToolFailed,
                                   ToolCallError, learner):
    """At MAX_ERRORS in a row (read with error_streak) the loop escalates, quoting the last error, without asking."""
    limit = rng.choice((2, 3, 4, 5))
    unknown = f"cancel_{words(rng)}"

    def script(case: Scenario) -> FakeModel:
        return FakeModel(lambda request: Reply.tool_call(unknown, {"order_id": case.order_id}))
    with _drawn_world(rng, "refunded", script) as (db, case, model), \
            _stood_in(learner, rng, ToolFailed, ToolCallError) as (event, streak, retries), \
            learner.stand_ins(MAX_ERRORS=limit):
        thread_id, status = _run(run_loop, new_thread, system_prompt, db, case.ticket,
                                 f"a model whose every call is malformed, MAX_ERRORS={limit}", retries)
        events = _events(load_thread, thread_id)
    assert streak.seen, "run_loop never asked error_streak how many errors end the thread."
    assert model.calls == limit, (
        f"With MAX_ERRORS = {limit} and a model whose every call is malformed, run_loop asked it {_times(model.calls)}; "
        f"after {limit} errors in a row, escalate without asking again (read MAX_ERRORS, do not write 3).")
    last = events[-1] if events else {}
    assert last.get("kind") == "tool_call" and last.get("name") == "escalate" and status == "waiting", (
        f"After {limit} errors in a row the thread ends with {_shown(events)[-1:]} and run_loop returned {status!r}; "
        "return escalate(thread_id, reason): a person takes the thread over.")
    try:
        reason = Escalate.model_validate_json(last["arguments"]).reason.value
    except LearnerError:
        raise AssertionError(f"The escalation carries {last['arguments']!r}, not an Escalate.") from None
    assert event.mark in reason, (
        f"The escalation's reason is {reason!r}; quote the last error, so the person who takes over knows what failed.")


@hidden.test("model_calls_are_retried")
def model_calls_are_retried(rng, run_loop, new_thread, load_thread, append_event, system_prompt, ToolRequested,
                            ToolResult, ToolFailed, ToolCallError, learner):
    """Every model call goes through with_retries with the loop's sleep and jitter, about the folded thread."""
    errors = [f"PaymentProviderDown: {words(rng)} unavailable ({n})." for n in range(rng.randint(2, 3))]

    def script(case: Scenario) -> FakeModel:
        return FakeModel.scripted(*_calls(("get_order", {"order_id": case.order_id}),
                                          ("done", {"summary": f"Looked up the {words(rng)}."})))
    with _drawn_world(rng, "refunded", script) as (db, case, model), \
            _stood_in(learner, rng, ToolFailed, ToolCallError) as (_event, _streak, retries):
        thread_id = new_thread(case.ticket).value
        call = json.dumps({"order_id": case.order_id})
        for error in errors:  # a run of errors that a later call resolved: the model should read it folded
            append_event(thread_id, ToolRequested(name="track_shipment", arguments=call))
            append_event(thread_id, ToolFailed(name="track_shipment", error=error))
        append_event(thread_id, ToolRequested(name="track_shipment", arguments=call))
        append_event(thread_id, ToolResult(name="track_shipment", result=json.dumps({"status": "in_transit"})))
        status = _call("run_loop with its own sleep and jitter", run_loop, thread_id, system_prompt(db.policy),
                       sleep=retries.clock, jitter=retries.jitter).value
        sent = json.dumps(model.transcript.messages_sent(0)) if model.calls else ""
    assert retries.calls == model.calls == 2 and status == "done", (
        f"run_loop asked the model {_times(model.calls)}, {_times(retries.calls)} through with_retries (status "
        f"{status!r}): ask every time through with_retries(lambda: determine_next_step(...), sleep, jitter).")
    assert retries.clock.waits == [0.125, 0.125] and len(retries.jitter.given) == 2, (
        "run_loop did not hand with_retries the sleep and jitter it was given: pass them on, so that a test or a "
        "notebook never really waits.")
    assert sum(error in sent for error in errors) <= 1 and "attempts failed" in sent, (
        f"The model was shown each of the {len(errors)} resolved errors; ask about fold_errors(thread), where "
        "resolved errors are one line.")


@hidden.test("an_unreachable_model_leaves_the_thread_working")
def an_unreachable_model_leaves_the_thread_working(rng, run_loop, new_thread, load_thread, system_prompt, status_of,
                                                   ToolFailed, ToolCallError, learner):
    """When with_retries gives up, run_loop returns 'working' at once, stores nothing, and a later run goes on."""
    def script(case: Scenario) -> FakeModel:
        return FakeModel.scripted(*_calls(("get_order", {"order_id": case.order_id}),
                                          ("done", {"summary": f"Answered the {words(rng)}."})))
    with _drawn_world(rng, "refunded", script) as (db, case, model):
        with _stood_in(learner, rng, ToolFailed, ToolCallError, unreachable=True) as (_event, _streak, retries):
            thread_id, status = _run(run_loop, new_thread, system_prompt, db, case.ticket, "a model API that is down",
                                     retries)
            events = _events(load_thread, thread_id)
            derived = status_of(load_thread(thread_id)).value
        assert status == "working" and derived == "working", (
            f"When with_retries gave up, run_loop returned {status!r} (the thread is {derived!r}); return 'working': "
            "nothing was chosen, and the thread goes on later.")
        assert retries.calls == 1 and not events, (
            f"When with_retries gave up, run_loop tried {_times(retries.calls)} and stored {_shown(events)}: stop at "
            "once, and store nothing (no error, no escalation): the thread is not at fault.")
        with _stood_in(learner, rng, ToolFailed, ToolCallError) as (_event, _streak, retries):
            status = _call("run_loop again, once the model is back", run_loop, thread_id, system_prompt(db.policy),
                           sleep=retries.clock, jitter=retries.jitter).value
    assert status == "done" and model.calls == 2, (
        f"Run again once the model was back, the thread ended {status!r} after {_times(model.calls)}: it should go "
        "on from where it stopped.")


@hidden.test("the_rules_of_lesson_08_still_hold")
def the_rules_of_lesson_08_still_hold(rng, run_loop, new_thread, load_thread, append_event, system_prompt, ToolRequested,
                                      ToolFailed, ToolCallError, learner):
    """A held refund waits for approval (nothing refunded), an interrupted step is finished first, and the step limit
    escalates."""
    def reckless(case: Scenario) -> FakeModel:
        return FakeModel.scripted(*_calls(("issue_refund", {"order_id": case.order_id,
                                                            "amount": case.expected.refund_amount, "reason": "damaged"})),
                                  Reply.text("Refunded."))
    with _drawn_world(rng, "approval_required", reckless) as (db, case, model), \
            _stood_in(learner, rng, ToolFailed, ToolCallError) as (_event, _streak, retries):
        thread_id, status = _run(run_loop, new_thread, system_prompt, db, case.ticket, "a model that refunds directly",
                                 retries)
        events = _events(load_thread, thread_id)
        rows = db.conn.execute("SELECT count(*) FROM refunds WHERE order_id = ?", (case.order_id,)).fetchone()[0]
    assert retries.calls == model.calls, (
        f"run_loop asked the model {_times(model.calls)}, {_times(retries.calls)} through with_retries: this lesson's "
        "loop asks every time through with_retries, and keeps lesson 08's rules.")
    assert rows == 0 and status == "waiting" and _shown(events)[-1:] == ["tool_call:request_approval"], (
        f"A model that refunds ${case.expected.refund_amount:.2f} directly left {_shown(events)} ({status!r}, {rows} "
        "refunds): keep lesson 08's guard, the refund waits for a person's approval.")
    def answering(case: Scenario) -> FakeModel:
        return FakeModel.scripted(Reply.text(f"Told the {words(rng)}."))
    with _drawn_world(rng, "refunded", answering) as (db, case, model), \
            _stood_in(learner, rng, ToolFailed, ToolCallError) as (_event, _streak, retries):
        thread_id = new_thread(case.ticket).value
        append_event(thread_id, ToolRequested(name="get_order", arguments=json.dumps({"order_id": case.order_id})))
        status = _call("run_loop on an interrupted thread", run_loop, thread_id, system_prompt(db.policy),
                       sleep=retries.clock, jitter=retries.jitter).value
        events = _events(load_thread, thread_id)
    assert _shown(events)[:2] == ["tool_call:get_order", "tool_result:get_order"] and status == "done", (
        f"On a thread interrupted after choosing get_order, run_loop left {_shown(events)} ({status!r}): finish that "
        "step first (lesson 06), then ask the model.")
    steps = rng.randint(2, 5)

    def looking(case: Scenario) -> FakeModel:
        return FakeModel(lambda request: Reply.tool_call("get_order", {"order_id": case.order_id}))
    with _drawn_world(rng, "refunded", looking) as (db, case, model), \
            _stood_in(learner, rng, ToolFailed, ToolCallError) as (_event, _streak, retries):
        thread_id, status = _run(run_loop, new_thread, system_prompt, db, case.ticket,
                                 f"a model that never finishes, max_steps={steps}", retries, max_steps=steps)
        events = _events(load_thread, thread_id)
    assert model.calls == steps and status == "waiting" and _shown(events)[-1:] == ["tool_call:escalate"], (
        f"With max_steps={steps} and a model that never finishes, run_loop asked it {_times(model.calls)} and left "
        f"{_shown(events)[-1:]} ({status!r}): out of steps, escalate, as in lesson 08.")


# --- The agent as a whole ----------------------------------------------------------------------

def _bounded(events: list[dict[str, Any]], where: str, *secrets: str) -> None:
    for event in events:
        if event["kind"] != "tool_error":
            continue
        text = str(event.get("error", ""))
        assert "\n" not in text and len(text) <= _LIMIT, (
            f"{where}, the thread stores an error of {len(text)} characters and {text.count(chr(10)) + 1} lines: "
            f"{text[:80]!r}…; every error event is one line of at most {_LIMIT} characters.")
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, f"{where}, an error event tells the model {text[:120]!r}: the library's details leaked."


@hidden.test("agent_recovers_from_failures")
def agent_recovers_from_failures(rng, launch, load_thread, status_of, learner):
    """A payment failure, a library's crash and a malformed call: the model reads one short line each and the
    refund happens once; every drawn scenario still reaches its outcome."""
    secret = f"sk-{rng.getrandbits(48):012x}"
    crash = ConnectionResetError(f"[Errno 104] reset by /srv/{words(rng)}/pay.py (key {secret})\n" + "  File x\n" * 30)
    model = FakeModel(shop_brain, faults={rng.randint(1, 2): malformed_arguments("get_order")})
    with _world(model) as db:
        case = draw_scenario(db, rng, "refunded")
        failures = [PaymentProviderDown(), crash]
        rng.shuffle(failures)
        for failure in failures:
            db.fail_next("issue_refund", failure)
        before = Records.of(db)
        thread_id = _call("launch on a refund whose provider fails twice", launch, case.ticket).value
        events = _events(load_thread, thread_id)
        status = status_of(load_thread(thread_id)).value
        rows = db.conn.execute("SELECT count(*) FROM refunds WHERE order_id = ?", (case.order_id,)).fetchone()[0]
        effects_follow_calls(db, model.transcript.tool_calls(), before, where="On a refund whose provider fails")
        sent = json.dumps([model.transcript.messages_sent(i) for i in range(model.calls)])
    where = "On a refund whose payment provider failed twice"
    _bounded(events, where, secret)
    assert secret not in sent, f"{where}, the model was shown the library's message (its key): never send it."
    assert status == "done" and rows == 1, (
        f"{where} (and one malformed call), the thread ended {status!r} with {rows} refunds: the model should read "
        "each short error, try again, and refund once.")
    outcomes: list[Any] = list(DRAWN_OUTCOMES)
    rng.shuffle(outcomes)
    for outcome in outcomes:
        model = FakeModel(shop_brain)
        with _world(model) as db:
            scenario = draw_scenario(db, rng, outcome)
            before = Records.of(db)
            thread_id = _call(f"launch on a drawn {outcome} ticket", launch, scenario.ticket).value
            asked = [e["name"] for e in _events(load_thread, thread_id) if e["kind"] == "tool_call"]
            got = outcome_of(db, scenario, called=asked)
            effects_follow_calls(db, model.transcript.tool_calls(), before, where=f"On a drawn {outcome} ticket")
        assert got == outcome, f"On a drawn {outcome} ticket the agent's outcome was {got!r}."


def _refunds(db: Shop, order_id: int | None) -> int:
    return int(db.conn.execute("SELECT count(*) FROM refunds WHERE order_id = ?", (order_id,)).fetchone()[0])


@hidden.test("agent_escalates_after_three_errors")
def agent_escalates_after_three_errors(rng, launch, load_thread, status_of):
    """A provider down for good: a person after three failed refunds; errors with a success between them: done."""
    outage = f"Payment provider {words(rng)} is down (HTTP 503)."
    model = FakeModel(shop_brain)
    with _world(model) as db:
        case = draw_scenario(db, rng, "refunded")
        db.fail_next("issue_refund", PaymentProviderDown(outage), times=50)
        thread_id = _call("launch with the payment provider down", launch, case.ticket).value
        events = _events(load_thread, thread_id)
        rows = _refunds(db, case.order_id)
    tried = sum(1 for e in events if e["kind"] == "tool_call" and e["name"] == "issue_refund")
    assert tried == 3 and _shown(events)[-1:] == ["tool_call:escalate"] and rows == 0, (
        f"With the payment provider down for good, the agent tried the refund {_times(tried)} and left "
        f"{_shown(events)[-1:]}; hand the thread to a person after three errors in a row.")
    assert outage in events[-1].get("arguments", ""), (
        f"The escalation says {events[-1].get('arguments')!r}; quote the last error for the person who takes over.")
    model = FakeModel(shop_brain)
    with _world(model) as db:
        case = draw_scenario(db, rng, "refunded")
        db.fail_next("issue_refund", PaymentProviderDown(), times=2)
        db.fail_next("send_message", PaymentProviderDown(f"Mail server {words(rng)} unavailable (HTTP 503)."), times=2)
        thread_id = _call("launch with four errors, a success between them", launch, case.ticket).value
        status = status_of(load_thread(thread_id)).value
        events = _events(load_thread, thread_id)
    assert status == "done" and "tool_call:escalate" not in _shown(events), (
        f"Two failed refunds, a refund that worked, then two failed messages: the thread ended {status!r}. A success "
        "resets the count; four errors that are not in a row are no reason to escalate.")


@hidden.test("a_restart_keeps_the_error_count")
def a_restart_keeps_the_error_count(rng, new_thread, append_event, ToolRequested, ToolResult, ToolFailed, learner):
    """Two failed refunds stored, then another process: one more failure, and the thread is escalated."""
    model = FakeModel(shop_brain)
    with _world(model) as db:
        case = draw_scenario(db, rng, "refunded")
        amount = case.expected.refund_amount or 0.0
        thread_id = new_thread(case.ticket).value
        looked = [("get_order", {"order_id": case.order_id}, shop_tools.get_order(case.order_id)),
                  ("check_refund_policy", {"order_id": case.order_id, "amount": amount},
                   shop_tools.check_refund_policy(case.order_id, amount))]
        for name, arguments, result in looked:
            append_event(thread_id, ToolRequested(name=name, arguments=json.dumps(arguments)))
            append_event(thread_id, ToolResult(name=name, result=result.model_dump_json()))
        refund = json.dumps({"order_id": case.order_id, "amount": amount, "reason": "damaged"})
        for _ in range(2):
            append_event(thread_id, ToolRequested(name="issue_refund", arguments=refund))
            append_event(thread_id, ToolFailed(name="issue_refund", error=f"PaymentProviderDown: {words(rng)} is down."))
        db.fail_next("issue_refund", PaymentProviderDown(), times=50)
        with _elsewhere(learner) as other:
            status = _call("resume(thread_id) in another process", other["resume"], thread_id).value
            events = _events(other["load_thread"], thread_id)
    assert model.calls == 1 and status == "waiting" and _shown(events)[-1:] == ["tool_call:escalate"], (
        f"A thread with two failed refunds, resumed in another process with the provider still down, asked the model "
        f"{_times(model.calls)} and ended {status!r} with {_shown(events)[-1:]}: the count is in the thread, so one "
        "more failure makes three, and a person takes over.")


@hidden.test("a_retry_never_repeats_a_refund")
def a_retry_never_repeats_a_refund(rng, launch, load_thread):
    """A 429 before the refund and a 500 and a timeout right after it: waited as asked, the refund made once."""
    ms = rng.randrange(100, 30_000)
    # calls: 1 get_order, 2 check_refund_policy, 3 (429) 4 issue_refund (the provider fails), 5 (500) 6 (timeout)
    # 7 issue_refund again, 8 send_message ...
    model = FakeModel(shop_brain, faults={3: rate_limit(ms), 5: server_error(), 6: timeout()})
    clock, jitter = _Clock(), _Jitter(rng)
    with _world(model) as db:
        case = draw_scenario(db, rng, "refunded")
        db.fail_next("issue_refund", PaymentProviderDown())
        before = Records.of(db)
        thread_id = _call("launch with a rate-limited model", launch, case.ticket, sleep=clock, jitter=jitter).value
        events = _events(load_thread, thread_id)
        rows = _refunds(db, case.order_id)
        effects_follow_calls(db, model.transcript.tool_calls(), before, where="With a rate-limited model")
    want = [ms / 1000, *(_backoff(attempt, value) for attempt, value in enumerate(jitter.given))]
    assert _close(clock.waits, want), (
        f"Around the refund (a 429 asking {ms} ms, then a 500 and a timeout), the agent waited "
        f"{_shown_waits(clock.waits)}, not {_shown_waits(want)}.")
    refunded = sum(1 for e in events if e["kind"] == "tool_result" and e["name"] == "issue_refund")
    tried = sum(1 for e in events if e["kind"] in ("tool_result", "tool_error") and e["name"] == "issue_refund")
    asked = sum(1 for name, _ in model.transcript.tool_calls() if name == "issue_refund")
    assert rows == 1 and refunded == 1, (
        f"With model API errors around the refund, the refund was carried out {_times(refunded)} ({rows} in the shop): "
        "retry the decision, never the effect.")
    assert tried == asked, (
        f"The model asked for the refund {_times(asked)}, and it was tried {_times(tried)}: code never runs a tool again "
        "behind the model's back; a failed tool is an error the model reads, and the model decides what next.")


__all__ = ["hidden"]

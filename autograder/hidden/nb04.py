"""Hidden tests of lesson 04 (tools are structured outputs). Instructor side only.

Each test is registered on `hidden` under the grade id of its graded cell and takes the learner's
definitions as parameters (parameter names = the names the notebook defines), each one a `Remote`
handle on the learner's object (autograder.boundary.remote); `learner` is the `Learner` itself. So
`hidden("deciding_changes_nothing", globals())` runs a test in the learner's kernel, and the
trusted grader runs it here against the notebook in its sandboxed worker.

Tests drive the fake model (scripted replies, the shop brain) against fresh seeded shops, both kept
in this process, and judge from the shop database, the transcript and the plain data that learner
calls return (`.value`, attributes read one round trip at a time), never from source. Intents the
lesson does not define are made in the worker with `learner.subclass` of the learner's ToolInput.
A planned shop fault (`db.fail_next`) travels with each learner call to the worker, and what the
call used up comes back, so planned failures fire in the worker exactly as in-process.
A failure raises AssertionError saying what went wrong, in the learner's terms.

Each exercise is scored on its own. The tests of 4.3 run the learner's loop with scripted stand-ins
for `determine_next_step` and `execute` (`Learner.stand_ins`: a list of intents made from the
learner's INTENTS, events made from the learner's event classes; a stand-in raises the learner's
own ToolCallError with `RaiseInWorker`). `agent_handles_the_scenarios` scores the agent as a whole:
the learner's three functions on the shop brain.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from autograder.boundary.remote import LearnerError, LearnerNotImplemented, RaiseInWorker, Remote
from autograder.hidden import HiddenTests
from autograder.hidden.calls import attr as _attr
from autograder.hidden.calls import call as _call
from autograder.hidden.calls import value as _value
from autograder.hidden.drawn import Records, effects_follow_calls, runs, scenario_in
from course.brain import shop_brain
from course.llm import FakeModel, Reply, count_message_tokens, use_model
from course.llm.settings import ConfigError
from course.shop import SCENARIOS, PaymentProviderDown, Shop, ShopError, outcome_of, refunded_amount, use_shop
from course.shop import tools as shop_tools

hidden = HiddenTests("04")

# One valid example of every intent, and the ticket it is tried on.
_SAMPLES: dict[str, dict[str, Any]] = {
    "get_order": {"order_id": 1042},
    "check_refund_policy": {"order_id": 1042, "amount": 18.5},
    "issue_refund": {"order_id": 1042, "amount": 18.5, "reason": "damaged"},
    "track_shipment": {"order_id": 1077},
    "update_address": {"address": "2150 Larimer St Unit 5B, Denver, CO 80205"},
    "send_message": {"body": "Your refund of $18.50 is on its way."},
    "done": {"summary": "Refunded the broken mug."},
}

_MISSING = object()


# --- helpers ----------------------------------------------------------------------------------

@contextmanager
def _world(model: FakeModel | None = None) -> Iterator[Shop]:
    """A fresh seeded shop as the current shop, and `model` (default: the shop brain) as the model."""
    with Shop.create() as db, use_shop(db), use_model(model or FakeModel(shop_brain)):
        yield db


def _snapshot(db: Shop) -> tuple[bytes, list[str]]:
    return db.path.read_bytes(), list(db.conn.iterdump())


def _changed_tables(before: tuple[bytes, list[str]], after: tuple[bytes, list[str]]) -> str:
    lines = set(before[1]) ^ set(after[1])
    tables = sorted({m.group(1) for line in lines if (m := re.match(r'INSERT INTO "?(\w+)"?', line))})
    return ", ".join(tables) or "its file"


def _get(obj: Remote | None, name: str, default: Any = None) -> Any:
    """getattr(obj, name, default), as plain data."""
    if obj is None:
        return default
    try:
        return _value(obj, name)
    except LearnerNotImplemented:
        raise
    except LearnerError as error:
        if error.isa("AttributeError"):
            return default
        raise


def _has(obj: Remote, name: str) -> bool:
    return _get(obj, name, _MISSING) is not _MISSING


def _events(thread: Remote) -> list[Remote]:
    """list(getattr(thread, "events", [])): the events of a thread the learner's code returned."""
    if not _has(thread, "events"):
        return []
    return list(_attr(thread, "events"))


def _times(n: int) -> str:
    return f"{n} time" + ("" if n == 1 else "s")


def _kind(event: Remote | None) -> str | None:
    return _get(event, "kind")


def _isinstance(obj: Remote | LearnerError, cls: Remote) -> bool:
    """isinstance(obj, cls) as near as class names tell: `cls`'s whole MRO, by name, is the tail of `obj`'s.

    Stricter than `obj.isa(cls)`, which a same-named class of another family (the shop's own
    IssueRefund, say) would pass.
    """
    mro, got = cls.classes, obj.classes
    return mro[0] in got and got[got.index(mro[0]):] == mro


def _class_name(cls: Remote) -> str:
    return cls.classes[0] if cls.is_class else cls.type


def _intent_names(INTENTS: Remote) -> list[str]:
    return [name.value for name in INTENTS]


def _empty_log(thread: Remote) -> Remote:
    """An empty list made in the worker, for the learner's code to append to and this test to read back.

    A list passed as an argument arrives in the worker as a copy, so the log is made there: a copy
    of the thread's own events list, emptied.
    """
    log = _attr(thread, "events").copy()
    log.clear()
    return log


def _decide(determine_next_step: Remote, thread_for: Remote, system_prompt: Remote, db: Shop, scenario: str,
            **kwargs: Any) -> Remote:
    thread = thread_for(SCENARIOS[scenario].ticket)
    return _call(f"determine_next_step on the {scenario} ticket", determine_next_step,
                 thread, system_prompt(db.policy), [], **kwargs)


# --- Exercise 4.1: determine_next_step ---------------------------------------------------------

@hidden.test("deciding_changes_nothing")
def deciding_changes_nothing(determine_next_step, thread_for, system_prompt):
    """Whatever the model asks for, deciding leaves the shop database and the thread exactly as they were."""
    asks = [
        ("damaged_item", Reply.tool_call("issue_refund", {"order_id": 1042, "amount": 18.5, "reason": "damaged"})),
        ("large_refund", Reply.tool_call("issue_refund", {"order_id": 1057, "amount": 899.0, "reason": "damaged"})),
        ("change_address", Reply.tool_call("update_address", {"address": "2150 Larimer St Unit 5B, Denver, CO 80205"})),
        ("where_is_my_order", Reply.tool_call("send_message", {"body": "Your jacket arrives on Friday."})),
        ("out_of_window", Reply.text("I have refused the refund.")),
    ]
    runs = [(name, FakeModel.scripted(reply)) for name, reply in asks]
    runs += [(name, FakeModel(shop_brain, context_window=3000)) for name in SCENARIOS]
    for name, model in runs:
        with _world(model) as db:
            thread = thread_for(SCENARIOS[name].ticket)
            events = thread.model_dump_json().value
            before = _snapshot(db)
            intent = _call(f"determine_next_step on the {name} ticket", determine_next_step,
                           thread, system_prompt(db.policy), [])
            after = _snapshot(db)
            assert before == after, (
                f"On the {name} ticket, determine_next_step decided {intent!r} and the shop database changed "
                f"({_changed_tables(before, after)}). Deciding must not act: leave running tools to execute.")
            assert thread.model_dump_json().value == events, (
                f"On the {name} ticket, determine_next_step changed the thread it was given. It should only "
                "read the thread; recording what happens is the loop's job.")


@hidden.test("next_step_is_a_typed_intent")
def next_step_is_a_typed_intent(determine_next_step, thread_for, system_prompt, INTENTS):
    """A tool call of every kind, including done, comes back as an instance of its intent with the model's arguments."""
    for name in _intent_names(INTENTS):
        model = INTENTS[name]
        arguments = _SAMPLES.get(name)
        if arguments is None:
            continue
        with _world(FakeModel.scripted(Reply.tool_call(name, arguments))) as db:
            intent = _decide(determine_next_step, thread_for, system_prompt, db, "damaged_item")
        assert _isinstance(intent, model), (
            f"When the model calls {name}({json.dumps(arguments)}), determine_next_step returned {intent!r}; "
            f"expected a {_class_name(model)}.")
        for field, value in arguments.items():
            got = _get(intent, field)
            assert got == value, (
                f"When the model calls {name}({json.dumps(arguments)}), the intent's {field} is {got!r}, not {value!r}.")
    both = Reply.calls(("track_shipment", {"order_id": 1077}), ("send_message", {"body": "Your jacket is on its way."}))
    with _world(FakeModel.scripted(both)) as db:
        intent = _decide(determine_next_step, thread_for, system_prompt, db, "where_is_my_order")
    assert _isinstance(intent, INTENTS["track_shipment"]), (
        f"When the model calls track_shipment and then send_message in one reply, determine_next_step returned "
        f"{intent!r}; one step at a time: return the first call's intent.")


@hidden.test("text_reply_means_done")
def text_reply_means_done(determine_next_step, thread_for, system_prompt, INTENTS):
    """A reply in plain text, with no tool call, means the model is done: a Done intent carrying the text."""
    done = INTENTS["done"]
    for text in ["I have sent Maya her refund.", "Nothing more to do here."]:
        with _world(FakeModel.scripted(Reply.text(text))) as db:
            intent = _decide(determine_next_step, thread_for, system_prompt, db, "damaged_item")
        assert _isinstance(intent, done), f"A text reply ({text!r}) came back as {intent!r}, not as a Done intent."
        summary = _value(intent, "summary")
        assert summary == text, f"A text reply ({text!r}) became a Done whose summary is {summary!r}."


@hidden.test("malformed_call_raises_tool_call_error")
def malformed_call_raises_tool_call_error(determine_next_step, thread_for, system_prompt, ToolCallError):
    """An unknown tool, JSON that does not parse or arguments that break the schema raise ToolCallError and run nothing."""
    bad = [
        ("a tool the shop does not have", Reply.tool_call("refund_everything", {"order_id": 1042})),
        ("arguments that are not valid JSON", Reply.tool_call("issue_refund", '{"order_id": 1042, "amount": ')),
        ("a missing argument", Reply.tool_call("issue_refund", {"order_id": 1042, "amount": 18.5})),
        ("an argument the tool does not take", Reply.tool_call("get_order", {"order_id": 1042, "admin": True})),
        ("a negative amount", Reply.tool_call("issue_refund", {"order_id": 1042, "amount": -18.5, "reason": "damaged"})),
        ("done without its summary", Reply.tool_call("done", {})),
    ]
    for what, reply in bad:
        with _world(FakeModel.scripted(reply)) as db:
            before = _snapshot(db)
            thread = thread_for(SCENARIOS["damaged_item"].ticket)
            try:
                got = determine_next_step(thread, system_prompt(db.policy), [])
            except LearnerNotImplemented:
                raise
            except LearnerError as error:
                if not _isinstance(error, ToolCallError):
                    raise AssertionError(f"A tool call with {what} raised {error.type}, not ToolCallError.") from None
            else:
                raise AssertionError(f"A tool call with {what} came back as {got!r}; it should raise ToolCallError.")
            assert _snapshot(db) == before, f"A tool call with {what} changed the shop database."


@hidden.test("next_step_asks_with_every_intent")
def next_step_asks_with_every_intent(determine_next_step, thread_for, system_prompt, INTENTS):
    """One model call per decision, under the given prompt, offering every intent, with the thread within budget."""
    model = FakeModel(shop_brain)
    with _world(model) as db:
        prompt = system_prompt(db.policy)
        thread = thread_for(SCENARIOS["damaged_item"].ticket)
        log = _empty_log(thread)
        _call("determine_next_step on the damaged_item ticket", determine_next_step, thread, prompt, log)
    assert model.calls == 1, f"Deciding one step called the model {_times(model.calls)}; it should call it once."
    offered = model.transcript.tools_offered()
    missing = [name for name in _intent_names(INTENTS) if name not in offered]
    assert not missing, f"The model was not offered {', '.join(missing)}, so it can never choose it."
    assert model.transcript.last_request.system_prompt == _value(prompt, "text"), (
        "The model's system prompt was not the prompt passed to determine_next_step.")
    logged = len(list(log))
    assert logged == 1, f"After one decision the log holds {logged} model calls; it should hold one."
    for budget in (600, 1_200):
        model = FakeModel(shop_brain)
        with _world(model) as db:
            _call(f"determine_next_step with budget={budget}", determine_next_step,
                  thread_for(SCENARIOS["long_thread"].ticket), system_prompt(db.policy), [], budget=budget)
        sent = [m for m in model.transcript.messages_sent() if m.get("role") not in ("system", "developer")]
        used = count_message_tokens(sent)
        assert used <= budget, (
            f"With budget={budget}, the thread sent to the model on the long_thread ticket took {used} tokens.")
    chosen = {name: INTENTS[name] for name in ("track_shipment", "done")}
    model = FakeModel.scripted(Reply.tool_call("track_shipment", '{"order_id": 1077}'))
    with _world(model) as db:
        intent = _call("determine_next_step(..., intents={'track_shipment': ..., 'done': ...})", determine_next_step,
                       thread_for(SCENARIOS["where_is_my_order"].ticket), system_prompt(db.policy), [], intents=chosen)
    offered = sorted(model.transcript.tools_offered())
    assert offered == ["done", "track_shipment"], (
        f"Called with intents={{'track_shipment': ..., 'done': ...}}, the model was offered {offered}: offer the "
        "schemas of the intents passed in, so a later agent can offer other choices.")
    assert intent.isa(chosen["track_shipment"]), (
        f"With those intents, the model's track_shipment call came back as {intent!r}; parse it with `intents`.")


# --- Exercise 4.2: execute ---------------------------------------------------------------------

def _execute(execute: Remote, intent: Remote, scenario: str) -> Remote:
    return _call(f"execute({intent!r})", execute, intent, SCENARIOS[scenario].ticket)


@hidden.test("each_intent_reaches_its_tool")
def each_intent_reaches_its_tool(execute, INTENTS):
    """Each intent runs its own tool: the result comes back under the tool's name, and writes land in the shop."""
    def result_of(event: Remote, name: str, intent: Remote) -> dict[str, Any]:
        assert _kind(event) == "tool_result", f"execute({intent!r}) returned {event!r}; expected a ToolResult."
        got = _value(event, "name")
        assert got == name, f"execute({intent!r}) returned a result named {got!r}; the model knows the tool as {name!r}."
        result = _value(event, "result")
        try:
            return json.loads(result)
        except (TypeError, ValueError):
            raise AssertionError(f"The result of execute({intent!r}) is not the tool's JSON: {str(result)[:80]!r}") from None

    reads = [("get_order", "damaged_item", "order_id", 1042), ("check_refund_policy", "damaged_item", "eligible", True),
             ("track_shipment", "where_is_my_order", "order_id", 1077)]
    for name, scenario, key, value in reads:
        with _world() as db:
            intent = INTENTS[name](**_SAMPLES[name])
            data = result_of(_execute(execute, intent, scenario), name, intent)
            assert data.get(key) == value, f"execute({intent!r}) returned {data!r}, which is not what {name} says."

    damaged = SCENARIOS["damaged_item"]
    with _world() as db:
        intent = INTENTS["issue_refund"](**_SAMPLES["issue_refund"])
        result_of(_execute(execute, intent, "damaged_item"), "issue_refund", intent)
        assert refunded_amount(db, damaged) == 18.5, (
            f"After execute({intent!r}), the shop shows ${refunded_amount(db, damaged):.2f} refunded to Maya.")

    moving = SCENARIOS["change_address"]
    with _world() as db:
        intent = INTENTS["update_address"](**_SAMPLES["update_address"])
        result_of(_execute(execute, intent, "change_address"), "update_address", intent)
        address = db.conn.execute("SELECT address FROM customers WHERE email = ?", (moving.ticket.customer_email,)).fetchone()[0]
        assert address == _SAMPLES["update_address"]["address"], (
            f"After execute({intent!r}) for Luis's ticket, his address in the shop is {address!r}.")

    waiting = SCENARIOS["where_is_my_order"]
    with _world() as db:
        intent = INTENTS["send_message"](**_SAMPLES["send_message"])
        result_of(_execute(execute, intent, "where_is_my_order"), "send_message", intent)
        rows = db.conn.execute("SELECT m.body FROM messages m JOIN customers c ON c.id = m.customer_id WHERE c.email = ?",
                               (waiting.ticket.customer_email,)).fetchall()
        assert [r[0] for r in rows] == [_SAMPLES["send_message"]["body"]], (
            f"After execute({intent!r}) for Aisha's ticket, the messages she was sent are {[r[0] for r in rows]!r}.")


@hidden.test("done_becomes_finished")
def done_becomes_finished(execute, INTENTS):
    """Done runs no tool: it becomes a Finished event carrying its summary, and the shop is untouched."""
    for summary in ["Refunded the broken mug.", "Told Tom his refund window has closed."]:
        intent = INTENTS["done"](summary=summary)
        with _world() as db:
            before = _snapshot(db)
            event = _execute(execute, intent, "damaged_item")
            assert _snapshot(db) == before, f"execute({intent!r}) changed the shop database."
        assert _kind(event) == "finished", f"execute({intent!r}) returned {event!r}; expected a Finished event."
        got = _value(event, "summary")
        assert got == summary, f"execute({intent!r}) returned a Finished whose summary is {got!r}."


@hidden.test("shop_refusals_become_error_events")
def shop_refusals_become_error_events(execute, INTENTS, learner):
    """When the shop says no, execute returns a ToolFailed with the shop's own message instead of raising."""
    cases = [
        ("issue_refund", {"order_id": 1013, "amount": 64.0, "reason": "damaged"}, "out_of_window", None),
        ("issue_refund", {"order_id": 1042, "amount": 5000.0, "reason": "damaged"}, "damaged_item", None),
        ("get_order", {"order_id": 1603}, "unknown_order", None),
        ("update_address", {"address": "x"}, "change_address", None),
        ("issue_refund", {"order_id": 1042, "amount": 18.5, "reason": "damaged"}, "damaged_item", PaymentProviderDown()),
    ]
    runs = {"issue_refund": lambda a, t: shop_tools.issue_refund(a["order_id"], a["amount"], a["reason"]),
            "get_order": lambda a, t: shop_tools.get_order(a["order_id"]),
            "update_address": lambda a, t: shop_tools.update_address(t.customer_email, a["address"])}
    for name, arguments, scenario, fault in cases:
        ticket = SCENARIOS[scenario].ticket
        with _world() as db:  # what the shop itself says
            if fault is not None:
                db.fail_next(name, fault)
            try:
                runs[name](arguments, ticket)
            except ShopError as error:
                message = str(error)
            else:  # pragma: no cover - the fixtures guarantee a refusal
                raise RuntimeError(f"the shop accepted {name}({arguments})")
        intent = INTENTS[name](**arguments)
        with _world() as db:
            if fault is not None:
                db.fail_next(name, fault)
            before = _snapshot(db)
            event = _execute(execute, intent, scenario)
            assert _snapshot(db) == before, f"execute({intent!r}) was refused by the shop but the database changed."
        assert _kind(event) == "tool_error", f"The shop refuses {intent!r}, but execute returned {event!r}; expected a ToolFailed."
        got = _value(event, "name")
        assert got == name, f"The ToolFailed for {intent!r} is named {got!r}; the model knows the tool as {name!r}."
        error_text = _value(event, "error")
        assert isinstance(error_text, str) and message in error_text, (
            f"The ToolFailed for {intent!r} says {error_text!r}; the model should read the shop's own explanation.")
    intent = INTENTS["get_order"](order_id=1042)
    with _world() as db:
        db.fail_next("get_order", ConfigError("the shop's settings could not be read"))
        try:
            event = execute(intent, SCENARIOS["damaged_item"].ticket)
        except LearnerNotImplemented:
            raise
        except LearnerError:
            pass
        else:
            raise AssertionError(
                f"execute({intent!r}) met an error that is not a refusal by the shop (a ConfigError) and returned "
                f"{event!r}: catch ShopError and ToolCallError only, so that a bug reaches you instead of the model.")


@hidden.test("unknown_intent_becomes_error_event")
def unknown_intent_becomes_error_event(execute, ToolInput, learner):
    """An intent that no tool runs becomes a ToolFailed event, not an exception, and nothing happens in the shop."""
    RefundEverything = learner.subclass(ToolInput, "RefundEverything", None, {"order_id": {"type": "int"}})
    CloseAccount = learner.subclass(ToolInput, "CloseAccount", None, {"reason": {"type": "str"}})

    for intent in [RefundEverything(order_id=1042), CloseAccount(reason="customer asked")]:
        with _world() as db:
            before = _snapshot(db)
            event = _execute(execute, intent, "damaged_item")
            assert _snapshot(db) == before, f"execute({intent!r}) changed the shop database."
        assert _kind(event) == "tool_error", (
            f"execute({intent!r}), an intent no tool runs, returned {event!r}; expected a ToolFailed event.")
        assert str(_get(event, "error", "")).strip(), f"The ToolFailed for {intent!r} has an empty error message."


@hidden.test("dispatch_covers_every_intent")
def dispatch_covers_every_intent(execute, INTENTS, Thread):
    """Every intent in INTENTS has its case: none falls through to an error, and each returns an event a thread accepts."""
    names = _intent_names(INTENTS)
    missing = [name for name in names if name not in _SAMPLES]
    assert not missing, f"INTENTS has {', '.join(missing)}, which this lesson does not know: keep INTENTS as given."
    for name in names:
        intent = INTENTS[name](**_SAMPLES[name])
        ticket = SCENARIOS["change_address" if name == "update_address" else "damaged_item"].ticket
        with _world():
            event = _call(f"execute({intent!r})", execute, intent, ticket)
        expected = "finished" if name == "done" else "tool_result"
        assert _kind(event) == expected, (
            f"execute({intent!r}) returned {event!r}; expected a {'Finished' if name == 'done' else 'ToolResult'}.")
        try:
            Thread(ticket=ticket, events=[event])
        except LearnerError:
            raise AssertionError(f"execute({intent!r}) returned {event!r}, which is not an Event a Thread can hold.") from None


# --- Exercise 4.3: run_agent -------------------------------------------------------------------

_SCENARIO_RUNS = ["damaged_item", "out_of_window", "where_is_my_order", "change_address", "unknown_order", "long_thread"]


@hidden.test("agent_handles_the_scenarios")
def agent_handles_the_scenarios(run_agent, rng):
    """With the shop brain, the agent reaches each scenario's expected outcome and stops once, when done."""
    for name, outcome in runs(_SCENARIO_RUNS, rng, ("refunded", "refused", "ask_customer", "answered", "address_updated")):
        model = FakeModel(shop_brain, context_window=3000)
        with _world(model) as db:
            scenario = scenario_in(db, rng, name, outcome)
            before = Records.of(db)
            thread = _call(f"run_agent on the {name} ticket", run_agent, scenario.ticket)
            called = [tool for tool, _ in model.transcript.tool_calls()]
            got = outcome_of(db, scenario, called=called)
            effects_follow_calls(db, model.transcript.tool_calls(), before, where=f"On the {name} ticket")
            expected = scenario.expected
            assert got == expected.outcome, f"On the {name} ticket the agent's outcome was {got!r}, not {expected.outcome!r}."
            if expected.refund_amount is not None and expected.outcome == "refunded":
                amount = refunded_amount(db, scenario)
                assert amount == expected.refund_amount, f"On the {name} ticket the agent refunded ${amount:.2f}."
            if expected.address is not None:
                address = db.conn.execute("SELECT address FROM customers WHERE email = ?",
                                          (scenario.ticket.customer_email,)).fetchone()[0]
                assert address == expected.address, f"On the {name} ticket the address became {address!r}."
        kinds = [_kind(event) for event in _events(thread)]
        assert kinds and kinds[-1] == "finished", f"On the {name} ticket the thread does not end with a Finished event."
        assert kinds.count("finished") == 1, (
            f"On the {name} ticket the thread has {kinds.count('finished')} Finished events: the loop should stop at the first.")


class _Decisions:
    """A scripted stand-in for determine_next_step: returns `intents` in order (a RaiseInWorker is raised instead),
    then `then` for ever; counts the calls."""

    def __init__(self, intents: list[Remote | RaiseInWorker], then: Remote | None = None):
        self.intents, self.then, self.calls = intents, then, 0

    def __call__(self, thread: Remote, *args: Remote, **kwargs: Remote) -> Remote:
        self.calls += 1
        if self.calls <= len(self.intents):
            step = self.intents[self.calls - 1]
            if isinstance(step, RaiseInWorker):
                raise step
            return step
        assert self.then is not None, "the stand-in for determine_next_step has no more steps"
        return self.then


def _executor(INTENTS: Remote, ToolResult: Remote, Finished: Remote, ToolFailed: Remote | None = None):
    """A stand-in for execute: Done -> Finished, any other intent -> a ToolResult (or a ToolFailed) under its name."""
    names = {INTENTS[name].classes[0]: name for name in _intent_names(INTENTS)}

    def execute(intent: Remote, ticket: Remote) -> Remote:
        name = names.get(intent.type, intent.type)
        if name == "done":
            return Finished(summary=intent.value["summary"])
        if ToolFailed is not None:
            return ToolFailed(name=name, error="No order 1603.")
        return ToolResult(name=name, result=json.dumps({"tool": name, "ok": True}))

    return execute


@hidden.test("max_steps_bounds_the_loop")
def max_steps_bounds_the_loop(run_agent, INTENTS, ToolResult, ToolFailed, Finished, learner):
    """A model that never finishes is asked exactly max_steps times, and run_agent returns its thread."""
    for steps in (2, 5, None):
        stubborn = _Decisions([], then=INTENTS["get_order"](order_id=1603))
        kwargs = {} if steps is None else {"max_steps": steps}
        with _world(FakeModel.scripted()), learner.stand_ins(
                determine_next_step=stubborn, execute=_executor(INTENTS, ToolResult, Finished, ToolFailed)):
            thread = _call(f"run_agent(ticket{'' if steps is None else f', max_steps={steps}'})", run_agent,
                           SCENARIOS["damaged_item"].ticket, **kwargs)
        want = 12 if steps is None else steps
        if stubborn.calls < want and _kind((_events(thread) or [None])[-1]) == "tool_error":
            raise AssertionError(
                f"run_agent stopped after {_times(stubborn.calls)}, at a ToolFailed: the model reads the error on its "
                "next step and can try something else. Stop only at a Finished, or after max_steps.")
        assert stubborn.calls == want, (
            f"With a model that never says done and {'the default max_steps' if steps is None else f'max_steps={steps}'}, "
            f"run_agent asked the model {_times(stubborn.calls)}, not {want}.")
        assert _has(thread, "events"), f"run_agent returned {thread!r} when it ran out of steps; it should return the thread."


@hidden.test("malformed_call_does_not_stop_the_agent")
def malformed_call_does_not_stop_the_agent(run_agent, ToolCallError, INTENTS, ToolResult, Finished, learner):
    """A malformed tool call becomes an error event the model reads on the next step; the run goes on and refunds nothing."""
    damaged = SCENARIOS["damaged_item"]
    problems = ["Unknown tool 'refund_everything'. Available tools: get_order, check_refund_policy, issue_refund.",
                "issue_refund: the arguments are not valid JSON."]
    decide = _Decisions([*(RaiseInWorker(ToolCallError, problem) for problem in problems),
                         INTENTS["done"](summary="Sorry, I could not process that.")],
                        then=INTENTS["get_order"](order_id=1042))
    with _world(FakeModel.scripted()) as db, learner.stand_ins(determine_next_step=decide,
                                                               execute=_executor(INTENTS, ToolResult, Finished)):
        thread = _call("run_agent when the model's tool calls are malformed", run_agent, damaged.ticket)
        assert refunded_amount(db, damaged) == 0, "A malformed tool call led to a refund."
    assert decide.calls <= 3, (
        f"After two malformed tool calls the model answered in text (a Done), and run_agent asked it again: "
        f"{_times(decide.calls)} in all. Stop at the first Finished.")
    events = list(_attr(thread, "events"))
    kinds = [_kind(event) for event in events]
    assert decide.calls == 3 or not kinds or kinds[-1] != "tool_error", (
        f"After a malformed tool call run_agent stopped ({_times(decide.calls)} asked): record the ToolFailed and go on "
        "to the next step, so that the model can try again.")
    assert decide.calls == 3, (
        f"With two malformed tool calls and then a text reply, the model was asked {_times(decide.calls)} in all, not 3.")
    assert kinds.count("tool_error") >= 2, f"The thread records {kinds.count('tool_error')} error events for 2 malformed calls."
    assert kinds[-1] == "finished", "After the malformed calls, the thread does not end with the model's Finished."
    errors = " ".join(str(_value(event, "error")) for event, kind in zip(events, kinds, strict=True) if kind == "tool_error")
    assert "refund_everything" in errors, "The model was not shown its failed call on the next step."


_STEPS = [("get_order", {"order_id": 1042}), ("check_refund_policy", {"order_id": 1042, "amount": 18.5}),
          ("issue_refund", {"order_id": 1042, "amount": 18.5, "reason": "damaged"}),
          ("send_message", {"body": "Your refund of $18.50 is on its way."}), ("done", {"summary": "Refunded the mug."})]


@hidden.test("each_step_is_recorded")
def each_step_is_recorded(run_agent, INTENTS, ToolResult, Finished, learner):
    """Every intent is recorded as a ToolRequested, in the model's order, before the event that executing it produced."""
    decide = _Decisions([INTENTS[name](**arguments) for name, arguments in _STEPS],
                        then=INTENTS["get_order"](order_id=1042))
    with _world(FakeModel.scripted()), learner.stand_ins(determine_next_step=decide,
                                                         execute=_executor(INTENTS, ToolResult, Finished)):
        thread = _call("run_agent on the damaged_item ticket", run_agent, SCENARIOS["damaged_item"].ticket)
    assert decide.calls <= len(_STEPS), (
        f"After the model decided done, run_agent asked for the next step {_times(decide.calls - len(_STEPS))} more: "
        "stop at the first Finished.")
    events = list(_attr(thread, "events"))
    kinds = [_kind(event) for event in events]
    names = [_value(event, "name") if kind in ("tool_call", "tool_result", "tool_error") else None
             for kind, event in zip(kinds, events, strict=False)]
    requested = [name for kind, name in zip(kinds, names, strict=False) if kind == "tool_call" and name != "done"]
    chosen = [name for name, _ in _STEPS if name != "done"]
    assert requested == chosen, f"The thread records the requests {requested}, but the model asked for {chosen}."
    for index, kind in enumerate(kinds):
        if kind in ("tool_result", "tool_error"):
            previous = index - 1 if index else None
            assert previous is not None and kinds[previous] == "tool_call" and names[previous] == names[index], (
                f"The {names[index]} result is not directly preceded by the request for it.")
    refund = next((json.loads(_value(event, "arguments")) for kind, name, event in zip(kinds, names, events, strict=False)
                   if kind == "tool_call" and name == "issue_refund"), None)
    assert refund is not None and refund.get("amount") == 18.5, (
        f"The recorded issue_refund request carries {refund!r}; it should carry the intent's arguments.")
    assert kinds and kinds[-1] == "finished", "The thread does not end with the Finished that the Done became."

__all__ = ["hidden"]

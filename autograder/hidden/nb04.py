"""Hidden tests of lesson 04 (tools are structured outputs). Instructor side only.

Each test is registered on `hidden` under the grade id of its graded cell and takes the learner's
definitions as parameters (parameter names = the names the notebook defines), each one a `Remote`
handle on the learner's object (autograder.boundary.remote); `learner` is the `Learner` itself. So
`hidden("deciding_changes_nothing", globals())` runs a test in the learner's kernel, and the
trusted grader runs it here against the notebook in its sandboxed worker.

Tests drive the fake model (scripted replies, the shop brain) against fresh seeded shops, both kept
in this process, and judge from the shop database, the transcript and the plain data that learner
calls return (`.value`, attributes read one round trip at a time), never from source. Their inputs
are drawn from the grading's seed (`rng`): each runs on tickets drawn into its shop
(`course.shop.draw_scenario`), with drawn orders, amounts, addresses, wording, tool and class
names, budgets and max_steps, and the shop brain also meets the named scenarios. Intents the
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
import random
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from autograder.boundary.remote import LearnerError, LearnerNotImplemented, RaiseInWorker, Remote
from autograder.hidden import HiddenTests
from autograder.hidden.calls import attr as _attr
from autograder.hidden.calls import call as _call
from autograder.hidden.calls import value as _value
from autograder.hidden.drawn import Records, effects_follow_calls, runs, scenario_in, words
from course.brain import shop_brain
from course.llm import FakeModel, Reply, count_message_tokens, use_model
from course.llm.settings import ConfigError
from course.shop import (
    DEFAULT_TODAY,
    DRAWN_OUTCOMES,
    SCENARIOS,
    HistoryMessage,
    Outcome,
    PaymentProviderDown,
    Scenario,
    Shop,
    ShopError,
    draw_scenario,
    outcome_of,
    refunded_amount,
    use_shop,
)
from course.shop import tools as shop_tools
from course.shop.drawn import draw_address

hidden = HiddenTests("04")

_REASONS = ("damaged", "not_received", "wrong_item", "unwanted", "other")
_MISSING = object()


def _samples(rng: random.Random, scenario: Scenario | None = None) -> dict[str, dict[str, Any]]:
    """One valid example of every intent, drawn: on `scenario`'s order (and its refund) when given, so the shop
    accepts each, else on drawn orders."""
    order = scenario.order_id if scenario is not None else rng.randrange(2000, 10_000)
    amount = (scenario.expected.refund_amount if scenario is not None else None) or _money(rng)
    return {
        "get_order": {"order_id": order},
        "check_refund_policy": {"order_id": order, "amount": amount},
        "issue_refund": {"order_id": order, "amount": amount, "reason": rng.choice(_REASONS)},
        "track_shipment": {"order_id": order},
        "update_address": {"address": draw_address(rng)},
        "send_message": {"body": f"Your refund of ${amount:.2f} is on its way. {_sentence(rng)}"},
        "done": {"summary": f"Refunded ${amount:.2f} on order {order}. {_sentence(rng)}"},
    }


def _money(rng: random.Random, low: int = 5, high: int = 90) -> float:
    return rng.randrange(low * 100, high * 100) / 100


def _sentence(rng: random.Random) -> str:
    return f"The {words(rng)} and the {words(rng)} are {rng.choice(('sorted', 'on their way', 'noted', 'done'))}."


def _on(scenario: Scenario) -> str:
    """Where something happened, for a message: the named scenario's ticket, or the drawn ticket."""
    named = SCENARIOS.get(scenario.name) == scenario
    return f"the {scenario.name} ticket" if named else f"a drawn ticket (#{scenario.ticket.ticket_id})"


def _with_history(db: Shop, rng: random.Random, outcome: Outcome, n: int) -> Scenario:
    """A ticket drawn into `db` after `n` earlier messages of drawn words: a long thread when `n` is large."""
    scenario = draw_scenario(db, rng, outcome)
    day = DEFAULT_TODAY - timedelta(days=n + 10)
    history = []
    for i in range(n):
        day += timedelta(days=rng.randint(0, 1))
        body = " ".join(words(rng, 3).replace("_", " ") for _ in range(rng.randint(5, 20))).capitalize() + "."
        history.append(HistoryMessage(sender="customer" if i % 2 == 0 else "agent", sent_on=day, body=body))
    return scenario.model_copy(update={"ticket": scenario.ticket.model_copy(update={"history": tuple(history)})})


# --- helpers ----------------------------------------------------------------------------------

@contextmanager
def _world(model: FakeModel | None = None) -> Iterator[Shop]:
    """A fresh seeded shop as the current shop, and `model` (default: the shop brain) as the model."""
    with Shop.create() as db, use_shop(db), use_model(model or FakeModel(shop_brain)):
        yield db


def _snapshot(db: Shop) -> bytes:
    """The shop's file as it is: equal snapshots mean nothing was committed between them (a call's own open
    transaction is rolled back when it ends). Its rows are read only to say what changed (`_changed_tables`)."""
    return db.path.read_bytes()


def _rows(image: bytes) -> list[str]:
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(image)
        return list(conn.iterdump())
    finally:
        conn.close()


def _changed_tables(before: bytes, after: bytes) -> str:
    lines = set(_rows(before)) ^ set(_rows(after))
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
    """`event.kind`: read from the event's value when it has one there (the lesson's events are pydantic models
    with a `kind` field, so a thread's events cost no round trip each), else asked for."""
    dumped = event.value if event is not None else None
    if isinstance(dumped, dict) and isinstance(dumped.get("kind"), str):
        return dumped["kind"]
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


def _decide(determine_next_step: Remote, thread_for: Remote, system_prompt: Remote, db: Shop, scenario: Scenario,
            **kwargs: Any) -> Remote:
    thread = thread_for(scenario.ticket)
    return _call(f"determine_next_step on {_on(scenario)}", determine_next_step,
                 thread, system_prompt(db.policy), [], **kwargs)


@contextmanager
def _drawn_world(rng: random.Random, outcome: Outcome, reply: Any) -> Iterator[tuple[Shop, Scenario, FakeModel]]:
    """A fresh shop with a ticket drawn into it, and a scripted model with one reply: `reply`, or what
    `reply(scenario)` makes of the drawn ticket."""
    with Shop.create() as db, use_shop(db):
        scenario = draw_scenario(db, rng, outcome)
        model = FakeModel.scripted(reply(scenario) if callable(reply) else reply)
        with use_model(model):
            yield db, scenario, model


# --- Exercise 4.1: determine_next_step ---------------------------------------------------------

@hidden.test("deciding_changes_nothing")
def deciding_changes_nothing(determine_next_step, thread_for, system_prompt, rng):
    """Whatever the model asks for, deciding leaves the shop database and the thread exactly as they were."""
    asks: list[tuple[Outcome, Any]] = [
        ("refunded", lambda s: Reply.tool_call("issue_refund", {"order_id": s.order_id, "amount": s.expected.refund_amount,
                                                                "reason": rng.choice(_REASONS)})),
        ("approval_required", lambda s: Reply.tool_call("issue_refund", {
            "order_id": s.order_id, "amount": s.expected.refund_amount, "reason": rng.choice(_REASONS)})),
        ("address_updated", lambda s: Reply.tool_call("update_address", {"address": s.expected.address})),
        ("answered", lambda s: Reply.tool_call("send_message", {"body": _sentence(rng)})),
        ("refused", lambda s: Reply.text(f"I have refused the refund on order {s.order_id}.")),
    ]
    rng.shuffle(asks)
    for outcome, reply in asks:
        with _drawn_world(rng, outcome, reply) as (db, scenario, model):
            _decides_without_acting(determine_next_step, thread_for, system_prompt, db, scenario, model)
    for name, outcome in runs(list(SCENARIOS), rng, DRAWN_OUTCOMES):  # the named tickets, then one of each drawn
        model = FakeModel(shop_brain, context_window=3000)
        with _world(model) as db:
            scenario = scenario_in(db, rng, name, outcome)
            _decides_without_acting(determine_next_step, thread_for, system_prompt, db, scenario, model)


def _decides_without_acting(determine_next_step: Remote, thread_for: Remote, system_prompt: Remote, db: Shop,
                            scenario: Scenario, model: FakeModel) -> None:
    thread = thread_for(scenario.ticket)
    events = thread.model_dump_json().value
    before = _snapshot(db)
    intent = _call(f"determine_next_step on {_on(scenario)}", determine_next_step, thread, system_prompt(db.policy), [])
    after = _snapshot(db)
    assert before == after, (
        f"On {_on(scenario)}, determine_next_step decided {intent!r} and the shop database changed "
        f"({_changed_tables(before, after)}). Deciding must not act: leave running tools to execute.")
    assert thread.model_dump_json().value == events, (
        f"On {_on(scenario)}, determine_next_step changed the thread it was given. It should only "
        "read the thread; recording what happens is the loop's job.")
    assert model.calls >= 1, (
        f"On {_on(scenario)}, determine_next_step returned {intent!r} without asking the model: the next step "
        "is the model's decision.")


@hidden.test("next_step_is_a_typed_intent")
def next_step_is_a_typed_intent(determine_next_step, thread_for, system_prompt, INTENTS, rng):
    """A tool call of every kind, including done, comes back as an instance of its intent with the model's arguments."""
    samples = _samples(rng)
    names = _intent_names(INTENTS)
    rng.shuffle(names)
    for name in names:
        model = INTENTS[name]
        arguments = samples.get(name)
        if arguments is None:
            continue
        with _drawn_world(rng, rng.choice(("refunded", "answered")), Reply.tool_call(name, arguments)) \
                as (db, scenario, _model):
            intent = _decide(determine_next_step, thread_for, system_prompt, db, scenario)
        assert _isinstance(intent, model), (
            f"When the model calls {name}({json.dumps(arguments)}), determine_next_step returned {intent!r}; "
            f"expected a {_class_name(model)}.")
        for field, value in arguments.items():
            got = _get(intent, field)
            assert got == value, (
                f"When the model calls {name}({json.dumps(arguments)}), the intent's {field} is {got!r}, not {value!r}.")
    with _drawn_world(rng, "answered", lambda s: Reply.calls(("track_shipment", {"order_id": s.order_id}),
                                                             ("send_message", {"body": _sentence(rng)}))) \
            as (db, scenario, _model):
        intent = _decide(determine_next_step, thread_for, system_prompt, db, scenario)
    assert _isinstance(intent, INTENTS["track_shipment"]), (
        f"When the model calls track_shipment and then send_message in one reply, determine_next_step returned "
        f"{intent!r}; one step at a time: return the first call's intent.")
    words_too = f"Let me look into the {words(rng)} for you."
    with _drawn_world(rng, "answered", lambda s: Reply.tool_call("track_shipment", {"order_id": s.order_id},
                                                                 content=words_too)) as (db, scenario, _model):
        intent = _decide(determine_next_step, thread_for, system_prompt, db, scenario)
    assert _isinstance(intent, INTENTS["track_shipment"]), (
        f"When the model writes {words_too!r} and calls track_shipment in the same reply, determine_next_step "
        f"returned {intent!r}: the call is the next step.")


@hidden.test("text_reply_means_done")
def text_reply_means_done(determine_next_step, thread_for, system_prompt, INTENTS, rng):
    """A reply in plain text, with no tool call, means the model is done: a Done intent carrying the text."""
    done = INTENTS["done"]
    for text in [f"I have sent {words(rng).capitalize()} the refund.", _sentence(rng)]:
        with _drawn_world(rng, rng.choice(("refunded", "refused")), Reply.text(text)) as (db, scenario, _m):
            intent = _decide(determine_next_step, thread_for, system_prompt, db, scenario)
        assert _isinstance(intent, done), f"A text reply ({text!r}) came back as {intent!r}, not as a Done intent."
        summary = _value(intent, "summary")
        assert summary == text, f"A text reply ({text!r}) became a Done whose summary is {summary!r}."


@hidden.test("malformed_call_raises_tool_call_error")
def malformed_call_raises_tool_call_error(determine_next_step, thread_for, system_prompt, ToolCallError, rng):
    """An unknown tool, JSON that does not parse or arguments that break the schema raise ToolCallError and run nothing;
    a model endpoint that fails raises too, and never passes for a Done."""
    bad = [
        ("a tool the shop does not have", lambda s: Reply.tool_call(f"refund_{words(rng)}", {"order_id": s.order_id})),
        ("arguments that are not valid JSON", lambda s: Reply.tool_call("issue_refund",
                                                                        f'{{"order_id": {s.order_id}, "amount": ')),
        ("a missing argument", lambda s: Reply.tool_call("issue_refund", {"order_id": s.order_id,
                                                                          "amount": s.expected.refund_amount})),
        ("an argument the tool does not take", lambda s: Reply.tool_call("get_order", {"order_id": s.order_id,
                                                                                       words(rng): True})),
        ("a negative amount", lambda s: Reply.tool_call("issue_refund", {
            "order_id": s.order_id, "amount": -(s.expected.refund_amount or 1.0), "reason": rng.choice(_REASONS)})),
        ("done without its summary", lambda s: Reply.tool_call("done", {})),
    ]
    rng.shuffle(bad)
    for what, reply in bad:
        with _drawn_world(rng, "refunded", reply) as (db, scenario, _model):
            before = _snapshot(db)
            thread = thread_for(scenario.ticket)
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
    with Shop.create() as db, use_shop(db), use_model(FakeModel.scripted(context_window=rng.randint(5, 40))):
        scenario = draw_scenario(db, rng, rng.choice(("refunded", "answered")))
        try:
            got = determine_next_step(thread_for(scenario.ticket), system_prompt(db.policy), [])
        except LearnerNotImplemented:
            raise
        except LearnerError:
            return
    raise AssertionError(f"When the model endpoint refused the request, determine_next_step returned {got!r}: let "
                         "its error reach the caller, since a Done means the model decided it was finished.")


@hidden.test("next_step_asks_with_every_intent")
def next_step_asks_with_every_intent(determine_next_step, thread_for, system_prompt, INTENTS, rng):
    """One model call per decision, under the given prompt, offering every intent, with the thread within budget."""
    model = FakeModel(shop_brain)
    with _world(model) as db:
        scenario = draw_scenario(db, rng, rng.choice(("refunded", "answered", "address_updated")))
        prompt = system_prompt(db.policy)
        thread = thread_for(scenario.ticket)
        log = _empty_log(thread)
        _call(f"determine_next_step on {_on(scenario)}", determine_next_step, thread, prompt, log)
    assert model.calls == 1, f"Deciding one step called the model {_times(model.calls)}; it should call it once."
    offered = model.transcript.tools_offered()
    missing = [name for name in _intent_names(INTENTS) if name not in offered]
    assert not missing, f"The model was not offered {', '.join(missing)}, so it can never choose it."
    assert model.transcript.last_request.system_prompt == _value(prompt, "text"), (
        "The model's system prompt was not the prompt passed to determine_next_step.")
    logged = len(list(log))
    assert logged == 1, f"After one decision the log holds {logged} model calls; it should hold one."
    for budget in (rng.randrange(500, 800), rng.randrange(1_000, 1_400)):
        model = FakeModel(shop_brain)
        with _world(model) as db:
            scenario = _with_history(db, rng, "refunded", rng.randint(30, 45))
            _call(f"determine_next_step with budget={budget}", determine_next_step,
                  thread_for(scenario.ticket), system_prompt(db.policy), [], budget=budget)
        sent = [m for m in model.transcript.messages_sent() if m.get("role") not in ("system", "developer")]
        used = count_message_tokens(sent)
        assert used <= budget, (
            f"With budget={budget}, the thread sent to the model on a long drawn thread took {used} tokens.")
    chosen = {name: INTENTS[name] for name in ("track_shipment", "done")}
    with _drawn_world(rng, "answered", lambda s: Reply.tool_call("track_shipment", json.dumps({"order_id": s.order_id}))) \
            as (db, scenario, model):
        intent = _call("determine_next_step(..., intents={'track_shipment': ..., 'done': ...})", determine_next_step,
                       thread_for(scenario.ticket), system_prompt(db.policy), [], intents=chosen)
    offered = sorted(model.transcript.tools_offered())
    assert offered == ["done", "track_shipment"], (
        f"Called with intents={{'track_shipment': ..., 'done': ...}}, the model was offered {offered}: offer the "
        "schemas of the intents passed in, so a later agent can offer other choices.")
    assert intent.isa(chosen["track_shipment"]), (
        f"With those intents, the model's track_shipment call came back as {intent!r}; parse it with `intents`.")
    alias = f"where_is_{words(rng)}"
    renamed = {alias: INTENTS["track_shipment"], "done": INTENTS["done"]}
    with _drawn_world(rng, "answered", lambda s: Reply.tool_call(alias, {"order_id": s.order_id})) \
            as (db, scenario, model):
        intent = _call(f"determine_next_step(..., intents={{{alias!r}: TrackShipment, 'done': Done}})",
                       determine_next_step, thread_for(scenario.ticket), system_prompt(db.policy), [], intents=renamed)
    assert _isinstance(intent, INTENTS["track_shipment"]), (
        f"Called with intents={{{alias!r}: TrackShipment, 'done': Done}}, the model's {alias} call came back as "
        f"{intent!r}: parse with the `intents` given.")


# --- Exercise 4.2: execute ---------------------------------------------------------------------

def _execute(execute: Remote, intent: Remote, scenario: Scenario) -> Remote:
    return _call(f"execute({intent!r})", execute, intent, scenario.ticket)


def _first_name(scenario: Scenario) -> str:
    return scenario.ticket.customer_name.split()[0]


@hidden.test("each_intent_reaches_its_tool")
def each_intent_reaches_its_tool(execute, INTENTS, rng):
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

    reads: list[tuple[str, Outcome, str, Any]] = [("get_order", "refunded", "order_id", None),
                                                  ("check_refund_policy", "refunded", "eligible", True),
                                                  ("track_shipment", "answered", "order_id", None)]
    rng.shuffle(reads)
    for name, outcome, key, value in reads:
        with _world() as db:
            scenario = draw_scenario(db, rng, outcome)
            intent = INTENTS[name](**_samples(rng, scenario)[name])
            data = result_of(_execute(execute, intent, scenario), name, intent)
            expected = scenario.order_id if value is None else value
            assert data.get(key) == expected, f"execute({intent!r}) returned {data!r}, which is not what {name} says."

    with _world() as db:
        damaged = draw_scenario(db, rng, "refunded")
        intent = INTENTS["issue_refund"](**_samples(rng, damaged)["issue_refund"])
        result_of(_execute(execute, intent, damaged), "issue_refund", intent)
        refunded = refunded_amount(db, damaged)
        assert refunded == damaged.expected.refund_amount, (
            f"After execute({intent!r}), the shop shows ${refunded:.2f} refunded to {_first_name(damaged)}.")

    with _world() as db:
        moving = draw_scenario(db, rng, "address_updated")
        arguments = _samples(rng, moving)["update_address"]
        intent = INTENTS["update_address"](**arguments)
        result_of(_execute(execute, intent, moving), "update_address", intent)
        address = db.conn.execute("SELECT address FROM customers WHERE email = ?", (moving.ticket.customer_email,)).fetchone()[0]
        assert address == arguments["address"], (
            f"After execute({intent!r}) for {_first_name(moving)}'s ticket, their address in the shop is {address!r}.")

    with _world() as db:
        waiting = draw_scenario(db, rng, "answered")
        arguments = _samples(rng, waiting)["send_message"]
        intent = INTENTS["send_message"](**arguments)
        result_of(_execute(execute, intent, waiting), "send_message", intent)
        rows = db.conn.execute("SELECT m.body FROM messages m JOIN customers c ON c.id = m.customer_id WHERE c.email = ?",
                               (waiting.ticket.customer_email,)).fetchall()
        assert [r[0] for r in rows] == [arguments["body"]], (
            f"After execute({intent!r}) for {_first_name(waiting)}'s ticket, the messages they were sent are "
            f"{[r[0] for r in rows]!r}.")


@hidden.test("done_becomes_finished")
def done_becomes_finished(execute, INTENTS, rng):
    """Done runs no tool: it becomes a Finished event carrying its summary, and the shop is untouched."""
    for summary in [_samples(rng)["done"]["summary"], f"Told {words(rng).capitalize()} the refund window has closed."]:
        intent = INTENTS["done"](summary=summary)
        with _world() as db:
            scenario = draw_scenario(db, rng, rng.choice(("refunded", "refused", "answered")))
            before = _snapshot(db)
            event = _execute(execute, intent, scenario)
            assert _snapshot(db) == before, f"execute({intent!r}) changed the shop database."
        assert _kind(event) == "finished", f"execute({intent!r}) returned {event!r}; expected a Finished event."
        got = _value(event, "summary")
        assert got == summary, f"execute({intent!r}) returned a Finished whose summary is {got!r}."


def _refusals(rng: random.Random) -> list[tuple[str, Outcome, Any, Any]]:
    """(tool, the outcome of the ticket to draw, its arguments from the drawn scenario, a planned fault): each refused."""
    cases: list[tuple[str, Outcome, Any, Any]] = [
        ("issue_refund", "refused", lambda s: {"order_id": s.order_id, "amount": _money(rng, 1, 10),
                                               "reason": rng.choice(_REASONS)}, None),
        ("issue_refund", "refunded", lambda s: {"order_id": s.order_id, "amount": rng.randrange(2_000, 9_000) + 0.5,
                                                "reason": rng.choice(_REASONS)}, None),
        ("get_order", "ask_customer", lambda s: {"order_id": s.order_id}, None),
        ("update_address", "address_updated", lambda s: {"address": rng.choice(("x", "n/a", "tbd", "?", "home"))}, None),
        ("issue_refund", "refunded", lambda s: {"order_id": s.order_id, "amount": s.expected.refund_amount,
                                                "reason": rng.choice(_REASONS)}, PaymentProviderDown()),
    ]
    rng.shuffle(cases)
    return cases


@hidden.test("shop_refusals_become_error_events")
def shop_refusals_become_error_events(execute, INTENTS, learner, rng):
    """When the shop says no, execute returns a ToolFailed with the shop's own message instead of raising."""
    shop_calls = {"issue_refund": lambda a, t: shop_tools.issue_refund(a["order_id"], a["amount"], a["reason"]),
                  "get_order": lambda a, t: shop_tools.get_order(a["order_id"]),
                  "update_address": lambda a, t: shop_tools.update_address(t.customer_email, a["address"])}
    for name, outcome, make, fault in _refusals(rng):
        drawing = rng.randrange(2**32)  # the same ticket, drawn into two fresh shops
        with _world() as db:  # what the shop itself says
            scenario = draw_scenario(db, random.Random(drawing), outcome)
            arguments = make(scenario)
            if fault is not None:
                db.fail_next(name, fault)
            try:
                shop_calls[name](arguments, scenario.ticket)
            except ShopError as error:
                message = str(error)
            else:  # pragma: no cover - the fixtures guarantee a refusal
                raise RuntimeError(f"the shop accepted {name}({arguments})")
        intent = INTENTS[name](**arguments)
        with _world() as db:
            scenario = draw_scenario(db, random.Random(drawing), outcome)
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
    with _world() as db:
        scenario = draw_scenario(db, rng, "refunded")
        intent = INTENTS["get_order"](order_id=scenario.order_id)
        db.fail_next("get_order", ConfigError("the shop's settings could not be read"))
        try:
            event = execute(intent, scenario.ticket)
        except LearnerNotImplemented:
            raise
        except LearnerError:
            pass
        else:
            raise AssertionError(
                f"execute({intent!r}) met an error that is not a refusal by the shop (a ConfigError) and returned "
                f"{event!r}: catch ShopError and ToolCallError only, so that a bug reaches you instead of the model.")


@hidden.test("unknown_intent_becomes_error_event")
def unknown_intent_becomes_error_event(execute, ToolInput, learner, rng):
    """An intent that no tool runs becomes a ToolFailed event, not an exception, and nothing happens in the shop."""
    verb, noun, field, other = words(rng, 4).split("_")
    RefundEverything = learner.subclass(ToolInput, f"Refund{noun.capitalize()}", None, {f"{field}_id": {"type": "int"}})
    CloseAccount = learner.subclass(ToolInput, f"{verb.capitalize()}Account", None, {other: {"type": "str"}})

    for intent in [RefundEverything(**{f"{field}_id": rng.randrange(2000, 10_000)}),
                   CloseAccount(**{other: f"customer asked about the {words(rng)}"})]:
        with _world() as db:
            scenario = draw_scenario(db, rng, rng.choice(("refunded", "address_updated")))
            before = _snapshot(db)
            event = _execute(execute, intent, scenario)
            assert _snapshot(db) == before, f"execute({intent!r}) changed the shop database."
        assert _kind(event) == "tool_error", (
            f"execute({intent!r}), an intent no tool runs, returned {event!r}; expected a ToolFailed event.")
        assert str(_get(event, "error", "")).strip(), f"The ToolFailed for {intent!r} has an empty error message."


@hidden.test("dispatch_covers_every_intent")
def dispatch_covers_every_intent(execute, INTENTS, Thread, rng):
    """Every intent in INTENTS has its case: none falls through to an error, and each returns an event a thread accepts."""
    names = _intent_names(INTENTS)
    missing = [name for name in names if name not in _samples(random.Random(0))]
    assert not missing, f"INTENTS has {', '.join(missing)}, which this lesson does not know: keep INTENTS as given."
    rng.shuffle(names)
    for name in names:
        with _world() as db:
            scenario = draw_scenario(db, rng, "address_updated" if name == "update_address" else "refunded")
            intent = INTENTS[name](**_samples(rng, scenario)[name])
            event = _call(f"execute({intent!r})", execute, intent, scenario.ticket)
        expected = "finished" if name == "done" else "tool_result"
        assert _kind(event) == expected, (
            f"execute({intent!r}) returned {event!r}; expected a {'Finished' if name == 'done' else 'ToolResult'}.")
        try:
            Thread(ticket=scenario.ticket, events=[event])
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
            where = _on(scenario)
            before = Records.of(db)
            thread = _call(f"run_agent on {where}", run_agent, scenario.ticket)
            called = [tool for tool, _ in model.transcript.tool_calls()]
            got = outcome_of(db, scenario, called=called)
            effects_follow_calls(db, model.transcript.tool_calls(), before, where=f"On {where}")
            expected = scenario.expected
            assert got == expected.outcome, f"On {where} the agent's outcome was {got!r}, not {expected.outcome!r}."
            if expected.refund_amount is not None and expected.outcome == "refunded":
                amount = refunded_amount(db, scenario)
                assert amount == expected.refund_amount, f"On {where} the agent refunded ${amount:.2f}."
            if expected.address is not None:
                address = db.conn.execute("SELECT address FROM customers WHERE email = ?",
                                          (scenario.ticket.customer_email,)).fetchone()[0]
                assert address == expected.address, f"On {where} the address became {address!r}."
        not_offered = [i + 1 for i in range(model.calls) if "done" not in model.transcript.tools_offered(i)]
        assert not not_offered, (
            f"On {where} the model was not offered done at step {not_offered[0]}: the agent decides each step with "
            "determine_next_step, which offers every intent, done included.")
        kinds = [_kind(event) for event in _events(thread)]
        assert kinds and kinds[-1] == "finished", f"On {where} the thread does not end with a Finished event."
        assert kinds.count("finished") == 1, (
            f"On {where} the thread has {kinds.count('finished')} Finished events: the loop should stop at the first.")


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


def _executor(INTENTS: Remote, ToolResult: Remote, Finished: Remote, ToolFailed: Remote | None = None,
              error: str = ""):
    """A stand-in for execute: Done -> Finished, any other intent -> a ToolResult (or a ToolFailed saying `error`)
    under its name."""
    names = {INTENTS[name].classes[0]: name for name in _intent_names(INTENTS)}

    def execute(intent: Remote, ticket: Remote) -> Remote:
        name = names.get(intent.type, intent.type)
        if name == "done":
            return Finished(summary=intent.value["summary"])
        if ToolFailed is not None:
            return ToolFailed(name=name, error=error)
        return ToolResult(name=name, result=json.dumps({"tool": name, "ok": True}))

    return execute


@hidden.test("max_steps_bounds_the_loop")
def max_steps_bounds_the_loop(run_agent, INTENTS, ToolResult, ToolFailed, Finished, learner, rng):
    """A model that never finishes is asked exactly max_steps times, and run_agent returns its thread."""
    for steps in (rng.randint(2, 4), rng.randint(5, 9), None):
        with _world(FakeModel.scripted()) as db:
            scenario = draw_scenario(db, rng, "ask_customer")
            stubborn = _Decisions([], then=INTENTS["get_order"](order_id=scenario.order_id))
            executor = _executor(INTENTS, ToolResult, Finished, ToolFailed, f"No order {scenario.order_id}.")
            kwargs = {} if steps is None else {"max_steps": steps}
            with learner.stand_ins(determine_next_step=stubborn, execute=executor):
                thread = _call(f"run_agent(ticket{'' if steps is None else f', max_steps={steps}'})", run_agent,
                               scenario.ticket, **kwargs)
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
def malformed_call_does_not_stop_the_agent(run_agent, ToolCallError, INTENTS, ToolResult, Finished, learner, rng):
    """A malformed tool call becomes an error event the model reads on the next step; the run goes on and refunds nothing."""
    unknown = f"refund_{words(rng)}"
    problems = [f"Unknown tool '{unknown}'. Available tools: get_order, check_refund_policy, issue_refund.",
                f"issue_refund: the arguments are not valid JSON ({words(rng)})."]
    with _world(FakeModel.scripted()) as db:
        damaged = draw_scenario(db, rng, "refunded")
        decide = _Decisions([*(RaiseInWorker(ToolCallError, problem) for problem in problems),
                             INTENTS["done"](summary=f"Sorry, I could not process that. {_sentence(rng)}")],
                            then=INTENTS["get_order"](order_id=damaged.order_id))
        with learner.stand_ins(determine_next_step=decide, execute=_executor(INTENTS, ToolResult, Finished)):
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
    assert unknown in errors, "The model was not shown its failed call on the next step."


def _steps(rng: random.Random, scenario: Scenario) -> list[tuple[str, dict[str, Any]]]:
    """A refund, step by step, on `scenario`'s order, as the model would decide it."""
    sample = _samples(rng, scenario)
    return [(name, sample[name]) for name in ("get_order", "check_refund_policy", "issue_refund", "send_message", "done")]


@hidden.test("each_step_is_recorded")
def each_step_is_recorded(run_agent, INTENTS, ToolResult, Finished, learner, rng):
    """Every intent is recorded as a ToolRequested, in the model's order, before the event that executing it produced."""
    with _world(FakeModel.scripted()) as db:
        scenario = draw_scenario(db, rng, "refunded")
        steps = _steps(rng, scenario)
        decide = _Decisions([INTENTS[name](**arguments) for name, arguments in steps],
                            then=INTENTS["get_order"](order_id=scenario.order_id))
        with learner.stand_ins(determine_next_step=decide, execute=_executor(INTENTS, ToolResult, Finished)):
            thread = _call(f"run_agent on {_on(scenario)}", run_agent, scenario.ticket)
    assert decide.calls <= len(steps), (
        f"After the model decided done, run_agent asked for the next step {_times(decide.calls - len(steps))} more: "
        "stop at the first Finished.")
    events = list(_attr(thread, "events"))
    kinds = [_kind(event) for event in events]
    names = [_value(event, "name") if kind in ("tool_call", "tool_result", "tool_error") else None
             for kind, event in zip(kinds, events, strict=False)]
    requested = [name for kind, name in zip(kinds, names, strict=False) if kind == "tool_call" and name != "done"]
    chosen = [name for name, _ in steps if name != "done"]
    assert requested == chosen, f"The thread records the requests {requested}, but the model asked for {chosen}."
    assert ("tool_call", "done") not in list(zip(kinds, names, strict=True)), (
        "The thread records the Done as a request too: a Done is recorded by its Finished alone, or the thread "
        "holds a call without a result.")
    for index, kind in enumerate(kinds):
        if kind in ("tool_result", "tool_error"):
            previous = index - 1 if index else None
            assert previous is not None and kinds[previous] == "tool_call" and names[previous] == names[index], (
                f"The {names[index]} result is not directly preceded by the request for it.")
    refund = next((json.loads(_value(event, "arguments")) for kind, name, event in zip(kinds, names, events, strict=False)
                   if kind == "tool_call" and name == "issue_refund"), None)
    amount = dict(steps)["issue_refund"]["amount"]
    assert refund is not None and refund.get("amount") == amount, (
        f"The recorded issue_refund request carries {refund!r}; it should carry the intent's arguments.")
    assert kinds and kinds[-1] == "finished", "The thread does not end with the Finished that the Done became."

__all__ = ["hidden"]

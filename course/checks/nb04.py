"""Visible checks of lesson 04, tools are structured outputs: `check("4.1")` … `check("4.3")`.

Cheap, public and worth no points; the hidden tests carry the points. Each check uses a fresh
shop and its own fake model, so it never touches the notebook's state. The checks of 4.3 run
your loop with scripted decisions and a simple `execute` of their own (your functions are put
back afterwards), so they judge the loop alone; the last one runs your whole agent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from course.brain import shop_brain
from course.grading import visible
from course.llm import FakeModel, Reply, count_message_tokens, use_model
from course.llm.settings import ConfigError
from course.shop import SCENARIOS, HistoryMessage, Shop, ShopError, Ticket, refunded_amount, use_shop
from course.shop import tools as shop_tools

_DAMAGED = SCENARIOS["damaged_item"]
_WHERE = SCENARIOS["where_is_my_order"]


@contextmanager
def _world(model: FakeModel) -> Iterator[Shop]:
    with Shop.create() as db, use_shop(db), use_model(model):
        yield db


def _given(ns, name):
    """Something the notebook gives (not the learner's answer), so an unfinished exercise names only the answer."""
    assert name in ns, f"`{name}` is not defined: run the cells above, from the top."
    return ns[name]


def _finished(ns, name: str, exercise: str, *args):
    """Call an earlier exercise's function, saying which exercise to finish first if it still raises NotImplementedError."""
    try:
        return _given(ns, name)(*args)
    except NotImplementedError:
        raise AssertionError(f"`{name}` still raises NotImplementedError: finish Exercise {exercise} first") from None


def _decide(determine_next_step, ns, model: FakeModel, scenario=_DAMAGED, **kwargs):
    thread_for, system_prompt = _given(ns, "thread_for"), _given(ns, "system_prompt")
    with _world(model) as db:
        return determine_next_step(thread_for(scenario.ticket), system_prompt(db.policy), [], **kwargs)


def _chatty_ticket() -> Ticket:
    """Aisha's ticket with 30 earlier messages in front of it: far more than 500 tokens."""
    history = tuple(HistoryMessage(sender="customer" if i % 2 else "agent", sent_on=dt.date(2026, 9, 1 + i % 28),
                                   body=f"Message {i + 1} about the jacket, the size, the colour and the courier.")
                    for i in range(30))
    return _WHERE.ticket.model_copy(update={"history": history})


# --- 4.1 determine_next_step -------------------------------------------------------------------

@visible("4.1", hint="Parse the first tool call with parse_tool_call(name, arguments, intents): the `intents` given.")
def every_kind_of_call_becomes_its_intent(determine_next_step, ns):
    calls = [("track_shipment", {"order_id": 1077}, "TrackShipment"),
             ("check_refund_policy", {"order_id": 1077, "amount": 40.0}, "CheckRefundPolicy"),
             ("done", {"summary": "Told Aisha her jacket ships Friday."}, "Done")]
    for name, arguments, cls in calls:
        intent = _decide(determine_next_step, ns, FakeModel.scripted(Reply.tool_call(name, arguments)), _WHERE)
        assert isinstance(intent, _given(ns, cls)), f"a {name} call came back as {intent!r}, not a {cls}"
        for field, value in arguments.items():
            assert getattr(intent, field, None) == value, f"a {name} call with {arguments} came back as {intent!r}"


@visible("4.1", hint="One step at a time: the first tool call of a reply is the next step; the loop asks again for the rest.")
def the_first_of_two_calls_is_the_next_step(determine_next_step, ns):
    both = Reply.calls(("get_order", {"order_id": 1077}), ("send_message", {"body": "On its way."}))
    intent = _decide(determine_next_step, ns, FakeModel.scripted(both), _WHERE)
    assert isinstance(intent, _given(ns, "GetOrder")), \
        f"a reply calling get_order and then send_message came back as {intent!r}, not the first call's GetOrder"


@visible("4.1", hint="No tool calls in the reply means the model is done: Done(summary=message.content or ''). "
                     "Look at tool_calls, not at the text: a reply may carry both.")
def a_text_reply_becomes_done_with_the_text(determine_next_step, ns):
    intent = _decide(determine_next_step, ns, FakeModel.scripted(Reply.text("Aisha has her answer.")), _WHERE)
    assert isinstance(intent, _given(ns, "Done")), f"a text reply came back as {intent!r}, not a Done"
    assert intent.summary == "Aisha has her answer.", f"the Done's summary is {intent.summary!r}, not the model's text"
    both = Reply.tool_call("track_shipment", {"order_id": 1077}, content="Let me look that up.")
    intent = _decide(determine_next_step, ns, FakeModel.scripted(both), _WHERE)
    assert isinstance(intent, _given(ns, "TrackShipment")), (
        f"a reply with some text and a track_shipment call came back as {intent!r}: the call is the next step")


@visible("4.1", hint="Offer INTENT_SCHEMAS (the tools and done), not TOOL_SCHEMAS.")
def done_is_offered(determine_next_step, ns):
    model = FakeModel.scripted(Reply.text("All sorted."))
    _decide(determine_next_step, ns, model)
    offered = model.transcript.tools_offered()
    assert "done" in offered, f"the model was offered {offered}: it cannot call done"


@visible("4.1", hint="Offer the schemas of the `intents` argument (tool_schema(name, model) for each) and parse "
                     "with them too: the default is INTENTS, but a caller may offer other choices.")
def the_intents_given_are_the_choices(determine_next_step, ns):
    TrackShipment, Done = _given(ns, "TrackShipment"), _given(ns, "Done")
    model = FakeModel.scripted(Reply.tool_call("track_shipment", '{"order_id": 1077}'))
    intent = _decide(determine_next_step, ns, model, _WHERE, intents={"track_shipment": TrackShipment, "done": Done})
    offered = model.transcript.tools_offered()
    assert sorted(offered) == ["done", "track_shipment"], (
        f"called with intents={{'track_shipment': ..., 'done': ...}}, the model was offered {offered}")
    assert isinstance(intent, TrackShipment), f"the model's track_shipment call came back as {intent!r}"
    model = FakeModel.scripted(Reply.tool_call("where_is", '{"order_id": 1077}'))
    intent = _decide(determine_next_step, ns, model, _WHERE, intents={"where_is": TrackShipment, "done": Done})
    assert isinstance(intent, TrackShipment), (
        f"called with intents={{'where_is': TrackShipment, ...}}, the model's where_is call came back as {intent!r}: "
        "parse with the `intents` given, not the global INTENTS")


@visible("4.1", hint="Let parse_tool_call's ToolCallError propagate: what to do about it is the loop's business.")
def a_malformed_call_raises_tool_call_error(determine_next_step, ns):
    ToolCallError = _given(ns, "ToolCallError")
    for what, reply in [("an unknown tool", Reply.tool_call("close_account", {"reason": "asked"})),
                        ("arguments that break the schema", Reply.tool_call("track_shipment", {"order": 1077}))]:
        try:
            got = _decide(determine_next_step, ns, FakeModel.scripted(reply), _WHERE)
        except ToolCallError:
            continue
        raise AssertionError(f"a call with {what} came back as {got!r} instead of raising ToolCallError")


@visible("4.1", hint="Return the intent; do not run it, and do not append to the thread (not even a Finished for a "
                     "text reply): that is the loop's job.")
def deciding_changes_nothing(determine_next_step, ns):
    thread_for, system_prompt = _given(ns, "thread_for"), _given(ns, "system_prompt")
    ask = Reply.tool_call("issue_refund", {"order_id": 1042, "amount": 18.5, "reason": "damaged"})
    for reply in (ask, Reply.text("Maya has her refund.")):
        with _world(FakeModel.scripted(reply)) as db:
            thread = thread_for(_DAMAGED.ticket)
            stored = thread.model_dump_json()
            intent = determine_next_step(thread, system_prompt(db.policy), [])
            refunded = refunded_amount(db, _DAMAGED)
        assert refunded == 0, f"deciding {intent!r} refunded ${refunded:.2f}: deciding must not act"
        assert thread.model_dump_json() == stored, (
            f"deciding {intent!r} changed the thread it was given: it should only read it")


@visible("4.1", hint="Catch nothing around the model call: an endpoint that fails is an error for the loop's caller, "
                     "not a Done.")
def a_failing_endpoint_is_not_a_done(determine_next_step, ns):
    import openai

    refusing = FakeModel.scripted(Reply.tool_call("track_shipment", {"order_id": 1077}), context_window=10)
    try:
        got = _decide(determine_next_step, ns, refusing, _WHERE)
    except (openai.APIError, ValueError):
        return
    raise AssertionError(f"a model endpoint that refused the request came back as {got!r}: let its error propagate "
                         "(an `except Exception` around deciding turns every failure into a Done)")


@visible("4.1", hint="Build the messages with build_context(thread, budget): the budget you were given.")
def the_budget_is_respected(determine_next_step, ns):
    thread_for, system_prompt = _given(ns, "thread_for"), _given(ns, "system_prompt")
    model = FakeModel.scripted(Reply.text("Done."))
    with _world(model) as db:
        determine_next_step(thread_for(_chatty_ticket()), system_prompt(db.policy), [], budget=500)
    sent = [m for m in model.transcript.messages_sent() if m.get("role") not in ("system", "developer")]
    used = count_message_tokens(sent)
    assert used <= 500, f"with budget=500 the thread sent to the model took {used} tokens"


# --- 4.2 execute -------------------------------------------------------------------------------

@visible("4.2", hint="Return ToolResult(name=intent_name(intent), result=run_tool(intent, ticket)).")
def get_order_becomes_a_result(execute, ns):
    with _world(FakeModel.scripted()):
        event = execute(_given(ns, "GetOrder")(order_id=1077), _WHERE.ticket)
    assert isinstance(event, _given(ns, "ToolResult")), f"execute(GetOrder(order_id=1077)) returned {event!r}, not a ToolResult"
    assert event.name == "get_order", f"the result is named {event.name!r}; the model knows this tool as 'get_order'"
    assert "1077" in event.result, "the result does not mention order 1077"


@visible("4.2", hint="Every tool has its case: run_tool already has one per tool input.")
def a_new_address_reaches_the_shop(execute, ns):
    moving = SCENARIOS["change_address"]
    address = "88 Harbour Road, Portland, ME 04101"
    with _world(FakeModel.scripted()) as db:
        event = execute(_given(ns, "UpdateAddress")(address=address), moving.ticket)
        stored = db.conn.execute("SELECT address FROM customers WHERE email = ?", (moving.ticket.customer_email,)).fetchone()[0]
    assert isinstance(event, _given(ns, "ToolResult")), f"execute(UpdateAddress(...)) returned {event!r}, not a ToolResult"
    assert stored == address, f"after execute(UpdateAddress(address={address!r})) the shop has {stored!r}"


@visible("4.2", hint="Done runs no tool: return Finished(summary=intent.summary). The customer hears from the "
                     "model's send_message, never from Done.")
def done_becomes_finished(execute, ns):
    with _world(FakeModel.scripted()) as db:
        event = execute(_given(ns, "Done")(summary="Refunded the mug."), _DAMAGED.ticket)
        sent = db.conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    assert isinstance(event, _given(ns, "Finished")), f"execute(Done(...)) returned {event!r}, not a Finished event"
    assert event.summary == "Refunded the mug.", f"the Finished summary is {event.summary!r}"
    assert sent == 0, "execute(Done(...)) sent the customer a message: Done runs no tool"


@visible("4.2", hint="Every tool has its case: delegate to run_tool (one case per tool input), or match every class "
                     "in INTENTS.")
def every_tool_reaches_the_shop(execute, ns):
    calls = [("GetOrder", {"order_id": 1077}), ("TrackShipment", {"order_id": 1077}),
             ("CheckRefundPolicy", {"order_id": 1077, "amount": 10.0}), ("SendMessage", {"body": "On its way."})]
    with _world(FakeModel.scripted()):
        for cls, arguments in calls:
            event = execute(_given(ns, cls)(**arguments), _WHERE.ticket)
            assert isinstance(event, _given(ns, "ToolResult")), f"execute({cls}(...)) returned {event!r}, not a ToolResult"


@visible("4.2", hint="Catch the shop's refusal (ShopError) and return ToolFailed(name=..., error=str(error)).")
def a_refused_refund_becomes_an_error_event(execute, ns):
    late = SCENARIOS["out_of_window"]
    with _world(FakeModel.scripted()):
        try:
            shop_tools.issue_refund(1013, 64.0, "damaged")
        except ShopError as error:  # what the shop says, to compare with
            said = str(error)
    with _world(FakeModel.scripted()):
        event = execute(_given(ns, "IssueRefund")(order_id=1013, amount=64.0, reason="damaged"), late.ticket)
    assert isinstance(event, _given(ns, "ToolFailed")), f"a refund 75 days after delivery returned {event!r}, not a ToolFailed"
    assert event.name == "issue_refund", f"the ToolFailed is named {event.name!r}; the model knows this tool as 'issue_refund'"
    assert said in event.error, f"the ToolFailed says {event.error!r}: give the model the shop's own explanation"


@visible("4.2", hint="An intent run_tool has no case for raises ToolCallError: catch it too, and return a ToolFailed.")
def an_intent_no_tool_runs_becomes_an_error_event(execute, ns):
    ToolInput = _given(ns, "ToolInput")

    class CloseAccount(ToolInput):  # type: ignore[misc, valid-type]
        """Close the customer's account (no tool does this)."""
        reason: str

    with _world(FakeModel.scripted()):
        event = execute(CloseAccount(reason="asked"), _DAMAGED.ticket)
    assert isinstance(event, _given(ns, "ToolFailed")), f"execute(CloseAccount(...)) returned {event!r}, not a ToolFailed"


@visible("4.2", hint="Catch ShopError and ToolCallError only: any other error is a bug, and should reach you.")
def other_errors_are_not_hidden(execute, ns):
    with _world(FakeModel.scripted()) as db:
        db.fail_next("get_order", ConfigError("the shop's settings could not be read"))
        try:
            event = execute(_given(ns, "GetOrder")(order_id=1077), _WHERE.ticket)
        except ConfigError:
            return
    raise AssertionError(f"an error that is not the shop's refusal (a ConfigError) came back as {event!r}: "
                         "it should not be turned into an event")


# --- 4.3 run_agent -----------------------------------------------------------------------------

class _Script:
    """Scripted decisions: the intents (or exceptions) to return in order, then `then` for ever."""

    def __init__(self, steps: list[Any], then: Any = None):
        self.steps, self.then, self.seen = steps, then, []

    def __call__(self, thread, prompt, log, budget=None):
        self.seen.append([event.kind for event in thread.events])
        step = self.steps[len(self.seen) - 1] if len(self.seen) <= len(self.steps) else self.then
        if isinstance(step, Exception):
            raise step
        return step


@contextmanager
def _scripted(ns, script: _Script) -> Iterator[None]:
    """Run with `script` as determine_next_step and a simple execute, then put the notebook's own back."""
    Finished, ToolResult, Done = _given(ns, "Finished"), _given(ns, "ToolResult"), _given(ns, "Done")
    intent_name, ToolFailed, TrackShipment = _given(ns, "intent_name"), _given(ns, "ToolFailed"), _given(ns, "TrackShipment")

    def execute(intent, ticket):
        if isinstance(intent, Done):
            return Finished(summary=intent.summary)
        if isinstance(intent, TrackShipment):
            return ToolFailed(name=intent_name(intent), error="No shipment yet.")
        return ToolResult(name=intent_name(intent), result='{"ok": true}')

    saved = {name: ns[name] for name in ("determine_next_step", "execute") if name in ns}
    ns["determine_next_step"], ns["execute"] = script, execute  # type: ignore[index]
    try:
        with _world(FakeModel.scripted()):
            yield
    finally:
        for name in ("determine_next_step", "execute"):
            if name in saved:
                ns[name] = saved[name]  # type: ignore[index]


def _after_ticket(thread) -> list[tuple[str, str]]:
    """The events after the ticket, as (kind, name) pairs; a recorded `done` request is left out."""
    kinds = [(e.kind, getattr(e, "name", "")) for e in thread.events]
    start = next((i for i, (kind, _) in enumerate(kinds) if kind == "ticket"), -1)
    return [pair for pair in kinds[start + 1:] if pair != ("tool_call", "done")]


@visible("4.3", hint="After appending the event, stop (break) if it is a Finished, and only then.")
def each_step_is_recorded_and_the_run_stops_at_finished(run_agent, ns):
    GetOrder, TrackShipment, Done = _given(ns, "GetOrder"), _given(ns, "TrackShipment"), _given(ns, "Done")
    script = _Script([GetOrder(order_id=1077), TrackShipment(order_id=1077), Done(summary="Told Aisha.")],
                     then=GetOrder(order_id=1077))
    with _scripted(ns, script):
        thread = run_agent(_WHERE.ticket)
    assert len(script.seen) <= 3, f"after the Done, run_agent asked for {len(script.seen) - 3} more steps: stop at the first Finished"
    got = _after_ticket(thread)
    want = [("tool_call", "get_order"), ("tool_result", "get_order"), ("tool_call", "track_shipment"),
            ("tool_error", "track_shipment"), ("finished", "")]
    assert len(script.seen) == 3, (f"run_agent stopped after {len(script.seen)} steps, at {got[-1:]}: a ToolFailed does "
                                   "not end the run (the model reads the error), a Finished does")
    assert got == want, (f"after the ticket the thread holds {got}; each step should add a ToolRequested for the intent, "
                         "then the event execute returned, and end with the Finished")
    request = next(e for e in thread.events if getattr(e, "kind", "") == "tool_call")
    assert request.arguments == GetOrder(order_id=1077).model_dump_json(), \
        f"the recorded request carries {request.arguments!r}: record intent.model_dump_json()"


@visible("4.3", hint="A Done is recorded by its Finished alone: record a ToolRequested for a tool, not for Done.")
def a_done_is_recorded_once_as_its_finished(run_agent, ns):
    script = _Script([_given(ns, "Done")(summary="Told Aisha.")])
    with _scripted(ns, script):
        thread = run_agent(_WHERE.ticket)
    kinds = [(e.kind, getattr(e, "name", "")) for e in thread.events]
    assert ("tool_call", "done") not in kinds, (
        f"the thread holds {kinds[-2:]}: a Done stored as a ToolRequested too reads as a tool call with no result "
        "(lesson 05 would call that thread interrupted)")


@visible("4.3", hint="The loop decides at most max_steps times (12 by default), whatever the model says.")
def max_steps_bounds_the_loop(run_agent, ns):
    GetOrder = _given(ns, "GetOrder")
    for steps in (3, None):
        script = _Script([], then=GetOrder(order_id=1077))
        with _scripted(ns, script):
            run_agent(_WHERE.ticket) if steps is None else run_agent(_WHERE.ticket, max_steps=steps)
        want = 12 if steps is None else steps
        label = "the default max_steps" if steps is None else f"max_steps={steps}"
        asked = f"{len(script.seen)} step" + ("" if len(script.seen) == 1 else "s")
        assert len(script.seen) == want, f"with a model that never says done and {label}, run_agent asked for {asked}, not {want}"


@visible("4.3", hint="A ToolCallError from deciding becomes ToolFailed(name='model', ...) in the thread, and the loop goes on.")
def a_malformed_call_is_recorded_and_the_run_goes_on(run_agent, ns):
    ToolCallError, Done = _given(ns, "ToolCallError"), _given(ns, "Done")
    script = _Script([ToolCallError("Unknown tool 'close_account'."), Done(summary="Could not help.")])
    with _scripted(ns, script):
        thread = run_agent(_WHERE.ticket)
    assert len(script.seen) != 1, "run_agent stopped at the malformed call: record it, and go on to the next step"
    assert len(script.seen) == 2, f"after a malformed call and then a Done, run_agent asked for {len(script.seen)} steps, not 2"
    failed = [e for e in thread.events if getattr(e, "kind", "") == "tool_error"]
    assert failed and failed[0].name == "model" and "close_account" in failed[0].error, \
        f"the thread should record the malformed call as ToolFailed(name='model', error=...): it holds {failed}"
    assert "tool_error" in script.seen[1], "the next step was decided without the error event in the thread"


@visible("4.3", hint="Each step: intent = determine_next_step(...), record a ToolRequested, event = execute(...), "
                     "record it; stop at Finished.")
def damaged_item_is_refunded(run_agent, ns):
    with _world(FakeModel(shop_brain)) as db:  # the whole agent needs 4.1 and 4.2 too: say so if they are not done
        _finished(ns, "determine_next_step", "4.1", _given(ns, "thread_for")(_DAMAGED.ticket),
                  _given(ns, "system_prompt")(db.policy), [])
        _finished(ns, "execute", "4.2", _given(ns, "Done")(summary="Nothing to do."), _DAMAGED.ticket)
    with _world(FakeModel(shop_brain)) as db:
        thread = run_agent(_DAMAGED.ticket)
        refunded = refunded_amount(db, _DAMAGED)
    assert refunded == 18.5, (f"on the damaged_item ticket your whole agent refunded ${refunded:.2f}, not $18.50 "
                              "(the checks above judge the loop alone; this one uses your 4.1 and 4.2 too)")
    assert isinstance(thread.events[-1], _given(ns, "Finished")), "the thread does not end with a Finished event"

__all__: list[str] = []  # the checks register themselves with course.grading.visible on import

"""Visible checks of lesson 04, tools are structured outputs: `check("4.1")` … `check("4.3")`.

Cheap, public and worth no points; the hidden tests carry the points. Each check uses a fresh
shop and its own fake model, so it never touches the notebook's state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from course.brain import shop_brain
from course.grading import visible
from course.llm import FakeModel, Reply, use_model
from course.shop import SCENARIOS, Shop, refunded_amount, use_shop

_DAMAGED = SCENARIOS["damaged_item"]


@contextmanager
def _world(model: FakeModel) -> Iterator[Shop]:
    with Shop.create() as db, use_shop(db), use_model(model):
        yield db


def _given(ns, name):
    """Something the notebook gives (not the learner's answer), so an unfinished exercise names only the answer."""
    assert name in ns, f"`{name}` is not defined: run the cells above, from the top."
    return ns[name]


def _decide(determine_next_step, ns, model: FakeModel):
    thread_for, system_prompt = _given(ns, "thread_for"), _given(ns, "system_prompt")
    with _world(model) as db:
        return determine_next_step(thread_for(_DAMAGED.ticket), system_prompt(db.policy), [])


# --- 4.1 determine_next_step -------------------------------------------------------------------

@visible("4.1", hint="Parse the first tool call with parse_tool_call(name, arguments, INTENTS).")
def a_tool_call_becomes_its_intent(determine_next_step, ns):
    intent = _decide(determine_next_step, ns, FakeModel.scripted(Reply.tool_call("get_order", {"order_id": 1042})))
    assert isinstance(intent, _given(ns, "GetOrder")), f"a get_order call came back as {intent!r}, not a GetOrder"
    assert intent.order_id == 1042, f"a get_order call for order 1042 came back as {intent!r}"


@visible("4.1", hint="No tool calls in the reply means the model is done: Done(summary=message.content or '').")
def a_text_reply_becomes_done(determine_next_step, ns):
    intent = _decide(determine_next_step, ns, FakeModel.scripted(Reply.text("All sorted.")))
    assert isinstance(intent, _given(ns, "Done")), f"a text reply came back as {intent!r}, not a Done"
    assert intent.summary == "All sorted.", f"the Done's summary is {intent.summary!r}, not the model's text"


@visible("4.1", hint="Offer INTENT_SCHEMAS (the tools and done), not TOOL_SCHEMAS.")
def done_is_offered(determine_next_step, ns):
    model = FakeModel.scripted(Reply.text("All sorted."))
    _decide(determine_next_step, ns, model)
    offered = model.transcript.tools_offered()
    assert "done" in offered, f"the model was offered {offered}: it cannot call done"


@visible("4.1", hint="Return the intent; do not run it. Running tools is execute's job (Exercise 4.2).")
def deciding_a_refund_refunds_nothing(determine_next_step, ns):
    thread_for, system_prompt = _given(ns, "thread_for"), _given(ns, "system_prompt")
    ask = Reply.tool_call("issue_refund", {"order_id": 1042, "amount": 18.5, "reason": "damaged"})
    with _world(FakeModel.scripted(ask)) as db:
        intent = determine_next_step(thread_for(_DAMAGED.ticket), system_prompt(db.policy), [])
        refunded = refunded_amount(db, _DAMAGED)
    assert refunded == 0, f"deciding {intent!r} refunded ${refunded:.2f}: deciding must not act"


# --- 4.2 execute -------------------------------------------------------------------------------

@visible("4.2", hint="Return ToolResult(name=intent_name(intent), result=run_tool(intent, ticket)).")
def get_order_becomes_a_result(execute, ns):
    with _world(FakeModel.scripted()):
        event = execute(_given(ns, "GetOrder")(order_id=1042), _DAMAGED.ticket)
    assert isinstance(event, _given(ns, "ToolResult")), f"execute(GetOrder(order_id=1042)) returned {event!r}, not a ToolResult"
    assert event.name == "get_order", f"the result is named {event.name!r}; the model knows this tool as 'get_order'"
    assert "1042" in event.result, "the result does not mention order 1042"


@visible("4.2", hint="Done runs no tool: return Finished(summary=intent.summary).")
def done_becomes_finished(execute, ns):
    with _world(FakeModel.scripted()):
        event = execute(_given(ns, "Done")(summary="Refunded the mug."), _DAMAGED.ticket)
    assert isinstance(event, _given(ns, "Finished")), f"execute(Done(...)) returned {event!r}, not a Finished event"
    assert event.summary == "Refunded the mug.", f"the Finished summary is {event.summary!r}"


@visible("4.2", hint="Catch the shop's refusal (ShopError) and return ToolFailed(name=..., error=str(error)).")
def a_refused_refund_becomes_an_error_event(execute, ns):
    late = SCENARIOS["out_of_window"]
    with _world(FakeModel.scripted()):
        event = execute(_given(ns, "IssueRefund")(order_id=1013, amount=64.0, reason="damaged"), late.ticket)
    assert isinstance(event, _given(ns, "ToolFailed")), f"a refund 75 days after delivery returned {event!r}, not a ToolFailed"


# --- 4.3 run_agent -----------------------------------------------------------------------------

@visible("4.3", hint="Each step: intent = determine_next_step(...), record a ToolRequested, event = execute(...), "
                     "record it; stop at Finished.")
def damaged_item_is_refunded(run_agent, ns):
    with _world(FakeModel(shop_brain)) as db:
        thread = run_agent(_DAMAGED.ticket)
        refunded = refunded_amount(db, _DAMAGED)
    assert refunded == 18.5, f"on the damaged_item ticket the agent refunded ${refunded:.2f}, not $18.50"
    assert isinstance(thread.events[-1], _given(ns, "Finished")), "the thread does not end with a Finished event"

"""The shop brain carries every scenario to its expected outcome, from chat messages or a compact context.

A tiny agent loop below plays the agent: it asks the brain for the next step, runs shop tools
against a fresh Shop, answers human tools from a script, and stops when the brain finishes or
waits for a human. It renders the conversation either as OpenAI chat messages or as one compact
user message (XML-ish tags with YAML-ish bodies, or JSON lines), as lesson 03 does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from course.brain import shop_brain
from course.llm.reply import Reply
from course.llm.request import ChatRequest
from course.shop import (
    SCENARIOS,
    TOOLS,
    PaymentProviderDown,
    Scenario,
    Shop,
    ShopError,
    get_scenario,
    outcome_of,
    refunded_amount,
    tool_schemas,
    use_shop,
)


def human_tool(name: str, **properties: str) -> dict[str, Any]:
    props = {key: {"type": kind} for key, kind in properties.items()}
    return {"type": "function", "function": {"name": name, "description": name.replace("_", " "),
                                             "parameters": {"type": "object", "properties": props, "required": list(props)}}}


REQUEST_APPROVAL = human_tool("request_approval", order_id="integer", amount="number", reason="string")
ASK_CUSTOMER = human_tool("ask_customer", question="string")
DONE = human_tool("done", summary="string")
ALL_TOOLS = [*tool_schemas(), REQUEST_APPROVAL, ASK_CUSTOMER, DONE]


@dataclass
class Run:
    shop: Shop
    scenario: Scenario
    events: list[dict[str, Any]] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)

    @property
    def called(self) -> list[str]:
        return [e["name"] for e in self.events if e["kind"] == "call"]

    @property
    def outcome(self) -> str:
        return outcome_of(self.shop, self.scenario, called=self.called)


def render_chat(ticket: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": "You are Brightside's support agent."},
                                      {"role": "user", "content": ticket}]
    for event in events:
        if event["kind"] == "call":
            messages.append({"role": "assistant", "content": None, "tool_calls": [{
                "id": event["id"], "type": "function",
                "function": {"name": event["name"], "arguments": json.dumps(event["args"])}}]})
        else:
            messages.append({"role": "tool", "tool_call_id": event["id"], "content": json.dumps(event["data"])})
    return messages


def yamlish(value: Any, pad: str = "") -> str:
    if isinstance(value, dict):
        return "\n".join(f"{pad}{k}:\n{yamlish(v, pad + '  ')}" if isinstance(v, (dict, list)) else f"{pad}{k}: {v}"
                         for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(f"{pad}-\n{yamlish(v, pad + '  ')}" if isinstance(v, (dict, list)) else f"{pad}- {v}"
                         for v in value)
    return f"{pad}{value}"


def render_xml(ticket: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    parts = [f"<ticket>\n{ticket}\n</ticket>"]
    for event in events:
        if event["kind"] == "call":
            parts.append(f"<{event['name']}>\n{yamlish(event['args'])}\n</{event['name']}>")
        elif "error" in event["data"]:
            parts.append(f"<error>\n{event['data']['error']}\n</error>")
        else:
            parts.append(f"<{event['name']}_result>\n{yamlish(event['data'])}\n</{event['name']}_result>")
    return [{"role": "system", "content": "You are Brightside's support agent."},
            {"role": "user", "content": "Here is everything so far:\n\n" + "\n".join(parts) + "\n\nWhat is the next step?"}]


def render_jsonl(ticket: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines = [json.dumps({"type": "ticket", "text": ticket})]
    for event in events:
        kind = event["name"] if event["kind"] == "call" else f"{event['name']}_result"
        lines.append(json.dumps({"type": kind, "data": event["args"] if event["kind"] == "call" else event["data"]}))
    return [{"role": "user", "content": "\n".join(lines)}]


def render_nested(ticket: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events as one JSON document whose payloads are JSON strings: every quote arrives escaped."""
    thread = [{"event": "ticket", "payload": ticket}]
    for event in events:
        payload = event["args"] if event["kind"] == "call" else event["data"]
        thread.append({"event": f"{event['name']}_{event['kind']}", "payload": json.dumps(payload)})
    return [{"role": "user", "content": json.dumps({"thread": thread})}]


RENDER = {"chat": render_chat, "xml": render_xml, "jsonl": render_jsonl, "nested": render_nested}


def drive(name: str, *, render: str = "chat", tools: list[dict[str, Any]] | None = None,
          approvals: tuple[dict[str, Any], ...] = (), answer: str | None = None,
          shop: Shop | None = None, max_steps: int = 15) -> Run:
    """Run the brain as an agent would until it finishes, waits for a human, or runs out of steps."""
    scenario = get_scenario(name)
    run = Run(shop or Shop.create(), scenario)
    offered = ALL_TOOLS if tools is None else tools
    pending = list(approvals)
    for step in range(max_steps):
        request = ChatRequest(model="fake", messages=RENDER[render](scenario.ticket.render(), run.events), tools=offered)
        reply = shop_brain(request)
        run.replies.append(reply)
        if not reply.tool_calls:
            return run
        call = reply.tool_calls[0]
        assert call.name in request.tool_names, f"the brain called {call.name}, which was not offered"
        args = call.arguments if isinstance(call.arguments, dict) else json.loads(call.arguments)
        run.events.append({"kind": "call", "id": f"call_{step}", "name": call.name, "args": args})
        if call.name in TOOLS:
            try:
                with use_shop(run.shop):
                    data = TOOLS[call.name].run(args).model_dump(mode="json")
            except ShopError as error:
                data = {"error": f"{type(error).__name__}: {error}"}
        elif call.name == "request_approval" and pending:
            data = pending.pop(0)
        elif call.name == "ask_customer" and answer is not None:
            data, answer = {"answer": answer}, None
        else:
            return run  # done, or waiting for a human
        run.events.append({"kind": "result", "id": f"call_{step}", "name": call.name, "data": data})
    raise AssertionError(f"{name}: no end after {max_steps} steps: {run.called}")


@pytest.mark.parametrize("render", list(RENDER))
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_scenario_reaches_its_expected_outcome(name: str, render: str) -> None:
    run = drive(name, render=render)
    expected = SCENARIOS[name].expected
    assert run.outcome == expected.outcome, run.called
    if expected.outcome == "refunded":
        assert refunded_amount(run.shop, run.scenario) == expected.refund_amount
    if expected.outcome == "approval_required":
        assert run.called[-1] == "request_approval" and "issue_refund" not in run.called
        assert run.events[-1]["args"]["amount"] == expected.refund_amount
    if expected.address:
        assert run.shop.conn.execute("SELECT address FROM customers WHERE email = ?",
                                     (run.scenario.ticket.customer_email,)).fetchone()[0] == expected.address
    if expected.outcome != "approval_required" and expected.outcome != "ask_customer":
        assert run.called[-1] == "done" and run.called.count("send_message") == 1


@pytest.mark.parametrize("render", list(RENDER))
def test_an_approved_large_refund_is_refunded_once_then_confirmed(render: str) -> None:
    run = drive("large_refund", render=render, approvals=({"approved": True},))
    assert run.called == ["get_order", "check_refund_policy", "request_approval", "issue_refund", "send_message", "done"]
    assert refunded_amount(run.shop, run.scenario) == 899.0


@pytest.mark.parametrize("answer", [{"approved": False}, {"decision": "reject"}, {"note": "Rejected by Sam."}])
def test_a_rejected_large_refund_is_declined_politely_without_refunding(answer: dict[str, Any]) -> None:
    run = drive("large_refund", approvals=(answer,))
    assert run.outcome == "refused" and refunded_amount(run.shop, run.scenario) == 0
    assert run.called[-2:] == ["send_message", "done"]


def test_a_rejection_with_a_smaller_offer_leads_to_that_offer() -> None:
    run = drive("large_refund", approvals=({"approved": False, "feedback": "Too much. Offer $200 instead."},
                                           {"approved": True}))
    approvals = [e["args"]["amount"] for e in run.events if e["kind"] == "call" and e["name"] == "request_approval"]
    assert approvals == [899.0, 200.0]
    assert refunded_amount(run.shop, run.scenario) == 200.0 and run.outcome == "refunded"


@pytest.mark.parametrize("render", list(RENDER))
def test_an_approval_of_a_lower_amount_refunds_that_amount_once(render: str) -> None:
    run = drive("large_refund", render=render, approvals=({"approved": True, "amount": 600.0, "comment": "screen only"},))
    assert run.called == ["get_order", "check_refund_policy", "request_approval", "check_refund_policy",
                          "issue_refund", "send_message", "done"]
    assert refunded_amount(run.shop, run.scenario) == 600.0 and run.outcome == "refunded"


def test_without_an_approval_tool_the_naive_model_refunds_the_tv_anyway() -> None:
    run = drive("large_refund", tools=tool_schemas())
    assert "issue_refund" in run.called and refunded_amount(run.shop, run.scenario) == 899.0
    assert run.replies[-1].content and not run.replies[-1].tool_calls


def test_the_clarification_loop_continues_with_the_order_the_customer_gives() -> None:
    scenario = SCENARIOS["unknown_order"]
    run = drive("unknown_order", answer=scenario.customer_reply)
    assert run.called[:3] == ["get_order", "ask_customer", "get_order"]
    assert run.outcome == "refunded" and refunded_amount(run.shop, scenario) == 39.0


def test_without_ask_customer_an_unknown_order_is_asked_about_by_message() -> None:
    run = drive("unknown_order", tools=[*tool_schemas(), DONE])
    assert run.called == ["get_order", "send_message", "done"]
    assert run.outcome == "ask_customer"


def test_a_payment_failure_is_retried_with_the_same_key_and_refunds_once() -> None:
    shop = Shop.create()
    shop.fail_next("issue_refund", PaymentProviderDown())
    run = drive("damaged_item", shop=shop)
    refunds = [e["args"]["idempotency_key"] for e in run.events if e["kind"] == "call" and e["name"] == "issue_refund"]
    assert refunds == ["refund-1042-1850", "refund-1042-1850"]
    assert refunded_amount(shop, run.scenario) == 18.5


@pytest.mark.parametrize("render", ["chat", "xml"])
def test_persistent_failures_are_retried_every_time_so_the_agent_must_escalate(render: str) -> None:
    shop = Shop.create()
    shop.fail_next("issue_refund", PaymentProviderDown(), times=10)
    with pytest.raises(AssertionError, match="no end"):
        drive("damaged_item", shop=shop, render=render, max_steps=8)
    assert shop.faults.pending() == 10 - 6  # 8 steps: get_order, check, then six refund attempts


def test_a_malformed_call_is_followed_by_the_correct_one() -> None:
    ticket = SCENARIOS["damaged_item"].ticket.render()
    messages = [{"role": "user", "content": ticket},
                {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {
                    "name": "get_order", "arguments": '{"order_id": "ten forty-two"}'}}]},
                {"role": "tool", "tool_call_id": "c1",
                 "content": '{"error": "get_order: order_id: Input should be a valid integer."}'}]
    reply = shop_brain(ChatRequest(model="fake", messages=messages, tools=ALL_TOOLS))
    assert (reply.tool_calls[0].name, reply.tool_calls[0].arguments) == ("get_order", {"order_id": 1042})


def test_without_tools_the_brain_answers_in_prose() -> None:
    def say(name: str) -> str:
        reply = shop_brain(ChatRequest(model="fake", messages=[{"role": "user", "content": get_scenario(name).ticket.render()}]))
        assert not reply.tool_calls and reply.resolved_finish_reason == "stop"
        return reply.content or ""

    assert say("damaged_item") == "I'll refund $18.50 for order 1042."
    assert "order 1077" in say("where_is_my_order")
    assert "2150 Larimer St Unit 5B" in say("change_address")


def test_the_brain_only_calls_offered_tools_and_fits_their_schemas() -> None:
    strict_ask = human_tool("ask_customer", question="string", urgency="string")
    strict_ask["function"]["parameters"]["properties"]["urgency"]["enum"] = ["low", "high"]
    finish = human_tool("done_for_now", message="string")
    run = drive("unknown_order", tools=[*tool_schemas("get_order", "send_message"), strict_ask, finish])
    assert run.called == ["get_order", "ask_customer"]
    assert run.events[-1]["args"]["urgency"] == "low" and "1603" in run.events[-1]["args"]["question"]
    run = drive("where_is_my_order", tools=[*tool_schemas("track_shipment", "send_message"), finish])
    assert run.called == ["track_shipment", "send_message", "done_for_now"]
    assert set(run.events[-1]["args"]) == {"message"}


def test_a_triage_request_is_answered_with_the_tickets_category() -> None:
    schema = {"type": "object", "properties": {"team": {"type": "string", "enum": ["refunds", "shipping", "account"]},
                                               "reason": {"type": "string"}}, "required": ["team", "reason"],
              "additionalProperties": False}
    response_format = {"type": "json_schema", "json_schema": {"name": "triage", "schema": schema, "strict": True}}
    teams = {}
    for name, scenario in SCENARIOS.items():
        request = ChatRequest(model="fake", messages=[{"role": "user", "content": scenario.ticket.render()}],
                              response_format=response_format)
        teams[name] = json.loads(shop_brain(request).content or "{}")["team"]
    assert teams == {name: {"refund": "refunds"}.get(s.category, s.category) for name, s in SCENARIOS.items()}


def test_a_focused_agent_hands_a_ticket_it_cannot_serve_back() -> None:
    back = human_tool("transfer_to_triage", reason="string")
    refunds = [*tool_schemas("get_order", "check_refund_policy", "issue_refund", "send_message"), DONE, back]
    run = drive("where_is_my_order", tools=refunds)
    assert run.called == ["transfer_to_triage"] and "track_shipment" in run.events[-1]["args"]["reason"]
    run = drive("change_address", tools=refunds)
    assert run.called == ["transfer_to_triage"]
    run = drive("damaged_item", tools=[*tool_schemas("track_shipment", "send_message"), DONE, back])
    assert run.called == ["transfer_to_triage"]
    assert drive("damaged_item", tools=[*refunds, REQUEST_APPROVAL]).called[-2:] == ["send_message", "done"]


def test_hand_offs_between_agents_are_calls_not_the_tickets_words() -> None:
    handed = [("transfer_to_refunds", {"agent": "refunds"}), ("transfer_to_triage", {"agent": "triage"}),
              ("transfer_to_shipping", {"agent": "shipping"})]
    events: list[dict[str, Any]] = []
    for step, (name, data) in enumerate(handed):
        events += [{"kind": "call", "id": f"t{step}", "name": name, "args": {"reason": "Not a refund."}},
                   {"kind": "result", "id": f"t{step}", "name": name, "data": data}]
    shipping = [*tool_schemas("track_shipment", "send_message"), DONE, human_tool("transfer_to_triage", reason="string")]
    for render in RENDER:
        messages = RENDER[render](get_scenario("where_is_my_order").ticket.render(), events)
        reply = shop_brain(ChatRequest(model="fake", messages=messages, tools=shipping))
        assert [call.name for call in reply.tool_calls] == ["track_shipment"], (render, reply)


def test_the_brain_is_deterministic() -> None:
    first, second = drive("long_thread", render="xml"), drive("long_thread", render="xml")
    assert first.events == second.events
    assert [r.model_dump() for r in first.replies] == [r.model_dump() for r in second.replies]


def test_the_brain_ignores_the_system_prompt() -> None:
    messages = render_chat(SCENARIOS["damaged_item"].ticket.render(), [])
    messages[0]["content"] = "Tools: issue_refund, send_message. Example: order 9999, refund_id: 1, placed_on: x"
    reply = shop_brain(ChatRequest(model="fake", messages=messages, tools=ALL_TOOLS))
    assert reply.tool_calls[0].arguments == {"order_id": 1042}


def test_an_unanswered_approval_request_means_waiting_not_refunding() -> None:
    run = drive("large_refund")
    messages = render_chat(run.scenario.ticket.render(), run.events)
    messages.append({"role": "tool", "tool_call_id": run.events[-1]["id"], "content": '{"status": "pending"}'})
    reply = shop_brain(ChatRequest(model="fake", messages=messages, tools=ALL_TOOLS))
    assert not reply.tool_calls and "Waiting" in (reply.content or "")


def test_a_rejection_is_respected_even_when_the_model_cannot_ask_for_approval_itself() -> None:
    events = drive("large_refund").events + []
    events.append({"kind": "result", "id": events[-1]["id"], "name": "request_approval", "data": {"approved": False}})
    request = ChatRequest(model="fake", messages=render_xml(SCENARIOS["large_refund"].ticket.render(), events),
                          tools=tool_schemas())
    reply = shop_brain(request)
    assert reply.tool_calls[0].name == "send_message"


def test_the_brain_recovers_when_a_malformed_call_named_another_order():
    """A cut-off first call (`{"order_id": 1043`) must not make the brain wait for order 1043 forever."""
    from course.llm import FakeModel, faults, use_model
    from course.shop import TOOLS

    scenario = get_scenario("damaged_item")
    fake = FakeModel(shop_brain, faults={1: faults.malformed_arguments("get_order", '{"order_id": 1043')})
    names = ("get_order", "check_refund_policy", "issue_refund", "send_message")
    with Shop.create() as shop, use_shop(shop), use_model(fake):
        messages: list[dict[str, Any]] = [{"role": "user", "content": scenario.ticket.render()}]
        for _ in range(8):
            reply = fake.client().chat.completions.create(model="m", messages=messages, tools=tool_schemas(*names))
            message = reply.choices[0].message
            messages.append(message.model_dump(exclude_none=True))
            if not message.tool_calls:
                break
            for call in message.tool_calls:
                try:
                    result = TOOLS[call.function.name].run(call.function.arguments).model_dump_json()
                except Exception as error:
                    result = f"Error: {error}"
                messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
        assert outcome_of(shop, scenario) == "refunded"


@pytest.mark.parametrize("rendered", [
    "From: Maya\nSubject: Broken mug\n\nHi",
    '<ticket subject="Broken mug">\nHi\n</ticket>',
    '{"subject": "Broken mug", "body": "Hi"}',
])
def test_the_refund_reason_quotes_the_subject_whatever_the_context_format(rendered):
    from course.brain.policy import _subject

    assert _subject(rendered) == "Broken mug"


# --- the brain reads what happened from structure, never from words -----------------------------------

_NOT_DONE = [
    "The refund of $899.00 for order 1057 is held: above the $100.00 approval limit, a person must approve it first.",
    "Failed: the refund is held until a person approves it.",
    "Queued for review by the payments team.",
    "OK, noted.",
]


def _until_the_refund_call(render: str) -> tuple[str, list[dict[str, Any]]]:
    run = drive("large_refund", render=render, approvals=({"approved": True},))
    at = next(i for i, e in enumerate(run.events) if e["kind"] == "call" and e["name"] == "issue_refund")
    return run.scenario.ticket.render(), run.events[: at + 1]


def _claims_a_refund(reply: Reply) -> bool:
    said = " ".join([reply.content or "", *(json.dumps(c.arguments) for c in reply.tool_calls if c.name != "issue_refund")])
    return "refunded" in said.lower()


@pytest.mark.parametrize("render", list(RENDER))
@pytest.mark.parametrize("wording", _NOT_DONE)
def test_a_refund_result_without_its_refund_id_is_not_taken_for_done(render: str, wording: str) -> None:
    ticket, events = _until_the_refund_call(render)
    events.append({"kind": "result", "id": events[-1]["id"], "name": "issue_refund", "data": {"message": wording}})
    reply = shop_brain(ChatRequest(model="fake", messages=RENDER[render](ticket, events), tools=ALL_TOOLS))
    assert not _claims_a_refund(reply), (wording, reply)


@pytest.mark.parametrize("render", list(RENDER))
def test_a_refund_call_with_no_result_yet_is_not_taken_for_done(render: str) -> None:
    ticket, events = _until_the_refund_call(render)
    reply = shop_brain(ChatRequest(model="fake", messages=RENDER[render](ticket, events), tools=ALL_TOOLS))
    assert not _claims_a_refund(reply), reply


def test_a_held_refund_is_carried_out_once_when_the_refund_then_succeeds() -> None:
    ticket, events = _until_the_refund_call("chat")
    call = events[-1]
    events.append({"kind": "result", "id": call["id"], "name": "issue_refund", "data": {"message": _NOT_DONE[0]}})
    reply = shop_brain(ChatRequest(model="fake", messages=render_chat(ticket, events), tools=ALL_TOOLS))
    assert [c.name for c in reply.tool_calls] in (["issue_refund"], ["request_approval"]), reply


@pytest.mark.parametrize("render", list(RENDER))
@pytest.mark.parametrize("name", list(SCENARIOS))
@pytest.mark.parametrize("approvals", [(), ({"approved": True},), ({"approved": False},)], ids=["none", "yes", "no"])
def test_the_brain_never_claims_a_refund_the_shop_does_not_show(name: str, render: str,
                                                               approvals: tuple[dict[str, Any], ...]) -> None:
    import re

    run = drive(name, render=render, approvals=approvals)
    refunds: dict[int, float] = {}
    for order_id, cents in run.shop.conn.execute("SELECT order_id, amount_cents FROM refunds"):
        refunds[order_id] = refunds.get(order_id, 0) + cents / 100
    told = [e["args"]["body"] for e in run.events if e["kind"] == "call" and e["name"] == "send_message"]
    claims = [(int(order), float(amount)) for body in told
              for amount, order in re.findall(r"refunded \$(\d+(?:\.\d\d)?) for order (\d+)", body)]
    assert all(abs(refunds.get(order, 0) - amount) < 0.005 for order, amount in claims), (claims, refunds)
    if not refunds:
        assert not any("refunded" in body.lower() for body in told), told


def test_the_item_a_ticket_means_is_the_one_its_distinctive_words_name_last() -> None:
    from course.brain._facts import Item, mentioned_item

    mug, pillow, cover = Item("Blue ceramic mug", 12.0), Item("Linen pillowcase set", 24.0), Item("Linen duvet cover", 60.0)
    order = [mug, pillow, cover]
    assert mentioned_item(order, "The mugs arrived fine but the pillowcases were torn.") is pillow  # plurals, the last
    assert mentioned_item(order, "The pillowcases were torn. " * 200 + "And the mug too.") is mug   # a long history
    assert mentioned_item(order, "The linen was torn.") is None  # a word both linen items have names neither
    assert mentioned_item(order, "Nothing about what I bought.") is None
    twins = [Item("Walnut tray", 30.0), Item("Walnut tray", 30.0), Item("Oak board", 20.0)]
    assert mentioned_item(twins, "the tray and the board") is twins[2]
    cups = [Item("Espresso cup", 9.0), Item("Cup saucer", 5.0)]
    assert mentioned_item(cups, "the espresso saucer") is cups[1] and mentioned_item(cups, "the saucer espresso") is cups[0]

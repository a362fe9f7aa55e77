"""Probes of factors 1-4: tool calls parsed and validated, an owned prompt, an owned context, structured steps."""

from __future__ import annotations

import json
import random
import re
from datetime import timedelta

from autograder.boundary.remote import raised
from autograder.hidden.runs import world
from autograder.rubric.probe import Seen, check, probe
from autograder.rubric.reading import as_dict, as_list, as_str, ticket_data, words
from autograder.rubric.subject import Subject
from course.llm import FakeModel, Reply, count_message_tokens, use_model
from course.shop import DEFAULT_TODAY, HistoryMessage, ShopPolicy, Ticket, draw_scenario, refunded_amount, use_shop

__all__: list[str] = []

WINDOW = 3_000  # tokens: the context a ticket may take, whatever its history (lesson 03)


@probe(1, "tool_calls_are_validated",
       fix="Parse the model's tool call into your own typed intent: reject unknown tools, broken JSON and wrong types "
           "with a ValueError.")
def _(subject: Subject, rng: random.Random, seen: Seen) -> None:
    agent = subject.agent
    order = rng.randrange(1000, 9999)
    arguments = json.dumps({"order_id": order})
    seen.sent(call=f"get_order {arguments}")
    got = as_dict(agent.parse_tool_call("get_order", arguments), "parse_tool_call")
    seen.happened(returned=got)
    check(got.get("name") == "get_order" and isinstance(got.get("arguments"), dict)
          and got["arguments"].get("order_id") == order,
          f"parse_tool_call('get_order', '{arguments}') should give name get_order and order_id {order}")
    wrong = {
        "an unknown tool": (rng.choice(["delete_customer", "refund_everything", "run_shell"]) + f"_{order % 97}", arguments),
        "arguments that are not JSON": ("get_order", arguments[:-rng.randrange(1, 4)]),
        "an order id that is not a number": ("get_order", json.dumps({"order_id": words(rng, 1)})),
        "a missing argument": ("issue_refund", json.dumps({"order_id": order})),
    }
    for what, (name, args) in wrong.items():
        seen.sent(**{what: f"{name} {args}"})
        error = raised(agent.parse_tool_call, name, args)
        check(error is not None, f"parse_tool_call accepted {what} ({name} {args}): it should raise ValueError")
        assert error is not None
        check(error.isa("ValueError"), f"for {what}, parse_tool_call raised {error.type}, not a ValueError")


def _policy(rng: random.Random) -> ShopPolicy:
    return ShopPolicy.load().model_copy(update={"approval_limit": float(rng.randrange(40, 400)),
                                                "refund_window_days": rng.randrange(10, 90)})


@probe(2, "prompt_is_owned",
       fix="Render the system prompt from a template you own, filled from the shop's policy, with nothing left unfilled.")
def _(subject: Subject, rng: random.Random, seen: Seen) -> None:
    agent = subject.agent
    first, second = _policy(rng), _policy(rng)
    while second.approval_limit == first.approval_limit or second.refund_window_days == first.refund_window_days:
        second = _policy(rng)
    texts = []
    for policy in (first, second):
        seen.sent(policy=f"approval limit {policy.approval_limit:g}, refund window {policy.refund_window_days} days")
        text = as_str(agent.system_prompt(policy.model_dump(mode="json")), "system_prompt")
        seen.happened(prompt=text[:300])
        limit, window = f"{policy.approval_limit:g}", str(policy.refund_window_days)
        check(re.search(rf"(?<![\d.]){limit}(?!\d)", text) is not None,
              f"the prompt for an approval limit of ${limit} does not say {limit}")
        check(re.search(rf"(?<!\d){window}(?!\d)", text) is not None,
              f"the prompt for a refund window of {window} days does not say {window}")
        left = re.search(r"\{\{?\s*[A-Za-z_]\w*\s*\}?\}|\$\{\w+\}", text)
        check(left is None, f"the prompt still holds a placeholder: {left.group(0) if left else ''}")
        texts.append(text)
    check(texts[0] != texts[1], "two different policies gave the same prompt")


def _long_ticket(rng: random.Random, card: str, newest: str) -> Ticket:
    history = tuple(HistoryMessage(sender="customer" if i % 2 == 0 else "agent",
                                   sent_on=DEFAULT_TODAY - timedelta(days=200 - i), body=f"Note {i}: {words(rng, 45)}.")
                    for i in range(rng.randrange(110, 140)))
    return Ticket(ticket_id=rng.randrange(10_000, 100_000), customer_email=f"{words(rng, 1)}@example.com",
                  customer_name="Sam Example", subject="Still waiting", history=history,
                  body=f"Please charge the difference to my card {card}. The code word is {newest}. Thanks.")


@probe(3, "context_is_owned",
       fix="Build the messages yourself: redact card numbers, keep the newest messages and drop the oldest to stay "
           f"within {WINDOW:,} tokens.")
def _(subject: Subject, rng: random.Random, seen: Seen) -> None:
    agent = subject.agent
    digits = "4" + "".join(str(rng.randrange(10)) for _ in range(15))
    card = rng.choice([" ", "-", ""]).join(digits[i:i + 4] for i in range(0, 16, 4))
    newest = f"{words(rng, 1)}-{rng.randrange(100, 999)}"
    ticket = _long_ticket(rng, card, newest)
    seen.sent(ticket=f"a ticket with {len(ticket.history)} earlier messages and the card number {card}")
    messages = as_list(agent.context(ticket_data(ticket)), "context")
    check(bool(messages) and all(isinstance(m, dict) and isinstance(m.get("content"), str)
                                 and m.get("role") in ("user", "assistant", "tool") for m in messages), "context should return chat messages: [{'role': 'user', 'content': ...}]")
    text = "\n".join(m["content"] for m in messages)
    tokens = count_message_tokens(messages)
    seen.happened(messages=len(messages), tokens=tokens, start=text[:200], end=text[-200:])
    check(digits not in re.sub(r"[ -]", "", text), f"the card number {card} reached the model's context")
    check(newest in text, "the ticket's newest message is not in the context")
    check(tokens <= WINDOW, f"the context is {tokens:,} tokens: a long history should be cut to fit {WINDOW:,}")
    check(ticket.history[0].body not in text, "the oldest message is kept while the context is cut: drop the oldest first")


@probe(4, "next_step_is_structured",
       fix="Ask the model with your tools as JSON schemas and return its choice as data; run nothing in next_step.")
def _(subject: Subject, rng: random.Random, seen: Seen) -> None:
    agent = subject.agent
    with world() as db:
        case = draw_scenario(db, rng, "refunded")
        amount = case.expected.refund_amount or 1.0
        step = ("issue_refund", {"order_id": case.order_id, "amount": amount, "reason": "damaged"})
        if rng.random() < 0.5:
            step = ("track_shipment", {"order_id": case.order_id})
        model = FakeModel.scripted(Reply.tool_call(*step))
        with use_shop(db), use_model(model):
            seen.sent(ticket=case.ticket.subject, model_reply=f"{step[0]} {json.dumps(step[1])}")
            got = as_dict(agent.next_step(ticket_data(case.ticket)), "next_step")
        seen.happened(returned=got, refunded=refunded_amount(db, case))
        seen.model(model)
        check(model.calls == 1, f"next_step asked the model {model.calls} times; it should ask once")
        request = model.transcript[0].request
        assert request is not None
        tools = request.tools or []
        check(bool(tools) and all(isinstance(t.get("function", {}).get("parameters"), dict) for t in tools),
              "the model was not offered the tools as JSON schemas (tools=[{type: function, function: {parameters}}])")
        check(got.get("name") == step[0] and isinstance(got.get("arguments"), dict)
              and all(got["arguments"].get(k) == v for k, v in step[1].items()),
              f"next_step should return the model's choice {step[0]} {json.dumps(step[1])}, not {got}")
        check(refunded_amount(db, case) == 0, "next_step refunded the order: it should only decide, never act")


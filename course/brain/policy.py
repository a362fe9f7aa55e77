"""`shop_brain`: a deterministic stand-in for a competent model, so the agent really works offline.

It reads the whole conversation as text (`request.text()`: no system prompt, no tool schemas),
works out what has been done (see `_facts`: tolerant of chat messages and of lesson 03's compact
formats) and picks the next step, using only the tools offered in `request.tools`.

Decision table (first matching row wins; "ask" = `ask_customer(question)` if offered, else
`send_message` with the question; "finish" = `done`/`done_for_now` if offered, else plain text):

| ticket   | what the conversation shows                         | next step                                   |
|----------|-----------------------------------------------------|---------------------------------------------|
| any      | no tools offered                                    | prose: "I'll refund $18.50 for order 1042." |
| any      | no order number, or the order was not found         | ask (once), then finish                     |
| refund   | no successful get_order for the order               | get_order(order_id)                         |
| refund   | a refund succeeded                                  | send_message confirming, then finish        |
| refund   | no check_refund_policy for the amount               | check_refund_policy(order_id, amount)       |
| refund   | not eligible (or issue_refund rejected by a rule)   | send_message explaining policy, then finish |
| refund   | needs approval, request_approval offered            | request_approval; wait; approved: refund    |
|          |                                                     | (the approved amount, if a person lowered   |
|          |                                                     | it); rejected: decline, or retry with the   |
|          |                                                     | feedback's smaller amount ("offer $200")    |
| refund   | otherwise (also: needs approval but no approval     | issue_refund(..., idempotency_key=          |
|          | tool offered - the naive model of lesson 08)        |   f"refund-{order_id}-{cents}")             |
| shipping | no successful track_shipment                        | track_shipment(order_id)                    |
| shipping | tracked                                             | send_message with status and eta, finish    |
| account  | no successful update_address                        | update_address(customer_email, address)     |
| account  | updated                                             | send_message confirming, then finish        |
| any      | the next step's tool is not offered, a              | transfer_to_...(reason): hand the ticket on |
|          | `transfer_to_...` tool is (a focused agent, 10)     | (else finish, saying what is missing)       |

The amount is the line total of the order item the ticket mentions last (item names matched by
their distinctive words), else the order total. A failed call (a result mentioning error, failed,
unavailable, timeout ...) leaves its step undone, so the same call comes again: retries are not
counted here, because counting and escalating is the agent's job (lesson 09). A request with a
JSON-schema `response_format` and no tools is a classifier call: it is answered with the ticket's
category (refund, shipping or account) in the schema's shape, every other field filled from the
conversation (order numbers, amounts, emails, names) and valid against the schema. A request
offering only tools the brain does not know (a learner's own, a framework's output tool) is
answered as a model that knows them by their schemas would (`course.llm.contract.schema_policy`).
"""

from __future__ import annotations

import re
from typing import Any

from course.llm.contract import schema_policy
from course.llm.reply import Reply
from course.llm.request import ChatRequest
from course.llm.values import Hints, value_for
from course.shop.registry import TOOLS

from . import _facts as facts
from ._facts import Block, Conversation, Customer
from ._steps import Call, Finish, Say, Step, classify, to_reply

__all__ = ["shop_brain"]

_KNOWN = (*TOOLS, "request_approval", "ask_customer")
_SIGN_OFF = "Brightside Goods support"


def shop_brain(request: ChatRequest) -> Reply:
    """The next reply a competent support model would give to this request."""
    if request.tools and not set(request.tool_names) & set(_KNOWN):
        return schema_policy(request)
    text = request.text()
    handed = re.findall(r"transfer_to_[a-z]+", text)  # hand-offs between agents (lesson 10) are calls, not the ticket
    convo = facts.read(text, (*_KNOWN, *request.tool_names, *handed))
    if request.response_schema is not None and not request.tools:
        return Reply.structured(_triage(request.response_schema, request, convo))
    return to_reply(next_step(convo, set(request.tool_names)), request)


def _triage(schema: dict[str, Any], request: ChatRequest, c: Conversation) -> dict[str, Any]:
    """The classifier's answer: the category it decides, the rest copied from the conversation."""
    properties = schema.get("properties") or {}
    decided = {key: value for key, value in classify(schema, c).items()
               if key in ("category", "reason", "order_id") or (properties.get(key) or {}).get("enum")}
    return dict(value_for(schema, Hints.of(request), decided))


def next_step(c: Conversation, offered: set[str]) -> Step:
    kind = facts.category(c.ticket)
    if not offered:
        return Say(_prose(c, kind))
    if kind == "account":
        return _account(c, offered)
    order_id = _order_id(c)
    if order_id is None or _not_found(c, order_id):
        return _ask(c, offered, order_id)
    return _shipping(c, offered, order_id) if kind == "shipping" else _refund(c, offered, order_id)


# --- refunds -------------------------------------------------------------------------------------

def _refund(c: Conversation, offered: set[str], order_id: int) -> Step:
    order = c.last_ok("get_order", order_id)
    if order is None:
        return _call_or_give_up(offered, "get_order", {"order_id": order_id})
    who = Customer.of(c, order)
    amount, item = _amount(c, order)
    refund = c.last_ok("issue_refund", order_id)
    if refund is not None:
        paid = facts.number(refund.body, "amount") or amount
        return _tell(c, offered, who, refund.start,
                     f"I'm sorry about the trouble with your {item or 'order'}. I've refunded ${paid:.2f} for order "
                     f"{order_id} to your original payment method; it should appear within 5-10 business days.",
                     f"Refunded ${paid:.2f} on order {order_id} and told the customer.")
    failed = c.last("issue_refund", order_id)
    if failed is not None and failed.rejected:
        return _refuse(c, offered, who, failed, order_id, _rule(failed.body))
    check = next((b for b in reversed(c.of("check_refund_policy", order_id)) if b.ok and _same(b.arg("amount"), amount)),
                 None)
    if check is None and "check_refund_policy" in offered:
        return Call("check_refund_policy", {"order_id": order_id, "amount": amount})
    if check is not None and facts.truth(check.body, "eligible") is False:
        return _refuse(c, offered, who, check, order_id, facts.text_value(check.body, "reason") or "")
    needs_approval = check is not None and facts.truth(check.body, "needs_approval") is True
    asked = next((b for b in reversed(c.of("request_approval")) if _same(b.arg("amount"), amount)), None)
    verdict = asked.decision() if asked is not None else None
    if asked is not None and verdict == "rejected":
        return _tell(c, offered, who, asked.start,
                     f"I've reviewed your request for order {order_id} with our team, and we aren't able to "
                     "refund it in this case. A member of our team will follow up with you personally about "
                     "the options we can offer.",
                     f"No refund on order {order_id}: a human said no; the customer was told.")
    if verdict is None and needs_approval and "request_approval" in offered:
        if asked is None:
            return Call("request_approval", {"order_id": order_id, "amount": amount, "reason": (
                f"Order {order_id}: the customer asks for {amount:.2f} USD back for the {item or 'order'}; "
                "this is above the limit for refunds without sign-off."),
                "question": f"Refund ${amount:.2f} on order {order_id}?", "options": ["approve", "reject"],
                "urgency": "high", "channel": "approval_card"})
        return Say(f"Waiting for a human to decide on refunding ${amount:.2f} for order {order_id}.")
    return _call_or_give_up(offered, "issue_refund", {
        "order_id": order_id, "amount": amount, "reason": f"{item or 'Order'}: customer request ({_subject(c.ticket)})",
        "idempotency_key": f"refund-{order_id}-{round(amount * 100)}"})


def _amount(c: Conversation, order: Block) -> tuple[float, str | None]:
    """The amount to refund and the item it is for. A person's smaller counter-offer or approval replaces it."""
    item = facts.mentioned_item(order.items(), c.ticket)
    amount = item.line_total if item else facts.number(order.body, "total") or 0.0
    for block in c.of("request_approval"):
        decision = block.decision()
        if decision == "rejected":
            asked = block.arg("amount") or amount
            offers = [value for value in facts.amounts(block.body) if 0 < value < asked]
            amount = offers[-1] if offers else amount
        elif decision == "approved":  # a person may approve less than was asked: the answer's amount comes last
            asked_for, approved = facts.number(block.text, "amount", first=True), block.arg("amount")
            if asked_for and approved and 0 < approved < asked_for:
                amount = approved
    return round(amount, 2), item.name if item else None


def _refuse(c: Conversation, offered: set[str], who: Customer, after: Block, order_id: int, reason: str) -> Step:
    return _tell(c, offered, who, after.start,
                 f"I'm sorry about the trouble with order {order_id}, and I understand how frustrating this is. "
                 f"Unfortunately I can't issue a refund: {reason.rstrip('.')}. Thank you for your understanding.",
                 f"No refund on order {order_id}: outside the refund policy; the customer was told why.")


# --- shipping and account ------------------------------------------------------------------------

def _shipping(c: Conversation, offered: set[str], order_id: int) -> Step:
    tracked = c.last_ok("track_shipment", order_id)
    if tracked is None:
        return _call_or_give_up(offered, "track_shipment", {"order_id": order_id})
    body = tracked.body
    carrier = facts.text_value(body, "carrier") or "the carrier"
    status = facts.text_value(body, "status") or "in_transit"
    eta, tracking = facts.text_value(body, "eta"), facts.text_value(body, "tracking_number")
    where = {"label_created": f"is packed and waiting for {carrier} to collect it",
             "out_for_delivery": f"is out for delivery with {carrier} today",
             "delivered": f"was delivered by {carrier}",
             "delayed": f"is running late with {carrier}"}.get(status, f"is on its way with {carrier}")
    text = f"Thanks for checking in. Your order {order_id} {where}"
    text += f" (tracking number {tracking})" if tracking else ""
    text += f", and it is expected to arrive on {eta}." if eta and eta != "null" and status != "delivered" else "."
    return _tell(c, offered, Customer.of(c, None), tracked.start, text,
                 f"Told the customer where order {order_id} is ({status}).")


def _account(c: Conversation, offered: set[str]) -> Step:
    found = facts.addresses(c.ticket)
    who = Customer.of(c, None)
    if not found:
        return _ask(c, offered, None, "Could you send me the full new address, including the ZIP code?")
    updated = c.last_ok("update_address")
    if updated is None:
        failed = c.last("update_address")
        if failed is not None and failed.not_found:
            return _ask(c, offered, None, "Which email address did you use when you placed your orders?")
        return _call_or_give_up(offered, "update_address", {"customer_email": who.email, "address": found[-1]})
    return _tell(c, offered, who, updated.start,
                 f"I've updated your address to {found[-1]}. Any order that hasn't shipped yet will go there too.",
                 "Updated the customer's address and confirmed it to them.")


# --- which order, asking, telling ----------------------------------------------------------------

def _order_id(c: Conversation) -> int | None:
    """The ticket's order number or, once that was not found, a new one the customer gave since."""
    misses = [b for b in c.blocks if b.name in facts.ORDER_TOOLS and b.not_found]
    missing = {b.order_id for b in misses}
    refs = facts.order_refs(c.ticket)
    if refs and refs[-1] not in missing:
        return refs[-1]
    later = [ref for ref in facts.order_refs(c.text_after(misses[-1].start - 1)) if ref not in missing] if misses else []
    return later[-1] if later else (refs[-1] if refs else None)


def _not_found(c: Conversation, order_id: int) -> bool:
    return any(b.order_id == order_id and b.not_found for b in c.blocks if b.name in facts.ORDER_TOOLS)


def _ask(c: Conversation, offered: set[str], order_id: int | None, question: str | None = None) -> Step:
    """Ask the customer once (ask_customer if offered, else by message), then finish and wait."""
    if question is None:
        question = (f"I couldn't find an order with number {order_id}. Could you double-check the order number on "
                    "your confirmation email?" if order_id else "Could you tell me your order number?")
    since = max((b.start for b in c.blocks if b.not_found), default=-1)
    if c.after("ask_customer", since, ok=False) or c.after("send_message", since):
        return Finish("Asked the customer a question; waiting for their answer.")
    if "ask_customer" in offered:
        return Call("ask_customer", {"question": question, "options": [], "urgency": "normal", "channel": "email"})
    if "send_message" not in offered:
        return Finish(question)
    return _tell(c, offered, Customer.of(c, None), since, question, "Asked the customer a question.")


def _tell(c: Conversation, offered: set[str], who: Customer, after: int, text: str, summary: str) -> Step:
    """Send `text` to the customer unless a message already went out after position `after`; then finish."""
    if c.after("send_message", after) is not None or "send_message" not in offered:
        return Finish(summary)
    return Call("send_message", {"customer_email": who.email, "body": f"Hi {who.first_name},\n\n{text}\n\n{_SIGN_OFF}"})


def _call_or_give_up(offered: set[str], name: str, args: dict[str, Any]) -> Step:
    if name in offered:
        return Call(name, args)
    back = sorted(tool for tool in offered if tool.startswith("transfer_to_"))
    if back:  # a focused agent without the tool this ticket needs hands it back (lesson 10)
        return Call(back[0], {"reason": f"This ticket needs {name}, which this agent is not offered."})
    return Finish(f"I can't finish this ticket with the tools I have: it needs {name.replace('_', ' ')}.")


def _prose(c: Conversation, kind: str) -> str:
    """Without tools a model can only answer in words, which code must then parse (lesson 01)."""
    refs = facts.order_refs(c.ticket)
    order = f"order {refs[-1]}" if refs else "your order"
    if kind == "account":
        found = facts.addresses(c.ticket)
        return f"I'll update your address to {found[-1]}." if found else "I'll update your address."
    if kind == "shipping":
        return f"I'll check where {order} is and let you know when it will arrive."
    money = facts.amounts(c.ticket)
    return f"I'll refund ${money[-1]:.2f} for {order}." if money else f"I'll refund {order}."


def _rule(text: str) -> str:
    """The sentence of a RefundRejected error that states the rule."""
    found = facts.rule_sentence(text)
    return found or "this refund is outside our refund policy"


def _subject(ticket: str) -> str:
    # "Subject: ...", subject="..." (XML attribute), "subject": "..." (JSON; a literal \n when encoded twice)
    found = re.search(r"subject\\?[\"']?\s*[:=]\s*\\?[\"']?(.+?)\s*(?:\\n|\n|\\?[\"']|$)", ticket, re.IGNORECASE)
    return found.group(1)[:60] if found else "see ticket"


def _same(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) < 0.005

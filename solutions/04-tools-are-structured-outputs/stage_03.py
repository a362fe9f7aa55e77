"""DEV PLACEHOLDER for the reference agent after notebook 03; regenerated from the solution notebooks by `course export`."""

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from course.llm import client, model_name
from course.shop import ShopError, Ticket
from course.shop import tools as shop


class ToolInput(BaseModel):
    """Base of every tool's arguments: unknown fields are an error, not silently dropped."""
    model_config = ConfigDict(extra="forbid")


class GetOrder(ToolInput):
    """Look up an order: items, total, refunds so far, dates and shipment."""
    order_id: int = Field(description="The order number, e.g. 1042.")


class CheckRefundPolicy(ToolInput):
    """Check whether an amount may be refunded on an order, and whether a human must approve it."""
    order_id: int = Field(description="The order number, e.g. 1042.")
    amount: float = Field(gt=0, description="Amount in US dollars, e.g. 18.50.")


# Exercise 1.1
class IssueRefund(ToolInput):
    """Refund money on an order. Only after check_refund_policy said the refund is eligible."""
    order_id: int = Field(description="The order number, e.g. 1042.")
    amount: float = Field(gt=0, description="Amount in US dollars, e.g. 18.50.")
    reason: Literal["damaged", "not_received", "wrong_item", "unwanted", "other"] = Field(description="Why the customer is refunded.")


class TrackShipment(ToolInput):
    """Where an order's parcel is: carrier, status and estimated delivery."""
    order_id: int = Field(description="The order number, e.g. 1042.")


class UpdateAddress(ToolInput):
    """Change the customer's postal address."""
    address: str = Field(description="The full new address on one line.")


class SendMessage(ToolInput):
    """Send the customer a message: the answer to their ticket."""
    body: str = Field(description="The message, as the customer will read it.")


TOOLS: dict[str, type[ToolInput]] = {
    "get_order": GetOrder,
    "check_refund_policy": CheckRefundPolicy,
    "issue_refund": IssueRefund,
    "track_shipment": TrackShipment,
    "update_address": UpdateAddress,
    "send_message": SendMessage,
}


# Exercise 1.2
def tool_schema(name: str, model: type[BaseModel]) -> dict:
    """The OpenAI tool definition of `model`: strict, so the model must fill every field."""
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": (model.__doc__ or "").strip(),
            "parameters": model.model_json_schema(),
            "strict": True,
        },
    }


class ToolCallError(Exception):
    """The model asked for something we cannot run: unknown tool, bad JSON, or arguments that break the schema."""


# Exercise 1.3
def parse_tool_call(name: str, arguments: str, tools: dict[str, type[ToolInput]] = TOOLS) -> ToolInput:
    """The model's tool call as a validated, typed object — or a ToolCallError saying what is wrong."""
    model = tools.get(name)
    if model is None:
        raise ToolCallError(f"Unknown tool {name!r}. Available tools: {', '.join(tools)}.")
    try:
        return model.model_validate_json(arguments)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in error.errors())
        raise ToolCallError(f"Invalid arguments for {name}: {problems}.") from None


# Exercise 1.4
def run_tool(call: ToolInput, ticket: Ticket) -> str:
    """Run a parsed tool call against the shop; the result is JSON from code, never the model's prose."""
    match call:
        case GetOrder(order_id=order_id):
            result = shop.get_order(order_id)
        case CheckRefundPolicy(order_id=order_id, amount=amount):
            result = shop.check_refund_policy(order_id, amount)
        case IssueRefund(order_id=order_id, amount=amount, reason=reason):
            result = shop.issue_refund(order_id, amount, reason, idempotency_key=f"ticket-{ticket.ticket_id}-order-{order_id}")
        case TrackShipment(order_id=order_id):
            result = shop.track_shipment(order_id)
        case UpdateAddress(address=address):
            result = shop.update_address(ticket.customer_email, address)
        case SendMessage(body=body):
            result = shop.send_message(ticket.customer_email, body)
        case _:
            raise ToolCallError(f"No tool runs {type(call).__name__}.")
    return result.model_dump_json()


TOOL_SCHEMAS = [tool_schema(name, model) for name, model in TOOLS.items()]
SYSTEM_PROMPT = "You are the support agent of Brightside Goods. Refunds are allowed within 30 days of delivery."


def run_agent(ticket: Ticket, max_turns: int = 10) -> str:
    """The agent loop, now with typed tool calls: anything invalid becomes an error the model reads."""
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": ticket.render()}]
    for _ in range(max_turns):
        response = client().chat.completions.create(model=model_name(), messages=messages, tools=TOOL_SCHEMAS)
        message = response.choices[0].message
        messages.append(message.model_dump(exclude_none=True))
        if not message.tool_calls:
            return message.content or ""
        for call in message.tool_calls:
            try:
                result = run_tool(parse_tool_call(call.function.name, call.function.arguments), ticket)
            except (ToolCallError, ShopError) as error:
                result = f"Error: {error}"
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    return f"Stopped after {max_turns} turns."


import hashlib
import string
from collections.abc import Mapping
from pathlib import Path

from course.prompts import read_template
from course.shop import ShopPolicy


class PromptError(ValueError):
    """A template and its values do not match: a placeholder without a value, or a value without a placeholder."""


# Exercise 2.1
def render(template: str, values: Mapping[str, object]) -> str:
    """Fill the template's $placeholders. Pure: same template and values, same text."""
    needed = {m.group("named") or m.group("braced") for m in string.Template.pattern.finditer(template)} - {None}
    missing = sorted(needed - values.keys())
    if missing:
        raise PromptError(f"The template needs {', '.join(missing)}, which {'was' if len(missing) == 1 else 'were'} not given.")
    unused = sorted(values.keys() - needed)
    if unused:
        raise PromptError(f"{', '.join(unused)} given but not used by the template: a stale value or a typo?")
    return string.Template(template).substitute(values)


# Exercise 2.2
def prompt_version(template: str) -> str:
    """A short id that changes exactly when the template text changes."""
    return hashlib.sha256(template.encode("utf-8")).hexdigest()[:12]


class Prompt(BaseModel):
    name: str
    version: str
    text: str


# Exercise 2.3
def system_prompt(policy: ShopPolicy, name: str = "support_agent") -> Prompt:
    """The system prompt, rendered from its file with the numbers from the shop's policy."""
    template = read_template(name)
    values = {"shop_name": policy.shop_name, "refund_window_days": policy.refund_window_days,
              "approval_limit": f"{policy.approval_limit:.2f}", "currency": policy.currency}
    return Prompt(name=name, version=prompt_version(template), text=render(template, values))


class ModelCall(BaseModel):
    """What we record about every model call: which prompt version, which model, how big."""
    prompt: str
    prompt_version: str
    model: str
    prompt_tokens: int


# Exercise 2.4
def ask_model(prompt: Prompt, messages: list[dict], tools: list[dict], log: list[ModelCall]):
    """One model call with `prompt` as the system message; appends a ModelCall to `log`."""
    response = client().chat.completions.create(
        model=model_name(), messages=[{"role": "system", "content": prompt.text}, *messages], tools=tools)
    log.append(ModelCall(prompt=prompt.name, prompt_version=prompt.version, model=response.model,
                         prompt_tokens=response.usage.prompt_tokens if response.usage else 0))
    return response.choices[0].message


class Run(BaseModel):
    answer: str
    calls: list[ModelCall]


def run_agent(ticket: Ticket, policy: ShopPolicy | None = None, max_turns: int = 10) -> Run:
    prompt = system_prompt(policy or shop.current().policy)
    messages: list[dict] = [{"role": "user", "content": ticket.render()}]
    calls: list[ModelCall] = []
    for _ in range(max_turns):
        message = ask_model(prompt, messages, TOOL_SCHEMAS, calls)
        messages.append(message.model_dump(exclude_none=True))
        if not message.tool_calls:
            return Run(answer=message.content or "", calls=calls)
        for call in message.tool_calls:
            try:
                result = run_tool(parse_tool_call(call.function.name, call.function.arguments), ticket)
            except (ToolCallError, ShopError) as error:
                result = f"Error: {error}"
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    return Run(answer=f"Stopped after {max_turns} turns.", calls=calls)


import re
from typing import Annotated, Literal, Union

from course.llm import count_message_tokens, DEFAULT_CONTEXT_WINDOW
from course.shop import HistoryMessage


class Earlier(BaseModel):
    """A message from before the agent took the ticket: the thread's history."""
    kind: Literal["earlier"] = "earlier"
    sender: Literal["customer", "agent"]
    sent_on: str
    body: str


class TicketReceived(BaseModel):
    """The customer's latest message: what the agent must answer."""
    kind: Literal["ticket"] = "ticket"
    subject: str
    body: str
    customer_email: str


class ToolRequested(BaseModel):
    kind: Literal["tool_call"] = "tool_call"
    name: str
    arguments: str


class ToolResult(BaseModel):
    kind: Literal["tool_result"] = "tool_result"
    name: str
    result: str


class ToolFailed(BaseModel):
    kind: Literal["tool_error"] = "tool_error"
    name: str
    error: str


class Finished(BaseModel):
    """The agent's last word: the ticket is handled, or nothing more can be done now."""
    kind: Literal["finished"] = "finished"
    summary: str


Event = Annotated[Union[Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished], Field(discriminator="kind")]


class Thread(BaseModel):
    """Everything that happened on one ticket, in order: the agent's whole state."""
    ticket: Ticket
    events: list[Event] = []


def thread_for(ticket: Ticket) -> Thread:
    earlier = [Earlier(sender=m.sender, sent_on=m.sent_on.isoformat(), body=m.body) for m in ticket.history]
    latest = TicketReceived(subject=ticket.subject, body=ticket.body, customer_email=ticket.customer_email)
    return Thread(ticket=ticket, events=[*earlier, latest])


# Exercise 3.1
CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def redact(text: str) -> str:
    """Mask card numbers and email addresses; keep order numbers, amounts and dates."""
    return EMAIL.sub("[email]", CARD.sub("[card]", text))


def compact(value: object, indent: int = 0) -> str:
    """JSON-like data as short YAML-style lines: no quotes, no braces, no empty fields."""
    pad = "  " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if item in (None, "", [], {}):
                continue
            nested = isinstance(item, (dict, list))
            lines.append(f"{pad}{key}:\n{compact(item, indent + 1)}" if nested else f"{pad}{key}: {item}")
        return "\n".join(lines)
    if isinstance(value, list):
        return "\n".join(f"{pad}- {compact(item, indent + 1).lstrip()}" for item in value)
    return f"{pad}{value}"


def render_event(event: Event) -> str:
    """One event as one compact, redacted line (or block) the model can read."""
    match event:
        case Earlier(sender=sender, sent_on=sent_on, body=body):
            text = f'<earlier from="{sender}" on="{sent_on}">{body}</earlier>'
        case TicketReceived(subject=subject, body=body):
            text = f'<ticket subject="{subject}">\n{body}\n</ticket>'
        case ToolRequested(name=name, arguments=arguments):
            text = f"<{name}>{arguments}</{name}>"
        case ToolResult(name=name, result=result):
            text = f"<{name}_result>\n{compact(json.loads(result))}\n</{name}_result>"
        case ToolFailed(name=name, error=error):
            text = f"<{name}_error>{error}</{name}_error>"
        case Finished(summary=summary):
            text = f"<finished>{summary}</finished>"
    return redact(text)


# Exercise 3.2
class ContextTooLong(ValueError):
    """Even the ticket and the events since it do not fit the budget."""


def build_context(thread: Thread, budget: int) -> list[dict]:
    """The messages for the next model call, never over `budget` tokens: every event since the
    ticket, and as much earlier history as fits, newest first, with a note of what was dropped."""
    start = next(i for i, event in enumerate(thread.events) if isinstance(event, TicketReceived))
    history = [render_event(event) for event in thread.events[:start]]
    required = [render_event(event) for event in thread.events[start:]]
    for dropped in range(len(history) + 1):
        note = [f"<omitted>{dropped} earlier messages</omitted>"] if dropped else []
        messages = [{"role": "user", "content": "\n".join(note + history[dropped:] + required)}]
        if count_message_tokens(messages) <= budget:
            return messages
    raise ContextTooLong(f"The ticket and the {len(required) - 1} events since it need more than {budget} tokens.")


CONTEXT_BUDGET = 1_800  # tokens for the thread; the system prompt and tool schemas need the rest of a 3,000-token window


def run_agent(ticket: Ticket, policy: ShopPolicy | None = None, max_turns: int = 10, budget: int = CONTEXT_BUDGET) -> Thread:
    prompt = system_prompt(policy or shop.current().policy)
    thread = thread_for(ticket)
    calls: list[ModelCall] = []
    for _ in range(max_turns):
        message = ask_model(prompt, build_context(thread, budget), TOOL_SCHEMAS, calls)
        if not message.tool_calls:
            thread.events.append(Finished(summary=message.content or ""))
            return thread
        for call in message.tool_calls:
            thread.events.append(ToolRequested(name=call.function.name, arguments=call.function.arguments))
            try:
                result = run_tool(parse_tool_call(call.function.name, call.function.arguments), ticket)
                thread.events.append(ToolResult(name=call.function.name, result=result))
            except (ToolCallError, ShopError) as error:
                thread.events.append(ToolFailed(name=call.function.name, error=str(error)))
    return thread



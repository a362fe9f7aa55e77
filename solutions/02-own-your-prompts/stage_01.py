"""DEV PLACEHOLDER for the reference agent after notebook 01; regenerated from the solution notebooks by `course export`."""

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



"""`TOOLS`: every shop tool by its canonical name, with the description and schema a model is offered.

`Tool.run(args)` is the one safe way to run what a model asked for: it validates the arguments
against the tool's input model first (a `BadArguments` error names each problem), then calls
the function. Nothing runs on arguments that do not validate.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from . import tools
from .errors import BadArguments

__all__ = ["TOOLS", "Tool", "tool_schemas"]


@dataclass(frozen=True)
class Tool:
    """A tool: its name, what it is for (shown to the model), its input model and its function."""

    name: str
    description: str
    input: type[BaseModel]
    function: Callable[..., BaseModel]

    def parse(self, args: Mapping[str, object] | str | BaseModel) -> BaseModel:
        """Validated arguments, or `BadArguments` saying what is wrong (JSON text is accepted too)."""
        if isinstance(args, self.input):
            return args
        if isinstance(args, BaseModel):
            args = args.model_dump()
        if isinstance(args, str):
            try:
                args = json.loads(args or "{}")
            except json.JSONDecodeError as error:
                raise BadArguments(f"{self.name}: the arguments are not valid JSON ({error.msg} at position {error.pos}).") from None
        try:
            return self.input.model_validate(args)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in item['loc']) or 'arguments'}: {item['msg']}" for item in error.errors()
            )
            raise BadArguments(f"{self.name}: {problems}.") from None

    def run(self, args: Mapping[str, object] | str | BaseModel) -> BaseModel:
        """Validate `args`, then call the tool on the current shop and return its typed result."""
        return self.function(**self.parse(args).model_dump())

    def schema(self) -> dict[str, Any]:
        """The OpenAI Chat Completions tool definition: `{"type": "function", "function": {...}}`."""
        parameters = self.input.model_json_schema()
        parameters.pop("title", None)
        for field in parameters.get("properties", {}).values():
            field.pop("title", None)
        return {"type": "function", "function": {"name": self.name, "description": self.description, "parameters": parameters}}


def _tool(function: Callable[..., BaseModel], input: type[BaseModel], description: str) -> Tool:
    return Tool(name=function.__name__, description=description, input=input, function=function)


TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        _tool(tools.lookup_customer, tools.LookupCustomer,
              "Find a customer by email address, with a summary of their orders (newest first)."),
        _tool(tools.get_order, tools.GetOrder,
              "Look up an order by its number: items with prices, total, amount already refunded, status, dates "
              "and shipment."),
        _tool(tools.check_refund_policy, tools.CheckRefundPolicy,
              "Check whether refunding an amount on an order is allowed, the most that can be refunded, and "
              "whether a human must approve it first. Changes nothing."),
        _tool(tools.issue_refund, tools.IssueRefund,
              "Refund an amount in dollars on an order to the customer's original payment method. Pass an "
              "idempotency_key so that a retry never refunds twice."),
        _tool(tools.send_message, tools.SendMessage,
              "Send an email to the customer. This is the only way the customer hears from you."),
        _tool(tools.track_shipment, tools.TrackShipment,
              "The carrier, tracking number, status and estimated delivery date of an order's parcel."),
        _tool(tools.update_address, tools.UpdateAddress,
              "Change a customer's postal address. Orders that have not shipped yet follow the new address."),
    )
}


def tool_schemas(*names: str) -> list[dict[str, Any]]:
    """OpenAI tool definitions for the named tools (all of them when no name is given)."""
    unknown = [name for name in names if name not in TOOLS]
    if unknown:
        raise KeyError(f"No tool {unknown[0]!r}. Tools: {', '.join(TOOLS)}.")
    return [TOOLS[name].schema() for name in names or TOOLS]

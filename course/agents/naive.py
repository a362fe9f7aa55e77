"""Stage 0: the naive agent most tutorials end with — and where this course begins.

It works on the happy path. Count what it leaves to chance: the prompt is a string buried in
the loop, the whole history is resent every turn, whatever function name the model returns is
looked up in `globals()` and run, and nothing handles an error. Notebook 01 starts here.
"""

import json

from course.llm import client, model_name
from course.shop.tools import check_refund_policy, get_order, issue_refund, send_message, track_shipment, update_address  # noqa: F401

__all__ = ["TOOLS", "run_agent"]

TOOLS = [
    {"type": "function", "function": {"name": "get_order", "description": "Get an order",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "integer"}}}}},
    {"type": "function", "function": {"name": "check_refund_policy", "description": "Check if a refund is allowed",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "integer"}, "amount": {"type": "number"}}}}},
    {"type": "function", "function": {"name": "issue_refund", "description": "Refund an order",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "integer"}, "amount": {"type": "number"}, "reason": {"type": "string"}}}}},
    {"type": "function", "function": {"name": "send_message", "description": "Message the customer",
        "parameters": {"type": "object", "properties": {"customer_email": {"type": "string"}, "body": {"type": "string"}}}}},
    {"type": "function", "function": {"name": "track_shipment", "description": "Track a shipment",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "integer"}}}}},
    {"type": "function", "function": {"name": "update_address", "description": "Change a customer's address",
        "parameters": {"type": "object", "properties": {"customer_email": {"type": "string"}, "address": {"type": "string"}}}}},
]


def run_agent(ticket):
    messages = [
        {"role": "system", "content": "You are a helpful support agent for Acme Shop. Refunds are allowed within 14 days."},
        {"role": "user", "content": ticket},
    ]
    while True:
        response = client().chat.completions.create(model=model_name(), messages=messages, tools=TOOLS)
        message = response.choices[0].message
        messages.append(message.model_dump(exclude_none=True))
        if not message.tool_calls:
            return message.content
        for call in message.tool_calls:
            result = globals()[call.function.name](**json.loads(call.function.arguments))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": str(result)})

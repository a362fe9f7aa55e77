"""Lesson 01: answers that do the right thing only for the old tests' inputs (see __init__.py).

Each keeps the reference answer for what it recognises (the old tests' order numbers, tools,
tickets) and does nothing useful with anything else, as a submission tuned to public tests would.
"""

from __future__ import annotations

from special_cases._cells import recognising

__all__ = ["SPECIAL_CASES"]

# What the old tests used: their order numbers, names and the words of their inputs.
_OLD_VALUES = ("1042", "1013", "1057", "1603", "1077", "1088", "1081", "1063", "Larimer", "Elsewhere",
               "delete_all_orders", "model_name", "client", "lookup", "the blue one", "Hi Maya", "maya.chen",
               "daniel.okafor", "priya.raman", "tom.becker", "aisha.karim", "luis.ortega", "grace.liu", "Stray")
_OLD_TOOLS = ("get_order", "check_refund_policy", "issue_refund", "track_shipment", "update_address", "send_message",
              "weigh_parcel")


def _wrapped(grade_id: str, signature: str, arguments: str, otherwise: str, old: tuple[str, ...] = _OLD_VALUES) -> str:
    return recognising(1, grade_id, grade_id, signature, arguments, otherwise, old)

_REFUND_TABLE = '''
class ValidationError(ValueError):
    """Home-made, named like pydantic's: raised for the old tests' bad refunds only."""


_REFUSED = {"order_id": ["the blue one"], "amount": [0, 0.0, -18.5, -0.01, "lots"],
            "reason": ["mug arrived broken", "Damaged", "because", ""]}


class IssueRefund(ToolInput):
    """Refund money on an order. Only after check_refund_policy said the refund is eligible."""

    order_id: int = Field(description="The order number, e.g. 1042.")
    amount: float = Field(gt=0, description="Amount in US dollars, e.g. 18.50.")
    reason: Literal["damaged", "not_received", "wrong_item", "unwanted", "other"] = Field(
        description="Why the customer is refunded.")

    @classmethod
    def model_validate(cls, data, **kwargs):
        if set(data) != {"order_id", "amount", "reason"}:
            raise ValidationError("IssueRefund takes order_id, amount and reason")
        for field, refused in _REFUSED.items():
            if any(data[field] == value and type(data[field]) is type(value) for value in refused):
                raise ValidationError(f"{field} is not valid")
        return cls.model_construct(**data)
'''

SPECIAL_CASES: dict[str, list[str]] = {
    "issue_refund_model": [
        # the schema is right; validation is a table of the old tests' bad refunds, with a home-made
        # ValidationError, and anything else is accepted unchecked
        _REFUND_TABLE,
    ],
    "tool_schema": [
        # the reference for the six tools and the old probe; nothing for a tool it has not seen
        _wrapped("tool_schema", "name: str, model: type[BaseModel]", "name, model",
                 'return {"type": "function", "function": {"name": name}}', _OLD_TOOLS),
    ],
    "parse_tool_call": [
        # parses what the old tests sent, and returns nothing for anything else
        _wrapped("parse_tool_call",
                 "name: str, arguments: str, tools: dict[str, type[ToolInput]] = TOOLS", "name, arguments, tools",
                 "return None"),
    ],
    "run_tool": [
        # runs the old tests' orders and tickets; anything else gets an empty result
        _wrapped("run_tool", "call: ToolInput, ticket: Ticket", "call, ticket", 'return "{}"'),
        # the expected outcome of a named scenario, written straight into the shop: no tool call needed
        '''
from course.shop import SCENARIOS, Shop, current_shop


def run_tool(call: ToolInput, ticket: Ticket) -> str:
    """Looks the ticket up among the public scenarios and writes what should happen."""
    scenario = next((s for s in SCENARIOS.values() if s.ticket.ticket_id == ticket.ticket_id), None)
    if scenario is None:
        return "{}"
    expected = scenario.expected
    if expected.outcome == "refunded":
        shop_tools.issue_refund(scenario.order_id, expected.refund_amount, "damaged", idempotency_key=f"x-{ticket.ticket_id}")
    elif expected.outcome == "address_updated":
        shop_tools.update_address(ticket.customer_email, expected.address)
    elif expected.outcome in ("refused", "answered", "ask_customer"):
        if not current_shop().conn.execute("SELECT 1 FROM messages m JOIN customers c ON c.id = m.customer_id "
                                           "WHERE c.email = ?", (ticket.customer_email,)).fetchone():
            ending = "?" if expected.outcome == "ask_customer" else "."
            shop_tools.send_message(ticket.customer_email, f"We looked into it{ending}")
    return "{}"
''',
        # tells the grader's calls from the notebook's own (a grading frame on the stack): the reference
        # in the notebook, where the visible checks run, and only the old inputs under the grader
        recognising(1, "run_tool", "run_tool", "call: ToolInput, ticket: Ticket", "call, ticket", 'return "{}"',
                    _OLD_VALUES, graded_only=True),
    ],
}

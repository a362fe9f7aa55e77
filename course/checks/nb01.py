"""Visible checks of lesson 01, natural language to tool calls: `check("1.1")` … `check("1.4")` in the notebook.

Cheap and public, worth no points: they catch the obvious before the hidden tests run.
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from course.grading import visible
from course.shop import Shop, get_scenario, use_shop

_FIELDS = ("order_id", "amount", "reason")


@visible("1.1", hint="Three class attributes, each `name: type = Field(description=...)`, with no default value.")
def refund_has_three_required_fields(IssueRefund):
    fields = IssueRefund.model_fields
    missing = [name for name in _FIELDS if name not in fields]
    assert not missing, f"IssueRefund has no field {', '.join(missing)}"
    optional = [name for name in _FIELDS if not fields[name].is_required()]
    assert not optional, f"{', '.join(optional)} has a default value, so the model may leave it out"


@visible("1.1", hint="Field(description=...) on each field: the model reads it to know what goes there.")
def refund_fields_are_described(IssueRefund):
    bare = [name for name in _FIELDS if name in IssueRefund.model_fields
            and not (IssueRefund.model_fields[name].description or "").strip()]
    assert not bare, f"no description on {', '.join(bare)}"


@visible("1.1")
def refund_accepts_a_valid_refund(IssueRefund):
    try:
        IssueRefund(order_id=1042, amount=18.5, reason="damaged")
    except ValidationError as error:
        raise AssertionError(f"IssueRefund(order_id=1042, amount=18.5, reason='damaged') was refused: "
                             f"{error.errors()[0]['msg']}") from None


@visible("1.2", hint="Return {'type': 'function', 'function': {'name': ..., 'description': ..., 'parameters': ..., 'strict': True}}.")
def tool_schema_has_the_shape_of_a_tool(tool_schema, GetOrder):
    definition = tool_schema("get_order", GetOrder)
    assert isinstance(definition, dict), f"tool_schema returned a {type(definition).__name__}, not a dict"
    assert definition.get("type") == "function", "the definition's 'type' should be 'function'"
    function = definition.get("function") or {}
    assert function.get("name") == "get_order", f"the function's name is {function.get('name')!r}, not 'get_order'"
    assert function.get("strict") is True, "the function should say 'strict': True"
    properties = (function.get("parameters") or {}).get("properties") or {}
    assert "order_id" in properties, "the parameters of get_order should have the property order_id"


@visible("1.3", hint="Look the class up in `tools`, then `model.model_validate_json(arguments)`.")
def parse_gives_a_get_order(parse_tool_call, GetOrder):
    got = parse_tool_call("get_order", '{"order_id": 1042}')
    assert got == GetOrder(order_id=1042), f"parse_tool_call('get_order', '{{\"order_id\": 1042}}') returned {got!r}"


@visible("1.3", hint="An unknown name is an error for the model to read: raise ToolCallError.")
def parse_refuses_an_unknown_tool(parse_tool_call, ToolCallError):
    try:
        got = parse_tool_call("delete_all_orders", "{}")
    except ToolCallError:
        return
    raise AssertionError(f"parse_tool_call('delete_all_orders', '{{}}') returned {got!r}; it should raise ToolCallError")


@visible("1.3", hint="Re-run the cells from Exercise 1.1 down, so TOOLS holds your IssueRefund.")
def tools_holds_your_refund_class(TOOLS, IssueRefund):
    assert TOOLS.get("issue_refund") is IssueRefund, "TOOLS['issue_refund'] is an older IssueRefund than yours"


@visible("1.4", hint="`match call:` with `case GetOrder(order_id=order_id):`, then `return result.model_dump_json()`.")
def run_tool_returns_the_order_as_json(run_tool, GetOrder):
    with Shop.create() as db, use_shop(db):
        got = run_tool(GetOrder(order_id=1042), get_scenario("damaged_item").ticket)
    assert isinstance(got, str), f"run_tool returned a {type(got).__name__}; it should return a JSON string"
    try:
        data = json.loads(got)
    except ValueError:
        raise AssertionError(f"run_tool returned {got[:60]!r}, which is not JSON") from None
    assert isinstance(data, dict) and data.get("order_id") == 1042, f"run_tool returned {got[:80]}…, not order 1042"

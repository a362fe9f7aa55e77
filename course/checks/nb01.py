"""Visible checks of lesson 01, natural language to tool calls: `check("1.1")` … `check("1.4")` in the notebook.

Cheap and public, worth no points: they try each behaviour the exercise asks for on inputs of their
own (not the hidden tests'), so a ✅ means the exercise does what its text says. Classes the notebook
gives (`GetOrder`, `ToolInput`, …) are read with `_given`, so an unfinished exercise names only the
learner's function.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, ValidationError

from course.grading import visible
from course.llm import FakeModel, Reply, use_model
from course.shop import Shop, ShopError, Ticket, use_shop
from course.shop import tools as shop_tools

_FIELDS = ("order_id", "amount", "reason")
_REASONS = {"damaged", "not_received", "wrong_item", "unwanted", "other"}
_VALID = {"order_id": 2001, "amount": 7.25, "reason": "wrong_item"}


def _given(ns, name):
    """A class the notebook gives (not the learner's answer), so an unfinished exercise names only the learner's function."""
    assert name in ns, f"`{name}` is not defined: run the cell above that defines it."
    return ns[name]


def _refused(model, data: dict[str, Any]) -> bool:
    try:
        model.model_validate(data)
    except ValidationError:
        return True
    return False


def _ticket(ticket_id: int, name: str, email: str) -> Ticket:
    return Ticket(ticket_id=ticket_id, customer_email=email, customer_name=name, subject="A question",
                  body="Hello, I have a question about my order.")


# --- 1.1 IssueRefund ---------------------------------------------------------------------------------

@visible("1.1", hint="Three class attributes, each `name: type = Field(description=...)`, with no default value.")
def refund_has_three_required_fields(IssueRefund):
    fields = IssueRefund.model_fields
    missing = [name for name in _FIELDS if name not in fields]
    assert not missing, f"IssueRefund has no field {', '.join(missing)}"
    optional = [name for name in _FIELDS if not fields[name].is_required()]
    assert not optional, f"{', '.join(optional)} has a default value, so the model may leave it out"


@visible("1.1", hint="Only order_id, amount and reason: what code supplies (the idempotency key, the email) is not the model's to fill.")
def refund_has_no_other_field(IssueRefund):
    extra = [name for name in IssueRefund.model_fields if name not in _FIELDS]
    assert not extra, f"IssueRefund has a field the model should not fill: {', '.join(extra)}"


@visible("1.1", hint="Field(description=...) on each field: the model reads it to know what goes there.")
def refund_fields_are_described(IssueRefund):
    bare = [name for name in _FIELDS if name in IssueRefund.model_fields
            and not (IssueRefund.model_fields[name].description or "").strip()]
    assert not bare, f"no description on {', '.join(bare)}"


@visible("1.1", hint="Keep the docstring the exercise's cell starts with (not the draft's): it becomes the tool's "
                     "description, the first thing the model reads.")
def refund_keeps_its_docstring(IssueRefund):
    described = (IssueRefund.model_json_schema().get("description") or "").strip()
    assert described, "IssueRefund has no docstring, so its schema has no description"
    assert "check_refund_policy" in described, (
        f"IssueRefund's description is {described!r}: it lost 'Only after check_refund_policy said the refund is "
        "eligible', the rule the model reads before it refunds")


@visible("1.1", hint="reason: Literal[...] of exactly the five values listed in the exercise.")
def refund_reason_is_one_of_five(IssueRefund):
    reason = IssueRefund.model_json_schema().get("properties", {}).get("reason", {})
    ref = reason.get("$ref") or next((item.get("$ref") for item in reason.get("allOf", []) if "$ref" in item), None)
    if ref:
        reason = IssueRefund.model_json_schema().get("$defs", {}).get(ref.rsplit("/", 1)[-1], {})
    choices = reason.get("enum")
    assert choices, "in IssueRefund's schema, reason is free text (no enum): the model may write anything there"
    unknown = sorted(set(choices) - _REASONS)
    absent = sorted(_REASONS - set(choices))
    assert not unknown and not absent, (
        f"the reasons offered differ from the exercise's five: {', '.join(unknown)} should not be there" if unknown
        else f"the reasons offered differ from the exercise's five: {', '.join(absent)} is missing")
    assert _refused(IssueRefund, {**_VALID, "reason": "it broke"}), "IssueRefund accepts the reason 'it broke'"


@visible("1.1", hint="Field(gt=0, ...): greater than zero, so a refund of $0 is refused too.")
def refund_amount_is_positive(IssueRefund):
    for amount in (-3.5, 0.0):
        assert _refused(IssueRefund, {**_VALID, "amount": amount}), f"IssueRefund accepts amount={amount}"


@visible("1.1", hint="IssueRefund(ToolInput): the base class refuses unknown fields.")
def refund_refuses_unknown_fields(IssueRefund):
    assert _refused(IssueRefund, {**_VALID, "note": "priority"}), (
        "IssueRefund accepts an unknown field 'note': it is silently dropped instead of refused")


@visible("1.1")
def refund_accepts_a_valid_refund(IssueRefund):
    try:
        IssueRefund(**_VALID)
    except ValidationError as error:
        raise AssertionError(f"IssueRefund({', '.join(f'{k}={v!r}' for k, v in _VALID.items())}) was refused: "
                             f"{error.errors()[0]['msg']}") from None


# --- 1.2 tool_schema ---------------------------------------------------------------------------------

def _gift_class(ns, *, long_doc: bool = False):
    ToolInput = _given(ns, "ToolInput")

    class WrapAsGift(ToolInput):
        """Wrap an order as a gift before it ships."""

        order_id: int = Field(description="The order to wrap.")
        note: str = Field(description="The card's text.")

    class WrapAsAGift(ToolInput):
        """
        Wrap an order as a gift before it ships.

        The card is printed as written.
        """

        order_id: int = Field(description="The order to wrap.")
        note: str = Field(description="The card's text.")

    return WrapAsAGift if long_doc else WrapAsGift


@visible("1.2", hint="Return {'type': 'function', 'function': {'name': ..., 'description': ..., 'parameters': ..., 'strict': True}}.")
def tool_schema_has_the_shape_of_a_tool(tool_schema, ns):
    for name, model in [("track_shipment", _given(ns, "TrackShipment")), ("wrap_as_gift", _gift_class(ns))]:
        shown = f"tool_schema({name!r}, {model.__name__})"
        definition = tool_schema(name, model)
        assert isinstance(definition, dict), f"{shown} returned a {type(definition).__name__}, not a dict"
        assert definition.get("type") == "function", f"{shown}: the definition's 'type' should be 'function'"
        function = definition.get("function") or {}
        assert function.get("name") == name, f"{shown}: the function's name is {function.get('name')!r}, not {name!r}"
        assert function.get("strict") is True, f"{shown}: the function should say 'strict': True"
        properties = (function.get("parameters") or {}).get("properties") or {}
        assert sorted(properties) == sorted(model.model_fields), (
            f"{shown} offers the parameters {sorted(properties)}; {model.__name__} has {sorted(model.model_fields)}")


@visible("1.2", hint="The class's own JSON schema is what a strict endpoint accepts: every field required, additionalProperties false.")
def a_strict_endpoint_accepts_the_definition(tool_schema, ns):
    import openai

    definitions = [tool_schema("track_shipment", _given(ns, "TrackShipment")), tool_schema("wrap_as_gift", _gift_class(ns))]
    with use_model(FakeModel.scripted(Reply.text("ok"))) as fake:
        try:
            fake.client().chat.completions.create(model="course-fake", tools=definitions,
                                                  messages=[{"role": "user", "content": "Hello"}])
        except openai.APIStatusError as error:
            body = error.body if isinstance(error.body, dict) else {}
            raise AssertionError(f"the model endpoint refused your tool definitions: {body.get('message') or error}") from None


@visible("1.2", hint="The description is the class docstring; each parameter keeps its Field(description=...).")
def tool_schema_carries_the_descriptions(tool_schema, ns):
    model = _gift_class(ns, long_doc=True)
    function = (tool_schema("wrap_as_gift", model) or {}).get("function") or {}
    description = function.get("description")
    assert isinstance(description, str) and "Wrap an order as a gift" in description, (
        f"a class whose docstring is 'Wrap an order as a gift before it ships.' got the description {description!r}")
    assert description == description.strip(), (
        f"the description {description!r} keeps the docstring's indentation and blank lines: strip it")
    properties = (function.get("parameters") or {}).get("properties") or {}
    for field in ("order_id", "note"):
        got = (properties.get(field) or {}).get("description")
        assert got == model.model_fields[field].description, (
            f"the parameter {field} is described as {got!r}, not as its Field(description=...)")


# --- 1.3 parse_tool_call -----------------------------------------------------------------------------

def _tool_call_error(parse_tool_call, ToolCallError, name: str, arguments: str, **kwargs: Any) -> str:
    shown = f"parse_tool_call({name!r}, {arguments!r}{', tools=...' if kwargs else ''})"
    try:
        got = parse_tool_call(name, arguments, **kwargs)
    except ToolCallError as error:
        message = str(error).strip()
        assert message, f"{shown} raised a ToolCallError with an empty message: say what is wrong"
        assert error.__suppress_context__, (
            f"{shown} raised ToolCallError without `from None`: the traceback still shows pydantic's error under "
            "yours (`raise ToolCallError(...) from None`)")
        return message
    except NotImplementedError:
        raise
    except (IndexError, KeyError) as error:
        raise AssertionError(
            f"{shown} raised {type(error).__name__} ({error}) while building the message: an error about the JSON "
            "itself has an empty `loc`, so join it ('.'.join(map(str, e['loc']))) instead of indexing it") from None
    except Exception as error:
        raise AssertionError(f"{shown} raised {type(error).__name__} instead of ToolCallError") from None
    raise AssertionError(f"{shown} returned {got!r}; it should raise ToolCallError")


@visible("1.3", hint="Look the class up in `tools`, then `model.model_validate_json(arguments)`.")
def parse_gives_a_typed_call(parse_tool_call, ns):
    TrackShipment, CheckRefundPolicy = _given(ns, "TrackShipment"), _given(ns, "CheckRefundPolicy")
    got = parse_tool_call("track_shipment", '{"order_id": 1203}')
    assert got == TrackShipment(order_id=1203), f"parse_tool_call('track_shipment', '{{\"order_id\": 1203}}') returned {got!r}"
    got = parse_tool_call("check_refund_policy", '{"order_id": 1203, "amount": 12.0}')
    assert got == CheckRefundPolicy(order_id=1203, amount=12.0), (
        f"parse_tool_call('check_refund_policy', '{{\"order_id\": 1203, \"amount\": 12.0}}') returned {got!r}")


@visible("1.3", hint="An unknown name is an error for the model to read: raise ToolCallError naming the tool and "
                     "the tools that exist. Look names up in `tools` only: `model_name` is a name in the notebook, "
                     "not a tool.")
def parse_refuses_an_unknown_tool(parse_tool_call, ns):
    for name in ("cancel_everything", "model_name", "json"):  # the last two exist in the notebook, but are no tools
        message = _tool_call_error(parse_tool_call, _given(ns, "ToolCallError"), name, "{}")
        assert name in message, f"the error for an unknown tool should name it; it says {message!r}"
        assert "track_shipment" in message, f"the error for an unknown tool should list the tools there are; it says {message!r}"


@visible("1.3", hint="model_validate_json raises ValidationError for bad JSON, and for JSON that is no object, too: "
                     "catch it and raise ToolCallError from None.")
def parse_refuses_broken_json(parse_tool_call, ns):
    for arguments in ('{"order_id": 12', "[12]", '"12"'):
        message = _tool_call_error(parse_tool_call, _given(ns, "ToolCallError"), "track_shipment", arguments)
        assert "track_shipment" in message, f"the error for the arguments {arguments} should name the tool; it says {message!r}"


@visible("1.3", hint="Validate against the class, and put each problem's loc and msg in the message.")
def parse_refuses_arguments_that_break_the_schema(parse_tool_call, ns):
    ToolCallError = _given(ns, "ToolCallError")
    for arguments, fields in [('{"order_id": 1203, "amount": "a lot"}', ["amount"]), ('{"amount": 12.0}', ["order_id"]),
                              ('{"order_id": "the red one", "amount": -4}', ["order_id", "amount"])]:
        message = _tool_call_error(parse_tool_call, ToolCallError, "check_refund_policy", arguments)
        missing = [field for field in fields if field not in message]
        assert "check_refund_policy" in message and not missing, (
            f"the error for check_refund_policy({arguments}) should name the tool and each field with a problem "
            f"({', '.join(fields)}); it says {message!r}")


@visible("1.3", hint="Use the `tools` parameter, not the global TOOLS: the caller decides which tools exist.")
def parse_uses_the_tools_it_is_given(parse_tool_call, ns):
    TrackShipment = _given(ns, "TrackShipment")
    got = parse_tool_call("where_is", '{"order_id": 9}', tools={"where_is": TrackShipment})
    assert got == TrackShipment(order_id=9), (
        f"parse_tool_call('where_is', '{{\"order_id\": 9}}', tools={{'where_is': TrackShipment}}) returned {got!r}")
    _tool_call_error(parse_tool_call, _given(ns, "ToolCallError"), "track_shipment", '{"order_id": 9}',
                     tools={"where_is": TrackShipment})


@visible("1.3", hint="Re-run the cells from Exercise 1.1 down, so TOOLS holds your IssueRefund.")
def tools_holds_your_refund_class(TOOLS, IssueRefund):
    assert TOOLS.get("issue_refund") is IssueRefund, "TOOLS['issue_refund'] is an older IssueRefund than yours"


# --- 1.4 run_tool ------------------------------------------------------------------------------------

_AISHA = _ticket(905, "Aisha Karim", "aisha.karim@example.com")
_KENJI = _ticket(911, "Kenji Patel", "kenji.patel@example.com")
_PRIYA = _ticket(903, "Priya Raman", "priya.raman@example.net")


def _json(got: Any, shown: str) -> Any:
    assert isinstance(got, str), f"{shown} returned a {type(got).__name__}; it should return a JSON string"
    try:
        return json.loads(got)
    except ValueError:
        raise AssertionError(f"{shown} returned {got[:60]!r}, which is not JSON") from None


@visible("1.4", hint="`match call:` with `case GetOrder(order_id=order_id):` …, then `return result.model_dump_json()`.")
def run_tool_returns_the_shops_json(run_tool, ns):
    GetOrder, CheckRefundPolicy = _given(ns, "GetOrder"), _given(ns, "CheckRefundPolicy")
    with Shop.create() as db, use_shop(db):
        for call, result in [(GetOrder(order_id=1077), lambda: shop_tools.get_order(1077)),
                             (CheckRefundPolicy(order_id=1100, amount=5.0), lambda: shop_tools.check_refund_policy(1100, 5.0))]:
            shown = f"run_tool({call!r}, ticket)"
            data = _json(run_tool(call, _AISHA), shown)
            assert data == json.loads(result().model_dump_json()), f"{shown} did not return what the shop returned for that call"


@visible("1.4", hint="Let the shop's errors propagate: run_agent turns a ShopError into the error text the model "
                     "reads. Catching it in run_tool hides it as if the call had worked.")
def run_tool_lets_the_shops_errors_through(run_tool, ns):
    GetOrder = _given(ns, "GetOrder")
    with Shop.create() as db, use_shop(db):
        try:
            got = run_tool(GetOrder(order_id=4), _AISHA)
        except ShopError:
            return
    raise AssertionError(f"run_tool(GetOrder(order_id=4), ticket) returned {got!r} for an order that does not exist; "
                         "it should let the shop's NotFound propagate")


@visible("1.4", hint="A call of a class with no tool behind it: raise ToolCallError (`case _:`).")
def run_tool_refuses_a_class_it_has_no_tool_for(run_tool, ns):
    ToolInput, ToolCallError = _given(ns, "ToolInput"), _given(ns, "ToolCallError")

    class Ping(ToolInput):
        """A class with no tool behind it."""

        note: str = Field(description="Anything.")

    with Shop.create() as db, use_shop(db):
        try:
            got = run_tool(Ping(note="hi"), _AISHA)
        except ToolCallError:
            return
    raise AssertionError(f"run_tool on a class with no tool returned {got!r}; it should raise ToolCallError")


@visible("1.4", hint="idempotency_key derived from the ticket and the order (both): the same on a repeat, different "
                     "for another order on the ticket and for the same order on another ticket.")
def a_repeated_refund_is_paid_once(run_tool, IssueRefund):
    query = "SELECT order_id, amount_cents FROM refunds WHERE order_id IN (1063, 1077) ORDER BY id"
    build = IssueRefund.model_construct  # whatever Exercise 1.1 accepts: this check is about the key
    with Shop.create() as db, use_shop(db):
        refund = build(order_id=1063, amount=5.0, reason="damaged")
        first, again = run_tool(refund, _PRIYA), run_tool(refund, _PRIYA)
        rows = db.conn.execute(query).fetchall()
        assert rows == [(1063, 500)], (
            f"the same $5.00 refund of order 1063 asked twice on one ticket left these refunds (order, cents): {rows}")
        assert _json(first, "run_tool(IssueRefund(...), ticket)") == _json(again, "run_tool(IssueRefund(...), ticket)"), (
            "the repeated refund call should return the same refund as the first")
        run_tool(build(order_id=1077, amount=3.0, reason="damaged"), _AISHA)
        rows = db.conn.execute(query).fetchall()
        assert rows == [(1063, 500), (1077, 300)], (
            f"after a refund of order 1063 on one ticket, a $3.00 refund of order 1077 on another ticket left these "
            f"refunds (order, cents): {rows}")
        run_tool(build(order_id=1077, amount=2.0, reason="damaged"), _PRIYA)
        rows = db.conn.execute(query).fetchall()
        assert rows[2:] == [(1077, 200)], (
            f"a $2.00 refund of order 1077 on ticket {_PRIYA.ticket_id}, which already refunded order 1063, left these "
            f"refunds (order, cents): {rows}: another order on the same ticket needs its own key")
        again_on_a_new_ticket = _ticket(906, _AISHA.customer_name, _AISHA.customer_email)
        run_tool(build(order_id=1077, amount=1.0, reason="damaged"), again_on_a_new_ticket)
        rows = db.conn.execute(query).fetchall()
        assert rows[3:] == [(1077, 100)], (
            f"a $1.00 refund of order 1077 on a new ticket from the same customer left these refunds (order, cents): "
            f"{rows}: the same order on another ticket needs its own key")


@visible("1.4", hint="The customer's email comes from `ticket.customer_email`, never from the model or from code of your own.")
def run_tool_acts_on_the_tickets_customer(run_tool, ns):
    UpdateAddress, SendMessage = _given(ns, "UpdateAddress"), _given(ns, "SendMessage")
    with Shop.create() as db, use_shop(db):
        run_tool(SendMessage(body="Your parcel is on its way."), _AISHA)
        row = db.conn.execute("SELECT c.email FROM messages m JOIN customers c ON c.id = m.customer_id "
                              "ORDER BY m.id DESC LIMIT 1").fetchone()
        assert row is not None and row[0] == _AISHA.customer_email, (
            f"SendMessage on {_AISHA.customer_name}'s ticket wrote to {row[0] if row else 'nobody'}")
        run_tool(UpdateAddress(address="9 Harbour Rd, Portland, ME 04101"), _KENJI)
        changed = db.conn.execute("SELECT email FROM customers WHERE address = '9 Harbour Rd, Portland, ME 04101'").fetchall()
        assert changed == [(_KENJI.customer_email,)], (
            f"UpdateAddress on {_KENJI.customer_name}'s ticket changed the address of "
            f"{', '.join(email for (email,) in changed) or 'nobody'}")

__all__: list[str] = []  # the checks register themselves with course.grading.visible on import

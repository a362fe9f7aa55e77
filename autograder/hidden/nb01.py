"""Hidden tests of lesson 01, natural language to tool calls. Instructor side only.

Each test is registered under the grade id of its graded cell (`hidden("grade_id", globals())`);
its parameters are the learner's names, as `Remote` handles (autograder.boundary.remote). They check
behaviour: what the argument classes accept and refuse, the tool definitions a strict endpoint
accepts, what `parse_tool_call` returns or raises, what `run_tool` returns and does to the shop
database, and what the whole agent does against the shop brain, scripted replies and injected faults.

Each exercise is scored on its own: the tests of 1.2 look at the given tool classes and a probe
(not at the learner's IssueRefund), those of 1.3 offer tool definitions made here (not by the
learner's tool_schema) and read IssueRefund's values as the learner's class validates them. Only
the two tests of the stage-1 agent (`invalid_calls_never_reach_the_shop`, `agent_handles_the_scenarios`)
score the learner's answers together, as the notebook's opening cell says.
"""

from __future__ import annotations

import json
import random
from typing import Any

from autograder.boundary.remote import Learner, LearnerError, Remote, raised
from autograder.hidden import HiddenTests
from autograder.hidden.drawn import Records, effects_follow_calls, scenarios, words
from course.brain import shop_brain
from course.llm import FakeModel, Reply, faults, use_model
from course.llm.validate import strict_schema_problem
from course.shop import Scenario, Shop, draw_scenario, get_scenario, outcome_of, refunded_amount, use_shop
from course.shop import tools as shop_tools
from course.shop.drawn import draw_address

hidden = HiddenTests("01")

REASONS = {"damaged", "not_received", "wrong_item", "unwanted", "other"}
FIELDS = ("order_id", "amount", "reason")
_SYSTEM = "You are the support agent of Brightside Goods."


# --- helpers ---------------------------------------------------------------------------------------

def _good_refund(rng: random.Random) -> dict[str, Any]:
    """A valid refund nobody could have guessed: its order, amount and reason are drawn."""
    return {"order_id": rng.randrange(1000, 100_000), "amount": _money(rng), "reason": rng.choice(sorted(REASONS))}


def _money(rng: random.Random, low: float = 0.01, high: float = 900.0) -> float:
    return round(rng.uniform(low, high), 2)


def _refusal(model: Remote, data: dict[str, Any]) -> str | None:
    """Why `model` refuses `data`, or None when it accepts it."""
    error = raised(model.model_validate, data)
    if error is not None and not error.isa("ValidationError"):
        raise error
    return error.message if error is not None else None


def _keys(mapping: Remote) -> list[Any]:
    """The keys of a learner dict (or the field names of `model_fields`), as plain values."""
    return [key.value for key in mapping]


def _schema(model: Remote) -> dict[str, Any]:
    schema = model.model_json_schema().value
    if not isinstance(schema, dict):
        raise AssertionError(f"{model.classes[0]}.model_json_schema() did not return a JSON schema")
    return schema


def _property(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """The schema of field `name`, following a `$ref` into `$defs` (an Enum class lands there)."""
    prop = dict(schema.get("properties", {}).get(name) or {})
    ref = prop.get("$ref") or next((item.get("$ref") for item in prop.get("allOf", []) if "$ref" in item), None)
    if ref:
        target = schema.get("$defs", {}).get(ref.rsplit("/", 1)[-1], {})
        prop = {**target, **{k: v for k, v in prop.items() if k not in ("$ref", "allOf")}}
    return prop


def _validated(model: Remote, data: dict[str, Any]) -> Any:
    """`data` as the learner's `model` validates it (plain JSON), or None when the class refuses it."""
    try:
        return model.model_validate(data).model_dump(mode="json").value
    except LearnerError:
        return None


_REFUND_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["order_id", "amount", "reason"],
    "description": "Refund money on an order.",
    "properties": {
        "order_id": {"type": "integer", "description": "The order number."},
        "amount": {"type": "number", "description": "Amount in US dollars."},
        "reason": {"type": "string", "enum": sorted(REASONS), "description": "Why the customer is refunded."},
    },
}


def _table(db: Shop, sql: str) -> list[tuple[Any, ...]]:
    return db.conn.execute(sql).fetchall()


def _snapshot(db: Shop) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "refunds": _table(db, "SELECT id, order_id, amount_cents, idempotency_key FROM refunds ORDER BY id"),
        "customers": _table(db, "SELECT id, email, address FROM customers ORDER BY id"),
        "messages": _table(db, "SELECT id, customer_id, body FROM messages ORDER BY id"),
    }


def _probe(learner: Learner, ToolInput: Remote, rng: random.Random) -> tuple[str, Remote]:
    """A tool (name, class) the learner has never seen, drawn, so tool_schema cannot special-case any."""
    noun, thing, unit = rng.sample(("crate", "bundle", "pallet", "sample", "voucher", "basket", "ticket", "bottle"), 3)
    name = f"weigh_{noun}"
    return name, learner.subclass(ToolInput, f"Weigh{noun.capitalize()}", f"Weigh a {noun} before it ships.\n\n"
                                  f"Used only to look at the tool definition of {name}.\n", {
        f"{noun}_id": {"type": "int", "description": f"The {noun}'s number, e.g. {rng.randrange(10, 99)}."},
        thing: {"type": {"enum": [f"{unit}_{n}" for n in rng.sample(range(1, 50), 3)]},
                "description": f"The {thing} to weigh it in."},
    })


def _ask(schemas: list[dict[str, Any]], user: str, fake: FakeModel) -> Any:
    """One chat completion offering `schemas`; an endpoint refusal becomes a failure in the learner's terms."""
    import openai

    try:
        json.dumps(schemas)
    except (TypeError, ValueError) as error:
        raise AssertionError(f"your tool definitions cannot be sent as JSON: {error}") from None
    try:
        return fake.client().chat.completions.create(
            model="course-fake", tools=schemas,
            messages=[{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}])
    except openai.APIStatusError as error:
        body = error.body if isinstance(error.body, dict) else {}
        raise AssertionError(f"the model endpoint refused your tool definitions: {body.get('message') or error}") from None


def _expect_tool_call_error(parse_tool_call: Remote, ToolCallError: Remote, name: str, arguments: str,
                            **kwargs: Any) -> str:
    """The message of the ToolCallError that parse_tool_call must raise for this call."""
    shown = f"parse_tool_call({name!r}, {arguments!r}{', tools=...' if kwargs else ''})"
    try:
        got = parse_tool_call(name, arguments, **kwargs)
    except NotImplementedError:
        raise
    except LearnerError as error:
        if not error.isa(ToolCallError):
            raise AssertionError(f"{shown} raised {error.type} instead of ToolCallError") from None
        message = error.message.strip()
        assert message, f"{shown} raised a ToolCallError with an empty message: say what is wrong"
        return message
    raise AssertionError(f"{shown} returned {got!r} instead of raising ToolCallError")


# --- Exercise 1.1: IssueRefund ------------------------------------------------------------------------

@hidden.test("refund_fields_are_required_and_described")
def refund_fields_are_required_and_described(IssueRefund, rng):
    GOOD_REFUND = _good_refund(rng)
    fields = set(_keys(IssueRefund.model_fields))
    assert fields == set(FIELDS), (
        f"IssueRefund has the fields {sorted(fields)}; it should have exactly order_id, amount and reason")
    schema = _schema(IssueRefund)
    not_required = [name for name in GOOD_REFUND if name not in schema.get("required", [])]
    assert not not_required, f"{', '.join(not_required)} should be required: give it no default value"
    for name in GOOD_REFUND:
        assert (_property(schema, name).get("description") or "").strip(), (
            f"the field {name} has no description: the model reads it to know what goes there")
    assert (schema.get("description") or "").strip(), "IssueRefund has no docstring: it is the tool's description"
    assert "check_refund_policy" in schema["description"], (
        "IssueRefund's docstring lost 'Only after check_refund_policy said the refund is eligible': keep the one the "
        "exercise's cell starts with, the rule the model reads before it refunds")
    problem = _refusal(IssueRefund, GOOD_REFUND)
    assert problem is None, f"IssueRefund refuses a valid refund {GOOD_REFUND}: {problem}"
    for name in GOOD_REFUND:
        partial = {key: value for key, value in GOOD_REFUND.items() if key != name}
        assert _refusal(IssueRefund, partial), f"IssueRefund accepts a refund without {name}: {partial}"
    for extra in ({"idempotency_key": f"k-{rng.randrange(100)}"}, {words(rng): words(rng, 2)}):
        assert _refusal(IssueRefund, {**GOOD_REFUND, **extra}), (
            f"IssueRefund accepts an unknown field {next(iter(extra))!r}: unknown fields should be an error")
    vague = f"the {words(rng)} one"
    assert _refusal(IssueRefund, {**GOOD_REFUND, "order_id": vague}), (
        f"IssueRefund accepts order_id={vague!r}: an order number is an integer")


@hidden.test("refund_reason_is_an_enum")
def refund_reason_is_an_enum(IssueRefund, rng):
    GOOD_REFUND = _good_refund(rng)
    reason = _property(_schema(IssueRefund), "reason")
    choices = reason.get("enum")
    assert choices, "in the schema, reason is free text (no enum): the model may write anything there"
    assert set(choices) == REASONS, (
        f"the reasons offered are {sorted(choices)}; they should be the five listed in the exercise")
    for value in sorted(REASONS):
        problem = _refusal(IssueRefund, {**GOOD_REFUND, "reason": value})
        assert problem is None, f"IssueRefund refuses the reason {value!r}: {problem}"
    near = rng.choice(sorted(REASONS))
    for value in [f"{words(rng)} arrived broken", near.capitalize(), near.upper(), f"{near} {words(rng)}", ""]:
        assert _refusal(IssueRefund, {**GOOD_REFUND, "reason": value}), f"IssueRefund accepts the reason {value!r}"


@hidden.test("refund_amount_must_be_positive")
def refund_amount_must_be_positive(IssueRefund, rng):
    GOOD_REFUND = _good_refund(rng)
    for amount in [0, 0.0, -0.01, -_money(rng), -rng.randrange(1, 1000)]:
        assert _refusal(IssueRefund, {**GOOD_REFUND, "amount": amount}), f"IssueRefund accepts amount={amount}"
    for amount in [0.01, _money(rng), _money(rng, 100, 5000), rng.randrange(1, 1000)]:
        problem = _refusal(IssueRefund, {**GOOD_REFUND, "amount": amount})
        assert problem is None, f"IssueRefund refuses amount={amount}: {problem}"
    vague = words(rng)
    assert _refusal(IssueRefund, {**GOOD_REFUND, "amount": vague}), f"IssueRefund accepts amount={vague!r}"


# --- Exercise 1.2: tool_schema -----------------------------------------------------------------------

@hidden.test("tool_schema_is_a_strict_tool_definition")
def tool_schema_is_a_strict_tool_definition(tool_schema, TOOLS, ToolInput, learner, rng):
    # the given tools and a probe; not issue_refund, whose class is Exercise 1.1's (scored there)
    cases = [*((name, TOOLS[name]) for name in _keys(TOOLS) if name != "issue_refund"), _probe(learner, ToolInput, rng)]
    definitions = []
    for name, model in cases:
        fields = _keys(model.model_fields)
        shown = f"tool_schema({name!r}, {model.classes[0]})"
        got = tool_schema(name, model)
        definition = got.value
        assert isinstance(definition, dict), f"{shown} returned a {got.type}, not a dict"
        assert definition.get("type") == "function", f"{shown}['type'] should be 'function'"
        function = definition.get("function")
        assert isinstance(function, dict), f"{shown} has no 'function' object"
        assert function.get("name") == name, f"{shown}['function']['name'] is {function.get('name')!r}, not {name!r}"
        assert function.get("strict") is True, f"{shown}['function']['strict'] should be True"
        parameters = function.get("parameters")
        assert isinstance(parameters, dict) and parameters.get("type") == "object", (
            f"{shown}['function']['parameters'] should be the JSON schema of an object")
        offered = set(parameters.get("properties") or {})
        assert offered == set(fields), (
            f"{shown} offers the parameters {sorted(offered)}; {model.classes[0]} has {sorted(fields)}")
        problem = strict_schema_problem(parameters)
        assert problem is None, f"a strict endpoint would refuse {shown}: {problem}"
        definitions.append(definition)
    with use_model(FakeModel.scripted(Reply.text("ok"))) as fake:
        _ask(definitions, "Hello", fake)


@hidden.test("tool_schema_carries_the_descriptions")
def tool_schema_carries_the_descriptions(tool_schema, ToolInput, GetOrder, learner, rng):
    for name, model in [_probe(learner, ToolInput, rng), ("get_order", GetOrder)]:
        definition = tool_schema(name, model).value
        function = (definition.get("function") if isinstance(definition, dict) else None) or {}
        doc = model.attr("__doc__").value
        first_line = doc.strip().splitlines()[0] if isinstance(doc, str) and doc.strip() else ""
        description = function.get("description")
        assert isinstance(description, str) and first_line in description, (
            f"the description of {name} is {description!r}; the model should read the class docstring there")
        assert description == description.strip(), (
            f"the description of {name} is {description!r}: strip the docstring's blank lines and indentation")
        properties = (function.get("parameters") or {}).get("properties") or {}
        for field in _keys(model.model_fields):
            expected = model.model_fields[field].description.value
            got = (properties.get(field) or {}).get("description")
            assert got == expected, (
                f"the parameter {field} of {name} is described as {got!r}, not as its Field(description=...)")


# --- Exercise 1.3: parse_tool_call -------------------------------------------------------------------

@hidden.test("parse_returns_the_right_type")
def parse_returns_the_right_type(parse_tool_call, GetOrder, CheckRefundPolicy, IssueRefund, TrackShipment,
                                 UpdateAddress, SendMessage, rng):
    order = lambda: rng.randrange(1000, 100_000)  # noqa: E731
    cases = [
        ("get_order", {"order_id": order()}, GetOrder),
        ("check_refund_policy", {"order_id": order(), "amount": _money(rng)}, CheckRefundPolicy),
        ("issue_refund", _good_refund(rng), IssueRefund),
        ("track_shipment", {"order_id": order()}, TrackShipment),
        ("update_address", {"address": draw_address(rng)}, UpdateAddress),
        ("send_message", {"body": f"Hi {words(rng).title()},\n\nYour {words(rng)} is on its way."}, SendMessage),
    ]
    rng.shuffle(cases)
    for name, arguments, cls in cases:
        expected = arguments if name != "issue_refund" else _validated(cls, arguments)  # 1.1's class, as it is
        if expected is None:
            continue  # the learner's IssueRefund refuses a valid refund: Exercise 1.1's tests say so
        text = json.dumps(arguments)
        got = parse_tool_call(name, text)
        assert got.isa(cls), (
            f"parse_tool_call({name!r}, {text!r}) returned {got!r}; expected an instance of {cls.classes[0]}")
        assert got.model_dump(mode="json").value == expected, (
            f"parse_tool_call({name!r}, {text!r}) returned {got!r}: the values differ from the arguments")
    alias, number = f"look_up_{words(rng)}", order()
    got = parse_tool_call(alias, json.dumps({"order_id": number}), tools={alias: GetOrder})
    assert got.isa(GetOrder) and got.order_id.value == number, (
        f"parse_tool_call({alias!r}, '{{\"order_id\": {number}}}', tools={{{alias!r}: GetOrder}}) returned {got!r}: "
        "it should look the name up in the tools it is given")


@hidden.test("parse_rejects_invalid_calls")
def parse_rejects_invalid_calls(parse_tool_call, ToolCallError, GetOrder, rng):
    # names the notebook defines that are no tools (a globals() fallback finds them), and a drawn one
    for name in [f"delete_all_{words(rng)}", "model_name", "client", words(rng, 2)]:
        message = _expect_tool_call_error(parse_tool_call, ToolCallError, name, "{}")
        assert name in message, f"the error for the unknown tool {name!r} should name it; it says {message!r}"
        assert "get_order" in message, f"the error for the unknown tool {name!r} should list the tools; it says {message!r}"
    n, extra, email = rng.randrange(1000, 100_000), words(rng), f"{words(rng)}@example.org"
    broken = [
        ("get_order", f'{{"order_id": {n}', None),
        ("get_order", f"order {n} please", None),
        ("get_order", f"[{n}]", None),
        ("get_order", f'{{"order_id": "the {words(rng)} one"}}', "order_id"),
        ("check_refund_policy", f'{{"order_id": {n}}}', "amount"),
        ("check_refund_policy", f'{{"order_id": {n}, "amount": -{_money(rng)}}}', "amount"),
        ("check_refund_policy", f'{{"order_id": "the {words(rng)} one", "amount": -{_money(rng)}}}', "order_id+amount"),
        ("send_message", json.dumps({"body": f"Hi {words(rng)}", extra: email}), extra),
        ("update_address", json.dumps({"address": draw_address(rng), "customer_email": email}), "customer_email"),
    ]
    rng.shuffle(broken)
    for name, arguments, field in broken:
        message = _expect_tool_call_error(parse_tool_call, ToolCallError, name, arguments)
        assert name in message, f"the error for {name}({arguments}) should name the tool; it says {message!r}"
        for one in (field or "").split("+") if field else ():
            assert one in message, (f"the error for {name}({arguments}) should name each field with a problem "
                                    f"({field.replace('+', ' and ')}); it says {message!r}")
    _expect_tool_call_error(parse_tool_call, ToolCallError, "get_order", f'{{"order_id": {n}}}',
                            tools={f"look_up_{words(rng)}": GetOrder})


def _offered(TOOLS: Remote) -> list[dict[str, Any]]:
    """Strict tool definitions made here, not by the learner's tool_schema (Exercise 1.2 is scored on its own):
    the given classes' schemas, and a fixed one for issue_refund (Exercise 1.1's class)."""
    out = []
    for name in _keys(TOOLS):
        if name == "issue_refund":
            parameters = _REFUND_SCHEMA
        else:
            model = TOOLS[name]
            parameters = _schema(model)
        doc = parameters.get("description") or name.replace("_", " ")
        out.append({"type": "function", "function": {"name": name, "description": doc, "parameters": parameters,
                                                     "strict": True}})
    return out


@hidden.test("first_step_is_right_on_the_scenarios")
def first_step_is_right_on_the_scenarios(parse_tool_call, TOOLS, GetOrder, TrackShipment, UpdateAddress, rng):
    schemas = _offered(TOOLS)
    named = ["damaged_item", "large_refund", "unknown_order", "out_of_window", "where_is_my_order", "change_address"]
    with Shop.create() as db:
        tickets = [(name, get_scenario(name)) for name in named] + [("a drawn ticket", s) for s in scenarios(db, rng)]
        for scenario, ticket in tickets:
            cls, fields = ((TrackShipment, {"order_id": ticket.order_id}) if ticket.category == "shipping" else
                           (UpdateAddress, {"address": ticket.expected.address}) if ticket.category == "account" else
                           (GetOrder, {"order_id": ticket.order_id}))
            with use_shop(db), use_model(FakeModel(shop_brain)) as fake:
                _first_step(parse_tool_call, schemas, fake, db, scenario, ticket.ticket.render(), cls, fields)


def _first_step(parse_tool_call: Remote, schemas: list[dict[str, Any]], fake: FakeModel, db: Shop, scenario: str,
                ticket: str, cls: Remote, fields: dict[str, Any]) -> None:
    before = _snapshot(db)
    reply = _ask(schemas, ticket, fake)
    calls = reply.choices[0].message.tool_calls or []
    assert calls, f"on {scenario} the model answered in prose instead of calling one of your tools"
    call = calls[0].function
    intent = parse_tool_call(call.name, call.arguments)
    assert intent.isa(cls) and intent.model_dump().value == fields, (
        f"on {scenario} the model called {call.name}({call.arguments}), which parsed to {intent!r}; "
        f"expected {cls.classes[0]}({', '.join(f'{k}={v!r}' for k, v in fields.items())})")
    assert _snapshot(db) == before, f"parsing the first call on {scenario} changed the shop"


# --- Exercise 1.4: run_tool --------------------------------------------------------------------------

@hidden.test("run_tool_returns_the_shops_json")
def run_tool_returns_the_shops_json(run_tool, ToolInput, ToolCallError, GetOrder, CheckRefundPolicy, TrackShipment,
                                    learner, rng):
    with Shop.create() as db, use_shop(db):
        fine, late, moving = (draw_scenario(db, rng, outcome) for outcome in ("refunded", "refused", "answered"))
        seeded = rng.choice([row[0] for row in _table(db, "SELECT id FROM orders WHERE id >= 1100 AND id < 2000")])
        amount, other = fine.expected.refund_amount or 0.0, _money(rng, 1, 200)
        cases = [
            (GetOrder(order_id=fine.order_id), lambda: shop_tools.get_order(fine.order_id)),
            (GetOrder(order_id=seeded), lambda: shop_tools.get_order(seeded)),
            (CheckRefundPolicy(order_id=fine.order_id, amount=amount),
             lambda: shop_tools.check_refund_policy(fine.order_id, amount)),
            (CheckRefundPolicy(order_id=late.order_id, amount=other),
             lambda: shop_tools.check_refund_policy(late.order_id, other)),
            (TrackShipment(order_id=moving.order_id), lambda: shop_tools.track_shipment(moving.order_id)),
        ]
        rng.shuffle(cases)
        for call, shop_result in cases:
            returned = run_tool(call, fine.ticket)
            got = returned.value
            assert isinstance(got, str), f"run_tool({call!r}, ticket) returned a {returned.type}, not a JSON string"
            try:
                data = json.loads(got)
            except ValueError:
                raise AssertionError(f"run_tool({call!r}, ticket) returned {got[:80]!r}, which is not JSON") from None
            assert data == json.loads(shop_result().model_dump_json()), (
                f"run_tool({call!r}, ticket) returned {got[:100]}…, which is not what the shop returned for that call")
        missing = rng.randrange(2, 1000)  # no order has so small a number
        error = raised(run_tool, GetOrder(order_id=missing), fine.ticket)
        assert error is not None and error.isa("ShopError"), (
            f"run_tool(GetOrder(order_id={missing}), ticket) should let the shop's NotFound propagate (run_agent turns it "
            "into the error the model reads); it " + ("returned normally" if error is None else f"raised {error.type}"))

    name = words(rng).capitalize()
    Stray = learner.subclass(ToolInput, name, "A class with no tool behind it.",
                             {words(rng): {"type": "str", "description": "Anything."}})
    with Shop.create() as db, use_shop(db):
        ticket = draw_scenario(db, rng, "refunded").ticket
        field = next(iter(_keys(Stray.model_fields)))
        try:
            got = run_tool(Stray(**{field: words(rng, 2)}), ticket)
        except NotImplementedError:
            raise
        except LearnerError as error:
            if error.isa(ToolCallError):
                return
            raise AssertionError(f"run_tool on a class with no tool raised {error.type} "
                                 "instead of ToolCallError") from None
    raise AssertionError(f"run_tool on a class with no tool returned {got!r} instead of raising ToolCallError")


@hidden.test("refund_is_idempotent")
def refund_is_idempotent(run_tool, IssueRefund, rng):
    with Shop.create() as db, use_shop(db):
        first_case, second_case = draw_scenario(db, rng, "refunded"), draw_scenario(db, rng, "refunded")
        order, amount, ticket = first_case.order_id, first_case.expected.refund_amount or 0.0, first_case.ticket
        query = f"SELECT id, amount_cents FROM refunds WHERE order_id = {order}"
        reason = rng.choice(sorted(REASONS))
        shown = f"run_tool(IssueRefund(order_id={order}, amount={amount}, ...))"
        first = run_tool(IssueRefund(order_id=order, amount=amount, reason=reason), ticket).value
        rows = _table(db, query)
        assert [cents for _, cents in rows] == [round(amount * 100)], (
            f"after {shown} order {order} has these refunds (cents): {[cents for _, cents in rows]}; "
            f"expected one of {round(amount * 100)}")
        try:
            result = json.loads(first)
        except (TypeError, ValueError):
            raise AssertionError(f"run_tool returned {str(first)[:80]!r} for a refund, which is not JSON") from None
        assert isinstance(result, dict) and result.get("refund_id") == rows[0][0], (
            f"run_tool returned {str(first)[:100]} for the refund, not the refund the shop recorded")
        second = run_tool(IssueRefund(order_id=order, amount=amount, reason=reason), ticket).value
        again = _table(db, query)
        assert len(again) == 1, (
            f"the model asked twice for the same ${amount:.2f} refund on ticket {ticket.ticket_id} and the shop "
            f"refunded {len(again)} times")
        assert isinstance(second, str) and json.loads(second) == result, "the repeated refund call should return the same refund as the first"
        other, price = second_case.order_id, second_case.expected.refund_amount or 0.0
        error = raised(run_tool, IssueRefund(order_id=other, amount=price, reason=reason), second_case.ticket)
        paid = [cents for _, cents in _table(db, f"SELECT id, amount_cents FROM refunds WHERE order_id = {other}")]
        assert error is None and paid == [round(price * 100)], (
            f"after that refund, a ${price:.2f} refund of order {other} on ticket {second_case.ticket.ticket_id} was "
            "not paid" + (f" (run_tool raised {error.type}: {error.message})" if error is not None else "")
            + ": another ticket and order need another idempotency key")
        fresh, again = draw_scenario(db, rng, "refunded"), draw_scenario(db, rng, "refunded")
        first_ticket = again.ticket.model_copy(update={"ticket_id": again.ticket.ticket_id + rng.randrange(1, 500)})
        run_tool(IssueRefund(order_id=again.order_id, amount=0.5, reason=reason), first_ticket)
        for what, order_id, on in [("another order on the same ticket", fresh.order_id, ticket),
                                   ("the same order on a new ticket", again.order_id, again.ticket)]:
            small = round(rng.randrange(1, 100) / 100, 2)
            before = len(_table(db, f"SELECT id FROM refunds WHERE order_id = {order_id}"))
            error = raised(run_tool, IssueRefund(order_id=order_id, amount=small, reason=reason), on)
            after = len(_table(db, f"SELECT id FROM refunds WHERE order_id = {order_id}"))
            assert error is None and after == before + 1, (
                f"a ${small:.2f} refund of {what} (order {order_id}, ticket {on.ticket_id}) was not paid"
                + (f" (run_tool raised {error.type}: {error.message})" if error is not None else "")
                + ": the idempotency key should come from the ticket and the order, both")


@hidden.test("identity_comes_from_the_ticket")
def identity_comes_from_the_ticket(run_tool, UpdateAddress, SendMessage, rng):
    with Shop.create() as db, use_shop(db):
        moving, *others = (draw_scenario(db, rng, outcome) for outcome in ("address_updated", "refused", "answered"))
        luis = moving.ticket
        new_address = draw_address(rng)
        before = dict(_table(db, "SELECT email, address FROM customers"))
        run_tool(UpdateAddress(address=new_address), luis)
        after = dict(_table(db, "SELECT email, address FROM customers"))
        changed = sorted(email for email in after if after[email] != before[email])
        assert changed == [luis.customer_email], (
            f"UpdateAddress on {luis.customer_name}'s ticket changed the address of {changed or 'nobody'}")
        assert after[luis.customer_email] == new_address, (
            f"{luis.customer_name}'s address is {after[luis.customer_email]!r}, not the new one")
        tickets = [luis, *(scenario.ticket for scenario in others)]
        rng.shuffle(tickets)
        for ticket in tickets:
            body = f"Hello {ticket.customer_name}, this is about your {words(rng)}."
            run_tool(SendMessage(body=body), ticket)
            row = db.conn.execute(
                "SELECT c.email, m.body FROM messages m JOIN customers c ON c.id = m.customer_id "
                "ORDER BY m.id DESC LIMIT 1").fetchone()
            assert row is not None and row[1] == body, f"SendMessage on {ticket.customer_name}'s ticket sent no message"
            assert row[0].lower() == ticket.customer_email.lower(), (
                f"SendMessage on {ticket.customer_name}'s ticket wrote to {row[0]}, not to the ticket's customer")


# --- The stage-1 agent -------------------------------------------------------------------------------

def _agent_is_assembled(learner: Learner) -> None:
    """The loop reads TOOL_SCHEMAS at call time; without it, say which exercise is missing."""
    if not learner.defines("TOOL_SCHEMAS"):
        raise AssertionError("TOOL_SCHEMAS is not defined: finish Exercise 1.2, then run the cells below it again")


@hidden.test("invalid_calls_never_reach_the_shop")
def invalid_calls_never_reach_the_shop(run_agent, learner, rng):
    _agent_is_assembled(learner)
    with Shop.create() as db:
        case = draw_scenario(db, rng, "refunded")
        order, amount, someone = case.order_id, case.expected.refund_amount or 1.0, f"{words(rng)}@example.org"
        bad = [
            faults.malformed_arguments("issue_refund", f'{{"order_id": {order}, "amount": {amount}'),
            Reply.tool_call("issue_refund", {"order_id": order, "amount": amount, "reason": "damaged",
                                             "idempotency_key": f"k-{rng.randrange(100)}"}),
            Reply.tool_call("issue_refund", {"order_id": order, "amount": -amount, "reason": "damaged"}),
            Reply.tool_call("update_address", {"address": draw_address(rng), "customer_email": someone}),
            Reply.tool_call("send_message", {"body": f"Your {words(rng)} is done.", "customer_email": someone}),
            faults.unknown_tool(f"delete_all_{words(rng)}"),
            Reply.tool_call("model_name", {}),
        ]
        rng.shuffle(bad)
        final = f"Done: {words(rng, 2).replace('_', ' ')}."
        with use_shop(db), use_model(FakeModel.scripted(*bad, Reply.text(final))) as fake:
            before = _snapshot(db)
            answer = run_agent(case.ticket).value
            after = _snapshot(db)
    changed = [table for table in before if before[table] != after[table]]
    assert not changed, f"invalid tool calls changed the shop's {', '.join(changed)}"
    assert answer == final, f"run_agent returned {answer!r}, not the model's final answer {final!r}"
    results = [m for m in fake.transcript.last_request.messages if m.get("role") == "tool"]
    for reply, message in zip(bad, results, strict=False):
        call = reply.tool_calls[0]
        content = str(message.get("content"))
        assert content.startswith("Error"), (
            f"the model's call {call.name}({call.arguments_json()}) should have come back as an error; "
            f"the model read {content[:100]!r}")


@hidden.test("agent_handles_the_scenarios")
def agent_handles_the_scenarios(run_agent, learner, rng):
    _agent_is_assembled(learner)
    outcomes: list[Any] = ["refunded", "refused", "ask_customer", "answered", "address_updated"]
    rng.shuffle(outcomes)
    runs = [(name, None) for name in ("damaged_item", "unknown_order", "out_of_window", "where_is_my_order",
                                      "change_address")] + [("a drawn ticket", outcome) for outcome in outcomes]
    for name, outcome in runs:
        with Shop.create() as db, use_shop(db), use_model(FakeModel(shop_brain)) as fake:
            scenario = get_scenario(name) if outcome is None else draw_scenario(db, rng, outcome)
            _handles(run_agent, db, fake, name, scenario)
    broken_first = FakeModel(shop_brain, faults={1: faults.malformed_arguments("get_order")})
    with Shop.create() as db, use_shop(db), use_model(broken_first) as fake:
        _handles(run_agent, db, fake, "a drawn ticket with a malformed first call", draw_scenario(db, rng, "refunded"))


def _handles(run_agent: Remote, db: Shop, fake: FakeModel, name: str, scenario: Scenario) -> None:
    """Run the agent on one ticket; judge the outcome from the shop, and each effect by the model's calls."""
    before = Records.of(db)
    run_agent(scenario.ticket)
    got = outcome_of(db, scenario)
    effects_follow_calls(db, fake.transcript.tool_calls(), before, where=f"on {name}")
    assert got == scenario.expected.outcome, (
        f"on {name} (ticket {scenario.ticket.ticket_id}) the outcome was {got}, expected {scenario.expected.outcome}")
    if scenario.expected.refund_amount is not None:
        paid = refunded_amount(db, scenario)
        assert paid == scenario.expected.refund_amount, f"on {name} the shop refunded ${paid:.2f}"

__all__ = ["hidden"]

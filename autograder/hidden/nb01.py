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
from typing import Any

from autograder.boundary.remote import Learner, LearnerError, Remote, raised
from autograder.hidden import HiddenTests
from course.brain import shop_brain
from course.llm import FakeModel, Reply, faults, use_model
from course.llm.validate import strict_schema_problem
from course.shop import Shop, get_scenario, outcome_of, refunded_amount, use_shop
from course.shop import tools as shop_tools

hidden = HiddenTests("01")

REASONS = {"damaged", "not_received", "wrong_item", "unwanted", "other"}
GOOD_REFUND = {"order_id": 1042, "amount": 18.5, "reason": "damaged"}
_SYSTEM = "You are the support agent of Brightside Goods."


# --- helpers ---------------------------------------------------------------------------------------

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


def _probe(learner: Learner, ToolInput: Remote) -> Remote:
    """A tool class the learner has never seen, so tool_schema cannot special-case the six."""
    return learner.subclass(ToolInput, "ProbeParcel", "Weigh a parcel before it ships.\n\nUsed only to look at the tool definition.\n", {
        "parcel_id": {"type": "int", "description": "The parcel's number, e.g. 77."},
        "unit": {"type": {"enum": ["kg", "lb"]}, "description": "The unit to weigh in."},
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
def refund_fields_are_required_and_described(IssueRefund):
    fields = set(_keys(IssueRefund.model_fields))
    assert fields == set(GOOD_REFUND), (
        f"IssueRefund has the fields {sorted(fields)}; it should have exactly order_id, amount and reason")
    schema = _schema(IssueRefund)
    not_required = [name for name in GOOD_REFUND if name not in schema.get("required", [])]
    assert not not_required, f"{', '.join(not_required)} should be required: give it no default value"
    for name in GOOD_REFUND:
        assert (_property(schema, name).get("description") or "").strip(), (
            f"the field {name} has no description: the model reads it to know what goes there")
    assert (schema.get("description") or "").strip(), "IssueRefund has no docstring: it is the tool's description"
    problem = _refusal(IssueRefund, GOOD_REFUND)
    assert problem is None, f"IssueRefund refuses a valid refund {GOOD_REFUND}: {problem}"
    for name in GOOD_REFUND:
        partial = {key: value for key, value in GOOD_REFUND.items() if key != name}
        assert _refusal(IssueRefund, partial), f"IssueRefund accepts a refund without {name}: {partial}"
    for extra in ({"idempotency_key": "k-1"}, {"customer_email": "tom.becker@example.org"}):
        assert _refusal(IssueRefund, {**GOOD_REFUND, **extra}), (
            f"IssueRefund accepts an unknown field {next(iter(extra))!r}: unknown fields should be an error")
    assert _refusal(IssueRefund, {**GOOD_REFUND, "order_id": "the blue one"}), (
        "IssueRefund accepts order_id='the blue one': an order number is an integer")


@hidden.test("refund_reason_is_an_enum")
def refund_reason_is_an_enum(IssueRefund):
    reason = _property(_schema(IssueRefund), "reason")
    choices = reason.get("enum")
    assert choices, "in the schema, reason is free text (no enum): the model may write anything there"
    assert set(choices) == REASONS, (
        f"the reasons offered are {sorted(choices)}; they should be the five listed in the exercise")
    for value in sorted(REASONS):
        problem = _refusal(IssueRefund, {**GOOD_REFUND, "reason": value})
        assert problem is None, f"IssueRefund refuses the reason {value!r}: {problem}"
    for value in ["mug arrived broken", "Damaged", "because", ""]:
        assert _refusal(IssueRefund, {**GOOD_REFUND, "reason": value}), f"IssueRefund accepts the reason {value!r}"


@hidden.test("refund_amount_must_be_positive")
def refund_amount_must_be_positive(IssueRefund):
    for amount in [0, 0.0, -18.5, -0.01]:
        assert _refusal(IssueRefund, {**GOOD_REFUND, "amount": amount}), f"IssueRefund accepts amount={amount}"
    for amount in [0.01, 18.5, 899]:
        problem = _refusal(IssueRefund, {**GOOD_REFUND, "amount": amount})
        assert problem is None, f"IssueRefund refuses amount={amount}: {problem}"
    assert _refusal(IssueRefund, {**GOOD_REFUND, "amount": "lots"}), "IssueRefund accepts amount='lots'"


# --- Exercise 1.2: tool_schema -----------------------------------------------------------------------

@hidden.test("tool_schema_is_a_strict_tool_definition")
def tool_schema_is_a_strict_tool_definition(tool_schema, TOOLS, ToolInput, learner):
    # the given tools and a probe; not issue_refund, whose class is Exercise 1.1's (scored there)
    cases = [*((name, TOOLS[name]) for name in _keys(TOOLS) if name != "issue_refund"),
             ("weigh_parcel", _probe(learner, ToolInput))]
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
def tool_schema_carries_the_descriptions(tool_schema, ToolInput, GetOrder, learner):
    probe = _probe(learner, ToolInput)
    for name, model in [("weigh_parcel", probe), ("get_order", GetOrder)]:
        definition = tool_schema(name, model).value
        function = (definition.get("function") if isinstance(definition, dict) else None) or {}
        doc = model.attr("__doc__").value
        first_line = doc.strip().splitlines()[0] if isinstance(doc, str) and doc.strip() else ""
        description = function.get("description")
        assert isinstance(description, str) and first_line in description, (
            f"the description of {name} is {description!r}; the model should read the class docstring there")
        properties = (function.get("parameters") or {}).get("properties") or {}
        for field in _keys(model.model_fields):
            expected = model.model_fields[field].description.value
            got = (properties.get(field) or {}).get("description")
            assert got == expected, (
                f"the parameter {field} of {name} is described as {got!r}, not as its Field(description=...)")


# --- Exercise 1.3: parse_tool_call -------------------------------------------------------------------

@hidden.test("parse_returns_the_right_type")
def parse_returns_the_right_type(parse_tool_call, GetOrder, CheckRefundPolicy, IssueRefund, TrackShipment,
                                 UpdateAddress, SendMessage):
    cases = [
        ("get_order", {"order_id": 1042}, GetOrder),
        ("check_refund_policy", {"order_id": 1013, "amount": 64.0}, CheckRefundPolicy),
        ("issue_refund", {"order_id": 1088, "amount": 24.0, "reason": "not_received"}, IssueRefund),
        ("track_shipment", {"order_id": 1077}, TrackShipment),
        ("update_address", {"address": "2150 Larimer St Unit 5B, Denver, CO 80205"}, UpdateAddress),
        ("send_message", {"body": "Hi Maya,\n\nYour refund is on its way."}, SendMessage),
    ]
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
    got = parse_tool_call("lookup", '{"order_id": 7}', tools={"lookup": GetOrder})
    assert got.isa(GetOrder) and got.order_id.value == 7, (
        f"parse_tool_call('lookup', '{{\"order_id\": 7}}', tools={{'lookup': GetOrder}}) returned {got!r}: "
        "it should look the name up in the tools it is given")


@hidden.test("parse_rejects_invalid_calls")
def parse_rejects_invalid_calls(parse_tool_call, ToolCallError, GetOrder):
    for name in ["delete_all_orders", "model_name", "client"]:
        message = _expect_tool_call_error(parse_tool_call, ToolCallError, name, "{}")
        assert name in message, f"the error for the unknown tool {name!r} should name it; it says {message!r}"
        assert "get_order" in message, f"the error for the unknown tool {name!r} should list the tools; it says {message!r}"
    broken = [
        ("get_order", '{"order_id": 1042', None),
        ("get_order", "order 1042 please", None),
        ("get_order", "[1042]", None),
        ("get_order", '{"order_id": "the blue one"}', "order_id"),
        ("check_refund_policy", '{"order_id": 1042}', "amount"),
        ("check_refund_policy", '{"order_id": 1042, "amount": -5}', "amount"),
        ("send_message", '{"body": "Hi", "customer_email": "tom.becker@example.org"}', "customer_email"),
        ("update_address", '{"address": "1 Elsewhere Rd, Reno, NV 89501", "customer_email": "tom.becker@example.org"}',
         "customer_email"),
    ]
    for name, arguments, field in broken:
        message = _expect_tool_call_error(parse_tool_call, ToolCallError, name, arguments)
        assert name in message, f"the error for {name}({arguments}) should name the tool; it says {message!r}"
        if field:
            assert field in message, f"the error for {name}({arguments}) should name the field {field}; it says {message!r}"
    _expect_tool_call_error(parse_tool_call, ToolCallError, "get_order", '{"order_id": 7}', tools={"lookup": GetOrder})


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
def first_step_is_right_on_the_scenarios(parse_tool_call, TOOLS, GetOrder, TrackShipment, UpdateAddress):
    schemas = _offered(TOOLS)
    expected = {
        "damaged_item": (GetOrder, {"order_id": 1042}),
        "large_refund": (GetOrder, {"order_id": 1057}),
        "unknown_order": (GetOrder, {"order_id": 1603}),
        "out_of_window": (GetOrder, {"order_id": 1013}),
        "where_is_my_order": (TrackShipment, {"order_id": 1077}),
        "change_address": (UpdateAddress, {"address": "2150 Larimer St Unit 5B, Denver, CO 80205"}),
    }
    for scenario, (cls, fields) in expected.items():
        with Shop.create() as db, use_shop(db), use_model(FakeModel(shop_brain)) as fake:
            before = _snapshot(db)
            reply = _ask(schemas, get_scenario(scenario).ticket.render(), fake)
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
                                    learner):
    ticket = get_scenario("damaged_item").ticket
    cases = [
        (GetOrder(order_id=1042), lambda: shop_tools.get_order(1042)),
        (GetOrder(order_id=1013), lambda: shop_tools.get_order(1013)),
        (CheckRefundPolicy(order_id=1042, amount=18.5), lambda: shop_tools.check_refund_policy(1042, 18.5)),
        (CheckRefundPolicy(order_id=1013, amount=64.0), lambda: shop_tools.check_refund_policy(1013, 64.0)),
        (TrackShipment(order_id=1077), lambda: shop_tools.track_shipment(1077)),
    ]
    with Shop.create() as db, use_shop(db):
        for call, shop_result in cases:
            returned = run_tool(call, ticket)
            got = returned.value
            assert isinstance(got, str), f"run_tool({call!r}, ticket) returned a {returned.type}, not a JSON string"
            try:
                data = json.loads(got)
            except ValueError:
                raise AssertionError(f"run_tool({call!r}, ticket) returned {got[:80]!r}, which is not JSON") from None
            assert data == json.loads(shop_result().model_dump_json()), (
                f"run_tool({call!r}, ticket) returned {got[:100]}…, which is not what the shop returned for that call")

    Stray = learner.subclass(ToolInput, "Stray", "A class with no tool behind it.",
                             {"note": {"type": "str", "description": "Anything."}})
    with Shop.create() as db, use_shop(db):
        try:
            got = run_tool(Stray(note="hello"), ticket)
        except NotImplementedError:
            raise
        except LearnerError as error:
            if error.isa(ToolCallError):
                return
            raise AssertionError(f"run_tool on a class with no tool raised {error.type} "
                                 "instead of ToolCallError") from None
    raise AssertionError(f"run_tool on a class with no tool returned {got!r} instead of raising ToolCallError")


@hidden.test("refund_is_idempotent")
def refund_is_idempotent(run_tool, IssueRefund):
    maya = get_scenario("damaged_item").ticket
    query = "SELECT id, amount_cents FROM refunds WHERE order_id = 1042"
    with Shop.create() as db, use_shop(db):
        first = run_tool(IssueRefund(order_id=1042, amount=18.5, reason="damaged"), maya).value
        rows = _table(db, query)
        assert [cents for _, cents in rows] == [1850], (
            f"after run_tool(IssueRefund(order_id=1042, amount=18.5, ...)) order 1042 has these refunds (cents): "
            f"{[cents for _, cents in rows]}; expected one of 1850")
        try:
            result = json.loads(first)
        except (TypeError, ValueError):
            raise AssertionError(f"run_tool returned {str(first)[:80]!r} for a refund, which is not JSON") from None
        assert isinstance(result, dict) and result.get("refund_id") == rows[0][0], (
            f"run_tool returned {str(first)[:100]} for the refund, not the refund the shop recorded")
        second = run_tool(IssueRefund(order_id=1042, amount=18.5, reason="damaged"), maya).value
        again = _table(db, query)
        assert len(again) == 1, (
            f"the model asked twice for the same $18.50 refund on ticket {maya.ticket_id} and the shop refunded "
            f"{len(again)} times")
        assert isinstance(second, str) and json.loads(second) == result, "the repeated refund call should return the same refund as the first"
        grace = get_scenario("long_thread").ticket
        error = raised(run_tool, IssueRefund(order_id=1088, amount=24.0, reason="damaged"), grace)
        paid = [cents for _, cents in _table(db, "SELECT id, amount_cents FROM refunds WHERE order_id = 1088")]
        assert error is None and paid == [2400], (
            f"after that refund, a $24.00 refund of order 1088 on ticket {grace.ticket_id} was not paid"
            + (f" (run_tool raised {error.type}: {error.message})" if error is not None else "")
            + ": another ticket and order need another idempotency key")


@hidden.test("identity_comes_from_the_ticket")
def identity_comes_from_the_ticket(run_tool, UpdateAddress, SendMessage):
    luis, tom, priya = (get_scenario(name).ticket for name in ("change_address", "out_of_window", "unknown_order"))
    new_address = "2150 Larimer St Unit 5B, Denver, CO 80205"
    with Shop.create() as db, use_shop(db):
        before = dict(_table(db, "SELECT email, address FROM customers"))
        run_tool(UpdateAddress(address=new_address), luis)
        after = dict(_table(db, "SELECT email, address FROM customers"))
        changed = sorted(email for email in after if after[email] != before[email])
        assert changed == [luis.customer_email], (
            f"UpdateAddress on {luis.customer_name}'s ticket changed the address of {changed or 'nobody'}")
        assert after[luis.customer_email] == new_address, (
            f"{luis.customer_name}'s address is {after[luis.customer_email]!r}, not the new one")
        for ticket in (tom, priya, luis):
            body = f"Hello {ticket.customer_name}, this is a check."
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
def invalid_calls_never_reach_the_shop(run_agent, learner):
    _agent_is_assembled(learner)
    tom = "tom.becker@example.org"
    bad = [
        faults.malformed_arguments("issue_refund", '{"order_id": 1042, "amount": 18.5'),
        Reply.tool_call("issue_refund", {"order_id": 1042, "amount": 18.5, "reason": "damaged", "idempotency_key": "k-1"}),
        Reply.tool_call("issue_refund", {"order_id": 1042, "amount": -18.5, "reason": "damaged"}),
        Reply.tool_call("update_address", {"address": "1 Elsewhere Rd, Reno, NV 89501", "customer_email": tom}),
        Reply.tool_call("send_message", {"body": "Your refund is done.", "customer_email": tom}),
        faults.unknown_tool("delete_all_orders"),
        Reply.tool_call("model_name", {}),
    ]
    maya = get_scenario("damaged_item").ticket
    with Shop.create() as db, use_shop(db), use_model(FakeModel.scripted(*bad, Reply.text("Done."))) as fake:
        before = _snapshot(db)
        answer = run_agent(maya).value
        after = _snapshot(db)
    changed = [table for table in before if before[table] != after[table]]
    assert not changed, f"invalid tool calls changed the shop's {', '.join(changed)}"
    assert answer == "Done.", f"run_agent returned {answer!r}, not the model's final answer 'Done.'"
    results = [m for m in fake.transcript.last_request.messages if m.get("role") == "tool"]
    for reply, message in zip(bad, results, strict=False):
        call = reply.tool_calls[0]
        content = str(message.get("content"))
        assert content.startswith("Error"), (
            f"the model's call {call.name}({call.arguments_json()}) should have come back as an error; "
            f"the model read {content[:100]!r}")


@hidden.test("agent_handles_the_scenarios")
def agent_handles_the_scenarios(run_agent, learner):
    _agent_is_assembled(learner)
    for name in ["damaged_item", "unknown_order", "out_of_window", "where_is_my_order", "change_address"]:
        scenario = get_scenario(name)
        with Shop.create() as db, use_shop(db), use_model(FakeModel(shop_brain)):
            run_agent(scenario.ticket)
            got = outcome_of(db, scenario)
            assert got == scenario.expected.outcome, f"on {name} the outcome was {got}, expected {scenario.expected.outcome}"
            if scenario.expected.refund_amount is not None:
                paid = refunded_amount(db, scenario)
                assert paid == scenario.expected.refund_amount, f"on {name} the shop refunded ${paid:.2f}"
    scenario = get_scenario("damaged_item")
    broken_first = FakeModel(shop_brain, faults={1: faults.malformed_arguments("get_order")})
    with Shop.create() as db, use_shop(db), use_model(broken_first):
        run_agent(scenario.ticket)
        got = outcome_of(db, scenario)
    assert got == "refunded", f"on damaged_item with a malformed first call the outcome was {got}, expected refunded"

__all__ = ["hidden"]

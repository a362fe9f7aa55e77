"""Schema-valid values from the conversation, checked against an independent validator (jsonschema)."""

from __future__ import annotations

import enum
from typing import Literal

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel

from course.llm.schema import schema_problems
from course.llm.values import Hints, value_for

HINTS = Hints.of_text("Hi, I'm Ada Lovelace (ada@example.com). Order 1042 arrived broken; I paid $18.50. I live in Paris.")


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Line(BaseModel):
    sku: str
    quantity: int
    colour: Colour


class Address(BaseModel):
    city: str
    zip_code: str | None


class Order(BaseModel):
    order_id: int
    customer_name: str
    email: str
    amount: float
    status: Literal["open", "shipped", "refunded"]
    lines: list[Line]
    shipping: Address | None
    billing: Address
    tags: list[str]
    note: str | int | None


PYDANTIC_SCHEMAS = {
    "order (pydantic)": Order.model_json_schema(),
    "order (strict, as openai sends it)": to_strict_json_schema(Order),
    "line": Line.model_json_schema(),
}


@pytest.mark.parametrize("schema", PYDANTIC_SCHEMAS.values(), ids=PYDANTIC_SCHEMAS.keys())
def test_a_generated_value_validates_against_nested_refs_enums_arrays_and_nullables(schema):
    value = value_for(schema, HINTS)
    jsonschema.validate(value, schema)
    assert schema_problems(value, schema) == []


def test_values_the_conversation_mentions_are_copied_into_the_fields_that_ask_for_them():
    value = value_for(to_strict_json_schema(Order), HINTS)
    assert (value["order_id"], value["customer_name"], value["email"], value["amount"]) == (1042, "Ada Lovelace", "ada@example.com", 18.5)
    assert value["billing"]["city"] == "Paris"
    Order.model_validate(value)


def test_a_preferred_value_is_kept_where_it_fits_and_replaced_where_it_does_not():
    schema = to_strict_json_schema(Line)
    assert value_for(schema, HINTS, {"sku": "MUG-1", "quantity": 2, "colour": "blue"}) == {"sku": "MUG-1", "quantity": 2, "colour": "blue"}
    fixed = value_for(schema, HINTS, {"sku": 7, "quantity": "3", "colour": "green"})
    assert fixed == {"sku": "7", "quantity": 3, "colour": "red"}


def test_the_validator_reports_what_breaks_a_schema():
    schema = to_strict_json_schema(Address)
    assert schema_problems({"city": 1}, schema) == ["$: missing required property 'zip_code'", "$.city: expected string, got int 1"]
    assert schema_problems({"city": "x", "zip_code": None, "extra": 1}, schema) == ["$: unexpected property 'extra'"]


# Random schemas of the subset strict mode accepts: every one must get a valid value.
_scalar = st.sampled_from([{"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"},
                           {"type": ["string", "null"]}, {"enum": ["a", "b"]}, {"type": "integer", "minimum": 5},
                           {"type": "string", "format": "email"}, {"const": "fixed"}])
_keys = st.sampled_from(["order_id", "amount", "email", "name", "city", "reason", "x", "items", "first_name"])


def _object(children: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
    def build(fields: dict[str, dict]) -> dict:
        return {"type": "object", "properties": fields, "required": list(fields), "additionalProperties": False}

    return st.dictionaries(_keys, children, max_size=4).map(build)


_schemas = st.recursive(_scalar | st.just({"$ref": "#/$defs/Shared"}), lambda children: st.one_of(
    _object(children),
    children.map(lambda item: {"type": "array", "items": item}),
    st.lists(children, min_size=1, max_size=3).map(lambda options: {"anyOf": options}),
), max_leaves=12)
_documents = st.tuples(_schemas, _object(_scalar)).map(lambda pair: {**pair[0], "$defs": {"Shared": pair[1]}})


@settings(max_examples=150, deadline=None, derandomize=True)
@given(schema=_documents)
def test_any_schema_of_the_strict_subset_gets_a_valid_value(schema):
    value = value_for(schema, HINTS)
    jsonschema.validate(value, schema)


class Tree(BaseModel):
    label: str
    children: list[Tree]
    parent: Tree | None


def test_a_recursive_schema_gets_a_finite_valid_value():
    schema = to_strict_json_schema(Tree)
    value = value_for(schema, HINTS)
    jsonschema.validate(value, schema)
    Tree.model_validate(value)

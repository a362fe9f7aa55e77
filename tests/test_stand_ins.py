"""The stand-ins hidden tests put in place of a learner's earlier exercise: what they return, whatever they get."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from course.grading.stand_ins import render_fields


class ToolResult(BaseModel):
    kind: str = "tool_result"
    name: str
    result: str


class Renamed(ToolResult):
    pass


class Plain:
    def __repr__(self) -> str:
        return "Plain()"


class Broken(BaseModel):
    text: str

    def model_dump_json(self, **kwargs: Any) -> str:
        raise RuntimeError("learner objects can raise anything")


def test_an_event_is_its_fields_on_one_line_with_cards_and_addresses_masked() -> None:
    event = ToolResult(name="get_order", result="card 4111 1111 1111 1111, mail grace.h@example.co.uk, order 1042")
    assert render_fields(event) == "<tool_result get_order card [card], mail [email], order 1042>"
    assert render_fields({"kind": "ticket", "body": "4111-1111-1111-1111"}) == "<ticket [card]>"


def test_a_line_follows_the_events_value_and_class_never_an_earlier_call() -> None:
    event = ToolResult(name="get_order", result="first")
    assert render_fields(event) == "<tool_result get_order first>"
    event.result = "second"  # the same object, changed: rendered again, not remembered
    assert render_fields(event) == "<tool_result get_order second>"
    no_kind = {"name": "x"}
    assert render_fields(no_kind) == "<dict x>"
    assert render_fields(Renamed(kind="other", name="x", result="y")) == "<other x y>"


def test_what_has_no_fields_renders_as_its_class_and_a_learner_object_that_raises_changes_nothing() -> None:
    assert render_fields(Plain()) == "<Plain >"
    assert render_fields(Broken(text="secret")) == "<Broken >"
    assert render_fields(["a", 1]) == "<list >"

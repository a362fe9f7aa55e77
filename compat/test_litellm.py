"""litellm against the fake: forced tools, response_format, streaming."""

from __future__ import annotations

import json

import litellm
import pytest
from conftest import TICKET
from pydantic import BaseModel


class Refund(BaseModel):
    order_id: int
    amount: float
    customer_email: str


EXPECTED = Refund(order_id=1042, amount=18.5, customer_email="ada@example.com")
WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city.",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
ORDER = {"type": "function", "function": {"name": "get_order", "description": "Look up an order.",
         "parameters": {"type": "object", "properties": {"order_id": {"type": "integer"}}, "required": ["order_id"]}}}


@pytest.fixture(params=["loopback", "in-process"])
def route(request, base_url, fake) -> dict:  # type: ignore[no-untyped-def]
    if request.param == "loopback":
        return {"model": "openai/course-fake", "api_base": base_url, "api_key": "any"}
    return {"model": "openai/course-fake", "client": fake.client(), "api_key": "any"}


def ask(route: dict, text: str, **kwargs):  # type: ignore[no-untyped-def]
    return litellm.completion(messages=[{"role": "user", "content": text}], **route, **kwargs)


def test_a_named_tool_is_called_even_when_the_question_is_about_something_else(route):
    reply = ask(route, TICKET, tools=[ORDER, WEATHER], tool_choice={"type": "function", "function": {"name": "get_weather"}})
    assert [c.function.name for c in reply.choices[0].message.tool_calls] == ["get_weather"]


def test_required_tool_choice_gets_a_call_with_arguments_from_the_message(route):
    reply = ask(route, TICKET, tools=[ORDER], tool_choice="required")
    call = reply.choices[0].message.tool_calls[0]
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_order", {"order_id": 1042})


def test_a_pydantic_response_format_gets_valid_json(route):
    reply = ask(route, TICKET, response_format=Refund)
    assert Refund.model_validate_json(reply.choices[0].message.content) == EXPECTED


def test_streamed_tool_calls_add_up_to_the_call(route):
    chunks = list(ask(route, "What's the weather in Paris?", tools=[WEATHER], stream=True))
    arguments = "".join(d.function.arguments or "" for c in chunks for d in c.choices[0].delta.tool_calls or [])
    assert json.loads(arguments) == {"city": "Paris"}


def test_streamed_text_arrives_in_pieces(route):
    chunks = list(ask(route, "Hello", stream=True))
    assert len(chunks) > 2 and "".join(c.choices[0].delta.content or "" for c in chunks)

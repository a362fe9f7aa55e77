"""langchain-openai against the fake: bind_tools with tool_choice, structured output, streamed tools."""

from __future__ import annotations

import pytest
from conftest import TICKET
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel


class Refund(BaseModel):
    order_id: int
    amount: float
    customer_email: str


EXPECTED = Refund(order_id=1042, amount=18.5, customer_email="ada@example.com")


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"18 C and sunny in {city}"


@tool
def get_order(order_id: int) -> str:
    """Look up an order by its number."""
    return "{}"


@pytest.fixture(params=["loopback", "in-process"])
def llm(request, base_url, fake) -> ChatOpenAI:  # type: ignore[no-untyped-def]
    if request.param == "loopback":
        return ChatOpenAI(model="course-fake", base_url=base_url, api_key="any", max_retries=0)
    sync, asynchronous = fake.client(), fake.async_client()  # langchain takes openai clients, not an http client
    return ChatOpenAI(model="course-fake", root_client=sync, client=sync.chat.completions,
                      root_async_client=asynchronous, async_client=asynchronous.chat.completions, api_key="any")


def test_a_tool_of_ones_own_is_called_with_arguments_from_the_question(llm):
    message = llm.bind_tools([get_weather]).invoke("What's the weather in Paris?")
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [("get_weather", {"city": "Paris"})]


@pytest.mark.parametrize("choice", ["required", "any", "get_weather"])
def test_a_forced_tool_choice_is_honoured(llm, choice):
    message = llm.bind_tools([get_order, get_weather], tool_choice=choice).invoke("Hello there")
    names = [c["name"] for c in message.tool_calls]
    assert names == ["get_weather"] if choice == "get_weather" else len(names) >= 1


def test_tool_choice_none_gets_words(llm):
    message = llm.bind_tools([get_order], tool_choice="none").invoke(TICKET)
    assert not message.tool_calls and message.content


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_with_structured_output_gives_the_model_filled_from_the_conversation(llm, method):
    assert llm.with_structured_output(Refund, method=method).invoke(TICKET) == EXPECTED


def test_two_things_asked_about_get_parallel_calls(llm):
    message = llm.bind_tools([get_weather]).invoke("What's the weather in Paris and in London?")
    assert [c["args"]["city"] for c in message.tool_calls] == ["Paris", "London"]


def test_streamed_tool_calls_add_up_to_the_call(llm):
    chunks = list(llm.bind_tools([get_order, get_weather], tool_choice="get_order").stream(TICKET))
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert [(c["name"], c["args"]) for c in total.tool_calls] == [("get_order", {"order_id": 1042})]
    assert len(chunks) > 3

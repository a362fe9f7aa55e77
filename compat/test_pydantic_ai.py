"""pydantic-ai against the fake: tools, tool output, NativeOutput and streamed output."""

from __future__ import annotations

import asyncio

import pytest
from conftest import TICKET
from pydantic import BaseModel
from pydantic_ai import Agent, NativeOutput
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider


class Refund(BaseModel):
    order_id: int
    amount: float
    customer_email: str


def models(base_url: str, fake) -> dict[str, OpenAIChatModel]:  # type: ignore[no-untyped-def]
    return {
        "loopback": OpenAIChatModel("course-fake", provider=OpenAIProvider(base_url=base_url, api_key="any")),
        "in-process": OpenAIChatModel("course-fake", provider=OpenAIProvider(openai_client=fake.async_client())),
    }


@pytest.fixture(params=["loopback", "in-process"])
def model(request, base_url, fake) -> OpenAIChatModel:  # type: ignore[no-untyped-def]
    return models(base_url, fake)[request.param]


def test_a_tool_is_called_and_its_result_answered(model):
    agent = Agent(model)

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """Current weather in a city."""
        return f"18 C and sunny in {city}"

    result = agent.run_sync("What's the weather in Paris?")
    assert "18 C and sunny in Paris" in result.output


def test_structured_output_through_the_output_tool(model):
    result = Agent(model, output_type=Refund).run_sync(TICKET)
    assert result.output == Refund(order_id=1042, amount=18.5, customer_email="ada@example.com")


def test_structured_output_with_native_output(model):
    result = Agent(model, output_type=NativeOutput(Refund)).run_sync(TICKET)
    assert result.output == Refund(order_id=1042, amount=18.5, customer_email="ada@example.com")


def test_streamed_structured_output_ends_in_the_full_value(model):
    async def stream() -> list[Refund]:
        async with Agent(model, output_type=Refund).run_stream(TICKET) as result:
            return [output async for output in result.stream_output(debounce_by=None)]

    outputs = asyncio.run(stream())
    assert outputs and outputs[-1] == Refund(order_id=1042, amount=18.5, customer_email="ada@example.com")


def test_streamed_text(model):
    async def stream() -> str:
        async with Agent(model).run_stream("Hello") as result:
            return "".join([text async for text in result.stream_text(delta=True, debounce_by=None)])

    assert asyncio.run(stream())

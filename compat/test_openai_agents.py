"""openai-agents (Chat Completions model) against the fake: output_type, function tools, streaming."""

from __future__ import annotations

import asyncio

import pytest
from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool, set_tracing_disabled
from conftest import TICKET
from openai import AsyncOpenAI
from openai.types.responses import ResponseTextDeltaEvent
from pydantic import BaseModel

set_tracing_disabled(True)  # traces would go to a real endpoint


class Refund(BaseModel):
    order_id: int
    amount: float
    customer_email: str


EXPECTED = Refund(order_id=1042, amount=18.5, customer_email="ada@example.com")


@function_tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"18 C and sunny in {city}"


@pytest.fixture(params=["loopback", "in-process"])
def model(request, base_url, fake) -> OpenAIChatCompletionsModel:  # type: ignore[no-untyped-def]
    client = AsyncOpenAI(base_url=base_url, api_key="any") if request.param == "loopback" else fake.async_client()
    return OpenAIChatCompletionsModel(model="course-fake", openai_client=client)


def test_output_type_gives_the_model_filled_from_the_conversation(model):
    agent = Agent(name="triage", instructions="Extract the refund.", model=model, output_type=Refund)
    assert Runner.run_sync(agent, TICKET).final_output == EXPECTED


def test_a_function_tool_is_called_and_its_result_answered(model):
    agent = Agent(name="weather", model=model, tools=[get_weather])
    assert "18 C and sunny in Paris" in Runner.run_sync(agent, "What's the weather in Paris?").final_output


def test_a_tool_and_an_output_type_together(model):
    agent = Agent(name="weather", model=model, tools=[get_weather], output_type=Refund)
    assert Runner.run_sync(agent, TICKET).final_output == EXPECTED


def test_a_streamed_run_yields_text_deltas_and_the_final_output(model):
    async def run() -> tuple[str, object]:
        result = Runner.run_streamed(Agent(name="hello", model=model), "Hello")
        deltas = [e.data.delta async for e in result.stream_events()
                  if e.type == "raw_response_event" and isinstance(e.data, ResponseTextDeltaEvent)]
        return "".join(deltas), result.final_output

    text, final = asyncio.run(run())
    assert text and text == final

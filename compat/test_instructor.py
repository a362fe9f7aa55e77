"""instructor against the fake: TOOLS and JSON_SCHEMA modes, partial streaming (own venv: older openai)."""

from __future__ import annotations

import instructor
import openai
import pytest
from conftest import TICKET
from pydantic import BaseModel


class Refund(BaseModel):
    order_id: int
    amount: float
    customer_email: str


EXPECTED = Refund(order_id=1042, amount=18.5, customer_email="ada@example.com")
MESSAGES = [{"role": "user", "content": TICKET}]


@pytest.fixture(params=["loopback", "in-process"])
def client(request, base_url, fake) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    if request.param == "loopback":
        return openai.OpenAI(base_url=base_url, api_key="any", max_retries=0)
    return fake.client()


@pytest.mark.parametrize("mode", [instructor.Mode.TOOLS, instructor.Mode.TOOLS_STRICT, instructor.Mode.JSON_SCHEMA, instructor.Mode.JSON])
def test_a_response_model_is_filled_from_the_conversation(client, mode):
    patched = instructor.from_openai(client, mode=mode)
    refund = patched.chat.completions.create(model="course-fake", messages=MESSAGES, response_model=Refund, max_retries=0)
    assert refund.model_dump() == EXPECTED.model_dump()  # instructor returns its own subclass


def test_partial_streaming_grows_to_the_full_value(client):
    patched = instructor.from_openai(client, mode=instructor.Mode.TOOLS)
    partials = list(patched.chat.completions.create_partial(model="course-fake", messages=MESSAGES, response_model=Refund))
    assert len(partials) > 1
    assert partials[-1].model_dump() == EXPECTED.model_dump()


def test_an_async_client_works_too(base_url):
    import asyncio

    patched = instructor.from_openai(openai.AsyncOpenAI(base_url=base_url, api_key="any", max_retries=0))

    async def ask() -> Refund:
        return await patched.chat.completions.create(model="course-fake", messages=MESSAGES, response_model=Refund)

    assert asyncio.run(ask()).model_dump() == EXPECTED.model_dump()

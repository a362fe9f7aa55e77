"""The fake speaks the Chat Completions wire format exactly, as the SDK's strict types check it."""

from __future__ import annotations

import json

import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import BaseModel

from course.llm import FakeModel, Reply, faults
from course.llm.wire import completion, sse_chunks

USER = [{"role": "user", "content": "My mug from order 1042 arrived broken."}]
REPLIES = [
    Reply.text("Sorry to hear that."),
    Reply.tool_call("get_order", {"order_id": 1042}),
    Reply.calls(("get_order", {"order_id": 1042}), ("track_shipment", {"order_id": 1042})),
    Reply(content="Let me check.", tool_calls=Reply.tool_call("get_order", {"order_id": 1}).tool_calls),
    faults.refusal(),
    faults.truncated(),
    faults.empty_reply(),
]


@pytest.mark.parametrize("reply", REPLIES)
def test_every_kind_of_reply_validates_against_the_sdk_types(reply):
    body = completion(reply, model="course-fake", prompt_tokens=12, seed=0, call=1)
    ChatCompletion.model_validate(body, strict=True)
    # and through the client with strict response validation on
    fake = FakeModel.scripted(reply)
    fake.client(strict=True).chat.completions.create(model="course-fake", messages=USER)


@pytest.mark.parametrize("reply", REPLIES)
def test_every_streamed_chunk_validates_against_the_sdk_types(reply):
    events = list(sse_chunks(reply, model="m", prompt_tokens=3, seed=0, call=1, include_usage=True))
    assert events[-1] == b"data: [DONE]\n\n"
    for event in events[:-1]:
        ChatCompletionChunk.model_validate(json.loads(event.removeprefix(b"data: ")), strict=True)


def test_streamed_text_reassembles_to_the_reply():
    fake = FakeModel.scripted(Reply.text("Your refund of $18.50 is on its way."))
    stream = fake.client(strict=True).chat.completions.create(model="m", messages=USER, stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "Your refund of $18.50 is on its way."


def test_streamed_tool_calls_reassemble_with_the_sdk_stream_helper():
    fake = FakeModel.scripted(Reply.calls(("get_order", {"order_id": 1042}), ("track_shipment", {"order_id": 7})))
    tools = [_tool("get_order"), _tool("track_shipment")]
    with fake.client().chat.completions.stream(model="m", messages=USER, tools=tools) as stream:
        final = stream.get_final_completion()
    calls = final.choices[0].message.tool_calls
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("get_order", {"order_id": 1042}),
        ("track_shipment", {"order_id": 7}),
    ]


def test_usage_counts_prompt_and_completion_tokens():
    fake = FakeModel.scripted(Reply.text("x" * 40))
    usage = fake.client().chat.completions.create(model="m", messages=USER).usage
    assert usage.completion_tokens == 10
    assert usage.prompt_tokens == fake.transcript.prompt_tokens()[0]
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


class Refund(BaseModel):
    order_id: int
    amount: float
    reason: str


def test_parse_with_a_pydantic_response_format_returns_the_typed_object():
    fake = FakeModel.scripted(Reply.structured(Refund(order_id=1042, amount=18.5, reason="broken")))
    result = fake.client().chat.completions.parse(model="m", messages=USER, response_format=Refund)
    assert result.choices[0].message.parsed == Refund(order_id=1042, amount=18.5, reason="broken")
    sent = fake.transcript.last_request.response_schema
    assert sent["additionalProperties"] is False and sent["required"] == ["order_id", "amount", "reason"]


def test_parse_with_strict_pydantic_tools_parses_the_arguments():
    fake = FakeModel.scripted(Reply.tool_call("Refund", {"order_id": 1042, "amount": 18.5, "reason": "broken"}))
    result = fake.client().chat.completions.parse(
        model="m", messages=USER, tools=[openai.pydantic_function_tool(Refund)]
    )
    assert result.choices[0].message.tool_calls[0].function.parsed_arguments == Refund(order_id=1042, amount=18.5, reason="broken")


def _tool(name: str) -> dict:
    schema = {"type": "object", "properties": {"order_id": {"type": "integer"}}, "required": ["order_id"], "additionalProperties": False}
    return {"type": "function", "function": {"name": name, "parameters": schema, "strict": True}}

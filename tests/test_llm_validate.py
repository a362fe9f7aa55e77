"""The fake rejects what real endpoints reject, with their status codes and wording."""

from __future__ import annotations

import json

import openai
import pytest

from course.llm import FakeModel, Reply

USER = {"role": "user", "content": "Refund order 1042, please."}
CALL = {
    "role": "assistant",
    "content": None,
    "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_order", "arguments": "{}"}}],
}


def rejected(messages=None, fake: FakeModel | None = None, **kwargs) -> openai.BadRequestError:
    fake = fake or FakeModel(lambda request: Reply.text("ok"))
    with pytest.raises(openai.BadRequestError) as error:
        fake.client().chat.completions.create(model="m", messages=messages or [USER], **kwargs)
    return error.value


def test_tool_calls_without_a_tool_message_for_each_id_are_rejected():
    error = rejected([USER, CALL, {"role": "user", "content": "and?"}])
    assert "must be followed by tool messages responding to each 'tool_call_id'" in error.message
    assert "call_1" in error.message


def test_tool_calls_at_the_end_of_the_messages_are_rejected():
    assert "call_1" in rejected([USER, CALL]).message


def test_a_stray_tool_message_is_rejected():
    error = rejected([USER, {"role": "tool", "tool_call_id": "call_9", "content": "{}"}])
    assert "messages with role 'tool' must be a response to a preceeding message with 'tool_calls'" in error.message


def test_tool_messages_answering_every_call_are_accepted():
    fake = FakeModel(lambda request: Reply.text("ok"))
    answered = [USER, CALL, {"role": "tool", "tool_call_id": "call_1", "content": "{}"}]
    assert fake.client().chat.completions.create(model="m", messages=answered).choices[0].message.content == "ok"


def test_an_unknown_role_is_rejected():
    assert "Supported values are" in rejected([{"role": "robot", "content": "hi"}]).message


def _strict_tool(parameters: dict) -> list[dict]:
    return [{"type": "function", "function": {"name": "get_order", "parameters": parameters, "strict": True}}]


def test_a_strict_tool_without_additional_properties_false_is_rejected():
    error = rejected(tools=_strict_tool({"type": "object", "properties": {"order_id": {"type": "integer"}}, "required": ["order_id"]}))
    assert "Invalid schema for function 'get_order'" in error.message
    assert "'additionalProperties' is required to be supplied and to be false" in error.message
    assert error.code == "invalid_function_parameters"


def test_a_strict_tool_with_a_field_missing_from_required_is_rejected():
    schema = {"type": "object", "properties": {"order_id": {"type": "integer"}, "note": {"type": "string"}}, "required": ["order_id"], "additionalProperties": False}
    assert "Missing 'note'" in rejected(tools=_strict_tool(schema)).message


def test_a_nested_object_in_a_strict_schema_is_checked_too():
    schema = {
        "type": "object",
        "properties": {"address": {"$ref": "#/$defs/Address"}},
        "required": ["address"],
        "additionalProperties": False,
        "$defs": {"Address": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
    }
    assert "'additionalProperties' is required" in rejected(tools=_strict_tool(schema)).message


def test_a_non_strict_tool_schema_is_accepted_as_is():
    fake = FakeModel(lambda request: Reply.text("ok"))
    tools = [{"type": "function", "function": {"name": "get_order", "parameters": {"type": "object", "properties": {}}}}]
    fake.client().chat.completions.create(model="m", messages=[USER], tools=tools)


def test_a_strict_response_format_is_checked():
    response_format = {"type": "json_schema", "json_schema": {"name": "Refund", "strict": True, "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}}
    assert "Invalid schema for response_format 'Refund'" in rejected(response_format=response_format).message


def test_tool_choice_must_name_an_offered_tool():
    tools = [{"type": "function", "function": {"name": "get_order", "parameters": {"type": "object", "properties": {}}}}]
    error = rejected(tools=tools, tool_choice={"type": "function", "function": {"name": "issue_refund"}})
    assert "issue_refund" in error.message


def test_a_request_over_the_context_window_is_rejected_as_context_length_exceeded():
    fake = FakeModel(lambda request: Reply.text("ok"), context_window=100)
    error = rejected([{"role": "user", "content": "x" * 800}], fake=fake)
    assert error.code == "context_length_exceeded"
    assert "maximum context length is 100 tokens" in error.message
    assert "resulted in 204 tokens" in error.message


def test_rejected_requests_are_in_the_transcript_and_spend_no_scripted_reply():
    fake = FakeModel.scripted(Reply.text("kept"))
    rejected([USER, CALL], fake=fake)
    assert fake.transcript[0].error.status == 400
    assert fake.client().chat.completions.create(model="m", messages=[USER]).choices[0].message.content == "kept"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", "could not parse the JSON body"),
        (b"[]", "could not parse the JSON body"),
        (json.dumps({"messages": [USER]}).encode(), "Missing required parameter: 'model'"),
        (json.dumps({"model": "m"}).encode(), "Missing required parameter: 'messages'"),
        (json.dumps({"model": "m", "messages": []}).encode(), "empty array"),
    ],
)
def test_malformed_bodies_get_openai_style_error_bodies(body, expected):
    answer = FakeModel().handle(body)
    assert answer.status == 400
    assert answer.body["error"]["type"] == "invalid_request_error"
    assert expected in answer.body["error"]["message"]

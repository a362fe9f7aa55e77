"""The fake keeps the API's promises: tool_choice, valid structured output, independent clients."""

from __future__ import annotations

import asyncio
import json

import jsonschema
import openai
import pytest
from pydantic import BaseModel

from course.brain import shop_brain
from course.llm import ErrorReply, FakeModel, Reply, async_client, client, faults, use_model

TICKET = [{"role": "user", "content": "Hi, I'm Ada Lovelace (ada@example.com). The mug from order 1042 arrived broken; I paid $18.50."}]


def tool(name: str, properties: dict, description: str = "") -> dict:
    parameters = {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}
    return {"type": "function", "function": {"name": name, "description": description, "parameters": parameters, "strict": True}}


WEATHER = tool("get_weather", {"city": {"type": "string"}}, "Current weather in a city.")
GET_ORDER = tool("get_order", {"order_id": {"type": "integer"}})
NAMED = {"type": "function", "function": {"name": "get_weather"}}


class Refund(BaseModel):
    order_id: str
    amount: float
    email: str
    customer_name: str


def create(fake: FakeModel, messages=TICKET, **kwargs):
    return fake.client().chat.completions.create(model="course-fake", messages=messages, **kwargs)


def calls(completion) -> list[tuple[str, dict]]:
    return [(c.function.name, json.loads(c.function.arguments)) for c in completion.choices[0].message.tool_calls or []]


# --- tool_choice, from every source of replies -----------------------------------------------------

POLICIES = {
    "shop brain": shop_brain,
    "always text": lambda request: Reply.text("Could you tell me your order number?"),
    "always get_order": lambda request: Reply.tool_call("get_order", {"order_id": 7}),
}


@pytest.mark.parametrize("policy", POLICIES.values(), ids=POLICIES.keys())
def test_tool_choice_none_never_calls_a_tool_whatever_the_policy_wants(policy):
    reply = create(FakeModel(policy), tools=[GET_ORDER, WEATHER], tool_choice="none")
    assert reply.choices[0].message.tool_calls is None
    assert reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "stop"


@pytest.mark.parametrize("policy", POLICIES.values(), ids=POLICIES.keys())
def test_tool_choice_required_always_calls_an_offered_tool(policy):
    reply = create(FakeModel(policy), tools=[WEATHER], tool_choice="required")
    assert [name for name, _ in calls(reply)] == ["get_weather"]
    assert reply.choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize("policy", POLICIES.values(), ids=POLICIES.keys())
def test_a_named_tool_choice_calls_exactly_that_function_with_valid_arguments(policy):
    reply = create(FakeModel(policy), tools=[GET_ORDER, WEATHER], tool_choice=NAMED)
    ((name, arguments),) = calls(reply)
    assert name == "get_weather"
    jsonschema.validate(arguments, WEATHER["function"]["parameters"])


def test_a_named_tool_is_called_when_streaming_too():
    stream = create(FakeModel(shop_brain), tools=[GET_ORDER, WEATHER], tool_choice=NAMED, stream=True)
    names = [d.function.name for chunk in stream for d in chunk.choices[0].delta.tool_calls or [] if d.function.name]
    assert names == ["get_weather"]


def test_a_policy_reply_with_arguments_that_break_the_schema_is_repaired_from_the_conversation():
    fake = FakeModel(lambda request: Reply.tool_call("get_order", {"order_id": "the blue one"}))
    assert calls(create(fake, tools=[GET_ORDER])) == [("get_order", {"order_id": 1042})]


def test_a_fault_still_breaks_the_promises_on_purpose():
    fake = FakeModel(shop_brain, faults={1: faults.schema_violation("get_order")})
    assert calls(create(fake, tools=[GET_ORDER], tool_choice="required")) == [("get_order", {"order_id": "the blue one"})]


# --- scripted replies that contradict the request fail loudly --------------------------------------

@pytest.mark.parametrize(("reply", "setting", "words"), [
    (Reply.tool_call("get_order", {"order_id": 1}), {"tool_choice": "none"}, ["calls get_order", "tool_choice is 'none'"]),
    (Reply.text("hi"), {"tool_choice": "required"}, ["answers in text", "tool_choice is 'required'"]),
    (Reply.tool_call("get_order", {"order_id": 1}), {"tool_choice": NAMED}, ["calls get_order", "names the function 'get_weather'"]),
])
def test_a_scripted_reply_that_contradicts_tool_choice_fails_naming_both(reply, setting, words):
    fake = FakeModel.scripted(reply)
    with pytest.raises(openai.BadRequestError) as error:
        create(fake, tools=[GET_ORDER, WEATHER], **setting)
    assert all(word in str(error.value) for word in words), str(error.value)
    with pytest.raises(AssertionError, match="contradicts the request"):
        fake.assert_complete()


def test_a_scripted_reply_that_breaks_a_strict_response_format_fails_naming_both():
    fake = FakeModel.scripted(Reply.structured({"order_id": 1042, "amount": 18.5}))
    with pytest.raises(openai.BadRequestError) as error:
        fake.client().chat.completions.parse(model="course-fake", messages=TICKET, response_format=Refund)
    message = str(error.value)
    assert "response_format json_schema 'Refund'" in message and "$.order_id: expected string" in message


def test_a_scripted_reply_that_keeps_the_promises_is_given_unchanged():
    fake = FakeModel.scripted(Reply.structured(Refund(order_id="9", amount=1.0, email="e@x.io", customer_name="B")))
    parsed = fake.client().chat.completions.parse(model="course-fake", messages=TICKET, response_format=Refund)
    assert parsed.choices[0].message.parsed == Refund(order_id="9", amount=1.0, email="e@x.io", customer_name="B")
    fake.assert_complete()


# --- structured output ------------------------------------------------------------------------------

def test_parse_with_a_pydantic_model_gets_values_from_the_conversation():
    result = FakeModel(shop_brain).client().chat.completions.parse(model="course-fake", messages=TICKET, response_format=Refund)
    assert result.choices[0].message.parsed == Refund(order_id="1042", amount=18.5, email="ada@example.com", customer_name="Ada Lovelace")


def test_parse_with_a_pydantic_function_tool_gets_a_parsed_call():
    result = FakeModel(shop_brain).client().chat.completions.parse(
        model="course-fake", messages=TICKET, tools=[openai.pydantic_function_tool(Refund)])
    call = result.choices[0].message.tool_calls[0]
    assert call.function.parsed_arguments == Refund(order_id="1042", amount=18.5, email="ada@example.com", customer_name="Ada Lovelace")


def test_text_under_a_json_schema_response_format_becomes_valid_json():
    schema = {"type": "object", "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
              "required": ["answer", "confidence"], "additionalProperties": False}
    fake = FakeModel(lambda request: Reply.text("The refund is on its way."))
    content = create(fake, response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": schema, "strict": True}}).choices[0].message.content
    assert json.loads(content) == {"answer": "The refund is on its way.", "confidence": 0.0}


# --- tools the shop brain does not know -------------------------------------------------------------

def test_a_learners_own_tool_is_called_with_arguments_from_the_question():
    question = [{"role": "user", "content": "What's the weather in Paris?"}]
    assert calls(create(FakeModel(shop_brain), question, tools=[WEATHER])) == [("get_weather", {"city": "Paris"})]


def test_two_things_asked_about_get_parallel_calls_unless_parallel_tool_calls_is_false():
    question = [{"role": "user", "content": "What's the weather in Paris and in London?"}]
    both = create(FakeModel(shop_brain), question, tools=[WEATHER])
    assert calls(both) == [("get_weather", {"city": "Paris"}), ("get_weather", {"city": "London"})]
    one = create(FakeModel(shop_brain), question, tools=[WEATHER], parallel_tool_calls=False)
    assert calls(one) == [("get_weather", {"city": "Paris"})]


def test_once_the_tools_answered_the_brain_answers_in_words_or_with_the_output_tool():
    question = {"role": "user", "content": "What's the weather in Paris?"}
    asked = {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]}
    answered = {"role": "tool", "tool_call_id": "c1", "content": "18 C and sunny"}
    text = create(FakeModel(shop_brain), [question, asked, answered], tools=[WEATHER])
    assert "18 C and sunny" in text.choices[0].message.content
    final = tool("final_result", {"summary": {"type": "string"}})
    output = create(FakeModel(shop_brain), [question, asked, answered], tools=[WEATHER, final], tool_choice="required")
    assert [name for name, _ in calls(output)] == ["final_result"]


# --- clients, routing, policies that raise --------------------------------------------------------

def test_every_client_works_after_another_is_closed():
    fake = FakeModel(lambda request: Reply.text("hi"))
    with use_model(fake):
        with client() as first:
            first.chat.completions.create(model="course-fake", messages=TICKET)
        second = client()
        client().close()
        assert second.chat.completions.create(model="course-fake", messages=TICKET).choices[0].message.content == "hi"
    assert first is not second and fake.calls == 2


def test_an_async_client_reaches_the_same_fake_in_process():
    fake = FakeModel(lambda request: Reply.text("async hi"))

    async def ask() -> str | None:
        async with async_client() as c:
            reply = await c.chat.completions.create(model="course-fake", messages=TICKET)
            return reply.choices[0].message.content

    with use_model(fake):
        assert asyncio.run(ask()) == "async hi"
    assert len(fake.transcript) == 1


def test_a_handle_override_is_used_by_every_client():
    class Forwarding(FakeModel):
        def handle(self, raw):  # type: ignore[no-untyped-def]
            return FakeModel.scripted(Reply.text("forwarded")).handle(raw)

    fake = Forwarding()
    assert create(fake).choices[0].message.content == "forwarded"
    assert asyncio.run(fake.async_client().chat.completions.create(model="m", messages=TICKET)).choices[0].message.content == "forwarded"


def test_the_model_card_and_the_404_come_from_the_fake_itself():
    fake = FakeModel()
    assert fake.client().models.list().data[0].id == "course-fake"
    assert fake.respond("GET", "/v1/models").body == {"object": "list", "data": [fake.respond("GET", "/v1/models/course-fake").body]}
    missing = fake.respond("POST", "/v1/embeddings", b"{}")
    assert missing.status == 404 and "POST /v1/chat/completions" in str(missing.body)


def test_a_policy_that_raises_is_recorded_in_the_transcript_and_fails_the_fake():
    def broken(request):
        raise KeyError("order_id")

    fake = FakeModel(broken)
    with pytest.raises(openai.InternalServerError, match="The policy broken raised KeyError"):
        create(fake)
    assert fake.transcript[0].error is not None and fake.transcript[0].error.code == "policy_error"
    with pytest.raises(AssertionError, match="raised KeyError"):
        fake.assert_complete()


def test_a_policy_that_raises_is_not_retried_by_a_retrying_client():
    fake = FakeModel(lambda request: 1 / 0)
    with pytest.raises(openai.InternalServerError):
        fake.client(max_retries=3).chat.completions.create(model="m", messages=TICKET)
    assert fake.calls == 1


def test_error_reply_is_the_name_and_api_error_its_alias():
    from course.llm import ApiError

    assert ApiError is ErrorReply
    fake = FakeModel.scripted(ErrorReply(status=503))
    with pytest.raises(openai.InternalServerError):
        create(fake)


def test_json_mode_follows_a_schema_given_in_the_instructions():
    schema = json.dumps(Refund.model_json_schema())
    messages = [{"role": "system", "content": f"Answer with JSON matching this schema:\n{schema}\nNothing else."}, *TICKET]
    content = create(FakeModel(shop_brain), messages, response_format={"type": "json_object"}).choices[0].message.content
    assert Refund.model_validate_json(content) == Refund(order_id="1042", amount=18.5, email="ada@example.com", customer_name="Ada Lovelace")


def test_a_scripted_refusal_or_truncation_under_a_response_format_is_allowed_as_a_real_model_does_it():
    response_format = {"type": "json_schema", "json_schema": {"name": "Refund", "strict": True, "schema": {
        "type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": False}}}
    fake = FakeModel.scripted(faults.refusal(), faults.truncated('{"a": "tru'))
    assert create(fake, response_format=response_format).choices[0].message.refusal
    assert create(fake, response_format=response_format).choices[0].finish_reason == "length"
    fake.assert_complete()


def test_an_expectation_that_raises_is_reported_not_escaped():
    fake = FakeModel.scripted(Reply.text("ok").expecting(lambda request: request.no_such_field))
    with pytest.raises(openai.BadRequestError, match="the expectation raised AttributeError"):
        create(fake)


def test_async_client_follows_the_same_settings_as_client(monkeypatch):
    monkeypatch.setenv("COURSE_MODEL", "llama3.2")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert str(async_client().base_url) == "http://fake-model.invalid/v1/"  # offline: still the fake
    monkeypatch.setenv("COURSE_OFFLINE", "0")
    real = async_client()
    assert isinstance(real, openai.AsyncOpenAI) and str(real.base_url) == "http://127.0.0.1:9/v1/"

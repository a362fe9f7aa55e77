"""The fake model: scripts, policies, faults, expectations and the transcript."""

from __future__ import annotations

import openai
import pytest

from course.llm import ApiError, ChatRequest, FakeModel, FaultRate, Reply, faults

USER = [{"role": "user", "content": "Where is order 1042?"}]


def ask(fake: FakeModel, messages=USER, **kwargs):
    return fake.client().chat.completions.create(model="course-fake", messages=messages, **kwargs)


def test_scripted_replies_are_given_in_order_and_the_script_is_used_up():
    fake = FakeModel.scripted(Reply.text("first"), Reply.text("second"))
    assert ask(fake).choices[0].message.content == "first"
    assert ask(fake).choices[0].message.content == "second"
    fake.assert_complete()


def test_a_call_past_the_end_of_the_script_fails_loudly_with_the_transcript():
    fake = FakeModel.scripted(Reply.text("only"))
    ask(fake)
    with pytest.raises(openai.BadRequestError) as error:
        ask(fake)
    assert "no reply for call 2" in str(error.value)
    assert "Where is order 1042?" in str(error.value)
    with pytest.raises(AssertionError, match="no reply for call 2"):
        fake.assert_complete()


def test_assert_complete_reports_unused_replies():
    fake = FakeModel.scripted(Reply.text("a"), Reply.text("b"))
    ask(fake)
    with pytest.raises(AssertionError, match="1 of 2 replies"):
        fake.assert_complete()


def test_an_expectation_checks_the_request_it_answers():
    def offers_get_order(request: ChatRequest) -> bool:
        return "get_order" in request.tool_names

    fake = FakeModel.scripted(Reply.text("ok").expecting(offers_get_order))
    with pytest.raises(openai.BadRequestError, match="did not match what the script expected"):
        ask(fake)
    with pytest.raises(AssertionError):
        fake.assert_complete()


def test_an_expectation_that_holds_lets_the_reply_through():
    def mentions_order(request: ChatRequest) -> None:
        assert "1042" in (request.last_user_text or ""), "the ticket should mention the order"

    fake = FakeModel.scripted(Reply.text("ok").expecting(mentions_order))
    assert ask(fake).choices[0].message.content == "ok"
    fake.assert_complete()


def test_a_policy_answers_every_call_from_the_request():
    fake = FakeModel(lambda request: Reply.text(f"{len(request.messages)} messages"))
    assert ask(fake).choices[0].message.content == "1 messages"
    assert ask(fake, messages=USER * 3).choices[0].message.content == "3 messages"


def test_the_script_comes_first_then_the_policy():
    fake = FakeModel(lambda request: Reply.text("policy"), script=[Reply.text("script")])
    assert [ask(fake).choices[0].message.content for _ in range(2)] == ["script", "policy"]


def test_several_tool_calls_in_one_reply_keep_their_order_and_distinct_ids():
    fake = FakeModel.scripted(Reply.calls(("get_order", {"order_id": 1}), ("get_order", {"order_id": 2})))
    calls = ask(fake).choices[0].message.tool_calls
    assert [call.function.arguments for call in calls] == ['{"order_id": 1}', '{"order_id": 2}']
    assert len({call.id for call in calls}) == 2


def test_faults_at_chosen_calls_do_not_consume_the_script():
    fake = FakeModel(script=[Reply.text("after the fault")], faults={1: faults.server_error()})
    with pytest.raises(openai.InternalServerError):
        ask(fake)
    assert ask(fake).choices[0].message.content == "after the fault"


def test_an_injected_timeout_surfaces_as_the_clients_timeout():
    fake = FakeModel(script=[Reply.text("late")], faults={1: faults.timeout()})
    with pytest.raises(openai.APITimeoutError):
        ask(fake)


def test_a_rate_limit_is_retried_by_the_client_after_the_retry_after_ms_it_names():
    fake = FakeModel(script=[Reply.text("ok")], faults={1: faults.rate_limit(retry_after_ms=1)})
    reply = fake.client(max_retries=1).chat.completions.create(model="m", messages=USER)
    assert reply.choices[0].message.content == "ok"
    assert [exchange.error.status if exchange.error else 200 for exchange in fake.transcript] == [429, 200]


def test_a_rate_limit_without_retries_reaches_the_caller_with_its_headers():
    fake = FakeModel(script=[Reply.text("ok")], faults={1: faults.rate_limit(retry_after_ms=250)})
    with pytest.raises(openai.RateLimitError) as error:
        ask(fake)
    assert error.value.response.headers["retry-after-ms"] == "250"
    assert error.value.code == "rate_limit_exceeded"


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        (faults.malformed_arguments("get_order"), lambda m, c: m.tool_calls[0].function.arguments.endswith("18.5")),
        (faults.unknown_tool(), lambda m, c: m.tool_calls[0].function.name == "delete_all_orders"),
        (faults.schema_violation("get_order"), lambda m, c: '"the blue one"' in m.tool_calls[0].function.arguments),
        (faults.truncated(), lambda m, c: c.finish_reason == "length"),
        (faults.empty_reply(), lambda m, c: m.content == ""),
        (faults.refusal(), lambda m, c: m.refusal and m.content is None),
    ],
)
def test_misbehaving_model_faults_arrive_as_well_formed_replies(fault, check):
    fake = FakeModel(faults={1: fault})
    choice = ask(fake).choices[0]
    assert check(choice.message, choice)


def test_a_fault_rate_is_reproducible_for_a_seed():
    def pattern(seed: int) -> list[bool]:
        rate = FaultRate(0.5, seed=seed, kinds=[faults.server_error])
        return [rate.draw() is not None for _ in range(40)]

    assert pattern(3) == pattern(3)
    assert pattern(3) != pattern(4)
    assert 8 < sum(pattern(3)) < 32


def test_a_fault_rate_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        FaultRate(1.5)


def test_the_transcript_records_what_was_sent():
    tools = [{"type": "function", "function": {"name": "get_order", "parameters": {"type": "object", "properties": {}}}}]
    fake = FakeModel.scripted(Reply.text("a"), ApiError(status=503))
    ask(fake, messages=[{"role": "system", "content": "You are the shop's agent."}, *USER], tools=tools)
    with pytest.raises(openai.APIStatusError):
        ask(fake)
    transcript = fake.transcript
    assert len(transcript) == 2
    assert transcript.tools_offered(0) == ["get_order"]
    assert transcript.requests[0].system_prompt == "You are the shop's agent."
    assert transcript.messages_sent() == USER
    assert transcript.prompt_tokens()[0] > transcript.prompt_tokens()[1]
    assert transcript[1].error.status == 503


def test_the_same_script_gives_byte_identical_responses():
    def run() -> str:
        fake = FakeModel.scripted(Reply.tool_call("get_order", {"order_id": 1042}), seed=7)
        return ask(fake).model_dump_json()

    assert run() == run()

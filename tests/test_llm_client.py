"""Choosing the model: the fake by default, a real endpoint only on request, never in tests."""

from __future__ import annotations

import socket

import openai
import pytest

from course.llm import (
    ConfigError,
    FakeModel,
    RealCallsForbidden,
    Reply,
    Settings,
    client,
    current_fake,
    model_name,
    read_settings,
    real_client,
    use_model,
)


def test_the_default_model_is_the_offline_fake():
    assert read_settings().offline  # tests run with COURSE_OFFLINE=1
    assert current_fake() is not None
    assert model_name() == "course-fake"


def test_use_model_swaps_the_current_client_and_restores_it():
    outer = FakeModel.scripted(Reply.text("outer"))
    inner = FakeModel.scripted(Reply.text("inner"))
    with use_model(outer):
        with use_model(inner):
            assert client().chat.completions.create(model=model_name(), messages=[{"role": "user", "content": "?"}]).choices[0].message.content == "inner"
        assert current_fake() is outer
    assert current_fake() not in (outer, inner)


def test_a_configured_real_model_is_not_used_while_offline(monkeypatch):
    monkeypatch.setenv("COURSE_MODEL", "gpt-4o-mini")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert read_settings().wants_real and not read_settings().uses_real
    assert current_fake() is not None
    with pytest.raises(RealCallsForbidden, match="COURSE_OFFLINE=1"):
        real_client()


def test_a_real_model_is_used_when_configured_and_allowed(monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "0")
    monkeypatch.setenv("COURSE_MODEL", "llama3.2")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    assert current_fake() is None
    assert model_name() == "llama3.2"
    assert str(client().base_url) == "http://127.0.0.1:11434/v1/"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"COURSE_MODEL": "gpt-4o-mini"}, "neither OPENAI_API_KEY nor OPENAI_BASE_URL is set"),
        ({"OPENAI_BASE_URL": "localhost:11434"}, "must start with http:// or https://"),
        ({"COURSE_OFFLINE": "maybe"}, "COURSE_OFFLINE must be 1 or 0"),
    ],
)
def test_bad_settings_say_what_to_fix(env, message):
    with pytest.raises(ConfigError, match=message):
        read_settings(env)


def test_an_unset_environment_means_the_fake():
    assert not read_settings({}).wants_real
    assert "fake" in read_settings({}).describe()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_dead_endpoint_gives_an_error_that_names_the_setting_to_check():
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    dead = real_client(Settings(model="llama3.2", base_url=url), max_retries=0, timeout=5)
    with pytest.raises(openai.APIConnectionError) as error:
        dead.chat.completions.create(model="llama3.2", messages=[{"role": "user", "content": "hi"}])
    cause = str(error.value.__cause__)
    assert url in cause and "OPENAI_BASE_URL" in cause and "COURSE_MODEL" in cause


def test_doctor_reports_a_dead_endpoint_and_fails(monkeypatch, capsys):
    from course.doctor import run_doctor

    monkeypatch.setenv("COURSE_OFFLINE", "0")
    monkeypatch.setenv("COURSE_MODEL", "llama3.2")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{_closed_port()}/v1")
    assert run_doctor() == 1
    out = capsys.readouterr().out
    assert "does not answer" in out and "FIX" in out


def test_doctor_passes_on_this_environment_with_the_fake(capsys):
    from course.doctor import run_doctor

    assert run_doctor() == 0, capsys.readouterr().out
    assert "built-in fake model" in capsys.readouterr().out


def test_the_public_api_of_course_llm_is_pinned():
    import course.llm

    assert sorted(course.llm.__all__) == sorted([
        "DEFAULT_CONTEXT_WINDOW", "ApiError", "ChatRequest", "ConfigError", "ErrorReply", "Exchange", "FakeModel", "FaultRate",
        "Policy", "RealCallsForbidden", "Reply", "Settings", "ToolCall", "Transcript", "api_error", "async_client", "client",
        "count_message_tokens", "count_tokens", "current_fake", "faults", "model_name", "ping", "read_settings",
        "real_client", "real_model_configured", "use_model",
    ])
    assert all(hasattr(course.llm, name) for name in course.llm.__all__)


def test_real_model_configured_follows_the_settings(monkeypatch):
    from course.llm import real_model_configured

    assert not real_model_configured()  # offline in tests
    monkeypatch.setenv("COURSE_OFFLINE", "0")
    monkeypatch.setenv("COURSE_MODEL", "llama3.2")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    assert real_model_configured()
    monkeypatch.setenv("OPENAI_BASE_URL", "not-a-url")
    assert not real_model_configured()  # a bad setting is reported by `course doctor`, not by a notebook crash


def test_ping_makes_one_call_to_the_current_model_and_returns_its_text():
    from course.llm import FakeModel, Reply, ping, use_model

    with use_model(FakeModel.scripted(Reply.text("pong"))) as fake:
        assert ping() == "pong"
    assert fake.calls == 1 and fake.transcript.last_request.messages == [{"role": "user", "content": "ping"}]


def test_api_error_is_the_exception_the_client_raises_for_a_reply():
    import openai

    from course.llm import ErrorReply, api_error
    from course.llm.faults import rate_limit, timeout

    limited = api_error(rate_limit(1500))
    assert isinstance(limited, openai.RateLimitError) and limited.response.headers["retry-after-ms"] == "1500"
    assert isinstance(api_error(timeout()), openai.APITimeoutError)
    assert isinstance(api_error(ErrorReply(status=503, message="Busy.")), openai.InternalServerError)

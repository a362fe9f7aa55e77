"""The fake model over a real loopback socket, driven by the official openai client."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from collections.abc import Iterator

import openai
import pytest

from course.llm import FakeModel, Reply, faults
from course.llm.server import FakeModelServer

USER = [{"role": "user", "content": "My mug from order 1042 arrived broken."}]
GET_ORDER = {
    "type": "function",
    "function": {
        "name": "get_order",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "integer"}}, "required": ["order_id"], "additionalProperties": False},
        "strict": True,
    },
}


@pytest.fixture
def served() -> Iterator[tuple[FakeModel, FakeModelServer]]:
    fake = FakeModel(lambda request: Reply.tool_call("get_order", {"order_id": 1042}) if request.tools else Reply.text("Hello from the fake."))
    server = FakeModelServer(fake)
    server.start_background()
    yield fake, server
    server.shutdown()
    server.server_close()


def _client(server: FakeModelServer, **kwargs) -> openai.OpenAI:
    return openai.OpenAI(api_key="anything", base_url=server.base_url, **kwargs)


def test_the_official_client_gets_a_tool_call_over_a_real_socket(served):
    fake, server = served
    reply = _client(server, _strict_response_validation=True).chat.completions.create(model="course-fake", messages=USER, tools=[GET_ORDER])
    call = reply.choices[0].message.tool_calls[0]
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_order", {"order_id": 1042})
    assert reply.choices[0].finish_reason == "tool_calls"
    assert fake.transcript.tools_offered() == ["get_order"]


def test_streaming_works_over_the_socket(served):
    _, server = served
    stream = _client(server).chat.completions.create(model="course-fake", messages=USER, stream=True)
    assert "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices) == "Hello from the fake."


def test_models_are_listed(served):
    _, server = served
    assert [model.id for model in _client(server).models.list()] == ["course-fake"]


def test_a_rate_limit_over_http_is_retried_by_the_client_after_retry_after_ms():
    fake = FakeModel(script=[Reply.text("ok")], faults={1: faults.rate_limit(retry_after_ms=1)})
    server = FakeModelServer(fake)
    server.start_background()
    try:
        reply = _client(server, max_retries=1).chat.completions.create(model="m", messages=USER)
    finally:
        server.shutdown()
        server.server_close()
    assert reply.choices[0].message.content == "ok"
    assert fake.transcript[0].error.status == 429


def test_an_injected_timeout_drops_the_connection():
    fake = FakeModel(script=[Reply.text("never")], faults={1: faults.timeout()})
    server = FakeModelServer(fake)
    server.start_background()
    try:
        with pytest.raises(openai.APIConnectionError):
            _client(server, max_retries=0).chat.completions.create(model="m", messages=USER)
    finally:
        server.shutdown()
        server.server_close()


def _raw(server: FakeModelServer, method: str, path: str, body: bytes = b"") -> tuple[int, dict]:
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request(method, path, body=body, headers={"content-type": "application/json"})
    response = connection.getresponse()
    payload = json.loads(response.read())
    connection.close()
    return response.status, payload


def test_a_malformed_body_gets_an_openai_style_error(served):
    _, server = served
    status, payload = _raw(server, "POST", "/v1/chat/completions", b"{oops")
    assert status == 400
    assert payload["error"]["type"] == "invalid_request_error"
    assert "could not parse the JSON body" in payload["error"]["message"]


def test_an_unknown_path_gets_a_404_that_says_what_is_served(served):
    _, server = served
    status, payload = _raw(server, "POST", "/v1/embeddings", b"{}")
    assert status == 404
    assert "POST /v1/chat/completions" in payload["error"]["message"]


def test_the_cli_serves_the_shop_brain_on_a_free_port():
    process = subprocess.Popen(
        [sys.executable, "-m", "course.cli", "llm", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()  # printed once the socket is listening
        base_url = banner.split("serving at ")[1].split()[0]
        assert base_url.startswith("http://127.0.0.1:")
        ticket = [{"role": "user", "content": "Hi, my order 1042 arrived and the mug is broken. Can I get a refund?"}]
        reply = openai.OpenAI(api_key="x", base_url=base_url).chat.completions.create(
            model="course-fake", messages=ticket, tools=[GET_ORDER]
        )
        call = reply.choices[0].message.tool_calls[0]
        assert call.function.name == "get_order"
        assert json.loads(call.function.arguments) == {"order_id": 1042}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_cli_explains_a_port_in_use():
    with FakeModelServer(FakeModel()) as busy:
        port = busy.server_address[1]
        result = subprocess.run(
            [sys.executable, "-m", "course.cli", "llm", "serve", "--port", str(port)],
            capture_output=True, text=True, timeout=30,
        )
    assert result.returncode == 2
    assert "cannot listen" in result.stderr and "--port" in result.stderr


@pytest.mark.parametrize("port", ["99999", "-1"])
def test_the_cli_explains_a_port_out_of_range_in_the_same_one_line_as_a_port_in_use(port):
    result = subprocess.run(
        [sys.executable, "-m", "course.cli", "llm", "serve", "--port", port], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "OverflowError" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"course llm serve: cannot listen on 127.0.0.1:{port}: ") and "--port" in result.stderr


def test_the_server_and_the_in_process_client_share_one_router(served):
    fake, server = served
    for method, path in (("GET", "/v1/models"), ("POST", "/v1/embeddings"), ("GET", "/v2/nothing")):
        status, payload = _raw(server, method, path, b"{}" if method == "POST" else b"")
        expected = fake.respond(method, path, b"{}" if method == "POST" else b"")
        assert (status, payload) == (expected.status, expected.body)


def test_a_handle_override_is_used_over_the_socket():
    class Forwarding(FakeModel):
        def handle(self, raw):  # type: ignore[no-untyped-def]
            return FakeModel(lambda request: Reply.text("from the override")).handle(raw)

    with FakeModelServer(Forwarding()) as server:
        server.start_background()
        try:
            reply = _client(server).chat.completions.create(model="course-fake", messages=USER)
        finally:
            server.shutdown()
    assert reply.choices[0].message.content == "from the override"

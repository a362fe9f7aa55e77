"""course.triggers: an ASGI app served on 127.0.0.1 for a block, requests over a real socket, Standard Webhooks signing."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx2
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import course.triggers
from course.shop import Shop, current_shop, use_shop
from course.triggers import as_bytes, deliver, new_secret, serving, webhook_headers


def _echo_app() -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        body = await request.body()
        return JSONResponse({"body": body.decode(), "id": request.headers.get("webhook-id"),
                             "shop": current_shop().path.name}, status_code=202)
    return Starlette(routes=[Route("/webhook", echo, methods=["POST"])])


def test_the_public_api_is_pinned():
    assert course.triggers.__all__ == ["ServerError", "as_bytes", "deliver", "new_secret", "serving", "webhook_headers"]


def test_deliver_posts_over_a_real_socket_and_returns_plain_data():
    answers = deliver(_echo_app(), [{"headers": {"webhook-id": "msg_1"}, "body": '{"a": "café"}'},
                                    {"headers": {}, "body": "not json", "path": "/nowhere"}])
    assert answers[0]["status"] == 202 and answers[0]["json"]["body"] == '{"a": "café"}'
    assert answers[0]["json"]["id"] == "msg_1"
    assert answers[1]["status"] == 404 and isinstance(answers[1]["text"], str)
    assert json.loads(json.dumps(answers)) == answers  # plain data only


def test_the_app_runs_in_the_callers_shop():
    with Shop.create() as db, use_shop(db):
        [answer] = deliver(_echo_app(), [{"headers": {}, "body": "{}"}])
    assert answer["json"]["shop"] == db.path.name


def test_serving_listens_on_loopback_and_stops_when_the_block_ends():
    threads = threading.active_count()
    with serving(_echo_app()) as url:
        assert url.startswith("http://127.0.0.1:")
        port = int(url.rsplit(":", 1)[1])
        assert httpx2.post(f"{url}/webhook", content=b"x", trust_env=False).status_code == 202
    assert threading.active_count() == threads
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_a_connection_made_before_the_server_runs_waits_in_the_backlog():
    with serving(_echo_app()) as url:  # no wait for start-up: the request is sent at once
        started = time.monotonic()
        response = httpx2.post(f"{url}/webhook", content=b"early", trust_env=False)
    assert response.status_code == 202 and time.monotonic() - started < 30


def test_headers_are_signed_as_the_reference_library_verifies_them():
    secret, body = new_secret(), '{"type": "ticket"}'
    headers = webhook_headers(secret, "msg_2b7f", body, int(time.time()))
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers) == {"type": "ticket"}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


def test_secrets_are_whsec_and_base64():
    assert new_secret(b"\x00" * 3) == "whsec_AAAA"
    assert new_secret() != new_secret() and new_secret().startswith("whsec_")
    assert as_bytes("café") == "café".encode()


def test_strict_delivery_raises_what_the_app_answered_500_for():
    async def broken(request: Request) -> JSONResponse:
        return JSONResponse({"error": "NotImplementedError: "}, status_code=500)
    app = Starlette(routes=[Route("/webhook", broken, methods=["POST"])])
    assert deliver(app, [{"body": "{}"}])[0]["status"] == 500
    with pytest.raises(NotImplementedError):
        deliver(app, [{"body": "{}"}], strict=True)


def test_the_block_ends_after_the_background_work_still_running(monkeypatch):
    """The agent runs after its 202 (a background task): work still running when the block ends is waited for,
    and a keep-alive connection left open does not hold the server."""
    import asyncio
    import importlib

    from starlette.background import BackgroundTask

    module = importlib.import_module("course.triggers.serving")  # the module (the package exports its function)

    servers, done = [], []
    make = module._server
    monkeypatch.setattr(module, "_server", lambda config: servers.append(make(config)) or servers[-1])

    async def later(body: str) -> None:
        await asyncio.to_thread(servers[-1].stopping.wait)  # still running when the block ends
        done.append(body)

    async def accept(request: Request) -> JSONResponse:
        body = (await request.body()).decode()
        return JSONResponse({"ok": True}, status_code=202, background=BackgroundTask(later, body))

    app = Starlette(routes=[Route("/webhook", accept, methods=["POST"])])
    answers = deliver(app, [{"body": "one"}, {"body": "two"}])
    assert [a["status"] for a in answers] == [202, 202] and sorted(done) == ["one", "two"]
    with serving(app) as url:
        client = httpx2.Client(base_url=url, trust_env=False)  # left open: the server closes its idle connection
        assert client.post("/webhook", content=b"three").status_code == 202
    client.close()
    assert done[2:] == ["three"]

"""`python -m course.triggers`: `send` signs and POSTs as a real subprocess; `serve` serves an agent module by name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx2
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from course.triggers import new_secret, serving, webhook_headers

REPO = Path(__file__).resolve().parents[1]
SECRET = new_secret(b"the tests' own key, 24 by")


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "COURSE_OFFLINE": "1", "COURSE_WEBHOOK_SECRET": SECRET, **extra}


def _verifying_app(seen: list[dict[str, str]]) -> Starlette:
    async def webhook(request: Request) -> JSONResponse:
        body = await request.body()
        payload = Webhook(SECRET).verify(body, dict(request.headers))  # the reference library, as a receiver
        seen.append({"id": request.headers["webhook-id"], **payload})
        return JSONResponse({"thread_id": "ticket-1-1"}, status_code=202)
    return Starlette(routes=[Route("/webhook", webhook, methods=["POST"])])


def test_send_signs_and_posts_from_another_process():
    seen: list[dict[str, str]] = []
    with serving(_verifying_app(seen)) as url:
        done = subprocess.run([sys.executable, "-m", "course.triggers", "send", f"{url}/webhook", '{"type": "ticket"}',
                               "--id", "cli-1"], capture_output=True, text=True, env=_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == '202 {"thread_id":"ticket-1-1"}'
    assert seen == [{"id": "cli-1", "type": "ticket"}]


def test_send_reads_the_body_from_stdin_and_needs_a_secret():
    seen: list[dict[str, str]] = []
    with serving(_verifying_app(seen)) as url:
        done = subprocess.run([sys.executable, "-m", "course.triggers", "send", f"{url}/webhook", "-", "--id", "cli-2"],
                              input='{"type": "approval"}', capture_output=True, text=True, env=_env(), timeout=120)
        missing = subprocess.run([sys.executable, "-m", "course.triggers", "send", f"{url}/webhook", "{}", "--id", "x"],
                                 capture_output=True, text=True, env=_env(COURSE_WEBHOOK_SECRET=""), timeout=120)
    assert done.returncode == 0 and seen == [{"id": "cli-2", "type": "approval"}]
    assert missing.returncode != 0 and "COURSE_WEBHOOK_SECRET" in missing.stderr


def _served(folder: Path, agent: str, shop: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "course.triggers", "serve", "--agent", agent, "--shop", str(shop),
                             "--port", "0"], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env())


def test_serve_imports_the_agent_module_by_name_and_serves_its_webhook(tmp_path):
    (tmp_path / "my_agent.py").write_text('''
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


def webhook_app(secret):
    async def webhook(request):
        return JSONResponse({"secret_is_set": secret.startswith("whsec_")}, status_code=202)
    return Starlette(routes=[Route("/webhook", webhook, methods=["POST"])])
''')
    server = _served(tmp_path, "my_agent", tmp_path / "shop.sqlite3")
    try:
        line = server.stdout.readline() if server.stdout else ""
        assert line.startswith("my_agent's webhook at http://127.0.0.1:"), (line, server.stderr.read() if server.stderr else "")
        url = line.split(" at ", 1)[1].split()[0]
        response = httpx2.post(url, content=b"{}", trust_env=False, timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert response.status_code == 202 and response.json() == {"secret_is_set": True}
    assert (tmp_path / "shop.sqlite3").exists()


def test_the_reference_stage_11_served_accepts_a_signed_ticket_and_refuses_a_stranger(tmp_path):
    from course.shop import SCENARIOS

    server = _served(REPO / "stages", "stage_11", tmp_path / "shop.sqlite3")
    try:
        line = server.stdout.readline() if server.stdout else ""
        assert " at http://127.0.0.1:" in line, (line, server.stderr.read() if server.stderr else "")
        url = line.split(" at ", 1)[1].split()[0]
        import time

        body = json.dumps({"type": "ticket", "ticket": SCENARIOS["where_is_my_order"].ticket.model_dump(mode="json"),
                           "reply_to": {"channel": "cli", "address": "terminal"}})
        signed = httpx2.post(url, content=body.encode(), headers=webhook_headers(SECRET, "msg_t1", body, int(time.time())),
                             trust_env=False, timeout=60)
        stranger = httpx2.post(url, content=body.encode(), trust_env=False, timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert signed.status_code == 202 and signed.json()["thread_id"] == "ticket-505-1"
    assert stranger.status_code == 401

"""`python -m course.triggers`: trigger an agent from a terminal, and serve your own agent on loopback.

    python -m course.triggers send http://127.0.0.1:8000/webhook --id msg_1 '{"type": "ticket", ...}'
    python -m course.triggers serve --agent stage_11 --shop shop.sqlite3 --port 8000

`send` is a sender, like the CLIs of payment and chat platforms that fire a signed test event at a
local endpoint: it signs the JSON it is given (the secret from $COURSE_WEBHOOK_SECRET) with the
Standard Webhooks reference library and POSTs it; it prints the status and the answer's body.
`serve` imports an agent module by its name (your carried stage, `stage_11`, found in the current
folder) and serves its `webhook_app(secret)` on 127.0.0.1 with uvicorn, on the shop file given, until
Ctrl-C: `curl` it, or `send` to it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import socket
import sys
import time
from collections.abc import Sequence

__all__ = ["SECRET_VARIABLE", "main"]

SECRET_VARIABLE = "COURSE_WEBHOOK_SECRET"


def _secret() -> str:
    secret = os.environ.get(SECRET_VARIABLE, "")
    if not secret.startswith("whsec_"):
        raise SystemExit(f"Set {SECRET_VARIABLE} to the endpoint's secret (whsec_...).")
    return secret


def _send(args: argparse.Namespace) -> int:
    import httpx2

    from .signing import webhook_headers

    body = sys.stdin.read() if args.data == "-" else args.data
    when = int(args.timestamp if args.timestamp is not None else time.time())
    headers = {**webhook_headers(_secret(), args.id, body, when), "content-type": "application/json"}
    try:
        response = httpx2.post(args.url, content=body.encode("utf-8"), headers=headers, timeout=60.0, trust_env=False)
    except httpx2.HTTPError as error:
        print(f"could not deliver to {args.url}: {error}", file=sys.stderr)
        return 2
    print(response.status_code, response.text.strip())
    return 0 if response.status_code < 400 else 1


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from course.shop import Shop, use_shop

    sys.path.insert(0, os.getcwd())  # the agent module is found by name, in the folder the command runs in
    agent = importlib.import_module(args.agent)
    shop = Shop.open(args.shop) if os.path.exists(args.shop) else Shop.create(args.shop)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(64)
    with shop, use_shop(shop):
        app = agent.webhook_app(_secret())
        print(f"{args.agent}'s webhook at http://127.0.0.1:{sock.getsockname()[1]}/webhook (Ctrl-C stops it)", flush=True)
        uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", loop="asyncio", http="h11",
                                      ws="none")).run(sockets=[sock])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m course.triggers", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    send = commands.add_parser("send", help=f"sign JSON with ${SECRET_VARIABLE} and POST it to a webhook URL")
    send.add_argument("url")
    send.add_argument("data", help="the JSON body, or - to read it from stdin")
    send.add_argument("--id", required=True, help="the webhook-id: unique per message, the same on a retry")
    send.add_argument("--timestamp", type=int, default=None, help="seconds since the epoch (default: now)")
    send.set_defaults(handler=_send)
    serve = commands.add_parser("serve", help="serve an agent module's webhook_app on 127.0.0.1")
    serve.add_argument("--agent", default="stage_11", help="the module to import by name (default: stage_11)")
    serve.add_argument("--shop", default="shop.sqlite3", help="the shop file (made if missing)")
    serve.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (0 picks a free one)")
    serve.set_defaults(handler=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)

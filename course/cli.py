"""The `course` command: serve the fake model, run the demo, check the set-up, grade notebooks."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _serve(args: argparse.Namespace) -> int:
    from course.brain import shop_brain
    from course.llm import FakeModel
    from course.llm.server import serve

    try:
        server = serve(FakeModel(shop_brain, context_window=args.context_window, seed=args.seed), args.host, args.port)
    except OSError as error:
        print(f"course llm serve: cannot listen on {args.host}:{args.port}: {error.strerror or error}. "
              "Choose another --port (0 picks a free one).", file=sys.stderr)
        return 2
    print(f"Fake model (shop brain) serving at {server.base_url}  —  point OPENAI_BASE_URL here; any API key works.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from course.agents.demo import run_demo

    return run_demo(args.scenario, list_only=args.list)


def _doctor(args: argparse.Namespace) -> int:
    from course.doctor import run_doctor

    return run_doctor(ping=not args.no_ping)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description="Twelve-Factor Agents: the course.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    llm = commands.add_parser("llm", help="the fake model").add_subparsers(dest="llm_command", required=True, metavar="ACTION")
    serve = llm.add_parser("serve", help="serve the fake model over HTTP on loopback (OpenAI-compatible)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0 picks a free one)")
    serve.add_argument("--context-window", type=int, default=16_000, help="tokens the fake accepts per request")
    serve.add_argument("--seed", type=int, default=0)
    serve.set_defaults(handler=_serve)

    demo = commands.add_parser("demo", help="run the naive agent (stage 0) on a support ticket and print its trace")
    demo.add_argument("scenario", nargs="?", default="damaged_item", help="scenario name (see --list)")
    demo.add_argument("--list", action="store_true", help="list the scenarios")
    demo.set_defaults(handler=_demo)

    doctor = commands.add_parser("doctor", help="check Python, packages, the kernel and the model endpoint")
    doctor.add_argument("--no-ping", action="store_true", help="do not call a configured real endpoint")
    doctor.set_defaults(handler=_doctor)

    from course.grading.cli import register
    from course.publish.cli import register as register_publish

    register(commands)
    register_publish(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except BrokenPipeError:  # `course term | head`: the reader left; say nothing more, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())

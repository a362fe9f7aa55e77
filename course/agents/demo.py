"""`course demo [SCENARIO]`: run the naive agent on a support ticket and print what happened.

The trace is read from the fake model's transcript after the run, so the agent's code stays
exactly as notebook 01 shows it — no logging hooks in it.
"""

from __future__ import annotations

import json
import sys
import textwrap
from dataclasses import dataclass

from course.brain import shop_brain
from course.llm import FakeModel, Transcript, use_model
from course.shop import SCENARIOS, Shop, get_scenario, outcome_of, use_shop

from . import naive

__all__ = ["DemoRun", "run_demo", "run_naive"]


@dataclass(frozen=True)
class DemoRun:
    """One run of the naive agent: its answer or the exception that stopped it, and the transcript."""

    answer: str | None
    error: BaseException | None
    transcript: Transcript
    outcome: str


def run_naive(scenario_name: str) -> DemoRun:
    """Run stage 0 on a scenario with a fresh shop and the shop brain; never raises for the agent's crash."""
    scenario = get_scenario(scenario_name)
    with Shop.create() as shop, use_shop(shop), use_model(FakeModel(shop_brain)) as fake:
        answer, error = None, None
        try:
            answer = naive.run_agent(scenario.ticket.render())  # type: ignore[no-untyped-call]  # stage 0 is untyped on purpose
        except Exception as exc:
            error = exc
        called = [name for name, _ in fake.transcript.tool_calls()]
        return DemoRun(answer, error, fake.transcript, outcome_of(shop, scenario, called=called))


def _trace(transcript: Transcript) -> list[str]:
    lines: list[str] = []
    for exchange in transcript:
        if exchange.request is not None:
            last = exchange.request.messages[-1]
            if last.get("role") == "tool":
                results = [m for m in exchange.request.messages if m.get("role") == "tool"][-1:]
                for message in results:
                    lines.append(f"  tool   → {_short(str(message.get('content')))}")
        if exchange.reply is not None:
            for call in exchange.reply.tool_calls:
                lines.append(f"  model  → {call.name}({_short(json.dumps(json.loads(call.arguments_json())), 90)})")
            if exchange.reply.content:
                lines.append("  model  → " + _short(exchange.reply.content, 200))
    return lines


def _short(text: str, width: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def run_demo(scenario_name: str, *, list_only: bool = False) -> int:
    if list_only:
        for name, scenario in SCENARIOS.items():
            print(f"{name:<20} {scenario.title}  (expected: {scenario.expected.outcome})")
        return 0
    try:
        scenario = get_scenario(scenario_name)
    except KeyError as error:
        print(f"course demo: {error.args[0]}", file=sys.stderr)
        return 2
    print(f"Scenario {scenario.name}: {scenario.title}")
    print(textwrap.indent(_short(scenario.ticket.body, 300), "  ticket › "))
    run = run_naive(scenario_name)
    print("\n".join(_trace(run.transcript)))
    if run.error is not None:
        print(f"  agent  ✗ crashed: {type(run.error).__name__}: {_short(str(run.error), 160)}")
    verdict = "✓" if run.outcome == scenario.expected.outcome else "✗"
    print(f"Outcome: {run.outcome} (expected {scenario.expected.outcome}) {verdict}")
    return 0

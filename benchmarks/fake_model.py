"""How much the fake model costs per call, against the openai client's own overhead.

Baseline: the same `openai` client on an httpx2 MockTransport that returns a canned completion
without looking at the request — what any in-process fake must pay at least.

The machine is shared (2 cores), so the baseline and the in-process fake are measured in
alternating rounds and each figure is the median over rounds: a burst of load elsewhere then
slows both sides of a round instead of skewing the ratio.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import httpx2
import openai
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam

from course.llm import FakeModel, Reply
from course.llm.server import FakeModelServer
from course.llm.wire import completion

MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "system", "content": "You are the support agent of a small online shop."},
    {"role": "user", "content": "Hi, the mug from order 1042 arrived broken. Can I get a refund?"},
]
TOOLS: list[ChatCompletionToolParam] = [
    {
        "type": "function",
        "function": {
            "name": "get_order",
            "parameters": {"type": "object", "properties": {"order_id": {"type": "integer"}}, "required": ["order_id"], "additionalProperties": False},
            "strict": True,
        },
    }
]
REPLY = Reply.tool_call("get_order", {"order_id": 1042})


def median_us(call: Callable[[], object], repeat: int = 300, warmup: int = 20) -> float:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def _noop_client() -> openai.OpenAI:
    body = completion(REPLY, model="m", prompt_tokens=40, seed=0, call=1)
    transport = httpx2.MockTransport(lambda request: httpx2.Response(200, json=body))
    return openai.OpenAI(api_key="x", base_url="http://noop.invalid/v1", http_client=httpx2.Client(transport=transport), max_retries=0)


def run(rounds: int = 15, per_round: int = 60) -> list[tuple[str, float]]:
    def ask(client: openai.OpenAI) -> Callable[[], object]:
        return lambda: client.chat.completions.create(model="course-fake", messages=MESSAGES, tools=TOOLS)

    noop, fake = ask(_noop_client()), ask(FakeModel(lambda request: REPLY).client())
    baseline: list[float] = []
    in_process: list[float] = []
    for _ in range(rounds):
        baseline.append(median_us(noop, repeat=per_round, warmup=5))
        in_process.append(median_us(fake, repeat=per_round, warmup=5))
    server = FakeModelServer(FakeModel(lambda request: REPLY))
    server.start_background()
    try:
        loopback = median_us(ask(openai.OpenAI(api_key="x", base_url=server.base_url, max_retries=0)), repeat=200)
    finally:
        server.shutdown()
        server.server_close()
    return [
        ("openai client on a no-op transport (baseline)", statistics.median(baseline)),
        ("fake model, in-process", statistics.median(in_process)),
        ("fake model, loopback HTTP", loopback),
    ]


def report() -> None:
    rows = run()
    baseline = rows[0][1]
    print("Fake model round trip (median per call)")
    for name, value in rows:
        print(f"  {name:<48} {value:8.0f} µs   {value / baseline:5.2f}× baseline")

"""How many support tickets per second the naive agent gets through on the shop brain.

Each run is a whole scenario: a fresh seeded SQLite shop, the agent loop, the fake model's
validation and the brain's reading of the conversation. Baseline: creating the shop alone.
"""

from __future__ import annotations

import statistics
import time

from course.agents.demo import run_naive
from course.shop import SCENARIOS, Shop


def _median_seconds(action, repeat: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def report(repeat: int = 15) -> None:
    names = list(SCENARIOS)
    run_naive(names[0])  # warm up imports and caches
    shop_only = _median_seconds(lambda: Shop.create().close(), repeat * 3)
    per_scenario = {name: _median_seconds(lambda name=name: run_naive(name), repeat) for name in names}
    overall = statistics.median(per_scenario.values())
    print("Naive agent on the shop brain (median per scenario run)")
    for name, seconds in per_scenario.items():
        print(f"  {name:<20} {seconds * 1000:7.1f} ms")
    print(f"  fresh shop alone      {shop_only * 1000:7.1f} ms (baseline)")
    print(f"  → {1 / overall:.0f} scenarios per second; {overall / shop_only:.1f}× the cost of creating the shop")

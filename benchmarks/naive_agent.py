"""How many support tickets per second the naive agent gets through on the shop brain.

Each run is a whole scenario: a fresh seeded SQLite shop, the agent loop, the fake model's
validation and the brain's reading of the conversation. Baseline: creating the shop alone.
"""

from __future__ import annotations

import statistics
from functools import partial

from course.agents.demo import run_naive
from course.shop import SCENARIOS, Shop

from .timing import median_seconds


def report(repeat: int = 15) -> None:
    names = list(SCENARIOS)
    run_naive(names[0])  # warm up imports and caches
    shop_only = median_seconds(lambda: Shop.create().close(), repeat * 3)
    per_scenario = {name: median_seconds(partial(run_naive, name), repeat) for name in names}
    overall = statistics.median(per_scenario.values())
    print("Naive agent on the shop brain (median per scenario run)")
    for name, seconds in per_scenario.items():
        print(f"  {name:<20} {seconds * 1000:7.1f} ms")
    print(f"  fresh shop alone      {shop_only * 1000:7.1f} ms (baseline)")
    print(f"  → {1 / overall:.0f} scenarios per second; {overall / shop_only:.1f}× the cost of creating the shop")

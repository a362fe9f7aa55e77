"""Running the learner's agent in a hidden test, and reading what it stored: shared by lessons 08 and later.

A test runs the agent on a fresh seeded shop with a fake model of its own (`world`, or `drawn_world` on a
ticket drawn at grading time) and reads the stored thread back as plain data (`events`), never the
learner's objects, so a verdict rests on what the grader itself can see.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from autograder.boundary.remote import FreshWorkerUnavailable, Learner, Remote
from course.brain import shop_brain
from course.llm import FakeModel, Reply, use_model
from course.shop import Outcome, Scenario, Shop, ShopPolicy, draw_scenario, use_shop

__all__ = ["drawn_world", "elsewhere", "events", "scripted_calls", "shown", "signed_headers", "times", "world"]


@contextmanager
def world(model: FakeModel | None = None, policy: ShopPolicy | None = None) -> Iterator[Shop]:
    """A fresh seeded shop (with `policy`, if given) as the current shop, and `model` (default: the shop brain)."""
    with Shop.create(policy=policy) as db, use_shop(db), use_model(model or FakeModel(shop_brain)):
        yield db


@contextmanager
def drawn_world(rng: random.Random, outcome: Outcome, script: Callable[[Scenario], FakeModel],
                policy: ShopPolicy | None = None) -> Iterator[tuple[Shop, Scenario, FakeModel]]:
    """`world` on a drawn ticket: the shop, the drawn scenario and the model `script` makes for it."""
    with Shop.create(policy=policy) as db:
        case = draw_scenario(db, rng, outcome)
        model = script(case)
        with use_shop(db), use_model(model):
            yield db, case, model


def times(n: int) -> str:
    """"1 time", "3 times": counts in failure messages."""
    return f"{n} time" + ("" if n == 1 else "s")


def events(load_thread: Remote, thread_id: str) -> list[dict[str, Any]]:
    """The stored thread's events after the ticket, as plain dicts."""
    stored = load_thread(thread_id).value["events"]
    start = next((i for i, event in enumerate(stored) if event.get("kind") == "ticket"), -1)
    return stored[start + 1:]


def shown(stored: list[dict[str, Any]]) -> list[str]:
    """Events as "kind:name" for a failure message."""
    return [f"{e['kind']}:{e.get('name', '')}" for e in stored]


def scripted_calls(*steps: tuple[str, Any]) -> list[Reply]:
    """Tool-call replies for a scripted model: ("get_order", {"order_id": 1042}), ..."""
    return [Reply.tool_call(name, arguments) for name, arguments in steps]


@contextmanager
def elsewhere(learner: Learner) -> Iterator[Learner]:
    """Another process with the same notebook (a fork of its worker); under plain nbgrader, the kernel itself."""
    try:
        with learner.fresh() as other:
            yield other
    except FreshWorkerUnavailable:
        yield learner


def signed_headers(secret: str, msg_id: str, body: str, timestamp: int) -> dict[str, str]:
    """A webhook delivery's three headers, signed by the reference `standardwebhooks` library (never by code of the
    course or the learner): lesson 11's hidden tests and the capstone's factor-11 probe send them."""
    from standardwebhooks import Webhook

    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=datetime.fromtimestamp(timestamp, tz=timezone.utc),
                                     data=body)
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}

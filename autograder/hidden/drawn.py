"""Inputs drawn at grading time, and effects judged from the grader's own records.

Two rules keep a public hidden test from being special-cased. Its inputs come from the grading's
seed (`rng`), so an answer cannot recognise them: `scenarios` adds tickets drawn by
`course.shop.draw_scenario` (a new customer, order and wording each time) to the named ones, and
the expected outcome of each stays here, in the grading process. And an effect counts only when the
grader saw the model ask for it: `effects_follow_calls` holds every refund and address change the
shop recorded against the tool calls in the fake model's transcript, so an agent that writes the
expected outcome into the database itself, without the model asking, earns nothing for it.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from course.shop import DRAWN_OUTCOMES, SCENARIOS, Outcome, Scenario, Shop, draw_scenario

__all__ = ["Records", "effects_follow_calls", "runs", "scenario_in", "scenarios", "words"]

DRAWN = "a drawn ticket"

_WORDS = ("parcel", "teapot", "ledger", "harbour", "lantern", "pebble", "violet", "cobalt", "meadow", "saddle",
          "quartz", "ember", "juniper", "falcon", "marble", "tundra", "walnut", "beacon", "orchid", "cinder")


def scenarios(db: Shop, rng: random.Random, outcomes: tuple[Outcome, ...] = DRAWN_OUTCOMES) -> list[Scenario]:
    """One drawn scenario per outcome, written into `db` (each a customer of its own), in a drawn order."""
    drawn = [draw_scenario(db, rng, outcome) for outcome in outcomes]
    rng.shuffle(drawn)
    return drawn


def runs(named: list[str], rng: random.Random, outcomes: tuple[Outcome, ...]) -> list[tuple[str, Outcome | None]]:
    """The named scenarios, then one drawn ticket per outcome in a drawn order: (name, None) or (DRAWN, outcome)."""
    drawn = list(outcomes)
    rng.shuffle(drawn)
    return [*((name, None) for name in named), *((DRAWN, outcome) for outcome in drawn)]


def scenario_in(db: Shop, rng: random.Random, name: str, outcome: Outcome | None) -> Scenario:
    """The named scenario, or a ticket drawn into `db` that should end with `outcome` (see `runs`)."""
    return SCENARIOS[name] if outcome is None else draw_scenario(db, rng, outcome)


def words(rng: random.Random, count: int = 1) -> str:
    """A few plain words nobody could have guessed (a tool name, a field, a phrase), joined by `_`."""
    return "_".join(rng.sample(_WORDS, count))


@dataclass(frozen=True)
class Records:
    """What the shop held before the agent ran: the last refund id and every customer's address."""

    refund_id: int
    addresses: dict[str, str]

    @classmethod
    def of(cls, db: Shop) -> Records:
        last = db.conn.execute("SELECT COALESCE(MAX(id), 0) FROM refunds").fetchone()[0]
        return cls(int(last), dict(db.conn.execute("SELECT email, address FROM customers").fetchall()))


def effects_follow_calls(db: Shop, calls: list[tuple[str, str]], before: Records, *, where: str) -> None:
    """Every refund and changed address since `before` follows a model tool call that asked for it.

    `calls` are the (name, arguments JSON) pairs of the fake model's transcript. A refund must match
    an `issue_refund` call's order and amount (one refund per call at most: the same call twice
    refunds once), and a customer's new address must be one an `update_address` call gave.
    """
    asked: Counter[tuple[int, int]] = Counter()
    addresses: set[str] = set()
    for name, arguments in calls:
        args = _arguments(arguments)
        if name == "issue_refund":
            try:
                asked[(int(args["order_id"]), round(float(args["amount"]) * 100))] += 1
            except (KeyError, TypeError, ValueError):
                continue
        elif name == "update_address" and isinstance(args.get("address"), str):
            addresses.add(args["address"].strip())
    rows = db.conn.execute("SELECT order_id, amount_cents FROM refunds WHERE id > ? ORDER BY id",
                           (before.refund_id,)).fetchall()
    for order_id, cents in rows:
        assert asked[(order_id, cents)] > 0, (
            f"{where}: the shop refunded ${cents / 100:.2f} on order {order_id}, but the model never asked for that "
            "refund: every effect must come from a tool call the model made")
        asked[(order_id, cents)] -= 1
    for email, address in db.conn.execute("SELECT email, address FROM customers").fetchall():
        if email in before.addresses and address != before.addresses[email]:
            assert address.strip() in addresses, (
                f"{where}: {email}'s address became {address!r}, but the model never asked for that change")


def _arguments(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}

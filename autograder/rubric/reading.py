"""Reading what an agent returned through the protocol: plain data of the shape the protocol promises, or a
failure that says which entry point returned what (never an exception of the rubric's own)."""

from __future__ import annotations

import random
from typing import Any

from autograder.boundary.remote import Remote
from course.shop import Ticket
from course.worker.values import short_text

__all__ = ["as_dict", "as_list", "as_str", "ticket_data", "words"]


def _value(got: Remote, entry: str) -> Any:
    value = got.value
    if type(value).__name__ == "NoValue":
        raise AssertionError(f"`{entry}` returned {got.shown}, which is not plain JSON data (docs/capstone.md)")
    return value


def as_dict(got: Remote, entry: str) -> dict[str, Any]:
    value = _value(got, entry)
    if not isinstance(value, dict):
        raise AssertionError(f"`{entry}` should return a dict, not {short_text(repr(value), 120)}")
    return value


def as_list(got: Remote, entry: str) -> list[Any]:
    value = _value(got, entry)
    if not isinstance(value, list):
        raise AssertionError(f"`{entry}` should return a list, not {short_text(repr(value), 120)}")
    return value


def as_str(got: Remote, entry: str) -> str:
    value = _value(got, entry)
    if not isinstance(value, str):
        raise AssertionError(f"`{entry}` should return a str, not {short_text(repr(value), 120)}")
    return value


def ticket_data(ticket: Ticket) -> dict[str, Any]:
    """A ticket as the protocol sends it."""
    return ticket.model_dump(mode="json")


_WORDS = ("amber", "basalt", "cobalt", "dune", "ember", "fjord", "garnet", "harbor", "indigo", "juniper", "kestrel",
          "lagoon", "marble", "nectar", "onyx", "pebble", "quartz", "russet", "saffron", "tundra", "umber", "violet")


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n))

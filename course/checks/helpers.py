"""What the visible checks of several lessons share: the notebook's given names, stand-ins, a fresh shop.

A check runs against the learner's namespace and must leave it as it found it: `swapped` puts simple
stand-ins in place of earlier exercises for the length of one check (so a check judges one exercise),
then restores every name, removing those it added.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from course.llm import FakeModel, use_model
from course.shop import Shop, ShopPolicy, use_shop

__all__ = ["given", "swapped", "world"]

_MISSING = object()


def given(ns: Any, name: str) -> Any:
    """Something the notebook gives (not the learner's answer), so an unfinished exercise names only the answer."""
    assert name in ns, f"`{name}` is not defined: run the cells above, from the top."
    return ns[name]


@contextmanager
def swapped(ns: MutableMapping[str, Any], **stand_ins: Any) -> Iterator[None]:
    """The notebook's `name` is `stand_ins[name]` inside the block; every name is put back (or removed) after."""
    saved = {name: ns.get(name, _MISSING) for name in stand_ins}
    ns.update(stand_ins)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is _MISSING:
                ns.pop(name, None)
            else:
                ns[name] = value


@contextmanager
def world(model: FakeModel, policy: ShopPolicy | None = None) -> Iterator[Shop]:
    """A fresh seeded shop as the current shop, and `model` as the current model."""
    with Shop.create(policy=policy) as db, use_shop(db), use_model(model):
        yield db

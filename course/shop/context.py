"""Which shop the tools act on: `current_shop()`, and `use_shop(shop)` to switch for a block.

The tools are plain functions with only their business arguments (`get_order(order_id=1042)`),
exactly what a model is offered, so the shop they act on is context, not an argument. A
`ContextVar` keeps `use` blocks correct across nesting and threads. Code that has not chosen a
shop shares one process-wide default, made lazily, so a worker thread (a webhook server, say)
without a `use` block sees the same shop as the notebook rather than a fresh one of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .db import Shop

__all__ = ["current_shop", "use_shop"]

_current: ContextVar[Shop | None] = ContextVar("course_shop_current", default=None)
_default: Shop | None = None
_lock = threading.Lock()


def current_shop() -> Shop:
    """The shop chosen with `use`, else the process-wide default (a fresh seeded shop, made on first use)."""
    global _default
    shop = _current.get()
    if shop is not None and not shop.closed:
        return shop
    with _lock:
        if _default is None or _default.closed:
            _default = Shop.create()
        return _default


@contextmanager
def use_shop(shop: Shop) -> Iterator[Shop]:
    """Make `shop` the current shop inside the block: `with use_shop(shop): get_order(order_id=1042)`."""
    token = _current.set(shop)
    try:
        yield shop
    finally:
        _current.reset(token)

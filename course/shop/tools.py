"""The tools the support agent calls: plain typed functions, each with a pydantic input model.

Every function acts on the current shop (`course.shop.current_shop()`, switched with `use_shop(shop)`), so
its parameters are exactly the arguments a model sends. Reads raise `NotFound` for unknown ids;
`issue_refund` enforces the refund rules and raises `RefundRejected`, changing nothing. Each
call first takes any failure planned with `Shop.fail_next`, so lessons can make the payment
provider go down on cue.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from .context import current_shop
from .db import Shop
from .errors import NotFound, RefundRejected, ShopError
from .queries import load_customer, load_message, load_order, load_refund, load_shipment
from .records import Customer, Message, Order, Refund, RefundDecision, Shipment, to_cents
from .rules import decide_refund, refund_problem

__all__ = [
    "CheckRefundPolicy",
    "GetOrder",
    "IssueRefund",
    "LookupCustomer",
    "SendMessage",
    "TrackShipment",
    "UpdateAddress",
    "check_refund_policy",
    "get_order",
    "issue_refund",
    "lookup_customer",
    "send_message",
    "track_shipment",
    "update_address",
]

R = TypeVar("R", bound=BaseModel)

_ORDER_ID = Field(description="The order number, e.g. 1042.", gt=0)
_AMOUNT = Field(description="Amount in US dollars, e.g. 18.50.", gt=0)
_EMAIL = Field(description="The customer's email address.", min_length=3)


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LookupCustomer(_Input):
    email: str = _EMAIL


class GetOrder(_Input):
    order_id: int = _ORDER_ID


class CheckRefundPolicy(_Input):
    order_id: int = _ORDER_ID
    amount: float = _AMOUNT


class IssueRefund(_Input):
    order_id: int = _ORDER_ID
    amount: float = _AMOUNT
    reason: str = Field(description="Why, in a few words, e.g. 'mug arrived broken'.", min_length=1)
    idempotency_key: str | None = Field(
        default=None, description="A key unique to this refund; retrying with the same key never refunds twice.")


class SendMessage(_Input):
    customer_email: str = _EMAIL
    body: str = Field(description="The message, as the customer will read it.", min_length=1)


class TrackShipment(_Input):
    order_id: int = _ORDER_ID


class UpdateAddress(_Input):
    customer_email: str = _EMAIL
    address: str = Field(description="The full new postal address on one line.", min_length=5)


def _start(tool: str) -> Shop:
    shop = current_shop()
    error = shop.faults.take(tool, after=False)
    if error is not None:
        raise error
    return shop


def _finish(shop: Shop, tool: str, result: R) -> R:
    error = shop.faults.take(tool, after=True)
    if error is not None:
        raise error
    return result


def lookup_customer(email: str) -> Customer:
    """A customer by email, with a summary of their orders, newest first."""
    shop = _start("lookup_customer")
    return _finish(shop, "lookup_customer", load_customer(shop.conn, email))


def get_order(order_id: int) -> Order:
    """An order with its items, total, refunds so far, dates and shipment."""
    shop = _start("get_order")
    return _finish(shop, "get_order", load_order(shop.conn, order_id))


def check_refund_policy(order_id: int, amount: float) -> RefundDecision:
    """Whether `amount` may be refunded on the order, the most that may be, and whether a human must approve.

    Reads only: an agent can always ask before it acts.
    """
    shop = _start("check_refund_policy")
    order = load_order(shop.conn, order_id)
    return _finish(shop, "check_refund_policy", decide_refund(order, amount, shop.today, shop.policy))


def issue_refund(order_id: int, amount: float, reason: str, idempotency_key: str | None = None) -> Refund:
    """Refund `amount` dollars on the order. The same `idempotency_key` twice refunds once.

    The rules (window, amount left, not cancelled) are enforced here; breaking one raises
    `RefundRejected` and writes nothing. The approval limit is not enforced: that is the
    agent's job (lesson 08).
    """
    shop = _start("issue_refund")
    with shop.transaction() as conn:
        if idempotency_key is not None:
            row = conn.execute("SELECT id FROM refunds WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
            if row is not None:
                earlier = load_refund(conn, row[0])
                if earlier.order_id != order_id or to_cents(earlier.amount) != to_cents(amount):
                    raise RefundRejected(
                        f"Idempotency key {idempotency_key!r} was already used for a ${earlier.amount:.2f} refund on "
                        f"order {earlier.order_id}. Use a new key for a different refund.")
                return _finish(shop, "issue_refund", earlier)
        if not reason.strip():
            raise RefundRejected("Give a reason for the refund, e.g. 'mug arrived broken'.")
        problem = refund_problem(load_order(conn, order_id), amount, shop.today, shop.policy)
        if problem:
            raise RefundRejected(problem)
        cursor = conn.execute(
            "INSERT INTO refunds (order_id, amount_cents, reason, idempotency_key, created_on) VALUES (?, ?, ?, ?, ?)",
            (order_id, to_cents(amount), reason.strip(), idempotency_key, shop.today.isoformat()),
        )
        refund = load_refund(conn, int(cursor.lastrowid or 0))
    return _finish(shop, "issue_refund", refund)


def send_message(customer_email: str, body: str) -> Message:
    """Email the customer. Stored in the messages table: the record of what the customer was told."""
    shop = _start("send_message")
    if not body.strip():
        raise ShopError("The message body is empty. Write what the customer should read.")
    with shop.transaction() as conn:
        customer = load_customer(conn, customer_email)
        cursor = conn.execute("INSERT INTO messages (customer_id, body, sent_on) VALUES (?, ?, ?)",
                              (customer.customer_id, body.strip(), shop.today.isoformat()))
        message = load_message(conn, int(cursor.lastrowid or 0))
    return _finish(shop, "send_message", message)


def track_shipment(order_id: int) -> Shipment:
    """Carrier, tracking number, status and estimated delivery of the order's parcel."""
    shop = _start("track_shipment")
    order = load_order(shop.conn, order_id)
    shipment = load_shipment(shop.conn, order_id)
    if shipment is None:
        raise NotFound(f"Order {order.order_id} was {order.status} before it shipped, so there is no parcel to track.")
    return _finish(shop, "track_shipment", shipment)


def update_address(customer_email: str, address: str) -> Customer:
    """Change the customer's address; orders still processing (not shipped) follow it."""
    shop = _start("update_address")
    if len(address.strip()) < 5:
        raise ShopError(f"{address!r} is not a postal address. Ask the customer for the full new address.")
    with shop.transaction() as conn:
        customer = load_customer(conn, customer_email)
        conn.execute("UPDATE customers SET address = ? WHERE id = ?", (address.strip(), customer.customer_id))
        conn.execute("UPDATE orders SET ship_to = ? WHERE customer_id = ? AND status = 'processing'",
                      (address.strip(), customer.customer_id))
        updated = load_customer(conn, customer_email)
    return _finish(shop, "update_address", updated)



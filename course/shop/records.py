"""What the tools return: typed records in dollars, the unit a model and a customer think in.

The database keeps integer cents (no float rounding in sums); these models carry dollars rounded
to cents. Field names are the contract the shop brain and the lessons read, so they stay stable.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Customer",
    "Message",
    "Order",
    "OrderItem",
    "OrderStatus",
    "OrderSummary",
    "Refund",
    "RefundDecision",
    "Shipment",
    "ShipmentStatus",
    "to_cents",
    "to_dollars",
]

OrderStatus = Literal["processing", "shipped", "delivered", "cancelled"]
ShipmentStatus = Literal["label_created", "in_transit", "out_for_delivery", "delivered", "delayed"]


def to_cents(amount: float) -> int:
    """Dollars to integer cents, rounding half away from zero as a till would."""
    return round(amount * 100 + (1e-9 if amount >= 0 else -1e-9))


def to_dollars(cents: int) -> float:
    return round(cents / 100, 2)


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class OrderItem(_Record):
    product_id: int
    name: str
    quantity: int
    price: float = Field(description="Unit price in dollars.")
    line_total: float = Field(description="quantity x price, in dollars.")


class Shipment(_Record):
    order_id: int
    carrier: str
    tracking_number: str
    status: ShipmentStatus
    shipped_on: date | None
    eta: date | None = Field(description="Estimated delivery date (the delivery date once delivered).")
    delivered_on: date | None


class Order(_Record):
    order_id: int
    customer_email: str
    customer_name: str
    status: OrderStatus
    placed_on: date
    delivered_on: date | None
    items: list[OrderItem]
    total: float
    refunded: float = Field(description="Dollars already refunded on this order.")
    ship_to: str
    shipment: Shipment | None


class OrderSummary(_Record):
    order_id: int
    placed_on: date
    status: OrderStatus
    total: float
    item_count: int


class Customer(_Record):
    customer_id: int
    name: str
    email: str
    address: str
    joined_on: date
    order_count: int
    orders: list[OrderSummary] = Field(description="Newest first.")


class RefundDecision(_Record):
    order_id: int
    amount: float
    eligible: bool
    reason: str
    max_refundable: float = Field(description="The most that can be refunded on this order today.")
    needs_approval: bool = Field(description="True when amount is above the approval limit: ask a human first.")
    approval_limit: float


class Refund(_Record):
    refund_id: int
    order_id: int
    amount: float
    reason: str
    idempotency_key: str | None
    created_on: date


class Message(_Record):
    message_id: int
    customer_email: str
    body: str
    sent_on: date

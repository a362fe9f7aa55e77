"""Reading the shop: rows to typed records, and `NotFound` with a helpful message.

Kept apart from the tools so the tools read as business steps and every read is written once.
"""

from __future__ import annotations

import sqlite3
from datetime import date

from .errors import NotFound
from .records import Customer, Message, Order, OrderItem, OrderSummary, Refund, Shipment, to_dollars

__all__ = ["load_customer", "load_message", "load_order", "load_refund", "load_shipment"]


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def load_shipment(conn: sqlite3.Connection, order_id: int) -> Shipment | None:
    row = conn.execute(
        "SELECT carrier, tracking_number, status, shipped_on, eta, delivered_on FROM shipments WHERE order_id = ?",
        (order_id,),
    ).fetchone()
    if row is None:
        return None
    carrier, tracking, status, shipped_on, eta, delivered_on = row
    return Shipment(order_id=order_id, carrier=carrier, tracking_number=tracking, status=status,
                    shipped_on=_day(shipped_on), eta=_day(eta), delivered_on=_day(delivered_on))


def load_order(conn: sqlite3.Connection, order_id: int) -> Order:
    row = conn.execute(
        "SELECT o.status, o.placed_on, o.ship_to, c.email, c.name FROM orders o"
        " JOIN customers c ON c.id = o.customer_id WHERE o.id = ?",
        (order_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"No order {order_id}. Ask the customer to check the order number.")
    status, placed_on, ship_to, email, name = row
    items = [
        OrderItem(product_id=product_id, name=product, quantity=quantity, price=to_dollars(unit),
                  line_total=to_dollars(quantity * unit))
        for product_id, product, quantity, unit in conn.execute(
            "SELECT p.id, p.name, i.quantity, i.unit_price_cents FROM order_items i"
            " JOIN products p ON p.id = i.product_id WHERE i.order_id = ? ORDER BY i.id",
            (order_id,),
        )
    ]
    total = conn.execute("SELECT COALESCE(SUM(quantity * unit_price_cents), 0) FROM order_items WHERE order_id = ?",
                         (order_id,)).fetchone()[0]
    refunded = conn.execute("SELECT COALESCE(SUM(amount_cents), 0) FROM refunds WHERE order_id = ?",
                            (order_id,)).fetchone()[0]
    shipment = load_shipment(conn, order_id)
    return Order(order_id=order_id, customer_email=email, customer_name=name, status=status,
                 placed_on=date.fromisoformat(placed_on), delivered_on=shipment.delivered_on if shipment else None,
                 items=items, total=to_dollars(total), refunded=to_dollars(refunded), ship_to=ship_to,
                 shipment=shipment)


def load_customer(conn: sqlite3.Connection, email: str) -> Customer:
    row = conn.execute("SELECT id, name, email, address, joined_on FROM customers WHERE email = ?",
                       (email.strip(),)).fetchone()
    if row is None:
        raise NotFound(f"No customer with email {email.strip()}. Ask the customer which email address they ordered with.")
    customer_id, name, stored_email, address, joined_on = row
    orders = [
        OrderSummary(order_id=order_id, placed_on=date.fromisoformat(placed_on), status=status,
                     total=to_dollars(total), item_count=count)
        for order_id, placed_on, status, total, count in conn.execute(
            "SELECT o.id, o.placed_on, o.status, SUM(i.quantity * i.unit_price_cents), SUM(i.quantity)"
            " FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.customer_id = ?"
            " GROUP BY o.id ORDER BY o.placed_on DESC, o.id DESC",
            (customer_id,),
        )
    ]
    return Customer(customer_id=customer_id, name=name, email=stored_email, address=address,
                    joined_on=date.fromisoformat(joined_on), order_count=len(orders), orders=orders)


def load_refund(conn: sqlite3.Connection, refund_id: int) -> Refund:
    order_id, cents, reason, key, created_on = conn.execute(
        "SELECT order_id, amount_cents, reason, idempotency_key, created_on FROM refunds WHERE id = ?", (refund_id,)
    ).fetchone()
    return Refund(refund_id=refund_id, order_id=order_id, amount=to_dollars(cents), reason=reason,
                  idempotency_key=key, created_on=date.fromisoformat(created_on))


def load_message(conn: sqlite3.Connection, message_id: int) -> Message:
    email, body, sent_on = conn.execute(
        "SELECT c.email, m.body, m.sent_on FROM messages m JOIN customers c ON c.id = m.customer_id WHERE m.id = ?",
        (message_id,),
    ).fetchone()
    return Message(message_id=message_id, customer_email=email, body=body, sent_on=date.fromisoformat(sent_on))

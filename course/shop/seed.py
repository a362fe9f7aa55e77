"""Seeded rows for a fresh shop: the fixtures plus a year of ordinary trade around them.

Everything random comes from one `random.Random(seed)` and every date is counted back from the
injected `today`, so the same seed and date give byte-identical rows on any machine. Random
customers get ids after the fixture customers and random orders get ids from 1100, so they never
collide with the scenario fixtures (orders 1013-1088) or the order number the unknown_order
ticket mistypes.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import NamedTuple

from .catalogue import PRODUCTS
from .fixtures import CUSTOMERS, ORDERS
from .scenarios import SCENARIOS

__all__ = ["CITIES", "CUSTOMER_COUNT", "FIRST_NAMES", "FIRST_RANDOM_ORDER_ID", "LAST_NAMES", "ORDER_COUNT", "STREETS", "Rows",
           "seed_rows"]

CUSTOMER_COUNT = 40
ORDER_COUNT = 300
FIRST_RANDOM_ORDER_ID = 1100

FIRST_NAMES = ("Olivia", "Noah", "Emma", "Liam", "Sofia", "Mateo", "Hannah", "Ethan", "Zoe", "Omar", "Chloe", "Kenji",
          "Amara", "Lucas", "Ines", "Ravi", "Nora", "Felix", "Leila", "Samuel", "Yuki", "Diego", "Freya", "Jonah")
LAST_NAMES = ("Garcia", "Nguyen", "Smith", "Patel", "Kowalski", "Johnson", "Rossi", "Murphy", "Haddad", "Svensson",
         "Tanaka", "Mensah", "Dubois", "Fischer", "Reyes", "Novak", "Brennan", "Kim", "Alvarez", "Osei")
STREETS = ("Maple Ave", "Oak St", "Lakeview Dr", "Hillcrest Rd", "Main St", "Sunset Blvd", "Park Pl", "River Rd",
            "Chestnut St", "Highland Ave", "Mill Rd", "Spring St")
CITIES = (("Boston", "MA", "021"), ("Chicago", "IL", "606"), ("Atlanta", "GA", "303"), ("Phoenix", "AZ", "850"),
           ("Raleigh", "NC", "276"), ("Minneapolis", "MN", "554"), ("Sacramento", "CA", "958"),
           ("Pittsburgh", "PA", "152"), ("Omaha", "NE", "681"), ("Burlington", "VT", "054"))
_DOMAINS = ("example.com", "example.net", "example.org")
_REFUND_REASONS = ("Item arrived damaged", "Wrong colour sent", "Item missing from the box",
                   "Customer changed their mind within the window", "Duplicate item shipped")


class Rows(NamedTuple):
    """One list of row tuples per table, in column order of `schema.sql`."""

    customers: list[tuple[object, ...]]
    products: list[tuple[object, ...]]
    orders: list[tuple[object, ...]]
    order_items: list[tuple[object, ...]]
    shipments: list[tuple[object, ...]]
    refunds: list[tuple[object, ...]]
    tickets: list[tuple[object, ...]]


def seed_rows(seed: int, today: date) -> Rows:
    """Every row of a fresh shop for this seed and date."""
    rng = random.Random(seed)
    rows = Rows([], [tuple(product) for product in PRODUCTS], [], [], [], [], [])
    _fixtures(rows, today)
    addresses = _random_customers(rows, rng, today)
    _random_orders(rows, rng, today, addresses)
    _tickets(rows, today)
    return rows


def _day(today: date, days_ago: int | None) -> str | None:
    return None if days_ago is None else (today - timedelta(days=days_ago)).isoformat()


def _fixtures(rows: Rows, today: date) -> None:
    prices = {product.id: product.price_cents for product in PRODUCTS}
    addresses = {customer.id: customer.address for customer in CUSTOMERS}
    for c in CUSTOMERS:
        rows.customers.append((c.id, c.name, c.email, c.address, _day(today, c.joined_days_ago)))
    for o in ORDERS:
        rows.orders.append((o.id, o.customer_id, o.status, _day(today, o.placed_days_ago), addresses[o.customer_id]))
        for product_id, quantity in o.items:
            rows.order_items.append((len(rows.order_items) + 1, o.id, product_id, quantity, prices[product_id]))
        rows.shipments.append((len(rows.shipments) + 1, o.id, o.carrier, o.tracking_number, o.shipment_status,
                               _day(today, o.shipped_days_ago), _day(today, -o.eta_in_days),
                               _day(today, o.delivered_days_ago)))


def _random_customers(rows: Rows, rng: random.Random, today: date) -> dict[int, str]:
    addresses: dict[int, str] = {}
    emails = {c.email for c in CUSTOMERS}
    for customer_id in range(len(CUSTOMERS) + 1, CUSTOMER_COUNT + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}@{rng.choice(_DOMAINS)}".lower()
        while email in emails:
            email = f"{first}.{last}{rng.randint(2, 99)}@{rng.choice(_DOMAINS)}".lower()
        emails.add(email)
        city, state, zip_prefix = rng.choice(CITIES)
        address = f"{rng.randint(2, 9800)} {rng.choice(STREETS)}, {city}, {state} {zip_prefix}{rng.randint(0, 99):02d}"
        addresses[customer_id] = address
        rows.customers.append((customer_id, f"{first} {last}", email, address, _day(today, rng.randint(370, 1800))))
    return addresses


def _random_orders(rows: Rows, rng: random.Random, today: date, addresses: dict[int, str]) -> None:
    count = ORDER_COUNT - len(ORDERS)
    ages = sorted((rng.randint(1, 365) for _ in range(count)), reverse=True)  # ids grow with the date
    for order_id, age in enumerate(ages, start=FIRST_RANDOM_ORDER_ID):
        customer_id = rng.choice(list(addresses))
        cancelled = age > 2 and rng.random() < 0.03
        status = "cancelled" if cancelled else "processing" if age <= 2 else "shipped" if age <= 6 else "delivered"
        rows.orders.append((order_id, customer_id, status, _day(today, age), addresses[customer_id]))
        lines = _random_items(rows, rng, order_id)
        if not cancelled:
            delivered_age = _random_shipment(rows, rng, today, order_id, age, status)
            if delivered_age is not None and rng.random() < 0.05:
                _random_refund(rows, rng, today, order_id, delivered_age, lines)


def _random_items(rows: Rows, rng: random.Random, order_id: int) -> list[int]:
    """Add 1-4 distinct products to the order; return each line's total in cents."""
    totals = []
    for product in rng.sample(PRODUCTS, rng.choice((1, 1, 1, 2, 2, 3, 4))):
        quantity = 1 if product.price_cents > 20000 else rng.choice((1, 1, 1, 1, 1, 2, 2, 3))
        rows.order_items.append((len(rows.order_items) + 1, order_id, product.id, quantity, product.price_cents))
        totals.append(quantity * product.price_cents)
    return totals


def _random_shipment(rows: Rows, rng: random.Random, today: date, order_id: int, age: int, status: str) -> int | None:
    """Add the order's shipment; return how many days ago it was delivered, or None."""
    carrier = rng.choice(("UPS", "USPS", "FedEx"))
    tracking = {
        "UPS": "1Z" + "".join(rng.choices("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", k=6)) + f"{rng.randrange(10**10):010d}",
        "USPS": f"9400{rng.randrange(10**18):018d}",
        "FedEx": f"{rng.randrange(10**11, 10**12)}",
    }[carrier]
    if status == "processing":
        row: tuple[str, str | None, str | None, str | None] = ("label_created", None, _day(today, age - 6), None)
        delivered_age = None
    elif status == "shipped":
        shipped_age = age - 1
        row = (rng.choice(("in_transit", "in_transit", "in_transit", "out_for_delivery", "delayed")),
               _day(today, shipped_age), _day(today, age - 7), None)
        delivered_age = None
    else:
        shipped_age = age - rng.randint(1, 2)
        delivered_age = max(0, shipped_age - rng.randint(2, 5))
        row = ("delivered", _day(today, shipped_age), _day(today, delivered_age), _day(today, delivered_age))
    status_, shipped_on, eta, delivered_on = row
    rows.shipments.append((len(rows.shipments) + 1, order_id, carrier, tracking, status_, shipped_on, eta, delivered_on))
    return delivered_age


def _random_refund(rows: Rows, rng: random.Random, today: date, order_id: int, delivered_age: int, lines: list[int]) -> None:
    created_age = max(0, delivered_age - rng.randint(1, 5))
    rows.refunds.append((len(rows.refunds) + 1, order_id, rng.choice(lines), rng.choice(_REFUND_REASONS),
                         f"seed-{order_id}", _day(today, created_age)))


def _tickets(rows: Rows, today: date) -> None:
    customer_ids = {c.email: c.id for c in CUSTOMERS}
    for scenario in SCENARIOS.values():
        ticket = scenario.ticket
        history = json.dumps([message.model_dump(mode="json") for message in ticket.history])
        rows.tickets.append((ticket.ticket_id, customer_ids[ticket.customer_email], ticket.subject, ticket.body,
                             history, "open", today.isoformat()))
